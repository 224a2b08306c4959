package hdfsstore

import (
	"errors"
	"net"
	"os"
	"strings"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/yarnrpc"
	krbclient "github.com/jcmturner/gokrb5/v8/client"
	"github.com/rs/zerolog"
)

// keyNameNodePrincipal is the NameNode's Kerberos principal, e.g.
// nn/_HOST@EXAMPLE.COM.
const keyNameNodePrincipal = "dfs.namenode.kerberos.principal"

// namenodeSPN returns the service principal name (without realm) a client
// asks the KDC for: dfs.namenode.kerberos.principal with _HOST replaced by
// the canonical name of the first NameNode address, as Hadoop's
// SecurityUtil.getServerPrincipal does (an IP is reverse-resolved).
func namenodeSPN(h *conf.Hadoop, addrs []string) (string, error) {
	p := h.Get(keyNameNodePrincipal)
	if p == "" {
		return "", errors.New("hadoop.security.authentication is kerberos but " + keyNameNodePrincipal + " is not set in hdfs-site.xml")
	}
	p, _, _ = strings.Cut(p, "@")
	if strings.Contains(p, "_HOST") && len(addrs) > 0 {
		p = strings.ReplaceAll(p, "_HOST", strings.ToLower(canonicalHost(addrs[0])))
	}
	return p, nil
}

// canonicalHost is the host of addr, reverse-resolved when it is an IP.
func canonicalHost(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if net.ParseIP(host) != nil {
		if names, err := net.LookupAddr(host); err == nil && len(names) > 0 {
			return strings.TrimSuffix(names[0], ".")
		}
	}
	return host
}

// hdfsToken picks the delegation token for a NameNode: the one whose
// service is one of addrs (as ip:port), else the first HDFS token.
func hdfsToken(c *yarnrpc.Credentials, addrs []string) *yarnrpc.Token {
	for _, a := range addrs {
		if t, ok := c.Token(yarnrpc.TokenService(a)); ok && t.Kind == yarnrpc.KindHDFSDelegate {
			return &t
		}
	}
	if t, ok := c.TokenByKind(yarnrpc.KindHDFSDelegate); ok {
		return &t
	}
	return nil
}

// shortName is a principal's first component: floe/host@REALM -> floe.
func shortName(principal string) string {
	p, _, _ := strings.Cut(principal, "@")
	p, _, _ = strings.Cut(p, "/")
	return p
}

// containerKeytabLogin logs in from the keytab the client shipped into a
// YARN container (contract.EnvKerberosKeytab, contract.EnvKerberosPrincipal,
// KRB5_CONFIG); nil when none was shipped or the login fails (then the
// container's delegation tokens are used, and the failure is logged).
func containerKeytabLogin(log zerolog.Logger) *krbclient.Client {
	a, err := yarnrpc.ContainerKeytabAuth()
	if err != nil {
		log.Warn().Err(err).Str("principal", os.Getenv(contract.EnvKerberosPrincipal)).
			Str("keytab", os.Getenv(contract.EnvKerberosKeytab)).Msg("login from the shipped keytab failed; using the delegation tokens")
		return nil
	}
	if a == nil {
		return nil
	}
	return a.Client
}
