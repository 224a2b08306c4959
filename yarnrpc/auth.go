package yarnrpc

import (
	"fmt"
	"os"
	"os/user"
)

// AuthMethod is how a connection authenticates, as in Hadoop's
// SaslRpcServer.AuthMethod.
type AuthMethod int

const (
	// AuthSimple sends the user name in the connection context without SASL
	// (auth protocol byte 0x00), as Java does on insecure clusters.
	AuthSimple AuthMethod = iota
	// AuthToken authenticates with a token over SASL DIGEST-MD5. The RM
	// scheduler port and NodeManagers accept only this, even when insecure.
	AuthToken
	// AuthKerberos authenticates with Kerberos over SASL GSSAPI.
	AuthKerberos
)

// String returns Hadoop's name for the method.
func (m AuthMethod) String() string {
	switch m {
	case AuthSimple:
		return "SIMPLE"
	case AuthToken:
		return "TOKEN"
	case AuthKerberos:
		return "KERBEROS"
	}
	return fmt.Sprintf("AuthMethod(%d)", int(m))
}

// mechanism is the SASL mechanism Hadoop pairs with the method.
func (m AuthMethod) mechanism() string {
	switch m {
	case AuthToken:
		return "DIGEST-MD5"
	case AuthKerberos:
		return "GSSAPI"
	}
	return ""
}

// Quality-of-protection values (hadoop.rpc.protection authentication,
// integrity and privacy).
const (
	QOPAuth     = "auth"
	QOPAuthInt  = "auth-int"
	QOPAuthConf = "auth-conf"
)

// QOPFromProtection maps hadoop.rpc.protection values
// ("authentication", "integrity", "privacy", comma-separated) to QOP names
// in the same order. Unknown values are an error.
func QOPFromProtection(protection []string) ([]string, error) {
	var out []string
	for _, p := range protection {
		switch p {
		case "authentication":
			out = append(out, QOPAuth)
		case "integrity":
			out = append(out, QOPAuthInt)
		case "privacy":
			out = append(out, QOPAuthConf)
		default:
			return nil, fmt.Errorf("unknown hadoop.rpc.protection value %q", p)
		}
	}
	return out, nil
}

// DefaultUser is the SIMPLE user: $HADOOP_USER_NAME, else the OS user.
func DefaultUser() (string, error) {
	if u := os.Getenv("HADOOP_USER_NAME"); u != "" {
		return u, nil
	}
	u, err := user.Current()
	if err != nil {
		return "", fmt.Errorf("find OS user: %w", err)
	}
	return u.Username, nil
}
