package source

import (
	"fmt"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// DecodeOptions are the encoding/json/v2 options every provider decodes
// with. They relax what v2 refuses and encoding/json (v1) accepts, so that
// one record's oddity does not refuse its page: a member name sent twice
// (the last one counts; objects sent twice merge) and invalid UTF-8 in a
// string (read as U+FFFD). Member names match exactly, case included:
// v2's default.
var DecodeOptions = json.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// IsNull reports whether a member is absent (an empty value) or null.
func IsNull(v jsontext.Value) bool { return len(v) == 0 || v.Kind() == 'n' }

// IsInteger reports whether the JSON number v is an integer that fits in
// 64 bits, signed or unsigned.
func IsInteger(v jsontext.Value) bool {
	if _, err := strconv.ParseInt(string(v), 10, 64); err == nil {
		return true
	}
	_, err := strconv.ParseUint(string(v), 10, 64)
	return err == nil
}

// AppendUnquote appends the content of the JSON string v, read with
// DecodeOptions, to dst: invalid UTF-8 and lone surrogates become U+FFFD,
// as encoding/json reads them, which is all jsontext.AppendUnquote's error
// could report.
func AppendUnquote(dst []byte, v jsontext.Value) []byte {
	dst, _ = jsontext.AppendUnquote(dst, v)
	return dst
}

// Unquote returns the content of the JSON string v (see AppendUnquote).
func Unquote(v jsontext.Value) string {
	var buf [128]byte
	return string(AppendUnquote(buf[:0], v))
}

// NotDocumented is the error for a vendor answer that is not the JSON its
// document describes: why, and the start of the body.
func NotDocumented(err error, body []byte) error {
	return fmt.Errorf("response is not the documented JSON: %w; body %s", err, Quote(body))
}

// Elements is a member that should be a JSON array of records, read
// without copying them: each element is the part of Body it was read
// from. Set Body to the document decoded (the []byte given to
// json.Unmarshal) before decoding; with Body nil the elements are copies.
type Elements struct {
	Body []byte
	// List holds the elements when the member is an array (empty, not
	// nil, for []); nil otherwise.
	List []jsontext.Value
	// Other is the member when it is not an array, null included.
	Other jsontext.Value
	// Sent says the member was there.
	Sent bool
}

// UnmarshalJSONFrom reads the member; of a member sent twice, the last
// counts.
func (e *Elements) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	e.List, e.Other, e.Sent = nil, nil, true
	if dec.PeekKind() != '[' {
		v, err := dec.ReadValue()
		e.Other = v.Clone()
		return err
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	e.List = []jsontext.Value{}
	for dec.PeekKind() != ']' {
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		if e.Body == nil {
			e.List = append(e.List, v.Clone())
			continue
		}
		end := dec.InputOffset()
		e.List = append(e.List, e.Body[end-int64(len(v)):end:end])
	}
	_, err := dec.ReadToken()
	return err
}
