package yarnrpc

import (
	"os"
	"path/filepath"
	"testing"
)

// TestIsMiniclusterConf: the smoke tests dial a cluster only when
// HADOOP_CONF_DIR's yarn-site.xml starts with scripts/minicluster.sh's header.
func TestIsMiniclusterConf(t *testing.T) {
	cases := []struct {
		name string
		yarn string // yarn-site.xml; "" writes none
		want bool
	}{
		{"minicluster", `<?xml version="1.0"?>
<!-- Written by scripts/minicluster.sh; regenerated on every start. -->
<configuration>
  <property><name>yarn.resourcemanager.address</name><value>localhost:8032</value></property>
</configuration>
`, true},
		{"another cluster", `<?xml version="1.0"?>
<configuration>
  <property><name>yarn.resourcemanager.address</name><value>rm.prod:8032</value></property>
</configuration>
`, false},
		{"marker below the header", `<?xml version="1.0"?>
<configuration>
  <!-- Written by scripts/minicluster.sh -->
</configuration>
`, false},
		{"no yarn-site.xml", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.yarn != "" {
				if err := os.WriteFile(filepath.Join(dir, "yarn-site.xml"), []byte(tc.yarn), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if got := isMiniclusterConf(dir); got != tc.want {
				t.Fatalf("isMiniclusterConf = %v, want %v", got, tc.want)
			}
		})
	}
}
