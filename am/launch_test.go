package am

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/yarnrpc"
)

func TestTaskManagerLaunch(t *testing.T) {
	stats := 0
	l := &TaskManagerLaunch{
		Stat: func(_ context.Context, p string) (hdfsstore.FileInfo, error) {
			stats++
			return hdfsstore.FileInfo{Path: "hdfs://nn:8020" + p, Size: 1234, ModTime: time.UnixMilli(1700000000123)}, nil
		},
		Secret: []byte("0123456789abcdef0123456789abcdef"), NetworkMemory: 64 << 20, JobManagerTimeout: 50 * time.Second, User: "u",
	}
	spec := jobmanager.TaskManagerSpec{ID: "tm-3", Pool: "p", Binary: "/cache/abc/wc", Args: []string{"--input", "a b", "it's"},
		Env: []string{"FLOE_PARALLELISM=2", `ODD=a"$b`}, Slots: 2, JobManagerAddress: "node1:4000"}
	clc, err := l.Build(context.Background(), spec, ctr(2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Build(context.Background(), spec, ctr(3)); err != nil || stats != 1 {
		t.Fatalf("second build: %v, %d stats (want the cached one)", err, stats)
	}
	lr := clc.LocalResources[contract.LinkJob]
	if lr.URL != "hdfs://nn:8020/cache/abc/wc" || lr.Size != 1234 || lr.Timestamp != 1700000000123 {
		t.Fatalf("job resource %+v", lr)
	}
	want := map[string]string{"FLOE_ROLE": "taskmanager", "FLOE_JOBMANAGER_ADDRESS": "node1:4000", "FLOE_TM_ID": "tm-3",
		"FLOE_TM_SLOTS": "2", "FLOE_TM_NETWORK_BYTES": "67108864", "FLOE_JM_TIMEOUT_MS": "50000", "HADOOP_USER_NAME": "u",
		"FLOE_PARALLELISM": "2", "ODD": `a"$b`} // literal: yarnrpc escapes for the launch script
	for k, v := range want {
		if clc.Env[k] != v {
			t.Errorf("env %s=%q, want %q", k, clc.Env[k], v)
		}
	}
	if _, ok := clc.Env[contract.EnvSecretFile]; ok {
		t.Error("the secret file variable must not be set on YARN")
	}
	for k, v := range clc.Env {
		if strings.Contains(v, string(l.Secret)) {
			t.Errorf("secret in env %s", k)
		}
	}
	creds, err := yarnrpc.ReadCredentials(bytes.NewReader(clc.Tokens))
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := creds.Secret(contract.SecretAlias); !ok || string(s) != string(l.Secret) {
		t.Fatalf("tokens: %q, %v", s, ok)
	}
	if got := clc.Commands[0]; got != `./job --input 'a b' 'it'\''s' 1><LOG_DIR>/taskmanager.out 2><LOG_DIR>/taskmanager.err` {
		t.Fatalf("command %s", got)
	}
}

// TestShellQuoteRoundTrip runs quoted words through bash.
func TestShellQuoteRoundTrip(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	words := []string{"plain", "a b", "it's", `"dq"`, "$HOME", "`x`", "", "hdfs://nn:8020/p,q=1", "back\\slash"}
	var b strings.Builder
	b.WriteString("printf '%s\\n'")
	for _, w := range words {
		b.WriteString(" " + contract.ShellQuote(w))
	}
	out, err := exec.Command("bash", "-c", b.String()).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(got) != len(words) {
		t.Fatalf("got %q", got)
	}
	for i := range words {
		if got[i] != words[i] {
			t.Errorf("word %d: %q, want %q", i, got[i], words[i])
		}
	}
}
