package nxlink

import "testing"

// The wanted values are the md5 of the literal strings in the comments,
// computed outside Go (printf '%s' '...' | md5sum).
func TestSign(t *testing.T) {
	for _, tc := range []struct {
		name, accessKey, secret string
		ts                      int64
		body, want              string
	}{
		{
			// accessKey=fme2na3kdi3ki&action=mt&bizType=2&ts=1655710885431&body={"tenant_id":123,"limit":5,"after":1022100838976413697,"whatsApp_phone":"861360301975912","app_key":"8eos"}&accessSecret=s3cr3t-Hà
			"document example body", "fme2na3kdi3ki", "s3cr3t-Hà", 1655710885431,
			`{"tenant_id":123,"limit":5,"after":1022100838976413697,"whatsApp_phone":"861360301975912","app_key":"8eos"}`,
			"e1e64ae0e77e0c581ff889eb51ea427c",
		},
		{
			// accessKey=AK&action=mt&bizType=2&ts=0&body=&accessSecret=
			"empty body and secret", "AK", "", 0, "", "977fdd01f0e110d707306ce88d22a09f",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sign(tc.accessKey, tc.secret, tc.ts, []byte(tc.body)); got != tc.want {
				t.Fatalf("Sign = %s, want %s", got, tc.want)
			}
		})
	}
}

// The sign covers the exact body bytes: the same JSON with other spacing
// signs differently.
func TestSignCoversExactBytes(t *testing.T) {
	a := Sign("AK", "secret", 1, []byte(`{"limit":5}`))
	b := Sign("AK", "secret", 1, []byte(`{"limit": 5}`))
	c := Sign("AK", "secret", 2, []byte(`{"limit":5}`))
	if a == b || a == c {
		t.Fatalf("signs %s %s %s must all differ", a, b, c)
	}
}
