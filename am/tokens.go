package am

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/floe-yarn/floe/contract"
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

// addKeytab gives a TaskManager the keytab and krb5.conf the client shipped
// with the application (contract.LinkKeytab, LinkKrb5Conf in the staging
// folder), as APPLICATION LocalResources, and the environment naming them,
// so that it logs in itself and keeps HDFS access past the delegation
// tokens' maximum lifetime. Nothing happens when no keytab was shipped.
func (l *TaskManagerLaunch) addKeytab(ctx context.Context, lrs map[string]yarnrpc.LocalResource, env map[string]string) error {
	principal := os.Getenv(contract.EnvKerberosPrincipal)
	staging := os.Getenv(contract.EnvStagingDir)
	if principal == "" || staging == "" {
		return nil
	}
	for _, link := range []string{contract.LinkKeytab, contract.LinkKrb5Conf} {
		fi, err := l.stat(ctx, strings.TrimSuffix(staging, "/")+"/"+link)
		if err != nil {
			return fmt.Errorf("shipped %s: %w", link, err)
		}
		lrs[link] = yarnrpc.LocalResource{URL: fi.Path, Size: fi.Size, Timestamp: fi.ModTimeMillis(),
			Type: yarnrpc.ResourceFile, Visibility: yarnrpc.VisibilityApplication}
	}
	env[contract.EnvKerberosPrincipal] = principal
	env[contract.EnvKerberosKeytab] = contract.LinkKeytab
	env[contract.EnvKrb5Config] = contract.LinkKrb5Conf
	return nil
}
