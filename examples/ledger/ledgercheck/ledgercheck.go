// Package ledgercheck is the ledger example's oracle, for its tests and
// the integration tests: given the input transactions and the output
// lines of a run, it checks that every account has exactly the seqs 1…n
// (n its number of transactions), no duplicate, balances whose steps are
// exactly the account's amounts, and a last balance equal to their sum.
package ledgercheck

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/floe-yarn/floe/examples/ledger/job"
)

// Check compares a run's output lines ("<account> <seq> <balance>") with
// its input lines ("<account> <amount>"); the error lists the first
// problems found.
func Check(input, output []string) error {
	amounts := map[string][]int64{}
	for i, l := range input {
		t, ok, err := job.ParseLine(l)
		if err != nil {
			return fmt.Errorf("input line %d: %w", i+1, err)
		}
		if ok {
			amounts[t.Account] = append(amounts[t.Account], t.Amount)
		}
	}
	balances := map[string]map[int64]int64{} // account → seq → balance
	var problems []string
	for i, l := range output {
		f := strings.Fields(l)
		if len(f) != 3 {
			return fmt.Errorf("output line %d %q: want \"<account> <seq> <balance>\"", i+1, l)
		}
		seq, err1 := strconv.ParseInt(f[1], 10, 64)
		bal, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("output line %d %q: seq and balance must be integers", i+1, l)
		}
		m := balances[f[0]]
		if m == nil {
			m = map[int64]int64{}
			balances[f[0]] = m
		}
		if _, dup := m[seq]; dup {
			problems = append(problems, fmt.Sprintf("account %s: seq %d written twice", f[0], seq))
		}
		m[seq] = bal
	}
	for acct := range balances {
		if _, ok := amounts[acct]; !ok {
			problems = append(problems, fmt.Sprintf("account %s: in the output, not in the input", acct))
		}
	}
	accts := make([]string, 0, len(amounts))
	for a := range amounts {
		accts = append(accts, a)
	}
	slices.Sort(accts)
	for _, acct := range accts {
		if p := checkAccount(acct, amounts[acct], balances[acct]); p != "" {
			problems = append(problems, p)
		}
		if len(problems) > 10 {
			break
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("ledger output wrong: %s", strings.Join(problems, "; "))
	}
	return nil
}

func checkAccount(acct string, amounts []int64, got map[int64]int64) string {
	n := int64(len(amounts))
	if int64(len(got)) != n {
		return fmt.Sprintf("account %s: %d transactions, %d output lines", acct, n, len(got))
	}
	var steps []int64
	prev := int64(0)
	for s := int64(1); s <= n; s++ {
		b, ok := got[s]
		if !ok {
			return fmt.Sprintf("account %s: seq %d missing", acct, s)
		}
		steps = append(steps, b-prev)
		prev = b
	}
	want := slices.Clone(amounts)
	slices.Sort(want)
	slices.Sort(steps)
	if !slices.Equal(want, steps) {
		var sum int64
		for _, a := range amounts {
			sum += a
		}
		return fmt.Sprintf("account %s: balance steps are not its amounts (last balance %d, sum %d)", acct, prev, sum)
	}
	return ""
}

// ReadLines returns the lines of a local file, or of every visible file
// (not starting with "." or "_") in a local folder.
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

// Generate returns n transactions over accounts accounts, deterministic
// in seed, as input lines.
func Generate(n, accounts int, seed uint64) []string {
	out := make([]string, n)
	x := seed*6364136223846793005 + 1442695040888963407
	for i := range out {
		x = x*6364136223846793005 + 1442695040888963407
		a := (x >> 33) % uint64(accounts)
		amt := int64((x>>13)%2001) - 1000
		out[i] = fmt.Sprintf("acct%03d %d", a, amt)
	}
	return out
}
