package jwtauth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// key is one usable public key of the issuer.
type key struct {
	kid  string
	alg  string // the JWK's own alg, or ""
	kind keyKind
	rsa  *rsa.PublicKey
	ec   *ecdsa.PublicKey
	ed   ed25519.PublicKey
}

// describe names the key for messages: `"K1", an RSA key for RS256`.
func (k *key) describe() string {
	s := k.kind.String()
	if k.kid != "" {
		s = quote(k.kid) + ", " + s
	}
	if k.alg != "" {
		s += " for " + k.alg
	}
	return s
}

// keySet is an immutable set of usable keys, swapped whole on refresh.
type keySet struct {
	keys    []*key
	byKID   map[string][]*key
	ids     []string // distinct kids in JWKS order
	skipped []string // why the other keys were left out
}

// parseKeySet reads a JSON Web Key Set (RFC 7517 §5). Keys that cannot
// verify a token of a supported algorithm are skipped, with the reason kept
// in skipped: symmetric keys, keys with private material, use other than
// sig, key_ops without verify, unsupported types and curves, RSA under 2048
// bits, an alg that is not a supported signature algorithm or does not fit
// the key. An error means it is not a key set at all.
func parseKeySet(body []byte) (*keySet, error) {
	var set struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("not a JSON Web Key Set: %w", err)
	}
	if set.Keys == nil {
		return nil, errors.New(`not a JSON Web Key Set: it has no "keys" member`)
	}
	ks := &keySet{byKID: map[string][]*key{}}
	for i, raw := range *set.Keys {
		k, err := parseKey(raw)
		if err != nil {
			name := fmt.Sprintf("key #%d", i+1)
			if k != nil && k.kid != "" {
				name = "key " + quote(k.kid)
			}
			ks.skipped = append(ks.skipped, name+": "+err.Error())
			continue
		}
		ks.keys = append(ks.keys, k)
		if k.kid != "" && !slices.Contains(ks.ids, k.kid) {
			ks.ids = append(ks.ids, k.kid)
		}
		ks.byKID[k.kid] = append(ks.byKID[k.kid], k)
	}
	return ks, nil
}

// parseKey reads one JWK. On error, the returned key (if any) carries only
// the kid, for the message.
func parseKey(raw json.RawMessage) (*key, error) {
	var m struct {
		Kty    string          `json:"kty"`
		Kid    string          `json:"kid"`
		Use    string          `json:"use"`
		Alg    string          `json:"alg"`
		KeyOps []string        `json:"key_ops"`
		K      json.RawMessage `json:"k"`
		D      json.RawMessage `json:"d"`
		P      json.RawMessage `json:"p"`
		Q      json.RawMessage `json:"q"`
		DP     json.RawMessage `json:"dp"`
		DQ     json.RawMessage `json:"dq"`
		QI     json.RawMessage `json:"qi"`
		Priv   json.RawMessage `json:"priv"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errors.New("not a JSON Web Key")
	}
	named := &key{kid: m.Kid}
	switch {
	case m.Kty == "oct" || m.K != nil:
		return named, errors.New("symmetric (oct) key: an API verifies with public keys only")
	case m.D != nil || m.P != nil || m.Q != nil || m.DP != nil || m.DQ != nil || m.QI != nil || m.Priv != nil:
		return named, errors.New("it has private key material, which a key set must never publish (the key is exposed: rotate it)")
	case m.Kty != "RSA" && m.Kty != "EC" && m.Kty != "OKP":
		return named, fmt.Errorf("kty %s is not supported (RSA, EC and OKP are)", quote(m.Kty))
	case m.Use != "" && m.Use != "sig":
		return named, fmt.Errorf("use is %s, not sig", quote(m.Use))
	case m.KeyOps != nil && !slices.Contains(m.KeyOps, "verify"):
		return named, fmt.Errorf("key_ops %s has no verify", quoteList(m.KeyOps))
	}
	var a alg
	if m.Alg != "" {
		var ok bool
		if a, ok = algByName(m.Alg); !ok {
			return named, fmt.Errorf("alg %s is not a supported signature algorithm", quote(m.Alg))
		}
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return named, errors.New(strings.TrimPrefix(err.Error(), "go-jose/go-jose: "))
	}
	kind, err := kindOf(jwk.Key)
	if err != nil {
		return named, err
	}
	if m.Alg != "" && !kind.fits(a) {
		return named, fmt.Errorf("alg %s does not fit %s", m.Alg, kind)
	}
	k := &key{kid: m.Kid, alg: m.Alg, kind: kind}
	switch p := jwk.Key.(type) {
	case *rsa.PublicKey:
		k.rsa = p
	case *ecdsa.PublicKey:
		k.ec = p
	case ed25519.PublicKey:
		k.ed = p
	}
	return k, nil
}
