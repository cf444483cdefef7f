package nhanh

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
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
// sent, and decodeConversation reads one conversation into a Conversation.
// Members are matched by their exact names (v2's default); of a member sent
// twice, the last counts. What v2 does not do by itself is done by small
// pieces named in TestWhatV2DoesNotDo: member (every member of the wrong
// type reported, the last of a name counting), seconds (unix seconds as a
// number or a string), members (an object's members in order) and
// syntaxError (the words of the source's errors).

// page is one decoded list response.
type page struct {
	// next is paginator.next, compacted, or nil when Nhanh sent null or
	// left it out.
	next jsontext.Value
	// data holds the raw conversations in the order served.
	data []jsontext.Value
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
	if err == nil && r.Data.other != nil {
		err = fmt.Errorf("data is %s, want an array", source.JSONTypeArticle(r.Data.other))
	}
	if err != nil {
		return page{}, source.NotDocumented(err, body)
	}
	if r.Data.list == nil {
		return page{}, fmt.Errorf("response has code 1 but no data: %s", source.Quote(body))
	}
	return page{next: next, data: r.Data.list}, nil
}

// reply is what parsePage reads of an answer: each member as sent (the last
// one of a name), nil when absent. An answer that is JSON but not an object
// leaves it empty.
type reply struct {
	Code      jsontext.Value `json:"code"`
	ErrorCode jsontext.Value `json:"errorCode"`
	Messages  jsontext.Value `json:"messages"`
	Paginator jsontext.Value `json:"paginator"`
	Data      conversations  `json:"data"`
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

// next reads paginator.next, compacted; nil when the paginator or its next
// is absent or null.
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
	if err := json.Unmarshal(r.Paginator, &p, source.DecodeOptions); err != nil {
		return nil, err // cannot happen: an object of any members fits
	}
	if source.IsNull(p.Next) {
		return nil, nil
	}
	return compact(p.Next), nil
}

// conversations is the data of an answer.
type conversations struct {
	// list holds the conversations as sent: nil when data is absent or of
	// the wrong type, empty (not nil) when it is null.
	list []jsontext.Value
	// other is data when it is neither an array nor null.
	other jsontext.Value
}

// UnmarshalJSONFrom reads data; the last one sent counts.
func (c *conversations) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*c = conversations{}
	switch dec.PeekKind() {
	case '[':
		c.list = []jsontext.Value{}
		return json.UnmarshalDecode(dec, &c.list)
	case 'n':
		c.list = []jsontext.Value{}
		return dec.SkipValue()
	}
	v, err := dec.ReadValue()
	c.other = v.Clone()
	return err
}

// compact returns a copy of the valid JSON value v without insignificant
// whitespace (strings and numbers as sent), so that two renderings of one
// cursor compare equal. Were v not valid, it would be returned as it is.
func compact(v []byte) jsontext.Value {
	c := jsontext.Value(bytes.Clone(v))
	if c.Compact(source.DecodeOptions) != nil {
		return v
	}
	return c
}

// scalar returns a JSON string's text or a JSON number's digits, and false
// for anything else (absent, null, an object, an array, a boolean, a
// number beyond float64). v is a valid JSON value or nil.
func scalar(v jsontext.Value) (string, bool) {
	switch v.Kind() {
	case '"':
		var s string
		err := json.Unmarshal(v, &s, source.DecodeOptions)
		return s, err == nil
	case '0':
		var f float64
		err := json.Unmarshal(v, &f, source.DecodeOptions)
		return string(v), err == nil
	}
	return "", false
}

// messageText renders the messages of an error answer, a valid JSON value
// or nil. The document does not show a failed response, so every shape is
// accepted: a string, an array (of strings or anything else), an object
// ("key: value" pairs in the order sent), or any other JSON value as sent.
func messageText(v jsontext.Value) string {
	if source.IsNull(v) {
		return ""
	}
	if s, ok := scalar(v); ok {
		return s
	}
	var parts []string
	switch v.Kind() {
	case '[':
		var items []jsontext.Value
		_ = json.Unmarshal(v, &items, source.DecodeOptions) // v is a valid array
		for _, item := range items {
			parts = append(parts, messageText(item))
		}
	case '{':
		for name, val := range members(v) {
			parts = append(parts, name+": "+messageText(val))
		}
	default:
		return string(v)
	}
	return strings.Join(parts, "; ")
}

// members yields the names (unescaped) and values (as sent) of the valid
// JSON object v in the order sent, which neither a struct nor a map keeps.
// A value is valid only until the next one is read.
func members(v jsontext.Value) iter.Seq2[string, jsontext.Value] {
	return func(yield func(string, jsontext.Value) bool) {
		dec := jsontext.NewDecoder(bytes.NewReader(v), source.DecodeOptions)
		if _, err := dec.ReadToken(); err != nil { // {
			return
		}
		for dec.PeekKind() == '"' {
			tok, err := dec.ReadToken()
			if err != nil {
				return
			}
			name := tok.String() // before the next read voids tok
			val, err := dec.ReadValue()
			if err != nil || !yield(name, val) {
				return
			}
		}
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

// wireConversation is a conversation as Nhanh sends it, each member the
// schema knows as the last one of its name. Ids and times, which come as
// strings or numbers, are kept as sent (empty when absent) and read by
// convert; the other members are decoded by v2 into their Go types.
type wireConversation struct {
	ID                jsontext.Value `json:"id"`
	Channel           member[int32]  `json:"channel"`
	Type              member[int32]  `json:"type"`
	CustomerAvatar    member[string] `json:"customerAvatar"`
	PageID            jsontext.Value `json:"pageId"`
	PageUserID        jsontext.Value `json:"pageUserId"`
	PageUserName      member[string] `json:"pageUserName"`
	HasReply          member[bool]   `json:"hasReply"`
	AssignedGroupID   jsontext.Value `json:"assignedGroupId"`
	HasPhone          member[bool]   `json:"hasPhone"`
	CreatedAt         jsontext.Value `json:"createdAt"`
	UpdatedAt         jsontext.Value `json:"updatedAt"`
	LastSeenMessageAt jsontext.Value `json:"lastSeenMessageAt"`
	LastMessage       member[string] `json:"lastMessage"`
	Status            member[int32]  `json:"status"`
	IsFromLive        member[int32]  `json:"isFromLive"`
	PagePostID        jsontext.Value `json:"pagePostId"`
	// Extra collects every other member, name and value as sent, in
	// order, as a JSON object (empty when there were none): v2's embedded
	// fallback. Earlier versions of go-json-experiment/json spelled it
	// `json:",unknown"`, which this one ignores (TestWhatV2DoesNotDo).
	Extra jsontext.Value `json:",embed"`

	// notObject is the record when it is JSON but not an object.
	notObject jsontext.Value
}

// UnmarshalJSONFrom reads the members of a conversation object, or keeps
// any other JSON value in notObject (see reply.UnmarshalJSONFrom).
func (w *wireConversation) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if dec.PeekKind() != '{' {
		v, err := dec.ReadValue()
		w.notObject = v.Clone()
		return err
	}
	type plain wireConversation // without this method
	return json.UnmarshalDecode(dec, (*plain)(w))
}

// wirePool recycles wireConversations: v2 reads a jsontext.Value into the
// buffer the field already has, so a recycled one reads its ids, times and
// extra members without allocating.
var wirePool = sync.Pool{New: func() any { return new(wireConversation) }}

// reset empties w for the next conversation, keeping its buffers.
func (w *wireConversation) reset() {
	*w = wireConversation{
		ID: w.ID[:0], PageID: w.PageID[:0], PageUserID: w.PageUserID[:0], AssignedGroupID: w.AssignedGroupID[:0],
		CreatedAt: w.CreatedAt[:0], UpdatedAt: w.UpdatedAt[:0], LastSeenMessageAt: w.LastSeenMessageAt[:0],
		PagePostID: w.PagePostID[:0], Extra: w.Extra[:0],
	}
}

// memberType are the Go types of the members v2 decodes itself.
type memberType interface{ int32 | string | bool }

// member is a conversation member v2 decodes into T. A value of the wrong
// JSON type does not stop the decoding, as it would in v2 (which reports
// the first such value only): it is kept as sent, so that every bad member
// is reported, and so that of a member sent twice the last one counts.
type member[T memberType] struct {
	value T
	set   bool           // present and not null
	wrong jsontext.Value // the value sent when it is not a T
}

// UnmarshalJSONFrom reads one occurrence of the member. A value of the
// JSON kind T is decoded in place; v2 may still refuse a number (a
// fraction, or beyond int32), which it has then read whole and quotes in
// its error. Any other value is read whole first, for the error message.
func (m *member[T]) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*m = member[T]{}
	k := dec.PeekKind()
	switch {
	case k == 'n':
		return dec.SkipValue()
	case !fits[T](k):
		v, err := dec.ReadValue()
		m.wrong = v.Clone()
		return err
	}
	err := json.UnmarshalDecode(dec, &m.value)
	if serr, ok := errors.AsType[*json.SemanticError](err); ok && len(serr.JSONValue) > 0 {
		m.wrong, err = serr.JSONValue, nil
	}
	m.set = err == nil && m.wrong == nil
	return err
}

// fits reports whether a JSON value of kind k may decode into T.
func fits[T memberType](k jsontext.Kind) bool {
	var zero T
	switch any(zero).(type) {
	case int32:
		return k == '0'
	case bool:
		return k == 't' || k == 'f'
	}
	return k == '"'
}

// wants names what a member[T] must be, for error messages.
func wants[T memberType]() string {
	var zero T
	switch any(zero).(type) {
	case int32:
		return "a 32-bit integer"
	case bool:
		return "a boolean"
	}
	return "a string"
}

// conversationBox is a Conversation with the values its optional fields
// point to: one allocation.
type conversationBox struct {
	v                                  Conversation
	assignedGroupID, pagePostID, extra string
	lastSeenMessageAt                  time.Time
	isFromLive                         int32
}

// decodeConversation converts one raw conversation: a conversation of a
// page is valid JSON, one given alone may not be. The members the schema
// knows are read into the Conversation, every other member goes to
// extra_json as sent. Each problem is reported, named by its field:
// members of the wrong JSON type first, then bad ids and times, then
// missing required members.
func decodeConversation(raw jsontext.Value) conversation {
	c := conversation{raw: raw}
	w := wirePool.Get().(*wireConversation)
	defer wirePool.Put(w)
	w.reset()
	if err := json.Unmarshal(raw, w, source.DecodeOptions); err != nil {
		c.err = fmt.Errorf("conversation (id unknown): %w", syntaxError(err))
		return c
	}
	if len(w.notObject) > 0 {
		c.err = fmt.Errorf("conversation (id unknown): the record is %s, want a JSON object", source.JSONTypeArticle(w.notObject))
		return c
	}
	box := new(conversationBox)
	if errs := w.convert(box, &c); len(errs) > 0 {
		c.err = fmt.Errorf("conversation %s: %w", cmp.Or(c.id, "(id unknown)"), errors.Join(errs...))
		return c
	}
	if len(w.Extra) > 0 {
		box.extra = string(w.Extra)
		box.v.ExtraJSON = &box.extra
	}
	c.value = &box.v
	return c
}

// convert reads w into box, and the id and update time into c too. It
// returns what is wrong, in the order decodeConversation reports it.
func (w *wireConversation) convert(box *conversationBox, c *conversation) []error {
	var d problems
	v := &box.v
	channel := get(&d, "channel", &w.Channel, &v.Channel)
	typ := get(&d, "type", &w.Type, &v.Type)
	avatar := get(&d, "customerAvatar", &w.CustomerAvatar, &v.CustomerAvatar)
	userName := get(&d, "pageUserName", &w.PageUserName, &v.PageUserName)
	hasReply := get(&d, "hasReply", &w.HasReply, &v.HasReply)
	hasPhone := get(&d, "hasPhone", &w.HasPhone, &v.HasPhone)
	lastMessage := get(&d, "lastMessage", &w.LastMessage, &v.LastMessage)
	status := get(&d, "status", &w.Status, &v.Status)
	if get(&d, "isFromLive", &w.IsFromLive, &box.isFromLive) == present {
		v.IsFromLive = &box.isFromLive
	}
	d.add(readID("id", w.ID, &v.ID))
	var err error
	v.UpdatedAt, err = seconds("updatedAt", w.UpdatedAt)
	d.add(err)
	c.id, c.updated = v.ID, v.UpdatedAt
	v.CreatedAt, err = seconds("createdAt", w.CreatedAt)
	d.add(err)
	if !source.IsNull(w.LastSeenMessageAt) {
		box.lastSeenMessageAt, err = seconds("lastSeenMessageAt", w.LastSeenMessageAt)
		d.add(err)
		v.LastSeenMessageAt = &box.lastSeenMessageAt
	}
	d.add(readID("pageId", w.PageID, &v.PageID))
	d.add(readID("pageUserId", w.PageUserID, &v.PageUserID))
	v.AssignedGroupID, err = optionalID("assignedGroupId", w.AssignedGroupID, &box.assignedGroupID)
	d.add(err)
	v.PagePostID, err = optionalID("pagePostId", w.PagePostID, &box.pagePostID)
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
	return d
}

// problems collects what is wrong with a conversation.
type problems []error

func (d *problems) add(err error) {
	if err != nil {
		*d = append(*d, err)
	}
}

// outcome is what became of a member read into a typed field.
type outcome uint8

const (
	missing  outcome = iota // absent or null
	present                 // read
	mistyped                // of the wrong JSON type, reported
)

// get copies the member field into dst, or reports it when it was of the
// wrong type.
func get[T memberType](d *problems, field string, m *member[T], dst *T) outcome {
	switch {
	case m.wrong != nil:
		d.add(fmt.Errorf("%s %s is not %s", field, excerpt(m.wrong), wants[T]()))
		return mistyped
	case !m.set:
		return missing
	}
	*dst = m.value
	return present
}

// excerpt returns raw JSON for an error message, cut after 60 bytes.
func excerpt(raw []byte) string {
	if len(raw) > 60 {
		return strings.ToValidUTF8(string(raw[:60]), "") + "…"
	}
	return string(raw)
}

// readID reads a required id into dst: a non-empty JSON string, or an
// integer whose digits are kept exactly (never through float64). dst is
// left "" when the id is bad.
func readID(field string, v jsontext.Value, dst *string) error {
	switch v.Kind() {
	case 0, 'n':
		return fmt.Errorf("%s is missing", field)
	case '"':
		// v is a valid JSON string; invalid UTF-8 is read as U+FFFD, which
		// the error reports.
		var buf [64]byte
		text, _ := jsontext.AppendUnquote(buf[:0], v)
		*dst = string(text)
		if *dst == "" {
			return fmt.Errorf("%s is empty", field)
		}
		return nil
	case '0':
		if source.IsInteger(v) {
			*dst = string(v)
			return nil
		}
	}
	return fmt.Errorf("%s %s is neither a string nor a 64-bit integer", field, source.Quote(v))
}

// optionalID reads an id that may be absent or null (nil), empty (""), a
// string, or an integer whose digits are kept exactly; cell holds it.
func optionalID(field string, v jsontext.Value, cell *string) (*string, error) {
	switch {
	case source.IsNull(v):
		return nil, nil
	case string(v) == `""`:
		return cell, nil
	}
	if err := readID(field, v, cell); err != nil {
		return nil, err
	}
	return cell, nil
}

// seconds reads a required unix-seconds time: a JSON number or a numeric
// string (source.UnixSeconds). v2's unix time format reads neither the
// string nor only whole seconds.
func seconds(field string, v jsontext.Value) (time.Time, error) {
	if source.IsNull(v) {
		return time.Time{}, fmt.Errorf("%s is missing", field)
	}
	return source.UnixSeconds(field, []byte(v))
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
