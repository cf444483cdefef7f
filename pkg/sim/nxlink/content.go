package nxlinksim

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/vnstream/connector/pkg/sim"
)

// The parts of generated customers. Names carry their ASCII form for
// email addresses.
var (
	families = [...][2]string{{"Nguyễn", "nguyen"}, {"Trần", "tran"}, {"Lê", "le"}, {"Phạm", "pham"},
		{"Hoàng", "hoang"}, {"Huỳnh", "huynh"}, {"Phan", "phan"}, {"Vũ", "vu"}, {"Võ", "vo"}, {"Đặng", "dang"},
		{"Bùi", "bui"}, {"Đỗ", "do"}, {"Hồ", "ho"}, {"Ngô", "ngo"}, {"Dương", "duong"}, {"Lý", "ly"}}
	middles = [...]string{"Văn", "Thị", "Minh", "Ngọc", "Thanh", "Đức", "Hữu", "Quang", "Thu", "Bảo"}
	givens  = [...][2]string{{"An", "an"}, {"Bình", "binh"}, {"Châu", "chau"}, {"Dũng", "dung"},
		{"Giang", "giang"}, {"Hà", "ha"}, {"Hải", "hai"}, {"Hạnh", "hanh"}, {"Hùng", "hung"}, {"Hương", "huong"},
		{"Khánh", "khanh"}, {"Lan", "lan"}, {"Linh", "linh"}, {"Long", "long"}, {"Mai", "mai"}, {"Nam", "nam"},
		{"Ngân", "ngan"}, {"Phúc", "phuc"}, {"Quân", "quan"}, {"Sơn", "son"}, {"Tâm", "tam"}, {"Thảo", "thao"},
		{"Trang", "trang"}, {"Tuấn", "tuan"}, {"Vy", "vy"}, {"Yến", "yen"}}
	cities      = [...]string{"Hà Nội", "TP Hồ Chí Minh", "Đà Nẵng", "Cần Thơ", "Hải Phòng", "Huế"}
	products    = [...]string{"gói cước 4G", "bảo hiểm xe máy", "khóa học tiếng Anh", "căn hộ Quận 7", "điện thoại trả góp"}
	tagNames    = [...]string{"Khách mới", "Quan tâm", "Đã mua hàng", "VIP", "Cần gọi lại", "Khuyến mãi Tết"}
	sourceTypes = [...]int64{1, 3, 6, 10, 12, 13}
)

// mix is SplitMix64's finalizer: a well-spread hash of x.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func ptr[T any](v T) *T { return &v }

// generate returns the customer id of tenant created at at, its content
// derived from the id alone.
func generate(id, tenant int64, at time.Time, zone *time.Location) Record {
	h := mix(uint64(id))
	fam, mid, giv := families[h%16], middles[h>>8%10], givens[h>>16%26]
	phone := fmt.Sprintf("849%08d", h>>24%100_000_000)
	r := Record{ID: strconv.FormatInt(id, 10), TenantID: tenant, CreatedAt: at, UpdatedAt: at}
	box, n := new(fieldBox), 0
	set := func(p **string, v string) {
		box.strs[n] = v
		*p = &box.strs[n]
		n++
	}
	set(&r.FirstName, giv[0])
	set(&r.LastName, fam[0])
	set(&r.FullName, fam[0]+" "+mid+" "+giv[0])
	set(&r.SMSPhone, phone)
	set(&r.WhatsAppPhone, phone)
	set(&r.Email, giv[1]+"."+fam[1]+strconv.FormatInt(id%10000, 10)+"@example.vn")
	set(&r.Country, "VN")
	set(&r.Birthday, fmt.Sprintf("%d-%02d-%02d", 1960+h>>32%45, 1+h>>40%12, 1+h>>44%28))
	set(&r.SourceChannelKey, "84901234567")
	set(&r.WhatAppSubscribe, "1")
	set(&r.SMSSubscribe, strconv.FormatUint(h>>53%2, 10))
	set(&r.CustomizeField, customize(h, 0))
	set(&r.Web, "https://shop.example.vn")
	if h%3 == 0 {
		set(&r.ViberPhone, phone)
	}
	if h%4 == 0 {
		set(&r.Messenger, "m.me/"+giv[1]+fam[1])
	}
	box.ints = [4]int64{sourceTypes[h>>48%6], int64(h >> 52 % 2), 1, int64(1 + h>>54%5)}
	r.SourceType, r.Gender, r.Status, r.Weight = &box.ints[0], &box.ints[1], &box.ints[2], &box.ints[3]
	r.Tags = addTag(nil, id, tenant, 0, at, zone)
	return r
}

// change applies update number version of customer id at at.
func change(r *Record, id int64, version int, at time.Time, zone *time.Location) {
	base := mix(uint64(id))
	h := mix(base + uint64(version))
	fam, giv := families[base%16], givens[h>>16%26]
	last := fam[0]
	if r.LastName != nil {
		last = *r.LastName
	}
	r.FirstName = ptr(giv[0])
	r.FullName = ptr(last + " " + middles[base>>8%10] + " " + giv[0])
	r.Email = ptr(fmt.Sprintf("%s.%s.%d@gmail.com", giv[1], fam[1], version))
	r.Remark = ptr(fmt.Sprintf("Cập nhật lần %d: quan tâm %s", version, products[h%5]))
	r.CustomizeField = ptr(customize(h, version))
	r.Tags = addTag(r.Tags, id, r.TenantID, version, at, zone)
	if version%3 == 0 {
		status := int64(1)
		if r.Status != nil && *r.Status == 1 {
			status = 0
		}
		r.Status = ptr(status)
	}
	r.UpdatedAt = at
}

// customize returns custom fields as nxlink keeps them: a JSON document
// that travels inside a string.
func customize(h uint64, version int) string {
	b := []byte(`{"customize_4_52":["`)
	b = strconv.AppendUint(b, 1+h%3, 10)
	b = append(b, `"],"city":`...)
	b = sim.AppendString(b, cities[h>>8%6])
	b = append(b, `,"updates":`...)
	b = strconv.AppendInt(b, int64(version), 10)
	return string(append(b, '}'))
}

// addTag returns the tags array with tag number n (of tagNames, in turn)
// added at at, unless the customer has it already. The customer's 64-bit
// id is in every tag, as in nxlink's example.
func addTag(tags []byte, id, tenant int64, n int, at time.Time, zone *time.Location) []byte {
	name := tagNames[n%len(tagNames)]
	key := sim.AppendString([]byte(`"tag_name":`), name)
	if bytes.Contains(tags, key) {
		return tags
	}
	stamp := at.In(zone).Format(wireTime)
	tag := fmt.Appendf(nil, `{"id":%d,"user_id":195,"tenant_id":%d,"group_id":0,"group_name":null,%s,"note":"","created_at":%q,"updated_at":%q,"customer_id":%d}`,
		27237+n%len(tagNames), tenant, key, stamp, stamp, id)
	trimmed := bytes.TrimSpace(tags)
	if len(trimmed) < 2 || trimmed[0] != '[' || trimmed[len(trimmed)-1] != ']' {
		return append(append([]byte{'['}, tag...), ']')
	}
	out := bytes.Clone(trimmed[:len(trimmed)-1])
	if len(bytes.TrimSpace(out[1:])) > 0 {
		out = append(out, ',')
	}
	return append(append(out, tag...), ']')
}
