package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// A paused load has nothing in flight and sends nothing until it is
// resumed; its counts are complete while paused; stop ends it.
func TestLoadPause(t *testing.T) {
	var inflight, served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inflight.Add(1)
		defer inflight.Add(-1)
		time.Sleep(2 * time.Millisecond)
		served.Add(1)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ep := endpoint{name: "test", method: "GET", path: "/", want: 200}
	for _, gen := range []string{genRaw, genNetHTTP} {
		t.Run(gen, func(t *testing.T) {
			l, err := newLoad(ctx, target{base: srv.URL}, ep, gen, 8)
			if err != nil {
				t.Fatal(err)
			}
			defer l.close()
			l.counting.Store(true)
			l.start(ep.want)
			for range 3 {
				time.Sleep(30 * time.Millisecond)
				l.pause()
				ok := l.okCount()
				if ok == 0 {
					t.Fatal("no request succeeded before the pause")
				}
				// The handler returns before the client reads the
				// response, so the server may still be finishing one.
				time.Sleep(5 * time.Millisecond)
				if n := inflight.Load(); n != 0 {
					t.Fatalf("%d requests in flight while paused", n)
				}
				before := served.Load()
				time.Sleep(30 * time.Millisecond)
				if n := served.Load() - before; n != 0 || l.okCount() != ok {
					t.Fatalf("%d requests served while paused (count %d, then %d)", n, ok, l.okCount())
				}
				l.resume()
			}
			l.stop()
			var r result
			l.collect(&r)
			if r.ok == 0 || r.errs != 0 || r.sent < r.ok {
				t.Errorf("ok %d, errors %d (%s), sent %d", r.ok, r.errs, r.firstErr, r.sent)
			}
		})
	}
}
