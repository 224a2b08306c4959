package kafka

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
)

// clientWith builds (without dialing) a client from the options props
// map to, so the test can read the values franz-go ended up with.
func clientWith(t *testing.T, props map[string]string, role clientRole) *kgo.Client {
	t.Helper()
	opts, err := clientOpts(props, role)
	if err != nil {
		t.Fatalf("clientOpts(%v): %v", props, err)
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers("127.0.0.1:1")}, opts...)...)
	if err != nil {
		t.Fatalf("client from %v: %v", props, err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// TestPropertiesMapping: each passed-through Java client option sets the
// franz-go option it stands for, with the value converted.
func TestPropertiesMapping(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		role       clientRole
		opt        any // the kgo option function
		want       any
	}{
		{"client.id", "billing", roleConsumer, kgo.ClientID, "billing"},
		{"request.timeout.ms", "15000", roleProducer, kgo.RequestTimeoutOverhead, 15 * time.Second},
		{"socket.connection.setup.timeout.ms", "2500", roleConsumer, kgo.DialTimeout, 2500 * time.Millisecond},
		{"connections.max.idle.ms", "60000", roleConsumer, kgo.ConnIdleTimeout, time.Minute},
		{"metadata.max.age.ms", "30000", roleConsumer, kgo.MetadataMaxAge, 30 * time.Second},
		{"fetch.max.bytes", "1048576", roleConsumer, kgo.FetchMaxBytes, int32(1 << 20)},
		{"max.partition.fetch.bytes", "65536", roleConsumer, kgo.FetchMaxPartitionBytes, int32(1 << 16)},
		{"fetch.min.bytes", "1024", roleConsumer, kgo.FetchMinBytes, int32(1024)},
		{"fetch.max.wait.ms", "250", roleConsumer, kgo.FetchMaxWait, 250 * time.Millisecond},
		{"client.rack", "eu-1a", roleConsumer, kgo.Rack, "eu-1a"},
		{"isolation.level", "read_committed", roleConsumer, kgo.FetchIsolationLevel, int8(1)}, // read_committed
		{"acks", "all", roleProducer, kgo.RequiredAcks, kgo.AllISRAcks()},
		{"acks", "-1", roleProducer, kgo.RequiredAcks, kgo.AllISRAcks()},
		{"acks", "1", roleProducer, kgo.RequiredAcks, kgo.LeaderAck()},
		{"acks", "0", roleProducer, kgo.RequiredAcks, kgo.NoAck()},
		{"acks", "1", roleProducer, kgo.DisableIdempotentWrite, true},
		{"linger.ms", "20", roleProducer, kgo.ProducerLinger, 20 * time.Millisecond},
		{"batch.size", "262144", roleProducer, kgo.ProducerBatchMaxBytes, int32(1 << 18)},
		{"max.request.size", "2097152", roleProducer, kgo.ProducerBatchMaxBytes, int32(1 << 21)},
		{"buffer.memory", "33554432", roleProducer, kgo.MaxBufferedBytes, int64(1 << 25)},
		{"retries", "7", roleProducer, kgo.RecordRetries, int64(7)},
		{"delivery.timeout.ms", "120000", roleProducer, kgo.RecordDeliveryTimeout, 2 * time.Minute},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			cl := clientWith(t, map[string]string{tc.key: tc.value}, tc.role)
			if got := cl.OptValue(tc.opt); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("%T %v, want %T %v", got, got, tc.want, tc.want)
			}
		})
	}
	t.Run("compression.type=zstd", func(t *testing.T) {
		got := clientWith(t, map[string]string{"compression.type": "zstd"}, roleProducer).OptValue(kgo.ProducerBatchCompression)
		if !reflect.DeepEqual(got, []kgo.CompressionCodec{kgo.ZstdCompression()}) {
			t.Fatalf("codecs %v", got)
		}
	})
}

// firstSASLMessage is what the client's SASL mechanism sends first.
func firstSASLMessage(t *testing.T, cl *kgo.Client) (name, msg string) {
	t.Helper()
	ms, _ := cl.OptValue(kgo.SASL).([]sasl.Mechanism)
	if len(ms) != 1 {
		t.Fatalf("SASL mechanisms %v, want one", ms)
	}
	_, b, err := ms[0].Authenticate(context.Background(), "broker:9092")
	if err != nil {
		t.Fatal(err)
	}
	return ms[0].Name(), string(b)
}

// TestPropertiesSecurity: security.protocol with SASL (PLAIN, SCRAM) and
// TLS (a PEM trust store) gives the client the mechanism with the
// credentials of sasl.jaas.config, and a TLS dialer trusting the store.
func TestPropertiesSecurity(t *testing.T) {
	ca := writeCA(t)
	t.Run("SASL_PLAINTEXT PLAIN", func(t *testing.T) {
		cl := clientWith(t, map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
			"sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3 \"cr=t;";`}, roleConsumer)
		if name, msg := firstSASLMessage(t, cl); name != "PLAIN" || msg != "\x00alice\x00s3 \"cr=t;" {
			t.Fatalf("%s %q, want PLAIN with alice and the unquoted password", name, msg)
		}
		if cfg := cl.OptValue(kgo.DialTLSConfig); cfg.(*tls.Config) != nil {
			t.Fatal("TLS without SSL in security.protocol")
		}
	})
	for _, mech := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run("SASL_SSL "+mech, func(t *testing.T) {
			cl := clientWith(t, map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": mech,
				"sasl.jaas.config":        "org.apache.kafka.common.security.scram.ScramLoginModule required\n  username=bob\n  password=\"pw\";",
				"ssl.truststore.type":     "PEM",
				"ssl.truststore.location": ca,
			}, roleProducer)
			if name, msg := firstSASLMessage(t, cl); name != mech || !strings.HasPrefix(msg, "n,,n=bob,r=") {
				t.Fatalf("%s %q, want %s for bob", name, msg, mech)
			}
			cfg := cl.OptValue(kgo.DialTLSConfig).(*tls.Config)
			if cfg == nil || cfg.RootCAs == nil || cfg.InsecureSkipVerify {
				t.Fatalf("TLS config %+v, want the trust store's roots and verification", cfg)
			}
		})
	}
	t.Run("SSL without hostname check", func(t *testing.T) {
		cl := clientWith(t, map[string]string{"security.protocol": "SSL", "ssl.endpoint.identification.algorithm": ""}, roleConsumer)
		cfg := cl.OptValue(kgo.DialTLSConfig).(*tls.Config)
		if cfg == nil || cfg.VerifyConnection == nil {
			t.Fatalf("TLS config %+v, want a chain check without the name", cfg)
		}
		if ms := cl.OptValue(kgo.SASL); ms != nil && len(ms.([]sasl.Mechanism)) > 0 {
			t.Fatal("SASL without SASL in security.protocol")
		}
	})
}

// writeCA writes a self-signed CA certificate in PEM and returns its path.
func writeCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "floe test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPropertiesRefused: a bad key or value is an error that names it
// and says what to do instead.
func TestPropertiesRefused(t *testing.T) {
	jaas := `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="secret-pw";`
	for _, tc := range []struct {
		name  string
		props map[string]string
		role  clientRole
		want  []string
	}{
		{"unknown key lists the supported ones", map[string]string{"bogus": "1"}, roleConsumer,
			[]string{"properties.bogus", "supported:", "acks", "fetch.min.bytes", "security.protocol", "sasl.jaas.config"}},
		{"producer key on the source", map[string]string{"acks": "all"}, roleConsumer, []string{"properties.acks", "producer option"}},
		{"consumer key on the sink", map[string]string{"fetch.min.bytes": "1"}, roleProducer, []string{"properties.fetch.min.bytes", "consumer option"}},
		{"bad acks", map[string]string{"acks": "some"}, roleProducer, []string{"properties.acks", "want all, -1, 1 or 0"}},
		{"bad millis", map[string]string{"linger.ms": "soon"}, roleProducer, []string{"properties.linger.ms", "milliseconds"}},
		{"batch.size and max.request.size", map[string]string{"batch.size": "1000", "max.request.size": "2000"}, roleProducer, []string{"set one"}},
		{"group.id", map[string]string{"group.id": "g"}, roleConsumer, []string{"properties.group.id", "SourceOptions.GroupID"}},
		{"session.timeout.ms", map[string]string{"session.timeout.ms": "45000"}, roleConsumer, []string{"does not join the consumer group"}},
		{"bootstrap.servers", map[string]string{"bootstrap.servers": "h:1"}, roleProducer, []string{"Brokers"}},
		{"bad protocol", map[string]string{"security.protocol": "TLS"}, roleConsumer, []string{"properties.security.protocol", "SASL_SSL"}},
		{"SASL without mechanism", map[string]string{"security.protocol": "SASL_SSL", "sasl.jaas.config": jaas}, roleConsumer, []string{"needs properties.sasl.mechanism", "GSSAPI"}},
		{"GSSAPI", map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "GSSAPI"}, roleConsumer, []string{"properties.sasl.mechanism", "PLAIN"}},
		{"SASL without jaas", map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN"}, roleConsumer, []string{"needs properties.sasl.jaas.config", "PlainLoginModule"}},
		{"jaas module of another mechanism", map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-256", "sasl.jaas.config": jaas}, roleConsumer, []string{"does not go with", "ScramLoginModule"}},
		{"jaas without password", map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
			"sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="u";`}, roleConsumer, []string{"password"}},
		{"jaas without ';'", map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
			"sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="secret-pw"`}, roleConsumer, []string{"sasl.jaas.config", "ending in ';'"}},
		{"sasl key on plaintext", map[string]string{"sasl.mechanism": "PLAIN"}, roleConsumer, []string{"properties.sasl.mechanism", "needs properties.security.protocol SASL_PLAINTEXT or SASL_SSL"}},
		{"ssl key on SASL_PLAINTEXT", map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN", "sasl.jaas.config": jaas,
			"ssl.truststore.location": "/x"}, roleConsumer, []string{"properties.ssl.truststore.location", "SSL or SASL_SSL"}},
		{"JKS trust store", map[string]string{"security.protocol": "SSL", "ssl.truststore.location": "/etc/ts.jks"}, roleConsumer, []string{"PEM", "keytool"}},
		{"missing trust store", map[string]string{"security.protocol": "SSL", "ssl.truststore.type": "PEM", "ssl.truststore.location": "/no/such/ca.pem"}, roleConsumer, []string{"/no/such/ca.pem"}},
		{"key store password", map[string]string{"ssl.keystore.password": "x"}, roleConsumer, []string{"unencrypted PEM"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := clientOpts(tc.props, tc.role)
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "secret-pw") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}
