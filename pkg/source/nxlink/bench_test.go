package nxlink

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkDecodePage measures the connector's own CPU for the vendor side
// of the path: one 500-customer page of ~690-byte customers (every
// documented field, as in the vendor's example, and one unknown field)
// decoded into typed values, times read in the tenant's zone, unknown
// fields kept. Reported per record and as records per second.
func BenchmarkDecodePage(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"code":0,"message":null,"traceId":"44988d9de672422b920182d6960de0a0","data":{"paging":{"after":1021110718827684339,"before":1021110718827683840,"previous":null,"next":1021110718827684340},"customer_list":[`)
	for i := range 500 {
		if i > 0 {
			sb.WriteByte(',')
		}
		id := 1021110718827683840 + i
		fmt.Fprintf(&sb, `{"id":%d,"first_name":"An","last_name":"Nguyễn","full_name":"Nguyễn Văn An %d","sms_phone":"8491%07d","whatsApp_phone":"8491%07d","viber_phone":null,"line":null,"messenger":null,"instagram":null,"email":"an%d@example.vn","country":"VN","birthday":"1990-05-12","remark":null,"source_type":3,"source_channel_key":"84901234567","gender":1,"created_at":"2026-11-20T10:%02d:%02d","status":1,"updated_at":"2026-11-20T11:%02d:%02d","web":"https://shop.example.vn","tags":[{"id":27237,"tag_name":"VIP","customer_id":%d}],"whatApp_subscribe":"1","sms_subscribe":"1","customize_field":"{\"customize_4_52\": [\"1\"]}","tenant_id":123,"weight":5,"campaign":"tet"}`,
			id, i, i, i, i, i/60, i%60, i/60, i%60, id)
	}
	sb.WriteString(`]}}`)
	body := []byte(sb.String())
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p, err := parsePage(body)
		if err != nil {
			b.Fatal(err)
		}
		for _, raw := range p.customers {
			if c := decodeCustomer(raw, loc, 123); c.err != nil {
				b.Fatal(c.err)
			}
		}
	}
	records := float64(b.N * 500)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records/1000, "µs/record")
	b.ReportMetric(records/b.Elapsed().Seconds(), "records/s")
}
