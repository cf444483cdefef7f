package connector_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/connector"
	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
)

// lockedBuffer collects the connector's logs from its goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestSecretsNeverLeak(t *testing.T) {
	const (
		kafkaPassword = "SECRET-KAFKA-55c1e0"
		tikiSecret    = "SECRET-TIKI-7f3a2b"
		wrongSecret   = "SECRET-WRONG-91b2d4"
	)
	broker, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "svc", kafkaPassword))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	good := tikisim.New(clientID, tikiSecret)
	bad := tikisim.New(clientID, tikiSecret)
	now := time.Now().UTC().Truncate(time.Second)
	seed(good, 100, now.Add(-time.Minute), time.Hour)
	seed(bad, 10, now.Add(-time.Minute), time.Hour)
	goodURL, badURL := serve(t, good), serve(t, bad)

	var b strings.Builder
	fmt.Fprintf(&b, "name: secrets\nkafka:\n  brokers: [%q]\n  sasl:\n    mechanism: SCRAM-SHA-256\n    username: svc\n    password: ${KAFKA_PW}\n"+
		"  offsets_partitions: 2\n  replication_factor: 1\nhttp:\n  listen: \"-\"\nsources:\n", broker.ListenAddrs()[0])
	start := now.Add(-2 * time.Hour).Format(time.RFC3339)
	fmt.Fprintf(&b, sourceYAML, "good", "secrets.good", "5s", goodURL, "GOOD_SECRET", 100, start, "6h", 10000)
	fmt.Fprintf(&b, sourceYAML, "bad", "secrets.bad", "5s", badURL, "BAD_SECRET", 100, start, "6h", 10000)
	env := map[string]string{"KAFKA_PW": kafkaPassword, "GOOD_SECRET": tikiSecret, "BAD_SECRET": wrongSecret}
	cfg, err := config.Parse([]byte(b.String()), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}

	var logs lockedBuffer
	c, err := connector.New(cfg, connector.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	m := c.Metrics()
	waitFor(t, "both sources' first results", 30*time.Second, func() bool {
		return testutil.ToFloat64(m.RecordsWritten.WithLabelValues("good", "tiki_lead")) >= 100 &&
			testutil.ToFloat64(m.PollErrors.WithLabelValues("bad", "tiki_lead", "auth")) >= 1
	})
	_, status := get(t, c.Handler(), "/status")
	_, exposition := get(t, c.Handler(), "/metrics")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "auth (HTTP 401)") || !strings.Contains(status, "auth (HTTP 401)") {
		t.Fatalf("the failing source's error is not reported:\nlogs %s\nstatus %s", logs.String(), status)
	}
	for _, where := range []struct{ name, text string }{{"logs", logs.String()}, {"/status", status}, {"/metrics", exposition}} {
		for _, s := range []string{kafkaPassword, tikiSecret, wrongSecret} {
			if strings.Contains(where.text, s) {
				t.Errorf("%s contains the secret %s", where.name, s)
			}
		}
	}
	t.Logf("checked %d bytes of logs, %d of /status, %d of /metrics: no secret", len(logs.String()), len(status), len(exposition))
}
