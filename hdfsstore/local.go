package hdfsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// localFS serves file:// paths from the local disk with the same semantics
// as the HDFS backend: Create fails when the file exists and makes missing
// parents, permissions are applied exactly (no umask), Rename replaces a
// file, RemoveAll of a missing path succeeds.
type localFS struct{}

func (localFS) check(ctx context.Context, op string, l location) error {
	if err := ctx.Err(); err != nil {
		return &fs.PathError{Op: op, Path: l.String(), Err: err}
	}
	return nil
}

// relabel puts the qualified path into an os error.
func relabel(op string, l location, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: op, Path: l.String(), Err: pe.Err}
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return &fs.PathError{Op: op, Path: l.String(), Err: le.Err}
	}
	return &fs.PathError{Op: op, Path: l.String(), Err: err}
}

func localInfo(l location, fi fs.FileInfo) FileInfo {
	info := FileInfo{
		Path:    l.String(),
		Size:    fi.Size(),
		ModTime: fi.ModTime().Truncate(1e6),
		IsDir:   fi.IsDir(),
		Mode:    fi.Mode() & (fs.ModePerm | fs.ModeDir),
	}
	if info.IsDir {
		info.Size = 0
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		info.Owner = strconv.FormatUint(uint64(st.Uid), 10)
		info.Group = strconv.FormatUint(uint64(st.Gid), 10)
		if u, err := user.LookupId(info.Owner); err == nil {
			info.Owner = u.Username
		}
		if g, err := user.LookupGroupId(info.Group); err == nil {
			info.Group = g.Name
		}
	}
	return info
}

func (b localFS) stat(ctx context.Context, l location) (FileInfo, error) {
	if err := b.check(ctx, "stat", l); err != nil {
		return FileInfo{}, err
	}
	fi, err := os.Stat(l.path)
	if err != nil {
		return FileInfo{}, relabel("stat", l, err)
	}
	return localInfo(l, fi), nil
}

func (b localFS) list(ctx context.Context, l location) ([]FileInfo, error) {
	if err := b.check(ctx, "list", l); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(l.path)
	if err != nil {
		return nil, relabel("list", l, err)
	}
	out := make([]FileInfo, 0, len(entries))
	for _, e := range entries {
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed while listing
		}
		if err != nil {
			return nil, relabel("list", l, err)
		}
		out = append(out, localInfo(l.join(e.Name()), fi))
	}
	return out, nil
}

func (b localFS) open(ctx context.Context, l location) (File, error) {
	if err := b.check(ctx, "open", l); err != nil {
		return nil, err
	}
	f, err := os.Open(l.path)
	if err != nil {
		return nil, relabel("open", l, err)
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		_ = f.Close() // read-only, and the open fails anyway
		return nil, &fs.PathError{Op: "open", Path: l.String(), Err: fmt.Errorf("%w: is a folder", fs.ErrInvalid)}
	}
	return f, nil
}

func (b localFS) create(ctx context.Context, l location, perm fs.FileMode) (io.WriteCloser, error) {
	if err := b.check(ctx, "create", l); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(l.path), 0o755); err != nil {
		return nil, relabel("create", l, err)
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return nil, relabel("create", l, err)
	}
	if err := f.Chmod(perm & fs.ModePerm); err != nil {
		// Undo the create; the chmod error is the one to report.
		_ = f.Close()
		_ = os.Remove(l.path)
		return nil, relabel("create", l, err)
	}
	return f, nil
}

func (b localFS) rename(ctx context.Context, from, to location) error {
	if err := b.check(ctx, "rename", from); err != nil {
		return err
	}
	if err := os.Rename(from.path, to.path); err != nil {
		return relabel("rename", from, err)
	}
	return nil
}

func (b localFS) removeAll(ctx context.Context, l location) error {
	if err := b.check(ctx, "remove", l); err != nil {
		return err
	}
	if err := os.RemoveAll(l.path); err != nil {
		return relabel("remove", l, err)
	}
	return nil
}

func (b localFS) mkdirAll(ctx context.Context, l location, perm fs.FileMode) error {
	if err := b.check(ctx, "mkdir", l); err != nil {
		return err
	}
	if err := os.MkdirAll(l.path, perm); err != nil {
		return relabel("mkdir", l, err)
	}
	return nil
}

func (localFS) close() error { return nil }
