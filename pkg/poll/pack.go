package poll

import (
	"bytes"
	"cmp"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// A packed Seen list is a format byte, 2, or 3 for format 2 compressed
// with DEFLATE after that byte, then:
//
//   - the unit of its times, a power of ten of nanoseconds (0 ns, 3 µs,
//     6 ms, 9 s): the coarsest that every time is a whole number of;
//   - the first version's time in that unit since the Unix epoch
//     (zig-zag varint);
//   - the versions of canonical decimal ids that fit in 64 bits: their
//     count (uvarint), then per version in id order the id less the
//     previous one (uvarint) and the time less the previous version's in
//     units (zig-zag varint);
//   - the versions of other ids: their count, then per version in id
//     order the length of the prefix it shares with the previous id, the
//     length and bytes of the rest, and the time as above.
//
// Ids handed out in sequence (message, customer and response ids are)
// then take a byte, and a record that has not changed since its creation
// a byte or two for its time: a version takes 2 to 4 bytes, against 62 as
// JSON. Lists above compressAbove bytes are compressed: records created in
// sequence and never changed (Tiki's responses, a burst of new messages)
// then take about a third of a byte. Format 1 (time order, every id
// written whole) is still read.
const (
	packFormat     = 2
	packCompressed = 3
	compressAbove  = 4 << 10
	// maxUnpacked bounds what a compressed list may inflate to.
	maxUnpacked = 64 << 20
)

// compareSeen orders versions oldest first, then by id.
func compareSeen(a, b Seen) int {
	return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.ID, b.ID))
}

// packSeen packs seen, in any order.
func packSeen(seen []Seen) []byte {
	exp := 9
	for _, s := range seen {
		for exp > 0 && s.Time.UnixNano()%pow10(exp) != 0 {
			exp -= 3
		}
	}
	unit := pow10(exp)
	type numbered struct {
		n uint64
		t int64
	}
	var nums []numbered
	var others []Seen
	for _, s := range seen {
		if n, err := strconv.ParseUint(s.ID, 10, 64); err == nil && strconv.FormatUint(n, 10) == s.ID {
			nums = append(nums, numbered{n, s.Time.UnixNano() / unit})
			continue
		}
		others = append(others, s)
	}
	slices.SortFunc(nums, func(a, b numbered) int { return cmp.Compare(a.n, b.n) })
	slices.SortFunc(others, func(a, b Seen) int { return cmp.Compare(a.ID, b.ID) })
	var prevT int64
	switch {
	case len(nums) > 0:
		prevT = nums[0].t
	case len(others) > 0:
		prevT = others[0].Time.UnixNano() / unit
	}
	b := binary.AppendVarint([]byte{packFormat, byte(exp)}, prevT)
	b = binary.AppendUvarint(b, uint64(len(nums)))
	var prev uint64
	for _, v := range nums {
		b = binary.AppendUvarint(b, v.n-prev)
		b = binary.AppendVarint(b, v.t-prevT)
		prev, prevT = v.n, v.t
	}
	b = binary.AppendUvarint(b, uint64(len(others)))
	last := ""
	for _, s := range others {
		shared := 0
		for shared < min(len(last), len(s.ID)) && last[shared] == s.ID[shared] {
			shared++
		}
		b = binary.AppendUvarint(b, uint64(shared))
		b = binary.AppendUvarint(b, uint64(len(s.ID)-shared))
		b = append(b, s.ID[shared:]...)
		t := s.Time.UnixNano() / unit
		b = binary.AppendVarint(b, t-prevT)
		last, prevT = s.ID, t
	}
	if len(b) <= compressAbove {
		return b
	}
	var z bytes.Buffer
	z.WriteByte(packCompressed)
	w, err := flate.NewWriter(&z, flate.BestSpeed)
	if err == nil {
		_, err = w.Write(b[1:])
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil || z.Len() >= len(b) {
		return b
	}
	return z.Bytes()
}

var errPacked = errors.New("truncated or not a packed list")

// unpackSeen reads what packSeen wrote, or format 1.
func unpackSeen(b []byte) ([]Seen, error) {
	if len(b) > 0 && b[0] == packCompressed {
		raw, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(b[1:])), maxUnpacked+1))
		if err != nil {
			return nil, fmt.Errorf("compressed list: %w", err)
		}
		if len(raw) > maxUnpacked {
			return nil, fmt.Errorf("compressed list inflates past %d bytes", maxUnpacked)
		}
		b = append([]byte{packFormat}, raw...)
	}
	if len(b) < 2 || (b[0] != packFormat && b[0] != 1) {
		return nil, fmt.Errorf("unknown format %q", b[:min(len(b), 1)])
	}
	if b[1] > 9 || b[1]%3 != 0 {
		return nil, fmt.Errorf("unit 1e%d ns is not ns, µs, ms or s", b[1])
	}
	r := packReader{b: b[2:], unit: pow10(int(b[1]))}
	first := r.varint()
	var seen []Seen
	if b[0] == 1 {
		seen = r.format1(first)
	} else {
		seen = r.format2(first)
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) > 0 {
		return nil, fmt.Errorf("%d bytes after the last version", len(r.b))
	}
	return seen, nil
}

// packReader reads a packed list; its first error sticks.
type packReader struct {
	b    []byte
	unit int64
	err  error
}

func (r *packReader) varint() int64 {
	v, n := binary.Varint(r.b)
	r.advance(n)
	return v
}

func (r *packReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	r.advance(n)
	return v
}

func (r *packReader) advance(n int) {
	if n <= 0 {
		r.b, r.err = nil, cmp.Or(r.err, errPacked)
		return
	}
	r.b = r.b[n:]
}

// bytes reads n bytes.
func (r *packReader) bytes(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.b, r.err = nil, cmp.Or(r.err, errPacked)
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// count reads a count of versions, each at least min bytes long.
func (r *packReader) count(min int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/min) {
		r.b, r.err = nil, cmp.Or(r.err, errPacked)
		return 0
	}
	return int(n)
}

func (r *packReader) at(units int64) time.Time { return time.Unix(0, units*r.unit).UTC() }

// format2 reads the versions of a format 2 list after the first time, t.
func (r *packReader) format2(t int64) []Seen {
	nums := r.count(2)
	seen := make([]Seen, 0, nums)
	var id uint64
	for range nums {
		id += r.uvarint()
		t += r.varint()
		seen = append(seen, Seen{ID: strconv.FormatUint(id, 10), Time: r.at(t)})
	}
	var last []byte
	for range r.count(3) {
		shared := r.uvarint()
		rest := r.bytes(r.uvarint())
		if shared > uint64(len(last)) {
			r.b, r.err = nil, cmp.Or(r.err, errPacked)
			break
		}
		last = append(last[:shared:shared], rest...)
		t += r.varint()
		seen = append(seen, Seen{ID: string(last), Time: r.at(t)})
	}
	return seen
}

// format1 reads the versions of a format 1 list after its first time:
// the time after the previous one, then a numeric id (0, the number) or
// any other (1, its length and bytes).
func (r *packReader) format1(t int64) []Seen {
	n := r.count(3)
	seen := make([]Seen, 0, n)
	for range n {
		t += int64(r.uvarint())
		kind, v := r.bytes(1), r.uvarint()
		switch {
		case r.err != nil:
		case kind[0] == 0:
			seen = append(seen, Seen{ID: strconv.FormatUint(v, 10), Time: r.at(t)})
		case kind[0] == 1:
			seen = append(seen, Seen{ID: string(r.bytes(v)), Time: r.at(t)})
		default:
			r.b, r.err = nil, errPacked
		}
	}
	return seen
}

func pow10(exp int) int64 {
	p := int64(1)
	for range exp {
		p *= 10
	}
	return p
}
