package nhanh_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/pkg/source/nhanh"
	"github.com/vnstream/connector/pkg/source/sourcetest"
)

// typedEnvelope is how a consumer knowing the entity type decodes an envelope.
type typedEnvelope struct {
	Before *nhanh.Conversation `avro:"before"`
	After  *nhanh.Conversation `avro:"after"`
	Source schema.SourceInfo   `avro:"source"`
	Op     string              `avro:"op"`
	TsMs   int64               `avro:"ts_ms"`
}

// TestSchemaMatchesStruct encodes conversations through the entity's
// schemas and decodes them back independently: every field survives,
// with the optional ones set and unset.
func TestSchemaMatchesStruct(t *testing.T) {
	set, codec := sourcetest.Codec(t, nhanh.Entity, &nhanh.Conversation{})
	dec := schema.NewDecoder(set, nil)
	group, post, extra := "", "101286204573840_1075546127814826", `{"tags":[5]}`
	seen := time.Date(2025, 3, 24, 14, 50, 6, 0, time.UTC)
	live := int32(1)
	full := &nhanh.Conversation{
		ID: "331526780045341_7521482117936821", Channel: 1, Type: 2, CustomerAvatar: "https://example.com/user_1.jpg",
		PageID: "331526780045341", PageUserID: "7521482117936821", PageUserName: "Tạp Chí Ò ó o", HasReply: true,
		AssignedGroupID: &group, HasPhone: true, CreatedAt: time.Date(2024, 6, 20, 10, 11, 28, 0, time.UTC),
		UpdatedAt: time.Date(2025, 3, 24, 8, 4, 25, 0, time.UTC), LastSeenMessageAt: &seen, LastMessage: "[Send sticker]",
		Status: 2, IsFromLive: &live, PagePostID: &post, ExtraJSON: &extra,
	}
	bare := &nhanh.Conversation{ID: "1_2", Channel: 1, Type: 1, PageID: "1", PageUserID: "2",
		CreatedAt: time.Unix(1718878288, 0).UTC(), UpdatedAt: time.Unix(1742803465, 0).UTC(), Status: 1}
	for _, v := range []*nhanh.Conversation{full, bare} {
		key, err := codec.AppendKey(nil, &nhanh.Key{ID: v.ID})
		if err != nil {
			t.Fatal(err)
		}
		value, err := codec.AppendValue(nil, &schema.Envelope{After: v, Op: "u", TsMs: 1, Source: schema.SourceInfo{
			Version: "test", Connector: "c", Provider: "nhanh_conversation", Source: "s", TsMs: v.UpdatedAt.UnixMilli(), Position: "next=none row=0",
		}})
		if err != nil {
			t.Fatal(err)
		}
		var k nhanh.Key
		if err := dec.Decode(context.Background(), key, &k); err != nil || k.ID != v.ID {
			t.Fatalf("key %+v, %v", k, err)
		}
		var env typedEnvelope
		if err := dec.Decode(context.Background(), value, &env); err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(env.After)
		want, _ := json.Marshal(v)
		if string(got) != string(want) || env.Before != nil || env.Op != "u" {
			t.Errorf("round trip\n got %s\nwant %s", got, want)
		}
	}
}
