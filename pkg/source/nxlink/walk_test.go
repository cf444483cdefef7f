package nxlink

import (
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

func TestAdvance(t *testing.T) {
	some := []jsontext.Value{jsontext.Value(`{}`)}
	at := func(id int64) cursor { return cursor{id: id, ok: true} }
	for _, tc := range []struct {
		name  string
		after cursor
		p     page
		last  cursor
		want  cursor
		err   string
	}{
		{"first page", cursor{}, page{customers: some, after: at(10)}, at(10), at(10), ""},
		{"paging.after wins over the last id", at(5), page{customers: some, after: at(9)}, at(10), at(9), ""},
		{"no paging.after: the last id", at(5), page{customers: some}, at(10), at(10), ""},
		{"empty page keeps the cursor", at(5), page{}, cursor{}, at(5), ""},
		{"empty page echoing after", at(5), page{after: at(5)}, cursor{}, at(5), ""},
		{"empty page moving forward", at(5), page{after: at(8)}, cursor{}, at(8), ""},
		{"stuck", at(5), page{customers: some, after: at(5)}, at(10), cursor{}, "does not advance"},
		{"going back", at(5), page{customers: some, after: at(4)}, at(10), cursor{}, "goes back"},
		{"empty page going back", at(5), page{after: at(4)}, cursor{}, cursor{}, "goes back"},
		{"nothing to continue from", at(5), page{customers: some}, cursor{}, cursor{}, "neither paging.after nor a readable customer id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := advance(tc.after, tc.p, tc.last)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("advance = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
