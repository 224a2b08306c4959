package client

import (
	"testing"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestStagingDir: an application's staging folder is
// /user/<user>/.floe/<appId> on fs.defaultFS, or under
// yarn.staging-directory when that is set (moved here from hdfsstore,
// which knows nothing of jobs).
func TestStagingDir(t *testing.T) {
	app := yarnrpc.ApplicationID{ClusterTimestamp: 1, ID: 2}
	cases := []struct{ name, dir, want string }{
		{"home", "", "/user/alice/.floe/application_1_0002"},
		{"staging directory", "hdfs://nn:8020/tmp/st", "hdfs://nn:8020/tmp/st/.floe/application_1_0002"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := conf.New()
			if tc.dir != "" {
				if err := cfg.Set(conf.YarnStagingDirectory, tc.dir); err != nil {
					t.Fatal(err)
				}
			}
			if got := (Staging{Root: StagingRoot(cfg, "alice")}).Dir(app); got != tc.want {
				t.Fatalf("Dir = %q, want %q", got, tc.want)
			}
		})
	}
}
