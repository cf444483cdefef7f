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

// fetch reads one page of win after after (from the start when unset).
// The body is marshalled once; each attempt signs it with a fresh ts.
func (s *Source) fetch(ctx context.Context, win poll.Window, after cursor) (page, error) {
	q := query{
		TenantID:  s.cfg.TenantID,
		AppKey:    s.cfg.AppKey.Value(),
		StartTime: win.From.In(s.loc).Format(TimeLayout),
		EndTime:   win.To.In(s.loc).Format(TimeLayout),
		Limit:     s.cfg.PageSize,
	}
	if after.ok {
		q.After = &after.id
	}
	body, err := json.Marshal(q)
	if err != nil {
		return page{}, fmt.Errorf("source %s: encoding the query: %w", s.name, err)
	}
	var p page
	err = s.client.DoJSON(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		ts := s.now().UnixMilli()
		// Set directly, the names keep the document's spelling.
		req.Header["Content-Type"] = []string{"application/json"}
		req.Header["accessKey"] = []string{s.cfg.AccessKey}
		req.Header["ts"] = []string{strconv.FormatInt(ts, 10)}
		req.Header["bizType"] = []string{BizType}
		req.Header["action"] = []string{Action}
		req.Header["sign"] = []string{Sign(s.cfg.AccessKey, s.cfg.AccessSecret.Value(), ts, body)}
		return req, nil
	}, func(answer []byte) (err error) {
		p, err = parsePage(answer)
		var ve *vendorError
		if errors.As(err, &ve) {
			return fetch.Refused(ve.reason(), err)
		}
		return err
	})
	if err != nil {
		return page{}, fetch.Describe(err, s.describe(win, after))
	}
	return p, nil
}

// describe renders the request for win after after, without the headers
// and the app_key, for errors.
func (s *Source) describe(win poll.Window, after cursor) string {
	return fmt.Sprintf("POST %s (tenant_id %d, start_time %q, end_time %q, after %s)", s.url, s.cfg.TenantID,
		win.From.In(s.loc).Format(TimeLayout), win.To.In(s.loc).Format(TimeLayout), after)
}
