// Package etelecom is the etelecom_zns source: the Zalo ZNS messages of
// one eTelecom Zalo Cloud shop (POST {base}.Zalo/ListMessages with
// Authorization: Bearer <key>).
//
// eTelecom's API is Twirp style: the base URL ends in the service prefix
// (e.g. https://api.etelecom.vn/v1/shop; the document names none, so it is
// required) and ".Zalo/ListMessages" is appended with no slash. The walk,
// the message decoding and the entity are package zns's (see its
// documentation for the paging and windowing rules). What is eTelecom's
// own:
//   - filter.time_type is sent as "updated_time" (the documented default,
//     made explicit) so that every change of a message is seen;
//   - ids (id, shop_id, user_id, campaign_id) are 64-bit integers sent as
//     JSON strings, kept as strings;
//   - its messages carry is_development, zl_user_id and request_time.
package etelecom

import (
	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/source/zns"
)

// Method is appended to the base URL (the Twirp service prefix).
const Method = ".Zalo/ListMessages"

// TimeType is the filter.time_type the source sends.
const TimeType = "updated_time"

// Dialect is how eTelecom differs on the platform.
var Dialect = zns.Dialect{Path: Method, KeyHeader: "Authorization", KeyPrefix: "Bearer ", TimeType: TimeType, BaseURLHint: ": the service prefix .Zalo/ListMessages is appended to, e.g. https://api.etelecom.vn/v1/shop"}

// Source reads one eTelecom shop: zns.Source.
type Source = zns.Source

// New returns the source named name for cfg, sending requests through
// client.
func New(name string, cfg zns.Settings, client *fetch.Client, opts ...poll.Option) *Source {
	return zns.New(name, Dialect, cfg, client, opts...)
}
