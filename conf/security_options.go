package conf

// Kerberos login options (Flink's security.kerberos.* keys).
const (
	KerberosUseTicketCache = "security.kerberos.login.use-ticket-cache"
	KerberosKeytab         = "security.kerberos.login.keytab"
	KerberosPrincipal      = "security.kerberos.login.principal"
	KerberosKrb5Conf       = "security.kerberos.krb5-conf.path"
)

// securityDeclarations are the security options; declarations appends them.
func securityDeclarations() []Option {
	return []Option{
		{KerberosUseTicketCache, TypeBool, "true", "Log in from the Kerberos ticket cache (KRB5CCNAME, else /tmp/krb5cc_<uid>) when no keytab is configured."},
		{KerberosKeytab, TypeString, "", "Keytab to log in with (with security.kerberos.login.principal); it is also shipped to the cluster (readable only by the application) so that the JobManager can renew delegation tokens for jobs that outlive their maximum lifetime."},
		{KerberosPrincipal, TypeString, "", "Kerberos principal of security.kerberos.login.keytab, e.g. floe@EXAMPLE.COM."},
		{KerberosKrb5Conf, TypeString, "", "krb5.conf to use; empty means KRB5_CONFIG, else /etc/krb5.conf."},
	}
}
