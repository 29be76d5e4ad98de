package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/grant"
	"github.com/signetid/signet/internal/secret"
)

// clientBuild is what turning the file's clients into the token path's
// found: problems stop the server, warnings are logged.
type clientBuild struct {
	problems []config.Problem
	warnings []string
}

// fileClient turns the configuration's client at path into the token
// path's: secrets hashed (Signet's plain or hashed secrets, and
// IdentityServer's ClientSecrets, which are hashes), the grant types and
// enabled API scopes this version serves, its claims encoded once.
func (a *app) fileClient(cfg *config.Config, path string, c *config.Client, apiScopes map[string]bool, out *clientBuild) *client.Client {
	add := func(p string, err error) { out.problems = append(out.problems, cfg.Problemf(p, "%v", err)) }
	gc := &client.Client{
		ID: c.ClientID, Name: c.ClientName,
		GrantTypes: slices.DeleteFunc(slices.Clone(c.AllowedGrantTypes), func(g string) bool {
			return !slices.Contains(grant.GrantTypes, g)
		}),
		// Identity scopes are for users, and disabled scopes for no one.
		Scopes: slices.DeleteFunc(slices.Clone(c.AllowedScopes), func(s string) bool {
			return !apiScopes[s]
		}),
		AccessTokenLifetime: time.Duration(c.AccessTokenLifetime) * time.Second,
		KeysURI:             c.JWKSURI,
		Disabled:            !c.IsEnabled(),
		Public:              c.RequireClientSecret != nil && !*c.RequireClientSecret,
		CORSOrigins:         c.AllowedCorsOrigins,
	}
	expired := func(p string, at time.Time) {
		if !at.After(a.now()) {
			out.warnings = append(out.warnings, cfg.Warnf(p, "this secret expired on %s", at.UTC().Format(time.DateOnly)).String())
		}
	}
	// addSecret adds a hashed secret; a hash that does not parse is a
	// problem at hashPath.
	addSecret := func(hashPath, secretPath, hashText string, expires *time.Time) {
		h, err := secret.Parse(hashText)
		if err != nil {
			add(hashPath, err)
			return
		}
		gs := client.Secret{Hash: h}
		if expires != nil {
			gs.Expires = *expires
			expired(secretPath, gs.Expires)
		}
		gc.Secrets = append(gc.Secrets, gs)
	}
	for j, sec := range c.Secrets {
		sp := fmt.Sprintf("%s.secrets[%d]", path, j)
		if sec.ValueFile != "" {
			value, warning, err := readSecretFile(sec.ValueFile, "valueFile", "the client secret")
			if err != nil {
				add(sp+".valueFile", err)
				continue
			}
			if warning != "" {
				out.warnings = append(out.warnings, cfg.Warnf(sp+".valueFile", "%s: whoever reads it can get tokens as %s", warning, c.ClientID).String())
			}
			// The rules of a value written in the file hold for one read
			// from a file.
			if msg, shaped := config.HashShaped(value); shaped {
				out.warnings = append(out.warnings, cfg.Warnf(sp+".valueFile", "%s: %s", sec.ValueFile, msg).String())
			} else if len(value) < config.MinSecretLength && !sec.AllowWeakSecret {
				add(sp+".valueFile", fmt.Errorf("%s holds a secret of %d characters: client secrets are hashed fast (so that tokens are fast) and must be too random to guess; give one of at least %d (signet secret generate makes one of 43), or set allowWeakSecret: true on this secret for a test setup", sec.ValueFile, len(value), config.MinSecretLength))
				continue
			}
			sec.Value = value
		}
		hashText, at := sec.Hash, sp+".hash"
		if sec.Value != "" {
			hashText = secret.Hash(sec.Value)
		}
		addSecret(at, sp, hashText, sec.Expiration)
	}
	// IdentityServer's secrets: each value is already a hash.
	for j, sec := range c.ClientSecrets {
		sp := fmt.Sprintf("%s.clientSecrets[%d]", path, j)
		addSecret(sp+".value", sp, sec.Value, sec.Expiration)
	}
	if (c.JWKS != nil || c.JWKSURI != "") && cfg.Issuer == "" {
		// The assertion's aud is checked against the token endpoint's
		// URL, which must not come from the request's Host header, or
		// an assertion made for another server would be accepted here.
		out.problems = append(out.problems, cfg.Problemf(path, "client %q authenticates with private_key_jwt, which needs a configured issuer: set issuer to the URL clients use (such as https://auth.example.com), so that assertions made for another server are refused", c.ClientID))
	}
	if c.JWKS != nil {
		data, err := json.Marshal(c.JWKS)
		if err == nil {
			gc.Keys, err = client.ParseKeys(data)
		}
		if err != nil {
			add(path+".jwks", err)
		}
	}
	claims, err := encodeClientClaims(c)
	if err != nil {
		add(path+".claims", err)
	}
	gc.Claims = claims
	return gc
}

// encodeClientClaims encodes a client's claims as the JSON object its
// tokens carry: each type with the client's prefix, in the order of the
// file, several values of one type as an array (as IdentityServer writes
// them). nil when the client has none.
func encodeClientClaims(c *config.Client) ([]byte, error) {
	if len(c.Claims) == 0 {
		return nil, nil
	}
	prefix := c.ClaimsPrefix()
	var names []string
	values := make(map[string][]json.RawMessage)
	for _, cl := range c.Claims {
		v, err := cl.ClaimValue()
		if err != nil {
			return nil, err
		}
		name := prefix + cl.Type
		if _, ok := values[name]; !ok {
			names = append(names, name)
		}
		values[name] = append(values[name], v)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, name := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		if vs := values[name]; len(vs) == 1 {
			b.Write(vs[0])
		} else {
			arr, _ := json.Marshal(vs)
			b.Write(arr)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
