package znssim

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/vnstream/connector/pkg/sim"
)

// shopID is the account every generated message belongs to.
const shopID = "1040105911278962688"

// The generated messages' senders, Official Accounts, templates and the
// words of their recipients.
var (
	senders   = [...]string{"1040106005339185152", "1040106005339185153", "1040106005339185154"}
	oaIDs     = [...]string{"4318529470172498734", "1756873451230987654"}
	templates = [...]struct {
		id   string
		fee  int64
		kind string // what the template tells the recipient
	}{{"231456", 300, "order"}, {"245871", 200, "delivery"}, {"250012", 300, "rating"}}
	familyNames = [...]string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"}
	middleNames = [...]string{"Văn", "Thị", "Minh", "Ngọc", "Đức", "Thanh"}
	givenNames  = [...]string{"An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Khánh", "Linh", "Phương", "Quân", "Thảo", "Tú"}
	feedbacks   = [...]string{"Nhân viên nhiệt tình", "Giao hàng nhanh", "Sản phẩm đúng mô tả", "Đóng gói cẩn thận", "Giá hợp lý"}
	notes       = [...]string{"Cảm ơn shop!", "Sẽ ủng hộ tiếp", "Giao hơi trễ một chút", "Rất hài lòng"}
)

// generate returns the message with id n sent at at; its content depends
// on n alone.
func generate(n uint64, at time.Time) Record {
	at = at.UTC().Truncate(time.Millisecond)
	tpl := templates[n%uint64(len(templates))]
	order := fmt.Sprintf("DH%08d", n%100_000_000)

	td := make([]byte, 0, 160)
	td = append(td, `{"customer_name":"`...)
	td = append(td, familyNames[n%10]...)
	td = append(td, ' ')
	td = append(td, middleNames[n/10%6]...)
	td = append(td, ' ')
	td = append(td, givenNames[n/60%12]...)
	td = append(td, `","order_code":"`...)
	td = append(td, order...)
	switch tpl.kind {
	case "order":
		td = append(td, `","amount":"`...)
		td = strconv.AppendUint(td, 100_000+n%50*10_000, 10)
		td = append(td, `","date":"`...)
		td = at.In(ict).AppendFormat(td, "02/01/2006")
	case "delivery":
		td = append(td, `","shipper":"Giao Hàng Nhanh","eta":"`...)
		td = at.In(ict).Add(48*time.Hour).AppendFormat(td, "02/01/2006")
	}
	td = append(td, `"}`...)

	var msgID [16]byte
	binary.BigEndian.PutUint64(msgID[:8], n*0x9e3779b97f4a7c15)
	binary.BigEndian.PutUint64(msgID[8:], n^0x5851f42d4c957f2d)
	r := Record{
		ID:             strconv.FormatUint(n, 10),
		ShopID:         shopID,
		UserID:         senders[n%uint64(len(senders))],
		OAID:           oaIDs[n%uint64(len(oaIDs))],
		MsgID:          hex.EncodeToString(msgID[:]),
		TrackingID:     order,
		TemplateID:     tpl.id,
		Type:           "template",
		Status:         "P",
		Phone:          fmt.Sprintf("849%08d", n*7919%100_000_000),
		TemplateData:   td,
		ZlUserID:       strconv.FormatUint(7_000_000_000_000_000_000+n*7919%1_000_000_000_000_000_000, 10),
		IsCharged:      true,
		FeeMain:        tpl.fee,
		Timeout:        30,
		DeliveryStatus: "unknown",
		RequestTime:    at,
		SentTime:       at,
		CreatedAt:      at,
		UpdatedAt:      at,
	}
	if n%3 != 0 {
		r.CampaignID = strconv.FormatUint(1_050_000_000_000_000_000+n%7, 10)
	}
	return r
}

// advance applies the next step of a message's life at at (see Update).
func advance(r *Record, at time.Time) {
	n, _ := strconv.ParseUint(r.ID, 10, 64) // stored ids are numeric
	switch {
	case r.DeliveryStatus == "unknown" || r.DeliveryStatus == "":
		r.DeliveryStatus, r.DeliveryTime = "received", at
	case r.DeliveryStatus == "received":
		r.DeliveryStatus = "seen"
	case r.SubmitTime.IsZero():
		r.Rate = int64(1 + n%5)
		r.Feedback = feedback(n, 1+int(n%3))
		r.Note = notes[n%uint64(len(notes))]
		r.SubmitTime = at
	default:
		var got []string
		if err := json.Unmarshal(r.Feedback, &got); err != nil {
			got = nil // a feedback set through Add that is not strings: start over
		}
		r.Feedback = feedback(n, len(got)+1)
		r.Note = notes[(n+uint64(len(got)))%uint64(len(notes))]
		r.SubmitTime = at
	}
	r.UpdatedAt = at
}

// feedback is a JSON array of k feedback phrases chosen by n.
func feedback(n uint64, k int) json.RawMessage {
	b := []byte{'['}
	for i := range k {
		if i > 0 {
			b = append(b, ',')
		}
		b = sim.AppendString(b, feedbacks[(n+uint64(i))%uint64(len(feedbacks))])
	}
	return append(b, ']')
}
