// Package zns reads Zalo ZNS (Zalo Notification Service) messages from the
// list API that InterITS CPaaS and eTelecom Zalo Cloud both resell: the
// same platform, the same body {"filter": {...}, "paging": {...}}, the same
// answer {"messages": [...], "paging": {"next": ...}} and the same message
// fields. Packages interits and etelecom supply a Dialect (path, key
// header, time_type, default base URL); this package does the rest, the
// settings included, and its entity, schemas/zalo/zns_message, is shared
// by both sources.
//
// A message changes after it is sent (delivery status, then the
// recipient's rating, feedback and note), and each change stamps a new
// updated_at: (id, updated_at) is one version. The source is the
// poll.Engine in window mode: it reads bounded windows of update time
// (lag, overlap, halving above MaxWindowRecords), follows the cursor
// through each window, and emits the window's versions in write order,
// (updated_at, id), as one batch: op r during the initial backfill, c for
// a message new to the connector, u for a newer version of one it has
// seen.
//
// Assumptions where the vendor documents are silent or wrong:
//   - date_from and date_to filter on updated_at and are inclusive, sent
//     as RFC 3339 in UTC to the second. eTelecom says its default
//     time_type is updated_time and the source sends it explicitly;
//     InterITS does not document time_type, so nothing is sent and its
//     filter is assumed to be the same update time. An exclusive date_to
//     loses nothing: the next window re-reads the overlap (at least 1s).
//     Versions outside the window the vendor returns anyway are dropped,
//     so a wider filter costs reads, not correctness.
//   - InterITS answers like eTelecom (its document's response example
//     repeats the request).
//   - Paging: the next page is asked for with paging.after set to the
//     previous answer's paging.next; an empty or absent next ends the
//     window, a short page does not (vendors cap page sizes silently). An
//     empty page that still has a next is followed, at most
//     poll.DefaultMaxEmptyPages in a row; a next already requested in the
//     walk is a ReasonCursor error. paging.sort is not sent and the
//     answer's order does not matter: a window is sorted before it is
//     emitted, and a version served twice in one walk is emitted once.
//   - Ids (id, shop_id, user_id, campaign_id, journey_id, template_id,
//     oa_id, zl_user_id) may be JSON strings or integers; an integer keeps
//     its digits exactly, a string is kept as sent (an empty id is a bad
//     record). Numeric ids order as integers, before any non-numeric id,
//     which order as text.
//   - Member names match exactly, case included; of a member repeated in
//     one message the last wins.
//   - Integer fields (fee_main, fee_token, error_code, timeout, rate) may
//     be JSON numbers or decimal strings (protobuf's JSON for 64 bits).
//   - Times must be RFC 3339 with a zone; an empty string is null. A time
//     without a zone is a bad record, not a guess.
//   - template_data must be an object and feedback an array; both are kept
//     byte for byte. Top-level fields not in the schema go to extra_json.
//   - A non-2xx answer is classified by the shared client (401/403 auth,
//     429 and 5xx retried). A 2xx answer holding the platform's error
//     object (a "code" other than 0, "" or "ok", or a "msg"/"message"
//     without messages or paging) is a ReasonVendor error quoting it.
//   - A bad record whose id and updated_at can be read is filtered and
//     remembered like a good one, so the overlap does not send it to the
//     dead-letter topic twice; one without them is sent each time it is
//     read.
package zns

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
)

// Settings configure an interits_zns or etelecom_zns source (its
// `interits:` or `etelecom:` section): the ZNS messages of one account.
type Settings struct {
	// BaseURL is what the dialect's Path is appended to: InterITS's CPaaS
	// base, or eTelecom's Twirp service prefix. Required; the dialect's
	// DefaultSettings may give it.
	BaseURL string `yaml:"base_url"`
	// APIKey is the account's key (InterITS's API-KEY header, eTelecom's
	// Bearer key, a shop key for partner accounts); it must come from
	// ${ENV} or APIKeyFile.
	APIKey     config.Secret `yaml:"api_key"`
	APIKeyFile string        `yaml:"api_key_file"`
	// OAID limits the messages to one Zalo Official Account (filter.oa_id).
	// Optional: "" reads every Official Account.
	OAID string `yaml:"oa_id"`
	// PageSize is paging.limit, 1..1000. Default 100.
	PageSize       int `yaml:"page_size"`
	poll.Windowing `yaml:",inline"`

	// baseURLHint ends the error of a missing BaseURL.
	baseURLHint string
}

// DefaultPageSize is the default paging.limit.
const DefaultPageSize = 100

// DefaultSettings returns Settings holding the defaults of d.
func (d Dialect) DefaultSettings() *Settings {
	return &Settings{BaseURL: d.BaseURL, PageSize: DefaultPageSize, Windowing: poll.DefaultWindowing(time.Hour), baseURLHint: d.BaseURLHint}
}

// Check implements config.Settings.
func (s *Settings) Check(add func(setting, problem string)) {
	if s.BaseURL == "" {
		add("base_url", "required"+s.baseURLHint)
	} else {
		config.CheckURL(add, "base_url", s.BaseURL)
	}
	config.RequireSecret(add, "api_key", s.APIKey)
	config.CheckRange(add, "page_size", s.PageSize, 1000)
	s.Windowing.Check(add)
}

// Source reads the ZNS messages of one vendor account: the polling engine
// in window mode over the list API.
type Source = poll.Engine

// New returns the source named name that lists messages the way dialect
// says, sending requests through client.
func New(name string, dialect Dialect, settings Settings, client *fetch.Client, opts ...poll.Option) *Source {
	endpoint := strings.TrimRight(settings.BaseURL, "/") + dialect.Path
	shown := endpoint
	if u, err := url.Parse(endpoint); err == nil {
		u.User = nil
		shown = u.String()
	}
	key := settings.APIKey
	a := &api{dialect: dialect, settings: settings, endpoint: endpoint, shown: shown, client: client,
		authorize: func(h http.Header) { h.Set(dialect.KeyHeader, dialect.KeyPrefix+key.Value()) }}
	return poll.NewWindowed(name, poll.WindowsFor(settings.Windowing), a, opts...)
}

// api is the platform's list API as the engine reads it.
type api struct {
	dialect  Dialect
	settings Settings
	endpoint string // the list method's URL
	shown    string // endpoint without user info, for errors
	// authorize sets the credential header of a request. Credentials
	// travel only there, never in the URL or the body, so they appear in
	// no error.
	authorize func(h http.Header)
	client    *fetch.Client
}

// Page implements poll.API: the page of req.Window after the cursor
// req.Token; an empty or absent paging.next ends the window.
func (a *api) Page(ctx context.Context, req poll.Request) (poll.Page, error) {
	var dec decoder
	p, err := a.fetch(ctx, req, &dec)
	if err != nil {
		return poll.Page{}, err
	}
	items := poll.PageItems(len(p.messages))
	for i, m := range p.messages {
		items[i] = poll.Item{ID: m.id, Time: m.updated, Raw: m.raw, Err: m.err}
		if m.value != nil {
			items[i].Created, items[i].Key, items[i].Value = m.value.CreatedAt, m.key, m.value
		}
	}
	return poll.Page{Items: items, More: p.next != "", Next: p.next}, nil
}
