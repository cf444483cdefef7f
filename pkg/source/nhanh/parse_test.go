package nhanh

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/source"
)

func TestParsePage(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		n          int
		next       string
		err        string
	}{
		{"page", `{"code":1,"paginator":{"next":[1742545330,6478]},"data":[{"id":"a"},{"id":"b"}]}`, 2, "[1742545330,6478]", ""},
		{"next compacted", `{"code":1,"paginator":{"next":[ 1742545330 ,
			6478 ]},"data":[{"id":"a"}]}`, 1, "[1742545330,6478]", ""},
		{"opaque next kept", `{"code":1,"paginator":{"next":{"after":"x"}},"data":[]}`, 0, `{"after":"x"}`, ""},
		{"null next", `{"code":1,"paginator":{"next":null},"data":[{"id":"a"}]}`, 1, "", ""},
		{"no paginator", `{"code":1,"data":[]}`, 0, "", ""},
		{"null data is empty", `{"code":1,"paginator":{"next":null},"data":null}`, 0, "", ""},
		{"code as a string", `{"code":"1","data":[]}`, 0, "", ""},
		{"no data", `{"code":1,"paginator":{"next":[1,2]}}`, 0, "", "code 1 but no data"},
		{"data of the wrong type", `{"code":1,"data":{"id":"a"}}`, 0, "", "not the documented JSON: json: cannot unmarshal object"},
		{"no code", `{"data":[]}`, 0, "", "response has no code"},
		{"code of the wrong type", `{"code":[1],"data":[]}`, 0, "", "response has no code"},
		{"trailing comma", `{"code":1,"data":[{"id":"a","status":2,}]}`, 0, "", "not the documented JSON: invalid character '}'"},
		{"truncated", `{"code":1,"paginator":{"next":[1,2]},"data":[{"id":"a"},{"id":`, 0, "", "not the documented JSON"},
		{"html", `<html><body>502</body></html>`, 0, "", "not the documented JSON"},
		{"empty body", ``, 0, "", "not the documented JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parsePage([]byte(tc.body))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || len(p.data) != tc.n || string(p.next) != tc.next {
				t.Fatalf("parsePage = %d records, next %q, %v; want %d, %q", len(p.data), p.next, err, tc.n, tc.next)
			}
			if p.data == nil {
				t.Fatal("data is nil, want an empty page")
			}
		})
	}
}

func TestParsePageVendorErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body, msg string
		auth            bool
	}{
		{"messages as a string", `{"code":0,"errorCode":"ERR_INVALID_ACCESS_TOKEN","messages":"accessToken không hợp lệ"}`,
			"code 0, errorCode ERR_INVALID_ACCESS_TOKEN: accessToken không hợp lệ", true},
		{"messages as an array", `{"code":0,"errorCode":"ERR_SYSTEM_BUSY","messages":["Hệ thống đang bận","retry later"]}`,
			"code 0, errorCode ERR_SYSTEM_BUSY: Hệ thống đang bận; retry later", false},
		{"messages as an object, in the order sent", `{"code":0,"errorCode":"ERR_INVALID_DATA","messages":{"paginator.size":"must be 1..50","filters.type":["must be 1 or 2"]}}`,
			"code 0, errorCode ERR_INVALID_DATA: paginator.size: must be 1..50; filters.type: must be 1 or 2", false},
		{"expired token", `{"code":0,"errorCode":"ERR_EXPIRED_ACCESS_TOKEN","messages":"expired"}`, "code 0, errorCode ERR_EXPIRED_ACCESS_TOKEN: expired", true},
		{"wrong business", `{"code":0,"errorCode":"ERR_INVALID_BUSINESS_ID"}`, "code 0, errorCode ERR_INVALID_BUSINESS_ID", true},
		{"no errorCode, numeric messages", `{"code":"0","messages":42}`, "code 0: 42", false},
		{"numeric errorCode", `{"code":2,"errorCode":403,"messages":null}`, "code 2, errorCode 403", false},
		{"errorCode of an odd type", `{"code":0,"errorCode":{"k":1},"messages":[{"a":1},true]}`, `code 0, errorCode {"k":1}: a: 1; true`, false},
		{"an error page with data of another shape", `{"code":0,"errorCode":"X","messages":"m","data":"none"}`, "code 0, errorCode X: m", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parsePage([]byte(tc.body))
			var ve *vendorError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a vendorError", err)
			}
			if ve.Error() != tc.msg || ve.auth() != tc.auth {
				t.Fatalf("vendorError %q auth %v, want %q auth %v", ve.Error(), ve.auth(), tc.msg, tc.auth)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// exampleFirst and exampleSecond are the records of the document's example.
var (
	exampleFirst = Conversation{
		ID: "331526780045341_7521482117936821", Channel: 1, Type: 2, CustomerAvatar: "https://example.com/user_1.jpg",
		PageID: "331526780045341", PageUserID: "7521482117936821", PageUserName: "Linhgfx", HasReply: true,
		AssignedGroupID: ptr(""), HasPhone: true, CreatedAt: time.Unix(1718878288, 0).UTC(), UpdatedAt: time.Unix(1742803465, 0).UTC(),
		LastSeenMessageAt: ptr(time.Unix(1742827806, 0).UTC()), LastMessage: "[Send sticker]", Status: 2,
	}
	exampleSecond = Conversation{
		ID: "101286204573840_1075546127814826_101286204573840", Channel: 1, Type: 1, CustomerAvatar: "https://example.com/user_2.jpg",
		PageID: "101286204573840", PageUserID: "101286204573840", PageUserName: "Tạp Chí Ò ó o", HasReply: true, HasPhone: false,
		CreatedAt: time.Unix(1749876899, 0).UTC(), UpdatedAt: time.Unix(1751353509, 0).UTC(),
		LastMessage: "hi dev vp Trung Nguyễn cmt\npa\ncmt3 0987695050\ncmt2 0987695050\ncmt1 0987695050", Status: 2,
		IsFromLive: ptr[int32](1), PagePostID: ptr("101286204573840_1075546127814826"),
	}
)

// equal compares two conversations field by field through their JSON.
func equal(t *testing.T, got, want *Conversation) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		t.Errorf("conversation\n got %s\nwant %s", g, w)
	}
}

// TestVendorExample reads the document's example (testdata/vendor-example.json,
// copied verbatim): as sent it has a trailing comma and is refused; with
// that comma removed every value comes out exactly.
func TestVendorExample(t *testing.T) {
	body, err := os.ReadFile("testdata/vendor-example.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parsePage(body); err == nil || !strings.Contains(err.Error(), "not the documented JSON") {
		t.Fatalf("the verbatim example (trailing comma) parsed: %v", err)
	}
	strict := bytes.Replace(body, []byte(`"status": 2,
        }`), []byte(`"status": 2
        }`), 1)
	p, err := parsePage(strict)
	if err != nil || len(p.data) != 2 || string(p.next) != "[1742545330,6478]" {
		t.Fatalf("parsePage = %d records, next %s, %v", len(p.data), p.next, err)
	}
	for i, want := range []*Conversation{&exampleFirst, &exampleSecond} {
		c := decodeConversation(p.data[i])
		if c.err != nil {
			t.Fatalf("record %d: %v", i, c.err)
		}
		if c.id != want.ID || !c.updated.Equal(want.UpdatedAt) {
			t.Errorf("record %d: id %q updated %v", i, c.id, c.updated)
		}
		equal(t, c.value, want)
	}
}

func TestDecodeConversation(t *testing.T) {
	const base = `"channel":1,"type":2,"customerAvatar":"a","pageId":"1","pageUserId":"2","pageUserName":"n","hasReply":false,"hasPhone":false,"createdAt":1718878288,"lastMessage":"m","status":1`
	for _, tc := range []struct {
		name, raw string
		id        string
		updated   int64 // 0: unreadable
		err       string
	}{
		{"minimal", `{"id":"c1",` + base + `,"updatedAt":1742803465}`, "c1", 1742803465, ""},
		{"integer ids keep their digits", `{"id":1021110718827683840,` + strings.Replace(base, `"pageId":"1"`, `"pageId":101286204573840`, 1) + `,"updatedAt":1742803465}`, "1021110718827683840", 1742803465, ""},
		{"times as numeric strings", `{"id":"c2",` + base + `,"updatedAt":"1742803465","lastSeenMessageAt":"1742827806"}`, "c2", 1742803465, ""},
		{"optional fields null", `{"id":"c3",` + base + `,"updatedAt":1742803465,"assignedGroupId":null,"lastSeenMessageAt":null,"isFromLive":null,"pagePostId":null}`, "c3", 1742803465, ""},
		{"status of the wrong type", `{"id":"c4",` + strings.Replace(base, `"status":1`, `"status":"read"`, 1) + `,"updatedAt":1742803465}`, "c4", 1742803465,
			`conversation c4: status "read" is not a 32-bit integer`},
		{"every wrong type is reported", `{"id":"c5",` + strings.Replace(strings.Replace(base, `"channel":1`, `"channel":1.5`, 1), `"hasReply":false`, `"hasReply":0`, 1) + `,"updatedAt":1742803465}`, "c5", 1742803465,
			"conversation c5: channel 1.5 is not a 32-bit integer\nhasReply 0 is not a boolean"},
		{"int32 overflow", `{"id":"c6",` + strings.Replace(base, `"type":2`, `"type":3000000000`, 1) + `,"updatedAt":1742803465}`, "c6", 1742803465,
			"type 3000000000 is not a 32-bit integer"},
		{"bad updatedAt", `{"id":"c7",` + base + `,"updatedAt":"yesterday"}`, "c7", 0, `updatedAt "\"yesterday\"" is not unix seconds`},
		{"updatedAt in milliseconds", `{"id":"c8",` + base + `,"updatedAt":1742803465000000}`, "c8", 0, `is not unix seconds`},
		{"missing fields", `{"id":"c9","updatedAt":1742803465}`, "c9", 1742803465,
			"createdAt is missing\npageId is missing\npageUserId is missing\nchannel is missing\ntype is missing\nstatus is missing\ncustomerAvatar is missing\npageUserName is missing\nlastMessage is missing\nhasReply is missing\nhasPhone is missing"},
		{"null required field", `{"id":"c10",` + strings.Replace(base, `"lastMessage":"m"`, `"lastMessage":null`, 1) + `,"updatedAt":1742803465}`, "c10", 1742803465, "lastMessage is missing"},
		{"optional id of the wrong type", `{"id":"c11",` + base + `,"updatedAt":1742803465,"pagePostId":true}`, "c11", 1742803465, `pagePostId "true" is neither a string nor a 64-bit integer`},
		{"no id", `{` + base + `,"updatedAt":1742803465}`, "", 1742803465, "conversation (id unknown): id is missing"},
		{"float id", `{"id":1.5e3,` + base + `,"updatedAt":1742803465}`, "", 1742803465, `id "1.5e3" is neither`},
		{"not an object", `["id"]`, "", 0, "conversation (id unknown): json: cannot unmarshal array"},
		{"not JSON", `{"id":"x",`, "", 0, "conversation (id unknown)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := decodeConversation([]byte(tc.raw))
			if c.id != tc.id {
				t.Errorf("id = %q, want %q", c.id, tc.id)
			}
			if (tc.updated == 0) != c.updated.IsZero() || (tc.updated != 0 && c.updated.Unix() != tc.updated) {
				t.Errorf("updated = %v, want unix %d", c.updated, tc.updated)
			}
			if string(c.raw) != tc.raw {
				t.Errorf("raw = %s", c.raw)
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
			if c.value.ID != tc.id || c.value.UpdatedAt.Unix() != tc.updated || c.value.UpdatedAt.Location() != time.UTC || c.value.ExtraJSON != nil {
				t.Errorf("value %+v", c.value)
			}
		})
	}
}

func TestDecodeConversationOptionalAndExtra(t *testing.T) {
	c := decodeConversation([]byte(`{"id":"7","channel":1,"type":1,"customerAvatar":"","pageId":"1","pageUserId":"2","pageUserName":"","hasReply":true,
		"assignedGroupId":12,"hasPhone":true,"createdAt":1,"updatedAt":2,"lastSeenMessageAt":3,"lastMessage":"","status":2,"isFromLive":0,
		"pagePostId":"1_9","tags":[{"id":5,"name":"VIP"}],"note":"khách quen"}`))
	if c.err != nil {
		t.Fatal(c.err)
	}
	want := &Conversation{ID: "7", Channel: 1, Type: 1, PageID: "1", PageUserID: "2", HasReply: true, AssignedGroupID: ptr("12"), HasPhone: true,
		CreatedAt: time.Unix(1, 0).UTC(), UpdatedAt: time.Unix(2, 0).UTC(), LastSeenMessageAt: ptr(time.Unix(3, 0).UTC()), Status: 2,
		IsFromLive: ptr[int32](0), PagePostID: ptr("1_9"), ExtraJSON: ptr(`{"tags":[{"id":5,"name":"VIP"}],"note":"khách quen"}`)}
	equal(t, c.value, want)
}

// FuzzDecodePage: any bytes give a page or an error, never a panic; every
// record gives a value or an error; a value keeps its id exactly as sent
// and has its update time. The seed corpus holds the document's example,
// verbatim (trailing comma) and strict.
func FuzzDecodePage(f *testing.F) {
	example, err := os.ReadFile("testdata/vendor-example.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example))
	f.Add(strings.Replace(string(example), "\"status\": 2,\n", "\"status\": 2\n", 1))
	f.Add(`{"code":0,"errorCode":"ERR_INVALID_DATA","messages":{"paginator.size":["too big"]}}`)
	f.Add(`{"code":1,"paginator":{"next":null},"data":[{"id":1021110718827683840,"updatedAt":"1742803465"}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		p, err := parsePage([]byte(body))
		if err != nil {
			return
		}
		if !json.Valid([]byte(body)) {
			t.Fatalf("parsePage(%q) accepted invalid JSON", body)
		}
		for _, raw := range p.data {
			c := decodeConversation(raw)
			if (c.value == nil) == (c.err == nil) {
				t.Fatalf("decodeConversation(%s): value %v and err %v", raw, c.value, c.err)
			}
			v := c.value
			if v == nil {
				continue
			}
			var members map[string]json.RawMessage
			if err := json.Unmarshal(raw, &members); err != nil {
				t.Fatalf("a decoded record is not an object: %s", raw)
			}
			id, err := source.ID("id", members["id"])
			if err != nil || v.ID != id || c.id != id {
				t.Fatalf("decodeConversation(%s) id %q, want %q (%v)", raw, v.ID, id, err)
			}
			if v.UpdatedAt.IsZero() || !v.UpdatedAt.Equal(c.updated) || v.CreatedAt.IsZero() {
				t.Fatalf("decodeConversation(%s) = %+v", raw, v)
			}
		}
	})
}
