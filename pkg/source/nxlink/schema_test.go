package nxlink_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/pkg/source/nxlink"
	"github.com/vnstream/connector/pkg/source/sourcetest"
)

// envelope is the decoded change event, read back independently.
type envelope struct {
	Before *nxlink.Customer  `avro:"before"`
	After  *nxlink.Customer  `avro:"after"`
	Source schema.SourceInfo `avro:"source"`
	Op     string            `avro:"op"`
	TsMs   int64             `avro:"ts_ms"`
}

func ptr[T any](v T) *T { return &v }

// TestStructMatchesSchema encodes keys and values through the entity's
// schemas and decodes them back: every field of Customer and Key has its
// schema field, 64-bit ids and times survive exactly.
func TestStructMatchesSchema(t *testing.T) {
	set, codec := sourcetest.Codec(t, nxlink.Entity, &nxlink.Customer{})
	dec := schema.NewDecoder(set, nil)
	at := time.Date(2024, 7, 30, 10, 56, 39, 250_000_000, time.UTC)
	full := &nxlink.Customer{
		ID: 1021110718827683840, FirstName: ptr("An"), LastName: ptr("Nguyễn"), FullName: ptr("Nguyễn Văn An"),
		SMSPhone: ptr("84912345678"), WhatsAppPhone: ptr("84912345678"), ViberPhone: ptr("84912345679"),
		Line: ptr("line-an"), Messenger: ptr("m.me/an"), Instagram: ptr("@an"), Email: ptr("an@example.vn"),
		Country: ptr("VN"), Birthday: ptr("1990-05-12"), Remark: ptr("Khách VIP"), SourceType: ptr(int64(3)),
		SourceChannelKey: ptr("84901234567"), Gender: ptr(int64(1)), CreatedAt: at.Add(-time.Hour), UpdatedAt: at,
		Status: ptr(int64(1)), WhatAppSubscribe: ptr("1"), SMSSubscribe: ptr("0"),
		CustomizeField: ptr(`{"customize_4_52": ["1"]}`), TenantID: 9223372036854775807, Weight: ptr(int64(5)),
		Web: ptr("https://shop.example.vn"), Tags: ptr(`[{"id":27237,"customer_id":1021110718827683840}]`),
		ExtraJSON: ptr(`{"campaign":"tet"}`),
	}
	empty := &nxlink.Customer{ID: 1021110718827683841, CreatedAt: at, UpdatedAt: at, TenantID: 123}
	for _, v := range []*nxlink.Customer{full, empty} {
		key := &nxlink.Key{TenantID: v.TenantID, ID: v.ID}
		kb, err := codec.AppendKey(nil, key)
		if err != nil {
			t.Fatal(err)
		}
		var gotKey nxlink.Key
		if err := dec.Decode(context.Background(), kb, &gotKey); err != nil || gotKey != *key {
			t.Fatalf("key %+v decoded as %+v, %v", key, gotKey, err)
		}
		src := schema.SourceInfo{Version: "test", Connector: "c", Provider: "nxlink_customer", Source: "s", TsMs: at.UnixMilli(), Position: "p"}
		vb, err := codec.AppendValue(nil, &schema.Envelope{After: v, Source: src, Op: "u", TsMs: 1})
		if err != nil {
			t.Fatal(err)
		}
		var got envelope
		if err := dec.Decode(context.Background(), vb, &got); err != nil {
			t.Fatal(err)
		}
		if got.Before != nil || got.Op != "u" || got.Source != src || got.After == nil {
			t.Fatalf("envelope %+v", got)
		}
		got.After.CreatedAt, got.After.UpdatedAt = got.After.CreatedAt.UTC(), got.After.UpdatedAt.UTC()
		if !reflect.DeepEqual(got.After, v) {
			g, _ := json.Marshal(got.After)
			w, _ := json.Marshal(v)
			t.Errorf("value round trip:\n got %s\nwant %s", g, w)
		}
	}
}
