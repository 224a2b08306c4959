package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/floe-yarn/floe/hdfsstore"
)

// Staged is a file on HDFS that a container can localize: YARN requires the
// LocalResource's size and timestamp to be exactly what the NameNode reports.
type Staged struct {
	// Path is the fully qualified location (hdfs://…).
	Path string
	// Size is the length in bytes.
	Size int64
	// ModTimeMillis is the NameNode's modification time in ms since the epoch.
	ModTimeMillis int64
	// Uploaded is how many bytes this call sent (0 when the cache had it).
	Uploaded int64
}

// Cache is the content-addressed binary cache under the staging root:
//
//	<root>/cache/<sha256>/<name>
//
// Flink re-uploads its lib/ on every submission; Floe uploads a given binary
// once. Entries are written under a temporary name and renamed into place, so
// concurrent submissions of the same binary never see half a file. The cache
// outlives applications: only the per-application folder is removed when an
// application ends.
type Cache struct {
	// Store reaches HDFS.
	Store *hdfsstore.Store
	// Root is the staging root, e.g. /user/<user>/.floe.
	Root string
}

// Put makes local available in the cache and returns where it is. progress,
// when not nil, is called while bytes are sent.
func (c *Cache) Put(ctx context.Context, local string, progress func(done, total int64)) (Staged, error) {
	sum, size, err := fileDigest(local)
	if err != nil {
		return Staged{}, fmt.Errorf("stage %s: %w", local, err)
	}
	dir := joinURI(c.Root, "cache", sum)
	dst := joinURI(dir, path.Base(local))
	if fi, err := c.Store.Stat(ctx, dst); err == nil && fi.Size == size {
		return Staged{Path: dst, Size: fi.Size, ModTimeMillis: fi.ModTimeMillis()}, nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Staged{}, fmt.Errorf("stage %s: %w", local, err)
	}
	if err := c.Store.MkdirAll(ctx, dir, 0o755); err != nil {
		return Staged{}, fmt.Errorf("stage %s: %w", local, err)
	}
	tmp := dst + ".tmp-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := c.Store.Upload(ctx, local, tmp, progress); err != nil {
		_ = c.Store.RemoveAll(context.WithoutCancel(ctx), tmp)
		return Staged{}, fmt.Errorf("stage %s: %w", local, err)
	}
	if err := c.Store.Rename(ctx, tmp, dst); err != nil {
		_ = c.Store.RemoveAll(context.WithoutCancel(ctx), tmp)
		// Another submission may have renamed the same content into place first.
		if fi, serr := c.Store.Stat(ctx, dst); serr == nil && fi.Size == size {
			return Staged{Path: dst, Size: fi.Size, ModTimeMillis: fi.ModTimeMillis(), Uploaded: size}, nil
		}
		return Staged{}, fmt.Errorf("stage %s: %w", local, err)
	}
	fi, err := c.Store.Stat(ctx, dst)
	if err != nil {
		return Staged{}, fmt.Errorf("stage %s: %w", local, err)
	}
	return Staged{Path: dst, Size: fi.Size, ModTimeMillis: fi.ModTimeMillis(), Uploaded: size}, nil
}

// fileDigest returns the hex SHA-256 and size of a local file.
func fileDigest(name string) (string, int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer func() { _ = f.Close() }() // read-only
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// progress returns an upload progress callback that shows a bar on out
// once an upload has taken more than a second: redrawn in place on a
// terminal, a line every two seconds (and at the end) elsewhere.
func progress(out io.Writer, name string) func(done, total int64) {
	start := time.Now()
	tty := isTerminal(out)
	var last time.Time
	return func(done, total int64) {
		now := time.Now()
		if now.Sub(start) < time.Second {
			return
		}
		every := 200 * time.Millisecond
		if !tty {
			every = 2 * time.Second
		}
		if done < total && now.Sub(last) < every {
			return
		}
		last = now
		if tty {
			fmt.Fprintf(out, "\rUploading %s %s", name, bar(done, total, 30))
			if done >= total {
				fmt.Fprintln(out)
			}
			return
		}
		fmt.Fprintf(out, "Uploading %s %s\n", name, bar(done, total, 30))
	}
}

// bar renders "[=====>    ]  45% 12.3/27.1 MB".
func bar(done, total int64, width int) string {
	if total <= 0 {
		total = 1
	}
	frac := float64(done) / float64(total)
	if frac > 1 {
		frac = 1
	}
	n := int(frac * float64(width))
	b := strings.Repeat("=", n)
	if n < width {
		b += ">" + strings.Repeat(" ", width-n-1)
	}
	return fmt.Sprintf("[%s] %3.0f%% %.1f/%.1f MB", b, frac*100, float64(done)/1e6, float64(total)/1e6)
}
