package yarnrpc

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
)

// KERBEROS authentication: SASL GSSAPI (RFC 4752) over the Kerberos v5
// GSS mechanism (RFC 4121), with gokrb5 for tickets and AP-REQ.
//
//	INITIATE  token = GSS initial context token (OID 1.2.840.113554.1.2.2, 01 00, AP-REQ)
//	CHALLENGE token = [AP-REP, only if mutual auth was requested → RESPONSE empty]
//	CHALLENGE token = Wrap{ layers bitmask (1 none, 2 integrity, 4 privacy) | 3-byte max buffer }
//	RESPONSE  token = Wrap{ chosen layer | 3-byte max buffer }
//	SUCCESS
//
// We do not request mutual authentication (neither does Hadoop's Java
// client), so against the JDK's GSSAPI server this is two rounds: AP-REQ,
// then the layer choice (checked in jdk_interop_test.go). Wrap tokens are
// in kerberos_wrap.go.

// KerberosAuth is the Kerberos credential of a connection.
type KerberosAuth struct {
	// Client is a gokrb5 client with a keytab, password or ticket cache.
	Client *client.Client
	// ServerPrincipal is the configured server principal, e.g.
	// yarn.resourcemanager.principal "rm/_HOST@EXAMPLE.COM"; _HOST is
	// replaced by the server's host. "" accepts the principal the server
	// advertises.
	ServerPrincipal string
	// HostName is substituted for _HOST; "" uses the host of the server
	// address, reverse-resolved when it is an IP (Java uses the canonical
	// host name).
	HostName string
	// ServiceTicket obtains the service ticket for an SPN ("rm/host");
	// nil uses Client.GetServiceTicket. Tests substitute it.
	ServiceTicket func(spn string) (messages.Ticket, types.EncryptionKey, error)
}

// KerberosFromKeytab logs in principal ("user@REALM" or
// "user/host@REALM") from a keytab file, using krb5.conf at confPath.
func KerberosFromKeytab(principal, keytabPath, confPath string) (*KerberosAuth, error) {
	cfg, err := config.Load(confPath)
	if err != nil {
		return nil, fmt.Errorf("load krb5 config %s: %w", confPath, err)
	}
	kt, err := keytab.Load(keytabPath)
	if err != nil {
		return nil, fmt.Errorf("load keytab %s: %w", keytabPath, err)
	}
	name, realm, ok := strings.Cut(principal, "@")
	if !ok {
		realm = cfg.LibDefaults.DefaultRealm
	}
	cl := client.NewWithKeytab(name, realm, kt, cfg, client.DisablePAFXFAST(true))
	if err := cl.Login(); err != nil {
		return nil, fmt.Errorf("kerberos login %s: %w", principal, err)
	}
	return &KerberosAuth{Client: cl}, nil
}

// KerberosFromCCache uses the tickets of a credentials cache (kinit).
func KerberosFromCCache(ccachePath, confPath string) (*KerberosAuth, error) {
	cfg, err := config.Load(confPath)
	if err != nil {
		return nil, fmt.Errorf("load krb5 config %s: %w", confPath, err)
	}
	cc, err := credentials.LoadCCache(ccachePath)
	if err != nil {
		return nil, fmt.Errorf("load ticket cache %s: %w", ccachePath, err)
	}
	cl, err := client.NewFromCCache(cc, cfg, client.DisablePAFXFAST(true))
	if err != nil {
		return nil, fmt.Errorf("kerberos from ticket cache: %w", err)
	}
	return &KerberosAuth{Client: cl}, nil
}

// ExpandHostPrincipal replaces the _HOST placeholder with host (lower-cased),
// as Hadoop's SecurityUtil.getServerPrincipal does.
func ExpandHostPrincipal(principal, host string) string {
	return strings.ReplaceAll(principal, "_HOST", strings.ToLower(host))
}

func (k *KerberosAuth) hostFor(addr string) string {
	if k.HostName != "" {
		return k.HostName
	}
	host, _, _ := net.SplitHostPort(addr)
	if net.ParseIP(host) != nil {
		if names, err := net.LookupAddr(host); err == nil && len(names) > 0 {
			return strings.TrimSuffix(names[0], ".")
		}
	}
	return host
}

func (k *KerberosAuth) validate() error {
	if k.Client == nil || k.Client.Credentials == nil {
		return errors.New("KerberosAuth.Client is not set")
	}
	return nil
}

// principalName is the client's full principal, the effective user of the
// connection context.
func (k *KerberosAuth) principalName() string {
	c := k.Client.Credentials
	return c.CName().PrincipalNameString() + "@" + c.Realm()
}

func (k *KerberosAuth) ticket(spn string) (messages.Ticket, types.EncryptionKey, error) {
	if k.ServiceTicket != nil {
		return k.ServiceTicket(spn)
	}
	return k.Client.GetServiceTicket(spn)
}

// GSSAPI security-layer bits.
const (
	gssLayerNone      = 1
	gssLayerIntegrity = 2
	gssLayerPrivacy   = 4
	gssMaxBuf         = 0xFFFFFF
)

// gssapiClient is the client side of SASL GSSAPI.
type gssapiClient struct {
	auth   *KerberosAuth
	spn    string
	qop    []string
	state  int // 0 start, 1 AP-REQ sent, 2 context established, 3 layer chosen
	key    types.EncryptionKey
	subkey bool // key is the acceptor's subkey
	chosen byte
	peer   int
	// sequence numbers of the next wrap token each way
	sendSeq, recvSeq uint64
}

func newGSSAPIClient(k *KerberosAuth, auth interface {
	GetProtocol() string
	GetServerId() string
}, addr string, qop []string) (*gssapiClient, error) {
	spn := auth.GetProtocol() + "/" + auth.GetServerId()
	if auth.GetProtocol() == "" || auth.GetServerId() == "" {
		return nil, fmt.Errorf("kerberos: server advertises no principal (protocol %q, server id %q)", auth.GetProtocol(), auth.GetServerId())
	}
	if k.ServerPrincipal != "" {
		want := ExpandHostPrincipal(k.ServerPrincipal, k.hostFor(addr))
		if i := strings.IndexByte(want, '@'); i >= 0 {
			want = want[:i]
		}
		if !strings.EqualFold(want, spn) {
			return nil, fmt.Errorf("kerberos: server principal %s does not match configured %s", spn, want)
		}
	}
	return &gssapiClient{auth: k, spn: spn, qop: qop}, nil
}

func (g *gssapiClient) name() string { return "GSSAPI" }

func (g *gssapiClient) step(challenge []byte) ([]byte, error) {
	switch g.state {
	case 0:
		tkt, key, err := g.auth.ticket(g.spn)
		if err != nil {
			return nil, fmt.Errorf("service ticket for %s: %w", g.spn, err)
		}
		g.key = key
		tok, err := spnego.NewKRB5TokenAPREQ(g.auth.Client, tkt, key,
			[]int{gssapi.ContextFlagInteg, gssapi.ContextFlagConf}, nil)
		if err != nil {
			return nil, fmt.Errorf("build AP-REQ: %w", err)
		}
		// RFC 4121: the initiator's sequence numbers start at the
		// authenticator's; the acceptor's too unless its AP-REP says otherwise.
		plain, err := crypto.DecryptEncPart(tok.APReq.EncryptedAuthenticator, key, keyusage.AP_REQ_AUTHENTICATOR)
		if err != nil {
			return nil, fmt.Errorf("read back authenticator: %w", err)
		}
		var a types.Authenticator
		if err := a.Unmarshal(plain); err != nil {
			return nil, fmt.Errorf("read back authenticator: %w", err)
		}
		g.sendSeq, g.recvSeq = uint64(a.SeqNumber), uint64(a.SeqNumber)
		g.state = 1
		return tok.Marshal()
	case 1:
		var k spnego.KRB5Token
		if len(challenge) > 0 && challenge[0] == 0x60 && k.Unmarshal(challenge) == nil && k.IsAPRep() {
			// Mutual authentication: check the AP-REP and take its subkey.
			plain, err := crypto.DecryptEncPart(k.APRep.EncPart, g.key, keyusage.AP_REP_ENCPART)
			if err != nil {
				return nil, fmt.Errorf("AP-REP: %w", err)
			}
			var part messages.EncAPRepPart
			if err := part.Unmarshal(plain); err != nil {
				return nil, fmt.Errorf("AP-REP: %w", err)
			}
			g.recvSeq = uint64(part.SequenceNumber)
			if part.Subkey.KeyType != 0 && len(part.Subkey.KeyValue) > 0 {
				g.key, g.subkey = part.Subkey, true
			}
			g.state = 2
			return []byte{}, nil
		}
		g.state = 2
		return g.step(challenge)
	case 2:
		l := &gssLayer{key: g.key, subkey: g.subkey, initiator: true, sendSeq: g.sendSeq, recvSeq: g.recvSeq}
		offer, err := l.unwrap(challenge)
		if err != nil {
			return nil, fmt.Errorf("security layer offer: %w", err)
		}
		if len(offer) != 4 {
			return nil, fmt.Errorf("security layer offer has %d bytes, want 4", len(offer))
		}
		g.peer = int(offer[1])<<16 | int(offer[2])<<8 | int(offer[3])
		if g.chosen, err = chooseGSSLayer(offer[0], g.qop); err != nil {
			return nil, err
		}
		reply := []byte{g.chosen, 0xFF, 0xFF, 0xFF} // gssMaxBuf
		g.state = 3
		out, err := l.wrapToken(reply, false)
		g.sendSeq, g.recvSeq = l.sendSeq, l.recvSeq
		return out, err
	}
	return nil, errors.New("kerberos: unexpected challenge after security layer negotiation")
}

func chooseGSSLayer(offered byte, prefs []string) (byte, error) {
	if len(prefs) == 0 {
		prefs = []string{QOPAuthConf, QOPAuthInt, QOPAuth}
	}
	bit := map[string]byte{QOPAuth: gssLayerNone, QOPAuthInt: gssLayerIntegrity, QOPAuthConf: gssLayerPrivacy}
	for _, p := range prefs {
		if offered&bit[p] != 0 {
			return bit[p], nil
		}
	}
	return 0, fmt.Errorf("kerberos: no common security layer (server offers %#x, client accepts %v)", offered, prefs)
}

func (g *gssapiClient) finish(final []byte) error {
	if g.state != 3 {
		return errors.New("kerberos: server reported success before the security layer was negotiated")
	}
	return nil
}

func (g *gssapiClient) layer() (securityLayer, error) {
	if g.chosen == gssLayerNone {
		return nil, nil
	}
	return &gssLayer{key: g.key, subkey: g.subkey, initiator: true, conf: g.chosen == gssLayerPrivacy,
		sendSeq: g.sendSeq, recvSeq: g.recvSeq, peerMax: g.peer}, nil
}
