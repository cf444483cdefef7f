package nhanh

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/source"
)

// Nhanh's JSON is read with encoding/json/v2 (github.com/go-json-experiment/json):
// parsePage checks a page and splits it into its conversations, kept as
// sent, and decodeConversation reads one conversation with one Unmarshal
// into the tagged struct wireConversation. Members are matched by their
// exact names (v2's default); of a member sent twice, the last counts.
// What v2 does not do by itself is done by small pieces, named in
// TestWhatV2DoesNotDo: member (every member of the wrong type reported,
// the last of a name counting), seconds (unix seconds as a number or a
// string) and syntaxError (the words of the source's errors); and
// messageText reads an object's members in order.

// page is one decoded list response.
type page struct {
	// next is paginator.next, compacted, or nil when Nhanh sent null or
	// left it out.
	next jsontext.Value
	// data holds the raw conversations in the order served, each the
	// part of the body it was read from (not a copy).
	data []jsontext.Value
}

// vendorError is a well-formed failure answer: code other than 1.
type vendorError struct {
	code      string // code as sent
	errorCode string // errorCode as sent, "" when absent
	messages  string // messages rendered as text, "" when absent
}

func (e *vendorError) Error() string {
	s := "code " + e.code
	if e.errorCode != "" {
		s += ", errorCode " + e.errorCode
	}
	if e.messages != "" {
		s += ": " + e.messages
	}
	return s
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
	r := reply{Data: source.Elements{Body: body}}
	if err := json.Unmarshal(body, &r, source.DecodeOptions); err != nil {
		if _, ok := errors.AsType[*jsontext.SyntacticError](err); ok {
			return page{}, fetch.NotJSON(source.NotDocumented(syntaxError(err), body))
		}
		return page{}, source.NotDocumented(syntaxError(err), body)
	}
	code, ok := scalar(r.Code)
	if !ok {
		return page{}, fmt.Errorf("response has no code: %s", source.Quote(body))
	}
	if code != "1" {
		errorCode, _ := scalar(r.ErrorCode)
		if errorCode == "" && !source.IsNull(r.ErrorCode) {
			errorCode = string(r.ErrorCode)
		}
		return page{}, &vendorError{code: code, errorCode: errorCode, messages: messageText(r.Messages)}
	}
	next, err := r.next()
	if err == nil && r.Data.List == nil && !source.IsNull(r.Data.Other) {
		err = fmt.Errorf("data is %s, want an array", source.JSONTypeArticle(r.Data.Other))
	}
	if err != nil {
		return page{}, source.NotDocumented(err, body)
	}
	if !r.Data.Sent {
		return page{}, fmt.Errorf("response has code 1 but no data: %s", source.Quote(body))
	}
	if r.Data.List == nil { // null: an empty page
		r.Data.List = []jsontext.Value{}
	}
	return page{next: next, data: r.Data.List}, nil
}

// reply is what parsePage reads of an answer: each member as sent (the last
// one of a name), nil when absent. An answer that is JSON but not an object
// leaves it empty.
type reply struct {
	Code      jsontext.Value  `json:"code"`
	ErrorCode jsontext.Value  `json:"errorCode"`
	Messages  jsontext.Value  `json:"messages"`
	Paginator jsontext.Value  `json:"paginator"`
	Data      source.Elements `json:"data"` // the conversations
}

// UnmarshalJSONFrom reads the members of an answer object. Any other JSON
// value is only checked: v2 would refuse it as the wrong type before
// reading it all, and it must be valid JSON to count as an answer without
// a code.
func (r *reply) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if dec.PeekKind() != '{' {
		return dec.SkipValue()
	}
	type plain reply // without this method
	return json.UnmarshalDecode(dec, (*plain)(r))
}

// next reads paginator.next without insignificant whitespace (strings and
// numbers as sent), so that two renderings of one cursor compare equal;
// nil when the paginator or its next is absent or null.
func (r *reply) next() (jsontext.Value, error) {
	switch r.Paginator.Kind() {
	case 0, 'n':
		return nil, nil
	case '{':
	default:
		return nil, fmt.Errorf("paginator is %s, want an object", source.JSONTypeArticle(r.Paginator))
	}
	var p struct {
		Next jsontext.Value `json:"next"`
	}
	_ = json.Unmarshal(r.Paginator, &p, source.DecodeOptions) // cannot fail: an object of any members fits
	if source.IsNull(p.Next) {
		return nil, nil
	}
	_ = p.Next.Compact(source.DecodeOptions) // cannot fail: p.Next is a valid copy
	return p.Next, nil
}

// scalar returns a JSON string's text or a JSON number's digits, and false
// for anything else (absent, null, an object, an array, a boolean, a
// number beyond float64). v is a valid JSON value or nil.
func scalar(v jsontext.Value) (string, bool) {
	switch v.Kind() {
	case '"':
		return source.Unquote(v), true
	case '0':
		_, err := strconv.ParseFloat(string(v), 64)
		return string(v), err == nil
	}
	return "", false
}

// messageText renders the messages of an error answer, a valid JSON value
// or nil. The document does not show a failed response, so every shape is
// accepted: a string, an array (of strings or anything else), an object
// ("key: value" pairs in the order sent, which neither a struct nor a map
// keeps), or any other JSON value as sent.
func messageText(v jsontext.Value) string {
	if s, ok := scalar(v); ok || source.IsNull(v) {
		return s
	}
	kind := v.Kind()
	if kind != '[' && kind != '{' {
		return string(v)
	}
	var parts []string
	dec := jsontext.NewDecoder(bytes.NewReader(v), source.DecodeOptions)
	_, _ = dec.ReadToken() // [ or {
	for {
		switch dec.PeekKind() {
		case ']', '}', 0: // 0 would be an error, were v not valid
			return strings.Join(parts, "; ")
		}
		part := ""
		if kind == '{' {
			name, _ := dec.ReadToken()
			part = name.String() + ": "
		}
		item, _ := dec.ReadValue()
		parts = append(parts, part+messageText(item))
	}
}

// conversation is one decoded record. id and updated are set whenever they
// can be read, even when the rest of the record is bad, so the source can
// page past it and remember it; err is set when it cannot become an event.
type conversation struct {
	id      string
	updated time.Time // zero when unreadable
	value   *Conversation
	raw     jsontext.Value
	err     error
}

// wireConversation is a conversation as Nhanh sends it: a member (see
// member) for each member the schema knows, so that one Unmarshal reads
// the whole record and problems reports every bad member.
type wireConversation struct {
	ID                member[id]      `json:"id"`
	Channel           member[int32]   `json:"channel"`
	Type              member[int32]   `json:"type"`
	CustomerAvatar    member[string]  `json:"customerAvatar"`
	PageID            member[id]      `json:"pageId"`
	PageUserID        member[id]      `json:"pageUserId"`
	PageUserName      member[string]  `json:"pageUserName"`
	HasReply          member[bool]    `json:"hasReply"`
	AssignedGroupID   member[id]      `json:"assignedGroupId"`
	HasPhone          member[bool]    `json:"hasPhone"`
	CreatedAt         member[seconds] `json:"createdAt"`
	UpdatedAt         member[seconds] `json:"updatedAt"`
	LastSeenMessageAt member[seconds] `json:"lastSeenMessageAt"`
	LastMessage       member[string]  `json:"lastMessage"`
	Status            member[int32]   `json:"status"`
	IsFromLive        member[int32]   `json:"isFromLive"`
	PagePostID        member[id]      `json:"pagePostId"`
	// Extra collects every other member, name and value as sent, in
	// order, as a JSON object (empty when there were none): v2's embedded
	// fallback. Earlier versions of go-json-experiment/json spelled it
	// `json:",unknown"`, which this one ignores (TestWhatV2DoesNotDo).
	Extra jsontext.Value `json:",embed"`
}

// wirePool recycles wireConversations, which are large (a field per
// member) and never outlive decodeConversation.
var wirePool = sync.Pool{New: func() any { return new(wireConversation) }}

// decodeConversation converts one raw conversation: a conversation of a
// page is valid JSON, one given alone may not be; any JSON but an object
// is only checked, for the error. The members the schema knows are read
// into the Conversation, every other member goes to extra_json as sent.
// Each problem is reported, named by its member, in the order problems
// lists them.
func decodeConversation(raw jsontext.Value) conversation {
	c := conversation{raw: raw}
	w := wirePool.Get().(*wireConversation)
	defer wirePool.Put(w)
	*w = wireConversation{}
	var err error
	if raw.Kind() == '{' {
		err = json.Unmarshal(raw, w, source.DecodeOptions)
	} else if err = json.Unmarshal(raw, new(jsontext.Value), source.DecodeOptions); err == nil {
		err = fmt.Errorf("the record is %s, want a JSON object", source.JSONTypeArticle(raw))
	}
	if err != nil {
		c.err = fmt.Errorf("conversation (id unknown): %w", syntaxError(err))
		return c
	}
	c.id, c.updated = string(w.ID.value), w.UpdatedAt.value
	if errs := w.problems(); len(errs) > 0 {
		c.err = fmt.Errorf("conversation %s: %w", cmp.Or(c.id, "(id unknown)"), errors.Join(errs...))
		return c
	}
	c.value = &Conversation{
		ID: string(w.ID.value), Channel: w.Channel.value, Type: w.Type.value, CustomerAvatar: w.CustomerAvatar.value,
		PageID: string(w.PageID.value), PageUserID: string(w.PageUserID.value), PageUserName: w.PageUserName.value,
		HasReply: w.HasReply.value, AssignedGroupID: optional(w.AssignedGroupID.set, string(w.AssignedGroupID.value)),
		HasPhone: w.HasPhone.value, CreatedAt: w.CreatedAt.value, UpdatedAt: w.UpdatedAt.value,
		LastSeenMessageAt: optional(w.LastSeenMessageAt.set, w.LastSeenMessageAt.value),
		LastMessage:       w.LastMessage.value, Status: w.Status.value, IsFromLive: optional(w.IsFromLive.set, w.IsFromLive.value),
		PagePostID: optional(w.PagePostID.set, string(w.PagePostID.value)), ExtraJSON: optional(len(w.Extra) > 0, string(w.Extra)),
	}
	return c
}

// optional is a pointer to v when it was sent, or nil.
func optional[T any](set bool, v T) *T {
	if !set {
		return nil
	}
	p := new(T)
	*p = v
	return p
}

// problems lists what is wrong with w: members of the wrong JSON type
// first, then bad, missing or empty ids and bad or missing times, then the
// other missing members.
func (w *wireConversation) problems() []error {
	var errs []error
	for _, m := range [...]struct {
		name string
		*state
		required bool // reported here when missing or an empty string (the others when missing, below)
	}{
		{"channel", &w.Channel.state, false}, {"type", &w.Type.state, false},
		{"customerAvatar", &w.CustomerAvatar.state, false}, {"pageUserName", &w.PageUserName.state, false},
		{"hasReply", &w.HasReply.state, false}, {"hasPhone", &w.HasPhone.state, false},
		{"lastMessage", &w.LastMessage.state, false}, {"status", &w.Status.state, false},
		{"isFromLive", &w.IsFromLive.state, false}, {"id", &w.ID.state, true},
		{"updatedAt", &w.UpdatedAt.state, true}, {"createdAt", &w.CreatedAt.state, true},
		{"lastSeenMessageAt", &w.LastSeenMessageAt.state, false}, {"pageId", &w.PageID.state, true},
		{"pageUserId", &w.PageUserID.state, true}, {"assignedGroupId", &w.AssignedGroupID.state, false},
		{"pagePostId", &w.PagePostID.state, false},
	} {
		switch {
		case m.wrong != nil:
			errs = append(errs, m.wrong)
		case m.required && !m.set:
			errs = append(errs, errors.New(m.name+" is missing"))
		case m.required && m.empty:
			errs = append(errs, errors.New(m.name+" is empty"))
		}
	}
	for _, m := range [...]struct {
		name string
		set  bool
	}{
		{"channel", w.Channel.set}, {"type", w.Type.set}, {"status", w.Status.set}, {"customerAvatar", w.CustomerAvatar.set},
		{"pageUserName", w.PageUserName.set}, {"lastMessage", w.LastMessage.set}, {"hasReply", w.HasReply.set},
		{"hasPhone", w.HasPhone.set},
	} {
		if !m.set {
			errs = append(errs, errors.New(m.name+" is missing"))
		}
	}
	return errs
}

// member is a conversation member as its UnmarshalJSONFrom read it: the
// value as a T, which accepts what Nhanh sends:
//   - int32: a JSON number holding a 32-bit integer;
//   - bool: a JSON boolean;
//   - string: a JSON string, read by v2 (escapes decoded, invalid UTF-8
//     and lone surrogates as U+FFFD, as encoding/json reads them);
//   - id: a JSON string (as a string), or an integer whose digits are kept
//     exactly (never through float64);
//   - seconds: unix seconds, a JSON number or a numeric string
//     (source.UnixSeconds). v2's unix time format reads neither the string
//     nor only whole seconds.
type member[T int32 | bool | string | id | seconds] struct {
	state
	value T // the zero value unless set and not wrong
}

// id is an id, read as a string.
type id string

// seconds is a time sent as unix seconds.
type seconds = time.Time

// state is what a member's UnmarshalJSONFrom found besides the value.
type state struct {
	set   bool  // present and not null
	empty bool  // sent as the empty JSON string
	wrong error // why the value sent cannot be read, naming the member
}

// UnmarshalJSONFrom reads one occurrence of the member, forgetting any
// earlier one, so that the last counts. A value that cannot be read does
// not stop the decoding, as it would in v2 (which reports the first such
// value only): it is reported in wrong.
func (m *member[T]) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*m = member[T]{}
	switch p := any(&m.value).(type) {
	case *string, *id:
		if dec.PeekKind() == '"' {
			var zero T
			err := json.UnmarshalDecode(dec, p)
			m.set, m.empty = true, m.value == zero
			return err
		}
	}
	v, err := dec.ReadValue()
	if m.set = err == nil && v.Kind() != 'n'; m.set {
		m.wrong = m.parse(dec, v)
	}
	return err
}

// parse reads v, a JSON value other than null, nor a string when T is a
// string or an id, into m.value, or says why it cannot.
func (m *member[T]) parse(dec *jsontext.Decoder, v jsontext.Value) (err error) {
	switch p := any(&m.value).(type) {
	case *int32:
		var n int64
		if n, err = strconv.ParseInt(string(v), 10, 32); err != nil { // only a JSON number parses
			return notA(dec, v, "a 32-bit integer")
		}
		*p = int32(n)
	case *bool:
		if *p = v.Kind() == 't'; !*p && v.Kind() != 'f' {
			return notA(dec, v, "a boolean")
		}
	case *string:
		return notA(dec, v, "a string")
	case *id:
		if v.Kind() != '0' || !source.IsInteger(v) {
			return fmt.Errorf("%s %s is neither a string nor a 64-bit integer", memberName(dec), source.Quote(v))
		}
		*p = id(v)
	case *seconds:
		if *p, err = source.UnixSeconds("", []byte(v)); err != nil {
			_, err = source.UnixSeconds(memberName(dec), []byte(v)) // the same error, naming the member
		}
	}
	return err
}

// memberName is the name of the member dec has just read, for an error
// message.
func memberName(dec *jsontext.Decoder) string { return dec.StackPointer().LastToken() }

// notA is the error for a member whose value v is not want: the value is
// cut after 60 bytes.
func notA(dec *jsontext.Decoder, v jsontext.Value, want string) error {
	s := string(v)
	if len(v) > 60 {
		s = strings.ToValidUTF8(s[:60], "") + "…"
	}
	return fmt.Errorf("%s %s is not %s", memberName(dec), s, want)
}

// syntaxError words v2's account of why a text is not JSON: what is wrong,
// where. The end of the input is named as encoding/json named it, as the
// source's errors always have.
func syntaxError(err error) error {
	serr, ok := errors.AsType[*jsontext.SyntacticError](err)
	if !ok || serr.Err == nil {
		return err
	}
	what := serr.Err.Error()
	if serr.Err == io.ErrUnexpectedEOF {
		what = "unexpected end of JSON input"
	}
	if serr.JSONPointer != "" {
		what += fmt.Sprintf(" within %q", serr.JSONPointer)
	}
	return fmt.Errorf("%s at offset %d", what, serr.ByteOffset)
}
