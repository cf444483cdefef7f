package zns

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkDecodePage measures the connector's own CPU for the vendor side
// of the path: one 500-message eTelecom page (every documented field,
// ~900 bytes a message) validated and decoded into typed values in one pass,
// unknown fields kept. Reported per record.
func BenchmarkDecodePage(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"messages":[`)
	for i := range 500 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"campaign_id":"1050000000000000001","created_at":"2026-11-20T10:%02d:%02d.%03dZ","delivery_status":"seen",`+
			`"delivery_time":"2026-11-20T10:%02d:%02d.500Z","error_code":0,"fee_main":300,"fee_token":0,"feedback":["Giao hàng nhanh","Đóng gói cẩn thận"],`+
			`"id":"%d","is_charged":true,"is_development":false,"msg_id":"e18bde9e33ece000567a42e4a4841f2d","note":"Cảm ơn shop!",`+
			`"oa_id":"4318529470172498734","phone":"849%08d","rate":5,"request_time":"2026-11-20T10:%02d:%02d.000Z",`+
			`"sent_time":"2026-11-20T10:%02d:%02d.000Z","shop_id":"1040105911278962688","status":"P","submit_time":"2026-11-20T11:00:00.000Z",`+
			`"template_data":{"customer_name":"Nguyễn Văn %d","order_code":"DH%08d","amount":"350000"},"template_id":231456,"timeout":30,`+
			`"tracking_id":"DH%08d","type":"template","updated_at":"2026-11-20T11:%02d:%02d.000Z","user_id":"1040106005339185152",`+
			`"zl_user_id":"7000000000000000007","channel":"zns"}`,
			i/60, i%60, i, i/60, i%60, 1021110718827683840+i, i, i/60, i%60, i/60, i%60, i, i, i, i/60, i%60)
	}
	sb.WriteString(`],"paging":{"after":"x","before":"","limit":500,"next":"MS4xNzcy","prev":"","sort":""}}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var d decoder
	for b.Loop() {
		p, err := parsePage(body, &d)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range p.messages {
			if r.err != nil {
				b.Fatal(r.err)
			}
		}
	}
	records := float64(b.N * 500)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records/1000, "µs/record")
	b.ReportMetric(records/b.Elapsed().Seconds(), "records/s")
}
