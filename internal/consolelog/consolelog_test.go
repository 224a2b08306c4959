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

func TestOneLineFields(t *testing.T) {
	p := filepath.Join(t.TempDir(), "console")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	log := NewOneLine(f, zerolog.InfoLevel)
	log.Warn().Str("cause", "operator panicked: boom\ngoroutine 7 [running]:\nmain.f()").Msg("job state")
	log.Error().Err(errorString("first\nsecond")).Msg("task failed")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	out := string(b)
	if strings.Contains(out, "goroutine") || strings.Contains(out, "second") || !strings.Contains(out, "operator panicked: boom") ||
		!strings.Contains(out, "first") || strings.Count(out, "\n") != 2 {
		t.Fatalf("one-line console output:\n%s", out)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
