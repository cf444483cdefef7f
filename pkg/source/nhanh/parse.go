package nhanh

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vnstream/connector/pkg/source"
)

// Nhanh's JSON is read without encoding/json's reflection and without
// maps: parsePage validates a page and splits it into its conversations in
// one pass (source.Validator), and decodeConversation reads each
// conversation in one more pass straight into a Conversation. Members are
// matched by their exact names; of a member sent twice, the last counts.

// page is one decoded list response.
type page struct {
	// next is paginator.next, compacted, or nil when Nhanh sent null or
	// left it out.
	next json.RawMessage
	// data holds the raw conversations in the order served.
	data []json.RawMessage
}

// vendorError is a well-formed failure answer: code other than 1.
type vendorError struct {
	code      string // code as sent
	errorCode string // errorCode as sent, "" when absent
	messages  string // messages rendered as text, "" when absent
}

func (e *vendorError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "code %s", e.code)
	if e.errorCode != "" {
		fmt.Fprintf(&b, ", errorCode %s", e.errorCode)
	}
	if e.messages != "" {
		b.WriteString(": ")
		b.WriteString(e.messages)
	}
	return b.String()
}

// authErrorCodes are the errorCodes that mean the credentials are wrong
// (the document lists none; these are the ones nhanhsim answers): the
// access token, or the appId or businessId it was granted for.
var authErrorCodes = []string{"ERR_INVALID_ACCESS_TOKEN", "ERR_EXPIRED_ACCESS_TOKEN", "ERR_INVALID_APP_ID", "ERR_INVALID_BUSINESS_ID"}

// auth reports whether e says the credentials are wrong.
func (e *vendorError) auth() bool { return slices.Contains(authErrorCodes, e.errorCode) }

// parsePage decodes a list response body:
//
//	{"code":1,"paginator":{"next":[1742545330,6478]},"data":[...]}
//
// or, on failure, {"code":0,"errorCode":"...","messages":...}. Only strict
// JSON is accepted (the document's example has a trailing comma; a real
// answer must not). A code other than 1 gives a *vendorError, whatever else
// the answer holds; anything else that is not the documented shape gives a
// plain error quoting the body. "data": null is an empty page; an answer
// without data is refused.
func parsePage(body []byte) (page, error) {
	var r reply
	v := source.NewValidator(body)
	if v.Object() {
		r.read(&v)
	} else {
		v.Value()
	}
	if !v.Done() {
		return page{}, notDocumented(syntaxError(body), body)
	}
	code, ok := scalar(r.code)
	if !ok {
		return page{}, fmt.Errorf("response has no code: %s", source.Quote(body))
	}
	if code != "1" {
		errorCode, _ := scalar(r.errorCode)
		if errorCode == "" && !isNull(r.errorCode) {
			errorCode = string(r.errorCode)
		}
		return page{}, &vendorError{code: code, errorCode: errorCode, messages: messageText(r.messages)}
	}
	if err := cmp.Or(r.paginatorErr, r.dataErr); err != nil {
		return page{}, notDocumented(err, body)
	}
	if r.data == nil {
		return page{}, fmt.Errorf("response has code 1 but no data: %s", source.Quote(body))
	}
	p := page{data: r.data}
	if !isNull(r.next) {
		p.next = compact(r.next)
	}
	return p, nil
}

// reply is what parsePage reads of an answer, values as sent; nil when
// absent.
type reply struct {
	code, errorCode, messages []byte
	// next is paginator.next.
	next []byte
	// data are the conversations: nil when data is absent or of the wrong
	// type, empty (not nil) when it is null.
	data []json.RawMessage
	// The members of the wrong JSON type: the first one is reported.
	paginatorErr, dataErr error
}

// read reads the members of the answer object v has entered.
func (r *reply) read(v *source.Validator) {
	for key, ok := v.Member(); ok; key, ok = v.Member() {
		switch string(source.Name(key)) {
		case "code":
			r.code = v.Value()
		case "errorCode":
			r.errorCode = v.Value()
		case "messages":
			r.messages = v.Value()
		case "paginator":
			r.next, r.paginatorErr = nil, nil
			if v.Object() {
				r.readPaginator(v)
			} else if val := v.Value(); len(val) > 0 && !isNull(val) {
				r.paginatorErr = fmt.Errorf("paginator is %s, want an object", source.KindArticle(val))
			}
		case "data":
			r.data, r.dataErr = []json.RawMessage{}, nil
			if v.Array() {
				for v.Element() {
					r.data = append(r.data, v.Value())
				}
			} else if val := v.Value(); len(val) > 0 && !isNull(val) {
				r.data, r.dataErr = nil, fmt.Errorf("data is %s, want an array", source.KindArticle(val))
			}
		default:
			v.Value()
		}
	}
}

// readPaginator reads the members of the paginator object v has entered.
func (r *reply) readPaginator(v *source.Validator) {
	for key, ok := v.Member(); ok; key, ok = v.Member() {
		if string(source.Name(key)) == "next" {
			r.next = v.Value()
		} else {
			v.Value()
		}
	}
}

// compact returns the JSON value raw without insignificant whitespace, so
// that two renderings of one cursor compare equal. raw has been decoded
// already, so it is valid and Compact cannot fail; were it to, raw would
// be returned as it is.
func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// isNull reports whether the valid JSON value v is absent (nil) or null.
func isNull(v []byte) bool { return len(v) == 0 || string(v) == "null" }

// scalar returns a JSON string's text or a JSON number's digits, and false
// for anything else (absent, null, an object, an array, a boolean, a
// number beyond float64). v is a valid JSON value or nil.
func scalar(v []byte) (string, bool) {
	switch {
	case len(v) == 0:
		return "", false
	case v[0] == '"':
		s, _ := source.Unquote(string(v)) // v is a valid JSON string
		return s, true
	}
	if _, err := strconv.ParseFloat(string(v), 64); err != nil {
		return "", false
	}
	return string(v), true
}

// messageText renders the messages of an error answer, a valid JSON value
// or nil. The document does not show a failed response, so every shape is
// accepted: a string, an array (of strings or anything else), an object
// ("key: value" pairs in the order sent), or any other JSON value as sent.
func messageText(v []byte) string {
	if isNull(v) {
		return ""
	}
	if s, ok := scalar(v); ok {
		return s
	}
	var parts []string
	switch v[0] {
	case '[':
		items := source.NewValidator(v)
		items.Array()
		for items.Element() {
			parts = append(parts, messageText(items.Value()))
		}
	case '{':
		members, _ := source.Object(v)
		for key, val, ok := members.Next(); ok; key, val, ok = members.Next() {
			name, _ := source.Unquote(string(key)) // a valid JSON string
			parts = append(parts, name+": "+messageText(val))
		}
	default:
		return string(v)
	}
	return strings.Join(parts, "; ")
}

// conversation is one decoded record. id and updated are set whenever they
// can be read, even when the rest of the record is bad, so the source can
// page past it and remember it; err is set when it cannot become an event.
type conversation struct {
	id      string
	updated time.Time // zero when unreadable
	value   *Conversation
	raw     json.RawMessage
	err     error
}

// wireConversation is a conversation as Nhanh sends it: the value of each
// member the schema knows, as sent (the last one of a name), nil when
// absent.
type wireConversation struct {
	id, pageID, pageUserID, assignedGroupID, pagePostID []byte
	createdAt, updatedAt, lastSeenMessageAt             []byte
	channel, typ, status, isFromLive                    []byte
	customerAvatar, pageUserName, lastMessage           []byte
	hasReply, hasPhone                                  []byte
}

// conversationBox is a Conversation with the values its optional fields
// point to: one allocation.
type conversationBox struct {
	v                                  Conversation
	assignedGroupID, pagePostID, extra string
	lastSeenMessageAt                  time.Time
	isFromLive                         int32
}

// decodeConversation converts one raw conversation, validating it as it
// reads it: a conversation of a page is valid JSON, one given alone may not
// be. The members the schema knows are read into the Conversation, every
// other member goes to extra_json as sent. Each problem is reported, named
// by its field: members of the wrong JSON type first, then bad ids and
// times, then missing required members.
func decodeConversation(raw json.RawMessage) conversation {
	c := conversation{raw: raw}
	v := source.NewValidator(raw)
	if !v.Object() {
		val := v.Value()
		if !v.Done() {
			c.err = fmt.Errorf("conversation (id unknown): %w", syntaxError(raw))
		} else {
			c.err = fmt.Errorf("conversation (id unknown): the record is %s, want a JSON object", source.KindArticle(val))
		}
		return c
	}
	var w wireConversation
	var buf [256]byte
	extra := buf[:0]
	for key, ok := v.Member(); ok; key, ok = v.Member() {
		val := v.Value()
		switch string(source.Name(key)) {
		case "id":
			w.id = val
		case "channel":
			w.channel = val
		case "type":
			w.typ = val
		case "customerAvatar":
			w.customerAvatar = val
		case "pageId":
			w.pageID = val
		case "pageUserId":
			w.pageUserID = val
		case "pageUserName":
			w.pageUserName = val
		case "hasReply":
			w.hasReply = val
		case "assignedGroupId":
			w.assignedGroupID = val
		case "hasPhone":
			w.hasPhone = val
		case "createdAt":
			w.createdAt = val
		case "updatedAt":
			w.updatedAt = val
		case "lastSeenMessageAt":
			w.lastSeenMessageAt = val
		case "lastMessage":
			w.lastMessage = val
		case "status":
			w.status = val
		case "isFromLive":
			w.isFromLive = val
		case "pagePostId":
			w.pagePostID = val
		default:
			extra = source.AppendMember(extra, key, val)
		}
	}
	if !v.Done() {
		c.err = fmt.Errorf("conversation (id unknown): %w", syntaxError(raw))
		return c
	}
	box := new(conversationBox)
	d := fields{text: text{source.NewRecordText(raw, extra)}}
	d.convert(&w, box, &c)
	if len(d.errs) > 0 {
		name := c.id
		if name == "" {
			name = "(id unknown)"
		}
		c.err = fmt.Errorf("conversation %s: %w", name, errors.Join(d.errs...))
		return c
	}
	if len(extra) > 0 {
		box.extra = d.Extra()
		box.v.ExtraJSON = &box.extra
	}
	c.value = &box.v
	return c
}

// fields converts the members of one conversation and collects what is
// wrong with them.
type fields struct {
	text
	errs []error
}

// convert reads w into box, and the id and update time into c too.
func (d *fields) convert(w *wireConversation, box *conversationBox, c *conversation) {
	v := &box.v
	channel := d.int32Field("channel", w.channel, &v.Channel)
	typ := d.int32Field("type", w.typ, &v.Type)
	avatar := d.stringField("customerAvatar", w.customerAvatar, &v.CustomerAvatar)
	userName := d.stringField("pageUserName", w.pageUserName, &v.PageUserName)
	hasReply := d.boolField("hasReply", w.hasReply, &v.HasReply)
	hasPhone := d.boolField("hasPhone", w.hasPhone, &v.HasPhone)
	lastMessage := d.stringField("lastMessage", w.lastMessage, &v.LastMessage)
	status := d.int32Field("status", w.status, &v.Status)
	if d.int32Field("isFromLive", w.isFromLive, &box.isFromLive) == present {
		v.IsFromLive = &box.isFromLive
	}
	var err error
	c.id, err = d.id("id", w.id)
	d.add(err)
	c.updated, err = seconds("updatedAt", w.updatedAt)
	d.add(err)
	v.ID, v.UpdatedAt = c.id, c.updated
	v.CreatedAt, err = seconds("createdAt", w.createdAt)
	d.add(err)
	if !isNull(w.lastSeenMessageAt) {
		box.lastSeenMessageAt, err = seconds("lastSeenMessageAt", w.lastSeenMessageAt)
		d.add(err)
		v.LastSeenMessageAt = &box.lastSeenMessageAt
	}
	v.PageID, err = d.id("pageId", w.pageID)
	d.add(err)
	v.PageUserID, err = d.id("pageUserId", w.pageUserID)
	d.add(err)
	v.AssignedGroupID, err = d.optionalID("assignedGroupId", w.assignedGroupID, &box.assignedGroupID)
	d.add(err)
	v.PagePostID, err = d.optionalID("pagePostId", w.pagePostID, &box.pagePostID)
	d.add(err)
	for _, f := range [...]struct {
		name string
		got  outcome
	}{{"channel", channel}, {"type", typ}, {"status", status}, {"customerAvatar", avatar},
		{"pageUserName", userName}, {"lastMessage", lastMessage}, {"hasReply", hasReply}, {"hasPhone", hasPhone}} {
		if f.got == missing {
			d.add(errors.New(f.name + " is missing"))
		}
	}
}

// outcome is what became of a member read into a typed field.
type outcome uint8

const (
	missing  outcome = iota // absent or null
	present                 // read
	mistyped                // of the wrong JSON type, reported
)

func (d *fields) add(err error) {
	if err != nil {
		d.errs = append(d.errs, err)
	}
}

// int32Field reads a 32-bit integer member.
func (d *fields) int32Field(field string, val []byte, dst *int32) outcome {
	if isNull(val) {
		return missing
	}
	n, err := strconv.ParseInt(string(val), 10, 32)
	if err != nil {
		d.add(fmt.Errorf("%s %s is not a 32-bit integer", field, excerpt(val)))
		return mistyped
	}
	*dst = int32(n)
	return present
}

// stringField reads a string member.
func (d *fields) stringField(field string, val []byte, dst *string) outcome {
	switch {
	case isNull(val):
		return missing
	case val[0] == '"':
		*dst, _ = source.Unquote(d.Of(val)) // val is a valid JSON string
		return present
	}
	d.add(fmt.Errorf("%s %s is not a string", field, excerpt(val)))
	return mistyped
}

// boolField reads a boolean member.
func (d *fields) boolField(field string, val []byte, dst *bool) outcome {
	switch string(val) {
	case "", "null":
		return missing
	case "true", "false":
		*dst = val[0] == 't'
		return present
	}
	d.add(fmt.Errorf("%s %s is not a boolean", field, excerpt(val)))
	return mistyped
}

// excerpt returns raw JSON for an error message, cut after 60 bytes.
func excerpt(raw []byte) string {
	if len(raw) > 60 {
		return strings.ToValidUTF8(string(raw[:60]), "") + "…"
	}
	return string(raw)
}

// id reads a required id: a non-empty JSON string, or an integer whose
// digits are kept exactly (never through float64).
func (d *fields) id(field string, val []byte) (string, error) {
	switch {
	case isNull(val):
		return "", fmt.Errorf("%s is missing", field)
	case val[0] == '"':
		s, _ := source.Unquote(d.Of(val)) // val is a valid JSON string
		if s == "" {
			return "", fmt.Errorf("%s is empty", field)
		}
		return s, nil
	case isInteger(val):
		return d.Of(val), nil
	}
	return "", fmt.Errorf("%s %s is neither a string nor a 64-bit integer", field, source.Quote(val))
}

// optionalID reads an id that may be absent or null (nil), empty (""), a
// string, or an integer whose digits are kept exactly; cell holds it.
func (d *fields) optionalID(field string, val []byte, cell *string) (*string, error) {
	switch {
	case isNull(val):
		return nil, nil
	case string(val) == `""`:
		return cell, nil
	}
	s, err := d.id(field, val)
	if err != nil {
		return nil, err
	}
	*cell = s
	return cell, nil
}

// isInteger reports whether the JSON number v is an integer that fits in
// 64 bits, signed or unsigned.
func isInteger(v []byte) bool {
	if _, err := strconv.ParseInt(string(v), 10, 64); err == nil {
		return true
	}
	_, err := strconv.ParseUint(string(v), 10, 64)
	return err == nil
}

// maxSeconds is the latest unix time accepted, as source.UnixSeconds
// accepts it.
const maxSeconds = 1 << 40

// seconds reads a required unix-seconds time: a JSON number or a numeric
// string, as source.UnixSeconds reads it, plain digits without a call.
func seconds(field string, val []byte) (time.Time, error) {
	if isNull(val) {
		return time.Time{}, fmt.Errorf("%s is missing", field)
	}
	digits := val
	if val[0] == '"' {
		digits = val[1 : len(val)-1]
	}
	if len(digits) > 0 && len(digits) <= 13 {
		var n int64
		for _, c := range digits {
			if c < '0' || c > '9' {
				return source.UnixSeconds(field, val)
			}
			n = n*10 + int64(c-'0')
		}
		if n <= maxSeconds {
			return time.Unix(n, 0).UTC(), nil
		}
	}
	return source.UnixSeconds(field, val)
}

// text is the record as one string (see source.RecordText).
type text struct{ source.RecordText }

// syntaxError is encoding/json's account of what is wrong with b, which is
// not valid JSON.
func syntaxError(b []byte) error {
	var v struct{}
	return json.Unmarshal(b, &v)
}

// notDocumented is the error for a body that is not the documented JSON.
func notDocumented(err error, body []byte) error {
	return fmt.Errorf("response is not the documented JSON: %w; body %s", err, source.Quote(body))
}
