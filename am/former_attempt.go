package am

import (
	"context"
	"strings"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/rs/zerolog"
)

// attemptReports asks the ResourceManager how an application attempt
// ended (yarnrpc.RMClient.ApplicationAttemptReport).
type attemptReports func(ctx context.Context, id yarnrpc.ApplicationAttemptID) (yarnrpc.ApplicationAttemptReport, error)

// newAttemptReports returns the AM's ApplicationClientProtocol client for
// attempt reports: as the application's user on a SIMPLE cluster; on a
// Kerberos cluster with the shipped keytab, else the RM delegation token
// the client put in the AM container's credentials. It returns nil (and
// no closer) when it has no way to authenticate.
func newAttemptReports(ctx context.Context, h *conf.Hadoop, user string, creds *yarnrpc.Credentials, log zerolog.Logger) (attemptReports, func()) {
	o := yarnrpc.RMClientOptions{Hadoop: h, User: user, DialTimeout: 5 * time.Second, CallTimeout: 10 * time.Second, Logger: log}
	if h.Authentication() == "kerberos" {
		if auth, err := yarnrpc.ContainerKeytabAuth(); err == nil && auth != nil {
			o.Kerberos = auth
		}
		if o.Kerberos == nil {
			t, ok := creds.TokenByKind(yarnrpc.KindRMDelegation)
			if !ok {
				return nil, func() {}
			}
			o.Token = &t
		}
	}
	rm, err := yarnrpc.NewRMClient(ctx, o)
	if err != nil {
		log.Warn().Err(err).Msg("no ResourceManager client for attempt reports")
		return nil, func() {}
	}
	return rm.ApplicationAttemptReport, func() { _ = rm.Close() }
}

// formerAttemptDiagnostics is how the ResourceManager says attempt n ended
// (the AM container's exit code and the NodeManager's message), for the
// failover's entry in the jobs' exception history; "" when it cannot say.
func (a *appMaster) formerAttemptDiagnostics(ctx context.Context, n int) string {
	if a.out.attempts == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	id := yarnrpc.ApplicationAttemptID{App: a.opts.Env.Container.App(), Attempt: int32(n)}
	rep, err := a.out.attempts(ctx, id)
	if err != nil {
		a.log.Warn().Err(err).Stringer("attempt", id).Msg("could not ask the ResourceManager how the former attempt ended")
		return ""
	}
	return attemptDiagnostics(rep.Diagnostics)
}

// attemptDiagnostics keeps the informative part of an attempt's
// diagnostics: the lines before YARN's pointer to the tracking page, on
// one line, at most 600 bytes.
func attemptDiagnostics(d string) string {
	d, _, _ = strings.Cut(d, "For more detailed output")
	d = strings.Join(strings.Fields(d), " ")
	if d == "N/A" {
		return ""
	}
	if len(d) > 600 {
		d = d[:600] + "…"
	}
	return d
}
