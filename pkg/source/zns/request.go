package zns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
)

// Dialect is what one reseller of the platform changes in the list call.
type Dialect struct {
	// Path is appended to the base URL to make the list method's URL.
	Path string
	// KeyHeader is the header that carries the API key, after KeyPrefix.
	KeyHeader, KeyPrefix string
	// TimeType is filter.time_type, or "" to leave it out.
	TimeType string
	// BaseURL is the default base URL, "" when the base is required.
	BaseURL string
	// BaseURLHint ends the error of a missing base URL.
	BaseURLHint string
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
func (a *api) body(win poll.Window, after string) []byte {
	b, err := json.Marshal(request{
		Filter: filter{DateFrom: win.From.UTC().Format(timeLayout), DateTo: win.To.UTC().Format(timeLayout), TimeType: a.dialect.TimeType, OAID: a.settings.OAID},
		Paging: paging{Limit: a.settings.PageSize, After: after},
	})
	if err != nil {
		panic("zns: the request body does not marshal: " + err.Error())
	}
	return b
}

// Describe implements poll.API: the endpoint, the window and the cursor;
// never a credential.
func (a *api) Describe(req poll.Request) string {
	win := req.Window
	d := fmt.Sprintf("POST %s (date_from=%s, date_to=%s", a.shown, win.From.UTC().Format(timeLayout), win.To.UTC().Format(timeLayout))
	if req.Token != "" {
		d += fmt.Sprintf(", after=%q", req.Token)
	}
	return d + ")"
}

// fetch reads the page req asks for, its records decoded by dec.
func (a *api) fetch(ctx context.Context, req poll.Request, dec *decoder) (page, error) {
	body := a.body(req.Window, req.Token)
	var p page
	err := a.client.DoJSON(ctx, func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, a.endpoint, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Accept", "application/json")
		a.authorize(r.Header)
		return r, nil
	}, func(resp []byte) (err error) {
		p, err = parsePage(resp, dec)
		p.ownRaw()
		var ve *vendorError
		if errors.As(err, &ve) {
			return fetch.Refused(fetch.ReasonVendor, err)
		}
		return err
	})
	if err != nil {
		return page{}, fetch.Describe(err, a.Describe(req))
	}
	return p, nil
}
