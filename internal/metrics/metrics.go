package metrics

import (
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/signetid/signet/internal/outage"
	"github.com/signetid/signet/internal/signing"
)

// Path is where the metrics are served.
const Path = "/metrics"

// Other is the label of what a bound leaves out: the clients beyond
// MaxClients, unknown grant types, the paths no route has.
const Other = "other"

// DefaultMaxClients is Options.MaxClients when zero.
const DefaultMaxClients = 100

// Options are what the metrics read.
type Options struct {
	// Version is the build's, for signet_build_info.
	Version string
	// MaxClients bounds the client label: the first MaxClients clients
	// that get a token are labelled by their id, the rest "other".
	// DefaultMaxClients if zero.
	MaxClients int
	// Keys are the configured signing and validation keys, read at each
	// scrape for signet_key_expiry_seconds (the ring's Configured); nil
	// for none.
	Keys func() []*signing.Key
	// Store is the storage; when it has a PoolStats method (or is a
	// storage.Deferred whose store has one, once set), its pools are
	// read at each scrape. nil for none.
	Store any
	// Outages are the storage outages serve's outage.Tracker reports
	// (its Stats), read at each scrape; nil for none.
	Outages func() outage.Stats
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Metrics holds Signet's metrics and the registry that serves them.
type Metrics struct {
	reg *prometheus.Registry
	now func() time.Time

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	issued       *prometheus.CounterVec
	tokenResults *prometheus.CounterVec
	authFailures *prometheus.CounterVec
	logins       *prometheus.CounterVec
	rotations    prometheus.Counter
	signatures   *prometheus.CounterVec

	// issuedBy and resultsBy resolve the children of issued and
	// tokenResults, bounded, so that an event costs a map read.
	issuedBy, resultsBy table
	// signers caches signatures' child per key.
	signersMu sync.RWMutex
	signers   map[signerID]prometheus.Counter
}

// durationBuckets are the latency histogram's buckets, in seconds: a
// token signed with RS256-2048 takes about a millisecond, a login's
// argon2id some tens, a stuck database seconds.
var durationBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New makes the metrics and registers them, with the Go runtime's and the
// process's.
func New(opts Options) *Metrics {
	if opts.MaxClients <= 0 {
		opts.MaxClients = DefaultMaxClients
	}
	m := &Metrics{reg: prometheus.NewRegistry(), now: opts.Now, signers: map[signerID]prometheus.Counter{}}
	if m.now == nil {
		m.now = time.Now
	}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "signet_http_requests_total",
		Help: "HTTP requests served, by endpoint (the route's path; other for paths no route has) and status code.",
	}, []string{"endpoint", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "signet_http_request_duration_seconds",
		Help:    "Time to serve an HTTP request, by endpoint, from the route's handler being called to its return.",
		Buckets: durationBuckets,
	}, []string{"endpoint"})
	m.issued = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "signet_tokens_issued_total",
		Help: "Token responses issued, by client (the first metrics.maxClients clients, then other) and grant type.",
	}, []string{"client", "grant_type"})
	m.tokenResults = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "signet_token_requests_total",
		Help: "Token requests, by grant type and result: success, or the OAuth error code they were refused with.",
	}, []string{"grant_type", "result"})
	m.issuedBy = table{vec: m.issued, max: opts.MaxClients}
	// Results are the code's own words (OAuth error codes), not the
	// request's; bounded all the same, should one ever carry more.
	m.resultsBy = table{vec: m.tokenResults, max: maxResults, grantFirst: true}
	m.authFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "signet_client_auth_failures_total",
		Help: "Client authentications that failed, by the OAuth error code.",
	}, []string{"result"})
	m.logins = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "signet_login_attempts_total",
		Help: "Sign-in attempts, by result: success, failure, or locked_out (refused during a lockout).",
	}, []string{"result"})
	m.rotations = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "signet_key_rotations_total",
		Help: "Signing key rotations this instance made or applied.",
	})
	m.signatures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "signet_signatures_total",
		Help: "JWTs signed on the token path, by key id and algorithm.",
	}, []string{"kid", "alg"})
	// The results every login reports, at zero from the start, so that a
	// rate over them is defined before the first failure.
	for _, r := range []string{loginSuccess, loginFailure, loginLockedOut} {
		m.logins.WithLabelValues(r)
	}

	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "signet_build_info",
		Help: "Always 1; the labels say which build of Signet runs.",
	}, []string{"version", "goversion"})
	build.WithLabelValues(opts.Version, runtime.Version()).Set(1)

	m.reg.MustRegister(m.requests, m.duration, m.issued, m.tokenResults, m.authFailures, m.logins,
		m.rotations, m.signatures, build,
		&keyExpiry{keys: opts.Keys, now: m.now}, &pools{store: opts.Store}, &outages{stats: opts.Outages},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus' text format (or OpenMetrics,
// when asked), gzipped when the scraper accepts it.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
