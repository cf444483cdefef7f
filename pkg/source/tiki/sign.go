package tiki

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
)

// Signature computes Tiki's X-Tiniapp-Signature ("calculate signature" in
// the Tini App open API documents):
//
//	payload   = timestamp + "." + clientID + "." + x
//	signature = hex(HMAC-SHA256(secret, base64url_no_padding(payload)))
//
// x is the exact JSON body for POST; for GET it is the path without the
// base URL followed by "?" and the query exactly as sent (see Query).
func Signature(secret, clientID string, timestampMs int64, x string) string {
	payload := strconv.FormatInt(timestampMs, 10) + "." + clientID + "." + x
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(base64.RawURLEncoding.EncodeToString([]byte(payload))))
	return hex.EncodeToString(mac.Sum(nil))
}

// Query encodes params in the order given, each value percent-encoded the
// way Tiki signs it: space as %20, comma as %2C, everything outside the
// unreserved set escaped.
func Query(params [][2]string) string {
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(escape(p[0]))
		b.WriteByte('=')
		b.WriteString(escape(p[1]))
	}
	return b.String()
}

func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
