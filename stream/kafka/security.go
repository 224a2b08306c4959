package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// security are the Java client's TLS and SASL options the connector
// understands, each with a check of its value alone; securityOpts reads
// them together, since they only make sense as a set.
var security = map[string]func(v string) error{
	"security.protocol": oneOf("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
	// GSSAPI (Kerberos) and OAUTHBEARER are not among them.
	"sasl.mechanism":                        oneOf("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"),
	"sasl.jaas.config":                      func(v string) error { _, err := parseJAAS(v); return err },
	"ssl.truststore.type":                   oneOf("PEM"),
	"ssl.truststore.location":               func(string) error { return nil },
	"ssl.truststore.certificates":           func(string) error { return nil },
	"ssl.keystore.type":                     oneOf("PEM"),
	"ssl.keystore.location":                 func(string) error { return nil },
	"ssl.endpoint.identification.algorithm": oneOf("https", ""),
}

func oneOf(vs ...string) func(string) error {
	return func(v string) error {
		for _, w := range vs {
			if v == w {
				return nil
			}
		}
		return fmt.Errorf("want one of %q", vs)
	}
}

// Login modules of sasl.jaas.config, by mechanism.
const (
	plainModule = "org.apache.kafka.common.security.plain.PlainLoginModule"
	scramModule = "org.apache.kafka.common.security.scram.ScramLoginModule"
)

// securityOpts turns the security keys of props into a TLS dialer and a
// SASL mechanism, as the Java client's security.protocol does:
// PLAINTEXT (the default), SSL, SASL_PLAINTEXT or SASL_SSL. Trust and key
// stores must be PEM (Java's ssl.truststore.type=PEM), as Go reads no JKS
// or PKCS#12; the key of a key store must not be encrypted.
func securityOpts(props map[string]string) ([]kgo.Opt, error) {
	for _, k := range sortedKeys(props) {
		check, ok := security[k]
		if !ok {
			continue
		}
		if err := check(props[k]); err != nil {
			if k == "sasl.jaas.config" { // holds the password
				return nil, fmt.Errorf("%s%s: %w", PropertiesPrefix, k, err)
			}
			return nil, fmt.Errorf("%s%s=%q: %w", PropertiesPrefix, k, props[k], err)
		}
	}
	proto := props["security.protocol"]
	if proto == "" {
		proto = "PLAINTEXT"
	}
	useTLS := proto == "SSL" || proto == "SASL_SSL"
	useSASL := strings.HasPrefix(proto, "SASL_")
	for _, k := range sortedKeys(props) {
		if !useTLS && strings.HasPrefix(k, "ssl.") {
			return nil, fmt.Errorf("%s%s: needs %ssecurity.protocol SSL or SASL_SSL (it is %s)", PropertiesPrefix, k, PropertiesPrefix, proto)
		}
		if !useSASL && strings.HasPrefix(k, "sasl.") {
			return nil, fmt.Errorf("%s%s: needs %ssecurity.protocol SASL_PLAINTEXT or SASL_SSL (it is %s)", PropertiesPrefix, k, PropertiesPrefix, proto)
		}
	}
	var out []kgo.Opt
	if useTLS {
		cfg, err := tlsConfig(props)
		if err != nil {
			return nil, err
		}
		out = append(out, kgo.DialTLSConfig(cfg))
	}
	if useSASL {
		m, err := saslMechanism(props)
		if err != nil {
			return nil, err
		}
		out = append(out, kgo.SASL(m))
	}
	return out, nil
}

func saslMechanism(props map[string]string) (sasl.Mechanism, error) {
	mech := props["sasl.mechanism"]
	if mech == "" {
		return nil, fmt.Errorf("%ssecurity.protocol=%s needs %ssasl.mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (GSSAPI, the Java default, is not supported)",
			PropertiesPrefix, props["security.protocol"], PropertiesPrefix)
	}
	jaas, ok := props["sasl.jaas.config"]
	if !ok {
		return nil, fmt.Errorf("%ssasl.mechanism=%s needs %ssasl.jaas.config with the username and password, e.g. %s required username=\"u\" password=\"p\";",
			PropertiesPrefix, mech, PropertiesPrefix, moduleFor(mech))
	}
	j, err := parseJAAS(jaas)
	if err != nil {
		return nil, fmt.Errorf("%ssasl.jaas.config: %w", PropertiesPrefix, err)
	}
	if j.module != moduleFor(mech) {
		return nil, fmt.Errorf("%ssasl.jaas.config: login module %s does not go with sasl.mechanism=%s; use %s",
			PropertiesPrefix, j.module, mech, moduleFor(mech))
	}
	user, pass := j.options["username"], j.options["password"]
	if user == "" || pass == "" {
		return nil, fmt.Errorf("%ssasl.jaas.config: set both username=\"…\" and password=\"…\"", PropertiesPrefix)
	}
	switch mech {
	case "PLAIN":
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: user, Pass: pass, IsToken: j.options["tokenauth"] == "true"}.AsSha256Mechanism(), nil
	default:
		return scram.Auth{User: user, Pass: pass, IsToken: j.options["tokenauth"] == "true"}.AsSha512Mechanism(), nil
	}
}

func moduleFor(mech string) string {
	if mech == "PLAIN" {
		return plainModule
	}
	return scramModule
}

func tlsConfig(props map[string]string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	loc, inline := props["ssl.truststore.location"], props["ssl.truststore.certificates"]
	if loc != "" || inline != "" {
		if props["ssl.truststore.type"] != "PEM" {
			return nil, fmt.Errorf("%sssl.truststore.*: only PEM trust stores are read; set %sssl.truststore.type=PEM and give PEM certificates (keytool -exportcert -rfc writes them from a JKS store)",
				PropertiesPrefix, PropertiesPrefix)
		}
		pem := []byte(inline)
		if loc != "" {
			b, err := os.ReadFile(loc)
			if err != nil {
				return nil, fmt.Errorf("%sssl.truststore.location: %w", PropertiesPrefix, err)
			}
			pem = append(pem, b...)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%sssl.truststore: no PEM certificate found", PropertiesPrefix)
		}
	}
	if loc := props["ssl.keystore.location"]; loc != "" {
		if props["ssl.keystore.type"] != "PEM" {
			return nil, fmt.Errorf("%sssl.keystore.location: only PEM key stores are read; set %sssl.keystore.type=PEM and give one file with the certificate chain and an unencrypted private key",
				PropertiesPrefix, PropertiesPrefix)
		}
		b, err := os.ReadFile(loc)
		if err != nil {
			return nil, fmt.Errorf("%sssl.keystore.location: %w", PropertiesPrefix, err)
		}
		// Both blocks come from the one file: the certificates are
		// taken from it, then the key.
		cert, err := tls.X509KeyPair(b, b)
		if err != nil {
			return nil, fmt.Errorf("%sssl.keystore.location %s: %w (want the certificate chain and an unencrypted private key in PEM)", PropertiesPrefix, loc, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if v, ok := props["ssl.endpoint.identification.algorithm"]; ok && v == "" {
		// The Java client's empty value: check the chain, not the name.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("broker sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: cfg.RootCAs, Intermediates: inter})
			return err
		}
	}
	return cfg, nil
}

// jaas is a parsed sasl.jaas.config: one login module and its options.
type jaas struct {
	module  string
	options map[string]string
}

// parseJAAS reads the Java client's sasl.jaas.config, one JAAS login
// module entry:
//
//	<module class> <required|requisite|sufficient|optional> [key=value ...];
//
// where a value is a word or a double-quoted string (backslash escapes
// the next character).
func parseJAAS(s string) (jaas, error) {
	toks, err := jaasTokens(s)
	if err != nil {
		return jaas{}, err
	}
	bad := func(what string) (jaas, error) {
		return jaas{}, fmt.Errorf("%s; want: <LoginModule class> required username=\"…\" password=\"…\";", what)
	}
	if len(toks) < 3 || toks[len(toks)-1] != ";" {
		return bad("not one login module entry ending in ';'")
	}
	j := jaas{module: toks[0], options: map[string]string{}}
	switch toks[1] {
	case "required", "requisite", "sufficient", "optional":
	default:
		return bad(fmt.Sprintf("control flag %q", toks[1]))
	}
	rest := toks[2 : len(toks)-1]
	for len(rest) > 0 {
		if len(rest) < 3 || rest[1] != "=" {
			return bad(fmt.Sprintf("option %d is not key=value", len(j.options)+1))
		}
		j.options[rest[0]] = rest[2]
		rest = rest[3:]
	}
	return j, nil
}

// jaasTokens splits s into words, quoted strings (unquoted), "=" and ";".
func jaasTokens(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\r':
			i++
		case '=', ';':
			out = append(out, string(c))
			i++
		case '"':
			var b strings.Builder
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			if i == len(s) {
				return nil, errors.New("unterminated quoted value")
			}
			out = append(out, b.String())
			i++
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n=;\"", rune(s[j])) {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out, nil
}
