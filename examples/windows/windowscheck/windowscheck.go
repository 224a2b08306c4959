// Package windowscheck is the windows example's oracle, for its tests and
// the integration tests: a brute-force computation of the windows and
// late records of an input, written independently of the engine.
//
// Expected simulates the job record by record in input order: the
// watermark a record meets is the largest timestamp before it − the
// out-of-orderness − 1 ms; a window is late when its max timestamp
// (end − 1) <= that watermark; a record all of whose windows are late is
// a late record; a session window [ts, ts+gap) merges with every open
// session it overlaps or touches, and a session leaves (fires) once the
// watermark reaches its max timestamp. This is exactly what a job with one
// source subtask reading the input in this order produces (one file: one
// split; several files: in path order).
//
// With several source subtasks the watermark a record meets depends on
// how the subtasks' records interleave, so lateness is not determined.
// But when no record is more than the out-of-orderness − 1 ms behind the
// largest timestamp before it (Disorder < out-of-orderness), no record is
// late under any interleaving and no session closes before a record that
// touches it arrives, so every run's output equals Pure: every record
// counted, sessions merged over the whole input.
package windowscheck

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Event is one input record.
type Event struct {
	TS  int64
	Key string
}

// Spec is a parsed --window.
type Spec struct {
	Kind             string // tumbling, sliding, session
	Size, Slide, Gap int64  // ms
}

// ParseSpec reads tumbling:SIZE, sliding:SIZE:SLIDE or session:GAP.
func ParseSpec(s string) (Spec, error) {
	parts := strings.Split(s, ":")
	ms := func(p string) (int64, error) {
		d, err := time.ParseDuration(p)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("window %q: bad duration %q", s, p)
		}
		return d.Milliseconds(), nil
	}
	var sp Spec
	var err error
	sp.Kind = parts[0]
	switch {
	case sp.Kind == "tumbling" && len(parts) == 2:
		sp.Size, err = ms(parts[1])
	case sp.Kind == "sliding" && len(parts) == 3:
		if sp.Size, err = ms(parts[1]); err == nil {
			sp.Slide, err = ms(parts[2])
		}
	case sp.Kind == "session" && len(parts) == 2:
		sp.Gap, err = ms(parts[1])
	default:
		err = fmt.Errorf("window %q: want tumbling:SIZE, sliding:SIZE:SLIDE or session:GAP", s)
	}
	return sp, err
}

// floorDiv rounds toward minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// windows lists the [start, end) windows of a tumbling or sliding spec
// containing ts, by scanning every aligned start that could hold it.
func (s Spec) windows(ts int64) [][2]int64 {
	size, slide := s.Size, s.Slide
	if s.Kind == "tumbling" {
		slide = size
	}
	var out [][2]int64
	for k := floorDiv(ts-size, slide); k*slide <= ts; k++ {
		start := k * slide
		if start <= ts && ts < start+size {
			out = append(out, [2]int64{start, start + size})
		}
	}
	return out
}

type keyWin struct {
	key        string
	start, end int64
}

// Expected returns the output lines "<key> <start> <end> <count>" and the
// late lines "<ts> <key>" of a run with one source subtask reading events
// in this order, sorted.
func Expected(events []Event, spec Spec, outOfOrderness time.Duration) (windows, late []string) {
	d := outOfOrderness.Milliseconds()
	counts := map[keyWin]int64{}
	open := map[string]map[[2]int64]int64{} // sessions per key
	var out []keyWin
	var outN []int64
	haveMax, maxTS := false, int64(0)
	for _, e := range events {
		wm := int64(minInt)
		if haveMax {
			wm = maxTS - d - 1
		}
		assigned := false
		if spec.Kind == "session" {
			for k, ss := range open {
				for w, n := range ss {
					if w[1]-1 <= wm {
						out, outN = append(out, keyWin{k, w[0], w[1]}), append(outN, n)
						delete(ss, w)
					}
				}
			}
			ss := open[e.Key]
			if ss == nil {
				ss = map[[2]int64]int64{}
				open[e.Key] = ss
			}
			cover, n := [2]int64{e.TS, e.TS + spec.Gap}, int64(1)
			merged := map[[2]int64]bool{}
			for changed := true; changed; {
				changed = false
				for w := range ss {
					if !merged[w] && w[0] <= cover[1] && w[1] >= cover[0] {
						merged[w], changed = true, true
						cover = [2]int64{min(cover[0], w[0]), max(cover[1], w[1])}
					}
				}
			}
			if cover[1]-1 > wm {
				assigned = true
				for w := range merged {
					n += ss[w]
					delete(ss, w)
				}
				ss[cover] = n
			}
		} else {
			for _, w := range spec.windows(e.TS) {
				if w[1]-1 > wm {
					assigned = true
					counts[keyWin{e.Key, w[0], w[1]}]++
				}
			}
		}
		if !assigned {
			late = append(late, fmt.Sprintf("%d %s", e.TS, e.Key))
		}
		if !haveMax || e.TS > maxTS {
			haveMax, maxTS = true, e.TS
		}
	}
	for k, ss := range open {
		for w, n := range ss {
			out, outN = append(out, keyWin{k, w[0], w[1]}), append(outN, n)
		}
	}
	for kw, n := range counts {
		out, outN = append(out, kw), append(outN, n)
	}
	for i, kw := range out {
		windows = append(windows, fmt.Sprintf("%s %d %d %d", kw.key, kw.start, kw.end, outN[i]))
	}
	sort.Strings(windows)
	sort.Strings(late)
	return windows, late
}

const minInt = -1 << 63

// Pure returns the output with no record late: every record counted,
// sessions merged over the whole input.
func Pure(events []Event, spec Spec) []string {
	w, _ := Expected(events, spec, time.Duration(1<<62))
	return w
}

// Reference is Pure for the input lines and a window spec ("session:15ms").
func Reference(lines []string, spec string) ([]string, error) {
	events, err := ParseEvents(lines)
	if err != nil {
		return nil, err
	}
	sp, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	return Pure(events, sp), nil
}

// Disorder is the largest amount, in ms, by which a record's timestamp is
// behind the largest timestamp before it.
func Disorder(events []Event) int64 {
	var d int64
	haveMax, maxTS := false, int64(0)
	for _, e := range events {
		if haveMax && maxTS-e.TS > d {
			d = maxTS - e.TS
		}
		if !haveMax || e.TS > maxTS {
			haveMax, maxTS = true, e.TS
		}
	}
	return d
}

// Compare reports the differences between got and want (sorted copies),
// duplicates included.
func Compare(what string, got, want []string) error {
	g := append([]string(nil), got...)
	sort.Strings(g)
	var problems []string
	gi, wi := 0, 0
	for gi < len(g) || wi < len(want) {
		switch {
		case wi == len(want) || (gi < len(g) && g[gi] < want[wi]):
			problems = append(problems, "unexpected "+g[gi])
			gi++
		case gi == len(g) || want[wi] < g[gi]:
			problems = append(problems, "missing "+want[wi])
			wi++
		default:
			gi++
			wi++
		}
	}
	if len(problems) == 0 {
		return nil
	}
	if len(problems) > 10 {
		problems = append(problems[:10], fmt.Sprintf("… %d more", len(problems)-10))
	}
	return fmt.Errorf("%s: %d lines, want %d: %s", what, len(got), len(want), strings.Join(problems, "; "))
}

// ParseEvents parses input lines "<eventTimeMillis> <key>" (blank lines
// skipped).
func ParseEvents(lines []string) ([]Event, error) {
	var out []Event
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("input line %d %q: want \"<eventTimeMillis> <key>\"", i+1, l)
		}
		ts, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("input line %d %q: %w", i+1, l, err)
		}
		out = append(out, Event{TS: ts, Key: f[1]})
	}
	return out, nil
}

// Generate returns n events over keys keys, deterministic in seed, whose
// timestamps advance by up to step ms and lag the largest timestamp so far
// by up to disorder ms; about lateEvery-th record (0: none) lags by
// 10 × disorder + step instead.
func Generate(n, keys int, seed uint64, step, disorder int64, lateEvery int) []string {
	x := seed*2862933555777941757 + 3037000493
	next := func(m int64) int64 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		if m <= 0 {
			return 0
		}
		return int64(x % uint64(m))
	}
	out := make([]string, n)
	t := -3 * step // a few negative timestamps
	for i := range out {
		t += next(step + 1)
		lag := next(disorder + 1)
		if lateEvery > 0 && i > 0 && next(int64(lateEvery)) == 0 {
			lag = 10*disorder + step
		}
		out[i] = fmt.Sprintf("%d k%d", t-lag, next(int64(keys)))
	}
	return out
}

// ReadLines returns the non-empty lines of a local file, or of every
// visible file (not starting with "." or "_") directly in a local folder.
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
		ls, err := Lines(fh)
		_ = fh.Close() // read-only
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		out = append(out, ls...)
	}
	return out, nil
}

// Lines returns r's non-empty lines.
func Lines(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}
