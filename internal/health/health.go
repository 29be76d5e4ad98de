package health

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/outage"
	"github.com/signetid/signet/internal/signing"
)

// Paths of the probes.
const (
	PathLive  = "/healthz"
	PathReady = "/readyz"
)

// readyTimeout bounds how long /readyz waits for Ready.
const readyTimeout = 2 * time.Second

// Signer gives the key tokens are signed with now (signing.Ring).
type Signer interface {
	Signer() *signing.Key
}

// Endpoint is the probes.
type Endpoint struct {
	// Keys must have a signing key for the server to be ready; nil is
	// never ready.
	Keys Signer
	// Ready reports whether dependencies (storage) are reachable. The
	// error is logged; /readyz shows the Reason of a *NotReadyError, and
	// "storage unreachable" for any other (so that no connection detail
	// reaches an unauthenticated caller).
	Ready func(context.Context) error
	// Draining, when it reports true, makes /readyz answer 503 ("not
	// ready: shutting down") whatever else holds: the server is about to
	// stop and a load balancer should send its requests elsewhere, while
	// this one still serves them. nil is never draining.
	Draining func() bool
	Logger   *slog.Logger
}

var _ endpoint.Endpoint = (*Endpoint)(nil)

// Routes are the two probes, of Kind Health: logged at debug level, and
// answered whatever the Host (a probe may send none).
func (e *Endpoint) Routes() []endpoint.Route {
	return []endpoint.Route{
		{Method: http.MethodGet, Path: PathLive, Handler: http.HandlerFunc(serveLive), Kind: endpoint.Health},
		{Method: http.MethodGet, Path: PathReady, Handler: http.HandlerFunc(e.serveReady), Kind: endpoint.Health},
	}
}

// Describe adds nothing: the probes are not in the discovery document.
func (e *Endpoint) Describe(*endpoint.Metadata) {}

// NotReadyError is a reason not to be ready that /readyz may show: Reason
// is for anyone, Err (logged) may name hosts and databases.
type NotReadyError struct {
	Reason string
	Err    error
}

func (e *NotReadyError) Error() string {
	if e.Err == nil {
		return e.Reason
	}
	return e.Reason + ": " + e.Err.Error()
}

func (e *NotReadyError) Unwrap() error { return e.Err }

func serveLive(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

func (e *Endpoint) serveReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if e.Draining != nil && e.Draining() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready: shutting down\n"))
		return
	}
	if e.Keys == nil || e.Keys.Signer() == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready: no signing key\n"))
		return
	}
	if e.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := e.Ready(ctx); err != nil {
			if e.Logger != nil {
				// A storage outage is logged once by the outage.Tracker:
				// not once per check of every load balancer.
				e.Logger.LogAttrs(r.Context(), outage.Level(err, slog.LevelWarn), "not ready", slog.String("error", err.Error()), slog.String("request_id", endpoint.RequestID(r.Context())))
			}
			reason := "storage unreachable"
			var nr *NotReadyError
			if errors.As(err, &nr) {
				reason = nr.Reason
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: " + reason + "\n"))
			return
		}
	}
	_, _ = w.Write([]byte("ready\n"))
}
