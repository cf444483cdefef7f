//go:build interop

package kafka_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vnstream/connector/pkg/kafka"
)

// TestJavaClientsUseTheEmbeddedBroker runs the Java Admin client's
// describeTopics and a read_committed KafkaConsumer (test/java/
// JavaClients.java, as Flink and the console tools use them) against the
// broker of `connector dev`, on a topic written in a transaction.
// INTEROP_KAFKA_CLIENTS is a directory holding kafka-clients and its
// dependencies (.ci/run passes test/kafka's cache of each Kafka version).
func TestJavaClientsUseTheEmbeddedBroker(t *testing.T) {
	libs := os.Getenv("INTEROP_KAFKA_CLIENTS")
	if libs == "" {
		t.Fatal("INTEROP_KAFKA_CLIENTS is not set: a directory with kafka-clients and its dependencies")
	}
	broker, err := kafka.StartEmbedded("", 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	const topic, records = "java.clients", 30
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker.Addrs()...), kgo.TransactionalID("java-clients"), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 3, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for i := range records {
		cl.Produce(ctx, &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte("v")}, nil)
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	run, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	out, err := exec.CommandContext(run, "java", "-cp", filepath.Join(libs, "*"), "../../test/java/JavaClients.java",
		broker.Addrs()[0], topic, fmt.Sprint(records)).CombinedOutput()
	if err != nil || strings.Count(string(out), "describeTopics "+topic+"[") != 3 ||
		!strings.Contains(string(out), fmt.Sprintf("consumed %d records of %s with read_committed", records, topic)) {
		t.Fatalf("JavaClients: %v\n%s", err, out)
	}
	for line := range strings.Lines(string(out)) {
		if strings.HasPrefix(line, "describeTopics") || strings.HasPrefix(line, "consumed") {
			t.Log(strings.TrimSpace(line))
		}
	}
}
