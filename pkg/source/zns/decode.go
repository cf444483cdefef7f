package zns

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

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

// known reports whether the record's version (id, updated) could be read.
func (m *message) known() bool { return m.id != "" && !m.updated.IsZero() }

// wire is a message as sent: the JSON text of each member the schema
// knows (empty when the member is absent, "null" when it is null), and
// the others gathered into one object by v2.
//
// Every member is read as a jsontext.Value, not as its Go type, and
// checked by decode: v2 stops at the first value of the wrong type
// (TestV2StopsAtTheFirstWrongType), and a bad record must still name its
// id and updated_at, so that the overlap does not dead-letter it twice,
// and every problem it has.
type wire struct {
	ID             jsontext.Value `json:"id"`
	ShopID         jsontext.Value `json:"shop_id"`
	UserID         jsontext.Value `json:"user_id"`
	OAID           jsontext.Value `json:"oa_id"`
	CampaignID     jsontext.Value `json:"campaign_id"`
	JourneyID      jsontext.Value `json:"journey_id"`
	MsgID          jsontext.Value `json:"msg_id"`
	TrackingID     jsontext.Value `json:"tracking_id"`
	TemplateID     jsontext.Value `json:"template_id"`
	Type           jsontext.Value `json:"type"`
	Status         jsontext.Value `json:"status"`
	Phone          jsontext.Value `json:"phone"`
	TemplateData   jsontext.Value `json:"template_data"`
	ZlUserID       jsontext.Value `json:"zl_user_id"`
	IsDevelopment  jsontext.Value `json:"is_development"`
	IsCharged      jsontext.Value `json:"is_charged"`
	FeeMain        jsontext.Value `json:"fee_main"`
	FeeToken       jsontext.Value `json:"fee_token"`
	ErrorCode      jsontext.Value `json:"error_code"`
	ErrorMessage   jsontext.Value `json:"error_message"`
	Timeout        jsontext.Value `json:"timeout"`
	DeliveryStatus jsontext.Value `json:"delivery_status"`
	DeliveryTime   jsontext.Value `json:"delivery_time"`
	RequestTime    jsontext.Value `json:"request_time"`
	SentTime       jsontext.Value `json:"sent_time"`
	Rate           jsontext.Value `json:"rate"`
	Note           jsontext.Value `json:"note"`
	Feedback       jsontext.Value `json:"feedback"`
	SubmitTime     jsontext.Value `json:"submit_time"`
	CreatedAt      jsontext.Value `json:"created_at"`
	UpdatedAt      jsontext.Value `json:"updated_at"`
	// Extra is the members the schema does not know, as sent, in one
	// object: extra_json. v2 names this an embedded fallback: the option
	// is "embed" in go-json-experiment v1.27 (earlier versions and the
	// proposal said "unknown", which v1.27 ignores without an error,
	// leaving Extra empty).
	Extra jsontext.Value `json:",embed"`
}

// reset empties every member, keeping the buffers: v2 merges into the
// struct it is given, and a jsontext.Value decodes into its own buffer.
func (w *wire) reset() {
	for _, v := range [...]*jsontext.Value{&w.ID, &w.ShopID, &w.UserID, &w.OAID, &w.CampaignID, &w.JourneyID, &w.MsgID,
		&w.TrackingID, &w.TemplateID, &w.Type, &w.Status, &w.Phone, &w.TemplateData, &w.ZlUserID, &w.IsDevelopment,
		&w.IsCharged, &w.FeeMain, &w.FeeToken, &w.ErrorCode, &w.ErrorMessage, &w.Timeout, &w.DeliveryStatus,
		&w.DeliveryTime, &w.RequestTime, &w.SentTime, &w.Rate, &w.Note, &w.Feedback, &w.SubmitTime, &w.CreatedAt,
		&w.UpdatedAt, &w.Extra} {
		*v = (*v)[:0]
	}
}

// decoded is a Message with the values its nullable fields point to, so
// that a decoded message is a single allocation.
type decoded struct {
	msg Message
	key Key

	shopID, userID, oaID, campaignID, journeyID, msgID, trackingID, templateID string
	typ, status, phone, templateData, zlUserID, errorMessage                   string
	deliveryStatus, note, feedback, extra                                      string
	isDevelopment, isCharged                                                   bool
	feeMain, feeToken, errorCode, timeout, rate                                int64
	deliveryTime, requestTime, sentTime, submitTime                            time.Time
}

// fix says where a piece of the decoder's text buffer goes once the buffer
// has become the message's one string.
type fix struct {
	dst        *string
	start, end int
}

// memberError is the problem of one member.
type memberError struct {
	name string
	err  error
}

// decoder turns vendor records into Messages. Every string of a message is
// a slice of one allocation: the decoder collects their text in buf and
// assigns them through fixes at the end. It reuses its buffers from one
// record to the next and is not safe for concurrent use.
type decoder struct {
	w     wire
	buf   []byte
	fixes []fix
	errs  []memberError
	tmp   []byte // a time's text
}

// decodeMessage decodes one record given as any bytes.
func decodeMessage(raw []byte) message {
	var d decoder
	return d.decode(raw)
}

// decode converts one record given as any bytes. Each member's problem is
// reported; a record with any becomes an error that names the id when it
// could be read.
func (d *decoder) decode(raw []byte) message {
	if v := jsontext.Value(raw); v.Kind() != '{' {
		// v2 would read null as an empty object: refuse it, and every
		// other value, before decoding.
		r := message{raw: raw}
		if v.IsValid(source.DecodeOptions) {
			r.err = fmt.Errorf("zns message (id unknown) is %s, want a JSON object", source.JSONTypeArticle(v))
		} else {
			r.err = errors.New("zns message (id unknown) is not valid JSON")
		}
		return r
	}
	d.w.reset()
	if err := jsonv2.Unmarshal(raw, &d.w, source.DecodeOptions); err != nil {
		// Every member takes any JSON value: only the syntax can fail.
		return message{raw: raw, err: fmt.Errorf("zns message (id unknown) is not valid JSON: %w", err)}
	}
	return d.convert(raw)
}

// decodeFrom decodes the record, a JSON object, that dec is at; body is
// what dec reads, and the record's bytes are a slice of it. An error is
// dec's: the text is not JSON.
func (d *decoder) decodeFrom(dec *jsontext.Decoder, body []byte) (message, error) {
	start := dec.InputOffset()
	d.w.reset()
	if err := jsonv2.UnmarshalDecode(dec, &d.w); err != nil {
		return message{}, err
	}
	return d.convert(trimValue(body[start:dec.InputOffset()])), nil
}

// trimValue returns the value that ends b, which dec has read since the
// end of the token before it: without the comma and whitespace before it.
func trimValue(b []byte) []byte {
	return bytes.TrimLeft(b, ", \t\n\r")
}

// convert checks and converts the record raw, which d.w holds.
func (d *decoder) convert(raw []byte) message {
	r := message{raw: raw}
	w := &d.w
	c := &decoded{}
	m := &c.msg
	d.buf, d.fixes, d.errs = d.buf[:0], d.fixes[:0], d.errs[:0]

	haveID := len(w.ID) > 0 && d.check("id", d.id(w.ID, &m.ID))
	d.optID("shop_id", w.ShopID, &m.ShopID, &c.shopID)
	d.optID("user_id", w.UserID, &m.UserID, &c.userID)
	d.optID("oa_id", w.OAID, &m.OAID, &c.oaID)
	d.optID("campaign_id", w.CampaignID, &m.CampaignID, &c.campaignID)
	d.optID("journey_id", w.JourneyID, &m.JourneyID, &c.journeyID)
	d.optString("msg_id", w.MsgID, &m.MsgID, &c.msgID)
	d.optString("tracking_id", w.TrackingID, &m.TrackingID, &c.trackingID)
	d.optID("template_id", w.TemplateID, &m.TemplateID, &c.templateID)
	d.optString("type", w.Type, &m.Type, &c.typ)
	d.optString("status", w.Status, &m.Status, &c.status)
	d.optString("phone", w.Phone, &m.Phone, &c.phone)
	d.optJSON("template_data", w.TemplateData, '{', &m.TemplateData, &c.templateData)
	d.optID("zl_user_id", w.ZlUserID, &m.ZlUserID, &c.zlUserID)
	d.optBool("is_development", w.IsDevelopment, &m.IsDevelopment, &c.isDevelopment)
	d.optBool("is_charged", w.IsCharged, &m.IsCharged, &c.isCharged)
	d.optInt("fee_main", w.FeeMain, &m.FeeMain, &c.feeMain)
	d.optInt("fee_token", w.FeeToken, &m.FeeToken, &c.feeToken)
	d.optInt("error_code", w.ErrorCode, &m.ErrorCode, &c.errorCode)
	d.optString("error_message", w.ErrorMessage, &m.ErrorMessage, &c.errorMessage)
	d.optInt("timeout", w.Timeout, &m.Timeout, &c.timeout)
	d.optString("delivery_status", w.DeliveryStatus, &m.DeliveryStatus, &c.deliveryStatus)
	d.optTime("delivery_time", w.DeliveryTime, &m.DeliveryTime, &c.deliveryTime)
	d.optTime("request_time", w.RequestTime, &m.RequestTime, &c.requestTime)
	d.optTime("sent_time", w.SentTime, &m.SentTime, &c.sentTime)
	d.optInt("rate", w.Rate, &m.Rate, &c.rate)
	d.optString("note", w.Note, &m.Note, &c.note)
	d.optJSON("feedback", w.Feedback, '[', &m.Feedback, &c.feedback)
	d.optTime("submit_time", w.SubmitTime, &m.SubmitTime, &c.submitTime)
	if len(w.CreatedAt) > 0 {
		d.check("created_at", d.reqTime(w.CreatedAt, &m.CreatedAt))
	}
	haveUpdated := len(w.UpdatedAt) > 0 && d.check("updated_at", d.reqTime(w.UpdatedAt, &m.UpdatedAt))
	if len(w.Extra) > 0 {
		start := len(d.buf)
		d.buf = append(d.buf, w.Extra...)
		d.keep(&c.extra, start)
		m.ExtraJSON = &c.extra
	}
	text := string(d.buf)
	for _, f := range d.fixes {
		*f.dst = text[f.start:f.end]
	}

	if haveID {
		r.id = m.ID
	}
	if haveUpdated {
		r.updated = m.UpdatedAt
	}
	if err := d.problems(raw); err != nil {
		who := "(id unknown)"
		if haveID {
			who = m.ID
		}
		r.err = fmt.Errorf("zns message %s: %w", who, err)
		return r
	}
	c.key.ID = m.ID
	r.value, r.key = m, &c.key
	return r
}

// check records err, the problem of the member name, if any, and reports
// whether there was none.
func (d *decoder) check(name string, err error) bool {
	if err != nil {
		d.errs = append(d.errs, memberError{name, err})
	}
	return err == nil
}

// problems joins the record's problems, nil when it has none: those of
// its members in the order they were sent, then the required members it
// lacks.
func (d *decoder) problems(raw []byte) error {
	w := &d.w
	if len(d.errs) == 0 && len(w.ID) > 0 && len(w.CreatedAt) > 0 && len(w.UpdatedAt) > 0 {
		return nil
	}
	if len(d.errs) > 1 {
		order := memberOrder(raw)
		slices.SortStableFunc(d.errs, func(a, b memberError) int { return cmp.Compare(order[a.name], order[b.name]) })
	}
	var errs []error
	for _, e := range d.errs {
		errs = append(errs, fmt.Errorf("%s %w", e.name, e.err))
	}
	for _, req := range [...]struct {
		v    jsontext.Value
		name string
	}{{w.ID, "id"}, {w.CreatedAt, "created_at"}, {w.UpdatedAt, "updated_at"}} {
		if len(req.v) == 0 {
			errs = append(errs, errors.New(req.name+" is missing"))
		}
	}
	return errors.Join(errs...)
}

// memberOrder returns the place of each top-level member of the valid
// object raw, by its last occurrence (the one that counts). v2 fills a
// struct in the order members come but tells no order, so this reads the
// names again; only a record with several problems needs it.
func memberOrder(raw []byte) map[string]int {
	order := make(map[string]int)
	dec := jsontext.NewDecoder(bytes.NewReader(raw), source.DecodeOptions)
	if _, err := dec.ReadToken(); err != nil {
		return order
	}
	for i := 0; dec.PeekKind() == '"'; i++ {
		name, err := dec.ReadToken()
		if err != nil {
			return order
		}
		order[name.String()] = i
		if err := dec.SkipValue(); err != nil {
			return order
		}
	}
	return order
}

// keep records that the text from start to the end of buf goes to cell.
func (d *decoder) keep(cell *string, start int) {
	d.fixes = append(d.fixes, fix{cell, start, len(d.buf)})
}

// id reads the required message id: a non-empty JSON string, or an
// integer whose digits are kept as sent.
func (d *decoder) id(v jsontext.Value, dst *string) error {
	if v.Kind() == 'n' {
		return errors.New("is null")
	}
	start := len(d.buf)
	if err := d.appendID(v); err != nil {
		return err
	}
	if len(d.buf) == start {
		return errors.New("is empty")
	}
	d.keep(dst, start)
	return nil
}

// optID reads an optional id: a JSON string (kept as sent, even empty), an
// integer (its digits kept, never through float64), or null.
func (d *decoder) optID(name string, v jsontext.Value, dst **string, cell *string) {
	if len(v) == 0 || v.Kind() == 'n' {
		return
	}
	start := len(d.buf)
	if d.check(name, d.appendID(v)) {
		d.keep(cell, start)
		*dst = cell
	}
}

// appendID appends the text of an id sent as a string or an integer.
func (d *decoder) appendID(v jsontext.Value) error {
	switch v.Kind() {
	case '"':
		d.buf = source.AppendUnquote(d.buf, v)
	case '0':
		if !source.IsInteger(v) {
			return fmt.Errorf("%s is not a 64-bit integer", v)
		}
		d.buf = append(d.buf, v...)
	default:
		return fmt.Errorf("is %s, want a string or an integer", source.JSONTypeArticle(v))
	}
	return nil
}

// optString reads an optional JSON string.
func (d *decoder) optString(name string, v jsontext.Value, dst **string, cell *string) {
	switch v.Kind() {
	case 0, 'n':
	case '"':
		start := len(d.buf)
		d.buf = source.AppendUnquote(d.buf, v)
		d.keep(cell, start)
		*dst = cell
	default:
		d.check(name, fmt.Errorf("is %s, want a string", source.JSONTypeArticle(v)))
	}
}

// optJSON keeps an optional JSON object (open '{') or array (open '[')
// byte for byte.
func (d *decoder) optJSON(name string, v jsontext.Value, open jsontext.Kind, dst **string, cell *string) {
	switch v.Kind() {
	case 0, 'n':
	case open:
		start := len(d.buf)
		d.buf = append(d.buf, v...)
		d.keep(cell, start)
		*dst = cell
	default:
		want := "an object"
		if open == '[' {
			want = "an array"
		}
		d.check(name, fmt.Errorf("is %s, want %s", source.JSONTypeArticle(v), want))
	}
}

// optBool reads an optional JSON boolean.
func (d *decoder) optBool(name string, v jsontext.Value, dst **bool, cell *bool) {
	switch v.Kind() {
	case 0, 'n':
	case 't', 'f':
		*cell = v.Kind() == 't'
		*dst = cell
	default:
		d.check(name, fmt.Errorf("is %s, want a boolean", source.JSONTypeArticle(v)))
	}
}

// optInt reads an optional 64-bit integer sent as a JSON number or, as
// protobuf's JSON mapping writes 64-bit integers, a decimal string.
func (d *decoder) optInt(name string, v jsontext.Value, dst **int64, cell *int64) {
	digits := v
	switch v.Kind() {
	case 0, 'n':
		return
	case '"':
		digits = v[1 : len(v)-1]
	case '0':
	default:
		d.check(name, fmt.Errorf("is %s, want an integer", source.JSONTypeArticle(v)))
		return
	}
	n, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil {
		d.check(name, fmt.Errorf("%s is not a 64-bit integer", v))
		return
	}
	*cell = n
	*dst = cell
}

// optTime reads an optional RFC 3339 time; an empty string counts as
// null.
func (d *decoder) optTime(name string, v jsontext.Value, dst **time.Time, cell *time.Time) {
	if len(v) == 0 || v.Kind() == 'n' || string(v) == `""` {
		return
	}
	if d.check(name, d.parseTime(v, cell)) {
		*dst = cell
	}
}

// reqTime reads a required RFC 3339 time. The zero time
// (0001-01-01T00:00:00Z, what Go sends for a time never set) is refused:
// it cannot place a version.
func (d *decoder) reqTime(v jsontext.Value, dst *time.Time) error {
	if err := d.parseTime(v, dst); err != nil {
		return err
	}
	if dst.IsZero() {
		return fmt.Errorf("%s is the zero time", v)
	}
	return nil
}

// parseTime reads an RFC 3339 time into *dst, in UTC.
func (d *decoder) parseTime(v jsontext.Value, dst *time.Time) error {
	if v.Kind() != '"' {
		return fmt.Errorf("is %s, want an RFC 3339 time string", source.JSONTypeArticle(v))
	}
	d.tmp = source.AppendUnquote(d.tmp[:0], v)
	t, err := time.Parse(time.RFC3339Nano, string(d.tmp))
	if err != nil {
		return fmt.Errorf("%s is not an RFC 3339 time", source.Quote(v))
	}
	*dst = t.UTC()
	return nil
}
