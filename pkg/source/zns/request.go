package zns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
)

// Dialect is what one reseller of the platform changes in the list call.
type Dialect struct {
	// Endpoint is the full URL of the list method, without credentials.
	Endpoint string
	// Authorize sets the credential headers of a request. Credentials
	// travel only there, never in the URL or the body, so they appear in
	// no error.
	Authorize func(h http.Header)
	// TimeType is filter.time_type, or "" to leave it out.
	TimeType string
}

// request is the list call's body.
type request struct {
	Filter filter `json:"filter"`
	Paging paging `json:"paging"`
}

type filter struct {
	DateFrom string `json:"date_from"`
	DateTo   string `json:"date_to"`
	TimeType string `json:"time_type,omitempty"`
	OAID     string `json:"oa_id,omitempty"`
}

type paging struct {
	Limit int    `json:"limit"`
	After string `json:"after,omitempty"`
}

// timeLayout is how window bounds are sent: RFC 3339 in UTC, to the second.
const timeLayout = "2006-01-02T15:04:05Z"

// body is the JSON body asking for the page of win after the cursor after
// ("" for the first page).
func (s *Source) body(win poll.Window, after string) []byte {
	b, err := json.Marshal(request{
		Filter: filter{DateFrom: win.From.UTC().Format(timeLayout), DateTo: win.To.UTC().Format(timeLayout), TimeType: s.dialect.TimeType, OAID: s.settings.OAID},
		Paging: paging{Limit: s.settings.PageSize, After: after},
	})
	if err != nil {
		panic("zns: the request body does not marshal: " + err.Error())
	}
	return b
}

// describe names a list call in errors: the endpoint, the window and the
// cursor; never a credential.
func (s *Source) describe(win poll.Window, after string) string {
	d := fmt.Sprintf("POST %s (date_from=%s, date_to=%s", s.endpoint, win.From.UTC().Format(timeLayout), win.To.UTC().Format(timeLayout))
	if after != "" {
		d += fmt.Sprintf(", after=%q", after)
	}
	return d + ")"
}

// fetch reads the page of win after the cursor after, its records decoded
// by dec.
func (s *Source) fetch(ctx context.Context, win poll.Window, after string, dec *decoder) (page, error) {
	body := s.body(win, after)
	var p page
	err := s.client.DoJSON(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.dialect.Endpoint, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		s.dialect.Authorize(req.Header)
		return req, nil
	}, func(resp []byte) (err error) {
		p, err = parsePage(resp, dec)
		var ve *vendorError
		if errors.As(err, &ve) {
			return fetch.Refused(fetch.ReasonVendor, err)
		}
		return err
	})
	if err != nil {
		return page{}, fetch.Describe(err, s.describe(win, after))
	}
	return p, nil
}

// windowBounds is for Position: the window read, "from/to" in RFC 3339.
func windowBounds(win poll.Window) string {
	return win.From.UTC().Format(time.RFC3339) + "/" + win.To.UTC().Format(time.RFC3339)
}
