package conf

import (
	_ "embed"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// flinkKeysText is the list of Flink's configuration keys, one a line; its
// header says where it came from and how it was made.
//
//go:embed flink_keys.txt
var flinkKeysText string

// flinkKeySet is the list: plain keys, and templated ones as patterns.
type flinkKeySet struct {
	keys      map[string]bool
	templates []*regexp.Regexp
}

var flinkKeys = sync.OnceValue(func() flinkKeySet {
	set := flinkKeySet{keys: map[string]bool{}}
	for _, line := range strings.Split(flinkKeysText, "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set.keys[line] = true
		if strings.Contains(line, "<") {
			set.templates = append(set.templates, templatePattern(line))
		}
	}
	return set
})

var placeholder = regexp.MustCompile(`<[^<>]+>`)

// templatePattern matches the keys a templated key stands for: a
// placeholder is one segment, or any rest of the key at the end.
func templatePattern(t string) *regexp.Regexp {
	parts := placeholder.Split(t, -1)
	var b strings.Builder
	b.WriteString("^")
	for i, p := range parts {
		b.WriteString(regexp.QuoteMeta(p))
		if i < len(parts)-1 {
			if i == len(parts)-2 && parts[len(parts)-1] == "" {
				b.WriteString(".+")
			} else {
				b.WriteString("[^.]+")
			}
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// IsFlinkKey reports whether key is one of Flink's configuration keys.
// A Flink key that Floe does not declare is ignored with a warning
// (NotSupportedMessage) where any other unknown key is a likely typo.
func IsFlinkKey(key string) bool {
	set := flinkKeys()
	if set.keys[key] {
		return !strings.Contains(key, "<")
	}
	for _, re := range set.templates {
		if re.MatchString(key) {
			return true
		}
	}
	return false
}

// FlinkKeys returns Flink's configuration keys, sorted.
func FlinkKeys() []string {
	out := make([]string, 0, len(flinkKeys().keys))
	for k := range flinkKeys().keys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// NotSupportedMessage is the one-line warning for a Flink key that Floe
// does not implement, set in the file or with -D.
func NotSupportedMessage(key string) string {
	return "Flink option not supported by Floe, ignored: " + key
}
