package nxlink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
)

// Path is the customers query endpoint, below the base URL.
const Path = "/saas/cdp/openapi/customers/query"

// TimeLayout is the layout of start_time and end_time, zone-less in the
// tenant's time zone.
const TimeLayout = "2006-01-02 15:04:05"

// query is the request body, in the order sent. app_key is a secret: the
// body never appears in errors.
type query struct {
	TenantID  int64  `json:"tenant_id"`
	AppKey    string `json:"app_key"`
	StartTime string `json:"start_time"`
	EndTime   string `json:"end_time"`
	Limit     int    `json:"limit"`
	After     *int64 `json:"after,omitempty"`
}

// fetch reads the page req asks for, after after (from the start when
// unset). The body is marshalled once; each attempt signs it with a fresh
// ts.
func (a *api) fetch(ctx context.Context, req poll.Request, after cursor) (page, error) {
	win := req.Window
	q := query{
		TenantID:  a.cfg.TenantID,
		AppKey:    a.cfg.AppKey.Value(),
		StartTime: win.From.In(a.loc).Format(TimeLayout),
		EndTime:   win.To.In(a.loc).Format(TimeLayout),
		Limit:     a.cfg.PageSize,
	}
	if after.ok {
		q.After = &after.id
	}
	body, err := json.Marshal(q)
	if err != nil {
		return page{}, fmt.Errorf("source %s: encoding the query: %w", a.name, err)
	}
	var p page
	err = a.client.DoJSON(ctx, func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		ts := a.now().UnixMilli()
		// Set directly, the names keep the document's spelling.
		r.Header["Content-Type"] = []string{"application/json"}
		r.Header["accessKey"] = []string{a.cfg.AccessKey}
		r.Header["ts"] = []string{strconv.FormatInt(ts, 10)}
		r.Header["bizType"] = []string{BizType}
		r.Header["action"] = []string{Action}
		r.Header["sign"] = []string{Sign(a.cfg.AccessKey, a.cfg.AccessSecret.Value(), ts, body)}
		return r, nil
	}, func(answer []byte) (err error) {
		// Page reads the customers from the body after DoJSON has
		// taken it back (source.Elements): a copy.
		p, err = parsePage(bytes.Clone(answer))
		var ve *vendorError
		if errors.As(err, &ve) {
			return fetch.Refused(ve.reason(), err)
		}
		return err
	})
	if err != nil {
		return page{}, fetch.Describe(err, a.Describe(req))
	}
	return p, nil
}

// Describe implements poll.API: the request without the headers and the
// app_key, for errors.
func (a *api) Describe(req poll.Request) string {
	after := req.Token
	if after == "" {
		after = "none"
	}
	return fmt.Sprintf("POST %s (tenant_id %d, start_time %q, end_time %q, after %s)", a.url, a.cfg.TenantID,
		req.Window.From.In(a.loc).Format(TimeLayout), req.Window.To.In(a.loc).Format(TimeLayout), after)
}
