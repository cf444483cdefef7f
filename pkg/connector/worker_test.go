package connector

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/kafka"
	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/pkg/source/sourcetest"
	"github.com/vnstream/connector/pkg/source/tiki"
)

// The engine keeps the vendor's JSON of unconverted records only: a
// converted record that the codec refuses goes to the dead-letter topic as
// its value in JSON, beside the records that encode.
func TestEncodeSendsARefusedRecordAsJSON(t *testing.T) {
	_, codec := sourcetest.Codec(t, tiki.Entity, &tiki.FormResponse{})
	cfg := &config.Config{Name: "c", DLQ: config.DLQ{Mode: "dlq", Topic: "c.dlq"}}
	w := &worker{
		c:        &Connector{cfg: cfg},
		cfg:      config.Source{Name: "tiki-1", Kind: tiki.Kind, Topic: "t"},
		codec:    codec,
		log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		maxEvent: kafka.MaxEventBytes,
		maxDLQ:   kafka.MaxEventBytes,
	}
	at := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	type notAResponse struct {
		ID   string `json:"id"`
		Note string `json:"note"`
	}
	enc, err := w.encode([]source.Record{
		{Key: tiki.Key{ID: "1"}, Value: &tiki.FormResponse{ID: "1", FormID: "9", CreatedAt: at, Inputs: "{}"}, Op: source.OpRead, Time: at},
		{Key: tiki.Key{ID: "2"}, Value: &notAResponse{ID: "2", Note: "xin chào"}, Op: source.OpRead, Time: at, Position: "p2"},
		{Raw: []byte(`{"id":3,`), Err: errors.New("not valid JSON"), Position: "p3"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if enc.events != 1 || enc.dlq != 2 || len(enc.batch) != 3 {
		t.Fatalf("%d events, %d to the DLQ, %d Kafka records; want 1, 2 and 3", enc.events, enc.dlq, len(enc.batch))
	}
	refused, unconverted := enc.batch[1], enc.batch[2]
	if refused.Topic != "c.dlq" || string(refused.Value) != `{"id":"2","note":"xin chào"}` {
		t.Errorf("refused record: topic %s, value %s; want its value in JSON on c.dlq", refused.Topic, refused.Value)
	}
	if string(unconverted.Value) != `{"id":3,` {
		t.Errorf("unconverted record: value %s, want the vendor's JSON as sent", unconverted.Value)
	}
	for _, h := range refused.Headers {
		if h.Key == "connector.error" && !strings.Contains(string(h.Value), "encode tiki/form_response value") {
			t.Errorf("connector.error %q does not say the codec refused the value", h.Value)
		}
	}
}
