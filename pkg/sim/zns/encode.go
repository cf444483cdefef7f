package znssim

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vnstream/connector/pkg/sim"
	"github.com/vnstream/connector/pkg/source"
)

// ict is the zone InterITS writes times in (Indochina Time, UTC+7).
var ict = time.FixedZone("ICT", 7*3600)

// maxMembers bounds the standard members of a message.
const maxMembers = 32

// object writes a JSON object member by member, remembering where each
// member's value is so that Extra can be merged in afterwards.
type object struct {
	b       []byte
	members [maxMembers]struct {
		name       string
		start, end int
	}
	n int
}

// key starts the member name.
func (o *object) key(name string) {
	if o.n > 0 {
		o.b = append(o.b, ',')
	}
	o.b = sim.AppendString(o.b, name)
	o.b = append(o.b, ':')
	o.members[o.n].name, o.members[o.n].start = name, len(o.b)
}

// done ends the member started by key.
func (o *object) done() {
	o.members[o.n].end = len(o.b)
	o.n++
}

func (o *object) str(name, v string) {
	if v != "" {
		o.key(name)
		o.b = sim.AppendString(o.b, v)
		o.done()
	}
}

// id writes an id as a JSON number when asNumber and it is numeric, as a
// string otherwise.
func (o *object) id(name, v string, asNumber bool) {
	if asNumber && source.Digits(v) {
		o.key(name)
		o.b = append(o.b, v...)
		o.done()
		return
	}
	o.str(name, v)
}

func (o *object) num(name string, n int64) {
	o.key(name)
	o.b = strconv.AppendInt(o.b, n, 10)
	o.done()
}

func (o *object) flag(name string, v bool) {
	o.key(name)
	o.b = strconv.AppendBool(o.b, v)
	o.done()
}

func (o *object) raw(name string, v []byte) {
	if v != nil {
		o.key(name)
		o.b = append(o.b, v...)
		o.done()
	}
}

// time writes t in the dialect's format; a zero t is left out.
func (o *object) time(name string, t time.Time, inter bool) {
	if t.IsZero() {
		return
	}
	o.key(name)
	o.b = append(o.b, '"')
	if inter {
		o.b = t.In(ict).AppendFormat(o.b, time.RFC3339Nano)
	} else {
		o.b = t.UTC().AppendFormat(o.b, "2006-01-02T15:04:05.000Z07:00")
	}
	o.b = append(o.b, '"')
	o.done()
}

// encode returns r as the Sim's dialect serves it (see Record).
func (s *Sim) encode(r *Record) []byte {
	inter := s.dialect == InterITS
	o := &object{b: make([]byte, 0, 1024)}
	o.b = append(o.b, '{')
	o.str("campaign_id", r.CampaignID)
	o.time("created_at", r.CreatedAt, inter)
	o.str("delivery_status", r.DeliveryStatus)
	o.time("delivery_time", r.DeliveryTime, inter)
	o.num("error_code", r.ErrorCode)
	o.str("error_message", r.ErrorMessage)
	o.num("fee_main", r.FeeMain)
	o.num("fee_token", r.FeeToken)
	o.raw("feedback", r.Feedback)
	o.id("id", r.ID, inter && (r.ID[len(r.ID)-1]-'0')%2 == 1)
	o.flag("is_charged", r.IsCharged)
	if !inter {
		o.flag("is_development", r.IsDevelopment)
	}
	o.str("journey_id", r.JourneyID)
	o.str("msg_id", r.MsgID)
	o.str("note", r.Note)
	o.str("oa_id", r.OAID)
	o.str("phone", r.Phone)
	o.num("rate", r.Rate)
	if !inter {
		o.time("request_time", r.RequestTime, inter)
	}
	o.time("sent_time", r.SentTime, inter)
	o.id("shop_id", r.ShopID, inter)
	o.str("status", r.Status)
	o.time("submit_time", r.SubmitTime, inter)
	o.raw("template_data", r.TemplateData)
	o.id("template_id", r.TemplateID, true)
	o.num("timeout", r.Timeout)
	o.str("tracking_id", r.TrackingID)
	o.str("type", r.Type)
	o.time("updated_at", r.UpdatedAt, inter)
	o.id("user_id", r.UserID, inter)
	if !inter {
		o.str("zl_user_id", r.ZlUserID)
	}
	o.b = append(o.b, '}')
	if len(r.Extra) == 0 {
		return o.b
	}
	return o.merge(r.Extra)
}

// merge returns the object with extra merged in by name: a new name is
// added, a standard one replaced.
func (o *object) merge(extra map[string]json.RawMessage) []byte {
	type member struct {
		name  string
		value []byte
	}
	ms := make([]member, 0, o.n+len(extra))
	for _, m := range o.members[:o.n] {
		if _, replaced := extra[m.name]; !replaced {
			ms = append(ms, member{m.name, o.b[m.start:m.end]})
		}
	}
	for k, v := range extra {
		ms = append(ms, member{k, v})
	}
	slices.SortFunc(ms, func(a, b member) int { return strings.Compare(a.name, b.name) })
	b := make([]byte, 0, len(o.b)+64*len(extra))
	b = append(b, '{')
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = sim.AppendString(b, m.name)
		b = append(b, ':')
		b = append(b, m.value...)
	}
	return append(b, '}')
}
