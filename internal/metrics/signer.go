package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/signetid/signet/internal/signing"
)

// Signer signs JWTs: the token path's (tokens.Signer, the ring), and
// tells the algorithms it signs with, from which the authorization_code
// grant picks an ID token's.
type Signer interface {
	SignWith(alg, typ string, claims any) (string, *signing.Key, error)
	SigningAlgorithms() []string
}

// Signer returns next counting each signature it makes in
// signet_signatures_total{kid,alg}; the counter of a key is resolved at
// its first signature, then found by its kid and algorithm.
func (m *Metrics) Signer(next Signer) Signer { return &countingSigner{next: next, m: m} }

type countingSigner struct {
	next Signer
	m    *Metrics
}

func (s *countingSigner) SignWith(alg, typ string, claims any) (string, *signing.Key, error) {
	tok, k, err := s.next.SignWith(alg, typ, claims)
	if err == nil && k != nil {
		s.m.signedBy(k).Inc()
	}
	return tok, k, err
}

// SigningAlgorithms are next's.
func (s *countingSigner) SigningAlgorithms() []string { return s.next.SigningAlgorithms() }

// signerID names a key's counter: its kid and algorithm, not the Key
// value, which a reload or a managed keys' sync (every minute) makes anew
// for the same key; a map by pointer would keep every one of them.
type signerID struct{ kid, alg string }

func (m *Metrics) signedBy(k *signing.Key) prometheus.Counter {
	id := signerID{k.ID, k.Algorithm}
	m.signersMu.RLock()
	c := m.signers[id]
	m.signersMu.RUnlock()
	if c != nil {
		return c
	}
	m.signersMu.Lock()
	defer m.signersMu.Unlock()
	if c = m.signers[id]; c == nil {
		c = m.signatures.WithLabelValues(k.ID, k.Algorithm)
		m.signers[id] = c
	}
	return c
}
