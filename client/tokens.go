package client

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TokenSource obtains the delegation tokens an application needs on a
// Kerberos cluster; Deploy puts them in the AM container's credentials
// (each under its service as alias), so that the NodeManagers localize the
// staged files with them and the AM and TaskManagers reach HDFS and the RM.
type TokenSource func(ctx context.Context) ([]yarnrpc.Token, error)

// KerberosTokens returns the TokenSource of a Kerberos login: an HDFS
// delegation token from the NameNode of fs.defaultFS and an RM delegation
// token, both renewable by the RM (yarn.resourcemanager.principal), which
// renews them while the application runs.
func KerberosTokens(h *conf.Hadoop, login *yarnrpc.KerberosLogin, rm *yarnrpc.RMClient) TokenSource {
	return func(ctx context.Context) ([]yarnrpc.Token, error) {
		renewer := h.Get("yarn.resourcemanager.principal")
		if renewer == "" {
			return nil, fmt.Errorf("%w: hadoop.security.authentication is kerberos but yarn.resourcemanager.principal is not set in yarn-site.xml", ErrBadInput)
		}
		var out []yarnrpc.Token
		if t, ok, err := yarnrpc.DefaultFSDelegationToken(ctx, h, login.KerberosAuth); err != nil {
			return nil, err
		} else if ok {
			out = append(out, t)
		}
		t, err := rm.DelegationToken(ctx, renewer)
		if err != nil {
			return nil, err
		}
		t.Service = yarnrpc.TokenService(conf.ConnectAddress(h.RMAddress("")))
		return append(out, t), nil
	}
}

// addTokens obtains the tokens of src into creds and tells out until when
// they last: without a shipped keytab nothing can renew them past their
// maximum lifetime.
func addTokens(ctx context.Context, src TokenSource, creds *yarnrpc.Credentials, keytab bool, out io.Writer) error {
	toks, err := src(ctx)
	if err != nil {
		return fmt.Errorf("delegation tokens: %w", err)
	}
	var end time.Time
	for _, t := range toks {
		creds.AddToken(t.Service, t)
		if t.Kind != yarnrpc.KindHDFSDelegate {
			continue
		}
		if md, err := yarnrpc.TokenMaxDate(t); err == nil && (end.IsZero() || md.Before(end)) {
			end = md
		}
	}
	if !keytab && !end.IsZero() {
		_, _ = fmt.Fprintf(out, "Kerberos: no keytab is shipped (%s unset), so the application's HDFS delegation token cannot be renewed past its maximum lifetime: the job loses HDFS access at %s\n",
			conf.KerberosKeytab, end.Local().Format(time.RFC1123))
	}
	return nil
}
