package hdfsstore

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
)

// Scheme names of the two file systems a Store serves.
const (
	SchemeHDFS = "hdfs"
	SchemeFile = "file"
)

// location is a resolved path: which file system and where on it.
type location struct {
	scheme    string // SchemeHDFS or SchemeFile
	authority string // NameNode host:port or nameservice; hdfs only
	path      string // clean and absolute
}

// String returns the fully qualified form, e.g. hdfs://nn:8020/a/b or
// file:///a/b, as YARN wants in a LocalResource URL.
func (l location) String() string {
	if l.scheme == SchemeFile {
		return "file://" + l.path
	}
	return "hdfs://" + l.authority + l.path
}

func (l location) join(name string) location {
	l.path = path.Join(l.path, name)
	return l
}

// resolver turns the paths users write into locations: hdfs://host:port/p,
// hdfs:///p (the default NameNode), file:///p, file:/p, plain /p (against
// fs.defaultFS) and relative p (against the home folder /user/<user> on
// HDFS, or the working folder on local disk).
type resolver struct {
	defaultScheme    string
	defaultAuthority string
	user             string
}

func newResolver(defaultFS, user string) (resolver, error) {
	r := resolver{user: user}
	switch {
	case strings.HasPrefix(defaultFS, "file:"):
		r.defaultScheme = SchemeFile
	case strings.HasPrefix(defaultFS, "hdfs://"):
		auth, _, _ := strings.Cut(strings.TrimPrefix(defaultFS, "hdfs://"), "/")
		if auth == "" {
			return r, fmt.Errorf("fs.defaultFS %q names no NameNode; set it to hdfs://<host>:<port>", defaultFS)
		}
		r.defaultScheme, r.defaultAuthority = SchemeHDFS, auth
	default:
		return r, fmt.Errorf("fs.defaultFS %q: %w scheme; hdfsstore serves hdfs:// and file://", defaultFS, ErrUnsupported)
	}
	return r, nil
}

func (r resolver) resolve(op, p string) (location, error) {
	bad := func(err error) (location, error) {
		return location{}, &fs.PathError{Op: op, Path: p, Err: err}
	}
	switch {
	case p == "":
		return bad(fmt.Errorf("%w: empty path", fs.ErrInvalid))
	case strings.HasPrefix(p, "hdfs://"):
		auth, rest, _ := strings.Cut(strings.TrimPrefix(p, "hdfs://"), "/")
		if auth == "" {
			if r.defaultScheme != SchemeHDFS {
				return bad(fmt.Errorf("%w: hdfs:/// needs fs.defaultFS to name a NameNode", fs.ErrInvalid))
			}
			auth = r.defaultAuthority
		}
		return location{SchemeHDFS, auth, path.Clean("/" + rest)}, nil
	case strings.HasPrefix(p, "hdfs:"):
		if r.defaultScheme != SchemeHDFS {
			return bad(fmt.Errorf("%w: hdfs:/path needs fs.defaultFS to name a NameNode", fs.ErrInvalid))
		}
		return location{SchemeHDFS, r.defaultAuthority, path.Clean("/" + strings.TrimPrefix(p, "hdfs:"))}, nil
	case strings.HasPrefix(p, "file:"):
		rest := strings.TrimPrefix(p, "file:")
		if strings.HasPrefix(rest, "//") {
			auth, tail, _ := strings.Cut(rest[2:], "/")
			if auth != "" && auth != "localhost" {
				return bad(fmt.Errorf("%w: file:// URL with host %q", ErrUnsupported, auth))
			}
			rest = "/" + tail
		}
		return location{SchemeFile, "", filepath.Clean("/" + rest)}, nil
	}
	if i := strings.Index(p, "://"); i > 0 && !strings.Contains(p[:i], "/") {
		return bad(fmt.Errorf("%w scheme %q; hdfsstore serves hdfs:// and file://", ErrUnsupported, p[:i]))
	}
	if r.defaultScheme == SchemeFile {
		abs, err := filepath.Abs(p)
		if err != nil {
			return bad(err)
		}
		return location{SchemeFile, "", abs}, nil
	}
	if !strings.HasPrefix(p, "/") {
		p = "/user/" + r.user + "/" + p
	}
	return location{SchemeHDFS, r.defaultAuthority, path.Clean(p)}, nil
}

// Dir returns the folder holding p, keeping p's scheme and authority:
// Dir("hdfs://nn:8020/a/b") is "hdfs://nn:8020/a" where path.Dir would
// fold the "//" and lose the authority.
func Dir(p string) string {
	prefix, rest := "", p
	if i := strings.Index(p, "://"); i >= 0 {
		j := strings.IndexByte(p[i+3:], '/')
		if j < 0 {
			return p
		}
		prefix, rest = p[:i+3+j], p[i+3+j:]
	}
	return prefix + path.Dir(rest)
}
