package contract

import (
	"testing"

	"github.com/rs/zerolog"
)

func TestLogLevel(t *testing.T) {
	for _, tc := range []struct {
		name, val string
		want      zerolog.Level
		err       bool
	}{
		{"unset keeps the default", "", zerolog.WarnLevel, false},
		{"debug", "debug", zerolog.DebugLevel, false},
		{"upper case", "DEBUG", zerolog.DebugLevel, false},
		{"typo", "inf", zerolog.WarnLevel, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LogLevel(func(k string) string {
				if k != EnvLogLevel {
					t.Fatalf("read %s", k)
				}
				return tc.val
			}, zerolog.WarnLevel)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("LogLevel(%q) = %v, %v; want %v, error %v", tc.val, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestTaskManagerCommandQuotes(t *testing.T) {
	got := TaskManagerCommand([]string{"--input", "hdfs:///in put", "it's"})
	want := `./job --input 'hdfs:///in put' 'it'\''s' 1><LOG_DIR>/taskmanager.out 2><LOG_DIR>/taskmanager.err`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
