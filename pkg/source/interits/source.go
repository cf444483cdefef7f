// Package interits is the interits_zns source: the Zalo ZNS messages of
// one InterITS CPaaS account (POST {base}/api/vendor/v1/zalo/list-messages
// with the API-KEY header).
//
// InterITS resells the platform eTelecom also sells; the walk, the message
// decoding and the entity are package zns's (see its documentation for the
// paging and windowing rules). What is InterITS's own:
//   - the path below the base URL (default https://cpaas.interits.com) and
//     the API-KEY header;
//   - no filter.time_type: InterITS does not document it, so it is not
//     sent, and date_from/date_to are ASSUMED to filter on the update time
//     as eTelecom's default does. Were they to filter on creation time,
//     later changes of older messages (delivery status, ratings) would be
//     missed;
//   - its messages lack is_development, zl_user_id and request_time (null
//     in the events) and may carry ids as JSON numbers, kept digit for
//     digit.
package interits

import (
	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/source/zns"
)

// Path is the list endpoint, below the base URL.
const Path = "/api/vendor/v1/zalo/list-messages"

// Dialect is how InterITS differs on the platform.
var Dialect = zns.Dialect{Path: Path, KeyHeader: "API-KEY", BaseURL: DefaultBaseURL}

// Source reads one InterITS account: zns.Source.
type Source = zns.Source

// New returns the source named name for cfg, sending requests through
// client.
func New(name string, cfg zns.Settings, client *fetch.Client, opts ...poll.Option) *Source {
	return zns.New(name, Dialect, cfg, client, opts...)
}
