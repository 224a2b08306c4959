package ledgercheck

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	input := []string{"a 5", "b 1", "a -2", "a 10"}
	cases := []struct {
		name    string
		output  []string
		wantErr string
	}{
		{"exact", []string{"a 1 5", "b 1 1", "a 2 3", "a 3 13"}, ""},
		{"other order of a's amounts", []string{"a 1 10", "a 2 8", "a 3 13", "b 1 1"}, ""},
		{"duplicate seq", []string{"a 1 5", "a 1 5", "b 1 1", "a 2 3", "a 3 13"}, "seq 1 written twice"},
		{"missing seq", []string{"a 1 5", "b 1 1", "a 3 13"}, "3 transactions, 2 output lines"},
		{"wrong last balance", []string{"a 1 5", "b 1 1", "a 2 3", "a 3 14"}, "last balance 14, sum 13"},
		{"unknown account", []string{"a 1 5", "b 1 1", "a 2 3", "a 3 13", "z 1 1"}, "account z: in the output"},
		{"malformed", []string{"a 1"}, "want \"<account> <seq> <balance>\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(input, tc.output)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v: want %q", err, tc.wantErr)
			}
		})
	}
}
