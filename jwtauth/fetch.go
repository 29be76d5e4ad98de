package jwtauth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// tuning holds the key-refresh timings. They are fixed in production
// (defaultTuning); tests shorten them through newValidator, so that no
// package-level state is ever changed.
type tuning struct {
	// minMaxAge and maxMaxAge bound the JWKS's Cache-Control max-age;
	// defaultMaxAge is used without one.
	minMaxAge, maxMaxAge, defaultMaxAge time.Duration
	// backoffMin is the first retry delay after a failed fetch; it doubles
	// up to backoffMaxCold while no key is loaded, backoffMaxWarm after.
	backoffMin, backoffMaxCold, backoffMaxWarm time.Duration
	// fetchTimeout bounds each fetch when the HTTP client has no Timeout.
	fetchTimeout time.Duration
}

func defaultTuning() tuning {
	return tuning{
		minMaxAge:      time.Minute,
		maxMaxAge:      24 * time.Hour,
		defaultMaxAge:  time.Hour,
		backoffMin:     time.Second,
		backoffMaxCold: 30 * time.Second,
		backoffMaxWarm: 5 * time.Minute,
		fetchTimeout:   defaultFetchTimeout,
	}
}

// fetchCall is one fetch of the keys, which any number of callers wait for
// (a single flight).
type fetchCall struct {
	done chan struct{}
	err  error
}

// issuerMismatchError: the discovery document names another issuer. It is
// a configuration error, so New reports it.
type issuerMismatchError struct{ url, got, want string }

func (e *issuerMismatchError) Error() string {
	return fmt.Sprintf("the discovery document at %s says issuer %s, but Options.Issuer is %s; they must be equal, byte for byte (a trailing slash counts)", e.url, quote(e.got), quote(e.want))
}

// startFetch returns the fetch in flight, or starts one. A forced fetch (a
// token with an unknown kid, or none loaded) starts only if the last forced
// one began at least MinRefreshInterval ago; otherwise startFetch returns
// nil. It never starts one after Close.
func (v *Validator) startFetch(forced bool) *fetchCall {
	if v.static {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.inflight != nil {
		return v.inflight
	}
	if v.ctx.Err() != nil {
		return nil
	}
	if forced {
		now := time.Now()
		if !v.lastForced.IsZero() && now.Sub(v.lastForced) < v.cfg.minRefresh {
			return nil
		}
		v.lastForced = now
	}
	c := &fetchCall{done: make(chan struct{})}
	v.inflight = c
	v.fetches.Go(func() { v.runFetch(c) })
	return c
}

// runFetch fetches the keys, installs them, and schedules the next refresh.
func (v *Validator) runFetch(c *fetchCall) {
	ctx := v.ctx
	if v.cfg.ownTimeout {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, v.tuning.fetchTimeout)
		defer cancel()
	}
	res, err := v.fetchKeys(ctx)

	v.mu.Lock()
	old := v.keys.Load()
	now := time.Now()
	var next time.Duration
	if err == nil {
		if res.keys != nil {
			v.keys.Store(res.keys)
		}
		v.failures = 0
		v.lastErr = nil
		next = v.boundMaxAge(res.maxAge, res.hasMaxAge)
	} else {
		v.failures++
		v.lastErr = err
		next = v.backoff(v.failures, old != nil)
	}
	v.refreshAt = now.Add(next)
	v.inflight = nil
	v.mu.Unlock()

	c.err = err
	close(c.done)
	select {
	case v.wake <- struct{}{}:
	default:
	}
	v.logFetch(res, err, old, next)
}

func (v *Validator) logFetch(res fetchResult, err error, old *keySet, next time.Duration) {
	log, ctx := v.cfg.log, v.ctx
	if err != nil {
		if old != nil {
			log.LogAttrs(ctx, slog.LevelWarn, "jwtauth: key refresh failed; the cached keys keep working",
				slog.String("error", err.Error()), slog.Duration("retry_in", next))
		} else {
			log.LogAttrs(ctx, slog.LevelError, "jwtauth: cannot load the issuer's keys; tokens are refused (ErrKeysUnavailable) until they load",
				slog.String("error", err.Error()), slog.Duration("retry_in", next))
		}
		return
	}
	if res.changedBody {
		for _, s := range res.keys.skipped {
			log.LogAttrs(ctx, slog.LevelWarn, "jwtauth: key skipped", slog.String("jwks_uri", res.uri), slog.String("reason", s))
		}
	}
	cur := res.keys
	if cur == nil { // 304: the cached keys stay
		cur = old
	}
	if cur == nil {
		return
	}
	level := slog.LevelDebug
	if old == nil || !slices.Equal(old.ids, cur.ids) {
		level = slog.LevelInfo
	}
	log.LogAttrs(ctx, level, "jwtauth: keys loaded", slog.String("jwks_uri", res.uri),
		slog.String("kids", strings.Join(cur.ids, ", ")), slog.Bool("not_modified", res.keys == nil),
		slog.Duration("refresh_in", next))
}

// boundMaxAge turns a Cache-Control max-age into the refresh interval.
func (v *Validator) boundMaxAge(d time.Duration, ok bool) time.Duration {
	if !ok {
		return v.tuning.defaultMaxAge
	}
	return min(max(d, v.tuning.minMaxAge), v.tuning.maxMaxAge)
}

// backoff is the delay before retrying after n consecutive failures:
// doubling from backoffMin, capped, with ±10% jitter so that many API
// instances do not retry in step.
func (v *Validator) backoff(n int, warm bool) time.Duration {
	limit := v.tuning.backoffMaxCold
	if warm {
		limit = v.tuning.backoffMaxWarm
	}
	d := v.tuning.backoffMin
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d - d/10 + rand.N(d/5+1)
}

// loop refreshes the keys in the background until Close.
func (v *Validator) loop() {
	defer close(v.loopDone)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		v.mu.Lock()
		at, inflight := v.refreshAt, v.inflight
		v.mu.Unlock()
		if inflight != nil {
			select {
			case <-inflight.done:
			case <-v.ctx.Done():
				return
			}
			continue
		}
		d := time.Until(at)
		if d <= 0 {
			if v.startFetch(false) == nil {
				return // closed
			}
			continue
		}
		timer.Reset(d)
		select {
		case <-v.ctx.Done():
			return
		case <-timer.C:
		case <-v.wake:
		}
	}
}

// fetchResult is what one fetch found.
type fetchResult struct {
	uri         string
	keys        *keySet // nil when the JWKS was not modified
	maxAge      time.Duration
	hasMaxAge   bool
	changedBody bool
}

// fetchKeys reads the discovery document (unless JWKSURI was given or
// jwks_uri is already known) and then the JWKS.
func (v *Validator) fetchKeys(ctx context.Context) (fetchResult, error) {
	uri := v.cfg.jwksURI
	if uri == "" {
		v.mu.Lock()
		uri = v.discovered
		if v.needsDiscovery() {
			uri = "" // read it again: the introspection endpoint may be there now
		}
		v.mu.Unlock()
		if uri == "" {
			var err error
			if uri, err = v.discover(ctx); err != nil {
				return fetchResult{}, err
			}
			v.mu.Lock()
			v.discovered = uri
			v.mu.Unlock()
		}
	}
	res, err := v.fetchJWKS(ctx, uri)
	if err != nil && v.cfg.jwksURI == "" {
		// Read discovery again next time: jwks_uri may have moved.
		v.mu.Lock()
		v.discovered = ""
		v.mu.Unlock()
	}
	return res, err
}

// discover reads jwks_uri from the issuer's discovery document, after
// checking that the document is the issuer's own.
func (v *Validator) discover(ctx context.Context) (string, error) {
	u := strings.TrimSuffix(v.cfg.issuer, "/") + discoveryPath
	body, _, err := v.get(ctx, u, "application/json", "")
	if err != nil {
		return "", err
	}
	var doc struct {
		Issuer        *string `json:"issuer"`
		JWKSURI       string  `json:"jwks_uri"`
		Introspection string  `json:"introspection_endpoint"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("the discovery document at %s is not JSON: %w", u, err)
	}
	switch {
	case doc.Issuer == nil:
		return "", fmt.Errorf("the discovery document at %s has no issuer member", u)
	case *doc.Issuer != v.cfg.issuer:
		return "", &issuerMismatchError{url: u, got: *doc.Issuer, want: v.cfg.issuer}
	case doc.JWKSURI == "":
		return "", fmt.Errorf("the discovery document at %s has no jwks_uri", u)
	}
	if err := v.cfg.checkURL("its jwks_uri", doc.JWKSURI); err != nil {
		return "", fmt.Errorf("the discovery document at %s: %w", u, err)
	}
	v.mu.Lock()
	v.noteDiscovery(u, doc.Introspection)
	v.mu.Unlock()
	return doc.JWKSURI, nil
}

// fetchJWKS reads and parses the key set, sending the last ETag so that an
// unchanged set costs a 304.
func (v *Validator) fetchJWKS(ctx context.Context, uri string) (fetchResult, error) {
	v.mu.Lock()
	etag := v.etag
	if v.etagURI != uri || v.keys.Load() == nil {
		etag = ""
	}
	v.mu.Unlock()
	body, resp, err := v.get(ctx, uri, "application/jwk-set+json, application/json", etag)
	if err != nil {
		return fetchResult{}, err
	}
	res := fetchResult{uri: uri}
	res.maxAge, res.hasMaxAge = maxAge(resp.Header.Get("Cache-Control"))
	if resp.StatusCode == http.StatusNotModified {
		return res, nil
	}
	ks, err := parseKeySet(body)
	if err != nil {
		return fetchResult{}, fmt.Errorf("the JWKS at %s: %w", uri, err)
	}
	if len(ks.keys) == 0 {
		return fetchResult{}, fmt.Errorf("the JWKS at %s has no usable key (skipped: %s)", uri, orNone(ks.skipped, "; "))
	}
	res.keys = ks
	sum := sha256.Sum256(body)
	v.mu.Lock()
	res.changedBody = sum != v.bodySum
	v.bodySum = sum
	v.etag, v.etagURI = resp.Header.Get("ETag"), uri
	v.mu.Unlock()
	return res, nil
}

// get fetches u: 200 (or 304 when etag is given), a body of at most
// maxBodySize.
func (v *Validator) get(ctx context.Context, u, accept, etag string) ([]byte, *http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", u, err)
	}
	req.Header.Set("Accept", accept)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := v.cfg.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	if etag != "" && resp.StatusCode == http.StatusNotModified {
		return nil, resp, nil
	}
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodySize))
		return nil, nil, fmt.Errorf("GET %s: status %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodySize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: reading the body: %w", u, err)
	}
	if len(body) > maxBodySize {
		return nil, nil, fmt.Errorf("GET %s: the body is over %d bytes", u, maxBodySize)
	}
	return body, resp, nil
}

// maxAge reads max-age from a Cache-Control header; no-store and no-cache
// count as max-age=0 (refresh as often as allowed).
func maxAge(cc string) (time.Duration, bool) {
	var d time.Duration
	found, noCache := false, false
	for part := range strings.SplitSeq(cc, ",") {
		part = strings.ToLower(strings.TrimSpace(part))
		switch {
		case part == "no-store" || part == "no-cache":
			noCache = true
		case strings.HasPrefix(part, "max-age=") && !found:
			n, err := strconv.ParseInt(strings.Trim(part[len("max-age="):], `"`), 10, 64)
			if errors.Is(err, strconv.ErrRange) && n > 0 {
				n, err = 1<<31, nil // RFC 9111 §1.2.2
			}
			if err == nil && n >= 0 {
				d, found = time.Duration(min(n, int64(365*24*3600)))*time.Second, true
			}
		}
	}
	if noCache {
		return 0, true
	}
	return d, found
}
