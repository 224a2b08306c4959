package conf

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestFlinkKeysList(t *testing.T) {
	keys := FlinkKeys()
	if len(keys) < 100 {
		t.Fatalf("only %d Flink keys read from flink_keys.txt", len(keys))
	}
	for _, k := range keys {
		if k != strings.TrimSpace(k) || strings.ContainsAny(k, " \t") || strings.Count(k, "<") != strings.Count(k, ">") {
			t.Errorf("malformed key %q", k)
		}
	}
	for _, k := range []string{"pipeline.name", "state.backend", "execution.savepoint.path", "yarn.ship-files",
		"metrics.reporter.prom.factory.class", "metrics.reporter.jmx.port", "metrics.scope.tm",
		"security.kerberos.login.keytab", "security.delegation.token.provider.hbase.enabled", "high-availability.storageDir",
		"table.exec.state.ttl", "table.local-time-zone", "table.optimizer.join-reorder-enabled", "kubernetes.cluster-id",
		"kubernetes.env.secretKeyRef", "sql-client.execution.result-mode", "high-availability.kubernetes.leader-election.lease-duration"} {
		if !IsFlinkKey(k) {
			t.Errorf("IsFlinkKey(%q) = false", k)
		}
	}
	if IsFlinkKey("metrics.reporter.<name>.interval") || IsFlinkKey("metrics.reporter.prom") ||
		IsFlinkKey("security.delegation.token.provider.a.b.enabled") {
		t.Error("a template itself or a key it does not stand for counts as a Flink key")
	}
	if IsFlinkKey("pipline.name") || IsFlinkKey("# Flink configuration keys, names only, used to tell \"a Flink option Floe does") {
		t.Error("a typo or a comment line counts as a Flink key")
	}
}

func TestFlinkKeyIgnoredWithWarning(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		dyn     []string
		want    []string // Warnings, in order
		wantErr error
	}{
		{name: "-D Flink key", dyn: []string{"pipeline.name=wc"},
			want: []string{"Flink option not supported by Floe, ignored: pipeline.name (-D)"}},
		{name: "-D glued Flink key and a Floe key", dyn: []string{"state.backend=rocksdb", "parallelism.default=2"},
			want: []string{"Flink option not supported by Floe, ignored: state.backend (-D)"}},
		{name: "yaml Flink key", file: "pipeline.name: wc\n",
			want: []string{"Flink option not supported by Floe, ignored: pipeline.name (FILE:1)"}},
		{name: "yaml typo keeps its suggestion", file: "parallelism.defualt: 2\n",
			want: []string{`FILE:1: unknown option "parallelism.defualt" is ignored; did you mean parallelism.default?`}},
		{name: "-D typo is still an error", dyn: []string{"pipline.name=wc"}, wantErr: ErrUnknownOption},
		{name: "-D Floe key is no warning", dyn: []string{"yarn.ship-files=a;b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := LoadOptions{Getenv: noEnv, Dynamic: tc.dyn}
			if tc.file != "" {
				opts.Dir = writeConf(t, tc.file)
			}
			c, err := Load(opts)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := c.Warnings()
			for i := range got {
				if opts.Dir != "" {
					got[i] = strings.ReplaceAll(got[i], opts.Dir+"/floe-conf.yaml", "FILE")
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("warnings = %q, want %q", got, tc.want)
			}
			if strings.Contains(string(c.Marshal()), "pipeline.name") {
				t.Error("an ignored Flink key is shipped")
			}
		})
	}
}

// TestFlinkKeysFileSorted keeps flink_keys.txt sorted and free of
// duplicates, so that additions stay reviewable.
func TestFlinkKeysFileSorted(t *testing.T) {
	var prev string
	for i, line := range strings.Split(flinkKeysText, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if line <= prev {
			t.Errorf("flink_keys.txt:%d: %q after %q: keep the keys sorted and unique", i+1, line, prev)
		}
		prev = line
	}
}
