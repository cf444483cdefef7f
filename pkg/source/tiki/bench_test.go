package tiki

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkDecodePage measures the connector's own CPU for the vendor side
// of the path: one 500-record page of ~400-byte form responses decoded into
// typed values, unknown fields kept. Reported per record.
func BenchmarkDecodePage(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"data":{"total":500,"data":[`)
	for i := range 500 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id":"%d","created_at":"2026-11-20T10:%02d:%02dZ","form_id":"84112926079713300","inputs":{"name":"Nguyễn Văn %d","phone":"09%08d","address":"880 CMT8, Phường 12, Quận 10, TPHCM","note":"%s"},"campaign":"zalo"}`,
			1000000+i, i/60, i%60, i, i, strings.Repeat("x", 150))
	}
	sb.WriteString(`]}}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		recs, err := decodePage(body)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range recs {
			if r.err != nil {
				b.Fatal(r.err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500)/1000, "µs/record")
}
