package integration

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/rs/zerolog"
)

// webHDFS is a second client, independent of colinmarc: the NameNode's
// REST API over HTTP.
type webHDFS struct {
	base string // http://host:port/webhdfs/v1
	user string
}

type webStatus struct {
	PathSuffix       string `json:"pathSuffix"`
	Type             string `json:"type"`
	Length           int64  `json:"length"`
	ModificationTime int64  `json:"modificationTime"`
	Permission       string `json:"permission"`
	Owner            string `json:"owner"`
}

// get runs op on p; a 404 returns the RemoteException class.
func (w webHDFS) get(t *testing.T, p, op string, out any) (notFound string) {
	t.Helper()
	u := w.base + (&url.URL{Path: p}).EscapedPath() + "?op=" + op + "&user.name=" + url.QueryEscape(w.user)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("webhdfs %s %s: %v", op, p, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusNotFound {
		var e struct {
			RemoteException struct{ Exception string } `json:"RemoteException"`
		}
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("webhdfs %s %s: %s: %v: %s", op, p, resp.Status, err, body)
		}
		return e.RemoteException.Exception
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhdfs %s %s: %s: %s", op, p, resp.Status, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("webhdfs %s %s: %v: %s", op, p, err, body)
	}
	return ""
}

func (w webHDFS) stat(t *testing.T, p string) (webStatus, bool) {
	t.Helper()
	var r struct{ FileStatus webStatus }
	if nf := w.get(t, p, "GETFILESTATUS", &r); nf != "" {
		return webStatus{}, false
	}
	return r.FileStatus, true
}

func (w webHDFS) list(t *testing.T, p string) []webStatus {
	t.Helper()
	var r struct {
		FileStatuses struct{ FileStatus []webStatus }
	}
	if nf := w.get(t, p, "LISTSTATUS", &r); nf != "" {
		t.Fatalf("LISTSTATUS %s: %s", p, nf)
	}
	return r.FileStatuses.FileStatus
}

func newStore(t *testing.T, h *conf.Hadoop, user string) *hdfsstore.Store {
	t.Helper()
	s, err := hdfsstore.New(context.Background(), hdfsstore.Options{Hadoop: h, User: user, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func hashOf(t *testing.T, r io.Reader) [32]byte {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// writeRandomFile writes size pseudo-random bytes (a fixed seed) to p and
// returns their SHA-256; the buffer is garbage once it returns.
func writeRandomFile(t *testing.T, p string, size int) [32]byte {
	t.Helper()
	b := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i+8 <= len(b); i += 8 {
		v := rng.Uint64()
		for k := 0; k < 8; k++ {
			b[i+k] = byte(v >> (8 * k))
		}
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestHDFSRoundTrip(t *testing.T) {
	c := requireCluster(t)
	h, err := conf.LoadHadoop(c.ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s := newStore(t, h, "")
	web := webHDFS{base: "http://" + conf.ConnectAddress(h.Get(conf.KeyNameNodeHTTP)) + "/webhdfs/v1", user: s.User()}
	base := client.StagingRoot(conf.New(), s.User()) + "/" + fmt.Sprintf("itest_%d", time.Now().UnixNano())
	t.Cleanup(func() { _ = s.RemoveAll(context.Background(), base) }) // best effort: staging space of a test

	// A 64 MiB file of pseudo-random bytes.
	local := t.TempDir()
	bigPath := filepath.Join(local, "big.bin")
	wantHash := writeRandomFile(t, bigPath, 64<<20)

	var reports int
	var lastDone, lastTotal int64
	dst := base + "/big.bin"
	if err := s.Upload(ctx, bigPath, dst, func(done, total int64) {
		reports++
		lastDone, lastTotal = done, total
	}); err != nil {
		t.Fatal(err)
	}
	if lastDone != 64<<20 || lastTotal != 64<<20 || reports < 64 {
		t.Fatalf("progress: %d reports, last %d/%d", reports, lastDone, lastTotal)
	}
	fi, err := s.Stat(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	ws, ok := web.stat(t, dst)
	if !ok {
		t.Fatalf("webhdfs does not see %s", dst)
	}
	if fi.Size != 64<<20 || fi.Size != ws.Length || fi.ModTimeMillis() != ws.ModificationTime || ws.Type != "FILE" {
		t.Fatalf("stat %+v (millis %d) vs webhdfs %+v", fi, fi.ModTimeMillis(), ws)
	}
	t.Logf("64 MiB file: size %d, mtime %d ms (both clients agree)", fi.Size, fi.ModTimeMillis())
	r, err := s.Open(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if got := hashOf(t, r); got != wantHash {
		t.Fatal("content hash differs after the round trip")
	}
	_ = r.Close() // read-only

	// A folder of 50 small files.
	folder := filepath.Join(local, "folder")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	want := map[string][32]byte{}
	for i := 0; i < 50; i++ {
		name := fmt.Sprintf("part-%02d.txt", i)
		content := []byte(fmt.Sprintf("file %d %s", i, string(make([]byte, i*37))))
		if err := os.WriteFile(filepath.Join(folder, name), content, 0o640); err != nil {
			t.Fatal(err)
		}
		want[name] = sha256.Sum256(content)
	}
	dstDir := base + "/folder"
	if err := s.Upload(ctx, folder, dstDir, nil); err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctx, dstDir)
	if err != nil {
		t.Fatal(err)
	}
	webList := web.list(t, dstDir)
	if len(list) != 50 || len(webList) != 50 {
		t.Fatalf("list: %d entries, webhdfs %d", len(list), len(webList))
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Path < list[j].Path })
	sort.Slice(webList, func(i, j int) bool { return webList[i].PathSuffix < webList[j].PathSuffix })
	for i, e := range list {
		w := webList[i]
		if path.Base(e.Path) != w.PathSuffix || e.Size != w.Length || e.ModTimeMillis() != w.ModificationTime ||
			fmt.Sprintf("%o", e.Mode.Perm()) != w.Permission {
			t.Fatalf("entry %d: store %+v (millis %d) vs webhdfs %+v", i, e, e.ModTimeMillis(), w)
		}
		r, err := s.Open(ctx, e.Path)
		if err != nil {
			t.Fatal(err)
		}
		if hashOf(t, r) != want[w.PathSuffix] {
			t.Fatalf("%s: content differs", w.PathSuffix)
		}
		_ = r.Close() // read-only
	}

	// Create with permissions.
	wc, err := s.Create(ctx, base+"/made/perm.txt", 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wc.Write([]byte("secret")); err != nil {
		t.Fatal(err)
	}
	if err := wc.Close(); err != nil {
		t.Fatal(err)
	}
	if ws, _ := web.stat(t, base+"/made/perm.txt"); ws.Permission != "600" || ws.Length != 6 {
		t.Fatalf("created file on webhdfs: %+v", ws)
	}
	if _, err := s.Create(ctx, base+"/made/perm.txt", 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("create over existing file: %v", err)
	}

	// Rename, delete, re-stat.
	moved := base + "/moved"
	if err := s.Rename(ctx, dstDir, moved); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, dstDir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat of renamed-away folder: %v", err)
	}
	if _, ok := web.stat(t, moved+"/part-07.txt"); !ok {
		t.Fatal("webhdfs does not see the renamed folder")
	}
	if err := s.RemoveAll(ctx, moved); err != nil {
		t.Fatal(err)
	}
	_, err = s.Stat(ctx, moved)
	var pe *fs.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) {
		t.Fatalf("stat after delete: %v, want *fs.PathError wrapping fs.ErrNotExist", err)
	}
	if _, ok := web.stat(t, moved); ok {
		t.Fatal("webhdfs still sees the deleted folder")
	}
}

// TestHDFSRemoteErrors checks that the NameNode's exception class and
// message reach the caller, including where colinmarc drops them.
func TestHDFSRemoteErrors(t *testing.T) {
	c := requireCluster(t)
	h, err := conf.LoadHadoop(c.ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := newStore(t, h, "")
	base := client.StagingRoot(conf.New(), s.User()) + "/" + fmt.Sprintf("itest_err_%d", time.Now().UnixNano())
	t.Cleanup(func() { _ = s.RemoveAll(context.Background(), base) }) // best effort: staging space of a test

	// mkdir below a file: ParentNotDirectoryException.
	w, err := s.Create(ctx, base+"/file", 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	err = s.MkdirAll(ctx, base+"/file/sub", 0o755)
	var re *hdfsstore.RemoteError
	if !errors.As(err, &re) || re.Class != "org.apache.hadoop.fs.ParentNotDirectoryException" || !errors.Is(err, fs.ErrInvalid) {
		t.Fatalf("mkdir below a file: %v (%#v)", err, re)
	}
	t.Logf("mkdir below a file: %v", err)

	// Another user reading a private folder: AccessControlException, which
	// colinmarc maps to os.ErrPermission and drops the message of.
	if err := s.MkdirAll(ctx, base+"/private", 0o700); err != nil {
		t.Fatal(err)
	}
	w, err = s.Create(ctx, base+"/private/f", 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	intruder := newStore(t, h, "floe-intruder")
	_, err = intruder.List(ctx, base+"/private")
	re = nil
	if !errors.Is(err, fs.ErrPermission) || !errors.As(err, &re) ||
		re.Class != "org.apache.hadoop.security.AccessControlException" || !strings.Contains(re.Message, "floe-intruder") {
		t.Fatalf("list as another user: %v (%#v)", err, re)
	}
	t.Logf("list as another user: %v", err)
}

// TestHDFSCancelUpload cancels an upload half way: the call returns the
// context's error and the Store keeps working (it reconnects).
func TestHDFSCancelUpload(t *testing.T) {
	c := requireCluster(t)
	h, err := conf.LoadHadoop(c.ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t, h, "")
	base := client.StagingRoot(conf.New(), s.User()) + "/" + fmt.Sprintf("itest_cancel_%d", time.Now().UnixNano())
	t.Cleanup(func() { _ = s.RemoveAll(context.Background(), base) }) // best effort: staging space of a test
	src := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(src, make([]byte, 32<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	err = s.Upload(ctx, src, base+"/f", func(done, total int64) {
		if done >= 8<<20 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled upload: %v", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel2()
	if err := s.MkdirAll(ctx2, base+"/after", 0o755); err != nil {
		t.Fatalf("store unusable after a cancelled upload: %v", err)
	}
	if fi, err := s.Stat(ctx2, base+"/after"); err != nil || !fi.IsDir {
		t.Fatalf("stat after cancel: %+v %v", fi, err)
	}
}
