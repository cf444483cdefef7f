package poll

import (
	"strings"
	"testing"
)

func TestPagesRepeatedCursor(t *testing.T) {
	var p Pages
	if err := p.Follow("a", 50); err != nil {
		t.Fatal(err)
	}
	if err := p.Follow("b", 50); err != nil {
		t.Fatal(err)
	}
	if err := p.Follow("a", 50); err == nil || !strings.Contains(err.Error(), "already requested") {
		t.Fatalf("a repeated cursor: %v", err)
	}
}

func TestPagesEmptyPages(t *testing.T) {
	p := Pages{MaxEmpty: 2}
	for i, c := range []string{"1", "2", "3"} {
		if err := p.Follow(c, 0); err != nil && i < 2 {
			t.Fatalf("empty page %d: %v", i+1, err)
		} else if err == nil && i == 2 {
			t.Fatal("a third empty page in a row was followed")
		}
	}
	p = Pages{MaxEmpty: 1}
	for _, step := range []struct {
		c string
		n int
	}{{"1", 0}, {"2", 5}, {"3", 0}, {"4", 5}} {
		if err := p.Follow(step.c, step.n); err != nil {
			t.Fatalf("empty pages between full ones: %v", err)
		}
	}
}

func TestPagesEmptyPageMayRepeatACursor(t *testing.T) {
	p := Pages{MaxEmpty: 2}
	for i := range 2 {
		if err := p.Follow("a", 0); err != nil {
			t.Fatalf("empty page %d asking for a again: %v", i+1, err)
		}
	}
	if err := p.Follow("a", 0); err == nil || !strings.Contains(err.Error(), "3 empty pages in a row") {
		t.Fatalf("a third empty page: %v", err)
	}
}
