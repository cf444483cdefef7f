package nhanh

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkDecodePage measures the connector's own CPU for the vendor side
// of the path: one 500-record page of ~400-byte conversations decoded into
// typed values, unknown fields kept. Reported per record and as records/s.
func BenchmarkDecodePage(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"code":1,"paginator":{"next":[1742545330,6478]},"data":[`)
	for i := range 500 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id":"331526780045341_75214821179%05d","channel":1,"type":2,"customerAvatar":"https://example.com/avatar/%d.jpg",`+
			`"pageId":"331526780045341","pageUserId":"75214821179%05d","pageUserName":"Nguyễn Văn %d","hasReply":true,"assignedGroupId":"",`+
			`"hasPhone":true,"createdAt":1718878288,"updatedAt":%d,"lastSeenMessageAt":1742827806,"lastMessage":"Shop ơi, gọi lại cho em số 09%08d nhé, giao về Quận 10 %s",`+
			`"status":2,"tags":[7]}`, i, i, i, i, 1742803465+i, i, strings.Repeat("x", 40))
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p, err := parsePage(body)
		if err != nil {
			b.Fatal(err)
		}
		for _, raw := range p.data {
			if c := decodeConversation(raw); c.err != nil {
				b.Fatal(c.err)
			}
		}
	}
	perRecord := float64(b.Elapsed().Nanoseconds()) / float64(b.N*500)
	b.ReportMetric(perRecord/1000, "µs/record")
	b.ReportMetric(1e9/perRecord, "records/s")
}
