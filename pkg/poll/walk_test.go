package poll

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// order puts a window's versions in write order, time then id (numeric
// ids as integers, before the others), a version served twice once as
// last read, and a record whose time is unreadable at the window's end.
func TestOrder(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2026, 3, 1, 0, 0, s, 0, time.UTC) }
	v := func(id string, s int, note string) Item {
		return Item{ID: id, Time: at(s), Value: note}
	}
	bad := Item{Err: errors.New("unreadable")}
	items := []Item{v("100", 2, "a"), v("99", 2, ""), bad, v("7", 1, ""), v("100", 2, "b"), v("text", 2, ""), v("7", 3, ""), v("9", 2, "")}
	var b []string
	for _, i := range order(items, Window{From: at(0), To: at(3)}) {
		it := items[i]
		s := it.ID + "@" + it.Time.Format("05")
		if it.Time.IsZero() {
			s = it.ID + "@?"
		}
		if note, _ := it.Value.(string); note != "" {
			s += note
		}
		b = append(b, s)
	}
	if want := "7@01 9@02 99@02 100@02b text@02 7@03 @?"; strings.Join(b, " ") != want {
		t.Fatalf("order = %s, want %s", strings.Join(b, " "), want)
	}
}

// PageItems gives n zero items.
func TestPageItems(t *testing.T) {
	items := PageItems(3)
	if len(items) != 3 || items[0].ID != "" || items[2].Key != nil {
		t.Fatalf("PageItems(3) = %+v, want 3 zero items", items)
	}
}
