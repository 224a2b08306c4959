package yarnrpc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/jcmturner/gokrb5/v8/credentials"
)

// ErrNoKerberosLogin means Kerberos is required but no usable credentials
// were found or the login failed: no keytab and no (valid) ticket cache, a
// keytab without the principal's key, a KDC that refused or did not answer.
var ErrNoKerberosLogin = errors.New("no Kerberos login")

// KerberosLogin is a Kerberos login made from Flink's security options.
type KerberosLogin struct {
	*KerberosAuth
	// Principal is the logged-in principal, user@REALM.
	Principal string
	// Keytab is the keytab path, "" for a ticket-cache login.
	Keytab string
	// Krb5Conf is the krb5.conf used.
	Krb5Conf string
	// Expires is when the credentials end (the TGT of a ticket cache);
	// zero for a keytab, which logs in again whenever needed.
	Expires time.Time
}

// LoginFromConfig logs in as Flink does: with security.kerberos.login.keytab
// and .principal when the keytab is set, else from the ticket cache
// (KRB5CCNAME, else /tmp/krb5cc_<uid>) when
// security.kerberos.login.use-ticket-cache is true. krb5.conf is
// security.kerberos.krb5-conf.path, else KRB5_CONFIG, else /etc/krb5.conf.
// getenv is os.Getenv in production. Errors wrap ErrNoKerberosLogin and say
// how to fix them; they never contain key material.
func LoginFromConfig(cfg *conf.Config, getenv func(string) string) (*KerberosLogin, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	krb5 := Krb5ConfPath(cfg, getenv)
	if _, err := os.Stat(krb5); err != nil {
		return nil, fmt.Errorf("%w: krb5.conf %s: %w; set %s or KRB5_CONFIG", ErrNoKerberosLogin, krb5, err, conf.KerberosKrb5Conf)
	}
	if kt := cfg.String(conf.KerberosKeytab); kt != "" {
		p := cfg.String(conf.KerberosPrincipal)
		if p == "" {
			return nil, fmt.Errorf("%w: %s is set but %s is not; set the principal the keytab belongs to", ErrNoKerberosLogin, conf.KerberosKeytab, conf.KerberosPrincipal)
		}
		if _, err := os.Stat(kt); err != nil {
			return nil, fmt.Errorf("%w: %s %s: %w", ErrNoKerberosLogin, conf.KerberosKeytab, kt, err)
		}
		a, err := KerberosFromKeytab(p, kt, krb5)
		if err != nil {
			return nil, fmt.Errorf("%w: as %s with keytab %s (krb5.conf %s): %s: %v", ErrNoKerberosLogin, p, kt, krb5, loginHint(err), err)
		}
		return &KerberosLogin{KerberosAuth: a, Principal: a.principalName(), Keytab: kt, Krb5Conf: krb5}, nil
	}
	if !cfg.Bool(conf.KerberosUseTicketCache) {
		return nil, fmt.Errorf("%w: hadoop.security.authentication is kerberos, %s is unset and %s is false; set a keytab and principal", ErrNoKerberosLogin, conf.KerberosKeytab, conf.KerberosUseTicketCache)
	}
	cc := ccachePath(getenv)
	cache, err := credentials.LoadCCache(cc)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: no ticket cache at %s and %s is unset; run kinit, or set %s and %s", ErrNoKerberosLogin, cc, conf.KerberosKeytab, conf.KerberosKeytab, conf.KerberosPrincipal)
		}
		return nil, fmt.Errorf("%w: ticket cache %s: %v; run kinit again", ErrNoKerberosLogin, cc, err)
	}
	principal := cache.GetClientPrincipalName().PrincipalNameString() + "@" + cache.GetClientRealm()
	expires, err := tgtEnd(cache)
	if err != nil {
		return nil, fmt.Errorf("%w: ticket cache %s (%s): %v; run kinit again", ErrNoKerberosLogin, cc, principal, err)
	}
	if !expires.After(time.Now()) {
		return nil, fmt.Errorf("%w: the ticket of %s in %s expired at %s; run kinit again, or set %s and %s", ErrNoKerberosLogin, principal, cc, expires.Format(time.RFC3339), conf.KerberosKeytab, conf.KerberosPrincipal)
	}
	a, err := KerberosFromCCache(cc, krb5)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoKerberosLogin, err)
	}
	return &KerberosLogin{KerberosAuth: a, Principal: principal, Krb5Conf: krb5, Expires: expires}, nil
}

// ccachePath is KRB5CCNAME (FILE: prefix removed), else /tmp/krb5cc_<uid>.
func ccachePath(getenv func(string) string) string {
	if v := getenv("KRB5CCNAME"); v != "" {
		return strings.TrimPrefix(v, "FILE:")
	}
	return "/tmp/krb5cc_" + strconv.Itoa(os.Getuid())
}

// tgtEnd is the end time of the cache's ticket-granting ticket.
func tgtEnd(c *credentials.CCache) (time.Time, error) {
	for _, e := range c.GetEntries() {
		if len(e.Server.PrincipalName.NameString) > 0 && e.Server.PrincipalName.NameString[0] == "krbtgt" {
			return e.EndTime, nil
		}
	}
	return time.Time{}, errors.New("it holds no ticket-granting ticket")
}

// loginHint names the likely cause of a failed keytab login and its fix.
func loginHint(err error) string {
	m := err.Error()
	switch {
	case strings.Contains(m, "Networking_Error"):
		return "no KDC of the realm answers; check that the KDC runs and the kdc entries of the realm in krb5.conf (the KDC is reachable?)"
	case strings.Contains(m, "KDC_ERR_C_PRINCIPAL_UNKNOWN"):
		return "the KDC does not know this principal; check the principal and its realm (default_realm and [realms] of krb5.conf)"
	case strings.Contains(m, "key not found in keytab"), strings.Contains(m, "Decrypting_Error"):
		return "the keytab holds no key of this principal (see klist -kt); use the principal's own keytab"
	}
	return "check that the keytab holds this principal's key (klist -kt) and that the realm's KDC is reachable"
}

// Krb5ConfPath is the krb5.conf a login reads: security.kerberos.krb5-conf.path
// (cfg may be nil), else KRB5_CONFIG, else /etc/krb5.conf.
func Krb5ConfPath(cfg *conf.Config, getenv func(string) string) string {
	if cfg != nil {
		if p := cfg.String(conf.KerberosKrb5Conf); p != "" {
			return p
		}
	}
	if p := getenv(contract.EnvKrb5Config); p != "" {
		return p
	}
	return "/etc/krb5.conf"
}

// ContainerKeytabAuth logs in from the keytab the client shipped into a
// YARN container (contract.EnvKerberosKeytab and EnvKerberosPrincipal,
// KRB5_CONFIG): the AM and the TaskManagers keep Kerberos access past the
// delegation tokens' lifetime. It returns nil and no error when no keytab
// was shipped.
func ContainerKeytabAuth() (*KerberosAuth, error) {
	kt, p := os.Getenv(contract.EnvKerberosKeytab), os.Getenv(contract.EnvKerberosPrincipal)
	if kt == "" || p == "" {
		return nil, nil
	}
	return KerberosFromKeytab(p, kt, Krb5ConfPath(nil, os.Getenv))
}
