package tiki

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vnstream/connector/pkg/source"
)

// page is the list response. Tiki's example names the array `data`, the
// field table names it `customer_responses`: both are accepted.
type page struct {
	Data *struct {
		Total             int64             `json:"total"`
		Data              []json.RawMessage `json:"data"`
		CustomerResponses []json.RawMessage `json:"customer_responses"`
	} `json:"data"`
}

// parsePage decodes a list response body into its raw records.
func parsePage(body []byte) ([]json.RawMessage, error) {
	var p page
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("response is not the documented JSON: %w; body %s", err, source.Quote(body))
	}
	if p.Data == nil {
		return nil, fmt.Errorf("response has no \"data\" object: %s", source.Quote(body))
	}
	if p.Data.Data != nil {
		return p.Data.Data, nil
	}
	return p.Data.CustomerResponses, nil
}

// wireResponse is a form response as Tiki sends it. The ids are kept raw
// and read by numeric, which accepts a string or a number and names the
// field when it is neither.
type wireResponse struct {
	ID        json.RawMessage `json:"id"`
	FormID    json.RawMessage `json:"form_id"`
	CreatedAt string          `json:"created_at"`
	Inputs    json.RawMessage `json:"inputs"`
}

var knownFields = []string{"id", "form_id", "created_at", "inputs"}

// response is one decoded record; err is set when it cannot become an event.
type response struct {
	value *FormResponse
	raw   json.RawMessage
	err   error
}

// decodeResponse converts one raw record. The id is returned whenever it
// can be read, even when the rest of the record is bad, so paging goes on.
func decodeResponse(raw json.RawMessage) (id string, r response) {
	r.raw = raw
	var w wireResponse
	if err := json.Unmarshal(raw, &w); err != nil {
		r.err = fmt.Errorf("form response (id unknown): %w", err)
		return "", r
	}
	var errs []error
	id, err := numeric("id", w.ID)
	if err != nil {
		errs = append(errs, err)
	}
	formID, err := numeric("form_id", w.FormID)
	if err != nil {
		errs = append(errs, err)
	}
	created, err := time.Parse(time.RFC3339, w.CreatedAt)
	if err != nil {
		errs = append(errs, fmt.Errorf("created_at %q is not RFC 3339", w.CreatedAt))
	}
	if len(bytes.TrimSpace(w.Inputs)) == 0 {
		errs = append(errs, errors.New("inputs is missing"))
	}
	extra, err := source.ExtraFields(raw, knownFields)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		name := id
		if name == "" {
			name = "(id unknown)"
		}
		r.err = fmt.Errorf("form response %s: %w", name, errors.Join(errs...))
		return id, r
	}
	v := &FormResponse{ID: id, FormID: formID, CreatedAt: created.UTC(), Inputs: string(w.Inputs)}
	if extra != nil {
		s := string(extra)
		v.ExtraJSON = &s
	}
	r.value = v
	return id, r
}

// numeric reads a decimal id that Tiki sends as a JSON string; a JSON
// number is accepted too, its digits kept exactly.
func numeric(field string, raw json.RawMessage) (string, error) {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 0 && s[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("%s: %w", field, err)
		}
	}
	if s == "" || s == "null" {
		return "", fmt.Errorf("%s is missing", field)
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return "", fmt.Errorf("%s %s is not a decimal number", field, string(raw))
		}
	}
	return s, nil
}
