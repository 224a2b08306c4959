package client

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The YARN properties file is how a detached session tells later commands
// which application to talk to, exactly as Flink's `yarn-session.sh -d` does:
// a Java properties file named .yarn-properties-<user> in the temp folder (or
// in yarn.properties-file.location), holding
//
//	applicationID=application_1700000000000_0001
//	dynamicPropertiesString=taskmanager.numberOfTaskSlots\=2@@parallelism.default\=4
//
// Later `floe run`, `list` and `cancel` without -t/-D yarn.application.id use it.

// propsKeyAppID and propsKeyDynamic are the keys Flink writes.
const (
	propsKeyAppID   = "applicationID"
	propsKeyDynamic = "dynamicPropertiesString"
	dynamicSep      = "@@"
)

// SessionProperties is the content of a YARN properties file.
type SessionProperties struct {
	// AppID is the session's YARN application id.
	AppID string
	// Dynamic holds the -D options the session was started with.
	Dynamic map[string]string
}

// PropertiesPath returns where the properties file of user lives: dir (the
// value of yarn.properties-file.location) when set, else the OS temp folder.
func PropertiesPath(dir, user string) string {
	if dir == "" {
		dir = os.TempDir()
	}
	return filepath.Join(dir, ".yarn-properties-"+user)
}

// WriteProperties writes p to path atomically (temp file and rename), so a
// concurrent reader never sees half a file.
func WriteProperties(path string, p SessionProperties) error {
	if p.AppID == "" {
		return errors.New("write yarn properties file: no application id")
	}
	var b strings.Builder
	b.WriteString("#Generated YARN properties file\n")
	fmt.Fprintf(&b, "%s=%s\n", propsKeyAppID, escapeProp(p.AppID))
	if len(p.Dynamic) > 0 {
		keys := make([]string, 0, len(p.Dynamic))
		for k := range p.Dynamic {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + p.Dynamic[k]
		}
		fmt.Fprintf(&b, "%s=%s\n", propsKeyDynamic, escapeProp(strings.Join(parts, dynamicSep)))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".yarn-properties-*")
	if err != nil {
		return fmt.Errorf("write yarn properties file %s: %w", path, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // gone after the rename; cleans up the error paths
	if _, err := tmp.WriteString(b.String()); err != nil {
		_ = tmp.Close() // the write already failed; that error is the one to report
		return fmt.Errorf("write yarn properties file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write yarn properties file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write yarn properties file %s: %w", path, err)
	}
	return nil
}

// ReadProperties reads a properties file. A missing file is reported with
// fs.ErrNotExist so callers can fall back to asking for -Dyarn.application.id.
func ReadProperties(path string) (SessionProperties, error) {
	f, err := os.Open(path)
	if err != nil {
		return SessionProperties{}, fmt.Errorf("read yarn properties file: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only
	var p SessionProperties
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' || s[0] == '!' {
			continue
		}
		k, v, ok := splitProp(s)
		if !ok {
			return SessionProperties{}, fmt.Errorf("read yarn properties file %s:%d: no '=' in %q", path, line, s)
		}
		switch k {
		case propsKeyAppID:
			p.AppID = v
		case propsKeyDynamic:
			p.Dynamic = map[string]string{}
			for _, kv := range strings.Split(v, dynamicSep) {
				if dk, dv, ok := strings.Cut(kv, "="); ok {
					p.Dynamic[strings.TrimSpace(dk)] = strings.TrimSpace(dv)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return SessionProperties{}, fmt.Errorf("read yarn properties file %s: %w", path, err)
	}
	if p.AppID == "" {
		return SessionProperties{}, fmt.Errorf("yarn properties file %s has no %s: remove it, or pass -Dyarn.application.id=<appId>", path, propsKeyAppID)
	}
	return p, nil
}

// RemoveProperties deletes the properties file; a file that is already gone
// is not an error.
func RemoveProperties(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove yarn properties file: %w", err)
	}
	return nil
}

// escapeProp escapes a value the way java.util.Properties.store does for the
// characters that matter here.
func escapeProp(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "=", `\=`, ":", `\:`, "\n", `\n`, "#", `\#`, "!", `\!`)
	return r.Replace(s)
}

// splitProp splits a properties line at the first unescaped '=' or ':' and
// unescapes both halves.
func splitProp(s string) (key, value string, ok bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '=', ':':
			return unescapeProp(strings.TrimSpace(s[:i])), unescapeProp(strings.TrimSpace(s[i+1:])), true
		}
	}
	return "", "", false
}

func unescapeProp(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
