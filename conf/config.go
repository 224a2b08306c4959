package conf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/floe-yarn/floe/contract"
)

// Sentinels for errors.Is on errors from Load, Set and LoadHadoop.
var (
	ErrUnknownOption = errors.New("unknown option")
	ErrInvalidValue  = errors.New("invalid value")
	ErrSyntax        = errors.New("syntax error")
	ErrNoConfDir     = errors.New("configuration folder not found")
)

// SourceKind says where a value came from.
type SourceKind int

// The sources of a value, weakest first.
const (
	SourceDefault SourceKind = iota // the declaration's default
	SourceFile                      // floe-conf.yaml (or a Hadoop *-site.xml)
	SourceDynamic                   // -Dkey=value on the command line
	SourceSet                       // set by Floe itself at run time
)

// Source is where a value came from: a default, a file and line, -D, or set.
type Source struct {
	Kind SourceKind
	File string // SourceFile only
	Line int    // SourceFile only; 0 when unknown
}

// String prints the source as `floe config` shows it.
func (s Source) String() string {
	switch s.Kind {
	case SourceDefault:
		return "default"
	case SourceFile:
		if s.Line > 0 {
			return s.File + ":" + strconv.Itoa(s.Line)
		}
		return s.File
	case SourceDynamic:
		return "-D"
	case SourceSet:
		return "set"
	}
	return "unknown"
}

// Entry is one effective value: the option (zero Type and empty Doc for an
// unknown key), its text and its source. Flink marks an unknown key that is
// one of Flink's options (IsFlinkKey): Floe ignores it with a warning.
type Entry struct {
	Option Option
	Value  string
	Source Source
	Known  bool
	Flink  bool
}

type value struct {
	raw    string
	parsed any
	source Source
}

// Config is Floe's effective configuration: declared defaults, overridden
// by floe-conf.yaml, overridden by -D. It is not safe for concurrent Set.
type Config struct {
	index   map[string]Option
	values  map[string]value
	unknown []Entry
}

// LoadOptions says where Load finds the configuration.
type LoadOptions struct {
	// Dir is the folder holding floe-conf.yaml. Empty means $FLOE_CONF_DIR;
	// when that is unset too, no file is read. A folder without the file is
	// fine (defaults apply); a folder that does not exist is an error.
	Dir string
	// Dynamic holds "key=value" overrides in command-line order (-D).
	Dynamic []string
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// New returns a Config holding the declared defaults only.
func New() *Config {
	c := &Config{index: map[string]Option{}, values: map[string]value{}}
	for _, o := range declarations() {
		parsed, err := parseValue(o.Type, o.Default)
		if err != nil {
			// A bad default is a bug in the table; TestDeclarations catches it.
			panic(fmt.Sprintf("conf: default of %s: %v", o.Key, err))
		}
		c.index[o.Key] = o
		c.values[o.Key] = value{raw: o.Default, parsed: parsed, source: Source{Kind: SourceDefault}}
	}
	return c
}

// Load reads floe-conf.yaml from opts.Dir (or $FLOE_CONF_DIR) and applies
// opts.Dynamic on top. Every value is checked against its declared type, so
// the typed getters never fail afterwards. Unknown keys in the file are kept
// (see Unknown and Warnings); so are Flink's keys given with -D that Floe
// does not implement. Any other unknown -D key is an error suggesting the
// nearest key.
func Load(opts LoadOptions) (*Config, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	c := New()
	dir, fromEnv := opts.Dir, false
	if dir == "" {
		dir, fromEnv = getenv(contract.EnvConfDir), true
	}
	if dir != "" {
		if err := c.loadDir(dir, fromEnv); err != nil {
			return nil, err
		}
	}
	for _, kv := range opts.Dynamic {
		key, val, ok := strings.Cut(kv, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return nil, fmt.Errorf("-D %s: %w: expected key=value, e.g. -D%s=2", kv, ErrSyntax, ParallelismDefault)
		}
		if _, ok := c.index[key]; !ok && IsFlinkKey(key) {
			c.unknown = append(c.unknown, Entry{Option: Option{Key: key}, Value: val, Source: Source{Kind: SourceDynamic}, Flink: true})
			continue
		}
		if err := c.set(key, val, Source{Kind: SourceDynamic}); err != nil {
			return nil, fmt.Errorf("-D %s: %w", kv, err)
		}
	}
	return c, nil
}

func (c *Config) loadDir(dir string, fromEnv bool) error {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		what := "configuration folder " + dir
		if fromEnv {
			what = contract.EnvConfDir + "=" + dir
		}
		return fmt.Errorf("%s: %w: no such folder; point %s at the folder holding %s, or unset it", what, ErrNoConfDir, contract.EnvConfDir, contract.FileConf)
	}
	file := filepath.Join(dir, contract.FileConf)
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	items, err := parseYAML(file, data)
	if err != nil {
		return err
	}
	for _, it := range items {
		src := Source{Kind: SourceFile, File: file, Line: it.line}
		if _, ok := c.index[it.key]; !ok {
			c.unknown = append(c.unknown, Entry{Option: Option{Key: it.key}, Value: it.value, Source: src, Flink: IsFlinkKey(it.key)})
			continue
		}
		if err := c.set(it.key, it.value, src); err != nil {
			return fmt.Errorf("%s: %s: %w", src, it.key, err)
		}
	}
	return nil
}

// Set overrides key with value, checking both; the source becomes "set".
func (c *Config) Set(key, val string) error {
	if err := c.set(key, val, Source{Kind: SourceSet}); err != nil {
		return fmt.Errorf("set %s: %w", key, err)
	}
	return nil
}

func (c *Config) set(key, val string, src Source) error {
	o, ok := c.index[key]
	if !ok {
		return unknownKeyError(key, c.keys())
	}
	parsed, err := parseValue(o.Type, val)
	if err != nil {
		return fmt.Errorf("%w for a %v: %v; use e.g. %s", ErrInvalidValue, o.Type, err, o.Type.example())
	}
	c.values[key] = value{raw: val, parsed: parsed, source: src}
	return nil
}

func (c *Config) keys() []string {
	keys := make([]string, 0, len(c.index))
	for k := range c.index {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func unknownKeyError(key string, known []string) error {
	if near := Nearest(key, known); near != "" {
		return fmt.Errorf("%w; did you mean %s? (`floe config` lists all options)", ErrUnknownOption, near)
	}
	return fmt.Errorf("%w; `floe config` lists all options", ErrUnknownOption)
}

// get returns the parsed value of a declared key of type t. Asking for an
// undeclared key or with the wrong type is a programming error: it panics,
// and TestGetters exercises every declared key.
func (c *Config) get(key string, t Type) any {
	o, ok := c.index[key]
	if !ok {
		panic("conf: option " + key + " is not declared")
	}
	if o.Type != t {
		panic(fmt.Sprintf("conf: option %s is a %v, not a %v", key, o.Type, t))
	}
	return c.values[key].parsed
}

// String returns a string option.
func (c *Config) String(key string) string { return c.get(key, TypeString).(string) }

// Int returns an int option.
func (c *Config) Int(key string) int { return c.get(key, TypeInt).(int) }

// Duration returns a duration option.
func (c *Config) Duration(key string) time.Duration { return c.get(key, TypeDuration).(time.Duration) }

// Memory returns a memory-size option.
func (c *Config) Memory(key string) MemorySize { return c.get(key, TypeMemory).(MemorySize) }

// Bool returns a bool option.
func (c *Config) Bool(key string) bool { return c.get(key, TypeBool).(bool) }

// List returns a list option; nil when empty.
func (c *Config) List(key string) []string {
	l := c.get(key, TypeList).([]string)
	return append([]string(nil), l...)
}

// Source returns where the effective value of key came from.
func (c *Config) Source(key string) (Source, bool) {
	v, ok := c.values[key]
	return v.source, ok
}

// Entries returns every declared option with its effective value and
// source, sorted by key, followed by the unknown keys read from the file.
func (c *Config) Entries() []Entry {
	out := make([]Entry, 0, len(c.index)+len(c.unknown))
	for _, k := range c.keys() {
		v := c.values[k]
		out = append(out, Entry{Option: c.index[k], Value: v.raw, Source: v.source, Known: true})
	}
	return append(out, c.unknown...)
}

// Unknown returns the keys in floe-conf.yaml, and Flink's keys given with
// -D, that no option declares, so that callers can warn about them.
func (c *Config) Unknown() []Entry { return append([]Entry(nil), c.unknown...) }

// Warnings returns one line per ignored key, in the order read: Flink's
// options that Floe does not implement, and other unknown keys of the file
// with the nearest declared key when one is close.
func (c *Config) Warnings() []string {
	out := make([]string, 0, len(c.unknown))
	for _, e := range c.unknown {
		if e.Flink {
			out = append(out, fmt.Sprintf("%s (%s)", NotSupportedMessage(e.Option.Key), e.Source))
			continue
		}
		msg := fmt.Sprintf("%s: unknown option %q is ignored", e.Source, e.Option.Key)
		if near := Nearest(e.Option.Key, c.keys()); near != "" {
			msg += "; did you mean " + near + "?"
		}
		out = append(out, msg)
	}
	return out
}

// Marshal writes every value that differs from its default as flat
// "key: value" YAML lines, sorted by key: the effective configuration that
// the client ships to the ApplicationMaster and TaskManagers.
func (c *Config) Marshal() []byte {
	var b strings.Builder
	for _, k := range c.keys() {
		v := c.values[k]
		if v.source.Kind == SourceDefault {
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n", k, strconv.Quote(v.raw))
	}
	return []byte(b.String())
}
