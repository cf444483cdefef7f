package schema_test

import "testing"

func BenchmarkAppendValue(b *testing.B) {
	_, c := newSingleObjectCodec(b)
	_, env := fixedEvent()
	buf, err := c.AppendValue(nil, env)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = c.AppendValue(buf[:0], env); err != nil {
			b.Fatal(err)
		}
	}
}
