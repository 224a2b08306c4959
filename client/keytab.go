package client

import (
	"context"
	"fmt"
	"os"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/yarnrpc"
)

// shipKeytab stages the keytab of security.kerberos.login.keytab (HDFS
// mode 0400, in the application's own staging folder, never in the shared
// binary cache) and the krb5.conf in use, adds both as APPLICATION
// LocalResources and names the principal in env, so that the AM and the
// TaskManagers log in from the keytab and keep HDFS access past the
// delegation tokens' maximum lifetime (Flink ships the keytab the same way).
// Nothing happens without a keytab or on a SIMPLE cluster.
func (d *YarnDescriptor) shipKeytab(ctx context.Context, staging string, lrs map[string]yarnrpc.LocalResource, env map[string]string) (int64, error) {
	cfg := d.opts.Config
	kt := cfg.String(conf.KerberosKeytab)
	if d.opts.Tokens == nil || kt == "" {
		return 0, nil
	}
	principal := cfg.String(conf.KerberosPrincipal)
	krb5 := yarnrpc.Krb5ConfPath(cfg, os.Getenv)
	var sent int64
	for _, f := range []struct {
		link, local string
		perm        os.FileMode
	}{{contract.LinkKeytab, kt, 0o400}, {contract.LinkKrb5Conf, krb5, 0o644}} {
		data, err := os.ReadFile(f.local)
		if err != nil {
			return sent, fmt.Errorf("%w: ship %s: %v", ErrBadInput, f.local, err)
		}
		p := joinURI(staging, f.link)
		if err := writeFile(ctx, d.opts.Store, p, data, f.perm); err != nil {
			return sent, err
		}
		sent += int64(len(data))
		lr, _, err := d.remoteResource(ctx, p, yarnrpc.VisibilityApplication)
		if err != nil {
			return sent, err
		}
		lrs[f.link] = lr
	}
	env[contract.EnvKerberosPrincipal] = principal
	env[contract.EnvKerberosKeytab] = contract.LinkKeytab
	env[contract.EnvKrb5Config] = contract.LinkKrb5Conf
	return sent, nil
}
