package conf

import (
	"errors"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/contract"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestHadoopDefaultsOnly(t *testing.T) {
	h := HadoopDefaults()
	tests := []struct{ got, want string }{
		{h.DefaultFS(), "file:///"},
		{h.RMAddress(""), "0.0.0.0:8032"},
		{h.RMSchedulerAddress(""), "0.0.0.0:8030"},
		{h.RMWebAppAddress(""), "0.0.0.0:8088"},
		{h.RMAdminAddress(""), "0.0.0.0:8033"},
		{h.Get(KeyRMTrackerAddress), "0.0.0.0:8031"},
		{h.Authentication(), "simple"},
		{h.RPCProtection(), "authentication"},
		{h.Get(KeyNameNodeHTTP), "0.0.0.0:9870"},
	}
	for i, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("case %d: got %q, want %q", i, tc.got, tc.want)
		}
	}
	if h.RMHAIDs() != nil {
		t.Error("RMHAIDs without HA is not nil")
	}
	if h.Get("no.such.key") != "" {
		t.Error("unknown key is not empty")
	}
}

func TestLoadHadoopExpansion(t *testing.T) {
	h, err := loadHadoop(filepath.Join("testdata", "hadoop-simple"), envOf(map[string]string{"FLOE_TEST_VAR": "envval"}))
	if err != nil {
		t.Fatal(err)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, got, want string }{
		{"defaultFS", h.DefaultFS(), "hdfs://nn.example.com:9000"},
		{"RM default follows hostname", h.RMAddress(""), "rm.example.com:8032"},
		{"explicit scheduler with var", h.RMSchedulerAddress(""), "rm.example.com:18030"},
		{"webapp default", h.RMWebAppAddress(""), "rm.example.com:8088"},
		{"system property", h.Get("floe.test.base"), "/data/" + u.Username},
		{"nested reference", h.Get("floe.test.nested"), "/data/" + u.Username + "/x"},
		{"self reference stays", h.Get("floe.test.loop"), "a${floe.test.loop}"},
		{"env var", h.Get("floe.test.env"), "envval"},
		{"env default", h.Get("floe.test.envdefault"), "fallback"},
		{"unresolved stays", h.Get("floe.test.missing"), "${no.such.key}/y"},
		{"attribute form", h.Get("floe.test.attr"), "from-attribute"},
		{"hadoop.tmp.dir default", h.Get("hadoop.tmp.dir"), "/tmp/hadoop-" + u.Username},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	_, src, ok := h.Lookup(KeyDefaultFS)
	if !ok || src.File != filepath.Join("testdata", "hadoop-simple", "core-site.xml") || src.Line != 3 {
		t.Errorf("source of fs.defaultFS = %+v", src)
	}
	if _, src, _ := h.Lookup(KeyRMAddress); src.Kind != SourceDefault {
		t.Errorf("source of RM address = %v, want default", src)
	}
}

func TestLoadHadoopHA(t *testing.T) {
	h, err := loadHadoop(filepath.Join("testdata", "hadoop-ha"), envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	ids := h.RMHAIDs()
	if strings.Join(ids, ",") != "rm1,rm2" {
		t.Fatalf("RMHAIDs = %q", ids)
	}
	tests := []struct{ name, got, want string }{
		{"rm1 from hostname.rm1", h.RMAddress("rm1"), "host1:8032"},
		{"rm2 explicit address.rm2", h.RMAddress("rm2"), "host2:9032"},
		{"rm1 scheduler", h.RMSchedulerAddress("rm1"), "host1:8030"},
		{"rm2 scheduler from hostname", h.RMSchedulerAddress("rm2"), "host2:8030"},
		{"rm2 webapp", h.RMWebAppAddress("rm2"), "host2:8088"},
		{"unknown rm id falls back", h.RMAddress("rm9"), "0.0.0.0:8032"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	nn := h.NameNodeAddresses("ns1")
	if strings.Join(nn, ",") != "nnhost1:8020,nnhost2:8020" {
		t.Errorf("NameNodeAddresses(ns1) = %q", nn)
	}
	if got := h.NameNodeAddresses("plain"); len(got) != 1 || got[0] != "plain:8020" {
		t.Errorf("NameNodeAddresses(plain) = %q", got)
	}
	if got := h.NameNodeAddresses("h:9000"); len(got) != 1 || got[0] != "h:9000" {
		t.Errorf("NameNodeAddresses(h:9000) = %q", got)
	}
}

func TestLoadHadoopFinal(t *testing.T) {
	h, err := loadHadoop(filepath.Join("testdata", "hadoop-final"), envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := h.RPCProtection(); got != "privacy" {
		t.Errorf("final hadoop.rpc.protection overridden: %q", got)
	}
	if got := h.Authentication(); got != "simple" {
		t.Errorf("later file did not override: %q", got)
	}
	if len(h.Ignored()) != 1 {
		t.Errorf("Ignored = %q", h.Ignored())
	}
}

func TestLoadHadoopBothDirs(t *testing.T) {
	h, err := loadHadoop("", envOf(map[string]string{
		contract.EnvHadoopConfDir: filepath.Join("testdata", "hadoop-split", "core"),
		contract.EnvYarnConfDir:   filepath.Join("testdata", "hadoop-split", "yarn"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if h.DefaultFS() != "hdfs://core:1" || h.RMAddress("") != "rmsplit:2" {
		t.Fatalf("got %q %q", h.DefaultFS(), h.RMAddress(""))
	}
	if len(h.Dirs()) != 2 {
		t.Fatalf("Dirs = %q", h.Dirs())
	}
}

func TestLoadHadoopErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nothing")
	tests := []struct {
		name     string
		dir      string
		env      map[string]string
		sentinel error
		want     []string
	}{
		{"nothing set", "", nil, ErrNoHadoopConf, []string{"HADOOP_CONF_DIR", "export"}},
		{"env points at nothing", "", map[string]string{contract.EnvHadoopConfDir: missing}, ErrNoConfDir, []string{"HADOOP_CONF_DIR=" + missing, "no such folder", "point it at"}},
		{"yarn env points at nothing", "", map[string]string{contract.EnvYarnConfDir: missing}, ErrNoConfDir, []string{"YARN_CONF_DIR=" + missing}},
		{"folder without site files", filepath.Join("testdata", "hadoop-empty"), nil, ErrNoConfDir, []string{"holds none of core-site.xml"}},
		{"malformed XML", filepath.Join("testdata", "hadoop-bad"), nil, ErrSyntax, []string{"core-site.xml:5:", "fix the XML"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadHadoop(tc.dir, envOf(tc.env))
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("err = %v, want %v", err, tc.sentinel)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("not one line: %q", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestConnectAddress(t *testing.T) {
	for in, want := range map[string]string{"0.0.0.0:8032": "127.0.0.1:8032", "rm:1": "rm:1", ":5": "127.0.0.1:5", "bad": "bad"} {
		if got := ConnectAddress(in); got != want {
			t.Errorf("ConnectAddress(%q) = %q, want %q", in, got, want)
		}
	}
}
