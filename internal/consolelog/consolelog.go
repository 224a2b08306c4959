// Package consolelog builds the human-readable zerolog loggers of Floe's
// commands. Colour goes only to a terminal: a log redirected to a file
// (scripts/start-cluster.sh's jobmanager.log, a TaskManager's log) never
// holds escape codes.
package consolelog

import (
	"os"
	"time"

	"github.com/rs/zerolog"
)

// New is a console logger on f at level lvl, with timestamps, coloured
// only when f is a terminal.
func New(f *os.File, lvl zerolog.Level) zerolog.Logger {
	w := zerolog.ConsoleWriter{Out: f, TimeFormat: time.RFC3339, NoColor: !IsTerminal(f)}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger()
}

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
