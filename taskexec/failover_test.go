package taskexec

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestJobStoreLeader: the newest attempt whose takeover completed (a
// _ready with an address) names the JobManager to follow.
func TestJobStoreLeader(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string // relative path → content
		want  string
	}{
		{name: "newest ready attempt", want: "host3:3",
			files: map[string]string{"attempt-1/_ready": `{"attempt":1,"address":"host1:1"}`, "attempt-3/_ready": `{"attempt":3,"address":"host3:3"}`}},
		{name: "an attempt without _ready is skipped", want: "host1:1",
			files: map[string]string{"attempt-1/_ready": `{"attempt":1,"address":"host1:1"}`, "attempt-2/x.job": `{}`}},
		{name: "no address yet", want: "",
			files: map[string]string{"attempt-1/_ready": `{"attempt":1}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for p, c := range tc.files {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			l, err := jobStoreLeader(context.Background(), dir)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("leader %+v, want an error", l)
				}
				return
			}
			if err != nil || l.Address != tc.want {
				t.Fatalf("leader %+v (%v), want %s", l, err, tc.want)
			}
		})
	}
}
