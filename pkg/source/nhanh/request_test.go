package nhanh

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

func TestRequestBody(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Settings
		next string
		want string
	}{
		{"first page, no filters", Settings{PageSize: 50}, "",
			`{"filters":{},"paginator":{"size":50,"sort":{"updatedAt":"asc"}}}`},
		{"pages and type", Settings{PageSize: 30, PageIDs: []string{"331526780045341", "101286204573840"}, Type: 2}, "",
			`{"filters":{"pageIds":["331526780045341","101286204573840"],"type":2},"paginator":{"size":30,"sort":{"updatedAt":"asc"}}}`},
		{"next sent as stored", Settings{PageSize: 1, Type: 1}, `[1742545330,6478]`,
			`{"filters":{"type":1},"paginator":{"size":1,"sort":{"updatedAt":"asc"},"next":[1742545330,6478]}}`},
		{"opaque next", Settings{PageSize: 5}, `{"k":"v"}`,
			`{"filters":{},"paginator":{"size":5,"sort":{"updatedAt":"asc"},"next":{"k":"v"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var next json.RawMessage
			if tc.next != "" {
				next = json.RawMessage(tc.next)
			}
			got, err := requestBody(tc.cfg, next)
			if err != nil || string(got) != tc.want {
				t.Fatalf("requestBody = %s, %v\nwant %s", got, err, tc.want)
			}
		})
	}
	if _, err := requestBody(Settings{PageSize: 1}, json.RawMessage(`[1,`)); err == nil {
		t.Error("a next that is not JSON was sent")
	}
}

func TestListURL(t *testing.T) {
	for _, tc := range []struct{ base, app, business, want string }{
		{"https://vpage.open.nhanh.vn", "74951", "8", "https://vpage.open.nhanh.vn/v3.0/conversation/list?appId=74951&businessId=8"},
		{"http://127.0.0.1:8080/", "a b", "1&x=2", "http://127.0.0.1:8080/v3.0/conversation/list?appId=a+b&businessId=1%26x%3D2"},
	} {
		if got := listURL(Settings{BaseURL: tc.base, AppID: tc.app, BusinessID: tc.business}); got != tc.want {
			t.Errorf("listURL(%q) = %s, want %s", tc.base, got, tc.want)
		}
	}
}

func TestNewRequest(t *testing.T) {
	body := []byte(`{"filters":{}}`)
	req, err := newRequest(context.Background(), "https://vpage.open.nhanh.vn/v3.0/conversation/list?appId=1&businessId=2", "tok-123", body)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(req.Body)
	if req.Method != http.MethodPost || req.Header.Get("Authorization") != "tok-123" || req.Header.Get("Content-Type") != "application/json" || string(got) != string(body) {
		t.Errorf("request %s %v %s", req.Method, req.Header, got)
	}
	if _, err := newRequest(context.Background(), "://no-scheme", "t", body); err == nil {
		t.Error("a bad URL built a request")
	}
}
