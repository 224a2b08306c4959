package standalone

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
)

var digestRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// BlobStore keeps job binaries on the JobManager's disk, by SHA-256.
type BlobStore struct {
	dir string
}

// NewBlobStore uses dir (created 0700 when missing).
func NewBlobStore(dir string) (*BlobStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	return &BlobStore{dir: dir}, nil
}

// Dir is the store's folder.
func (b *BlobStore) Dir() string { return b.dir }

// Path is where blob digest is kept, and whether it is there.
func (b *BlobStore) Path(digest string) (string, bool) {
	if !digestRE.MatchString(digest) {
		return "", false
	}
	p := filepath.Join(b.dir, digest)
	_, err := os.Stat(p)
	return p, err == nil
}

// Put stores data under digest, which must be its SHA-256.
func (b *BlobStore) Put(digest string, data []byte) error {
	if !digestRE.MatchString(digest) {
		return fmt.Errorf("blob %q: want 64 lowercase hex digits (SHA-256)", digest)
	}
	if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != digest {
		return fmt.Errorf("blob %s: the %d bytes sent have SHA-256 %x", digest, len(data), got)
	}
	return writeAtomic(filepath.Join(b.dir, digest), bytes.NewReader(data))
}

// Ingest copies a local file into the store and returns its digest.
func (b *BlobStore) Ingest(path string) (string, error) {
	digest, err := FileDigest(path)
	if err != nil {
		return "", err
	}
	if _, ok := b.Path(digest); ok {
		return digest, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	return digest, writeAtomic(filepath.Join(b.dir, digest), f)
}

// Resolve turns a submission's binary (a local path or "blob:<sha256>")
// into a local file path.
func (b *BlobStore) Resolve(binary string) (string, error) {
	digest, ok := strings.CutPrefix(binary, BlobPrefix)
	if !ok {
		return binary, nil
	}
	p, ok := b.Path(digest)
	if !ok {
		return "", fmt.Errorf("job binary %s is not in the JobManager's blob store %s (was the JobManager restarted since the submission?)", binary, b.dir)
	}
	return p, nil
}

// Routes are the blob endpoints for jobmanager.ServerOptions.Routes.
func (b *BlobStore) Routes() map[string]jobmanager.RawHandler {
	return map[string]jobmanager.RawHandler{
		"PUT " + PathBlob: func(w http.ResponseWriter, r *http.Request, body []byte) {
			if err := b.Put(r.PathValue("digest"), body); err != nil {
				writeError(w, http.StatusBadRequest, err)
				return
			}
			writeJSON(w, http.StatusOK, map[string]string{"blob": BlobPrefix + r.PathValue("digest")})
		},
		"GET " + PathBlob: func(w http.ResponseWriter, r *http.Request, _ []byte) {
			p, ok := b.Path(r.PathValue("digest"))
			if !ok {
				writeError(w, http.StatusNotFound, fmt.Errorf("no blob %s", r.PathValue("digest")))
				return
			}
			w.Header().Set("Content-Type", "application/octet-stream")
			http.ServeFile(w, r, p)
		},
	}
}

// FileDigest is the SHA-256 of a file, in hex.
func FileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Upload sends a local job binary to the JobManager's blob store and
// returns the reference a submission names it by ("blob:<sha256>").
func Upload(ctx context.Context, c *api.Client, path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("upload job binary: %w", err)
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	resp, err := signedRequest(ctx, c, http.MethodPut, "/v1/blobs/"+digest, data)
	if err != nil {
		return "", fmt.Errorf("upload job binary %s: %w", path, err)
	}
	_ = resp.Body.Close()
	return BlobPrefix + digest, nil
}

// Download fetches blob digest into dir/<digest> unless it is there, and
// returns its path. The bytes are checked against the digest.
func Download(ctx context.Context, c *api.Client, digest, dir string) (string, error) {
	if !digestRE.MatchString(digest) {
		return "", fmt.Errorf("blob %q: want a SHA-256 in hex", digest)
	}
	p := filepath.Join(dir, digest)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	resp, err := signedRequest(ctx, c, http.MethodGet, "/v1/blobs/"+digest, nil)
	if err != nil {
		return "", fmt.Errorf("download job binary %s: %w", digest, err)
	}
	defer func() { _ = resp.Body.Close() }()
	h := sha256.New()
	if err := writeAtomic(p, io.TeeReader(resp.Body, h), func() error {
		if got := hex.EncodeToString(h.Sum(nil)); got != digest {
			return fmt.Errorf("download job binary %s: received bytes with SHA-256 %s", digest, got)
		}
		return nil
	}); err != nil {
		return "", err
	}
	return p, nil
}

// writeAtomic writes r to a hidden file next to p, runs the checks, makes
// it executable and renames it to p.
func writeAtomic(p string, r io.Reader, checks ...func() error) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // gone after the rename
	_, err = io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	for _, check := range checks {
		if err == nil {
			err = check()
		}
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o755)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// signedRequest sends body (raw bytes) signed with c's secret and returns
// the response of a 2xx answer; any other answer is an *api.RemoteError.
func signedRequest(ctx context.Context, c *api.Client, method, path string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+c.Addr+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if err := api.Sign(req, c.Secret, body, time.Now()); err != nil {
		return nil, err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("JobManager at %s: %w", c.Addr, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e api.Error
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	return nil, fmt.Errorf("%s %s: %w", method, path, &api.RemoteError{Status: resp.StatusCode, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, api.Error{Version: api.Version, Error: err.Error()})
}

var errClosed = errors.New("standalone driver closed")
