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

// wireResponse is a form response as Tiki sends it.
type wireResponse struct {
	ID        numericString   `json:"id"`
	FormID    numericString   `json:"form_id"`
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
		var idOnly struct {
			ID numericString `json:"id"`
		}
		_ = json.Unmarshal(raw, &idOnly)
		r.err = fmt.Errorf("form response %s: %w", idOnly.ID.orUnknown(), err)
		return string(idOnly.ID), r
	}
	id = string(w.ID)
	var errs []error
	if id == "" {
		errs = append(errs, errors.New("id is missing"))
	}
	if w.FormID == "" {
		errs = append(errs, errors.New("form_id is missing"))
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
		r.err = fmt.Errorf("form response %s: %w", w.ID.orUnknown(), errors.Join(errs...))
		return id, r
	}
	v := &FormResponse{ID: id, FormID: string(w.FormID), CreatedAt: created.UTC(), Inputs: string(w.Inputs)}
	if extra != nil {
		s := string(extra)
		v.ExtraJSON = &s
	}
	r.value = v
	return id, r
}

// numericString is a decimal id that Tiki sends as a JSON string; a JSON
// number is accepted too, digits kept exactly.
type numericString string

func (n *numericString) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	if s == "null" || s == "" {
		*n = ""
		return nil
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return fmt.Errorf("id %q is not a decimal number", s)
		}
	}
	*n = numericString(s)
	return nil
}

func (n numericString) orUnknown() string {
	if n == "" {
		return "(id unknown)"
	}
	return string(n)
}
