package contract

import (
	"reflect"
	"strings"
	"testing"
)

// TestDynamicProperties: -D options survive the trip through the
// environment, values with '=' and spaces included; a bad value is an
// error naming the variable.
func TestDynamicProperties(t *testing.T) {
	cases := []struct {
		name    string
		dyn     []string
		raw     string // used when dyn is nil
		want    []string
		wantErr string
	}{
		{"none", nil, "", nil, ""},
		{"several", []string{"execution.checkpointing.interval=1 s", "state.checkpoints.dir=hdfs:///a=b"}, "",
			[]string{"execution.checkpointing.interval=1 s", "state.checkpoints.dir=hdfs:///a=b"}, ""},
		{"not JSON", nil, "a=b", nil, EnvDynamicProperties},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			if kv := DynamicPropertiesEnv(tc.dyn); kv != "" {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			} else if tc.raw != "" {
				env[EnvDynamicProperties] = tc.raw
			}
			got, err := DynamicProperties(func(k string) string { return env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
