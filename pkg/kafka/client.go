// Package kafka is the connector's Kafka side: client options with TLS and
// SASL (client.go), topic creation and checks (admin.go), the offset store
// on the compacted offsets topic (offsets.go), the per-task transactional
// producer that writes a batch and its offset atomically (txn.go), and the
// embedded broker for `connector dev` (embedded.go).
package kafka

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/vnstream/connector/pkg/config"
)

// compressions are the batch codecs by their kafka.compression name,
// none aside (see uncompressed).
var compressions = map[string]kgo.CompressionCodec{
	"snappy": kgo.SnappyCompression(),
	"lz4":    kgo.Lz4Compression(),
	"zstd":   kgo.ZstdCompression(),
	"gzip":   kgo.GzipCompression(),
}

// compressor returns the batch compressor of a kafka.compression name. The
// connector's clients share it: kgo.ProducerBatchCompression would have
// each new client rewrite the shared option's list of codecs, a data race
// when tasks open their producers together.
func compressor(name string) (kgo.Compressor, error) {
	if name == "none" {
		return uncompressed{}, nil
	}
	codec, ok := compressions[name]
	if !ok {
		return nil, fmt.Errorf("kafka.compression %q is not supported", name)
	}
	return kgo.DefaultCompressor(codec)
}

// uncompressed is the compressor of kafka.compression none: franz-go sends
// a batch as it is when its compressor returns nil.
type uncompressed struct{}

func (uncompressed) Compress(*bytes.Buffer, []byte, ...kgo.CompressFlag) ([]byte, kgo.CompressionCodecType) {
	return nil, kgo.CodecNone
}

// Options returns the client options every connector client shares:
// seed brokers, TLS, SASL, client metrics and the batches' compression.
func Options(cfg config.Kafka) ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(cfg.Brokers...)}
	if !cfg.ClientMetrics {
		opts = append(opts, kgo.DisableClientMetrics())
	}
	if cfg.Compression != "" { // "": franz-go's default, snappy
		c, err := compressor(cfg.Compression)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.WithCompressor(c))
	}
	if cfg.TLS.Enabled {
		tc, err := tlsConfig(cfg.TLS)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	s := cfg.SASL
	switch s.Mechanism {
	case "":
	case "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: s.Username, Pass: s.Password.Value()}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: s.Username, Pass: s.Password.Value()}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: s.Username, Pass: s.Password.Value()}.AsSha512Mechanism()))
	default:
		return nil, fmt.Errorf("kafka.sasl.mechanism %q is not supported", s.Mechanism)
	}
	return opts, nil
}

func tlsConfig(c config.TLS) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.ServerName, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // opt-in, documented as never for production
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka.tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka.tls.ca_file %s: no PEM certificate found", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("kafka.tls.cert_file/key_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
