package exampleargs

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// Set is a job's flags with the shared checks of Parse.
type Set struct {
	*flag.FlagSet
	required []string
	rate     *float64
	rateUnit string
	ooo      *string
	oooTo    *time.Duration
}

// New returns the flag set of the job name; its errors are returned, not
// printed (Main prints them once).
func New(name string) *Set {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &Set{FlagSet: fs}
}

// Required declares a string flag that must be given a value.
func (s *Set) Required(p *string, name, usage string) {
	s.StringVar(p, name, "", usage)
	s.required = append(s.required, name)
}

// Rate declares --rate, unit per second per source subtask (0: unlimited).
func (s *Set) Rate(p *float64, unit string) {
	s.Float64Var(p, "rate", 0, unit+" per second per source subtask (0: unlimited)")
	s.rate, s.rateUnit = p, unit
}

// OutOfOrderness declares --out-of-orderness (default 0s), parsed into p.
func (s *Set) OutOfOrderness(p *time.Duration, usage string) {
	s.ooo = s.String("out-of-orderness", "0s", usage)
	s.oooTo = p
}

// Parse parses args and checks them: the required flags, the rate, stray
// arguments and the out-of-orderness.
func (s *Set) Parse(args []string) error {
	if err := s.FlagSet.Parse(args); err != nil {
		return err
	}
	for _, name := range s.required {
		if s.Lookup(name).Value.String() == "" {
			return fmt.Errorf("--%s is required", name)
		}
	}
	if s.rate != nil && *s.rate < 0 {
		return fmt.Errorf("--rate %v: want 0 (unlimited) or more %s per second", *s.rate, s.rateUnit)
	}
	if s.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: every option is a flag (--name value)", s.Arg(0))
	}
	if s.ooo != nil {
		d, err := parseOutOfOrderness(*s.ooo)
		if err != nil {
			return err
		}
		*s.oooTo = d
	}
	return nil
}

// parseOutOfOrderness parses --out-of-orderness: a Go duration, not
// negative, in whole milliseconds.
func parseOutOfOrderness(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return 0, fmt.Errorf("--out-of-orderness %q: want a Go duration such as 500ms or 2s", v)
	case d < 0:
		return 0, fmt.Errorf("--out-of-orderness %q: must not be negative", v)
	case d%time.Millisecond != 0:
		return 0, fmt.Errorf("--out-of-orderness %q: want whole milliseconds (event time is in milliseconds)", v)
	}
	return d, nil
}

// Main parses the process's arguments with parse. -h or --help prints
// usage and exits 0; a usage error prints "name: error" and usage on
// standard error and exits 2.
func Main[O any](name, usage string, parse func(args []string) (O, error)) O {
	o, err := parse(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Println(usage)
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n%s\n", name, err, usage)
		os.Exit(2)
	}
	return o
}
