package zns

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

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
	raw     json.RawMessage
	err     error
}

// known reports whether the record's version (id, updated) could be read.
func (m *message) known() bool { return m.id != "" && !m.updated.IsZero() }

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

// decoder turns vendor records into Messages. Every string of a message is
// a slice of one allocation: the decoder collects their text in buf and
// assigns them through fixes at the end. It reuses its buffers from one
// record to the next and is not safe for concurrent use.
type decoder struct {
	buf   []byte
	fixes []fix
	extra []byte // the unknown members, until they join buf
}

// decodeMessage decodes one record given as any bytes.
func decodeMessage(raw []byte) message {
	if !source.Valid(raw) {
		return message{raw: raw, err: errors.New("zns message (id unknown) is not valid JSON")}
	}
	var d decoder
	return d.decode(raw)
}

// decode converts one record, which must be valid JSON (a page is
// validated whole). Each field's problem is reported; a record with any
// becomes an error that names the id when it could be read.
func (d *decoder) decode(raw []byte) message {
	r := message{raw: raw}
	it, ok := source.Object(raw)
	if !ok {
		r.err = fmt.Errorf("zns message (id unknown) is %s, want a JSON object", source.KindArticle(bytes.TrimSpace(raw)))
		return r
	}
	c := &decoded{}
	m := &c.msg
	d.buf, d.fixes, d.extra = d.buf[:0], d.fixes[:0], d.extra[:0]
	var errs []error
	// saw* is whether the member was there at all, have* whether it was
	// read: a member that is there but bad has its own error already.
	var sawID, sawCreated, sawUpdated, haveID, haveUpdated bool
	for {
		key, v, ok := it.Next()
		if !ok {
			break
		}
		var err error
		field := source.Name(key)
		switch string(field) {
		case "id":
			err = d.id(v, &m.ID)
			sawID, haveID = true, err == nil
		case "shop_id":
			err = d.optID(v, &m.ShopID, &c.shopID)
		case "user_id":
			err = d.optID(v, &m.UserID, &c.userID)
		case "oa_id":
			err = d.optID(v, &m.OAID, &c.oaID)
		case "campaign_id":
			err = d.optID(v, &m.CampaignID, &c.campaignID)
		case "journey_id":
			err = d.optID(v, &m.JourneyID, &c.journeyID)
		case "msg_id":
			err = d.optString(v, &m.MsgID, &c.msgID)
		case "tracking_id":
			err = d.optString(v, &m.TrackingID, &c.trackingID)
		case "template_id":
			err = d.optID(v, &m.TemplateID, &c.templateID)
		case "type":
			err = d.optString(v, &m.Type, &c.typ)
		case "status":
			err = d.optString(v, &m.Status, &c.status)
		case "phone":
			err = d.optString(v, &m.Phone, &c.phone)
		case "template_data":
			err = d.optJSON(v, '{', &m.TemplateData, &c.templateData)
		case "zl_user_id":
			err = d.optID(v, &m.ZlUserID, &c.zlUserID)
		case "is_development":
			err = optBool(v, &m.IsDevelopment, &c.isDevelopment)
		case "is_charged":
			err = optBool(v, &m.IsCharged, &c.isCharged)
		case "fee_main":
			err = optInt(v, &m.FeeMain, &c.feeMain)
		case "fee_token":
			err = optInt(v, &m.FeeToken, &c.feeToken)
		case "error_code":
			err = optInt(v, &m.ErrorCode, &c.errorCode)
		case "error_message":
			err = d.optString(v, &m.ErrorMessage, &c.errorMessage)
		case "timeout":
			err = optInt(v, &m.Timeout, &c.timeout)
		case "delivery_status":
			err = d.optString(v, &m.DeliveryStatus, &c.deliveryStatus)
		case "delivery_time":
			err = optTime(v, &m.DeliveryTime, &c.deliveryTime)
		case "request_time":
			err = optTime(v, &m.RequestTime, &c.requestTime)
		case "sent_time":
			err = optTime(v, &m.SentTime, &c.sentTime)
		case "rate":
			err = optInt(v, &m.Rate, &c.rate)
		case "note":
			err = d.optString(v, &m.Note, &c.note)
		case "feedback":
			err = d.optJSON(v, '[', &m.Feedback, &c.feedback)
		case "submit_time":
			err = optTime(v, &m.SubmitTime, &c.submitTime)
		case "created_at":
			err = reqTime(v, &m.CreatedAt)
			sawCreated = true
		case "updated_at":
			err = reqTime(v, &m.UpdatedAt)
			sawUpdated, haveUpdated = true, err == nil
		default:
			d.extra = source.AppendMember(d.extra, key, v)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %w", field, err))
		}
	}
	if len(d.extra) > 0 {
		start := len(d.buf)
		d.buf = append(append(d.buf, d.extra...), '}')
		d.keep(&c.extra, start)
		m.ExtraJSON = &c.extra
	}
	text := string(d.buf)
	for _, f := range d.fixes {
		*f.dst = text[f.start:f.end]
	}
	for _, req := range [...]struct {
		saw  bool
		name string
	}{{sawID, "id"}, {sawCreated, "created_at"}, {sawUpdated, "updated_at"}} {
		if !req.saw {
			errs = append(errs, errors.New(req.name+" is missing"))
		}
	}
	if haveID {
		r.id = m.ID
	}
	if haveUpdated {
		r.updated = m.UpdatedAt
	}
	if len(errs) > 0 {
		who := "(id unknown)"
		if haveID {
			who = m.ID
		}
		r.err = fmt.Errorf("zns message %s: %w", who, errors.Join(errs...))
		return r
	}
	c.key.ID = m.ID
	r.value, r.key = m, &c.key
	return r
}

// keep records that the text from start to the end of buf goes to cell.
func (d *decoder) keep(cell *string, start int) {
	d.fixes = append(d.fixes, fix{cell, start, len(d.buf)})
}

// id reads the required message id: a non-empty JSON string, or an
// integer whose digits are kept as sent.
func (d *decoder) id(v []byte, dst *string) error {
	if v[0] == 'n' {
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
func (d *decoder) optID(v []byte, dst **string, cell *string) error {
	if v[0] == 'n' {
		*dst = nil
		return nil
	}
	start := len(d.buf)
	if err := d.appendID(v); err != nil {
		return err
	}
	d.keep(cell, start)
	*dst = cell
	return nil
}

// appendID appends the text of an id sent as a string or an integer.
func (d *decoder) appendID(v []byte) error {
	switch {
	case v[0] == '"':
		d.buf = appendText(d.buf, v)
	case isInteger(v):
		d.buf = append(d.buf, v...)
	case source.Kind(v) == "number":
		return fmt.Errorf("%s is not a 64-bit integer", v)
	default:
		return fmt.Errorf("is %s, want a string or an integer", source.KindArticle(v))
	}
	return nil
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

// optString reads an optional JSON string.
func (d *decoder) optString(v []byte, dst **string, cell *string) error {
	switch v[0] {
	case 'n':
		*dst = nil
		return nil
	case '"':
		start := len(d.buf)
		d.buf = appendText(d.buf, v)
		d.keep(cell, start)
		*dst = cell
		return nil
	}
	return fmt.Errorf("is %s, want a string", source.KindArticle(v))
}

// optJSON keeps an optional JSON object (open '{') or array (open '[')
// byte for byte.
func (d *decoder) optJSON(v []byte, open byte, dst **string, cell *string) error {
	switch v[0] {
	case 'n':
		*dst = nil
		return nil
	case open:
		start := len(d.buf)
		d.buf = append(d.buf, v...)
		d.keep(cell, start)
		*dst = cell
		return nil
	}
	want := "an object"
	if open == '[' {
		want = "an array"
	}
	return fmt.Errorf("is %s, want %s", source.KindArticle(v), want)
}

// optBool reads an optional JSON boolean.
func optBool(v []byte, dst **bool, cell *bool) error {
	switch string(v) {
	case "null":
		*dst = nil
	case "true", "false":
		*cell = v[0] == 't'
		*dst = cell
	default:
		return fmt.Errorf("is %s, want a boolean", source.KindArticle(v))
	}
	return nil
}

// optInt reads an optional 64-bit integer sent as a JSON number or, as
// protobuf's JSON mapping writes 64-bit integers, a decimal string.
func optInt(v []byte, dst **int64, cell *int64) error {
	digits := v
	switch v[0] {
	case 'n':
		*dst = nil
		return nil
	case '"':
		digits = v[1 : len(v)-1]
	}
	n, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil {
		if source.Kind(v) == "number" || v[0] == '"' {
			return fmt.Errorf("%s is not a 64-bit integer", v)
		}
		return fmt.Errorf("is %s, want an integer", source.KindArticle(v))
	}
	*cell = n
	*dst = cell
	return nil
}

// optTime reads an optional RFC 3339 time; an empty string counts as
// null.
func optTime(v []byte, dst **time.Time, cell *time.Time) error {
	if v[0] == 'n' || string(v) == `""` {
		*dst = nil
		return nil
	}
	if err := reqTime(v, cell); err != nil {
		return err
	}
	*dst = cell
	return nil
}

// reqTime reads a required RFC 3339 time into *dst, in UTC.
func reqTime(v []byte, dst *time.Time) error {
	if v[0] != '"' {
		return fmt.Errorf("is %s, want an RFC 3339 time string", source.KindArticle(v))
	}
	t, ok := source.ParseRFC3339(v[1 : len(v)-1])
	if !ok {
		return fmt.Errorf("%s is not an RFC 3339 time", source.Quote(v))
	}
	*dst = t
	return nil
}

// appendText appends the content of the valid JSON string v to dst,
// unescaped; invalid UTF-8 becomes U+FFFD as encoding/json does.
func appendText(dst, v []byte) []byte {
	text, _ := source.Unquote(v) // v is a valid JSON string
	return append(dst, text...)
}
