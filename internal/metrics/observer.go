package metrics

import (
	"context"

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

// grantTypes are the grant types labelled as themselves; a request's
// grant_type is the client's to choose, so any other is Other.
var grantTypes = map[string]bool{
	oauth.GrantClientCredentials: true,
	oauth.GrantAuthorizationCode: true,
	oauth.GrantRefreshToken:      true,
}

var _ observe.Observer = (*Metrics)(nil)

// Observe counts e: tokens issued (by client and grant type) and token
// requests by result, client authentication failures, logins and key
// rotations. Other events are not counted. It is the Observer that
// cmd/signet gives the acting code beside the audit log's.
func (m *Metrics) Observe(_ context.Context, e *observe.Event) {
	switch e.Name {
	case observe.TokenIssued:
		gt := grantLabel(e.GrantType)
		m.counter(m.issued, counterKey{vec: vecIssued, a: m.clients.label(e.Client), b: gt}).Inc()
		m.counter(m.tokenResults, counterKey{vec: vecResults, a: gt, b: observe.Success}).Inc()
	case observe.TokenRefused:
		m.counter(m.tokenResults, counterKey{vec: vecResults, a: grantLabel(e.GrantType), b: m.results.label(resultOf(e))}).Inc()
	case observe.ClientAuthFailed:
		m.authFailures.WithLabelValues(m.results.label(resultOf(e))).Inc()
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

func grantLabel(gt string) string {
	if grantTypes[gt] {
		return gt
	}
	return Other
}

// resultOf is a refusal's result; one reported without is "unknown"
// rather than an empty label.
func resultOf(e *observe.Event) string {
	if e.Result == "" {
		return "unknown"
	}
	return e.Result
}

// Which vector a counterKey's labels are of.
const (
	vecIssued = iota
	vecResults
)

// counterKey is a child of issued (client, grant type) or of tokenResults
// (grant type, result).
type counterKey struct {
	vec  int
	a, b string
}

// counter is vec's child for k, made once.
func (m *Metrics) counter(vec *prometheus.CounterVec, k counterKey) prometheus.Counter {
	m.countersMu.RLock()
	c := m.counters[k]
	m.countersMu.RUnlock()
	if c != nil {
		return c
	}
	m.countersMu.Lock()
	defer m.countersMu.Unlock()
	if c = m.counters[k]; c == nil {
		c = vec.WithLabelValues(k.a, k.b)
		m.counters[k] = c
	}
	return c
}
