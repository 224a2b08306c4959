package client

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSubmitToSessionBadInput: a job binary the client cannot plan is
// refused before the session is contacted (no ClusterClient is needed) and
// before anything is uploaded.
func TestSubmitToSessionBadInput(t *testing.T) {
	f := newDeployFixture(t, nil, Platform{})
	cases := []struct {
		name, bin, want string
	}{
		{"remote binary", "hdfs://nn:8020/jobs/wc", "give a local job binary"},
		{"missing binary", filepath.Join(t.TempDir(), "nope"), "does not exist"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.desc.SubmitToSession(context.Background(), nil, SessionSubmission{Job: Job{Binary: tc.bin}})
			if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("SubmitToSession error = %v, want ErrBadInput naming %q", err, tc.want)
			}
			if es, err := os.ReadDir(f.staging); err == nil && len(es) != 0 {
				t.Errorf("something was uploaded: %v", es)
			}
		})
	}
}
