package contract

import (
	"fmt"

	"github.com/rs/zerolog"
)

// LogLevel is the level EnvLogLevel asks for, read through getenv
// (usually os.Getenv); def when it is unset. A value zerolog does not know
// is an error naming the variable and the accepted values.
func LogLevel(getenv func(string) string, def zerolog.Level) (zerolog.Level, error) {
	s := getenv(EnvLogLevel)
	if s == "" {
		return def, nil
	}
	l, err := zerolog.ParseLevel(s)
	if err != nil || l == zerolog.NoLevel {
		return def, fmt.Errorf("%s=%q: want trace, debug, info, warn, error, fatal, panic or disabled", EnvLogLevel, s)
	}
	return l, nil
}
