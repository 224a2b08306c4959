package job

import (
	"fmt"
	"strconv"
	"strings"
)

// Event is one line of the events input: "<eventTimeMillis> <user>
// <eventType>".
type Event struct {
	Time int64
	User string
	Type string
}

// Rule is one line of the rules input: "<validFromMillis> <ruleId>
// <eventType> <count> <withinMillis>". Count 0 deletes the rule from
// ValidFrom on.
type Rule struct {
	ValidFrom int64
	ID        string
	Type      string
	Count     int64
	Within    int64
}

// Firing is one output line: "<user> <ruleId> <eventTimeMillis>".
type Firing struct {
	User string
	Rule string
	Time int64
}

func (f Firing) String() string {
	return f.User + " " + f.Rule + " " + strconv.FormatInt(f.Time, 10)
}

// ParseEvent parses an events line; ok is false for a blank line.
func ParseEvent(line string) (e Event, ok bool, err error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return Event{}, false, nil
	}
	if len(f) != 3 {
		return Event{}, false, fmt.Errorf("event line %q: want \"<eventTimeMillis> <user> <eventType>\"", line)
	}
	t, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return Event{}, false, fmt.Errorf("event line %q: event time %q is not an integer (milliseconds)", line, f[0])
	}
	return Event{Time: t, User: f[1], Type: f[2]}, true, nil
}

// ParseRule parses a rules line; ok is false for a blank line.
func ParseRule(line string) (r Rule, ok bool, err error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return Rule{}, false, nil
	}
	if len(f) != 5 {
		return Rule{}, false, fmt.Errorf("rule line %q: want \"<validFromMillis> <ruleId> <eventType> <count> <withinMillis>\"", line)
	}
	var n [3]int64
	for i, j := range []int{0, 3, 4} {
		if n[i], err = strconv.ParseInt(f[j], 10, 64); err != nil {
			return Rule{}, false, fmt.Errorf("rule line %q: field %d %q is not an integer", line, j+1, f[j])
		}
	}
	r = Rule{ValidFrom: n[0], ID: f[1], Type: f[2], Count: n[1], Within: n[2]}
	if r.Count < 0 || r.Within < 0 {
		return Rule{}, false, fmt.Errorf("rule line %q: count and within must not be negative", line)
	}
	return r, true, nil
}

// ParseFiring parses an output line.
func ParseFiring(line string) (Firing, error) {
	f := strings.Fields(line)
	if len(f) != 3 {
		return Firing{}, fmt.Errorf("output line %q: want \"<user> <ruleId> <eventTimeMillis>\"", line)
	}
	t, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return Firing{}, fmt.Errorf("output line %q: event time %q is not an integer", line, f[2])
	}
	return Firing{User: f[0], Rule: f[1], Time: t}, nil
}
