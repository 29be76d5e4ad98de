package clientauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/internal/client"
)

// RemoteKeys fetches and caches the JWKS of clients that publish their keys
// at a jwksUri. A fetch happens at most once at a time per URI, on its own
// bounded context (not the request's), and a failure is remembered for a
// while: a flood of requests naming a client, signed or not, can neither
// queue up behind a slow endpoint nor make Signet fetch once per request.
type RemoteKeys struct {
	// HTTP is the client used to fetch; nil means one with a 5 s timeout
	// that follows no redirects.
	HTTP *http.Client
	// TTL is how long a fetched set is used before it is fetched again in
	// the background; default 5 minutes.
	TTL time.Duration
	// MinRefresh is the least time between two fetches of one URI, whether
	// forced by an unknown kid or after a failure; default 30 seconds.
	MinRefresh time.Duration
	// Wait bounds how long a request waits for a fetch; default 5 seconds.
	Wait time.Duration

	mu    sync.Mutex
	cache map[string]*remoteEntry
}

type remoteEntry struct {
	set       *jose.JSONWebKeySet
	fetched   time.Time // last success
	attempted time.Time // last attempt, successful or not
	err       error     // of the last attempt
	inflight  chan struct{}
}

// maxJWKSBytes bounds a fetched key set.
const maxJWKSBytes = 256 << 10

// ErrKeysUnavailable is returned when a client's jwksUri gave no usable
// key set; the cause is in the error chain, for the log only.
var ErrKeysUnavailable = errors.New("the client's keys are unavailable")

func (r *RemoteKeys) settings() (ttl, minRefresh, wait time.Duration) {
	ttl, minRefresh, wait = r.TTL, r.MinRefresh, r.Wait
	if ttl == 0 {
		ttl = 5 * time.Minute
	}
	if minRefresh == 0 {
		minRefresh = 30 * time.Second
	}
	if wait == 0 {
		wait = 5 * time.Second
	}
	return
}

// Keys returns the key set at uri. A fresh set is returned at once; a stale
// one too, while a refresh runs in the background. With refresh (an unknown
// kid), a new fetch is made and waited for, unless one was made less than
// MinRefresh ago.
func (r *RemoteKeys) Keys(ctx context.Context, uri string, refresh bool) (*jose.JSONWebKeySet, error) {
	ttl, minRefresh, wait := r.settings()
	now := time.Now()
	r.mu.Lock()
	if r.cache == nil {
		r.cache = map[string]*remoteEntry{}
	}
	e := r.cache[uri]
	if e == nil {
		e = &remoteEntry{}
		r.cache[uri] = e
	}
	fresh := e.set != nil && now.Sub(e.fetched) < ttl
	recent := now.Sub(e.attempted) < minRefresh
	switch {
	case fresh && !refresh, e.set != nil && recent:
		set := e.set
		r.mu.Unlock()
		return set, nil
	case e.set == nil && recent && e.inflight == nil:
		err := e.err
		r.mu.Unlock()
		return nil, fmt.Errorf("%w: %v", ErrKeysUnavailable, err)
	}
	done := r.startFetch(uri, e)
	stale := e.set
	r.mu.Unlock()
	if stale != nil && !refresh {
		return stale, nil // the refresh runs on; this request need not wait
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-done:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timer.C:
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.set != nil {
		return e.set, nil
	}
	return nil, fmt.Errorf("%w: %v", ErrKeysUnavailable, e.err)
}

// startFetch starts a fetch unless one is running; r.mu is held.
func (r *RemoteKeys) startFetch(uri string, e *remoteEntry) chan struct{} {
	if e.inflight != nil {
		return e.inflight
	}
	done := make(chan struct{})
	e.inflight = done
	e.attempted = time.Now()
	go func() {
		_, _, wait := r.settings()
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		set, err := r.fetch(ctx, uri)
		cancel()
		r.mu.Lock()
		if err == nil {
			e.set, e.fetched = set, time.Now()
		}
		e.err = err
		e.inflight = nil
		r.mu.Unlock()
		close(done)
	}()
	return done
}

func (r *RemoteKeys) fetch(ctx context.Context, uri string) (*jose.JSONWebKeySet, error) {
	hc := r.HTTP
	if hc == nil {
		hc = &http.Client{
			Timeout: 5 * time.Second,
			// A key set is where it was configured to be: a redirect
			// could lead anywhere, over any scheme.
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return errors.New("redirects are not followed for a jwksUri")
			},
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", uri, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("GET %s: the key set is over %d KiB", uri, maxJWKSBytes>>10)
	}
	set, err := client.ParseKeySet(body, false)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", uri, err)
	}
	return set, nil
}
