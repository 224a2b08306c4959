package conf

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseMemorySize(t *testing.T) {
	tests := []struct {
		name, in string
		want     MemorySize
		wantErr  string
	}{
		{"mebibytes short", "256m", 256 * MiB, ""},
		{"gibibytes", "1g", GiB, ""},
		{"mb suffix", "512mb", 512 * MiB, ""},
		{"upper case with space", "2 GB", 2 * GiB, ""},
		{"kibibytes long", "4 kibibytes", 4 * KiB, ""},
		{"plain bytes", "1024", 1024, ""},
		{"bytes unit", "17b", 17, ""},
		{"terabytes", "1t", TiB, ""},
		{"unknown unit", "12x", 0, `unknown memory unit "x"`},
		{"fraction", "1.5g", 0, "unexpected"},
		{"negative", "-1m", 0, "does not start with a number"},
		{"empty", "", 0, "empty value"},
		{"overflow", "99999999999t", 0, "overflows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMemorySize(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseMemorySize(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseMemorySize(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			back, err := ParseMemorySize(got.String())
			if err != nil || back != got {
				t.Fatalf("round trip of %v via %q = %v, %v", got, got.String(), back, err)
			}
		})
	}
}

func TestMemorySizeString(t *testing.T) {
	for in, want := range map[MemorySize]string{0: "0b", 256 * MiB: "256m", GiB: "1g", 1536 * KiB: "1536k", 17: "17b"} {
		if got := in.String(); got != want {
			t.Errorf("MemorySize(%d).String() = %q, want %q", int64(in), got, want)
		}
	}
	if got := (300 * MiB).MiB(); got != 300 {
		t.Errorf("MiB() = %d", got)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		name, in string
		want     time.Duration
		wantErr  bool
	}{
		{"seconds with space", "30 s", 30 * time.Second, false},
		{"seconds", "30s", 30 * time.Second, false},
		{"minute word", "1 min", time.Minute, false},
		{"minutes long", "2 minutes", 2 * time.Minute, false},
		{"bare millis", "500", 500 * time.Millisecond, false},
		{"ms", "250ms", 250 * time.Millisecond, false},
		{"hours", "2 h", 2 * time.Hour, false},
		{"day", "1 d", 24 * time.Hour, false},
		{"upper case", "10 S", 10 * time.Second, false},
		{"go compound", "1h30m", 90 * time.Minute, false},
		{"go fraction", "1.5s", 1500 * time.Millisecond, false},
		{"unknown unit", "5 fortnights", 0, true},
		{"empty", "", 0, true},
		{"words", "soon", 0, true},
		{"negative", "-5 s", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseDuration(%q) = %v, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			back, err := ParseDuration(FormatDuration(got))
			if err != nil || back != got {
				t.Fatalf("round trip of %v via %q = %v, %v", got, FormatDuration(got), back, err)
			}
		})
	}
}

func TestParseBoolAndList(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "FALSE": false, " True ": true} {
		if got, err := ParseBool(in); err != nil || got != want {
			t.Errorf("ParseBool(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseBool("yes"); err == nil {
		t.Error("ParseBool(yes) succeeded")
	}
	got := ParseList(" a ; b;;c ")
	if strings.Join(got, "|") != "a|b|c" {
		t.Errorf("ParseList = %q", got)
	}
	if ParseList("") != nil {
		t.Error("ParseList(\"\") is not nil")
	}
}

func TestDeclarations(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range Declared() {
		if seen[o.Key] {
			t.Errorf("%s declared twice", o.Key)
		}
		seen[o.Key] = true
		if o.Doc == "" || strings.Contains(o.Doc, "\n") {
			t.Errorf("%s: doc must be one line", o.Key)
		}
		if _, err := parseValue(o.Type, o.Default); err != nil {
			t.Errorf("%s: default %q is not a valid %v: %v", o.Key, o.Default, o.Type, err)
		}
	}
	if _, ok := Lookup(YarnApplicationQueue); !ok {
		t.Fatal("Lookup(yarn.application.queue) failed")
	}
	if _, ok := Lookup("no.such.key"); ok {
		t.Fatal("Lookup(no.such.key) succeeded")
	}
}

func TestGetters(t *testing.T) {
	c := New()
	// Every declared key is readable through the getter of its type.
	for _, o := range Declared() {
		switch o.Type {
		case TypeString:
			_ = c.String(o.Key)
		case TypeInt:
			_ = c.Int(o.Key)
		case TypeDuration:
			_ = c.Duration(o.Key)
		case TypeMemory:
			_ = c.Memory(o.Key)
		case TypeBool:
			_ = c.Bool(o.Key)
		case TypeList:
			_ = c.List(o.Key)
		}
	}
	if got := c.String(YarnApplicationQueue); got != "default" {
		t.Errorf("queue = %q", got)
	}
	if got := c.String(YarnApplicationType); got != "Floe" {
		t.Errorf("type = %q", got)
	}
	if got := c.Duration(TaskManagerTimeout); got != 30*time.Second {
		t.Errorf("taskmanager-timeout = %v", got)
	}
	if got := c.Memory(JobManagerProcessSize); got != 256*MiB {
		t.Errorf("jobmanager memory = %v", got)
	}
	if got := c.Int(TaskManagerSlots); got != 1 {
		t.Errorf("slots = %d", got)
	}
	mustPanic(t, "undeclared", func() { c.String("no.such.key") })
	mustPanic(t, "wrong type", func() { c.Int(YarnApplicationQueue) })
}

func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}

func TestNearest(t *testing.T) {
	known := []string{YarnApplicationName, YarnApplicationQueue, TaskManagerSlots, ParallelismDefault}
	tests := []struct{ in, want string }{
		{"yarn.aplication.name", YarnApplicationName},
		{"yarn.application.queu", YarnApplicationQueue},
		{"taskmanager.numberoftaskslots", TaskManagerSlots},
		{"parallelism.defualt", ParallelismDefault},
		{"completely.different.thing", ""},
	}
	for _, tc := range tests {
		if got := Nearest(tc.in, known); got != tc.want {
			t.Errorf("Nearest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseValueErrorsAreTyped(t *testing.T) {
	c := New()
	err := c.Set(TaskManagerProcessSize, "lots")
	if err == nil {
		t.Fatal("Set accepted a bad memory size")
	}
	if !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("err = %v, want ErrInvalidValue", err)
	}
	for _, want := range []string{TaskManagerProcessSize, `"lots"`, `"256m"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}
