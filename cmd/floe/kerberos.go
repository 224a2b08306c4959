package main

import (
	"os"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/yarnrpc"
)

// kerberosLogin logs in from Flink's security.kerberos.* options when the
// Hadoop configuration asks for Kerberos; nil on a SIMPLE cluster. The RM
// principal (yarn.resourcemanager.principal) is checked on every connection.
func kerberosLogin(cfg *conf.Config, h *conf.Hadoop) (*yarnrpc.KerberosLogin, error) {
	if h.Authentication() != "kerberos" {
		return nil, nil
	}
	l, err := yarnrpc.LoginFromConfig(cfg, os.Getenv)
	if err != nil {
		return nil, err
	}
	l.ServerPrincipal = h.Get("yarn.resourcemanager.principal")
	return l, nil
}
