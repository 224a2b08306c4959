package jobmanager

import (
	"os"
	"strings"
	"testing"
)

// runGoldenScript runs a recorded script: blocks separated by blank lines,
// each of command lines ("#" starts a comment), "----", and the output the
// commands gave. run turns one command line into its output lines; a block
// without output shows "(no actions)". The test fails when the output
// differs; -update rewrites the file instead.
func runGoldenScript(t *testing.T, path string, run func(line string) []string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, block := range strings.Split(strings.TrimSpace(string(raw)), "\n\n") {
		cmds, _, _ := strings.Cut(block, "\n----")
		var got []string
		for _, line := range strings.Split(cmds, "\n") {
			if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			got = append(got, run(line)...)
		}
		if len(got) == 0 {
			got = []string{"(no actions)"}
		}
		out.WriteString(cmds + "\n----\n" + strings.Join(got, "\n") + "\n\n")
	}
	want := strings.TrimSpace(string(raw)) + "\n"
	have := strings.TrimSpace(out.String()) + "\n"
	if *update {
		if err := os.WriteFile(path, []byte(have), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if have != want {
		t.Errorf("%s: output differs (run go test -update and review the diff)\n--- have\n%s", path, have)
	}
}
