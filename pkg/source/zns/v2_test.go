package zns

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/pkg/source/sourcetest"
)

// TestV2StopsAtTheFirstWrongType shows why wire reads every member as a
// span of the input and checks its type itself: decoding into Go types, v2
// gives up at the first member of the wrong type. eTelecom sends members
// in name order, so a bad delivery_status comes before "id" and
// "updated_at", and the record would go to the dead-letter topic without
// its version, again on every re-read of the overlap; and only its first
// problem would be told.
func TestV2StopsAtTheFirstWrongType(t *testing.T) {
	const raw = `{"delivery_status":5,"id":"9","note":7,"updated_at":"2025-11-02T22:12:51Z"}`
	var typed struct {
		DeliveryStatus *string `json:"delivery_status"`
		ID             string  `json:"id"`
		Note           *string `json:"note"`
		UpdatedAt      string  `json:"updated_at"`
	}
	err := jsonv2.Unmarshal([]byte(raw), &typed, source.DecodeOptions)
	if err == nil || typed.ID != "" || typed.UpdatedAt != "" {
		t.Fatalf("v2 into Go types: %v, id %q, updated_at %q; the workaround may no longer be needed", err, typed.ID, typed.UpdatedAt)
	}
	r := decodeMessage([]byte(raw))
	if r.id != "9" || r.updated.IsZero() || r.err == nil ||
		!strings.Contains(r.err.Error(), "delivery_status is a number, want a string\nnote is a number, want a string") {
		t.Fatalf("decodeMessage: id %q updated %v err %v", r.id, r.updated, r.err)
	}
}

// TestEmbedNotUnknown pins the tag option of the unknown members: v1.27
// of go-json-experiment reads "embed" and ignores "unknown" silently.
func TestEmbedNotUnknown(t *testing.T) {
	const raw = `{"a":1,"b":[2]}`
	var unknown struct {
		A    int            `json:"a"`
		Rest jsontext.Value `json:",unknown"`
	}
	var embed struct {
		A    int            `json:"a"`
		Rest jsontext.Value `json:",embed"`
	}
	if err := jsonv2.Unmarshal([]byte(raw), &unknown); err != nil || unknown.Rest != nil {
		t.Logf(`",unknown" now means something (%v, %s): check wire.Extra`, err, unknown.Rest)
	}
	if err := jsonv2.Unmarshal([]byte(raw), &embed); err != nil || string(embed.Rest) != `{"b":[2]}` {
		t.Fatalf(`",embed": %v, %s`, err, embed.Rest)
	}
}

func TestDecodeMessageV2Edges(t *testing.T) {
	const base = `"created_at":"2025-11-02T22:12:50Z","updated_at":"2025-11-02T22:12:51Z"`
	for _, tc := range []struct {
		name, raw, id, err string
		check              func(*Message) bool
	}{
		{"null is not an object", `null`, "", "zns message (id unknown) is null, want a JSON object", nil},
		{"whitespace around a number", " 12 ", "", "zns message (id unknown) is a number, want a JSON object", nil},
		{"trailing bytes", `{"id":"1",` + base + `} x`, "", "zns message (id unknown) is not valid JSON", nil},
		{"problems in the order sent", `{"phone":8491,"id":"7","rate":"x",` + base + `}`, "7",
			"zns message 7: phone is a number, want a string\nrate \"x\" is not a 64-bit integer", nil},
		{"a repeated member counts once, as last sent", `{"note":1,"id":"7","rate":"x","note":2,` + base + `}`, "7",
			"zns message 7: rate \"x\" is not a 64-bit integer\nnote is a number, want a string", nil},
		{"member problems before missing members", `{"id":"8","rate":true,"created_at":"2025-11-02T22:12:50Z"}`, "8",
			"zns message 8: rate is a boolean, want an integer\nupdated_at is missing", nil},
		{"the zero time cannot place a version", `{"id":"8","created_at":"2025-11-02T22:12:50Z","updated_at":"0001-01-01T00:00:00Z"}`, "8",
			"updated_at \"0001-01-01T00:00:00Z\" is the zero time", nil},
		{"the zero time is a time where optional", `{"id":"8","delivery_time":"0001-01-01T00:00:00Z",` + base + `}`, "8", "",
			func(m *Message) bool { return m.DeliveryTime != nil && m.DeliveryTime.IsZero() }},
		{"escaped names match", `{"\u0069d":"3","n\u006fte":"x",` + base + `}`, "3", "",
			func(m *Message) bool { return m.ID == "3" && *m.Note == "x" }},
		{"escaped time", `{"id":"3","created_at":"2025-11-02T22:12:50\u005a","updated_at":"2025-11-02T22:12:51Z"}`, "3", "",
			func(m *Message) bool { return m.CreatedAt.Equal(time.Date(2025, 11, 2, 22, 12, 50, 0, time.UTC)) }},
		{"invalid UTF-8 and lone surrogates become U+FFFD", "{\"id\":\"1\",\"note\":\"a\xffb\\ud800c\"," + base + "}", "1", "",
			func(m *Message) bool { return *m.Note == "a\uFFFDb\uFFFDc" }},
		{"unknown members repeated are all kept", `{"id":"1","x":1,"x":2,` + base + `}`, "1", "",
			func(m *Message) bool { return *m.ExtraJSON == `{"x":1,"x":2}` }},
		{"uint64 ids", `{"id":18446744073709551615,"shop_id":-9223372036854775808,` + base + `}`, "18446744073709551615", "",
			func(m *Message) bool { return *m.ShopID == "-9223372036854775808" }},
		{"empty optional id kept", `{"id":"1","shop_id":"",` + base + `}`, "1", "",
			func(m *Message) bool { return m.ShopID != nil && *m.ShopID == "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := decodeMessage([]byte(tc.raw))
			if r.id != tc.id || string(r.raw) != tc.raw {
				t.Errorf("id %q raw %s, want %q and the input", r.id, r.raw, tc.id)
			}
			if tc.err != "" {
				if r.err == nil || !strings.Contains(r.err.Error(), tc.err) || r.value != nil || r.key != nil {
					t.Fatalf("err = %v, want %q", r.err, tc.err)
				}
				return
			}
			if r.err != nil {
				t.Fatal(r.err)
			}
			if !tc.check(r.value) {
				t.Errorf("decoded %+v", r.value)
			}
		})
	}
}

// TestDecoderReuse decodes records one after the other with one decoder,
// as a walk does: nothing of a record shows in the next.
func TestDecoderReuse(t *testing.T) {
	var d decoder
	first := d.decode([]byte(example[:len(example)-1] + `,"channel":"zns"}`))
	if first.err != nil || first.value.ExtraJSON == nil {
		t.Fatalf("first: %+v %v", first.value, first.err)
	}
	second := d.decode([]byte(`{"id":"2","created_at":"2025-11-02T22:12:50Z","updated_at":"2025-11-02T22:12:51Z"}`))
	want := decodeMessage(second.raw)
	if second.err != nil || !reflect.DeepEqual(second.value, want.value) || second.value.Note != nil || second.value.ExtraJSON != nil {
		t.Fatalf("second: %+v %v", second.value, second.err)
	}
	if *first.value.Note != "Cảm ơn shop!" || *first.value.ExtraJSON != `{"channel":"zns"}` {
		t.Fatalf("the first message changed: %+v", first.value)
	}
}

func TestParsePageV2Edges(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		n          int
		err        string
	}{
		{"repeated messages: the last counts", `{"messages":[{"id":"1"}],"messages":[{"id":"2"},{"id":"3"}]}`, 2, ""},
		{"messages repeated as null", `{"messages":[{"id":"1"}],"messages":null}`, 0, ""},
		{"invalid UTF-8 is JSON", "{\"messages\":[{\"id\":\"\xff\"}],\"paging\":{}}", 1, ""},
		{"whitespace around elements", " {\"messages\" : [ {\"id\":\"1\"} ,\n\t[1] , 2 ] } ", 3, ""},
		{"wrong type then invalid", `{"messages":{},"paging":`, 0, "response is not JSON"},
		{"null paging alone", `{"paging":null}`, 0, "response has neither messages nor paging"},
		{"msg wins over message", `{"message":"b","msg":"a"}`, 0, "the API answered an error: a"},
		{"nesting as deep as encoding/json allows", `{"messages":[` + strings.Repeat(`[`, 9998) + strings.Repeat(`]`, 9998) + `]}`, 1, ""},
		{"deeper", `{"messages":[` + strings.Repeat(`[`, 9999) + strings.Repeat(`]`, 9999) + `]}`, 0, "response is not JSON: invalid character '[' exceeded max depth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parsePage([]byte(tc.body), new(decoder))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || len(p.messages) != tc.n {
				t.Fatalf("parsePage = %d messages, %v; want %d", len(p.messages), err, tc.n)
			}
			for _, m := range p.messages {
				if !json.Valid(m.raw) || strings.TrimSpace(string(m.raw)) != string(m.raw) || !strings.Contains(tc.body, string(m.raw)) {
					t.Errorf("message %q is not a whole JSON value of the page", m.raw)
				}
			}
		})
	}
}

// TestPageRecords: the records of a page are decoded as the page is read,
// each with its bytes exactly as sent, whatever surrounds them.
func TestPageRecords(t *testing.T) {
	const ok = `{"id":"1","created_at":"2025-11-02T22:12:50Z","updated_at":"2025-11-02T22:12:51Z","x":{ "y" : 1 }}`
	body := "{\"messages\" : [ " + ok + " ,\n\t[1] , 2,{\"id\":3,\"rate\":\"x\"},null\n],\"paging\":{\"next\":\"n\"}}"
	p, err := parsePage([]byte(body), new(decoder))
	if err != nil || len(p.messages) != 5 || p.next != "n" {
		t.Fatalf("parsePage = %d messages, next %q, %v", len(p.messages), p.next, err)
	}
	for i, want := range []struct{ raw, id, err string }{
		{ok, "1", ""},
		{`[1]`, "", "zns message (id unknown) is an array, want a JSON object"},
		{`2`, "", "zns message (id unknown) is a number, want a JSON object"},
		{`{"id":3,"rate":"x"}`, "3", "zns message 3: rate \"x\" is not a 64-bit integer\ncreated_at is missing\nupdated_at is missing"},
		{`null`, "", "zns message (id unknown) is null, want a JSON object"},
	} {
		m := p.messages[i]
		if string(m.raw) != want.raw || m.id != want.id || fmt.Sprint(m.err) != cmp.Or(want.err, "<nil>") {
			t.Errorf("record %d: raw %s id %q err %v; want %s %q %s", i, m.raw, m.id, m.err, want.raw, want.id, want.err)
		}
	}
	if m := p.messages[0].value; m == nil || *m.ExtraJSON != `{"x":{ "y" : 1 }}` {
		t.Errorf("record 0: %+v", m)
	}
}

// reference decodes a record the way the documentation says, with
// encoding/json: the oracle FuzzDecodeMessage holds the v2 decoder to.
// ok is false when the record is bad.
func reference(b []byte) (m Message, ok bool) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(b, &fields) != nil || fields == nil {
		return m, false
	}
	ok = true
	get := func(name string) (json.RawMessage, bool) {
		v, sent := fields[name]
		delete(fields, name)
		return v, sent && string(v) != "null"
	}
	str := func(name string) *string {
		v, sent := get(name)
		if !sent {
			return nil
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			ok = false
			return nil
		}
		return &s
	}
	id := func(name string) *string {
		v, sent := get(name)
		if !sent {
			return nil
		}
		if v[0] != '"' {
			if _, err := sourcetest.ID(name, v); err != nil {
				ok = false
				return nil
			}
			s := string(v)
			return &s
		}
		fields[name] = v
		return str(name)
	}
	raw := func(name string, open byte) *string {
		v, sent := get(name)
		if !sent {
			return nil
		}
		if v[0] != open {
			ok = false
			return nil
		}
		s := string(v)
		return &s
	}
	flag := func(name string) *bool {
		v, sent := get(name)
		if !sent {
			return nil
		}
		var f bool
		if json.Unmarshal(v, &f) != nil {
			ok = false
			return nil
		}
		return &f
	}
	integer := func(name string) *int64 {
		v, sent := get(name)
		if !sent {
			return nil
		}
		digits := string(v)
		if v[0] == '"' {
			digits = digits[1 : len(digits)-1]
		}
		n, err := strconv.ParseInt(digits, 10, 64)
		if err != nil {
			ok = false
			return nil
		}
		return &n
	}
	when := func(name string) *time.Time {
		v, sent := get(name)
		if !sent || string(v) == `""` {
			return nil
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			ok = false
			return nil
		}
		at, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			ok = false
			return nil
		}
		at = at.UTC()
		return &at
	}
	required := func(p *time.Time) time.Time {
		if p == nil || p.IsZero() {
			ok = false
			return time.Time{}
		}
		return *p
	}
	if _, sent := fields["id"]; !sent {
		ok = false
	}
	if v, sent := fields["id"]; sent && (string(v) == "null" || string(v) == `""`) {
		ok = false
	}
	m = Message{
		ID: func() string {
			if p := id("id"); p != nil {
				return *p
			}
			return ""
		}(),
		ShopID: id("shop_id"), UserID: id("user_id"), OAID: id("oa_id"), CampaignID: id("campaign_id"), JourneyID: id("journey_id"),
		MsgID: str("msg_id"), TrackingID: str("tracking_id"), TemplateID: id("template_id"), Type: str("type"), Status: str("status"),
		Phone: str("phone"), TemplateData: raw("template_data", '{'), ZlUserID: id("zl_user_id"), IsDevelopment: flag("is_development"),
		IsCharged: flag("is_charged"), FeeMain: integer("fee_main"), FeeToken: integer("fee_token"), ErrorCode: integer("error_code"),
		ErrorMessage: str("error_message"), Timeout: integer("timeout"), DeliveryStatus: str("delivery_status"),
		DeliveryTime: when("delivery_time"), RequestTime: when("request_time"), SentTime: when("sent_time"), Rate: integer("rate"),
		Note: str("note"), Feedback: raw("feedback", '['), SubmitTime: when("submit_time"),
	}
	if _, sent := fields["created_at"]; !sent {
		ok = false
	}
	if _, sent := fields["updated_at"]; !sent {
		ok = false
	}
	m.CreatedAt, m.UpdatedAt = required(when("created_at")), required(when("updated_at"))
	if len(fields) > 0 {
		extra, _ := json.Marshal(fields) // the unknown members, by name
		s := string(extra)
		m.ExtraJSON = &s
	}
	return m, ok
}

// sameMessage compares a decoded message with the reference; extra_json
// is compared as the members it holds, the last of a repeated name
// counting, since encoding/json keeps only that one.
func sameMessage(got *Message, want Message) error {
	g := *got
	if (g.ExtraJSON == nil) != (want.ExtraJSON == nil) {
		return fmt.Errorf("extra_json %v, want %v", g.ExtraJSON, want.ExtraJSON)
	}
	if g.ExtraJSON != nil {
		var members map[string]json.RawMessage
		if err := json.Unmarshal([]byte(*g.ExtraJSON), &members); err != nil {
			return fmt.Errorf("extra_json %s: %v", *g.ExtraJSON, err)
		}
		b, _ := json.Marshal(members)
		if string(b) != *want.ExtraJSON {
			return fmt.Errorf("extra_json %s, want the members %s", *g.ExtraJSON, *want.ExtraJSON)
		}
		g.ExtraJSON = want.ExtraJSON
	}
	if !reflect.DeepEqual(g, want) {
		return fmt.Errorf("decoded\n%+v\nwant\n%+v", g, want)
	}
	return nil
}
