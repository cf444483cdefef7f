package kafka

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// Embedded is the in-process Kafka of `connector dev`: franz-go's kfake, a
// single broker speaking the Kafka protocol, with its data kept in a local
// directory so a restart resumes where it stopped.
type Embedded struct {
	cluster *kfake.Cluster
}

// StartEmbedded starts the broker on 127.0.0.1:port (kfake listens on
// loopback only) (0 picks a free port)
// keeping its data under dir ("" keeps it in memory only).
//
// It does not offer DescribeTopicPartitions (KIP-966): kfake answers it
// without the eligible leader replicas, on which the Java Admin client's
// describeTopics fails (kafka-clients 3.9 and 4.x, hence Flink and the
// console tools); without it, Java clients describe topics with Metadata.
func StartEmbedded(dir string, port int) (*Embedded, error) {
	versions := kversion.Stable()
	versions.SetMaxKeyVersion(int16(kmsg.DescribeTopicPartitions), -1)
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.MaxVersions(versions)}
	if port != 0 {
		opts = append(opts, kfake.Ports(port))
	}
	if dir != "" {
		opts = append(opts, kfake.DataDir(dir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("starting the embedded Kafka: %w", err)
	}
	return &Embedded{cluster: c}, nil
}

// Addrs returns the broker addresses.
func (e *Embedded) Addrs() []string { return e.cluster.ListenAddrs() }

// Close stops the broker, flushing its data to disk.
func (e *Embedded) Close() { e.cluster.Close() }
