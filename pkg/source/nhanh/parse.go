package nhanh

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vnstream/connector/pkg/source"
)

// wirePage is the list response:
//
//	{"code":1,"paginator":{"next":[1742545330,6478]},"data":[...]}
//
// or, on failure, {"code":0,"errorCode":"...","messages":...}. Data points
// to the caller's slice: JSON null clears the pointer, a missing member
// leaves the slice nil, an array (even []) makes it non-nil.
type wirePage struct {
	Code      json.RawMessage `json:"code"`
	ErrorCode json.RawMessage `json:"errorCode"`
	Messages  json.RawMessage `json:"messages"`
	Paginator *struct {
		Next json.RawMessage `json:"next"`
	} `json:"paginator"`
	Data *[]json.RawMessage `json:"data"`
}

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

// parsePage decodes a list response body. Only strict JSON is accepted (the
// document's example has a trailing comma; a real answer must not). A code
// other than 1 gives a *vendorError; anything else that is not the
// documented shape gives a plain error quoting the body.
func parsePage(body []byte) (page, error) {
	var data []json.RawMessage
	w := wirePage{Data: &data}
	err := json.Unmarshal(body, &w)
	var te *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &te) {
		return page{}, fmt.Errorf("response is not the documented JSON: %w; body %s", err, source.Quote(body))
	}
	// A member of the wrong type (te) matters only on success: an error
	// answer is reported as the vendor's error whatever else it holds.
	code, ok := scalar(w.Code)
	if !ok {
		return page{}, fmt.Errorf("response has no code: %s", source.Quote(body))
	}
	if code != "1" {
		errorCode, _ := scalar(w.ErrorCode)
		if errorCode == "" && !isNull(w.ErrorCode) {
			errorCode = string(w.ErrorCode)
		}
		return page{}, &vendorError{code: code, errorCode: errorCode, messages: messageText(w.Messages)}
	}
	if err != nil {
		return page{}, fmt.Errorf("response is not the documented JSON: %w; body %s", err, source.Quote(body))
	}
	var p page
	switch {
	case w.Data == nil:
		// Assumed: null stands for no conversations, like [].
		p.data = []json.RawMessage{}
	case data == nil:
		return page{}, fmt.Errorf("response has code 1 but no data: %s", source.Quote(body))
	default:
		p.data = data
	}
	if w.Paginator != nil && !isNull(w.Paginator.Next) {
		p.next = compact(w.Paginator.Next)
	}
	return p, nil
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

// isNull reports whether raw is absent or the JSON null.
func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// scalar returns a JSON string's text or a JSON number's digits, and false
// for anything else (absent, null, an object, an array, a boolean).
func scalar(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	}
	if _, err := strconv.ParseFloat(string(raw), 64); err != nil {
		return "", false
	}
	return string(raw), true
}

// messageText renders the messages of an error answer. The document does
// not show a failed response, so every shape is accepted: a string, an
// array (of strings or anything else), an object ("key: value" pairs in the
// order sent), or any other JSON value as sent.
func messageText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return ""
	}
	if s, ok := scalar(raw); ok {
		return s
	}
	var parts []string
	switch raw[0] {
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return string(raw)
		}
		for _, it := range items {
			parts = append(parts, messageText(it))
		}
	case '{':
		dec := json.NewDecoder(bytes.NewReader(raw))
		if _, err := dec.Token(); err != nil {
			return string(raw)
		}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return string(raw)
			}
			var v json.RawMessage
			if dec.Decode(&v) != nil {
				return string(raw)
			}
			parts = append(parts, fmt.Sprintf("%v: %s", key, messageText(v)))
		}
	default:
		return string(raw)
	}
	return strings.Join(parts, "; ")
}

// wireConversation is a conversation as Nhanh sends it. Ids and times are
// kept raw: ids are read as a string or an integer's exact digits, times
// as unix seconds (a number or a numeric string). Pointers tell a missing
// field from a zero one.
type wireConversation struct {
	ID                json.RawMessage `json:"id"`
	Channel           *int32          `json:"channel"`
	Type              *int32          `json:"type"`
	CustomerAvatar    *string         `json:"customerAvatar"`
	PageID            json.RawMessage `json:"pageId"`
	PageUserID        json.RawMessage `json:"pageUserId"`
	PageUserName      *string         `json:"pageUserName"`
	HasReply          *bool           `json:"hasReply"`
	AssignedGroupID   json.RawMessage `json:"assignedGroupId"`
	HasPhone          *bool           `json:"hasPhone"`
	CreatedAt         json.RawMessage `json:"createdAt"`
	UpdatedAt         json.RawMessage `json:"updatedAt"`
	LastSeenMessageAt json.RawMessage `json:"lastSeenMessageAt"`
	LastMessage       *string         `json:"lastMessage"`
	Status            *int32          `json:"status"`
	IsFromLive        *int32          `json:"isFromLive"`
	PagePostID        json.RawMessage `json:"pagePostId"`
}

var knownFields = []string{"id", "channel", "type", "customerAvatar", "pageId", "pageUserId", "pageUserName",
	"hasReply", "assignedGroupId", "hasPhone", "createdAt", "updatedAt", "lastSeenMessageAt", "lastMessage",
	"status", "isFromLive", "pagePostId"}

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

// decodeConversation converts one raw conversation.
func decodeConversation(raw json.RawMessage) conversation {
	c := conversation{raw: raw}
	var w wireConversation
	var f fieldErrors
	if err := json.Unmarshal(raw, &w); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) || te.Field == "" {
			// Not JSON, or not an object at all.
			c.err = fmt.Errorf("conversation (id unknown): %w", err)
			return c
		}
		// The fields of the right type were still decoded; find every
		// field of the wrong type, not just the first.
		f.typeErrors(raw)
	}
	var err error
	c.id, err = readID("id", w.ID)
	f.add(err)
	if c.updated, err = seconds("updatedAt", w.UpdatedAt); err != nil {
		f.add(err)
	}
	v := &Conversation{ID: c.id, UpdatedAt: c.updated}
	v.CreatedAt, err = seconds("createdAt", w.CreatedAt)
	f.add(err)
	if !isNull(w.LastSeenMessageAt) {
		t, err := seconds("lastSeenMessageAt", w.LastSeenMessageAt)
		f.add(err)
		v.LastSeenMessageAt = &t
	}
	v.PageID, err = readID("pageId", w.PageID)
	f.add(err)
	v.PageUserID, err = readID("pageUserId", w.PageUserID)
	f.add(err)
	v.AssignedGroupID, err = optionalID("assignedGroupId", w.AssignedGroupID)
	f.add(err)
	v.PagePostID, err = optionalID("pagePostId", w.PagePostID)
	f.add(err)
	required(&f, "channel", w.Channel, &v.Channel)
	required(&f, "type", w.Type, &v.Type)
	required(&f, "status", w.Status, &v.Status)
	required(&f, "customerAvatar", w.CustomerAvatar, &v.CustomerAvatar)
	required(&f, "pageUserName", w.PageUserName, &v.PageUserName)
	required(&f, "lastMessage", w.LastMessage, &v.LastMessage)
	required(&f, "hasReply", w.HasReply, &v.HasReply)
	required(&f, "hasPhone", w.HasPhone, &v.HasPhone)
	v.IsFromLive = w.IsFromLive
	extra, err := source.ExtraFields(raw, knownFields)
	f.add(err)
	if len(f.errs) > 0 {
		name := c.id
		if name == "" {
			name = "(id unknown)"
		}
		c.err = fmt.Errorf("conversation %s: %w", name, errors.Join(f.errs...))
		return c
	}
	if extra != nil {
		s := string(extra)
		v.ExtraJSON = &s
	}
	c.value = v
	return c
}

// fieldErrors collects what is wrong with one conversation.
type fieldErrors struct {
	errs []error
	// wrongType names the fields of the wrong JSON type, already reported.
	wrongType map[string]bool
}

func (f *fieldErrors) add(err error) {
	if err != nil {
		f.errs = append(f.errs, err)
	}
}

// typedField is a member decoded straight into a typed struct field.
type typedField struct {
	newValue func() any // a pointer to a value of the Go type
	want     string     // the JSON type it must have, for errors
}

var (
	integer = typedField{func() any { return new(int32) }, "a 32-bit integer"}
	text    = typedField{func() any { return new(string) }, "a string"}
	boolean = typedField{func() any { return new(bool) }, "a boolean"}
)

// typedFields are the members wireConversation decodes into typed fields.
var typedFields = map[string]typedField{
	"channel": integer, "type": integer, "status": integer, "isFromLive": integer,
	"customerAvatar": text, "pageUserName": text, "lastMessage": text,
	"hasReply": boolean, "hasPhone": boolean,
}

// typeErrors reports every typed member of the conversation obj whose
// value has the wrong JSON type; only called for a record that has one.
func (f *fieldErrors) typeErrors(obj []byte) {
	var members map[string]json.RawMessage
	if json.Unmarshal(obj, &members) != nil {
		return
	}
	f.wrongType = map[string]bool{}
	for _, name := range knownFields {
		tf, typed := typedFields[name]
		raw, present := members[name]
		if !typed || !present {
			continue
		}
		var te *json.UnmarshalTypeError
		if err := json.Unmarshal(raw, tf.newValue()); errors.As(err, &te) {
			f.wrongType[name] = true
			f.add(fmt.Errorf("%s %s is not %s", name, excerpt(raw), tf.want))
		}
	}
}

// excerpt returns raw JSON for an error message, cut after 60 bytes.
func excerpt(raw []byte) string {
	if len(raw) > 60 {
		return strings.ToValidUTF8(string(raw[:60]), "") + "…"
	}
	return string(raw)
}

// required copies a decoded field into dst, or reports that Nhanh left it
// out or sent null (a field of the wrong type is reported already).
func required[T any](f *fieldErrors, field string, src *T, dst *T) {
	switch {
	case src != nil:
		*dst = *src
	case !f.wrongType[field]:
		f.add(fmt.Errorf("%s is missing", field))
	}
}

// seconds reads a required unix-seconds time.
func seconds(field string, raw json.RawMessage) (time.Time, error) {
	if isNull(raw) {
		return time.Time{}, fmt.Errorf("%s is missing", field)
	}
	return source.UnixSeconds(field, raw)
}

// optionalID reads an id that may be absent or null (nil), empty (""), a
// string, or an integer whose digits are kept exactly.
func optionalID(field string, raw json.RawMessage) (*string, error) {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return nil, nil
	}
	if string(raw) == `""` {
		s := ""
		return &s, nil
	}
	s, err := readID(field, raw)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// readID is source.ID with a fast path for the usual case, a plain JSON
// string (no escapes, valid UTF-8), whose text is the bytes between its
// quotes.
func readID(field string, raw json.RawMessage) (string, error) {
	if n := len(raw); n > 2 && raw[0] == '"' && raw[n-1] == '"' {
		inner := raw[1 : n-1]
		if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
			return string(inner), nil
		}
	}
	return source.ID(field, raw)
}
