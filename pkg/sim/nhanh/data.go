package nhanhsim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/vnstream/connector/pkg/sim"
)

// Record is one stored conversation, with the fields Nhanh serves.
type Record struct {
	// ID is the conversation id, unique in the Sim: pageId_pageUserId for
	// a message thread, pagePostId_pageUserId for a comment thread.
	ID string
	// InternalID is the vendor's own numeric id, unique in the Sim: the
	// second half of the keyset, [updatedAt, internal id]. Add assigns the
	// next free one when it is 0.
	InternalID int64
	// Channel is the social network (1).
	Channel int
	// Type is 1 for a comment thread, 2 for a message thread.
	Type           int
	CustomerAvatar string
	PageID         string
	PageUserID     string
	PageUserName   string
	HasReply       bool
	// AssignedGroupID is served when not nil.
	AssignedGroupID *string
	HasPhone        bool
	// CreatedAt and UpdatedAt have second resolution: they are stored
	// truncated to the second, in UTC, and served as unix seconds. The
	// conversations are ordered by UpdatedAt, then InternalID.
	CreatedAt time.Time
	UpdatedAt time.Time
	// LastSeenMessageAt is served, in unix seconds, when not nil.
	LastSeenMessageAt *time.Time
	LastMessage       string
	// Status is 1 unread, 2 read.
	Status int
	// IsFromLive is served when not nil.
	IsFromLive *int
	// PagePostID is served when not nil.
	PagePostID *string
	// Extra holds top-level members served with the record, in key order
	// after the standard ones; may be nil. A key that names a standard
	// field (e.g. "status") replaces that field's value where it stands,
	// which serves a field of the wrong type. Values must be valid JSON.
	Extra map[string]json.RawMessage
}

// standardFields are the members Nhanh serves, in the order the document's
// first example lists them.
var standardFields = []string{"id", "channel", "type", "customerAvatar", "pageId", "pageUserId", "pageUserName",
	"hasReply", "assignedGroupId", "hasPhone", "createdAt", "updatedAt", "lastSeenMessageAt", "lastMessage",
	"status", "isFromLive", "pagePostId"}

// Create stores a new conversation created and updated at at (truncated to
// the second) with realistic generated content, and returns a copy. Its
// internal id is the next free one; its content depends on that id alone:
// one in three is a comment thread under a post of a page, the others are
// message threads, spread over the Sim's pages (WithPages), with a
// Vietnamese customer name and a first message that may carry a phone
// number (hasPhone). It is unread (status 1) and not yet replied to.
func (s *Sim) Create(at time.Time) Record {
	s.dataMu.Lock()
	defer s.dataMu.Unlock()
	iid := s.data.freeIID()
	r := generate(iid, s.pages, at)
	base := r.ID
	for n := 2; s.data.byID[r.ID] != nil; n++ {
		r.ID = fmt.Sprintf("%s_%d", base, n) // taken by Add
	}
	e := newEntry(r)
	s.data.insert(e)
	return e.record()
}

// Update changes the conversation id the way a vPage conversation changes,
// stamps it updated at at (truncated to the second) and returns a copy.
// Updates alternate: a new customer message (status unread, hasReply
// false, hasPhone once a message carries a phone number), then the page's
// answer (status read, hasReply true, lastSeenMessageAt = at on message
// threads). The conversation moves to its new place in the updatedAt
// order; an update within the second of the previous one keeps its place
// and its updatedAt, as at the vendor. It fails for an unknown id or an at
// before the current UpdatedAt.
func (s *Sim) Update(id string, at time.Time) (Record, error) {
	at = at.UTC().Truncate(time.Second)
	s.dataMu.Lock()
	defer s.dataMu.Unlock()
	e := s.data.byID[id]
	if e == nil {
		return Record{}, fmt.Errorf("nhanhsim: no conversation %q", id)
	}
	if at.Before(e.rec.UpdatedAt) {
		return Record{}, fmt.Errorf("nhanhsim: conversation %s was updated at %s, after %s", id, e.rec.UpdatedAt.Format(time.RFC3339), at.Format(time.RFC3339))
	}
	r := e.record()
	e.updates++
	n := e.rec.InternalID*31 + int64(e.updates)
	if e.updates%2 == 1 {
		msg, phone := customerMessage(n)
		r.LastMessage, r.Status, r.HasReply = msg, statusUnread, false
		r.HasPhone = r.HasPhone || phone
	} else {
		r.LastMessage, r.Status, r.HasReply = pageReplies[n%int64(len(pageReplies))], statusRead, true
		if r.Type == typeMessage {
			r.LastSeenMessageAt = &at
		}
	}
	r.UpdatedAt = at
	updated := newEntry(r)
	e.rec, e.json = updated.rec, updated.json
	if updated.key != e.key {
		e.key = updated.key
		s.data.move(e)
	}
	return e.record(), nil
}

// Add stores conversations with explicit content: late writes (an
// UpdatedAt in the past), equal timestamps, fields of the wrong type (see
// Record.Extra). A zero UpdatedAt is taken as CreatedAt; a zero
// InternalID is replaced by the next free one. It panics, storing none of
// rs, if an id or internal id is already stored or repeated in rs, or if a
// record is invalid (empty ID, negative InternalID, Extra that is not JSON).
func (s *Sim) Add(rs ...Record) {
	es := make([]*entry, len(rs))
	for i, r := range rs {
		if r.ID == "" {
			panic("nhanhsim: conversation with an empty id")
		}
		if r.InternalID < 0 {
			panic(fmt.Sprintf("nhanhsim: conversation %s has a negative internal id", r.ID))
		}
		es[i] = newEntry(r)
	}
	s.dataMu.Lock()
	defer s.dataMu.Unlock()
	ids := make(map[string]bool, len(es))
	iids := make(map[int64]bool, len(es))
	for _, e := range es {
		iid := e.rec.InternalID
		if ids[e.rec.ID] || s.data.byID[e.rec.ID] != nil {
			panic("nhanhsim: duplicate conversation id " + e.rec.ID)
		}
		if iid != 0 && (iids[iid] || s.data.byIID[iid]) {
			panic(fmt.Sprintf("nhanhsim: duplicate internal id %d", iid))
		}
		ids[e.rec.ID], iids[iid] = true, true
	}
	// The explicit internal ids first, so that a free one given to a
	// record without one is not taken by a later record of rs.
	for _, e := range es {
		if e.rec.InternalID != 0 {
			s.data.insert(e)
		}
	}
	for _, e := range es {
		if e.rec.InternalID == 0 {
			e.rec.InternalID = s.data.freeIID()
			e.key.iid = e.rec.InternalID
			s.data.insert(e)
		}
	}
}

// Records returns a copy of every stored conversation, ascending by
// internal id.
func (s *Sim) Records() []Record {
	s.dataMu.Lock()
	defer s.dataMu.Unlock()
	out := make([]Record, 0, len(s.data.byID))
	for _, e := range s.data.byID {
		out = append(out, e.record())
	}
	slices.SortFunc(out, func(a, b Record) int { return cmp.Compare(a.InternalID, b.InternalID) })
	return out
}

// The values of Type and Status.
const (
	typeComment  = 1
	typeMessage  = 2
	statusUnread = 1
	statusRead   = 2
)

var (
	familyNames = [...]string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"}
	middleNames = [...]string{"Văn", "Thị", "Minh", "Ngọc", "Thanh", "Đức", "Thu", "Quốc"}
	givenNames  = [...]string{"An", "Bình", "Chi", "Dũng", "Hà", "Hương", "Khánh", "Linh", "Nam", "Phương", "Quân", "Trang", "Tuấn", "Yến"}
	// customerTexts are customer messages; %s marks where a phone number
	// goes.
	customerTexts = [...]string{
		"Shop ơi, sản phẩm này còn hàng không ạ?",
		"Cho mình xin giá sỉ với ạ",
		"Mình muốn đặt 2 cái, giao về Quận 10 được không?",
		"Gọi lại cho em số %s nhé",
		"Size M còn không shop?",
		"Đặt hàng: %s, giao giờ hành chính",
		"[Send sticker]",
		"Bao lâu thì nhận được hàng ạ?",
	}
	pageReplies = [...]string{
		"Dạ shop chào bạn, sản phẩm vẫn còn hàng ạ",
		"Dạ shop đã nhận đơn, bên em sẽ gọi xác nhận ạ",
		"Dạ giao hàng 2-3 ngày ạ",
		"Cảm ơn bạn đã ủng hộ shop ❤️",
	}
)

// customerMessage returns the n-th customer message and whether it holds
// a phone number.
func customerMessage(n int64) (string, bool) {
	text := customerTexts[n%int64(len(customerTexts))]
	if !bytes.Contains([]byte(text), []byte("%s")) {
		return text, false
	}
	return fmt.Sprintf(text, fmt.Sprintf("09%08d", uint64(n)*7919%100_000_000)), true
}

// generate returns the conversation Create makes for internal id iid.
func generate(iid int64, pages []string, at time.Time) Record {
	page := pages[iid%int64(len(pages))]
	user := strconv.FormatInt(7_000_000_000_000_000+iid*7919%1_000_000_000_000_000, 10)
	msg, phone := customerMessage(iid)
	r := Record{
		InternalID:     iid,
		Channel:        1,
		Type:           typeMessage,
		CustomerAvatar: fmt.Sprintf("https://example.com/avatar/%d.jpg", iid),
		PageID:         page,
		PageUserID:     user,
		PageUserName:   familyNames[iid%int64(len(familyNames))] + " " + middleNames[iid/3%int64(len(middleNames))] + " " + givenNames[iid/7%int64(len(givenNames))],
		HasPhone:       phone,
		CreatedAt:      at,
		UpdatedAt:      at,
		LastMessage:    msg,
		Status:         statusUnread,
	}
	if iid%3 == 0 {
		post := fmt.Sprintf("%s_%d", page, 1_075_546_127_814_826+iid)
		live := int(iid / 3 % 2)
		r.Type, r.PagePostID, r.IsFromLive = typeComment, &post, &live
		r.ID = post + "_" + user
		return r
	}
	group := ""
	seen := at
	r.AssignedGroupID, r.LastSeenMessageAt = &group, &seen
	r.ID = page + "_" + user
	return r
}

// key is a conversation's place in the keyset order: updatedAt in unix
// seconds, then the internal id.
type key struct {
	unix int64
	iid  int64
}

func compareKeys(a, b key) int {
	if c := cmp.Compare(a.unix, b.unix); c != 0 {
		return c
	}
	return cmp.Compare(a.iid, b.iid)
}

// entry is a stored conversation with what serving it needs.
type entry struct {
	rec     Record
	key     key
	json    []byte // the record as served
	updates int    // how many times Update changed it
}

// newEntry normalizes r and returns it ready to store, owning copies of
// its pointers and JSON. It panics if r.Extra holds invalid JSON.
func newEntry(r Record) *entry {
	r.CreatedAt = r.CreatedAt.UTC().Truncate(time.Second)
	r.UpdatedAt = r.UpdatedAt.UTC().Truncate(time.Second)
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	r = clone(r)
	if r.LastSeenMessageAt != nil {
		*r.LastSeenMessageAt = r.LastSeenMessageAt.UTC().Truncate(time.Second)
	}
	for k, v := range r.Extra {
		if !json.Valid(v) {
			panic(fmt.Sprintf("nhanhsim: extra field %q of conversation %s is not valid JSON", k, r.ID))
		}
	}
	return &entry{rec: r, key: key{r.UpdatedAt.Unix(), r.InternalID}, json: render(r)}
}

// record returns a copy of the stored conversation that the caller may
// modify.
func (e *entry) record() Record { return clone(e.rec) }

// clone copies r and everything it points to.
func clone(r Record) Record {
	r.AssignedGroupID = clonePtr(r.AssignedGroupID)
	r.LastSeenMessageAt = clonePtr(r.LastSeenMessageAt)
	r.IsFromLive = clonePtr(r.IsFromLive)
	r.PagePostID = clonePtr(r.PagePostID)
	r.Extra = sim.CloneJSON(r.Extra)
	return r
}

// clonePtr returns a pointer to a copy of *p, or nil for nil.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// render encodes r as Nhanh serves it.
func render(r Record) []byte {
	b := make([]byte, 0, 512)
	b = append(b, '{')
	member := func(name string, value func([]byte) []byte) {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = sim.AppendString(b, name)
		b = append(b, ':')
		if v, ok := r.Extra[name]; ok {
			b = append(b, v...)
			return
		}
		b = value(b)
	}
	str := func(s string) func([]byte) []byte { return func(b []byte) []byte { return sim.AppendString(b, s) } }
	num := func(n int64) func([]byte) []byte { return func(b []byte) []byte { return strconv.AppendInt(b, n, 10) } }
	flag := func(v bool) func([]byte) []byte { return func(b []byte) []byte { return strconv.AppendBool(b, v) } }
	member("id", str(r.ID))
	member("channel", num(int64(r.Channel)))
	member("type", num(int64(r.Type)))
	member("customerAvatar", str(r.CustomerAvatar))
	member("pageId", str(r.PageID))
	member("pageUserId", str(r.PageUserID))
	member("pageUserName", str(r.PageUserName))
	member("hasReply", flag(r.HasReply))
	if r.AssignedGroupID != nil || r.Extra["assignedGroupId"] != nil {
		member("assignedGroupId", str(deref(r.AssignedGroupID)))
	}
	member("hasPhone", flag(r.HasPhone))
	member("createdAt", num(r.CreatedAt.Unix()))
	member("updatedAt", num(r.UpdatedAt.Unix()))
	if r.LastSeenMessageAt != nil || r.Extra["lastSeenMessageAt"] != nil {
		member("lastSeenMessageAt", num(deref(r.LastSeenMessageAt).Unix()))
	}
	member("lastMessage", str(r.LastMessage))
	member("status", num(int64(r.Status)))
	if r.IsFromLive != nil || r.Extra["isFromLive"] != nil {
		member("isFromLive", num(int64(deref(r.IsFromLive))))
	}
	if r.PagePostID != nil || r.Extra["pagePostId"] != nil {
		member("pagePostId", str(deref(r.PagePostID)))
	}
	for _, k := range slices.Sorted(maps.Keys(r.Extra)) {
		if !slices.Contains(standardFields, k) {
			member(k, nil)
		}
	}
	return append(b, '}')
}

// deref returns *p, or the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
