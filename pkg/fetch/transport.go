package fetch

import "net/http"

// MaxConnsPerHost is the most connections a shared transport (see
// NewTransport) opens to one vendor host; a request beyond waits for one,
// inside its own timeout.
const MaxConnsPerHost = 32

// NewTransport returns a transport for the sources of one connector to
// share: http.DefaultTransport's settings, one pool of connections per
// vendor host, at most MaxConnsPerHost open and as many kept idle per
// host, so that many sources of one vendor reuse a few connections
// instead of holding one each.
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxConnsPerHost = MaxConnsPerHost
	t.MaxIdleConnsPerHost = MaxConnsPerHost
	t.MaxIdleConns = 8 * MaxConnsPerHost
	return t
}
