package conf

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Type is the type of an option's value.
type Type int

// The option types. Values are written as text in the file and with -D and
// parsed the way Flink parses them.
const (
	TypeString   Type = iota
	TypeInt           // decimal integer, may be negative
	TypeDuration      // "30 s", "30s", "1 min", "500" (milliseconds), "1h30m"
	TypeMemory        // "256m", "1g", "512mb", "1024" (bytes); binary units
	TypeBool          // "true" or "false"
	TypeList          // ";"-separated, as in Flink: "a;b;c"
)

// String returns the name the type has in `floe config` and in errors.
func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeInt:
		return "int"
	case TypeDuration:
		return "duration"
	case TypeMemory:
		return "memory"
	case TypeBool:
		return "bool"
	case TypeList:
		return "list"
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// example is a good value of the type, quoted in parse errors.
func (t Type) example() string {
	switch t {
	case TypeInt:
		return "4"
	case TypeDuration:
		return `"30 s", "500 ms" or "1 min"`
	case TypeMemory:
		return `"256m", "1g" or "512mb"`
	case TypeBool:
		return `"true" or "false"`
	case TypeList:
		return `"a;b;c"`
	}
	return `"text"`
}

// MemorySize is a number of bytes.
type MemorySize int64

// Common memory sizes.
const (
	Byte MemorySize = 1
	KiB             = 1024 * Byte
	MiB             = 1024 * KiB
	GiB             = 1024 * MiB
	TiB             = 1024 * GiB
)

// Bytes returns the size in bytes.
func (m MemorySize) Bytes() int64 { return int64(m) }

// MiB returns the size in whole mebibytes, rounded down (YARN asks for MB).
func (m MemorySize) MiB() int64 { return int64(m / MiB) }

// String prints the size with the largest unit that divides it exactly,
// in the form ParseMemorySize reads ("256m", "1g", "1536k", "17b").
func (m MemorySize) String() string {
	switch {
	case m == 0:
		return "0b"
	case m%TiB == 0:
		return strconv.FormatInt(int64(m/TiB), 10) + "t"
	case m%GiB == 0:
		return strconv.FormatInt(int64(m/GiB), 10) + "g"
	case m%MiB == 0:
		return strconv.FormatInt(int64(m/MiB), 10) + "m"
	case m%KiB == 0:
		return strconv.FormatInt(int64(m/KiB), 10) + "k"
	}
	return strconv.FormatInt(int64(m), 10) + "b"
}

var memoryUnits = map[string]MemorySize{
	"": Byte, "b": Byte, "bytes": Byte,
	"k": KiB, "kb": KiB, "kibibytes": KiB,
	"m": MiB, "mb": MiB, "mebibytes": MiB,
	"g": GiB, "gb": GiB, "gibibytes": GiB,
	"t": TiB, "tb": TiB, "tebibytes": TiB,
}

// ParseMemorySize reads a memory size as Flink's MemorySize.parse does: a
// non-negative integer followed by an optional unit (b, k/kb, m/mb, g/gb,
// t/tb, case-insensitive, binary multiples). No unit means bytes.
func ParseMemorySize(s string) (MemorySize, error) {
	num, unit, err := splitNumber(s)
	if err != nil {
		return 0, err
	}
	mult, ok := memoryUnits[strings.ToLower(unit)]
	if !ok {
		return 0, fmt.Errorf("unknown memory unit %q", unit)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", num)
	}
	if n > math.MaxInt64/int64(mult) {
		return 0, fmt.Errorf("%s overflows 64 bits", s)
	}
	return MemorySize(n) * mult, nil
}

var durationUnits = map[string]time.Duration{
	"ns": time.Nanosecond, "nano": time.Nanosecond, "nanos": time.Nanosecond,
	"nanosecond": time.Nanosecond, "nanoseconds": time.Nanosecond,
	"us": time.Microsecond, "µs": time.Microsecond, "micro": time.Microsecond, "micros": time.Microsecond,
	"microsecond": time.Microsecond, "microseconds": time.Microsecond,
	"": time.Millisecond, "ms": time.Millisecond, "milli": time.Millisecond, "millis": time.Millisecond,
	"millisecond": time.Millisecond, "milliseconds": time.Millisecond,
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
}

// ParseDuration reads a duration as Flink's TimeUtils.parseDuration does: a
// non-negative integer, optional spaces and an optional unit ("30 s", "30s",
// "1 min", "2 h", "1 d"); no unit means milliseconds. Go's own compound form
// ("1h30m", "1.5s") is accepted too.
func ParseDuration(s string) (time.Duration, error) {
	num, unit, err := splitNumber(s)
	if err == nil {
		mult, ok := durationUnits[strings.ToLower(unit)]
		if ok {
			n, err := strconv.ParseInt(num, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%q is not a whole number", num)
			}
			if n > math.MaxInt64/int64(mult) {
				return 0, fmt.Errorf("%s overflows", s)
			}
			return time.Duration(n) * mult, nil
		}
	}
	if d, gerr := time.ParseDuration(strings.TrimSpace(s)); gerr == nil && d >= 0 {
		return d, nil
	}
	if err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("unknown time unit in %q", s)
}

// FormatDuration prints d in the largest Flink unit that divides it exactly
// ("30 s", "1 min", "500 ms"), so that ParseDuration reads it back.
func FormatDuration(d time.Duration) string {
	units := []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "min"}, {time.Second, "s"}, {time.Millisecond, "ms"}, {time.Microsecond, "us"}}
	if d == 0 {
		return "0 ms"
	}
	for _, u := range units {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + " " + u.name
		}
	}
	return strconv.FormatInt(int64(d), 10) + " ns"
}

// splitNumber splits "  30 min " into "30" and "min".
func splitNumber(s string) (num, unit string, err error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		if t == "" {
			return "", "", fmt.Errorf("empty value")
		}
		return "", "", fmt.Errorf("%q does not start with a number", s)
	}
	num, unit = t[:i], strings.TrimSpace(t[i:])
	for _, r := range unit {
		if !unicode.IsLetter(r) {
			return "", "", fmt.Errorf("%q has an unexpected %q after the number", s, r)
		}
	}
	return num, unit, nil
}

// ParseBool reads "true" or "false", in any case.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is neither true nor false", s)
}

// ParseList splits a Flink list value on ";" and drops empty items.
func ParseList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ";") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parseValue checks that s is a valid value of type t and returns it in its
// typed form.
func parseValue(t Type, s string) (any, error) {
	switch t {
	case TypeString:
		return s, nil
	case TypeInt:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", s)
		}
		return n, nil
	case TypeDuration:
		return ParseDuration(s)
	case TypeMemory:
		return ParseMemorySize(s)
	case TypeBool:
		return ParseBool(s)
	case TypeList:
		return ParseList(s), nil
	}
	return nil, fmt.Errorf("unknown type %v", t)
}
