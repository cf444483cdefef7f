package kafka

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kfake"
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
func StartEmbedded(dir string, port int) (*Embedded, error) {
	opts := []kfake.Opt{kfake.NumBrokers(1)}
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
