package connector

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves /metrics, /healthz (the process is alive), /readyz
// (offsets are restored and the broker answered), /status (JSON: each
// source's state, last success, last error, offset, lag and task) and,
// with http.pprof, Go's profiles under /debug/pprof/.
func (c *Connector) Handler() http.Handler {
	mux := http.NewServeMux()
	if c.cfg.HTTP.Pprof {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(c.metrics.Registry, promhttp.HandlerOpts{Registry: c.metrics.Registry}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /status", c.serveStatus)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !c.ready.Load() {
			http.Error(w, "not ready: restoring offsets or waiting for the broker", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return mux
}

// serve starts the HTTP endpoint on cfg.HTTP.Listen ("-" disables it).
func (c *Connector) serve() (stop func(), err error) {
	if c.cfg.HTTP.Listen == "-" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", c.cfg.HTTP.Listen)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.log.Error("http endpoint stopped", "err", err)
		}
	}()
	c.log.Info("serving /metrics /healthz /readyz /status", "addr", ln.Addr().String(), "pprof", c.cfg.HTTP.Pprof)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
