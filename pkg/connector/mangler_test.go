package connector_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// newMangler serves a proxy to the simulator at target that passes every
// request through unchanged (so the simulator still checks signatures)
// and rewrites response bodies with mangle: a vendor sending bad records.
func newMangler(t testing.TB, target string, mangle func([]byte) []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(mangle(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
