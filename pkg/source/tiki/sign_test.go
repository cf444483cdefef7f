package tiki

import "testing"

// The vectors published on Tiki's "calculate signature" page.
const (
	vectorClientID  = "RLCKb7Ae9kx4DXtXsCWjnDXtggFnM43W"
	vectorSecret    = "EhjGcsUUuRSJTHiYPbW5fxzyaKEx0JuAZIKRQ4HnIfNFidB2kMg6locQbTIEz3Vf"
	vectorTimestamp = 1620621619569
)

func TestSignatureVectors(t *testing.T) {
	for _, tc := range []struct {
		name, x, want string
	}{
		{"POST body", `{"id":123}`, "8ebd092b9df2cf90e8ccbcab2ba87ee14f2abb25eb8f18b4d7286d42adcd45c2"},
		{"GET query", "/order?" + Query([][2]string{{"location", "Hà Nội"}, {"order_id", "88062110977884170"}}),
			"e1e0d63f7f8296dd31b2c082e611351a6c41a3bc0309a9299832f70b693722c8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Signature(vectorSecret, vectorClientID, vectorTimestamp, tc.x); got != tc.want {
				t.Fatalf("Signature(%q) = %s, want %s", tc.x, got, tc.want)
			}
		})
	}
}

func TestQueryEscaping(t *testing.T) {
	got := Query([][2]string{{"location", "Hà Nội"}, {"order_id", "88062110977884170"}, {"form_ids", "1,22"}, {"q", "a+b&c"}})
	want := "location=H%C3%A0%20N%E1%BB%99i&order_id=88062110977884170&form_ids=1%2C22&q=a%2Bb%26c"
	if got != want {
		t.Fatalf("Query = %s, want %s", got, want)
	}
}
