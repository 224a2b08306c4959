// Package rulescheck is the rules example's reference, for its tests and
// the integration tests: Reference computes by brute force, from the input
// lines alone, the firings the job must write; Generate makes out-of-order
// events and rule changes (deletions included) with a known disorder
// bound; Check compares a run's output with the reference.
//
// Reference implements the contract directly, without the job's core: for
// every user u, every distinct time t of an event of type X of u, and every
// rule id, it scans every line of that rule id for the one in force at t
// (the greatest validFrom ≤ t, the later line in the file among equal
// ones, whatever the order of the lines), and counts u's events of type X
// in (t − within, t] one by one.
package rulescheck

import (
	"bufio"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/floe-yarn/floe/examples/rules/job"
)

// Reference returns the sorted output lines the job must write for the
// events and rules lines.
func Reference(eventLines, ruleLines []string) ([]string, error) {
	var events []job.Event
	for i, l := range eventLines {
		e, ok, err := job.ParseEvent(l)
		if err != nil {
			return nil, fmt.Errorf("events line %d: %w", i+1, err)
		}
		if ok {
			events = append(events, e)
		}
	}
	var rules []job.Rule // in file order
	var ids []string
	for i, l := range ruleLines {
		r, ok, err := job.ParseRule(l)
		if err != nil {
			return nil, fmt.Errorf("rules line %d: %w", i+1, err)
		}
		if !ok {
			continue
		}
		rules = append(rules, r)
		if !slices.Contains(ids, r.ID) {
			ids = append(ids, r.ID)
		}
	}
	// inForce scans every line of id: the one with the greatest validFrom
	// ≤ t, the later one in the file among equal validFroms.
	inForce := func(id string, t int64) (job.Rule, bool) {
		found := -1
		for i, r := range rules {
			if r.ID == id && r.ValidFrom <= t && (found < 0 || r.ValidFrom >= rules[found].ValidFrom) {
				found = i
			}
		}
		if found < 0 || rules[found].Count == 0 {
			return job.Rule{}, false
		}
		return rules[found], true
	}
	seen := map[job.Firing]bool{}
	var out []string
	for _, e := range events {
		for _, id := range ids {
			r, ok := inForce(id, e.Time)
			if !ok || r.Type != e.Type {
				continue
			}
			n := int64(0)
			for _, o := range events {
				if o.User == e.User && o.Type == e.Type && o.Time > e.Time-r.Within && o.Time <= e.Time {
					n++
				}
			}
			f := job.Firing{User: e.User, Rule: id, Time: e.Time}
			if n >= r.Count && !seen[f] {
				seen[f] = true
				out = append(out, f.String())
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// Options shape generated input.
type Options struct {
	Events   int   // number of event lines
	Users    int   // distinct users
	Types    int   // distinct event types
	Disorder int64 // an event is at most this many ms before the latest one before it
	Rules    int   // number of rule lines (changes and deletions of a few ids)
	Seed     int64
}

// Generate returns events lines, out of order by at most o.Disorder ms
// (each event's time is at least the largest earlier time minus
// o.Disorder), and rule lines over the events' time span: new rules,
// changes of type, count and within, and deletions (count 0), some sharing
// a validFrom (the later line wins) — made in validFrom order, then a
// quarter of them moved to a random place, so that the file is not sorted
// by validFrom.
func Generate(o Options) (events, rules []string) {
	rng := rand.New(rand.NewSource(o.Seed))
	types := make([]string, max(o.Types, 1))
	for i := range types {
		types[i] = fmt.Sprintf("t%d", i)
	}
	var maxT, clock int64
	for range o.Events {
		clock += int64(rng.Intn(20))
		t := clock
		if o.Disorder > 0 && rng.Intn(3) == 0 {
			t = max(0, maxT-rng.Int63n(o.Disorder+1))
		}
		maxT = max(maxT, t)
		events = append(events, fmt.Sprintf("%d u%d %s", t, rng.Intn(max(o.Users, 1)), types[rng.Intn(len(types))]))
	}
	span := max(maxT, 1)
	from := int64(0)
	for i := range o.Rules {
		if i > 0 && rng.Intn(4) != 0 {
			from += rng.Int63n(span/int64(max(o.Rules, 1))*2 + 1)
		}
		count := int64(1 + rng.Intn(4))
		if i > 3 && rng.Intn(5) == 0 {
			count = 0
		}
		rules = append(rules, fmt.Sprintf("%d r%d %s %d %d", from, rng.Intn(4), types[rng.Intn(len(types))], count, 1+rng.Int63n(400)))
	}
	for range len(rules) / 4 {
		i, j := rng.Intn(len(rules)), rng.Intn(len(rules))
		l := rules[i]
		rules = slices.Insert(slices.Delete(rules, i, i+1), j, l)
	}
	return events, rules
}

// Check compares output lines with the reference's; the error names the
// first differences.
func Check(want, output []string) error {
	got := slices.Clone(output)
	slices.Sort(got)
	var problems []string
	count := map[string]int{}
	for _, l := range got {
		count[l]++
		if count[l] == 2 {
			problems = append(problems, fmt.Sprintf("%q written more than once", l))
		}
	}
	wanted := map[string]bool{}
	for _, l := range want {
		wanted[l] = true
		if count[l] == 0 {
			problems = append(problems, fmt.Sprintf("%q missing", l))
		}
	}
	for _, l := range got {
		if !wanted[l] {
			problems = append(problems, fmt.Sprintf("%q not a firing", l))
		}
	}
	if len(problems) > 0 {
		if len(problems) > 10 {
			problems = append(problems[:10], fmt.Sprintf("… %d problems", len(problems)))
		}
		return fmt.Errorf("rules output: %d lines, reference %d: %s", len(got), len(want), strings.Join(problems, "; "))
	}
	return nil
}

// ReadLines reads the non-blank lines of a file, or of every visible file
// of a folder (the sink's part files; names starting with "." or "_" are
// not committed).
func ReadLines(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	files := []string{path}
	if st.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			return nil, err
		}
		files = files[:0]
		for _, e := range ents {
			if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") && !strings.HasPrefix(e.Name(), "_") {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	}
	var out []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		lines, err := readAll(fh)
		_ = fh.Close() // read-only
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		out = append(out, lines...)
	}
	return out, nil
}

func readAll(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}
