package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/session"
)

// signInProblems is what config check and serve refuse in a configuration
// whose parts are each valid but do not go together for signing people
// in:
//
//   - a client that signs people in (authorization_code) gets ID tokens
//     signed with one of its allowedIdentityTokenSigningAlgorithms, RS256
//     when it lists none (OpenID Connect's default, which relying parties
//     expect of a client that registered nothing else): the signing keys
//     must offer one of them;
//   - session.cookieSameSite must suit the issuer, by the session
//     package's rule (session.CheckSameSite: None needs an https issuer,
//     and Strict would hide the session from every relying party's
//     redirect to Signet).
//
// algorithms are the algorithms the signing keys sign with (nil when the
// key section could not be read: nothing is said then, the key's problem
// is).
func signInProblems(cfg *config.Config, algorithms []string, skip func(path string) bool) []config.Problem {
	var problems []config.Problem
	if len(algorithms) > 0 && !skip("key") {
		var refused []string
		var firstPath string
		for i := range cfg.Clients {
			c := &cfg.Clients[i]
			path := fmt.Sprintf("clients[%d]", i)
			if skip(path) || c.Skipped() != "" || !c.IsEnabled() || !slices.Contains(c.AllowedGrantTypes, config.GrantAuthorizationCode) {
				continue
			}
			want := c.AllowedIdentityTokenSigningAlgorithms
			if len(want) == 0 {
				want = []string{"RS256"}
			}
			if slices.ContainsFunc(want, func(a string) bool { return slices.Contains(algorithms, a) }) {
				continue
			}
			refused = append(refused, fmt.Sprintf("%s (%s)", c.ClientID, strings.Join(want, ", ")))
			if firstPath == "" {
				firstPath = path
			}
		}
		if len(refused) > 0 {
			keyPath := "key"
			if isManaged(cfg.Key) {
				keyPath = "key.signingAlgorithms"
			}
			problems = append(problems, cfg.Problemf(keyPath, "the signing keys sign with %s only, and the clients that sign people in need their ID tokens signed with an algorithm they offer: %s. OpenID Connect makes RS256 the default, so add an RS256 key: with key type Managed, signingAlgorithms: [%s, RS256] keeps %s for access tokens and adds RS256 for ID tokens; or give each client allowedIdentityTokenSigningAlgorithms: [%s] (its relying party must accept it; see line %d)",
				strings.Join(algorithms, ", "), strings.Join(refused, "; "), algorithms[0], algorithms[0], algorithms[0], cfg.Pos(firstPath).Line))
		}
	}
	if !skip("session") {
		if err := session.CheckSameSite(cfg.Session.SameSiteMode(), cfg.Issuer); err != nil {
			problems = append(problems, cfg.Problemf("session.cookieSameSite", "%v", err))
		}
	}
	return problems
}

// signingAlgorithms are the algorithms the configured signing keys sign
// with: a Managed key's series, else those of the keys loaded (a
// development key not made yet signs with its configured algorithm,
// RS256 by default). nil when there is no key to say.
func (s *services) signingAlgorithms() []string {
	cfg := s.cfg
	switch {
	case isManaged(cfg.Key):
		if len(cfg.Key.SigningAlgorithms) == 0 {
			return []string{config.DefaultSigningAlgorithm}
		}
		return cfg.Key.SigningAlgorithms
	case s.keys == nil:
		return nil
	case s.keys.pending != "":
		alg := config.DefaultSigningAlgorithm
		if cfg.Key != nil {
			alg = cmp.Or(cfg.Key.Algorithm, alg)
		}
		return []string{alg}
	}
	var out []string
	for _, k := range s.keys.signing {
		if !slices.Contains(out, k.Algorithm) {
			out = append(out, k.Algorithm)
		}
	}
	return out
}
