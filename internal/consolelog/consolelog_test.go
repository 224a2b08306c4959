package consolelog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestNoColourInFiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "jobmanager.log")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if IsTerminal(f) {
		t.Fatal("a regular file reported as a terminal")
	}
	log := New(f, zerolog.InfoLevel)
	log.Error().Str("job", "j1").Msg("failed")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "\x1b[") || !strings.Contains(string(b), "failed") || !strings.Contains(string(b), "job=j1") {
		t.Fatalf("log file content %q: want the message without escape codes", b)
	}
}
