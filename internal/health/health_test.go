package health_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/health"
	"github.com/signetid/signet/internal/signing"
)

// Both probes are Health routes (debug log, no issuer needed); /readyz is
// 503 without a signing key, whatever Ready says, and never calls Ready
// then.
func TestProbes(t *testing.T) {
	t.Parallel()
	called := false
	e := &health.Endpoint{Ready: func(context.Context) error { called = true; return nil }}
	byPath := map[string]endpoint.Route{}
	for _, rt := range e.Routes() {
		if rt.Kind != endpoint.Health || rt.Method != http.MethodGet {
			t.Errorf("route %s %s of kind %v", rt.Method, rt.Path, rt.Kind)
		}
		byPath[rt.Path] = rt
	}
	serve := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		byPath[path].Handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w
	}
	if w := serve(health.PathLive); w.Code != http.StatusOK || w.Body.String() != "ok\n" {
		t.Errorf("%s: %d %q", health.PathLive, w.Code, w.Body)
	}
	if w := serve(health.PathReady); w.Code != http.StatusServiceUnavailable || w.Body.String() != "not ready: no signing key\n" || called {
		t.Errorf("%s without keys: %d %q (Ready called: %v)", health.PathReady, w.Code, w.Body, called)
	}
	var m endpoint.Metadata
	e.Describe(&m)
	if len(m.Paths) != 0 || m.DiscoveryPath != "" {
		t.Errorf("the probes are in the discovery metadata: %+v", m)
	}
}

func TestNotReadyError(t *testing.T) {
	t.Parallel()
	cause := errors.New("dial db.internal:5432: refused")
	err := error(&health.NotReadyError{Reason: "the database does not answer", Err: cause})
	if err.Error() != "the database does not answer: dial db.internal:5432: refused" || !errors.Is(err, cause) {
		t.Errorf("%v", err)
	}
	if err := (&health.NotReadyError{Reason: "not yet"}); err.Error() != "not yet" {
		t.Errorf("%v", err)
	}
}

// While draining, /readyz is 503 whatever else holds, and /healthz is
// still 200: the process answers, it only asks not to get new requests.
func TestDraining(t *testing.T) {
	t.Parallel()
	var draining atomic.Bool
	e := &health.Endpoint{Keys: signer{}, Draining: draining.Load}
	serve := func(path string) *httptest.ResponseRecorder {
		for _, rt := range e.Routes() {
			if rt.Path == path {
				w := httptest.NewRecorder()
				rt.Handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
				return w
			}
		}
		t.Fatalf("no route %s", path)
		return nil
	}
	if w := serve(health.PathReady); w.Code != http.StatusOK || w.Body.String() != "ready\n" {
		t.Fatalf("%s before draining: %d %q", health.PathReady, w.Code, w.Body)
	}
	draining.Store(true)
	if w := serve(health.PathReady); w.Code != http.StatusServiceUnavailable || w.Body.String() != "not ready: shutting down\n" {
		t.Errorf("%s while draining: %d %q", health.PathReady, w.Code, w.Body)
	}
	if w := serve(health.PathLive); w.Code != http.StatusOK {
		t.Errorf("%s while draining: %d %q", health.PathLive, w.Code, w.Body)
	}
}

// signer has a signing key; /readyz only asks whether there is one.
type signer struct{}

func (signer) Signer() *signing.Key { return &signing.Key{} }

// A reason not to be ready is logged at warning level by each probe, unless
// it is Reported (the storage outage report logs it once): then at debug
// level, so that probes every few seconds do not repeat it.
func TestNotReadyLogLevel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		reported bool
		want     string
	}{{false, "level=WARN"}, {true, "level=DEBUG"}} {
		var buf bytes.Buffer
		e := &health.Endpoint{Keys: signer{}, Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Ready: func(context.Context) error {
				return &health.NotReadyError{Reason: "storage full: writes fail", Reported: tc.reported}
			}}
		w := httptest.NewRecorder()
		for _, rt := range e.Routes() {
			if rt.Path == health.PathReady {
				rt.Handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, rt.Path, nil))
			}
		}
		if w.Code != http.StatusServiceUnavailable || w.Body.String() != "not ready: storage full: writes fail\n" {
			t.Errorf("reported %v: %d %q", tc.reported, w.Code, w.Body)
		}
		if !strings.Contains(buf.String(), tc.want+` msg="not ready" error="storage full: writes fail"`) {
			t.Errorf("reported %v: logged %q, want %s", tc.reported, buf.String(), tc.want)
		}
	}
}
