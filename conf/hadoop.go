package conf

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/floe-yarn/floe/contract"
)

// ErrNoHadoopConf means neither HADOOP_CONF_DIR nor YARN_CONF_DIR is set.
var ErrNoHadoopConf = errors.New("no Hadoop configuration")

// hadoopFiles are read from each configuration folder, in this order; a
// later file overrides an earlier one unless the earlier value is final.
var hadoopFiles = [...]string{"core-site.xml", "hdfs-site.xml", "yarn-site.xml"}

// Hadoop is the Hadoop configuration read from *-site.xml files, over
// Hadoop's own defaults for the keys Floe reads. It is read-only after
// loading, apart from Set, and safe for concurrent reads.
type Hadoop struct {
	props   map[string]hprop
	dirs    []string
	getenv  func(string) string
	ignored []string // overrides of final values, for diagnostics
}

type hprop struct {
	value  string
	final  bool
	source Source
}

// HadoopDefaults returns a configuration holding only Hadoop's defaults
// (fs.defaultFS file:///, RM at 0.0.0.0:8032, simple authentication): what
// Floe uses when no Hadoop configuration folder is given.
func HadoopDefaults() *Hadoop {
	return &Hadoop{props: map[string]hprop{}, getenv: os.Getenv}
}

// LoadHadoop reads core-site.xml, hdfs-site.xml and yarn-site.xml from dir.
// An empty dir means $HADOOP_CONF_DIR and then $YARN_CONF_DIR (both are read
// when both are set and differ, YARN_CONF_DIR last). A folder that does not
// exist, or holds none of the three files, is an error naming the variable
// and the fix; so is having neither variable set (errors.Is ErrNoHadoopConf).
func LoadHadoop(dir string) (*Hadoop, error) {
	return loadHadoop(dir, os.Getenv)
}

func loadHadoop(dir string, getenv func(string) string) (*Hadoop, error) {
	type src struct{ dir, what string }
	var dirs []src
	if dir != "" {
		dirs = append(dirs, src{dir, "Hadoop configuration folder " + dir})
	} else {
		for _, env := range []string{contract.EnvHadoopConfDir, contract.EnvYarnConfDir} {
			d := getenv(env)
			if d == "" || (len(dirs) > 0 && filepath.Clean(dirs[0].dir) == filepath.Clean(d)) {
				continue
			}
			dirs = append(dirs, src{d, env + "=" + d})
		}
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("%w: neither %s nor %s is set; export %s=<folder holding core-site.xml and yarn-site.xml>",
			ErrNoHadoopConf, contract.EnvHadoopConfDir, contract.EnvYarnConfDir, contract.EnvHadoopConfDir)
	}
	h := &Hadoop{props: map[string]hprop{}, getenv: getenv}
	for _, d := range dirs {
		st, err := os.Stat(d.dir)
		if err != nil || !st.IsDir() {
			return nil, fmt.Errorf("%s: %w: no such folder; point it at the folder holding core-site.xml, hdfs-site.xml and yarn-site.xml", d.what, ErrNoConfDir)
		}
		found := 0
		for _, name := range hadoopFiles {
			file := filepath.Join(d.dir, name)
			f, err := os.Open(file)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", file, err)
			}
			err = h.parse(file, f)
			_ = f.Close() // read-only: a failed close loses nothing
			if err != nil {
				return nil, err
			}
			found++
		}
		if found == 0 {
			return nil, fmt.Errorf("%s: %w: it holds none of %s; point it at your cluster's Hadoop configuration folder",
				d.what, ErrNoConfDir, strings.Join(hadoopFiles[:], ", "))
		}
		h.dirs = append(h.dirs, d.dir)
	}
	return h, nil
}

// xmlProperty is one <property> element. Hadoop accepts name, value and
// final both as child elements and as attributes.
type xmlProperty struct {
	Name      string  `xml:"name"`
	Value     *string `xml:"value"`
	Final     string  `xml:"final"`
	NameAttr  string  `xml:"name,attr"`
	ValueAttr *string `xml:"value,attr"`
	FinalAttr string  `xml:"final,attr"`
}

// parse reads one *-site.xml file:
//
//	<configuration>
//	  <property><name>k</name><value>v</value><final>true</final></property>
//	</configuration>
func (h *Hadoop) parse(file string, r io.Reader) error {
	d := xml.NewDecoder(r)
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w: %v; fix the XML", file, lineOf(err, line), ErrSyntax, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "property" {
			continue
		}
		line, _ = d.InputPos()
		var p xmlProperty
		if err := d.DecodeElement(&p, &se); err != nil {
			return fmt.Errorf("%s:%d: %w: %v; fix the XML", file, lineOf(err, line), ErrSyntax, err)
		}
		name, val, final := strings.TrimSpace(p.Name), p.Value, p.Final
		if name == "" {
			name = strings.TrimSpace(p.NameAttr)
		}
		if val == nil {
			val = p.ValueAttr
		}
		if final == "" {
			final = p.FinalAttr
		}
		if name == "" || val == nil {
			continue // Hadoop skips properties without a name or value too
		}
		if old, ok := h.props[name]; ok && old.final {
			h.ignored = append(h.ignored, fmt.Sprintf("%s:%d: %s is final in %s", file, line, name, old.source))
			continue
		}
		h.props[name] = hprop{
			value:  strings.TrimSpace(*val),
			final:  strings.EqualFold(strings.TrimSpace(final), "true"),
			source: Source{Kind: SourceFile, File: file, Line: line},
		}
	}
}

func lineOf(err error, fallback int) int {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return se.Line
	}
	return fallback
}

// Set overrides key (as a flink.hadoop.* style option would); final does
// not apply, as in Hadoop's Configuration.set.
func (h *Hadoop) Set(key, value string) {
	h.props[key] = hprop{value: value, source: Source{Kind: SourceSet}}
}

// Dirs returns the folders the configuration was read from.
func (h *Hadoop) Dirs() []string { return append([]string(nil), h.dirs...) }

// Ignored lists the attempts of later files to override a final value.
func (h *Hadoop) Ignored() []string { return append([]string(nil), h.ignored...) }

// raw returns the unexpanded value of key: the files' value, else Hadoop's
// default for the keys Floe reads.
func (h *Hadoop) raw(key string) (string, Source, bool) {
	if p, ok := h.props[key]; ok {
		return p.value, p.source, true
	}
	if v, ok := hadoopDefaults[key]; ok {
		return v, Source{Kind: SourceDefault}, true
	}
	return "", Source{}, false
}

// Get returns the value of key with ${var} references expanded, or "" when
// neither the files nor Hadoop's defaults (for the keys Floe reads) set it.
func (h *Hadoop) Get(key string) string {
	v, _, _ := h.Lookup(key)
	return v
}

// Lookup is Get that also says where the value came from and whether it
// is set at all.
func (h *Hadoop) Lookup(key string) (string, Source, bool) {
	v, src, ok := h.raw(key)
	if !ok {
		return "", Source{}, false
	}
	return h.expand(key, v), src, true
}

// Keys returns every key set by the files, sorted.
func (h *Hadoop) Keys() []string {
	keys := make([]string, 0, len(h.props))
	for k := range h.props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var varRef = regexp.MustCompile(`\$\{[^}$ ]+\}`)

// maxSubst bounds ${var} expansion depth, like Hadoop's MAX_SUBST.
const maxSubst = 20

// expand replaces ${var} the way Hadoop's Configuration.substituteVars does:
// ${env.NAME} (with ${env.NAME:-default} and ${env.NAME-default}) from the
// environment, then the Java system properties Hadoop files use (user.name,
// user.home, java.io.tmpdir), then other keys. An unresolvable reference,
// or one to the key itself, stays as written.
func (h *Hadoop) expand(key, v string) string {
	for i := 0; i < maxSubst; i++ {
		loc := varRef.FindStringIndex(v)
		if loc == nil {
			return v
		}
		name := v[loc[0]+2 : loc[1]-1]
		repl, ok := h.resolveVar(name)
		if !ok || name == key {
			return v
		}
		v = v[:loc[0]] + repl + v[loc[1]:]
	}
	return v
}

func (h *Hadoop) resolveVar(name string) (string, bool) {
	if env, ok := strings.CutPrefix(name, "env."); ok {
		if n, def, ok := strings.Cut(env, ":-"); ok {
			if v := h.getenv(n); v != "" {
				return v, true
			}
			return def, true
		}
		if n, def, ok := strings.Cut(env, "-"); ok {
			// ${env.NAME-default}: an empty variable counts as unset here.
			if v := h.getenv(n); v != "" {
				return v, true
			}
			return def, true
		}
		v := h.getenv(env)
		return v, v != ""
	}
	switch name {
	case "user.name":
		return h.systemUser(), true
	case "user.home":
		if home, err := os.UserHomeDir(); err == nil {
			return home, true
		}
	case "java.io.tmpdir":
		return "/tmp", true
	}
	v, _, ok := h.raw(name)
	return v, ok
}

func (h *Hadoop) systemUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return h.getenv("USER")
}
