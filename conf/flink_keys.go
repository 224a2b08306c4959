package conf

import (
	_ "embed"
	"sort"
	"strings"
	"sync"
)

// flinkKeysText is the list of Flink's configuration keys, one a line; its
// header says where it came from and how it was made.
//
//go:embed flink_keys.txt
var flinkKeysText string

var flinkKeys = sync.OnceValue(func() map[string]bool {
	keys := map[string]bool{}
	for _, line := range strings.Split(flinkKeysText, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			keys[line] = true
		}
	}
	return keys
})

// IsFlinkKey reports whether key is one of Flink's configuration keys.
// A Flink key that Floe does not declare is ignored with a warning
// (NotSupportedMessage) where any other unknown key is a likely typo.
func IsFlinkKey(key string) bool { return flinkKeys()[key] }

// FlinkKeys returns Flink's configuration keys, sorted.
func FlinkKeys() []string {
	out := make([]string, 0, len(flinkKeys()))
	for k := range flinkKeys() {
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
