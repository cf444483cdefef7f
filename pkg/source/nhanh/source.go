// Package nhanh is the nhanh_conversation source: the conversations of
// Nhanh.vn vPage (POST /v3.0/conversation/list?appId=..&businessId=..,
// header Authorization: <access token>).
//
// The API has no time filter: it pages with an opaque keyset cursor
// (paginator.next, [updatedAt, internal id] in the document's example)
// over conversations sorted by updatedAt ascending. A conversation moves
// to the end of that order each time it changes, so resuming from the
// stored cursor sees every change. The source is the poll.Engine in
// keyset mode: a poll reads pages from the cursor (up to 20, in one
// transaction) and never moves its cursor past now − lag.
//
// Assumptions where Nhanh's document is silent:
//   - next is stored as given (whitespace compacted) and sent back as
//     given; the source never looks inside it. null or a missing next means
//     there is no page after this one.
//   - A failed answer has code other than 1, an errorCode string and
//     messages that may be a string, an array or an object. The errorCodes
//     ERR_INVALID_ACCESS_TOKEN, ERR_EXPIRED_ACCESS_TOKEN,
//     ERR_INVALID_APP_ID and ERR_INVALID_BUSINESS_ID are auth errors
//     (fetch.ReasonAuth); any other code is a fetch.ReasonVendor error.
//   - Only strict JSON is accepted: the document's example has a trailing
//     comma, which is a decode error (fetch.ReasonDecode).
//   - "data": null is an empty page, like []; an answer with code 1 and no
//     data at all is a decode error.
//   - Times are unix seconds (a JSON number, or a numeric string).
//   - The fields both of the document's examples carry are required; a
//     conversation without one of them, or with a field of the wrong type,
//     goes to the dead-letter topic rather than being guessed.
//     assignedGroupId, lastSeenMessageAt, isFromLive and pagePostId are
//     optional (each is missing from one example).
//   - Ids (id, pageId, pageUserId, pagePostId, assignedGroupId) may come as
//     strings or integers; an integer's digits are kept exactly.
//   - The sort key is sent as "updatedAt" (the example's name; the
//     document's table says updatedTime).
//   - Nhanh serves only a conversation's current version: once a newer
//     version of an id has been seen, an older one is never served again.
//   - The end of the data is an empty page or a null next, never a short
//     page (vendors cap page sizes silently): after any page that moved
//     the cursor the source polls again at once (more = true).
package nhanh

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
)

// Source reads the conversations of one Nhanh business: the polling
// engine in keyset mode over the list API (see poll.Engine for how a
// poll reads pages from the cursor, never past now − lag, and when it
// adopts a page's next).
type Source = poll.Engine

// New returns the source named name for cfg, sending requests through
// client. cfg is used as given (config applies the defaults: page size 50,
// lag 2s).
func New(name string, cfg Settings, client *fetch.Client, opts ...poll.Option) *Source {
	return poll.NewKeyset(name, cfg.Lag, cfg.PageSize, &api{name: name, cfg: cfg, client: client, url: listURL(cfg)}, opts...)
}

// api is Nhanh's list API as the engine reads it.
type api struct {
	name   string
	cfg    Settings
	client *fetch.Client
	url    string
}

// Page implements poll.API: the page after the cursor req.Token (the
// first page when it is empty), oldest update first; Next is
// paginator.next compacted, "" when Nhanh sent null.
func (a *api) Page(ctx context.Context, req poll.Request) (poll.Page, error) {
	pg, err := a.fetch(ctx, req)
	if err != nil {
		return poll.Page{}, err
	}
	items := poll.PageItems(len(pg.data))
	for i, raw := range pg.data {
		c := decodeConversation(raw)
		items[i] = poll.Item{ID: c.id, Time: c.updated, Raw: c.raw, Err: c.err}
		if c.id != "" {
			items[i].Key = &Key{ID: c.id}
		}
		if v := c.value; v != nil {
			items[i].Created, items[i].Value = v.CreatedAt, v
		}
	}
	return poll.Page{Items: items, Next: string(pg.next)}, nil
}

// Describe implements poll.API: method, URL (appId and businessId, no
// secret) and the cursor sent.
func (a *api) Describe(req poll.Request) string {
	next := "none"
	if req.Token != "" {
		next = req.Token
	}
	return "POST " + a.url + " (next=" + next + ")"
}

// fetch reads the page after the cursor req.Token.
func (a *api) fetch(ctx context.Context, req poll.Request) (page, error) {
	body, err := requestBody(a.cfg, json.RawMessage(req.Token))
	if err != nil {
		return page{}, &fetch.Error{Source: a.name, Request: a.Describe(req), Reason: fetch.ReasonCursor, Msg: "building the request body", Err: err}
	}
	var pg page
	err = a.client.DoJSON(ctx, func(ctx context.Context) (*http.Request, error) {
		return newRequest(ctx, a.url, a.cfg.AccessToken, body)
	}, func(resp []byte) (err error) {
		// Page reads the conversations from the body after DoJSON has
		// taken it back (source.Elements): a copy.
		pg, err = parsePage(bytes.Clone(resp))
		var ve *vendorError
		if errors.As(err, &ve) {
			reason := fetch.ReasonVendor
			if ve.auth() {
				reason = fetch.ReasonAuth
			}
			return fetch.Refused(reason, ve)
		}
		return err
	})
	if err != nil {
		return page{}, fetch.Describe(err, a.Describe(req))
	}
	return pg, nil
}
