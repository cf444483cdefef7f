package nxlink

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/vnstream/connector/pkg/source"
)

// TestWhatV2CannotDo shows what encoding/json/v2 does not do by itself
// that nxlink needs, and so the pieces parse.go and decode.go write by
// hand: integer, the second decoding with wrongTypes, and the `embed`
// option where `unknown` was meant.
func TestWhatV2CannotDo(t *testing.T) {
	// nxlink sends ids as numbers or as strings: an int64 field takes
	// numbers only, and with `string` strings only. Hence jsontext.Value
	// and integer.
	var plain struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(`{"id":"1021110718827683841"}`), &plain); err == nil {
		t.Error("an int64 field read an id sent as a string")
	}
	var quoted struct {
		ID int64 `json:"id,string"`
	}
	if err := json.Unmarshal([]byte(`{"id":1021110718827683841}`), &quoted); err == nil {
		t.Error("an int64 `string` field read an id sent as a number")
	}

	// Decoding stops at the first member of the wrong type: the id and
	// updated_at after it, which the dead-letter record and paging need,
	// are not read. Hence the second decoding with wrongTypes.
	raw := `{"gender":"male","id":7,"updated_at":"2024-07-30T17:56:39"}`
	var w wireCustomer
	err := json.Unmarshal([]byte(raw), &w, source.DecodeOptions)
	if _, ok := errors.AsType[*json.SemanticError](err); !ok || w.ID != nil || w.UpdatedAt != nil {
		t.Errorf("decoding went on after a member of the wrong type: %v, id %s", err, w.ID)
	}
	c := decodeCustomer([]byte(raw), time.UTC, 1)
	if !c.idOK || c.id != 7 || !c.updatedOK || c.err == nil {
		t.Errorf("decodeCustomer = id %d (%v), updated %v, err %v", c.id, c.idOK, c.updatedOK, c.err)
	}

	// This version of the module has no `unknown` option: the tag is
	// ignored, silently, and the field is an ordinary member named after
	// it. A jsontext.Value field with `embed` gathers the unknown members.
	var unknown struct {
		ID    int64          `json:"id"`
		Extra jsontext.Value `json:",unknown"`
	}
	if err := json.Unmarshal([]byte(`{"id":1,"campaign":"tet"}`), &unknown); err != nil || unknown.Extra != nil {
		t.Errorf("`unknown` gathered %s, %v", unknown.Extra, err)
	}
	var embed struct {
		ID    int64          `json:"id"`
		Extra jsontext.Value `json:",embed"`
	}
	if err := json.Unmarshal([]byte(`{"id":1,"campaign":"tet"}`), &embed); err != nil || string(embed.Extra) != `{"campaign":"tet"}` {
		t.Errorf("`embed` gathered %s, %v", embed.Extra, err)
	}
}

// TestDecodeCustomerMembers covers the members one by one: null, the
// wrong JSON type (every such member is told, the strings and integers in
// the order sent, then the required members, and the others still read),
// integers out of range, repeated names and invalid UTF-8 as
// encoding/json reads them, and names that only look like documented ones.
func TestDecodeCustomerMembers(t *testing.T) {
	base := `"created_at":"2024-07-19T17:29:27","updated_at":"2024-07-30T17:56:39"`
	t.Run("all null", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(`{"id":1,` + base)
		for _, name := range []string{"first_name", "last_name", "full_name", "sms_phone", "whatsApp_phone", "viber_phone",
			"line", "messenger", "instagram", "email", "country", "birthday", "remark", "source_type", "source_channel_key",
			"gender", "status", "whatApp_subscribe", "sms_subscribe", "customize_field", "tenant_id", "weight", "web", "tags"} {
			b.WriteString(`,"` + name + `":null`)
		}
		b.WriteString(`}`)
		c := decodeCustomer([]byte(b.String()), time.UTC, 77)
		if c.err != nil {
			t.Fatal(c.err)
		}
		if want := (Customer{ID: 1, CreatedAt: c.value.CreatedAt, UpdatedAt: c.value.UpdatedAt, TenantID: 77}); *c.value != want {
			t.Errorf("value %+v, want every optional field nil", c.value)
		}
	})
	t.Run("every wrong member told", func(t *testing.T) {
		raw := `{"first_name":12,"gender":"male","id":7,"weight":1.5,"status":9223372036854775808,"email":{"a":1},` +
			`"created_at":20240719,"sms_phone":[1],"updated_at":"2024-07-30T17:56:39","web":true}`
		c := decodeCustomer([]byte(raw), time.UTC, 1)
		if !c.idOK || c.id != 7 || !c.updatedOK || c.value != nil || c.err == nil {
			t.Fatalf("id %d (%v), updated %v, value %v, err %v", c.id, c.idOK, c.updatedOK, c.value, c.err)
		}
		want := []string{
			"first_name is a JSON number, want a string",
			"gender is a JSON string, want an integer",
			"weight 1.5 is not a 64-bit integer",
			"status 9223372036854775808 is not a 64-bit integer",
			"email is a JSON object, want a string",
			"sms_phone is a JSON array, want a string",
			"web is a JSON boolean, want a string",
			"created_at is a JSON number, want a string",
		}
		if got := strings.Split(strings.TrimPrefix(c.err.Error(), "customer 7: "), "\n"); !slices.Equal(got, want) {
			t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("integers", func(t *testing.T) {
		raw := `{"id":"-9223372036854775808","tenant_id":"0","source_type":-9223372036854775808,"gender":0,"status":-0,"weight":9223372036854775807,` + base + `}`
		c := decodeCustomer([]byte(raw), time.UTC, 1)
		if c.err != nil {
			t.Fatal(c.err)
		}
		v := c.value
		if v.ID != -9223372036854775808 || v.TenantID != 0 || *v.SourceType != -9223372036854775808 || *v.Gender != 0 || *v.Status != 0 || *v.Weight != 9223372036854775807 {
			t.Errorf("value %+v", v)
		}
		for _, bad := range []string{`"id":" 1"`, `"id":"1.0"`, `"id":"0x10"`, `"id":""`, `"id":true`, `"id":[1]`, `"id":1e3`} {
			if c := decodeCustomer([]byte(`{`+bad+`,`+base+`}`), time.UTC, 1); c.idOK || c.err == nil ||
				!strings.Contains(c.err.Error(), "is not a signed 64-bit integer") {
				t.Errorf("%s: id %d (%v), err %v", bad, c.id, c.idOK, c.err)
			}
		}
	})
	t.Run("repeated names take the last value", func(t *testing.T) {
		raw := `{"id":1,"id":"2","first_name":12,"first_name":"An","campaign":"tet","campaign":"tết",` + base + `}`
		c := decodeCustomer([]byte(raw), time.UTC, 1)
		if !c.idOK || c.id != 2 || c.err == nil || !strings.Contains(c.err.Error(), "customer 2: first_name is a JSON number") {
			t.Errorf("id %d (%v), err %v", c.id, c.idOK, c.err)
		}
		c = decodeCustomer([]byte(`{"id":1,"id":"2","first_name":"Bình","first_name":"An","campaign":"tet","campaign":"tết",`+base+`}`), time.UTC, 1)
		if c.err != nil || c.value.ID != 2 || *c.value.FirstName != "An" || *c.value.ExtraJSON != `{"campaign":"tet","campaign":"tết"}` {
			t.Errorf("value %+v, err %v", c.value, c.err)
		}
	})
	t.Run("invalid UTF-8 becomes U+FFFD", func(t *testing.T) {
		raw := "{\"id\":1,\"first_name\":\"An\xff\",\"remark\":\"\\ud800\",\"customize_field\":\"{\\\"a\\\":\\\"\xc3\\\"}\",\"x\":\"\xfe\"," + base + "}"
		c := decodeCustomer([]byte(raw), time.UTC, 1)
		if c.err != nil {
			t.Fatal(c.err)
		}
		v := c.value
		if *v.FirstName != "An\uFFFD" || *v.Remark != "\uFFFD" || *v.CustomizeField != `{"a":"`+"\uFFFD"+`"}` || *v.ExtraJSON != "{\"x\":\"\xfe\"}" {
			t.Errorf("first_name %q remark %q customize_field %q extra_json %q", *v.FirstName, *v.Remark, *v.CustomizeField, *v.ExtraJSON)
		}
	})
	t.Run("names match exactly", func(t *testing.T) {
		raw := `{"id":1,"ID":2,"First_Name":"An","whatsapp_phone":"849","Unknown":"x","Tags":5,` + base + `}`
		c := decodeCustomer([]byte(raw), time.UTC, 1)
		if c.err != nil {
			t.Fatal(c.err)
		}
		v := c.value
		want := `{"ID":2,"First_Name":"An","whatsapp_phone":"849","Unknown":"x","Tags":5}`
		if v.ID != 1 || v.FirstName != nil || v.WhatsAppPhone != nil || v.Tags != nil || v.ExtraJSON == nil || *v.ExtraJSON != want {
			t.Errorf("value %+v, extra_json %v, want %s", v, v.ExtraJSON, want)
		}
	})
	t.Run("times", func(t *testing.T) {
		for _, tc := range []struct{ sent, want string }{
			{`"2024-07-30T17:56:39"`, "2024-07-30T10:56:39Z"},
			{`"2024-07-30 17:56:39"`, "2024-07-30T10:56:39Z"},
			{`"2024-07-30T17:56:39.123456789"`, "2024-07-30T10:56:39.123456789Z"},
			{`"2024-07-30T17:56:39.5Z"`, "2024-07-30T17:56:39.5Z"},
			{`"2024-07-30T17:56:39-02:30"`, "2024-07-30T20:26:39Z"},
			{`"2024-07-30t17:56:39z"`, "2024-07-30T17:56:39Z"},
			{`"2024-07-30 17:56:39.5"`, "2024-07-30T10:56:39.5Z"},
			{`"2024-07-30t17:56:39"`, ""},
			{`"2024-07-30"`, ""},
			{`"2024-07-30 17:56:39Z"`, ""},
			{`"2024-02-30T17:56:39"`, ""},
			{`""`, ""},
			{`1722336999`, ""},
			{`null`, ""},
		} {
			c := decodeCustomer([]byte(`{"id":1,"created_at":"2024-07-19T17:29:27","updated_at":`+tc.sent+`}`), hcm(t), 1)
			switch {
			case tc.want == "" && (c.err == nil || c.updatedOK || strings.Count(c.err.Error(), "updated_at") != 1):
				t.Errorf("updated_at %s: %v, %v, want one error", tc.sent, c.updated, c.err)
			case tc.want != "" && (c.err != nil || c.updated.Format(time.RFC3339Nano) != tc.want):
				t.Errorf("updated_at %s: %v, %v, want %s", tc.sent, c.updated, c.err, tc.want)
			}
		}
	})
	t.Run("not a customer", func(t *testing.T) {
		for _, raw := range []string{``, ` `, `null`, `1`, `"{}"`, `[{}]`, `{`, `{"id":1`, `{"id":1}}`, `{"id":1} {}`, `{"id":01}`, `{"id":1,}`} {
			c := decodeCustomer([]byte(raw), time.UTC, 1)
			if c.err == nil || c.value != nil || c.idOK || string(c.raw) != raw ||
				!strings.HasPrefix(c.err.Error(), "customer (id unknown): not") {
				t.Errorf("%q: id %v, value %v, err %v", raw, c.idOK, c.value, c.err)
			}
		}
	})
}

// TestParsePageKeepsCustomersApart: a customer with a repeated member
// name, invalid UTF-8 or of another JSON type does not refuse its page;
// the customers are kept byte for byte.
func TestParsePageKeepsCustomersApart(t *testing.T) {
	customers := []string{"{\"id\":1,\"id\":2}", "{\"id\":3,\"remark\":\"\xff\"}", `7`, `"x"`, `null`, `{ "id" : 4 , "tags" : [ ] }`}
	body := `{"code":0,"code":0,"data":{"paging":{"after":4,"next":null},"customer_list":[` + strings.Join(customers, " , ") + `]}}`
	p, err := parsePage([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.customers) != len(customers) {
		t.Fatalf("%d customers, want %d", len(p.customers), len(customers))
	}
	for i, c := range p.customers {
		if string(c) != customers[i] {
			t.Errorf("customer %d = %q, want %q as sent", i, c, customers[i])
		}
	}
	// A repeated member takes the last value; repeated objects merge.
	p, err = parsePage([]byte(`{"code":0,"data":{"paging":{"after":1,"next":1},"customer_list":[{}],"paging":{"after":2},"customer_list":null}}`))
	if err != nil || len(p.customers) != 0 || p.after != (cursor{2, true}) || !p.more {
		t.Errorf("repeated members: %+v, %v", p, err)
	}
	// The customers are the parts of the body they were read from, not
	// copies (the fetch client gives each page its own body).
	b := []byte(body)
	p, _ = parsePage(b)
	clear(b)
	if string(p.customers[0]) != strings.Repeat("\x00", len(customers[0])) {
		t.Errorf("customer 0 = %q, want the part of the body it was read from", p.customers[0])
	}
	for _, tc := range []struct{ body, err string }{
		{`{"code":"1001","message":"missing accessKey","traceId":7,"data":5}`, `code 1001, message "missing accessKey", traceId "7"`},
		{`{"code":0,"data":[{"paging":{},"customer_list":[]}]}`, `no "data" object`},
		{`{"code":0,"data":{"paging":null,"customer_list":[]}}`, `no "data"."paging" object`},
		{`{"code":0,"data":{"paging":{"after":"x"},"customer_list":[]}}`, `response paging.after "\"x\"" is not a signed 64-bit integer`},
		{`{"code":0,"data":{"paging":{},"customer_list":"[]"}}`, `customer_list "\"[]\"" is not an array`},
		{`[{"code":0}]`, `response is not a JSON object`},
		{`{"code":0} {}`, `not the documented JSON`},
		{`{"code":0,"data":{"paging":{},"customer_list":[]},"data":null}`, `no "data" object`},
		{`{"code":0,"data":{"paging":{},"customer_list":[],"customer_list":{}}}`, `customer_list "{}" is not an array`},
		{`{"code":0,"code":1003,"data":{"paging":{},"customer_list":[]}}`, `code 1003`},
		{``, `not the documented JSON`},
		{"{\"code\":0,\"data\":{\"paging\":{},\"customer_list\":[{\"a\":1,}]}}", `not the documented JSON`},
	} {
		if _, err := parsePage([]byte(tc.body)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err %v, want %q", tc.body, err, tc.err)
		}
	}
}
