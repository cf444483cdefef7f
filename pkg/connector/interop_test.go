//go:build interop

package connector_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/vnstream/connector/pkg/provider"
	"github.com/vnstream/connector/pkg/schema"
	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
	"github.com/vnstream/connector/schemas"
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

// TestJavaAvroDecodesSingleObjectFrames has Apache Avro's Java
// BinaryMessageDecoder (test/java/AvroSingleObject.java) read the keys
// and values of every kind's topic, and of a flat one, written without a
// registry, with the schemas `connector schemas print` gives. Run it with
// -tags interop and INTEROP_JAVA_LIBS set to a directory with
// test/java/pom.xml's jars (.ci/run fetches them).
func TestJavaAvroDecodesSingleObjectFrames(t *testing.T) {
	libs := os.Getenv("INTEROP_JAVA_LIBS")
	if libs == "" {
		t.Fatal("INTEROP_JAVA_LIBS must name a directory with test/java/pom.xml's jars")
	}
	addrs := testBrokers(t)
	cfg := runEveryKind(t, addrs, "")
	set, err := schema.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, s := range cfg.Sources {
		p, _ := provider.Lookup(s.Kind)
		e, err := set.Entity(p.Entity)
		if err != nil {
			t.Fatal(err)
		}
		if s.ValueFormat == "flat" {
			e = e.Flat()
		}
		keyFile, valueFile := filepath.Join(dir, s.Name+".key.avsc"), filepath.Join(dir, s.Name+".value.avsc")
		if err := errors.Join(os.WriteFile(keyFile, []byte(e.KeyText), 0o644), os.WriteFile(valueFile, []byte(e.ValueText), 0o644)); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		out, err := exec.CommandContext(ctx, "java", "-cp", filepath.Join(libs, "*"), "../../test/java/AvroSingleObject.java",
			addrs[0], s.Topic, keyFile, valueFile, "20").CombinedOutput()
		cancel()
		if err != nil || !strings.Contains(string(out), "decoded 20 keys and values of "+s.Topic) {
			t.Fatalf("%s: %v\n%s", s.Name, err, out)
		}
		t.Logf("%s (%s): %s", s.Name, s.ValueFormat, strings.SplitN(string(out), "\n", 2)[0])
	}
}
