package nhanh

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/pkg/source/sourcetest"
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
		{"data of the wrong type", `{"code":1,"data":{"id":"a"}}`, 0, "", "not the documented JSON: data is an object, want an array"},
		{"no code", `{"data":[]}`, 0, "", "response has no code"},
		{"code of the wrong type", `{"code":[1],"data":[]}`, 0, "", "response has no code"},
		{"paginator of the wrong type", `{"code":1,"paginator":[1,2],"data":[]}`, 0, "", "not the documented JSON: paginator is an array, want an object"},
		{"the last data counts", `{"code":1,"data":[{"id":"a"}],"data":null}`, 0, "", ""},
		{"the last data counts, of the wrong type", `{"code":1,"data":[{"id":"a"}],"data":{"id":"a"}}`, 0, "", "data is an object, want an array"},
		{"the last paginator counts", `{"code":1,"paginator":{"next":[1,2]},"paginator":null,"data":[]}`, 0, "", ""},
		{"the last next counts", `{"code":1,"paginator":{"next":[1,2],"next":null},"data":[]}`, 0, "", ""},
		{"next keeps strings and numbers as sent", `{"code":1,"paginator":{"next":[ "\u0041\/" , 1.0E+2 ]},"data":[]}`, 0, `["\u0041\/",1.0E+2]`, ""},
		{"data records kept as sent", `{"code":1,"data":[ {"id" : "a"} , [ ] , null ]}`, 3, "", ""},
		{"JSON but not an object", `[1]`, 0, "", "response has no code"},
		{"null body", `null`, 0, "", "response has no code"},
		{"code beyond float64", `{"code":1e400,"data":[]}`, 0, "", "response has no code"},
		{"not JSON and not an object", `[1,}`, 0, "", "not the documented JSON: invalid character"},
		{"garbage after the answer", `{"code":1,"data":[]} x`, 0, "", "not the documented JSON: invalid character 'x'"},
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
		{"not an object", `["id"]`, "", 0, "conversation (id unknown): the record is an array, want a JSON object"},
		{"not JSON", `{"id":"x",`, "", 0, "conversation (id unknown)"},
		{"names match exactly", `{"ID":"c12",` + base + `,"updatedAt":1742803465}`, "", 1742803465, "conversation (id unknown): id is missing"},
		{"the last of a repeated member counts", `{"id":"x","id":"c13",` + base + `,"updatedAt":"bad","updatedAt":1742803465}`, "c13", 1742803465, ""},
		{"an earlier one of the wrong type does not count", `{"id":"c14","status":"read","hasReply":0,"lastMessage":7,` + base + `,"updatedAt":1742803465}`, "c14", 1742803465, ""},
		{"the last one of the wrong type counts", `{"id":"c15",` + base + `,"status":"read","updatedAt":1742803465}`, "c15", 1742803465,
			`conversation c15: status "read" is not a 32-bit integer`},
		{"the last one null counts", `{"id":"c16",` + base + `,"lastMessage":null,"updatedAt":1742803465}`, "c16", 1742803465, "conversation c16: lastMessage is missing"},
		{"escaped names match", `{"\u0069d":"c17",` + base + `,"updatedAt":1742803465}`, "c17", 1742803465, ""},
		{"every problem, in order", `{"id":"c18","channel":1.5,"type":"x","customerAvatar":1,"pageUserName":[],"hasReply":0,"hasPhone":"yes",` +
			`"lastMessage":{},"status":true,"isFromLive":2.5,"updatedAt":"soon","createdAt":-1,"lastSeenMessageAt":"x","pageId":"","pageUserId":1.5,` +
			`"assignedGroupId":[1],"pagePostId":{}}`, "c18", 0,
			"conversation c18: channel 1.5 is not a 32-bit integer\ntype \"x\" is not a 32-bit integer\ncustomerAvatar 1 is not a string\n" +
				"pageUserName [] is not a string\nhasReply 0 is not a boolean\nhasPhone \"yes\" is not a boolean\nlastMessage {} is not a string\n" +
				"status true is not a 32-bit integer\nisFromLive 2.5 is not a 32-bit integer\n" +
				`updatedAt "\"soon\"" is not unix seconds` + "\n" + `createdAt "-1" is not unix seconds` + "\n" + `lastSeenMessageAt "\"x\"" is not unix seconds` + "\n" +
				`pageId is empty` + "\n" + `pageUserId "1.5" is neither a string nor a 64-bit integer` + "\n" +
				`assignedGroupId "[1]" is neither a string nor a 64-bit integer` + "\n" + `pagePostId "{}" is neither a string nor a 64-bit integer`},
		{"a long bad value is cut", `{"id":"c19",` + strings.Replace(base, `"lastMessage":"m"`, `"lastMessage":["`+strings.Repeat("x", 80)+`"]`, 1) + `,"updatedAt":1742803465}`, "c19", 1742803465,
			`lastMessage ["` + strings.Repeat("x", 58) + `… is not a string`},
		{"not JSON after the id", `{"id":"c20","status":2,}`, "", 0, "conversation (id unknown): invalid character"},
		{"truncated", `{"id":"c21","status":2`, "", 0, "conversation (id unknown): unexpected end of JSON input"},
		{"empty", ``, "", 0, "conversation (id unknown): unexpected end of JSON input"},
		{"a string", `"c22"`, "", 0, "conversation (id unknown): the record is a string, want a JSON object"},
		{"null", `null`, "", 0, "conversation (id unknown): the record is null, want a JSON object"},
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

// TestDecodeConversationExtraAsSent: the members the schema does not know
// go to extra_json in the order sent, names and values byte for byte, a
// name sent twice twice, including names that are those of the decoder's
// Go fields; names the schema knows match only exactly, after unescaping.
func TestDecodeConversationExtraAsSent(t *testing.T) {
	const known = `"id":"7","channel":1,"type":1,"customerAvatar":"","pageId":"1","pageUserId":"2","pageUserName":"","hasReply":true,` +
		`"hasPhone":true,"createdAt":1,"updatedAt":2,"lastMessage":"","status":2`
	const extra = `{"tags":[ 1 , {"a" : null} ],"\u0062":"\u00e9","tags":{},"Extra":1,"ExtraJSON":2,"notObject":3,"ID":4,"Status":5,"channel ":6,"":7}`
	raw := `{` + extra[1:len(extra)-1] + `,` + known + `}`
	c := decodeConversation([]byte(raw))
	if c.err != nil {
		t.Fatal(c.err)
	}
	if c.value.ExtraJSON == nil || *c.value.ExtraJSON != extra {
		t.Fatalf("extra_json = %v, want %s", c.value.ExtraJSON, extra)
	}
	if c.value.ID != "7" || c.value.Status != 2 || c.value.Channel != 1 {
		t.Errorf("value %+v", c.value)
	}
}

// TestDecodeConversationStrings: strings are read as encoding/json reads
// them: escapes decoded, invalid UTF-8 and lone surrogates as U+FFFD.
func TestDecodeConversationStrings(t *testing.T) {
	raw := `{"id":"c\u0031\ud83d\ude00","channel":1,"type":1,"customerAvatar":"a\/b","pageId":"1","pageUserId":"2","pageUserName":"T` +
		"\xe1" + `p \ud800 \udc00","hasReply":true,"hasPhone":true,"createdAt":1,"updatedAt":2,"lastMessage":"x\ny\u0000","status":2}`
	c := decodeConversation([]byte(raw))
	if c.err != nil {
		t.Fatal(c.err)
	}
	v := c.value
	if v.ID != "c1😀" || v.CustomerAvatar != "a/b" || v.PageUserName != "T\ufffdp \ufffd \ufffd" || v.LastMessage != "x\ny\x00" {
		t.Errorf("value %+v", v)
	}
	var want struct{ ID, CustomerAvatar, PageUserName, LastMessage string }
	if err := json.Unmarshal([]byte(strings.ReplaceAll(strings.ReplaceAll(raw, `"id"`, `"ID"`), `"pageUserName"`, `"PageUserName"`)), &want); err != nil {
		t.Fatal(err)
	}
	if want.ID != v.ID || want.CustomerAvatar != v.CustomerAvatar || want.PageUserName != v.PageUserName || want.LastMessage != v.LastMessage {
		t.Errorf("encoding/json reads %+v, the decoder %+v", want, v)
	}
}

// FuzzDecodePage: any bytes, as a page or as one conversation, give a
// value or an error, never a panic, and the same as encoding/json (v1)
// reads them under the decoder's rules (referencePage,
// referenceConversation), an oracle independent of the v2 decoder: a page
// refused as not JSON exactly when encoding/json refuses it, the same
// vendor error, records and next byte for byte; for every conversation the
// same id and update time, the same value field by field, unknown members
// kept in order, byte for byte, and the record kept as sent for the
// dead-letter topic. The seed corpus holds the document's example,
// verbatim (trailing comma) and strict, and the cases v2 does not handle
// by itself (TestWhatV2DoesNotDo).
func FuzzDecodePage(f *testing.F) {
	example, err := os.ReadFile("testdata/vendor-example.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example))
	f.Add(strings.Replace(string(example), "\"status\": 2,\n", "\"status\": 2\n", 1))
	f.Add(`{"code":0,"errorCode":"ERR_INVALID_DATA","messages":{"paginator.size":["too big"]}}`)
	f.Add(`{"code":1,"paginator":{"next":null},"data":[{"id":1021110718827683840,"updatedAt":"1742803465"}]}`)
	f.Add(`{"id":"c\u0031","channel":1,"type":2,"customerAvatar":"a","pageId":1,"pageUserId":"2","pageUserName":"Tạp Chí","hasReply":false,` +
		`"hasPhone":true,"createdAt":"1718878288","updatedAt":1742803465,"lastSeenMessageAt":null,"lastMessage":"m\n","status":1,` +
		`"isFromLive":0,"assignedGroupId":"","pagePostId":18446744073709551615,"tags":[7],"tags":{"a":null}}`)
	f.Add(`{"code":1,"paginator":{"next":[ "\u0041" , 1.0E+2 ]},"data":[{"id":"a","status":"read","status":2,"hasReply":0,"hasReply":true,` +
		`"Extra":1,"ExtraJSON":2,"ID":3,"updatedAt":"1742803465","lastMessage":"` + "\xff" + `\ud800"}],"data":[{"id":"b","channel":1.5,"type":{}}]}`)
	f.Add(`{"code":0,"errorCode":"E","messages":{"a":[1,"b",{"c":null}],"a":"again"}}`)
	f.Add(`{"code":1,"data":[],}`)
	f.Fuzz(func(t *testing.T, body string) {
		checkConversation(t, []byte(body))
		p, err := parsePage([]byte(body))
		want, wantErr := referencePage([]byte(body))
		var ve, wantVE *vendorError
		switch {
		case errors.As(wantErr, &wantVE):
			if !errors.As(err, &ve) || *ve != *wantVE {
				t.Fatalf("parsePage(%q) = %v, want %v", body, err, wantErr)
			}
		case wantErr != nil:
			if err == nil || !strings.Contains(err.Error(), wantErr.Error()) {
				t.Fatalf("parsePage(%q) = %v, want %q", body, err, wantErr)
			}
		case err != nil:
			t.Fatalf("parsePage(%q): %v", body, err)
		case p.data == nil || !slices.EqualFunc(p.data, want.data, sameJSON) || (p.next == nil) != (want.next == nil) || !sameJSON(p.next, want.next):
			t.Fatalf("parsePage(%q) = %q next %q, want %q next %q", body, p.data, p.next, want.data, want.next)
		}
		for _, raw := range p.data {
			checkConversation(t, raw)
		}
	})
}

// checkConversation decodes raw and compares the result with
// referenceConversation.
func checkConversation(t *testing.T, raw []byte) {
	t.Helper()
	c := decodeConversation(raw)
	if !bytes.Equal(c.raw, raw) {
		t.Fatalf("decodeConversation(%q) keeps %q as the record", raw, c.raw)
	}
	id, updated, want, extra := referenceConversation(raw)
	if (c.value == nil) == (c.err == nil) || (c.value == nil) != (want == nil) || c.id != id || !c.updated.Equal(updated) {
		t.Fatalf("decodeConversation(%q) = %q %v, %+v, %v; want %q %v, %+v", raw, c.id, c.updated, c.value, c.err, id, updated, want)
	}
	if c.err != nil {
		name := cmp.Or(id, "(id unknown)")
		if !strings.HasPrefix(c.err.Error(), "conversation "+name+": ") {
			t.Fatalf("decodeConversation(%q): error %q does not name the record %s", raw, c.err, name)
		}
		return
	}
	v := c.value
	if v.UpdatedAt.Location() != time.UTC || v.CreatedAt.Location() != time.UTC {
		t.Fatalf("decodeConversation(%q): times %v %v not in UTC", raw, v.CreatedAt, v.UpdatedAt)
	}
	want.ExtraJSON = v.ExtraJSON
	equal(t, v, want)
	if (v.ExtraJSON == nil) != (len(extra) == 0) {
		t.Fatalf("decodeConversation(%q): extra_json %v, want %q", raw, v.ExtraJSON, extra)
	}
	if v.ExtraJSON != nil {
		got, ok := sourcetest.Members([]byte(*v.ExtraJSON))
		if !ok || fmt.Sprintf("%q", got) != fmt.Sprintf("%q", extra) {
			t.Fatalf("decodeConversation(%q): extra_json %s, want %q", raw, *v.ExtraJSON, extra)
		}
	}
}

// referenceConversation is what decodeConversation must make of raw, read
// with encoding/json: the id and update time when they can be read, and
// the value, nil when the conversation is an error; extra lists the
// members extra_json must hold. Members are matched by their exact names,
// the last of a name counting.
func referenceConversation(raw []byte) (id string, updated time.Time, want *Conversation, extra []sourcetest.Member) {
	ms, ok := sourcetest.Members(raw)
	if !ok {
		return "", time.Time{}, nil, nil
	}
	known := map[string]json.RawMessage{}
	for _, m := range ms {
		if slices.Contains(conversationFields, m.Name) {
			known[m.Name] = m.Value
		} else {
			extra = append(extra, m)
		}
	}
	bad := false
	null := func(name string) bool { return known[name] == nil || string(known[name]) == "null" }
	// typed decodes a member into dst; false when it is absent or null.
	typed := func(name string, dst any) bool {
		if null(name) {
			return false
		}
		bad = bad || json.Unmarshal(known[name], dst) != nil
		return true
	}
	required := func(name string, dst any) { bad = !typed(name, dst) || bad }
	seconds := func(name string) time.Time {
		if null(name) {
			bad = true
			return time.Time{}
		}
		t, err := source.UnixSeconds(name, known[name])
		bad = bad || err != nil
		return t
	}
	ident := func(name string) string {
		s, err := sourcetest.ID(name, known[name])
		bad = bad || err != nil
		return s
	}
	optionalID := func(name string) *string {
		switch {
		case null(name):
			return nil
		case string(known[name]) == `""`:
			return ptr("")
		}
		return ptr(ident(name))
	}
	v := &Conversation{ID: ident("id")}
	if bad {
		v.ID = ""
	}
	v.UpdatedAt = seconds("updatedAt")
	if !v.UpdatedAt.IsZero() {
		updated = v.UpdatedAt
	}
	v.CreatedAt = seconds("createdAt")
	if !null("lastSeenMessageAt") {
		v.LastSeenMessageAt = ptr(seconds("lastSeenMessageAt"))
	}
	v.PageID, v.PageUserID = ident("pageId"), ident("pageUserId")
	v.AssignedGroupID, v.PagePostID = optionalID("assignedGroupId"), optionalID("pagePostId")
	required("channel", &v.Channel)
	required("type", &v.Type)
	required("status", &v.Status)
	required("customerAvatar", &v.CustomerAvatar)
	required("pageUserName", &v.PageUserName)
	required("lastMessage", &v.LastMessage)
	required("hasReply", &v.HasReply)
	required("hasPhone", &v.HasPhone)
	var live int32
	if typed("isFromLive", &live) {
		v.IsFromLive = &live
	}
	if bad {
		return v.ID, updated, nil, extra
	}
	return v.ID, updated, v, extra
}

// conversationFields are the members the schema knows.
var conversationFields = []string{"id", "channel", "type", "customerAvatar", "pageId", "pageUserId", "pageUserName",
	"hasReply", "assignedGroupId", "hasPhone", "createdAt", "updatedAt", "lastSeenMessageAt", "lastMessage",
	"status", "isFromLive", "pagePostId"}

// referencePage is what parsePage must make of body, read with
// encoding/json: the page, or the vendor error, or an error whose text
// parsePage's must hold.
func referencePage(body []byte) (page, error) {
	notDocumented := errors.New("response is not the documented JSON")
	if !json.Valid(body) {
		return page{}, notDocumented
	}
	var top map[string]json.RawMessage
	_ = json.Unmarshal(body, &top) // anything but an object has no code
	code, ok := referenceScalar(top["code"])
	if !ok {
		return page{}, errors.New("response has no code")
	}
	if code != "1" {
		errorCode, ok := referenceScalar(top["errorCode"])
		if v := top["errorCode"]; (!ok || errorCode == "") && v != nil && string(v) != "null" {
			errorCode = string(v)
		}
		return page{}, &vendorError{code: code, errorCode: errorCode, messages: referenceMessages(top["messages"])}
	}
	var p page
	var paginator struct{ Next json.RawMessage }
	var paginatorMembers map[string]json.RawMessage
	if v := top["paginator"]; v != nil {
		if json.Unmarshal(v, &paginatorMembers) != nil {
			return page{}, notDocumented
		}
		paginator.Next = paginatorMembers["next"]
	}
	if v := top["data"]; v != nil && json.Unmarshal(v, &p.data) != nil {
		return page{}, notDocumented
	}
	switch v := top["data"]; {
	case v == nil:
		return page{}, errors.New("response has code 1 but no data")
	case p.data == nil:
		p.data = []jsontext.Value{}
	}
	if n := paginator.Next; n != nil && string(n) != "null" {
		var b bytes.Buffer
		if err := json.Compact(&b, n); err != nil {
			panic(err)
		}
		p.next = b.Bytes()
	}
	return p, nil
}

// sameJSON reports whether two JSON texts are the same bytes.
func sameJSON(a, b jsontext.Value) bool { return bytes.Equal(a, b) }

// referenceScalar is a JSON string's text or a JSON number's digits, read
// with encoding/json; false for anything else.
func referenceScalar(v json.RawMessage) (string, bool) {
	var s string
	var n float64
	switch {
	case v == nil || string(v) == "null":
		return "", false
	case json.Unmarshal(v, &s) == nil:
		return s, true
	case json.Unmarshal(v, &n) == nil:
		return string(v), true
	}
	return "", false
}

// referenceMessages renders messages as the vendor error must, read with
// encoding/json: a string or number as its text, an array's items and an
// object's "name: value" pairs in the order sent, joined by "; ", any
// other value as sent.
func referenceMessages(v json.RawMessage) string {
	if v == nil || string(v) == "null" {
		return ""
	}
	if s, ok := referenceScalar(v); ok {
		return s
	}
	var parts []string
	var items []json.RawMessage
	switch ms, ok := sourcetest.Members(v); {
	case ok:
		for _, m := range ms {
			parts = append(parts, m.Name+": "+referenceMessages(m.Value))
		}
	case json.Unmarshal(v, &items) == nil:
		for _, item := range items {
			parts = append(parts, referenceMessages(item))
		}
	default:
		return string(v)
	}
	return strings.Join(parts, "; ")
}
