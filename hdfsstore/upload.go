package hdfsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// uploadChunk is how much Upload copies between progress reports and
// context checks.
const uploadChunk = 1 << 20

// Upload copies a local file or folder to dst. A file becomes the file dst;
// a folder becomes the folder dst with the same tree below it. Files keep
// their permission bits; folders are made with 0755. progress, when not
// nil, is called with the bytes copied so far and the total, first with
// done = 0 and last with done = total. Existing files at the destination
// are an error (fs.ErrExist): stage into a fresh folder.
func (s *Store) Upload(ctx context.Context, local, dst string, progress func(done, total int64)) error {
	root, err := os.Stat(local)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	type job struct {
		src, dst string
		size     int64
		mode     fs.FileMode
	}
	var jobs []job
	var dirs []string
	var total int64
	if !root.IsDir() {
		jobs = append(jobs, job{local, dst, root.Size(), root.Mode()})
		total = root.Size()
	} else {
		err := filepath.WalkDir(local, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(local, p)
			if err != nil {
				return err
			}
			target := path.Join(dst, filepath.ToSlash(rel))
			fi, err := os.Stat(p) // follow symlinks
			if err != nil {
				return err
			}
			switch {
			case fi.IsDir():
				if d.Type()&fs.ModeSymlink != 0 {
					return fmt.Errorf("%s: symlinked folders are not uploaded", p)
				}
				dirs = append(dirs, target)
			case fi.Mode().IsRegular():
				jobs = append(jobs, job{p, target, fi.Size(), fi.Mode()})
				total += fi.Size()
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("upload %s: %w", local, err)
		}
	}
	report := func(done int64) {
		if progress != nil {
			progress(done, total)
		}
	}
	report(0)
	for _, d := range dirs {
		if err := s.MkdirAll(ctx, d, 0o755); err != nil {
			return err
		}
	}
	var done int64
	buf := make([]byte, uploadChunk)
	for _, j := range jobs {
		n, err := s.uploadFile(ctx, j.src, j.dst, j.mode.Perm(), buf, func(n int64) { report(done + n) })
		if err != nil {
			return err
		}
		done += n
	}
	if len(jobs) == 0 {
		report(total)
	}
	return nil
}

func (s *Store) uploadFile(ctx context.Context, src, dst string, perm fs.FileMode, buf []byte, report func(int64)) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, fmt.Errorf("upload: %w", err)
	}
	defer in.Close() //nolint:errcheck // read-only source: a failed close loses nothing
	out, err := s.Create(ctx, dst, perm)
	if err != nil {
		return 0, err
	}
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			_ = out.Close() // abandoning the upload; the error below is the cause
			return n, fmt.Errorf("upload %s to %s: %w", src, dst, err)
		}
		k, rerr := in.Read(buf)
		if k > 0 {
			if _, werr := out.Write(buf[:k]); werr != nil {
				_ = out.Close() // abandoning the upload; the write error is the cause
				return n, werr
			}
			n += int64(k)
			report(n)
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			_ = out.Close() // abandoning the upload; the error below is the cause
			return n, fmt.Errorf("upload: read %s: %w", src, rerr)
		}
	}
	if err := out.Close(); err != nil {
		return n, err
	}
	return n, nil
}
