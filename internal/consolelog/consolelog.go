// Package consolelog builds the human-readable zerolog loggers of Floe's
// commands. Colour goes only to a terminal: a log redirected to a file
// (scripts/start-cluster.sh's jobmanager.log, a TaskManager's log) never
// holds escape codes.
package consolelog

import (
	"fmt"
	"os"
	"strings"
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

// NewOneLine is New whose field values are cut to their first line: for a
// console where the full text of an error (a panic's stack) is printed
// once elsewhere, readably, rather than escaped on every log line.
func NewOneLine(f *os.File, lvl zerolog.Level) zerolog.Logger {
	cut := func(i any) string {
		// The writer hands over strings already quoted, newlines escaped.
		s := fmt.Sprint(i)
		if j := strings.Index(s, `\n`); j >= 0 {
			s = s[:j] + " …"
			if strings.HasPrefix(s, `"`) {
				s += `"`
			}
		}
		if j := strings.IndexByte(s, '\n'); j >= 0 {
			s = s[:j] + " …"
		}
		return s
	}
	w := zerolog.ConsoleWriter{Out: f, TimeFormat: time.RFC3339, NoColor: !IsTerminal(f), FormatFieldValue: cut, FormatErrFieldValue: cut}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger()
}
