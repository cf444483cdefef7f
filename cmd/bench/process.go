package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/vnstream/connector/pkg/kafka"
)

// brokerArg makes the command serve a kfake broker instead (startBroker).
const brokerArg = "-serve-broker"

// buildConnector builds ./cmd/connector into a temporary directory that
// cleanup removes.
func buildConnector(ctx context.Context) (bin string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "bench-")
	if err != nil {
		return "", nil, err
	}
	bin = filepath.Join(dir, "connector")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/vnstream/connector/cmd/connector").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("building the connector: %w\n%s", err, out)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// startBroker runs this command again as a broker on 127.0.0.1 and
// returns its address; stop ends it.
func startBroker(ctx context.Context) (addr string, stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.CommandContext(ctx, self, brokerArg)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() {
		in.Close()
		_ = cmd.Wait()
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("the broker process did not start: %w", err)
	}
	return strings.TrimSpace(line), stop, nil
}

// serveBroker serves the broker of `connector dev` (kfake, in memory, on
// 127.0.0.1), writes its address to out and returns when in reaches its
// end.
func serveBroker(in io.Reader, out io.Writer) error {
	b, err := kafka.StartEmbedded("", 0)
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Fprintln(out, b.Addrs()[0])
	_, err = io.Copy(io.Discard, in)
	return err
}
