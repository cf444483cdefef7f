package zns

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/vnstream/connector/pkg/source"
)

// message is one vendor record after decoding; err is set when it cannot
// become an event.
type message struct {
	value *Message
	key   *Key
	// id and updated name the record's version whenever they could be
	// read, even when the rest of it is bad: "" and zero otherwise.
	id      string
	updated time.Time
	raw     []byte
	err     error
}

// wire is a message as sent, filled by one v2 Unmarshal: where the value
// of each member the schema knows is in the input, and the members it
// does not know.
//
// No member is decoded as its Go type by v2, which stops at the first
// value of the wrong type (TestV2StopsAtTheFirstWrongType): a bad record
// must still name its id and updated_at, so that the overlap does not
// dead-letter it twice, and every problem it has. decoder.message checks
// and converts the members once the record is read.
type wire struct {
	ID             span `json:"id"`
	ShopID         span `json:"shop_id"`
	UserID         span `json:"user_id"`
	OAID           span `json:"oa_id"`
	CampaignID     span `json:"campaign_id"`
	JourneyID      span `json:"journey_id"`
	MsgID          span `json:"msg_id"`
	TrackingID     span `json:"tracking_id"`
	TemplateID     span `json:"template_id"`
	Type           span `json:"type"`
	Status         span `json:"status"`
	Phone          span `json:"phone"`
	TemplateData   span `json:"template_data"`
	ZlUserID       span `json:"zl_user_id"`
	IsDevelopment  span `json:"is_development"`
	IsCharged      span `json:"is_charged"`
	FeeMain        span `json:"fee_main"`
	FeeToken       span `json:"fee_token"`
	ErrorCode      span `json:"error_code"`
	ErrorMessage   span `json:"error_message"`
	Timeout        span `json:"timeout"`
	DeliveryStatus span `json:"delivery_status"`
	DeliveryTime   span `json:"delivery_time"`
	RequestTime    span `json:"request_time"`
	SentTime       span `json:"sent_time"`
	Rate           span `json:"rate"`
	Note           span `json:"note"`
	Feedback       span `json:"feedback"`
	SubmitTime     span `json:"submit_time"`
	CreatedAt      span `json:"created_at"`
	UpdatedAt      span `json:"updated_at"`
	// Extra is the members the schema does not know, as sent, in one
	// object: extra_json. v2 names this an embedded fallback: the option
	// is "embed" in go-json-experiment v1.27 (earlier versions and the
	// proposal said "unknown", which v1.27 ignores without an error,
	// leaving Extra empty).
	Extra jsontext.Value `json:",embed"`
}

// span is where a member's value is in the input, from and to; to is 0
// when the member was not sent. Of a member sent twice, the last counts.
type span struct{ from, to int64 }

// UnmarshalJSONFrom implements json.UnmarshalerFrom: it takes any value.
func (s *span) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	s.to = dec.InputOffset()
	s.from = s.to - int64(len(v))
	return err
}

// decoder decodes the records of one input, a page or a single record,
// reusing its wire from one record to the next. It is not safe for
// concurrent use.
type decoder struct {
	input []byte
	w     wire
	texts arena
}

// arena makes the texts of messages: it copies them into blocks of at
// least arenaBlock bytes, and the strings cut from a block share its one
// allocation. A strings.Builder never changes the bytes it has written,
// so a string it returned stays as it is while the builder is written to;
// a full block is replaced, never grown.
type arena struct {
	b       strings.Builder
	scratch []byte // a text being unquoted
}

const arenaBlock = 4 << 10

// string returns p as a string.
func (a *arena) string(p []byte) string {
	if a.b.Cap()-a.b.Len() < len(p) {
		a.b = strings.Builder{}
		a.b.Grow(max(arenaBlock, len(p)))
	}
	n := a.b.Len()
	a.b.Write(p)
	return a.b.String()[n:]
}

// unquote returns the content of the JSON string v (see
// source.AppendUnquote): a slice of v unless v has escapes or invalid
// UTF-8.
func (a *arena) unquote(v jsontext.Value) []byte {
	if bytes.IndexByte(v, '\\') < 0 && utf8.Valid(v) {
		return v[1 : len(v)-1]
	}
	a.scratch = source.AppendUnquote(a.scratch[:0], v)
	return a.scratch
}

// record is what decoding one record allocates, besides its texts: its
// message and key, and the values the message's nullable fields point to,
// as many of each type as the message has such fields.
type record struct {
	msg   Message
	key   Key
	strs  [18]string
	ints  [5]int64
	times [4]time.Time
	bools [2]bool
}

// conv is the conversion of one record: its fields' values so far, in
// slices of the record's arrays, and the problems of its members.
type conv struct {
	d        *decoder
	strs     []string
	ints     []int64
	times    []time.Time
	bools    []bool
	problems []problem
}

// problem is the problem of one member, with where its value is in the
// input, to tell the problems in the order the members were sent.
type problem struct {
	at  int64
	err error
}

// read converts the member name, which was sent at s unless s.to is 0,
// with parse, which reads the value and reports whether it is one (not
// null) or what is wrong with it: the value, zero unless read, and whether
// it was.
func read[T any](c *conv, name string, s span, parse func(jsontext.Value, *arena) (T, bool, error)) (v T, ok bool) {
	if s.to == 0 {
		return v, false
	}
	v, ok, err := parse(c.d.input[s.from:s.to], &c.d.texts)
	if err != nil {
		c.problems = append(c.problems, problem{s.from, fmt.Errorf("%s %w", name, err)})
	}
	return v, ok
}

// get is read for a nullable field: the value, appended to pool, or nil.
func get[T any](c *conv, name string, s span, parse func(jsontext.Value, *arena) (T, bool, error), pool *[]T) *T {
	v, ok := read(c, name, s, parse)
	if !ok {
		return nil
	}
	*pool = append(*pool, v)
	return &(*pool)[len(*pool)-1]
}

// value is the value read returned, for a required field.
func value[T any](v T, _ bool) T { return v }

// str, time, int and bool are get for each type of field.
func (c *conv) str(name string, s span, parse func(jsontext.Value, *arena) (string, bool, error)) *string {
	return get(c, name, s, parse, &c.strs)
}
func (c *conv) time(name string, s span) *time.Time { return get(c, name, s, parseTime, &c.times) }
func (c *conv) int(name string, s span) *int64      { return get(c, name, s, parseInt, &c.ints) }
func (c *conv) bool(name string, s span) *bool      { return get(c, name, s, parseBool, &c.bools) }

// decodeMessage decodes one record given as any bytes.
func decodeMessage(raw []byte) message {
	var d decoder
	return d.decode(raw)
}

// decode decodes one record given as any bytes. Each member's problem is
// reported; a record with any becomes an error that names the id when it
// could be read.
func (d *decoder) decode(raw []byte) message {
	if jsontext.Value(raw).Kind() != '{' {
		return notAnObject(raw)
	}
	d.input, d.w = raw, wire{Extra: d.w.Extra[:0]}
	if err := jsonv2.Unmarshal(raw, &d.w, source.DecodeOptions); err != nil {
		// Every member takes any JSON value: only the syntax can fail.
		return message{raw: raw, err: fmt.Errorf("zns message (id unknown) is not valid JSON: %w", err)}
	}
	return d.message(raw)
}

// notAnObject is the bad record raw, a JSON value but an object, or not
// JSON. (v2 would read null as an empty object: it is refused, like every
// other value, before decoding.)
func notAnObject(raw []byte) message {
	if v := jsontext.Value(raw); v.IsValid(source.DecodeOptions) {
		return message{raw: raw, err: fmt.Errorf("zns message (id unknown) is %s, want a JSON object", source.JSONTypeArticle(v))}
	}
	return message{raw: raw, err: errors.New("zns message (id unknown) is not valid JSON")}
}

// decodeFrom decodes the record that dec, reading d.input, is at. An error
// is dec's: the text is not JSON.
func (d *decoder) decodeFrom(dec *jsontext.Decoder) (message, error) {
	start := dec.InputOffset()
	if dec.PeekKind() != '{' {
		if err := dec.SkipValue(); err != nil {
			return message{}, err
		}
		return notAnObject(trimValue(d.input[start:dec.InputOffset()])), nil
	}
	d.w = wire{Extra: d.w.Extra[:0]}
	if err := jsonv2.UnmarshalDecode(dec, &d.w); err != nil {
		return message{}, err
	}
	return d.message(trimValue(d.input[start:dec.InputOffset()])), nil
}

// trimValue returns the value that ends b, which dec has read since the
// end of the token before it: without the comma and whitespace before it.
func trimValue(b []byte) []byte {
	return bytes.TrimLeft(b, ", \t\n\r")
}

// message checks and converts the record raw, which d.w holds.
func (d *decoder) message(raw []byte) message {
	w, rec := &d.w, new(record)
	c := &conv{d: d, strs: rec.strs[:0], ints: rec.ints[:0], times: rec.times[:0], bools: rec.bools[:0]}
	m := &rec.msg
	*m = Message{
		ID: value(read(c, "id", w.ID, parseMessageID)), ShopID: c.str("shop_id", w.ShopID, parseID),
		UserID: c.str("user_id", w.UserID, parseID), OAID: c.str("oa_id", w.OAID, parseID),
		CampaignID: c.str("campaign_id", w.CampaignID, parseID), JourneyID: c.str("journey_id", w.JourneyID, parseID),
		MsgID: c.str("msg_id", w.MsgID, parseString), TrackingID: c.str("tracking_id", w.TrackingID, parseString),
		TemplateID: c.str("template_id", w.TemplateID, parseID), Type: c.str("type", w.Type, parseString),
		Status: c.str("status", w.Status, parseString), Phone: c.str("phone", w.Phone, parseString),
		TemplateData: c.str("template_data", w.TemplateData, parseObject), ZlUserID: c.str("zl_user_id", w.ZlUserID, parseID),
		IsDevelopment: c.bool("is_development", w.IsDevelopment), IsCharged: c.bool("is_charged", w.IsCharged),
		FeeMain: c.int("fee_main", w.FeeMain), FeeToken: c.int("fee_token", w.FeeToken),
		ErrorCode: c.int("error_code", w.ErrorCode), ErrorMessage: c.str("error_message", w.ErrorMessage, parseString),
		Timeout: c.int("timeout", w.Timeout), DeliveryStatus: c.str("delivery_status", w.DeliveryStatus, parseString),
		Rate: c.int("rate", w.Rate), Note: c.str("note", w.Note, parseString),
		DeliveryTime: c.time("delivery_time", w.DeliveryTime), SentTime: c.time("sent_time", w.SentTime),
		RequestTime: c.time("request_time", w.RequestTime), SubmitTime: c.time("submit_time", w.SubmitTime),
		Feedback:  c.str("feedback", w.Feedback, parseArray),
		CreatedAt: value(read(c, "created_at", w.CreatedAt, parseVersionTime)),
		UpdatedAt: value(read(c, "updated_at", w.UpdatedAt, parseVersionTime)),
	}
	if len(w.Extra) > 0 {
		c.strs = append(c.strs, d.texts.string(w.Extra))
		m.ExtraJSON = &c.strs[len(c.strs)-1]
	}

	// The problems of the members in the order they were sent, then the
	// required members the record lacks.
	slices.SortFunc(c.problems, func(a, b problem) int { return cmp.Compare(a.at, b.at) })
	var errs []error
	for _, p := range c.problems {
		errs = append(errs, p.err)
	}
	for _, req := range [...]struct {
		name string
		at   span
	}{{"id", w.ID}, {"created_at", w.CreatedAt}, {"updated_at", w.UpdatedAt}} {
		if req.at.to == 0 {
			errs = append(errs, errors.New(req.name+" is missing"))
		}
	}
	r := message{raw: raw, id: m.ID, updated: m.UpdatedAt}
	if errs != nil {
		r.err = fmt.Errorf("zns message %s: %w", cmp.Or(m.ID, "(id unknown)"), errors.Join(errs...))
		return r
	}
	rec.key.ID = m.ID
	r.value, r.key = m, &rec.key
	return r
}

// The parse functions read a member's value v, its texts made by a, and
// report whether it is one (not null) or what is wrong with it.

// parseMessageID reads the message id: an id, neither null nor empty.
func parseMessageID(v jsontext.Value, a *arena) (string, bool, error) {
	switch string(v) {
	case "null":
		return "", false, errors.New("is null")
	case `""`:
		return "", false, errors.New("is empty")
	}
	return parseID(v, a)
}

// parseID reads an id: a JSON string (kept as sent, even empty) or an
// integer (its digits kept, never through float64).
func parseID(v jsontext.Value, a *arena) (string, bool, error) {
	if v.Kind() != '0' {
		return parseText(v, a, '"', "a string or an integer")
	}
	if !source.IsInteger(v) {
		return "", false, fmt.Errorf("%s is not a 64-bit integer", v)
	}
	return a.string(v), true, nil
}

// parseString, parseObject and parseArray read a JSON string, and keep a
// JSON object or array byte for byte.
func parseString(v jsontext.Value, a *arena) (string, bool, error) {
	return parseText(v, a, '"', "a string")
}
func parseObject(v jsontext.Value, a *arena) (string, bool, error) {
	return parseText(v, a, '{', "an object")
}
func parseArray(v jsontext.Value, a *arena) (string, bool, error) {
	return parseText(v, a, '[', "an array")
}

// parseText reads v, null or of the kind want names, as text: a string's
// content, any other value as sent.
func parseText(v jsontext.Value, a *arena, kind jsontext.Kind, want string) (string, bool, error) {
	switch k := v.Kind(); {
	case k == 'n':
		return "", false, nil
	case k != kind:
		return "", false, wrongType(v, want)
	case k == '"':
		return a.string(a.unquote(v)), true, nil
	}
	return a.string(v), true, nil
}

// parseBool reads a JSON boolean.
func parseBool(v jsontext.Value, _ *arena) (bool, bool, error) {
	switch v.Kind() {
	case 'n':
		return false, false, nil
	case 't', 'f':
		return v.Kind() == 't', true, nil
	}
	return false, false, wrongType(v, "a boolean")
}

// parseInt reads a 64-bit integer sent as a JSON number or, as protobuf's
// JSON mapping writes 64-bit integers, a decimal string.
func parseInt(v jsontext.Value, _ *arena) (int64, bool, error) {
	switch v.Kind() {
	case 'n':
		return 0, false, nil
	case '0', '"':
		n, err := strconv.ParseInt(string(bytes.Trim(v, `"`)), 10, 64)
		if err != nil {
			return 0, false, fmt.Errorf("%s is not a 64-bit integer", v)
		}
		return n, true, nil
	}
	return 0, false, wrongType(v, "an integer")
}

// parseTime reads an optional RFC 3339 time; an empty string counts as
// null.
func parseTime(v jsontext.Value, a *arena) (time.Time, bool, error) {
	if string(v) == "null" || string(v) == `""` {
		return time.Time{}, false, nil
	}
	return parseRFC3339(v, a)
}

// parseVersionTime reads created_at or updated_at: an RFC 3339 time, not
// the zero time (0001-01-01T00:00:00Z, what Go sends for a time never
// set), which cannot place a version.
func parseVersionTime(v jsontext.Value, a *arena) (time.Time, bool, error) {
	t, ok, err := parseRFC3339(v, a)
	if ok && t.IsZero() {
		return t, false, fmt.Errorf("%s is the zero time", v)
	}
	return t, ok, err
}

// parseRFC3339 reads an RFC 3339 time, in UTC.
func parseRFC3339(v jsontext.Value, a *arena) (time.Time, bool, error) {
	if v.Kind() != '"' {
		return time.Time{}, false, wrongType(v, "an RFC 3339 time string")
	}
	t, err := time.Parse(time.RFC3339Nano, string(a.unquote(v)))
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%s is not an RFC 3339 time", source.Quote(v))
	}
	return t.UTC(), true, nil
}

// wrongType is the problem of a value that is not of the JSON type want.
func wrongType(v jsontext.Value, want string) error {
	return fmt.Errorf("is %s, want %s", source.JSONTypeArticle(v), want)
}
