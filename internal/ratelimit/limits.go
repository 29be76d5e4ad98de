package ratelimit

import (
	"context"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/oauth"
)

// TooMany is the answer to a caller over a limit: 429, slow_down, and
// Retry-After of retry. what says which limit, for the developer.
func TooMany(retry time.Duration, what string) *oauth.Error {
	return &oauth.Error{
		Code:        oauth.SlowDown,
		Description: "too many requests " + what + "; retry after " + oauth.RetryAfterSeconds(retry) + " s (Retry-After)",
		Status:      http.StatusTooManyRequests,
		RetryAfter:  retry,
	}
}

// Key is the key an address is counted by: an IPv4 address as it is, an
// IPv6 address's /64 (one subscriber usually has a whole /64), anything
// unparsable as it is.
func Key(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

type addrKey struct{}

// WithAddr returns ctx carrying the key of the caller's address (Key).
func WithAddr(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, addrKey{}, key)
}

// Addr is the key of the caller's address the Middleware put in ctx, or "".
func Addr(ctx context.Context) string {
	s, _ := ctx.Value(addrKey{}).(string)
	return s
}

// Options configure a Limiter.
type Options struct {
	// Paths are the routes limited per address (the token, introspection
	// and revocation endpoints'); never Health routes.
	Paths []string
	// PerIP limits each address on Paths; PerClient each authenticated
	// confidential client.
	PerIP, PerClient Rate
	// Failures, when set, blocks addresses with too many failed client
	// authentications.
	Failures *Failures
	// ClientIP is the caller's address (behind a trusted proxy, what the
	// proxy saw).
	ClientIP func(*http.Request) string
	// MaxKeys bounds the keys each limit remembers (default
	// DefaultMaxKeys).
	MaxKeys int
	Now     func() time.Time
}

// Limiter applies the limits of the API endpoints: per address in its
// Middleware, per client and failed authentication through clientauth.
type Limiter struct {
	paths     []string
	perIP     *Buckets
	perClient *Buckets
	failures  *Failures
	clientIP  func(*http.Request) string
}

// New makes a Limiter.
func New(o Options) *Limiter {
	l := &Limiter{paths: o.Paths, failures: o.Failures, clientIP: o.ClientIP}
	if !o.PerIP.Off() {
		l.perIP = NewBuckets(o.PerIP, o.MaxKeys, o.Now)
	}
	if !o.PerClient.Off() {
		l.perClient = NewBuckets(o.PerClient, o.MaxKeys, o.Now)
	}
	return l
}

// Middleware limits the routes on Paths per address, and puts the
// address in their requests' context for the client authentication's
// checks. Other routes, discovery and the JWKS among them, and Health
// routes, are left as they are.
func (l *Limiter) Middleware(rt endpoint.Route, next http.Handler) http.Handler {
	if rt.Kind == endpoint.Health || !slices.Contains(l.paths, rt.Path) {
		return next
	}
	if l.perIP == nil && l.failures == nil {
		return next
	}
	refuse := rt.Refuse
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := Key(l.clientIP(r))
		if wait := l.perIP.Take(key); wait > 0 {
			w.Header().Set("Retry-After", oauth.RetryAfterSeconds(wait))
			refuse(w, r, TooMany(wait, "from this address"))
			return
		}
		if l.failures != nil {
			r = r.WithContext(WithAddr(r.Context(), key))
		}
		next.ServeHTTP(w, r)
	})
}

// Before refuses a client authentication from an address blocked for its
// failures.
func (l *Limiter) Before(ctx context.Context) *oauth.Error {
	if l.failures == nil {
		return nil
	}
	if key := Addr(ctx); key != "" {
		if wait := l.failures.Blocked(key); wait > 0 {
			return TooMany(wait, "with failed client authentication from this address")
		}
	}
	return nil
}

// Failed counts a failed client authentication from the request's address.
func (l *Limiter) Failed(ctx context.Context) {
	if l.failures == nil {
		return
	}
	if key := Addr(ctx); key != "" {
		l.failures.Fail(ctx, key)
	}
}

// Authenticated takes a token from the bucket of the client that
// authenticated (key: the endpoint and the client's id), or refuses it.
func (l *Limiter) Authenticated(ctx context.Context, key string) *oauth.Error {
	if wait := l.perClient.Take(key); wait > 0 {
		return TooMany(wait, "for this client")
	}
	return nil
}
