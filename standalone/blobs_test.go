package standalone

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
)

func writeFile(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "job")
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// blobServer serves the blob routes with signature checks, as the
// JobManager's server does.
func blobServer(t *testing.T, b *BlobStore, secret []byte) *httptest.Server {
	t.Helper()
	ver := api.NewVerifier(secret)
	mux := http.NewServeMux()
	for pattern, h := range b.Routes() {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				t.Errorf("read: %v", err)
			}
			if err := ver.Verify(r, body, time.Now()); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			h(w, r, body)
		})
	}
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func TestBlobUploadDownload(t *testing.T) {
	store, err := NewBlobStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("0123456789abcdef0123456789abcdef")
	srv := blobServer(t, store, secret)
	c := api.NewClient(strings.TrimPrefix(srv.URL, "http://"), secret)
	data := []byte(strings.Repeat("job binary bytes ", 1000))
	ref, err := Upload(context.Background(), c, writeFile(t, data))
	sum := sha256.Sum256(data)
	if err != nil || ref != BlobPrefix+hex.EncodeToString(sum[:]) {
		t.Fatalf("Upload = %q, %v", ref, err)
	}
	p, err := store.Resolve(ref)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != string(data) {
		t.Fatal("stored blob differs")
	}
	cache := t.TempDir()
	got, err := Download(context.Background(), c, strings.TrimPrefix(ref, BlobPrefix), cache)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(got); string(b) != string(data) {
		t.Fatal("downloaded blob differs")
	}
	if st, _ := os.Stat(got); st.Mode().Perm()&0o100 == 0 {
		t.Fatalf("downloaded job binary mode %v: want executable", st.Mode())
	}
	// A wrong secret is refused.
	if _, err := Upload(context.Background(), api.NewClient(c.Addr, []byte("another secret of 32 bytes......")), writeFile(t, data)); err == nil {
		t.Fatal("upload with a wrong secret accepted")
	}
	// Unknown blobs and bad digests are errors.
	if _, err := Download(context.Background(), c, strings.Repeat("0", 64), t.TempDir()); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("download of a missing blob: %v", err)
	}
	if err := store.Put(strings.Repeat("1", 64), data); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("Put with a wrong digest: %v", err)
	}
	if _, err := store.Resolve(BlobPrefix + strings.Repeat("2", 64)); err == nil {
		t.Fatal("Resolve of a missing blob succeeded")
	}
	if p, err := store.Resolve("/local/job"); err != nil || p != "/local/job" {
		t.Fatalf("Resolve of a local path = %q, %v", p, err)
	}
}

func TestFindSecretFile(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"FLOE_CONF_DIR": dir}
	getenv := func(k string) string { return env[k] }
	if _, err := FindSecretFile(getenv, "jm:8081"); err == nil || !strings.Contains(err.Error(), SecretFileName) ||
		!strings.Contains(err.Error(), "FLOE_SECRET_FILE") || !strings.Contains(err.Error(), "jm:8081") {
		t.Fatalf("no secret: %v", err)
	}
	f := filepath.Join(dir, SecretFileName)
	if err := os.WriteFile(f, []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := FindSecretFile(getenv, "jm:8081"); err != nil || got != f {
		t.Fatalf("FindSecretFile = %q, %v; want %s", got, err, f)
	}
	env["FLOE_SECRET_FILE"] = "/elsewhere"
	if got, _ := FindSecretFile(getenv, "jm:8081"); got != "/elsewhere" {
		t.Fatalf("FLOE_SECRET_FILE not preferred: %q", got)
	}
}
