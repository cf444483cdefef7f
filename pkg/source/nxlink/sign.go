package nxlink

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
)

// The fixed values of the bizType and action headers of the customers
// query ("WhatsApp business", "mt" in nxlink's document).
const (
	BizType = "2"
	Action  = "mt"
)

// Sign computes the sign header of NXCLOUD's open API ("API auth basics"):
//
//	H    = "accessKey=" + accessKey + "&action=" + Action + "&bizType=" + BizType + "&ts=" + ts
//	sign = lowercase hex(md5(H + "&body=" + body + "&accessSecret=" + secret))
//
// H lists the signed headers by name in ASCII order, sign itself left out;
// ts is the ts header (unix milliseconds) as sent, and body the exact bytes
// of the request body.
func Sign(accessKey, secret string, ts int64, body []byte) string {
	b := make([]byte, 0, 96+len(accessKey)+len(body)+len(secret))
	b = append(b, "accessKey="...)
	b = append(b, accessKey...)
	b = append(b, "&action="+Action+"&bizType="+BizType+"&ts="...)
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, "&body="...)
	b = append(b, body...)
	b = append(b, "&accessSecret="...)
	b = append(b, secret...)
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}
