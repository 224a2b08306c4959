package am

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/rs/zerolog"
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

// freshTokens obtains HDFS delegation tokens for the TaskManagers the AM
// launches, logged in from the keytab the client shipped: the NodeManager
// localizes a container's files with the HDFS token of its launch context,
// and the one the client obtained at submission dies at its maximum
// lifetime (dfs.namenode.delegation.token.max-lifetime, 7 days by default),
// after which no replacement TaskManager could start. One token serves the
// launches of a minute (reuse); a failure to obtain one leaves the last
// fresh one, or the submission's (and is logged).
type freshTokens struct {
	hadoop *conf.Hadoop
	log    zerolog.Logger
	reuse  time.Duration
	now    func() time.Time
	get    func(ctx context.Context) (yarnrpc.Token, error) // nil: the NameNode over Kerberos

	mu  sync.Mutex
	tok yarnrpc.Token
	at  time.Time
}

// newFreshTokens returns the AM's token source; nil without a shipped
// keytab or on a cluster without Kerberos.
func newFreshTokens(h *conf.Hadoop, log zerolog.Logger) *freshTokens {
	if h == nil || h.Authentication() != "kerberos" || os.Getenv(contract.EnvKerberosKeytab) == "" || os.Getenv(contract.EnvKerberosPrincipal) == "" {
		return nil
	}
	return &freshTokens{hadoop: h, log: log, reuse: time.Minute, now: time.Now}
}

// add puts a fresh HDFS delegation token into creds under the alias of the
// one it replaces.
func (f *freshTokens) add(ctx context.Context, creds *yarnrpc.Credentials) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.at.IsZero() || f.now().Sub(f.at) >= f.reuse {
		t, err := f.obtain(ctx)
		switch {
		case err != nil && f.at.IsZero():
			f.log.Warn().Err(err).Msg("could not obtain a fresh HDFS delegation token with the shipped keytab; the TaskManager gets the submission's")
			return
		case err != nil:
			f.log.Warn().Err(err).Time("obtained", f.at).Msg("could not obtain a fresh HDFS delegation token with the shipped keytab; the TaskManager gets the last one")
		default:
			f.tok, f.at = t, f.now()
			if md, err := yarnrpc.TokenMaxDate(t); err == nil {
				f.log.Info().Str("service", t.Service).Time("max_date", md).Msg("obtained a fresh HDFS delegation token for TaskManagers")
			}
		}
	}
	creds.AddToken(f.tok.Service, f.tok)
}

func (f *freshTokens) obtain(ctx context.Context) (yarnrpc.Token, error) {
	if f.get != nil {
		return f.get(ctx)
	}
	auth, err := yarnrpc.ContainerKeytabAuth()
	if err == nil && auth == nil {
		err = fmt.Errorf("no keytab was shipped")
	}
	if err != nil {
		return yarnrpc.Token{}, err
	}
	t, ok, err := yarnrpc.DefaultFSDelegationToken(ctx, f.hadoop, auth)
	if err == nil && !ok {
		err = fmt.Errorf("fs.defaultFS %s is not HDFS", f.hadoop.DefaultFS())
	}
	return t, err
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
