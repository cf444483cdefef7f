//go:build interop

package connector_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr/srfake"

	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
)

// TestPythonConsumerReadsTheEvents has a consumer that is not ours,
// Python's confluent-kafka with its Avro deserializer
// (test/interop/consume.py), read the Confluent-wire-format events through
// franz-go's srfake registry, and compares what it decoded with what the
// simulator served. Run it with -tags interop and INTEROP_PYTHON set to a
// Python with test/interop/requirements.txt installed (.ci/run does).
func TestPythonConsumerReadsTheEvents(t *testing.T) {
	python := os.Getenv("INTEROP_PYTHON")
	if python == "" {
		t.Fatal("INTEROP_PYTHON must name a Python with test/interop/requirements.txt installed")
	}
	broker := newBroker(t)
	reg := srfake.New()
	t.Cleanup(reg.Close)
	sim, url := newSim(t)
	now := time.Now().UTC().Truncate(time.Second)
	seed(sim, 500, now.Add(-time.Minute), 12*time.Hour)
	sim.Add(tikisim.Response{ID: "77", FormID: formA, CreatedAt: now.Add(-11 * time.Hour),
		Inputs: json.RawMessage(`{"tên":"Nguyễn Thị Hoa","tuổi":31}`), Extra: map[string]json.RawMessage{"utm": json.RawMessage(`"zalo"`)}})
	cfg := testConfig(t, broker.ListenAddrs(), nil, "schema_registry:\n  url: "+reg.URL()+"\n",
		tikiSource{name: "tiki-py", url: url, start: now.Add(-13 * time.Hour)})
	var got committed
	r := start(t, cfg, got.option())
	waitFor(t, "the events", 30*time.Second, func() bool { return got.count() >= 501 })
	r.stop(t)

	cmd := exec.Command(python, "../../test/interop/consume.py", "--brokers", broker.ListenAddrs()[0],
		"--registry", reg.URL(), "--topic", cfg.Sources[0].Topic, "--expect", "501")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("consume.py: %v\n%s", err, stderr.String())
	}
	type decoded struct {
		ID          string  `json:"id"`
		FormID      string  `json:"form_id"`
		CreatedAtMs int64   `json:"created_at_ms"`
		Inputs      string  `json:"inputs"`
		ExtraJSON   *string `json:"extra_json"`
		Op          string  `json:"op"`
		Snapshot    bool    `json:"snapshot"`
	}
	byID := map[string]decoded{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var d decoded
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if _, dup := byID[d.ID]; dup {
			t.Errorf("response %s decoded twice", d.ID)
		}
		byID[d.ID] = d
	}
	for _, r := range sim.Responses() {
		d, ok := byID[r.ID]
		if !ok {
			t.Errorf("response %s not decoded", r.ID)
			continue
		}
		if d.FormID != r.FormID || d.CreatedAtMs != r.CreatedAt.UnixMilli() || d.Inputs != string(r.Inputs) || d.Op != "r" || !d.Snapshot {
			t.Errorf("response %s: Python decoded %+v, the simulator holds %+v", r.ID, d, r)
		}
	}
	if x := byID["77"].ExtraJSON; x == nil || *x != `{"utm":"zalo"}` {
		t.Errorf("extra_json of 77 = %v", x)
	}
	t.Logf("%s; %d responses compared", bytes.TrimSpace(stderr.Bytes()), len(byID))
}
