package client

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/internal/certs"
)

// ParseKeys reads a client's JSON Web Key Set from the configuration,
// refusing anything that is not a usable public signing key: private and
// symmetric keys, RSA under 2048 bits, keys it cannot read.
func ParseKeys(data []byte) (*jose.JSONWebKeySet, error) { return ParseKeySet(data, true) }

// ParseKeySet reads a key set. strict refuses the whole set for one bad
// key (a configuration, which its owner can fix); otherwise bad keys are
// skipped (a fetched set, which may hold keys for other uses).
func ParseKeySet(data []byte, strict bool) (*jose.JSONWebKeySet, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON Web Key Set: %v", err)
	}
	set := &jose.JSONWebKeySet{}
	for i, r := range raw.Keys {
		var k jose.JSONWebKey
		err := k.UnmarshalJSON(r)
		if err == nil {
			err = checkClientKey(k)
		}
		if err != nil {
			if strict {
				return nil, fmt.Errorf("key %d: %v", i, err)
			}
			continue
		}
		set.Keys = append(set.Keys, k)
	}
	if len(set.Keys) == 0 {
		return nil, errors.New("the key set has no usable public signing key")
	}
	return set, nil
}

func checkClientKey(k jose.JSONWebKey) error {
	switch {
	case !k.Valid():
		return fmt.Errorf("kid %q is not a valid key", k.KeyID)
	case !k.IsPublic():
		if _, symmetric := k.Key.([]byte); symmetric {
			return fmt.Errorf("kid %q is a symmetric key; client assertions must be signed with an asymmetric key", k.KeyID)
		}
		return fmt.Errorf("kid %q holds PRIVATE key material: publish only the public key", k.KeyID)
	}
	if rk, ok := k.Key.(*rsa.PublicKey); ok && rk.N.BitLen() < certs.MinRSABits {
		return fmt.Errorf("kid %q is an RSA key of %d bits; at least %d are required (RFC 7518 §3.3)", k.KeyID, rk.N.BitLen(), certs.MinRSABits)
	}
	if k.Use != "" && k.Use != "sig" {
		return fmt.Errorf("kid %q is for use %q, not sig", k.KeyID, k.Use)
	}
	return nil
}
