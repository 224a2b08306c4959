package contract

// A keytab shipped with the application (security.kerberos.login.keytab):
// the client stages it (mode 0400) and krb5.conf next to the other files,
// both localized (visibility APPLICATION) into every Floe container under
// these link names, and names the principal in the environment. Containers
// then log in from the keytab instead of relying on delegation tokens that
// end at their maximum lifetime. Only names and paths travel in the
// environment, never key material.
const (
	LinkKeytab   = "krb5.keytab"
	LinkKrb5Conf = "krb5.conf"
	// EnvKerberosPrincipal is the principal of the shipped keytab.
	EnvKerberosPrincipal = "FLOE_KERBEROS_PRINCIPAL"
	// EnvKerberosKeytab is the localized keytab (LinkKeytab, relative to
	// the container's working folder).
	EnvKerberosKeytab = "FLOE_KERBEROS_KEYTAB"
	// EnvKrb5Config is the standard KRB5_CONFIG, set to LinkKrb5Conf.
	EnvKrb5Config = "KRB5_CONFIG"
)
