package kafka_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/kafka"
)

const offsetsTopic = "connector-offsets"

func cluster(t *testing.T, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func client(t *testing.T, opts []kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func ensure(t *testing.T, cl *kgo.Client, partitions int32) {
	t.Helper()
	_, err := kafka.EnsureTopics(context.Background(), kadm.NewClient(cl), []kafka.Topic{
		{Name: offsetsTopic, Partitions: partitions, Replication: 1, Compact: true},
		{Name: "events", Partitions: 3, Replication: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// setup starts a cluster with the offsets topic of the given partitions.
func setup(t *testing.T, partitions int32) ([]kgo.Opt, *kgo.Client) {
	t.Helper()
	c := cluster(t)
	opts := []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}
	cl := client(t, opts)
	ensure(t, cl, partitions)
	return opts, cl
}

func TestOffsetKeyShapeAndTask(t *testing.T) {
	key := kafka.OffsetKey("conn", "tiki-main")
	if string(key) != `["conn",{"source":"tiki-main"}]` {
		t.Fatalf("key = %s, want Kafka Connect's shape", key)
	}
	c, s, err := kafka.ParseOffsetKey(key)
	if err != nil || c != "conn" || s != "tiki-main" {
		t.Fatalf("ParseOffsetKey = %q %q %v", c, s, err)
	}
	for _, bad := range []string{`{}`, `["conn"]`, `["conn",{"x":1}]`, `[1,{"source":"a"}]`} {
		if _, _, err := kafka.ParseOffsetKey([]byte(bad)); err == nil {
			t.Errorf("ParseOffsetKey(%s) accepted", bad)
		}
	}
	seen := map[int32]bool{}
	for i := range 200 {
		seen[kafka.Task(kafka.OffsetKey("conn", "s"+string(rune('a'+i%26))+string(rune('a'+i/26))), 5)] = true
	}
	if len(seen) != 5 {
		t.Fatalf("200 keys landed on %d of 5 tasks", len(seen))
	}
}

// The expected tasks were computed with a separate port of Kafka's
// Utils.murmur2 and toPositive(hash) % partitions, the Java producer's
// default for keyed records: murmur2("foo") = 597841616.
func TestTaskMatchesJavaPartitioner(t *testing.T) {
	for key, want := range map[string]int32{"foo": 16, `["conn",{"source":"tiki-main"}]`: 10} {
		if got := kafka.Task([]byte(key), 25); got != want {
			t.Errorf("Task(%s, 25) = %d, want %d as Kafka's default partitioner", key, got, want)
		}
	}
}

// commit writes one offset record (value nil is a tombstone) in a
// transaction of the given producer.
func commit(t *testing.T, p *kafka.Producer, task int32, source string, value string, extra ...*kgo.Record) {
	t.Helper()
	var v []byte
	if value != "" {
		v = []byte(value)
	}
	recs := append(extra, &kgo.Record{Topic: offsetsTopic, Partition: task, Key: kafka.OffsetKey("conn", source), Value: v})
	if err := p.Commit(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
}

func TestReadOffsetsLastValueTombstonesAndOtherConnectors(t *testing.T) {
	opts, _ := setup(t, 3)
	p := open(t, opts, "conn-0", 10*time.Second)
	commit(t, p, 0, "a", `{"n":1}`)
	commit(t, p, 0, "a", `{"n":2}`, &kgo.Record{Topic: "events", Value: []byte("e")})
	commit(t, p, 1, "b", `{"n":1}`)
	commit(t, p, 1, "b", "")
	commit(t, p, 2, "c", `{"n":7}`)
	other := &kgo.Record{Topic: offsetsTopic, Partition: 2, Key: kafka.OffsetKey("other", "c"), Value: []byte(`{"n":99}`)}
	if err := p.Commit(context.Background(), []*kgo.Record{other}); err != nil {
		t.Fatal(err)
	}
	got, err := kafka.ReadOffsets(context.Background(), opts, offsetsTopic, nil, "conn")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got["a"]) != `{"n":2}` || string(got["c"]) != `{"n":7}` {
		t.Fatalf("ReadOffsets = %s", got)
	}
	only1, err := kafka.ReadOffsets(context.Background(), opts, offsetsTopic, []int32{2}, "conn")
	if err != nil || len(only1) != 1 || string(only1["c"]) != `{"n":7}` {
		t.Fatalf("ReadOffsets(partition 2) = %s, %v", only1, err)
	}
}

// open fences the transactional id and returns its producer, closed with
// the test.
func open(t *testing.T, opts []kgo.Opt, txnID string, timeout time.Duration) *kafka.Producer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := kafka.OpenProducer(ctx, opts, txnID, offsetsTopic, timeout, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func TestAbortedTransactionIsInvisibleAndOpeningFencesTheZombie(t *testing.T) {
	opts, _ := setup(t, 1)
	p := open(t, opts, "conn-0", 30*time.Second)
	commit(t, p, 0, "a", `{"n":1}`)

	// A commit whose context is cancelled mid-way aborts: nothing is
	// visible, and the producer refuses further commits.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := func(n int) *kgo.Record {
		return &kgo.Record{Topic: offsetsTopic, Partition: 0, Key: kafka.OffsetKey("conn", "a"), Value: fmt.Appendf(nil, `{"n":%d}`, n)}
	}
	if err := p.Commit(ctx, []*kgo.Record{rec(2)}); err == nil {
		t.Fatal("a commit with a cancelled context succeeded")
	}
	if err := p.Commit(context.Background(), []*kgo.Record{rec(2)}); err == nil {
		t.Fatal("a producer whose commit failed committed again")
	}

	// A crashed owner leaves a transaction open: a raw transactional client
	// that produces and never ends.
	zombie := client(t, append(opts, kgo.TransactionalID("conn-0"), kgo.TransactionTimeout(30*time.Second),
		kgo.RecordPartitioner(kgo.ManualPartitioner())))
	if err := zombie.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := zombie.ProduceSync(context.Background(), rec(3)).FirstErr(); err != nil {
		t.Fatal(err)
	}
	// Opening the next producer fences: the zombie's transaction is
	// aborted at once, long before the 30s timeout; reading to the end
	// then returns and sees only the committed value.
	next := open(t, opts, "conn-0", 30*time.Second)
	fctx, fcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer fcancel()
	got, err := kafka.ReadOffsets(fctx, opts, offsetsTopic, nil, "conn")
	if err != nil {
		t.Fatal(err)
	}
	if string(got["a"]) != `{"n":1}` {
		t.Fatalf("offset a = %s, want the committed {\"n\":1}", got["a"])
	}
	// The zombie is fenced: its commit fails.
	if err := zombie.EndTransaction(context.Background(), kgo.TryCommit); err == nil {
		t.Fatal("the fenced zombie committed")
	}
	commit(t, next, 0, "a", `{"n":4}`)
	got, err = kafka.ReadOffsets(fctx, opts, offsetsTopic, nil, "conn")
	if err != nil || string(got["a"]) != `{"n":4}` {
		t.Fatalf("after takeover: %s, %v", got, err)
	}
}

// TestOpenFencesBeforeTheFirstCommit is the order a task relies on: the
// epoch is taken at OpenProducer, not at the first produce, so an owner
// that opened, then read, commits from what it read, and an older owner
// that committed in between is refused, never the newer one.
func TestOpenFencesBeforeTheFirstCommit(t *testing.T) {
	opts, _ := setup(t, 1)
	old := open(t, opts, "conn-0", 10*time.Second)
	commit(t, old, 0, "a", `{"n":1}`)
	newer := open(t, opts, "conn-0", 10*time.Second)
	err := old.Commit(context.Background(), []*kgo.Record{{Topic: offsetsTopic, Partition: 0, Key: kafka.OffsetKey("conn", "a"), Value: []byte(`{"n":3}`)}})
	if !errors.Is(err, kafka.ErrFenced) {
		t.Fatalf("old producer's commit after the newer one opened = %v, want ErrFenced", err)
	}
	commit(t, newer, 0, "a", `{"n":2}`)
	got, err := kafka.ReadOffsets(context.Background(), opts, offsetsTopic, nil, "conn")
	if err != nil || string(got["a"]) != `{"n":2}` {
		t.Fatalf("offsets = %s, %v; want the newer owner's {\"n\":2}", got, err)
	}
}

func TestEnsureTopicsRefusesUncompactedOffsets(t *testing.T) {
	c := cluster(t)
	cl := client(t, []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)})
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(context.Background(), 1, 1, nil, offsetsTopic); err != nil {
		t.Fatal(err)
	}
	_, err := kafka.EnsureTopics(context.Background(), adm, []kafka.Topic{{Name: offsetsTopic, Partitions: 1, Replication: 1, Compact: true}})
	if err == nil || !strings.Contains(err.Error(), "cleanup.policy=delete: it must be compacted") {
		t.Fatalf("EnsureTopics = %v", err)
	}
	// compact,delete is compacted enough.
	if _, err := adm.AlterTopicConfigs(context.Background(), []kadm.AlterConfig{{Name: "cleanup.policy", Value: kadm.StringPtr("compact,delete")}}, offsetsTopic); err != nil {
		t.Fatal(err)
	}
	if _, err := kafka.EnsureTopics(context.Background(), adm, []kafka.Topic{{Name: offsetsTopic, Partitions: 1, Replication: 1, Compact: true}}); err != nil {
		t.Fatalf("compact,delete refused: %v", err)
	}
}

// EnsureTopics reads each topic's max.message.bytes: a topic that takes
// less than franz-go's default batch, or than its BatchBytes, caps the
// batches and events to it, and one that cannot take MinEventBytes is
// refused.
func TestEnsureTopicsReadsMessageLimits(t *testing.T) {
	c := cluster(t)
	adm := kadm.NewClient(client(t, []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}))
	if _, err := adm.CreateTopic(context.Background(), 1, 1, map[string]*string{"max.message.bytes": kadm.StringPtr("50000")}, "small"); err != nil {
		t.Fatal(err)
	}
	limits, err := kafka.EnsureTopics(context.Background(), adm, []kafka.Topic{
		{Name: "small", Partitions: 1, Replication: 1, MinEventBytes: 40_000},
		{Name: "fresh", Partitions: 1, Replication: 1},
		{Name: "capped", Partitions: 1, Replication: 1, BatchBytes: 300_000},
		{Name: "small", Partitions: 1, Replication: 1, BatchBytes: 300_000},
	})
	if err != nil {
		t.Fatal(err)
	}
	if limits.Batch("capped") != 300_000 || limits.MaxEvent("capped") != 300_000-(1_000_012-kafka.MaxEventBytes) {
		t.Errorf("capped: batch %d, event %d; want its BatchBytes, 300000, and %d", limits.Batch("capped"), limits.MaxEvent("capped"), 300_000-(1_000_012-kafka.MaxEventBytes))
	}
	if limits["small"] != 50000 || limits.Batch("small") != 50000 || limits.MaxEvent("small") != 50000-(1_000_012-kafka.MaxEventBytes) {
		t.Errorf("small: limit %d, batch %d, event %d; want 50000, 50000 and %d", limits["small"], limits.Batch("small"), limits.MaxEvent("small"), 50000-(1_000_012-kafka.MaxEventBytes))
	}
	if limits["fresh"] != 1_000_012 || limits.Batch("fresh") != 1_000_012 || limits.MaxEvent("fresh") != kafka.MaxEventBytes || limits.MaxEvent("unknown") != kafka.MaxEventBytes {
		t.Errorf("fresh: limit %d, batch %d, event %d; want franz-go's default batch and MaxEventBytes", limits["fresh"], limits.Batch("fresh"), limits.MaxEvent("fresh"))
	}
	_, err = kafka.EnsureTopics(context.Background(), adm, []kafka.Topic{{Name: "small", Partitions: 1, Replication: 1, MinEventBytes: 256 << 10}})
	if !errors.Is(err, kafka.ErrTopicConfig) || !strings.Contains(err.Error(), "topic small has max.message.bytes=50000: its records may take up to 262144 bytes") {
		t.Fatalf("EnsureTopics with a larger MinEventBytes = %v", err)
	}
}

func TestOptionsSASLAndTLS(t *testing.T) {
	caFile, serverTLS := selfSignedTLS(t)
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			c := cluster(t, kfake.EnableSASL(), kfake.Superuser(mech, "svc", "s3cret"), kfake.TLS(serverTLS))
			cfg := config.Kafka{Brokers: c.ListenAddrs(),
				TLS:  config.TLS{Enabled: true, CAFile: caFile, ServerName: "127.0.0.1"},
				SASL: config.SASL{Mechanism: mech, Username: "svc", Password: "s3cret"}}
			opts, err := kafka.Options(cfg)
			if err != nil {
				t.Fatal(err)
			}
			cl := client(t, opts)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := cl.Ping(ctx); err != nil {
				t.Fatalf("ping with %s over TLS: %v", mech, err)
			}
			bad := cfg
			bad.SASL.Password = "wrong"
			opts, _ = kafka.Options(bad)
			cl2 := client(t, append(opts, kgo.RetryTimeout(time.Second)))
			ctx2, cancel2 := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel2()
			if _, err := kadm.NewClient(cl2).ListTopics(ctx2); err == nil {
				t.Fatal("a wrong password was accepted")
			}
		})
	}
	if _, err := kafka.Options(config.Kafka{Brokers: []string{"x:1"}, TLS: config.TLS{Enabled: true, CAFile: "/nonexistent/ca.pem"}}); err == nil ||
		!strings.Contains(err.Error(), "kafka.tls.ca_file") {
		t.Fatalf("missing CA file: %v", err)
	}
}

// selfSignedTLS writes a CA file for a self-signed 127.0.0.1 certificate
// and returns it with the server's TLS config.
func selfSignedTLS(t *testing.T) (string, *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kfake"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return caFile, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
}

// TestJoinBesideAReplicaOfTheVersionBeforeScaleOut: that version joined the
// group with kgo's default balancer (cooperative-sticky) and never looked at
// its assignment. A new replica joining beside it during an upgrade must
// get tasks (or its rollout would wait forever for it to be ready), and the
// group must move to the source-weighted balancer once it left.
func TestJoinBesideAReplicaOfTheVersionBeforeScaleOut(t *testing.T) {
	opts, _ := setup(t, 4)
	old := client(t, append(opts, kgo.ConsumerGroup(kafka.GroupID("conn")), kgo.ConsumeTopics(offsetsTopic),
		kgo.DisableAutoCommit(), kgo.SessionTimeout(6*time.Second)))
	var (
		mu       sync.Mutex
		gained   []int32
		assigned = make(chan struct{}, 16)
	)
	m, err := kafka.Join(opts, kafka.GroupConfig{
		Connector: "conn", OffsetsTopic: offsetsTopic, Instance: "new",
		SessionTimeout: 6 * time.Second, RebalanceTimeout: 10 * time.Second,
		Weights: map[int32]int{0: 1, 1: 1, 2: 1, 3: 1},
		Assigned: func(tasks []int32, _ int32) {
			mu.Lock()
			gained = append(gained, tasks...)
			mu.Unlock()
			assigned <- struct{}{}
		},
		Revoked: func(tasks []int32, _ bool) {
			mu.Lock()
			gained = slices.DeleteFunc(gained, func(t int32) bool { return slices.Contains(tasks, t) })
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Leave()
	held := func() int { mu.Lock(); defer mu.Unlock(); return len(gained) }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for held() == 0 {
		select {
		case <-assigned:
		case <-ctx.Done():
			t.Fatal("the new replica got no task beside the old one")
		}
	}
	old.Close()
	for held() != 4 {
		select {
		case <-assigned:
		case <-ctx.Done():
			t.Fatalf("after the old replica left, the new one holds %d of 4 tasks", held())
		}
	}
	// The group may still be settling its last rebalance (no protocol
	// then): judge it once it is stable.
	adm := kadm.NewClient(client(t, opts))
	for {
		groups, err := adm.DescribeGroups(ctx, kafka.GroupID("conn"))
		if err != nil {
			t.Fatal(err)
		}
		g := groups[kafka.GroupID("conn")]
		if g.State == "Stable" {
			if g.Protocol != kafka.BalancerName {
				t.Fatalf("group protocol %q after the old replica left, want %q", g.Protocol, kafka.BalancerName)
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the group is %s (protocol %q), not stable, 30s after the old replica left", g.State, g.Protocol)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestOptionsClientMetrics: with client_metrics false a client never asks
// the brokers which metrics to push (KIP-714); with the default it does as
// soon as it has produced. kfake subscribes every client to every
// metric every 30 s.
func TestOptionsClientMetrics(t *testing.T) {
	c := cluster(t, kfake.SeedTopics(1, "events"))
	var asked atomic.Int32
	c.ControlKey(int16(kmsg.GetTelemetrySubscriptions), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		asked.Add(1)
		return nil, nil, false
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	produce := func(on bool) {
		t.Helper()
		opts, err := kafka.Options(config.Kafka{Brokers: c.ListenAddrs(), ClientMetrics: on})
		if err != nil {
			t.Fatal(err)
		}
		if err := client(t, opts).ProduceSync(ctx, &kgo.Record{Topic: "events", Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	produce(false)
	time.Sleep(time.Second)
	if n := asked.Load(); n != 0 {
		t.Fatalf("with client_metrics false: GetTelemetrySubscriptions came %d times", n)
	}
	produce(true)
	for asked.Load() == 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if n := asked.Load(); n != 1 {
		t.Fatalf("with client_metrics true: GetTelemetrySubscriptions came %d times, want once", n)
	}
}

// Each kafka.compression codec is the one the produced batches carry, and
// clients sharing the options may open at once (go test -race).
func TestOptionsCompression(t *testing.T) {
	c := cluster(t, kfake.SeedTopics(1, "events"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	want := map[string]uint8{"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
	for i, name := range config.Compressions {
		opts, err := kafka.Options(config.Kafka{Brokers: c.ListenAddrs(), Compression: name})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup // clients sharing the options open together, as tasks do
		for range 2 {
			wg.Go(func() { client(t, opts) })
		}
		wg.Wait()
		value := []byte(strings.Repeat(name, 500)) // compressible
		if err := client(t, opts).ProduceSync(ctx, &kgo.Record{Topic: "events", Value: value}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		consumer := client(t, []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
			"events": {0: kgo.NewOffset().At(int64(i))}})})
		fs := consumer.PollRecords(ctx, 1)
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		if got := fs.Records()[0].Attrs.CompressionType(); got != want[name] {
			t.Errorf("compression %s: the batch carries codec %d, want %d", name, got, want[name])
		}
	}
	if _, err := kafka.Options(config.Kafka{Brokers: c.ListenAddrs(), Compression: "brotli"}); err == nil {
		t.Error("compression brotli: no error")
	}
}
