package nhanh

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/vnstream/connector/pkg/config"
)

// Path is the conversation list endpoint, below the base URL.
const Path = "/v3.0/conversation/list"

// listRequest is the body of a list request:
//
//	{"filters":{"pageIds":[...],"type":2},
//	 "paginator":{"size":50,"sort":{"updatedAt":"asc"},"next":[1742545330,6478]}}
//
// Empty filters are left out ({} asks for every conversation), and so is
// next on the first page.
type listRequest struct {
	Filters   filters   `json:"filters"`
	Paginator paginator `json:"paginator"`
}

type filters struct {
	PageIDs []string `json:"pageIds,omitempty"`
	Type    int      `json:"type,omitempty"`
}

type paginator struct {
	Size int             `json:"size"`
	Sort sortOrder       `json:"sort"`
	Next json.RawMessage `json:"next,omitempty"`
}

// sortOrder is paginator.sort. The document's table calls the key
// updatedTime, its example updatedAt; the example's name is sent.
type sortOrder struct {
	UpdatedAt string `json:"updatedAt"`
}

// requestBody returns the JSON body asking for the page after next (the
// first page when next is empty), oldest update first.
func requestBody(cfg Settings, next json.RawMessage) ([]byte, error) {
	return json.Marshal(listRequest{
		Filters:   filters{PageIDs: cfg.PageIDs, Type: cfg.Type},
		Paginator: paginator{Size: cfg.PageSize, Sort: sortOrder{UpdatedAt: "asc"}, Next: next},
	})
}

// listURL is the endpoint with the appId and businessId query parameters
// (neither is a secret: the access token travels in a header).
func listURL(cfg Settings) string {
	q := url.Values{"appId": {cfg.AppID}, "businessId": {cfg.BusinessID}}
	return strings.TrimRight(cfg.BaseURL, "/") + Path + "?" + q.Encode()
}

// newRequest builds the POST of body to u, authorized with the access
// token: the Authorization header carries the token itself, no "Bearer".
func newRequest(ctx context.Context, u string, token config.Secret, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", token.Value())
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}
