package zns

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/source/sourcetest"
)

func TestParsePage(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		n          int
		next       string
		err        string
		vendor     bool
	}{
		{"page", `{"messages":[{"id":"1"},{"id":"2"}],"paging":{"after":"x","limit":2,"next":"Yz=="}}`, 2, "Yz==", "", false},
		{"last page", `{"messages":[{"id":"1"}],"paging":{"after":"x","next":""}}`, 1, "", "", false},
		{"next absent or null", `{"messages":[{"id":"1"}],"paging":{"next":null}}`, 1, "", "", false},
		{"no paging", ` {"messages":[]} `, 0, "", "", false},
		{"messages null", `{"messages":null,"paging":{}}`, 0, "", "", false},
		{"empty list left out", `{"paging":{"next":"n2"}}`, 0, "n2", "", false},
		{"escaped cursor", `{"messages":[],"paging":{"next":"a\/b\u0026c"}}`, 0, "a/b&c", "", false},
		{"success code", `{"code":0,"messages":[{"id":"1"}],"paging":{}}`, 1, "", "", false},
		{"ok code", `{"code":"ok","messages":[],"paging":{}}`, 0, "", "", false},
		{"twirp error", `{"code":"unavailable","msg":"Zalo API tạm thời không phản hồi","meta":{}}`, 0, "", "the API answered error unavailable: Zalo API tạm thời không phản hồi", true},
		{"numeric error", `{"code":503,"message":"busy"}`, 0, "", "the API answered error 503: busy", true},
		{"error code with a page", `{"code":"internal","messages":[],"paging":{}}`, 0, "", "the API answered error internal: ", true},
		{"message only", `{"message":"Unauthorized"}`, 0, "", "the API answered an error: Unauthorized", true},
		{"neither", `{"data":{"messages":[]}}`, 0, "", "response has neither messages nor paging", false},
		{"truncated", `{"messages":[{"id":"1"},{"id":`, 0, "", "response is not JSON: unexpected end of JSON input", false},
		{"html", `<html><body>502</body></html>`, 0, "", "response is not JSON: invalid character '<'", false},
		{"not an object", `[{"id":"1"}]`, 0, "", "response is not a JSON object", false},
		{"null", `null`, 0, "", "response is not a JSON object", false},
		{"messages of the wrong type", `{"messages":{"id":"1"},"paging":{}}`, 0, "", "messages is an object, want an array", false},
		{"paging of the wrong type", `{"messages":[],"paging":"next"}`, 0, "", "paging is a string, want an object", false},
		{"next of the wrong type", `{"messages":[],"paging":{"next":2}}`, 0, "", "paging.next is a number, want a string", false},
		{"keys are case-sensitive", `{"Messages":[{"id":"1"}],"Paging":{}}`, 0, "", "response has neither messages nor paging", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parsePage([]byte(tc.body), new(decoder))
			if tc.err != "" {
				var ve *vendorError
				if err == nil || !strings.Contains(err.Error(), tc.err) || errors.As(err, &ve) != tc.vendor {
					t.Fatalf("err = %v, want %q (vendor error: %v)", err, tc.err, tc.vendor)
				}
				return
			}
			if err != nil || len(p.messages) != tc.n || p.next != tc.next {
				t.Fatalf("parsePage = %d messages, next %q, %v; want %d, %q", len(p.messages), p.next, err, tc.n, tc.next)
			}
			for _, m := range p.messages {
				if !json.Valid(m.raw) {
					t.Errorf("message %s is not a whole JSON value", m.raw)
				}
			}
		})
	}
}

// example is a complete eTelecom message.
const example = `{"campaign_id":"1050000000000000001","created_at":"2025-11-02T22:12:50.529Z","delivery_status":"seen",` +
	`"delivery_time":"2025-11-02T22:13:01Z","error_code":0,"error_message":"","fee_main":300,"fee_token":"0",` +
	`"feedback":["Giao hàng nhanh", "Đóng gói cẩn thận"],"id":"1021110718827683841","is_charged":true,"is_development":false,` +
	`"journey_id":"","msg_id":"a3f0","note":"Cảm ơn shop!","oa_id":"4318529470172498734","phone":"84912345678","rate":5,` +
	`"request_time":"2025-11-02T22:12:50.100Z","sent_time":"2025-11-03T05:12:50.529+07:00","shop_id":"1040105911278962688",` +
	`"status":"P","submit_time":"2025-11-02T23:00:00Z","template_data":{ "name" : "Nguyễn Văn A", "amount": 350000 },` +
	`"template_id":231456,"timeout":30,"tracking_id":"DH00000001","type":"template","updated_at":"2025-11-02T23:00:00.000Z",` +
	`"user_id":"1040106005339185152","zl_user_id":"7000000000000000007"}`

func TestDecodeMessage(t *testing.T) {
	r := decodeMessage([]byte(example))
	if r.err != nil {
		t.Fatal(r.err)
	}
	m := r.value
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	strs := map[string]*string{
		"1050000000000000001": m.CampaignID, "seen": m.DeliveryStatus, "": m.ErrorMessage, `["Giao hàng nhanh", "Đóng gói cẩn thận"]`: m.Feedback,
		"a3f0": m.MsgID, "Cảm ơn shop!": m.Note, "4318529470172498734": m.OAID, "84912345678": m.Phone, "1040105911278962688": m.ShopID,
		"P": m.Status, `{ "name" : "Nguyễn Văn A", "amount": 350000 }`: m.TemplateData, "231456": m.TemplateID, "DH00000001": m.TrackingID,
		"template": m.Type, "1040106005339185152": m.UserID, "7000000000000000007": m.ZlUserID,
	}
	for want, got := range strs {
		if got == nil || *got != want {
			t.Errorf("field = %v, want %q", got, want)
		}
	}
	if m.JourneyID == nil || *m.JourneyID != "" {
		t.Errorf("journey_id %v, want the empty string kept", m.JourneyID)
	}
	for want, got := range map[int64]*int64{0: m.ErrorCode, 300: m.FeeMain, 5: m.Rate, 30: m.Timeout} {
		if got == nil || *got != want {
			t.Errorf("number = %v, want %d", got, want)
		}
	}
	if m.FeeToken == nil || *m.FeeToken != 0 || m.IsCharged == nil || !*m.IsCharged || m.IsDevelopment == nil || *m.IsDevelopment {
		t.Errorf("fee_token %v is_charged %v is_development %v", m.FeeToken, m.IsCharged, m.IsDevelopment)
	}
	for want, got := range map[string]*time.Time{
		"2025-11-02T22:13:01Z": m.DeliveryTime, "2025-11-02T22:12:50.1Z": m.RequestTime, "2025-11-02T22:12:50.529Z": m.SentTime, "2025-11-02T23:00:00Z": m.SubmitTime,
	} {
		if got == nil || !got.Equal(ts(want)) || got.Location() != time.UTC {
			t.Errorf("time = %v, want %s in UTC", got, want)
		}
	}
	if m.ID != "1021110718827683841" || r.id != m.ID || r.key.ID != m.ID || !m.CreatedAt.Equal(ts("2025-11-02T22:12:50.529Z")) ||
		!m.UpdatedAt.Equal(ts("2025-11-02T23:00:00Z")) || !r.updated.Equal(m.UpdatedAt) || m.ExtraJSON != nil {
		t.Errorf("decoded %+v", m)
	}
}

func TestDecodeMessageTraps(t *testing.T) {
	const base = `"created_at":"2025-11-02T22:12:50Z","updated_at":"2025-11-02T22:12:51Z"`
	for _, tc := range []struct {
		name, raw, id, err string
		check              func(*Message) bool
	}{
		{"id as a number beyond float64", `{"id":1021110718827683841,` + base + `}`, "1021110718827683841", "",
			func(m *Message) bool { return m.ID == "1021110718827683841" }},
		{"ids as numbers", `{"id":"9","shop_id":1040105911278962688,"user_id":-5,"template_id":"231456",` + base + `}`, "9", "",
			func(m *Message) bool {
				return *m.ShopID == "1040105911278962688" && *m.UserID == "-5" && *m.TemplateID == "231456"
			}},
		{"non-numeric id string", `{"id":"text",` + base + `}`, "text", "", func(m *Message) bool { return m.ID == "text" }},
		{"nulls and empty times", `{"id":"1","note":null,"rate":null,"is_charged":null,"feedback":null,"delivery_time":"","submit_time":null,` + base + `}`, "1", "",
			func(m *Message) bool {
				return m.Note == nil && m.Rate == nil && m.IsCharged == nil && m.Feedback == nil && m.DeliveryTime == nil && m.SubmitTime == nil
			}},
		{"integers as strings", `{"id":"1","fee_main":"9007199254740993","rate":"4",` + base + `}`, "1", "",
			func(m *Message) bool { return *m.FeeMain == 9007199254740993 && *m.Rate == 4 }},
		{"escapes", `{"id":"1","note":"tab\there \"q\" \u0110\u00e0","phone":"84\/9",` + base + `}`, "1", "",
			func(m *Message) bool { return *m.Note == "tab\there \"q\" Đà" && *m.Phone == "84/9" }},
		{"unknown fields kept byte for byte", `{"id":"1","Id":"2","channel" : { "a" : [1, 2] },"score":9.50,` + base + `}`, "1", "",
			func(m *Message) bool {
				return m.ExtraJSON != nil && *m.ExtraJSON == `{"Id":"2","channel":{ "a" : [1, 2] },"score":9.50}`
			}},
		{"repeated field: the last wins", `{"id":"1","rate":1,"rate":3,` + base + `}`, "1", "", func(m *Message) bool { return *m.Rate == 3 }},
		{"zone offsets", `{"id":"1","created_at":"2025-11-03T05:12:50.5+07:00","updated_at":"2025-11-02T12:00:00-10:30"}`, "1", "",
			func(m *Message) bool {
				return m.CreatedAt.Equal(time.Date(2025, 11, 2, 22, 12, 50, 5e8, time.UTC)) && m.UpdatedAt.Equal(time.Date(2025, 11, 2, 22, 30, 0, 0, time.UTC))
			}},
		{"rate of the wrong type", `{"id":"5","rate":"five",` + base + `}`, "5", `zns message 5: rate "five" is not a 64-bit integer`, nil},
		{"fraction in an integer", `{"id":"5","fee_main":1.5,` + base + `}`, "5", "fee_main 1.5 is not a 64-bit integer", nil},
		{"boolean of the wrong type", `{"id":"5","is_charged":"true",` + base + `}`, "5", "is_charged is a string, want a boolean", nil},
		{"string of the wrong type", `{"id":"5","note":42,` + base + `}`, "5", "note is a number, want a string", nil},
		{"template_data not an object", `{"id":"5","template_data":"{\"a\":1}",` + base + `}`, "5", "template_data is a string, want an object", nil},
		{"feedback not an array", `{"id":"5","feedback":{"a":1},` + base + `}`, "5", "feedback is an object, want an array", nil},
		{"id of the wrong type", `{"id":true,` + base + `}`, "", "zns message (id unknown): id is a boolean, want a string or an integer", nil},
		{"id beyond 64 bits", `{"id":123456789012345678901,` + base + `}`, "", "id 123456789012345678901 is not a 64-bit integer", nil},
		{"id as a float", `{"id":1.021e18,` + base + `}`, "", "id 1.021e18 is not a 64-bit integer", nil},
		{"empty id", `{"id":"",` + base + `}`, "", "id is empty", nil},
		{"null id", `{"id":null,` + base + `}`, "", "id is null", nil},
		{"missing id and times", `{"note":"x"}`, "", "zns message (id unknown): id is missing\ncreated_at is missing\nupdated_at is missing", nil},
		{"bad time", `{"id":"6","created_at":"16/12/2021","updated_at":"2025-11-02T22:12:51Z"}`, "6", `created_at "\"16/12/2021\"" is not an RFC 3339 time`, nil},
		{"time without a zone", `{"id":"6","created_at":"2025-11-02 22:12:50","updated_at":"2025-11-02T22:12:51Z"}`, "6", "is not an RFC 3339 time", nil},
		{"time as a number", `{"id":"6","created_at":1730585570,"updated_at":"2025-11-02T22:12:51Z"}`, "6", "created_at is a number, want an RFC 3339 time string", nil},
		{"several problems", `{"id":"7","rate":"x","phone":8491,` + base + `}`, "7", "rate \"x\" is not a 64-bit integer\nphone is a number, want a string", nil},
		{"not an object", `["id"]`, "", "zns message (id unknown) is an array, want a JSON object", nil},
		{"not JSON", `{"id":"1",`, "", "zns message (id unknown) is not valid JSON", nil},
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

// TestVendorExamples decodes the response examples of eTelecom's document
// (testdata, copied verbatim): every field, "text" ids included.
func TestVendorExamples(t *testing.T) {
	for file, want := range map[string]struct {
		next   string
		extras bool
	}{"testdata/vendor-example.json": {"text", false}, "testdata/vendor-example-curl.json": {"string", false}} {
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		p, err := parsePage(body, new(decoder))
		if err != nil || len(p.messages) != 1 || p.next != want.next {
			t.Fatalf("%s: parsePage = %d, %q, %v", file, len(p.messages), p.next, err)
		}
		r := p.messages[0]
		if r.err != nil {
			t.Fatalf("%s: %v", file, r.err)
		}
		m := r.value
		if m.ID == "" || m.TemplateData == nil || !json.Valid([]byte(*m.TemplateData)) || m.Feedback == nil || m.Rate == nil ||
			m.SubmitTime == nil || m.ExtraJSON != nil || m.CreatedAt.Year() < 2019 {
			t.Errorf("%s: %+v", file, m)
		}
	}
}

func TestRequestBody(t *testing.T) {
	win := poll.Window{From: time.Date(2026, 3, 1, 7, 0, 0, 0, time.FixedZone("ICT", 7*3600)), To: time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		name     string
		dialect  Dialect
		settings Settings
		after    string
		want     string
	}{
		{"first page", Dialect{}, Settings{PageSize: 100}, "",
			`{"filter":{"date_from":"2026-03-01T00:00:00Z","date_to":"2026-03-01T01:00:00Z"},"paging":{"limit":100}}`},
		{"time type, OA, cursor", Dialect{TimeType: "updated_time"}, Settings{PageSize: 7, OAID: "4318529470172498734"}, `MS4x"`,
			`{"filter":{"date_from":"2026-03-01T00:00:00Z","date_to":"2026-03-01T01:00:00Z","time_type":"updated_time","oa_id":"4318529470172498734"},"paging":{"limit":7,"after":"MS4x\""}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &api{dialect: tc.dialect, settings: tc.settings}
			if got := string(a.body(win, tc.after)); got != tc.want {
				t.Errorf("body\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// FuzzDecodeMessage: any bytes, as a page or as one message, give values
// or errors, never a panic; a page is refused as not JSON exactly when
// encoding/json refuses it, and its messages are whole JSON values; a
// message decodes to what reference, an encoding/json reading of the
// documented rules, decodes, or is bad exactly when reference says so,
// naming its id whenever the id is readable; a page's messages, decoded
// by one decoder as the page is read, are what decodeMessage makes of
// their bytes.
func FuzzDecodeMessage(f *testing.F) {
	for _, file := range []string{"testdata/vendor-example.json", "testdata/vendor-example-curl.json"} {
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(body))
	}
	f.Add(example)
	f.Add(`{"id":1021110718827683841,"created_at":"2025-11-03T05:12:50.5+07:00","updated_at":"2025-11-02T22:12:51Z","x":[{"y":"\u00e0"}]}`)
	f.Add(`{"id":"7","rate":"x","phone":8491,"id":"\u0038","note":null,"x":1,"x":2,"created_at":"2025-11-02T22:12:50Z","updated_at":""}`)
	f.Add(`{"messages":[{"id":"1","created_at":"2025-11-02T22:12:50Z","updated_at":"2025-11-02T22:12:51Z","a":1},{"id":2},[]],"paging":{"next":"x"}}`)
	f.Fuzz(func(t *testing.T, raw string) {
		check := func(b []byte) message {
			r := decodeMessage(b)
			if (r.value == nil) == (r.err == nil) || (r.value == nil) != (r.key == nil) || string(r.raw) != string(b) {
				t.Fatalf("decodeMessage(%q): value %v, key %v and err %v, raw %q", b, r.value, r.key, r.err, r.raw)
			}
			want, ok := reference(b)
			if ok != (r.err == nil) {
				t.Fatalf("decodeMessage(%q): err %v, want bad: %v", b, r.err, !ok)
			}
			var fields map[string]json.RawMessage
			if json.Unmarshal(b, &fields) == nil {
				if id, err := sourcetest.ID("id", fields["id"]); err == nil && r.id != id || err != nil && r.id != "" {
					t.Fatalf("decodeMessage(%q): id %q, want %q (%v)", b, r.id, id, err)
				}
			}
			v := r.value
			if v == nil {
				return r
			}
			if err := sameMessage(v, want); err != nil {
				t.Fatalf("decodeMessage(%q): %v", b, err)
			}
			if r.key.ID != v.ID || r.id != v.ID || !r.updated.Equal(v.UpdatedAt) {
				t.Fatalf("decodeMessage(%q): id %q, key %q, version %q@%v", b, v.ID, r.key.ID, r.id, r.updated)
			}
			if v.CreatedAt.IsZero() || v.UpdatedAt.IsZero() || v.CreatedAt.Location() != time.UTC {
				t.Fatalf("decodeMessage(%q): times %v %v", b, v.CreatedAt, v.UpdatedAt)
			}
			if v.ExtraJSON != nil && !json.Valid([]byte(*v.ExtraJSON)) {
				t.Fatalf("decodeMessage(%q): extra_json %s is not JSON", b, *v.ExtraJSON)
			}
			return r
		}
		check([]byte(raw))
		var d decoder
		p, err := parsePage([]byte(raw), &d)
		if notJSON := err != nil && strings.HasPrefix(err.Error(), "response is not JSON:"); notJSON == json.Valid([]byte(raw)) {
			t.Fatalf("parsePage(%q): %v, json.Valid says %v", raw, err, json.Valid([]byte(raw)))
		}
		for _, got := range p.messages {
			if !json.Valid(got.raw) || !strings.Contains(raw, string(got.raw)) || strings.TrimSpace(string(got.raw)) != string(got.raw) {
				t.Fatalf("parsePage(%q): message %q is not a whole JSON value of the page", raw, got.raw)
			}
			want := check(got.raw)
			if !reflect.DeepEqual(got.value, want.value) || fmt.Sprint(got.err) != fmt.Sprint(want.err) || got.id != want.id || !got.updated.Equal(want.updated) {
				t.Fatalf("parsePage(%q): the page's decoder gave %+v, %v; decodeMessage %+v, %v", raw, got.value, got.err, want.value, want.err)
			}
		}
	})
}
