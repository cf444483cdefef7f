package zns_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/pkg/source/sourcetest"
	"github.com/vnstream/connector/pkg/source/zns"
)

// envelope is how a consumer that knows the entity decodes an event.
type envelope struct {
	Before *zns.Message      `avro:"before"`
	After  *zns.Message      `avro:"after"`
	Source schema.SourceInfo `avro:"source"`
	Op     string            `avro:"op"`
	TsMs   int64             `avro:"ts_ms"`
}

// TestSchemaMatchesMessage encodes messages through the entity's schemas
// (schemas/zalo/zns_message) and decodes them back: every field of Message
// has its schema field, with its type and nullability.
func TestSchemaMatchesMessage(t *testing.T) {
	set, codec := sourcetest.Codec(t, zns.Entity, &zns.Message{})
	dec := schema.NewDecoder(set, nil)
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	str := func(s string) *string { return &s }
	num := func(n int64) *int64 { return &n }
	flag := func(b bool) *bool { return &b }
	tm := func(s string) *time.Time { v := at(s); return &v }
	full := &zns.Message{
		ID: "1021110718827683841", ShopID: str("1040105911278962688"), UserID: str("1040106005339185152"), OAID: str("4318529470172498734"),
		CampaignID: str("1050000000000000001"), JourneyID: str(""), MsgID: str("e18bde9e33ece000"), TrackingID: str("DH00000001"),
		TemplateID: str("231456"), Type: str("template"), Status: str("P"), Phone: str("84912345678"),
		TemplateData: str(`{"customer_name":"Nguyễn Văn An"}`), ZlUserID: str("7000000000000000007"), IsDevelopment: flag(false),
		IsCharged: flag(true), FeeMain: num(300), FeeToken: num(0), ErrorCode: num(-124), ErrorMessage: str("Số điện thoại không hợp lệ"),
		Timeout: num(30), DeliveryStatus: str("seen"), DeliveryTime: tm("2025-11-02T22:13:01.5Z"), RequestTime: tm("2025-11-02T22:12:50.1Z"),
		SentTime: tm("2025-11-02T22:12:50.529Z"), Rate: num(5), Note: str("Cảm ơn shop!"), Feedback: str(`["Giao hàng nhanh"]`),
		SubmitTime: tm("2025-11-02T23:00:00Z"), CreatedAt: at("2025-11-02T22:12:50.529Z"), UpdatedAt: at("2025-11-02T23:00:00Z"),
		ExtraJSON: str(`{"channel":"zns"}`),
	}
	minimal := &zns.Message{ID: "text", CreatedAt: at("2019-08-24T14:15:22Z"), UpdatedAt: at("2019-08-24T14:15:22Z")}
	for name, m := range map[string]*zns.Message{"every field": full, "only the required ones": minimal} {
		t.Run(name, func(t *testing.T) {
			kb, err := codec.AppendKey(nil, zns.Key{ID: m.ID})
			if err != nil {
				t.Fatal(err)
			}
			env := &schema.Envelope{After: m, Op: "u", TsMs: 1_764_000_000_000, Source: schema.SourceInfo{
				Version: "test", Connector: "c", Provider: "etelecom_zns", Source: "s", TsMs: m.UpdatedAt.UnixMilli(), Position: "p"}}
			vb, err := codec.AppendValue(nil, env)
			if err != nil {
				t.Fatal(err)
			}
			var key zns.Key
			if err := dec.Decode(context.Background(), kb, &key); err != nil || key.ID != m.ID {
				t.Fatalf("key %+v, %v", key, err)
			}
			var got envelope
			if err := dec.Decode(context.Background(), vb, &got); err != nil {
				t.Fatal(err)
			}
			want := envelope{After: m, Source: env.Source, Op: env.Op, TsMs: env.TsMs}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decoded\n%+v\nwant\n%+v", *got.After, *m)
			}
		})
	}
}
