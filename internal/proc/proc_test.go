package proc_test

import (
	"os"
	"testing"
	"time"

	"github.com/vnstream/connector/internal/proc"
)

func TestOwnProcess(t *testing.T) {
	pid := os.Getpid()
	before, err := proc.CPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); time.Since(start) < 100*time.Millisecond; { // busy
	}
	after, err := proc.CPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	if after-before < 50*time.Millisecond {
		t.Errorf("100ms of busy loop counted %v of CPU", after-before)
	}
	rss, peak, err := proc.Memory(pid)
	if err != nil {
		t.Fatal(err)
	}
	if rss <= 0 || peak < rss {
		t.Errorf("rss %d, peak %d: want 0 < rss <= peak", rss, peak)
	}
	if _, err := proc.CPU(-1); err == nil {
		t.Error("no error for a process that does not exist")
	}
}
