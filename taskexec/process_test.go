package taskexec

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/yarnrpc"
)

func TestTaskManagerSecret(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("from-the-secret-file-0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var creds yarnrpc.Credentials
	creds.AddToken("", yarnrpc.Token{Identifier: []byte("id"), Password: []byte("pw"), Kind: yarnrpc.KindAMRMToken})
	creds.SetSecret(contract.SecretAlias, []byte("from-the-token-file-0123"))
	tokens := filepath.Join(dir, "container_tokens")
	if err := creds.WriteFile(tokens); err != nil {
		t.Fatal(err)
	}
	var other yarnrpc.Credentials
	other.SetSecret("something.else", []byte("x"))
	noSecret := filepath.Join(dir, "other_tokens")
	if err := other.WriteFile(noSecret); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		secretFile string
		tokenFile  string
		want       string
		wantErr    string
	}{
		{"secret file wins", secretFile, tokens, "from-the-secret-file-0123", ""},
		{"YARN container token file", "", tokens, "from-the-token-file-0123", ""},
		{"token file without the secret", "", noSecret, "", contract.SecretAlias},
		{"neither", "", "", "", "no application secret"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(contract.EnvSecretFile, tc.secretFile)
			t.Setenv(yarnrpc.EnvTokenFile, tc.tokenFile)
			got, err := processSecret(os.Getenv)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

func TestContainerLogger(t *testing.T) {
	dir := t.TempDir()
	log, closer, err := containerLogger(dir+","+t.TempDir(), "taskmanager.log")
	if err != nil || closer == nil {
		t.Fatal(err)
	}
	log.Info().Str("tm", "tm-1").Msg("hello")
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "taskmanager.log"))
	if err != nil || !strings.Contains(string(b), `"message":"hello"`) || !strings.Contains(string(b), `"tm":"tm-1"`) {
		t.Fatalf("log %q, %v", b, err)
	}
	if _, closer, err := containerLogger("", "taskmanager.log"); err != nil || closer != nil {
		t.Fatalf("outside a container: %v %v", closer, err)
	}
}

// TestContainerLocalDir: a TaskManager's state goes to one of the
// container's local dirs, the same one for the same id, spread over them by
// id; none outside a container.
func TestContainerLocalDir(t *testing.T) {
	dirs := "/d1/appcache/app_1, /d2/appcache/app_1,,/d3/appcache/app_1"
	seen := map[string]bool{}
	for i := 0; i < 64; i++ {
		id := fmt.Sprintf("tm-%d", i)
		d := containerLocalDir(dirs, id)
		if !strings.HasPrefix(d, "/d") || strings.Contains(d, " ") || d != containerLocalDir(dirs, id) {
			t.Fatalf("id %s: local dir %q", id, d)
		}
		seen[d] = true
	}
	if len(seen) != 3 {
		t.Fatalf("64 TaskManagers used %d of 3 local dirs: %v", len(seen), seen)
	}
	if d := containerLocalDir("", "tm-1"); d != "" {
		t.Fatalf("outside a container: %q", d)
	}
}

func TestRemoteOptionsFromEnv(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("0123456789abcdef0123"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{contract.EnvTaskManagerID: "tm-1", contract.EnvJobManagerAddress: "jm:8081", contract.EnvSecretFile: secretFile}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name    string
		env     map[string]string
		want    RemoteOptions
		wantErr string
	}{
		{"defaults", base, RemoteOptions{ID: "tm-1", JobManagerAddress: "jm:8081", Slots: 1}, ""},
		{"everything", with(contract.EnvTaskManagerSlots, "4", contract.EnvNetworkMemory, "1048576",
			contract.EnvJobManagerTimeout, "1500", yarnrpc.EnvNMHost, "node7"),
			RemoteOptions{ID: "tm-1", JobManagerAddress: "jm:8081", Slots: 4, NetworkMemory: 1 << 20,
				JobManagerTimeout: 1500 * time.Millisecond, DataListenAddr: "node7:0"}, ""},
		{"one local dir", with(yarnrpc.EnvLocalDirs, "/nm/appcache/app_1"),
			RemoteOptions{ID: "tm-1", JobManagerAddress: "jm:8081", Slots: 1, LocalDir: "/nm/appcache/app_1"}, ""},
		{"no id", with(contract.EnvTaskManagerID, ""), RemoteOptions{}, contract.EnvTaskManagerID},
		{"no JobManager", with(contract.EnvJobManagerAddress, ""), RemoteOptions{}, contract.EnvJobManagerAddress},
		{"no secret", with(contract.EnvSecretFile, ""), RemoteOptions{}, "no application secret"},
		{"bad slots", with(contract.EnvTaskManagerSlots, "0"), RemoteOptions{}, contract.EnvTaskManagerSlots},
		{"bad network memory", with(contract.EnvNetworkMemory, "lots"), RemoteOptions{}, contract.EnvNetworkMemory},
		{"bad timeout", with(contract.EnvJobManagerTimeout, "1s"), RemoteOptions{}, contract.EnvJobManagerTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := remoteOptionsFromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Secret) != "0123456789abcdef0123" {
				t.Fatalf("secret %q", got.Secret)
			}
			got.Secret = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
