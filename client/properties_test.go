package client

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPropertiesRoundTrip(t *testing.T) {
	path := PropertiesPath(t.TempDir(), "alice")
	if filepath.Base(path) != ".yarn-properties-alice" {
		t.Fatalf("path = %s", path)
	}
	want := SessionProperties{
		AppID:   "application_1700000000000_0007",
		Dynamic: map[string]string{"taskmanager.numberOfTaskSlots": "2", "yarn.tags": "a:b=c"},
	}
	if err := WriteProperties(path, want); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	// Java's Properties.store escapes '=' and ':' inside values.
	if !strings.Contains(string(raw), `dynamicPropertiesString=taskmanager.numberOfTaskSlots\=2@@yarn.tags\=a\:b\=c`) {
		t.Fatalf("file content not in Java properties form:\n%s", raw)
	}
	got, err := ReadProperties(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.AppID != want.AppID || len(got.Dynamic) != 2 || got.Dynamic["yarn.tags"] != "a:b=c" || got.Dynamic["taskmanager.numberOfTaskSlots"] != "2" {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if err := RemoveProperties(path); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadProperties(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after remove: %v, want fs.ErrNotExist", err)
	}
	if err := RemoveProperties(path); err != nil {
		t.Fatalf("second remove: %v", err)
	}
}

func TestReadPropertiesFlinkFile(t *testing.T) {
	// A file as Flink's yarn-session.sh writes it.
	path := filepath.Join(t.TempDir(), ".yarn-properties-bob")
	content := "#Generated YARN properties file\n#Sat Nov 21 10:00:00 UTC 2026\n" +
		"dynamicPropertiesString=parallelism.default\\=4\n" +
		"applicationID=application_1700000000000_0001\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadProperties(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.AppID != "application_1700000000000_0001" || got.Dynamic["parallelism.default"] != "4" {
		t.Fatalf("got %+v", got)
	}
}

func TestReadPropertiesBad(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ name, content, wantErr string }{
		{"no app id", "dynamicPropertiesString=a\\=b\n", "has no applicationID"},
		{"garbage line", "applicationID=application_1_0001\nnonsense\n", ":2: no '='"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadProperties(p)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
