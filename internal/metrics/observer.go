package metrics

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/observe"
)

// The results of signet_login_attempts_total.
const (
	loginSuccess   = observe.Success
	loginFailure   = "failure"
	loginLockedOut = "locked_out"
)

// maxResults bounds the result label of signet_token_requests_total and
// signet_client_auth_failures_total.
const maxResults = 64

// The grant types labelled as themselves; a request's grant_type is the
// client's to choose, so any other is grantOther.
const (
	grantClientCredentials = iota
	grantAuthorizationCode
	grantRefreshToken
	grantOther
	nGrants
)

var grantNames = [nGrants]string{oauth.GrantClientCredentials, oauth.GrantAuthorizationCode, oauth.GrantRefreshToken, Other}

func grantIndex(gt string) int {
	switch gt {
	case oauth.GrantClientCredentials:
		return grantClientCredentials
	case oauth.GrantAuthorizationCode:
		return grantAuthorizationCode
	case oauth.GrantRefreshToken:
		return grantRefreshToken
	}
	return grantOther
}

var _ observe.Observer = (*Metrics)(nil)

// Observe counts e: tokens issued (by client and grant type) and token
// requests by result, client authentication failures, logins and key
// rotations. Other events are not counted. It is the Observer that
// cmd/signet gives the acting code beside the audit log's.
func (m *Metrics) Observe(_ context.Context, e *observe.Event) {
	switch e.Name {
	case observe.TokenIssued:
		g := grantIndex(e.GrantType)
		m.issuedBy.counter(e.Client, g).Inc()
		m.resultsBy.counter(observe.Success, g).Inc()
	case observe.TokenRefused:
		m.resultsBy.counter(resultOf(e), grantIndex(e.GrantType)).Inc()
	case observe.ClientAuthFailed:
		// A failure is not on the token path's hot side; the vector's
		// own lookup will do, the label bounded by the results' table.
		m.authFailures.WithLabelValues(m.resultsBy.row(resultOf(e)).label).Inc()
	case observe.LoginSucceeded:
		m.logins.WithLabelValues(loginSuccess).Inc()
	case observe.LoginFailed:
		m.logins.WithLabelValues(loginFailure).Inc()
	case observe.LoginLockedOut:
		m.logins.WithLabelValues(loginLockedOut).Inc()
	case observe.KeyRotated:
		m.rotations.Inc()
	}
}

// resultOf is a refusal's result; one reported without is "unknown"
// rather than an empty label.
func resultOf(e *observe.Event) string {
	if e.Result == "" {
		return "unknown"
	}
	return e.Result
}

// table holds the children of a vector labelled by a bounded value (a
// client id, a result) and a grant type: the first max values are rows of
// their own, the others share Other's. A value seen before costs a map
// read under a read lock and an atomic load.
type table struct {
	vec *prometheus.CounterVec
	max int
	// grantFirst: the vector's labels are (grant type, value), not
	// (value, grant type).
	grantFirst bool

	mu    sync.RWMutex
	rows  map[string]*row
	other *row
}

type row struct {
	label    string
	counters [nGrants]atomic.Pointer[counterRef]
}

type counterRef struct{ prometheus.Counter }

// row is v's row, or Other's once max values have rows.
func (t *table) row(v string) *row {
	t.mu.RLock()
	r := t.rows[v]
	if r == nil && len(t.rows) >= t.max {
		r = t.other
	}
	t.mu.RUnlock()
	if r != nil {
		return r
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if r = t.rows[v]; r != nil {
		return r
	}
	if len(t.rows) >= t.max {
		if t.other == nil {
			t.other = &row{label: Other}
		}
		return t.other
	}
	if t.rows == nil {
		t.rows = map[string]*row{}
	}
	r = &row{label: v}
	t.rows[v] = r
	return r
}

// counter is the child of v and the grant type g.
func (t *table) counter(v string, g int) prometheus.Counter {
	r := t.row(v)
	if c := r.counters[g].Load(); c != nil {
		return c.Counter
	}
	labels := []string{r.label, grantNames[g]}
	if t.grantFirst {
		labels[0], labels[1] = labels[1], labels[0]
	}
	// Two callers may both resolve it: the vector gives them the same
	// child.
	r.counters[g].Store(&counterRef{t.vec.WithLabelValues(labels...)})
	return r.counters[g].Load().Counter
}
