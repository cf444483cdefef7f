package nxlink

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParsePage(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		n          int
		after      cursor
		more       bool
		err        string
	}{
		{"last page", `{"code":0,"message":null,"traceId":"x","data":{"paging":{"after":1021110718827683840,"before":1021110718827683840,"previous":null,"next":null},"customer_list":[{"id":1}]}}`,
			1, cursor{1021110718827683840, true}, false, ""},
		{"more pages", `{"code":0,"data":{"paging":{"after":9223372036854775807,"next":9223372036854775806},"customer_list":[{},{}]}}`,
			2, cursor{9223372036854775807, true}, true, ""},
		{"ids as strings", `{"code":"0","data":{"paging":{"after":"1021110718827683841","next":"1"},"customer_list":[]}}`,
			0, cursor{1021110718827683841, true}, true, ""},
		{"null list, no after", `{"code":0,"data":{"paging":{"after":null,"next":null},"customer_list":null}}`, 0, cursor{}, false, ""},
		{"vendor error with HTTP 200", `{"code":500,"message":"system busy","traceId":"44988d9d","data":null}`, 0, cursor{}, false,
			`nxlink answered code 500, message "system busy", traceId "44988d9d"`},
		{"vendor error without message", `{"code":1003}`, 0, cursor{}, false, `code 1003, message "", traceId ""`},
		{"truncated", `{"code":0,"data":{"paging":{"after":1,"next":null},"customer_list":[{"id":1},{"id":`, 0, cursor{}, false, "not the documented JSON"},
		{"html", `<html><body>502</body></html>`, 0, cursor{}, false, "not the documented JSON"},
		{"no code", `{"data":{"paging":{},"customer_list":[]}}`, 0, cursor{}, false, "response code is missing"},
		{"code of the wrong type", `{"code":true,"data":null}`, 0, cursor{}, false, `response code "true" is not a signed 64-bit integer`},
		{"no data", `{"code":0,"message":"ok"}`, 0, cursor{}, false, `no "data" object`},
		{"no paging", `{"code":0,"data":{"customer_list":[]}}`, 0, cursor{}, false, `no "data"."paging" object`},
		{"list renamed", `{"code":0,"data":{"paging":{"next":null},"customers":[{"id":1}]}}`, 0, cursor{}, false, `no "data"."customer_list"`},
		{"list not an array", `{"code":0,"data":{"paging":{"next":null},"customer_list":{"id":1}}}`, 0, cursor{}, false, `customer_list "{\"id\":1}" is not an array`},
		{"after through a float", `{"code":0,"data":{"paging":{"after":1.0211107188276838e18,"next":null},"customer_list":[]}}`, 0, cursor{}, false, "paging.after"},
		{"after above int64", `{"code":0,"data":{"paging":{"after":9223372036854775808,"next":null},"customer_list":[]}}`, 0, cursor{}, false, "is not a signed 64-bit integer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parsePage([]byte(tc.body))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(p.customers) != tc.n || p.after != tc.after || p.more != tc.more {
				t.Fatalf("page = %d customers, after %v, more %v; want %d, %v, %v", len(p.customers), p.after, p.more, tc.n, tc.after, tc.more)
			}
		})
	}
	_, err := parsePage([]byte(`{"code":1004,"message":"Timestamp expired","traceId":"t1"}`))
	var ve *vendorError
	if !errors.As(err, &ve) || ve.reason() != "auth" {
		t.Fatalf("code 1004: %v, want an auth vendor error", err)
	}
}

// hcm is the zone of the tests' tenant.
func hcm(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestDecodeCustomer(t *testing.T) {
	base := `"created_at":"2024-07-19T17:29:27","updated_at":"2024-07-30T17:56:39"`
	for _, tc := range []struct {
		name, raw string
		id        int64 // 0: unreadable
		updated   string
		err       string
	}{
		{"minimal", `{"id":1021110718827683840,` + base + `}`, 1021110718827683840, "2024-07-30T10:56:39Z", ""},
		{"id as a string", `{"id":"1021110718827683841",` + base + `}`, 1021110718827683841, "2024-07-30T10:56:39Z", ""},
		{"largest id", `{"id":9223372036854775807,` + base + `}`, 9223372036854775807, "2024-07-30T10:56:39Z", ""},
		{"space separator and fractions", `{"id":5,"created_at":"2024-07-19 17:29:27","updated_at":"2024-07-30 17:56:39.250"}`, 5, "2024-07-30T10:56:39.25Z", ""},
		{"explicit offset wins over the zone", `{"id":5,"created_at":"2024-07-19T17:29:27Z","updated_at":"2024-07-30T17:56:39+08:00"}`, 5, "2024-07-30T09:56:39Z", ""},
		{"gender of the wrong type", `{"id":7,"gender":"male",` + base + `}`, 7, "2024-07-30T10:56:39Z", "customer 7: gender is a JSON string, want an integer"},
		{"name of the wrong type", `{"id":7,"first_name":12,` + base + `}`, 7, "2024-07-30T10:56:39Z", "customer 7: first_name is a JSON number, want a string"},
		{"bad updated_at", `{"id":8,"created_at":"2024-07-19T17:29:27","updated_at":"30/07/2024"}`, 8, "", `customer 8: updated_at "30/07/2024" is not a time`},
		{"missing created_at", `{"id":8,"updated_at":"2024-07-30T17:56:39"}`, 8, "2024-07-30T10:56:39Z", "customer 8: created_at is missing"},
		{"id through a float", `{"id":1.0211107188276838e18,` + base + `}`, 0, "2024-07-30T10:56:39Z", `customer (id unknown): id "1.0211107188276838e18" is not a signed 64-bit integer`},
		{"id above int64", `{"id":18446744073709551615,` + base + `}`, 0, "2024-07-30T10:56:39Z", `id "18446744073709551615" is not a signed 64-bit integer`},
		{"missing id", `{` + base + `}`, 0, "2024-07-30T10:56:39Z", "customer (id unknown): id is missing"},
		{"tenant_id of the wrong type", `{"id":9,"tenant_id":"acme",` + base + `}`, 9, "2024-07-30T10:56:39Z", "customer 9: tenant_id"},
		{"customize_field a number", `{"id":9,"customize_field":1,` + base + `}`, 9, "2024-07-30T10:56:39Z", `customer 9: customize_field "1" is not a string`},
		{"tags an object", `{"id":9,"tags":{"id":1},` + base + `}`, 9, "2024-07-30T10:56:39Z", `customer 9: tags "{\"id\":1}" is not an array`},
		{"not an object", `["id"]`, 0, "", "customer (id unknown): not a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := decodeCustomer([]byte(tc.raw), hcm(t), 123)
			if c.idOK != (tc.id != 0) || c.id != tc.id {
				t.Errorf("id = %d (%v), want %d", c.id, c.idOK, tc.id)
			}
			if got := ""; c.updatedOK {
				if got = c.updated.Format(time.RFC3339Nano); got != tc.updated {
					t.Errorf("updated = %s, want %s", got, tc.updated)
				}
			} else if tc.updated != "" {
				t.Errorf("updated unreadable, want %s", tc.updated)
			}
			if string(c.raw) != tc.raw {
				t.Errorf("raw = %s, want the record as sent", c.raw)
			}
			if tc.err != "" {
				if c.err == nil || !strings.Contains(c.err.Error(), tc.err) || c.value != nil {
					t.Fatalf("err = %v, want %q", c.err, tc.err)
				}
				return
			}
			if c.err != nil {
				t.Fatal(c.err)
			}
			if v := c.value; v.ID != tc.id || v.TenantID != 123 || !v.UpdatedAt.Equal(c.updated) || v.UpdatedAt.Location() != time.UTC || v.ExtraJSON != nil {
				t.Errorf("value %+v", v)
			}
		})
	}
}

func TestDecodeCustomerKeepsJSONExactly(t *testing.T) {
	raw := `{"id":1021110718827683841,"tenant_id":"456","created_at":"2024-07-19T17:29:27","updated_at":"2024-07-30T17:56:39",` +
		`"customize_field":"{\"customize_4_52\": [\"1\"], \"city\":\"Hà Nội\"}",` +
		`"tags":[ {"id":27237, "customer_id":1021110718827683841, "note":"", "group_name":null} ],` +
		`"score":9.50,"whatsApp_subscribe":"1","labels":{"a":[1, 2]}}`
	c := decodeCustomer([]byte(raw), time.UTC, 123)
	if c.err != nil {
		t.Fatal(c.err)
	}
	v := c.value
	if v.TenantID != 456 {
		t.Errorf("tenant_id %d, want 456 as sent", v.TenantID)
	}
	if want := `{"customize_4_52": ["1"], "city":"Hà Nội"}`; v.CustomizeField == nil || *v.CustomizeField != want {
		t.Errorf("customize_field %v, want %s", v.CustomizeField, want)
	}
	if want := `[ {"id":27237, "customer_id":1021110718827683841, "note":"", "group_name":null} ]`; v.Tags == nil || *v.Tags != want {
		t.Errorf("tags %v, want %s", v.Tags, want)
	}
	if want := `{"score":9.50,"whatsApp_subscribe":"1","labels":{"a":[1, 2]}}`; v.ExtraJSON == nil || *v.ExtraJSON != want {
		t.Errorf("extra_json %v, want %s", v.ExtraJSON, want)
	}
	// An object sent unquoted is kept as its JSON text.
	c = decodeCustomer([]byte(`{"id":1,"created_at":"2024-07-19T17:29:27","updated_at":"2024-07-19T17:29:27","customize_field":{"a": 1}}`), time.UTC, 1)
	if c.err != nil || *c.value.CustomizeField != `{"a": 1}` {
		t.Errorf("unquoted customize_field: %v %v", c.value, c.err)
	}
}

// TestVendorExample decodes the response example of nxlink's document
// (testdata/vendor-example.json, copied verbatim).
func TestVendorExample(t *testing.T) {
	body, err := os.ReadFile("testdata/vendor-example.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := parsePage(body)
	if err != nil || len(p.customers) != 1 || p.after != (cursor{1021110718827683840, true}) || p.more {
		t.Fatalf("parsePage = %+v, %v", p, err)
	}
	c := decodeCustomer(p.customers[0], hcm(t), 999)
	if c.err != nil {
		t.Fatal(c.err)
	}
	v := c.value
	str := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return *p
	}
	num := func(p *int64) string {
		if p == nil {
			return "<nil>"
		}
		return strconv.FormatInt(*p, 10)
	}
	for _, f := range []struct{ name, got, want string }{
		{"id", strconv.FormatInt(v.ID, 10), "1021110718827683840"},
		{"tenant_id", strconv.FormatInt(v.TenantID, 10), "123"},
		{"first_name", str(v.FirstName), "Simon"},
		{"last_name", str(v.LastName), "<nil>"},
		{"whatsApp_phone", str(v.WhatsAppPhone), "861360301975912"},
		{"country", str(v.Country), "CN"},
		{"source_type", num(v.SourceType), "3"},
		{"gender", num(v.Gender), "<nil>"},
		{"status", num(v.Status), "1"},
		{"weight", num(v.Weight), "5"},
		{"created_at", v.CreatedAt.Format(time.RFC3339), "2024-07-19T10:29:27Z"},
		{"updated_at", v.UpdatedAt.Format(time.RFC3339), "2024-07-30T10:56:39Z"},
		{"whatApp_subscribe", str(v.WhatAppSubscribe), "1"},
		{"customize_field", str(v.CustomizeField), `{"customize_4_52": ["1"]}`},
		{"web", str(v.Web), "https://www.example.com"},
		{"extra_json", str(v.ExtraJSON), "<nil>"},
	} {
		if f.got != f.want {
			t.Errorf("%s = %s, want %s", f.name, f.got, f.want)
		}
	}
	if v.Tags == nil || !strings.Contains(*v.Tags, `"customer_id": 1021110718827683840`) || !json.Valid([]byte(*v.Tags)) {
		t.Errorf("tags %v, want the array with the exact customer_id", str(v.Tags))
	}
}

// FuzzDecodeCustomer: any bytes give a value or an error, never a panic,
// through the page decoder or the customer decoder; a customer that is
// valid JSON and decodes keeps its id exactly and has its times; a page
// that parses is valid JSON. Read independently with encoding/json, a
// customer that is a valid JSON object has its id read whenever it is an
// integer, even when the rest is bad (the dead-letter record's key), and
// one that decodes has every member as encoding/json reads it (see
// checkMembers). The seed corpus holds the vendor document's example.
func FuzzDecodeCustomer(f *testing.F) {
	example, err := os.ReadFile("testdata/vendor-example.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example))
	p, err := parsePage(example)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(p.customers[0]))
	f.Add(`{"id":"9223372036854775807","created_at":"2024-07-19 17:29:27","updated_at":"2024-07-19T17:29:27+07:00","tags":[]}`)
	f.Add(`{"gender":"male","id":"12","first_name":1,"created_at":"2024-07-19T17:29:27","updated_at":"2024-07-19T17:29:27"}`)
	f.Add("{\"id\":1,\"id\":2,\"x\":\"\xff\",\"x\":[1, 2],\"remark\":\"\\ud800\",\"customize_field\":{\"a\": 1},\"created_at\":\"2024-07-19T17:29:27\",\"updated_at\":\"2024-07-19t17:29:27z\"}")
	f.Fuzz(func(t *testing.T, raw string) {
		if p, err := parsePage([]byte(raw)); err == nil {
			if !json.Valid([]byte(raw)) {
				t.Fatalf("parsePage(%q) accepted invalid JSON", raw)
			}
			for _, r := range p.customers {
				if c := decodeCustomer(r, time.UTC, 1); (c.value == nil) == (c.err == nil) {
					t.Fatalf("customer %s of page %q: value %v and err %v", r, raw, c.value, c.err)
				}
			}
		}
		c := decodeCustomer([]byte(raw), time.UTC, 1)
		if (c.value == nil) == (c.err == nil) {
			t.Fatalf("decodeCustomer(%q): value %v and err %v", raw, c.value, c.err)
		}
		if !json.Valid([]byte(raw)) || strings.TrimLeft(raw, " \t\r\n")[0] != '{' {
			return
		}
		members, _ := topMembers(t, raw)
		n, ok := v1Integer(members["id"])
		if ok != c.idOK || n != c.id {
			t.Fatalf("decodeCustomer(%q) id %d (%v), sent %s", raw, c.id, c.idOK, members["id"])
		}
		v := c.value
		if v == nil {
			return
		}
		checkMembers(t, raw, v)
		id := lastID(t, raw)
		if n, err := strconv.ParseInt(id, 10, 64); err != nil || n != v.ID || !c.idOK || c.id != v.ID {
			t.Fatalf("decodeCustomer(%q) id %d, sent %s", raw, v.ID, id)
		}
		// A customer has a created_at (the zero time, 0001-01-01 00:00:00
		// UTC, is one a vendor may send).
		if string(members["created_at"]) == "" || string(members["created_at"]) == "null" || !c.updatedOK || !v.UpdatedAt.Equal(c.updated) {
			t.Fatalf("decodeCustomer(%q) = %+v", raw, v)
		}
	})
}

// lastID reads the id of a customer on its own: the value of the last
// top-level member named exactly "id", a json.Number or a string.
func lastID(t *testing.T, raw string) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%q is not an object", raw)
	}
	id := ""
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if tok == "id" {
			id = fmt.Sprint(v)
		}
	}
	return id
}

// topMembers returns the last value of each top-level member of the JSON
// object raw, as encoding/json reads them, and their names in the order
// first sent.
func topMembers(t *testing.T, raw string) (map[string]json.RawMessage, []string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%q is not an object", raw)
	}
	m := map[string]json.RawMessage{}
	var order []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		name := tok.(string)
		if _, seen := m[name]; !seen {
			order = append(order, name)
		}
		m[name] = v
	}
	return m, order
}

// v1Integer reads an id as encoding/json sees it: a JSON number or a
// string of decimal digits that fits an int64.
func v1Integer(v json.RawMessage) (int64, bool) {
	var s string
	if json.Unmarshal(v, &s) != nil {
		s = string(v)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// checkMembers checks each field of v, decoded from raw, against the last
// member of its name as encoding/json reads it; the members the schema
// does not know must be in extra_json, in the order sent, and only them.
func checkMembers(t *testing.T, raw string, v *Customer) {
	t.Helper()
	m, names := topMembers(t, raw)
	null := func(name string) bool { r, ok := m[name]; return !ok || string(r) == "null" }
	strs := map[string]*string{"first_name": v.FirstName, "last_name": v.LastName, "full_name": v.FullName,
		"sms_phone": v.SMSPhone, "whatsApp_phone": v.WhatsAppPhone, "viber_phone": v.ViberPhone, "line": v.Line,
		"messenger": v.Messenger, "instagram": v.Instagram, "email": v.Email, "country": v.Country,
		"birthday": v.Birthday, "remark": v.Remark, "source_channel_key": v.SourceChannelKey,
		"whatApp_subscribe": v.WhatAppSubscribe, "sms_subscribe": v.SMSSubscribe, "web": v.Web}
	for name, got := range strs {
		var want string
		if null(name) != (got == nil) || (got != nil && (json.Unmarshal(m[name], &want) != nil || *got != want)) {
			t.Fatalf("decodeCustomer(%q) %s = %v, sent %s", raw, name, got, m[name])
		}
	}
	ints := map[string]*int64{"source_type": v.SourceType, "gender": v.Gender, "status": v.Status, "weight": v.Weight}
	for name, got := range ints {
		var want int64
		if null(name) != (got == nil) || (got != nil && (json.Unmarshal(m[name], &want) != nil || *got != want)) {
			t.Fatalf("decodeCustomer(%q) %s = %v, sent %s", raw, name, got, m[name])
		}
	}
	if tenant, ok := v1Integer(m["tenant_id"]); (ok && tenant != v.TenantID) || (!ok && (!null("tenant_id") || v.TenantID != 1)) {
		t.Fatalf("decodeCustomer(%q) tenant_id %d, sent %s", raw, v.TenantID, m["tenant_id"])
	}
	if null("tags") != (v.Tags == nil) || (v.Tags != nil && *v.Tags != string(m["tags"])) {
		t.Fatalf("decodeCustomer(%q) tags %v, sent %s", raw, v.Tags, m["tags"])
	}
	var s string
	if null("customize_field") != (v.CustomizeField == nil) || (v.CustomizeField != nil &&
		*v.CustomizeField != string(m["customize_field"]) && (json.Unmarshal(m["customize_field"], &s) != nil || *v.CustomizeField != s)) {
		t.Fatalf("decodeCustomer(%q) customize_field %v, sent %s", raw, v.CustomizeField, m["customize_field"])
	}
	documented := "id first_name last_name full_name sms_phone whatsApp_phone viber_phone line messenger instagram email " +
		"country birthday remark source_type source_channel_key gender created_at updated_at status whatApp_subscribe " +
		"sms_subscribe customize_field tenant_id weight web tags"
	var unknown []string
	for _, name := range names {
		if !slices.Contains(strings.Fields(documented), name) {
			unknown = append(unknown, name)
		}
	}
	if (v.ExtraJSON == nil) != (len(unknown) == 0) {
		t.Fatalf("decodeCustomer(%q) extra_json %v, unknown members %q", raw, v.ExtraJSON, unknown)
	}
	if v.ExtraJSON == nil {
		return
	}
	if !json.Valid([]byte(*v.ExtraJSON)) {
		t.Fatalf("decodeCustomer(%q) extra_json %q is not valid JSON", raw, *v.ExtraJSON)
	}
	extra, got := topMembers(t, *v.ExtraJSON)
	if !slices.Equal(got, unknown) {
		t.Fatalf("decodeCustomer(%q) extra_json %s, unknown members %q", raw, *v.ExtraJSON, unknown)
	}
	for _, name := range unknown {
		if string(extra[name]) != string(m[name]) {
			t.Fatalf("decodeCustomer(%q) extra_json %s: %s is not %s as sent", raw, *v.ExtraJSON, name, m[name])
		}
	}
}
