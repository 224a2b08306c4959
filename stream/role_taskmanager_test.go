package stream

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
			got, err := taskManagerSecret()
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
	closer.Close()
	b, err := os.ReadFile(filepath.Join(dir, "taskmanager.log"))
	if err != nil || !strings.Contains(string(b), `"message":"hello"`) || !strings.Contains(string(b), `"tm":"tm-1"`) {
		t.Fatalf("log %q, %v", b, err)
	}
	if _, closer, err := containerLogger("", "taskmanager.log"); err != nil || closer != nil {
		t.Fatalf("outside a container: %v %v", closer, err)
	}
}
