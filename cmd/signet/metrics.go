package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/metrics"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/storage"
)

// serveMetrics are serve's metrics (the metrics section): the counters the
// server's routes, the token path's signer and the observed events feed,
// and the listener that serves them. A nil *serveMetrics is metrics off:
// its methods then leave what they are given as it is.
type serveMetrics struct {
	m      *metrics.Metrics
	public bool
	// ln is metrics.listen's listener, taken with the public one (nil
	// without metrics.listen).
	ln     net.Listener
	srv    *http.Server
	served chan error
}

// metricsShutdown bounds how long a scrape in flight is waited for.
const metricsShutdown = 5 * time.Second

// metricsListener takes metrics.listen's address (nil without one), with
// the public one and before anything is written, so that a busy port
// leaves nothing behind. The address is checked against the public one as
// the flags and $PORT left it, which the configuration's check could not
// know.
func metricsListener(cfg *config.Config) (net.Listener, error) {
	addr := cfg.Metrics.Listen
	if addr == "" {
		return nil, nil
	}
	if config.SameListener(addr, cfg.Listen) {
		return nil, fmt.Errorf("metrics.listen: %s", config.MetricsOnPublic(addr, cfg.Listen))
	}
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("metrics.listen %s: the address is in use: stop what listens there, or pick another address", addr)
	} else if err != nil {
		return nil, fmt.Errorf("metrics.listen %s: %w", addr, err)
	}
	return ln, nil
}

// newMetrics makes the metrics, nil when the configuration has none; ln
// is metricsListener's. It is made as soon as the store is open, so that
// the key manager's events are counted from the first; the keys are read
// from svc's ring at each scrape, the managed one once it is made.
func (a *app) newMetrics(cfg *config.Config, svc *services, db storage.Store, ln net.Listener) *serveMetrics {
	mc := cfg.Metrics
	if !mc.Enabled() {
		return nil
	}
	// svc.ring is replaced by the managed ring before listen, and never
	// after: a scrape reads the ring serve ends up with.
	keys := func() []*signing.Key { return svc.ring.Configured() }
	return &serveMetrics{
		m: metrics.New(metrics.Options{Version: versionString(), MaxClients: mc.MaxClients,
			Keys: keys, Store: db, Outages: svc.outages.Stats, Now: a.now}),
		public: mc.Public,
		ln:     ln,
	}
}

// listen starts serving /metrics on metrics.listen's listener, alone,
// when it is set.
func (s *serveMetrics) listen(logger *slog.Logger) {
	if s == nil || s.ln == nil {
		return
	}
	ln := s.ln
	mux := http.NewServeMux()
	mux.Handle("GET "+metrics.Path, s.m.Handler())
	s.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	s.served = make(chan error, 1)
	go func() { s.served <- s.srv.Serve(ln) }()
	logger.Info("metrics listening", slog.String("url", "http://"+ln.Addr().String()+metrics.Path), slog.String("addr", ln.Addr().String()))
}

// middleware is the server's hook that counts and times requests.
func (s *serveMetrics) middleware() []endpoint.Middleware {
	if s == nil {
		return nil
	}
	return []endpoint.Middleware{s.m.Middleware}
}

// signer counts the token path's signatures.
func (s *serveMetrics) signer(next metrics.Signer) metrics.Signer {
	if s == nil {
		return next
	}
	return s.m.Signer(next)
}

// observer counts the events the acting code reports; serve gives it
// beside the audit log's, in observe.Multi.
func (s *serveMetrics) observer() observe.Observer {
	if s == nil {
		return nil
	}
	return s.m
}

// handler is the public listener's handler: h, and /metrics as well with
// metrics.public.
func (s *serveMetrics) handler(h http.Handler) http.Handler {
	if s == nil || !s.public {
		return h
	}
	mh := s.m.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == metrics.Path && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			mh.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// stop shuts the metrics listener down, after the public one: a scrape
// during the drain still sees the instance.
func (s *serveMetrics) stop() {
	if s == nil || s.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), metricsShutdown)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	<-s.served
}
