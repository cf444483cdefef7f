package connector_test

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
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/kafka"
	"github.com/vnstream/connector/pkg/schema"
	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
	"github.com/vnstream/connector/schemas"
)

// saslSSL is a SASL_SSL (SCRAM-SHA-512 over TLS) listener and how to log in.
type saslSSL struct {
	brokers        []string
	caFile         string
	user, password string
}

// saslSSLListener returns the real broker's SASL_SSL listener named by
// KAFKA_SASL_SSL_BROKERS, _CA_FILE, _USER and _PASSWORD (test/kafka/start.sh
// with KAFKA_SASL_SSL=1 writes them into WORKDIR/sasl.env), or else starts an
// in-process kfake cluster serving TLS with a certificate signed by a CA made
// here, and SCRAM-SHA-512.
func saslSSLListener(t *testing.T) saslSSL {
	t.Helper()
	if v := os.Getenv("KAFKA_SASL_SSL_BROKERS"); v != "" {
		l := saslSSL{brokers: strings.Split(v, ","), caFile: os.Getenv("KAFKA_SASL_SSL_CA_FILE"),
			user: os.Getenv("KAFKA_SASL_SSL_USER"), password: os.Getenv("KAFKA_SASL_SSL_PASSWORD")}
		if l.caFile == "" || l.user == "" || l.password == "" {
			t.Fatal("KAFKA_SASL_SSL_BROKERS needs KAFKA_SASL_SSL_CA_FILE, KAFKA_SASL_SSL_USER and KAFKA_SASL_SSL_PASSWORD")
		}
		return l
	}
	caFile, serverTLS := caSignedTLS(t)
	l := saslSSL{caFile: caFile, user: "connector", password: "scram-" + uniqueName(t)}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(serverTLS),
		kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", l.user, l.password))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	l.brokers = c.ListenAddrs()
	return l
}

// caSignedTLS makes a CA and a leaf certificate for 127.0.0.1 and localhost
// signed by it, writes the CA (only) to a PEM file, and returns that file
// with the server's TLS config, so that a client verifies the chain.
func caSignedTLS(t *testing.T) (string, *tls.Config) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "connector test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return caFile, &tls.Config{MinVersion: tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER, caDER}, PrivateKey: key}}}
}

// saslSSLConfig is a one-source Tiki connector config reaching the brokers
// through l: kafka.tls with l's CA file and kafka.sasl SCRAM-SHA-512.
func saslSSLConfig(t *testing.T, l saslSSL, simURL string, start time.Time) *config.Config {
	t.Helper()
	cfg := testConfig(t, l.brokers, nil, "", tikiSource{name: "tiki-s", url: simURL, start: start})
	cfg.Kafka.TLS = config.TLS{Enabled: true, CAFile: l.caFile}
	cfg.Kafka.SASL = config.SASL{Mechanism: "SCRAM-SHA-512", Username: l.user, Password: config.Secret(l.password)}
	return cfg
}

// TestEndToEndOverSASLSSL is the backfill-then-stream scenario with the
// connector (its transactions, its replicas' consumer group, its admin
// requests) and the independent read_committed consumer all reaching the
// cluster over TLS, verified against a CA file, with SCRAM-SHA-512.
func TestEndToEndOverSASLSSL(t *testing.T) {
	l := saslSSLListener(t)
	sim, url := newSim(t, tikisim.WithStartID(90), tikisim.WithPageCap(40))
	now := time.Now().UTC().Truncate(time.Second)
	const backlog, streamed = 500, 30
	span := 3 * 24 * time.Hour
	for i := range backlog {
		form := formA
		if i%4 == 0 {
			form = formB
		}
		sim.Create(form, now.Add(-time.Minute-span+time.Duration(i/3)*(span/(backlog/3+1))))
	}
	cfg := saslSSLConfig(t, l, url, now.Add(-span-time.Hour))
	if !cfg.Kafka.TLS.Enabled || cfg.Kafka.SASL.Mechanism != "SCRAM-SHA-512" || cfg.Kafka.SASL.Password.Value() != l.password {
		t.Fatalf("kafka config %+v: TLS and SCRAM not taken up", cfg.Kafka)
	}

	// The listener really asks for both: without the CA the chain is
	// refused, and a wrong password is refused.
	noCA := cfg.Kafka
	noCA.TLS.CAFile = ""
	badPW := cfg.Kafka
	badPW.SASL.Password = config.Secret("wrong-" + l.password)
	for _, k := range []struct {
		what string
		cfg  config.Kafka
	}{{"without the CA file", noCA}, {"with a wrong password", badPW}} {
		if err := listTopics(t, k.cfg); err == nil {
			t.Fatalf("listing topics %s succeeded", k.what)
		} else {
			t.Logf("%s: refused (%v)", k.what, err)
		}
	}

	var got committed
	started := time.Now()
	r := start(t, cfg, got.option())
	waitFor(t, "the backfill", 60*time.Second, func() bool { return got.count() >= backlog })
	if code, _ := get(t, r.c.Handler(), "/readyz"); code != 200 {
		t.Errorf("/readyz = %d while running", code)
	}
	for i := range streamed {
		at := time.Now().UTC().Truncate(time.Second)
		if i%10 == 0 {
			at = at.Add(-4 * time.Second) // late, inside the overlap
		}
		sim.Create(formA, at)
		if i%3 == 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor(t, "the streamed responses", 30*time.Second, func() bool { return got.count() >= backlog+streamed })
	r.stop(t)

	set, err := schema.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := kafka.Options(cfg.Kafka)
	if err != nil {
		t.Fatal(err)
	}
	events := readTopicOver(t, schema.NewDecoder(set, nil), opts, cfg.Sources[0].Topic, backlog+streamed, 20*time.Second)
	verifyExactlyOnce(t, sim, events)
	checkOps(t, events, started)
}

// listTopics asks the cluster for its topics with a client built from k,
// giving up after a few seconds.
func listTopics(t *testing.T, k config.Kafka) error {
	t.Helper()
	opts, err := kafka.Options(k)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append(opts, kgo.RetryTimeout(time.Second))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = kadm.NewClient(cl).ListTopics(ctx)
	return err
}
