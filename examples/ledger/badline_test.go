package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/examples/ledger/job"
	"github.com/floe-yarn/floe/examples/ledger/ledgercheck"
	"github.com/floe-yarn/floe/internal/jobtest"
	"github.com/floe-yarn/floe/stream"
	"github.com/rs/zerolog"
)

// TestLedgerLocalRun runs the ledger locally without checkpoints: exact
// output for good input, and a failure naming the file, the byte offset
// and the line for a bad one.
func TestLedgerLocalRun(t *testing.T) {
	cases := []struct {
		name    string
		lines   []string
		wantErr string
	}{
		{"good", ledgercheck.Generate(500, 7, 3), ""},
		{"blank lines are skipped", []string{"a 1", "", "b 2", "   ", "a -3"}, ""},
		{"amount not an integer", []string{"a 1", "b 2.5", "c 3"}, `at byte 4: line "b 2.5": amount "2.5" is not an integer`},
		{"missing amount", []string{"a 1", "lonely"}, `at byte 4: line "lonely": want "<account> <amount>"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(contract.EnvRole, "")
			dir := t.TempDir()
			input, output := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out")
			jobtest.WriteLines(t, input, tc.lines)
			nop := zerolog.Nop()
			env := stream.NewEnvironment(stream.Options{Parallelism: 1, Logger: &nop})
			job.Build(env, input, output, 0)
			err := env.ExecuteContext(context.Background(), "ledger")
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				checkOutput(t, tc.lines, output)
				return
			}
			if err == nil || !strings.Contains(err.Error(), input) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v: want one naming %s and %s", err, input, tc.wantErr)
			}
		})
	}
}
