package am

import (
	"os"

	"github.com/floe-yarn/floe/yarnrpc"
)

// addDelegationTokens copies the delegation tokens of the AM's own
// container credentials (HADOOP_TOKEN_FILE_LOCATION; on a Kerberos cluster
// the client put an HDFS and an RM delegation token there) into a
// TaskManager's: its NodeManager localizes the job binary with the HDFS
// token, and the TaskManager reads and writes HDFS with it. The AMRMToken
// and NMTokens stay with the AM. On a SIMPLE cluster there are none.
func addDelegationTokens(dst *yarnrpc.Credentials) {
	f := os.Getenv(yarnrpc.EnvTokenFile)
	if f == "" {
		return
	}
	src, err := yarnrpc.ReadCredentialsFile(f)
	if err != nil {
		return // the AM checked this file at start; a TM without tokens fails visibly
	}
	for _, alias := range src.TokenAliases() {
		t, _ := src.Token(alias)
		switch t.Kind {
		case yarnrpc.KindHDFSDelegate, yarnrpc.KindRMDelegation:
			dst.AddToken(alias, t)
		}
	}
}
