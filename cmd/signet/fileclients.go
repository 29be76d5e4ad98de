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
	"github.com/signetid/signet/storage"
)

// clientBuild is what turning the file's clients into records found:
// problems stop the server, warnings are logged.
type clientBuild struct {
	// now tells an expired secret, for a warning.
	now      time.Time
	problems []config.Problem
	warnings []string
}

// fileRecord turns the configuration's client at path into the record the
// database would hold for it: the one conversion of a file's client, which
// serve gives the catalog (client.FromRecord makes the token path's client
// of it, as of a database's) and signet client shows. Secrets are hashed
// (Signet's plain or hashed secrets, and IdentityServer's ClientSecrets,
// which are hashes already); the claims are encoded once, as one JSON
// object. The file's secrets have no id.
//
// With out, what is wrong is reported there, at its place in the file. Out
// nil is for a view (signet client list): nothing is read or hashed, and
// nothing reported; the secrets are listed without their hashes.
func fileRecord(cfg *config.Config, path string, c *config.Client, out *clientBuild) storage.Client {
	view := out == nil
	if view {
		out = &clientBuild{}
	}
	add := func(p string, err error) { out.problems = append(out.problems, cfg.Problemf(p, "%v", err)) }
	rec := storage.Client{
		ID: c.ClientID, Name: c.ClientName, Description: c.Description,
		Disabled: !c.IsEnabled(),
		Public:   c.RequireClientSecret != nil && !*c.RequireClientSecret,
		// As the file lists them: serve keeps those it serves
		// (servedByFile).
		GrantTypes: c.AllowedGrantTypes, Scopes: c.AllowedScopes,
		AccessTokenLifetime: time.Duration(c.AccessTokenLifetime) * time.Second,
		// "" or Reference once validated, as the record spells them.
		AccessTokenType: c.AccessTokenType,
		JWKSURI:         c.JWKSURI,
		CORSOrigins:     c.AllowedCorsOrigins,

		RedirectURIs:           c.RedirectURIs,
		PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
		// IdentityServer's defaults (true) when the file does not say: a
		// record's zero value would be false.
		RequirePKCE:                      c.RequiresPKCE(),
		AllowRememberConsent:             c.AllowsRememberConsent(),
		AllowPlainTextPKCE:               c.AllowPlainTextPKCE,
		RequireConsent:                   c.RequireConsent,
		RequireMfa:                       c.RequireMfa,
		AllowOfflineAccess:               c.AllowOfflineAccess,
		AlwaysIncludeUserClaimsInIdToken: c.AlwaysIncludeUserClaimsInIdToken,
		// Zero is the default, which client.FromRecord applies.
		IdentityTokenLifetime:                 seconds(c.IdentityTokenLifetime),
		AuthorizationCodeLifetime:             seconds(c.AuthorizationCodeLifetime),
		AbsoluteRefreshTokenLifetime:          seconds(c.AbsoluteRefreshTokenLifetime),
		SlidingRefreshTokenLifetime:           seconds(c.SlidingRefreshTokenLifetime),
		RefreshTokenUsage:                     c.RefreshTokenUsage,
		RefreshTokenExpiration:                c.RefreshTokenExpiration,
		ClientURI:                             c.ClientURI,
		LogoURI:                               c.LogoURI,
		AllowedIdentityTokenSigningAlgorithms: c.AllowedIdentityTokenSigningAlgorithms,
	}
	rec.Secrets = fileSecrets(cfg, path, "clientSecrets", c.Secrets, c.ClientSecrets, "can get tokens as "+c.ClientID, out, view)
	if (c.JWKS != nil || c.JWKSURI != "") && cfg.Issuer == "" {
		// The assertion's aud is checked against the token endpoint's
		// URL, which must not come from the request's Host header, or
		// an assertion made for another server would be accepted here.
		out.problems = append(out.problems, cfg.Problemf(path, "client %q authenticates with private_key_jwt, which needs a configured issuer: set issuer to the URL clients use (such as https://auth.example.com), so that assertions made for another server are refused", c.ClientID))
	}
	if c.JWKS != nil {
		data, err := json.Marshal(c.JWKS)
		if err == nil {
			rec.JWKS = data
			_, err = client.ParseKeys(data)
		}
		if err != nil {
			add(path+".jwks", err)
		}
	}
	claims, err := encodeClientClaims(c)
	if err != nil {
		add(path+".claims", err)
	}
	rec.Claims = claims
	return rec
}

// fileSecrets hashes the file's secrets at path (a client's or an API
// resource's): Signet's own (secrets: plain values, valueFiles, hashes)
// and IdentityServer's (at path.isKey: hashes already). What a reader of a
// secret file could do is for the warning about its permissions. With
// view, nothing is read or hashed, and nothing reported.
func fileSecrets(cfg *config.Config, path, isKey string, plain []config.Secret, hashed []config.IdentityServerSecret, could string, out *clientBuild, view bool) []storage.ClientSecret {
	var secrets []storage.ClientSecret
	add := func(p string, err error) { out.problems = append(out.problems, cfg.Problemf(p, "%v", err)) }
	expired := func(p string, at time.Time) {
		if !at.After(out.now) {
			out.warnings = append(out.warnings, cfg.Warnf(p, "this secret expired on %s", at.UTC().Format(time.DateOnly)).String())
		}
	}
	// addSecret adds a hashed secret; a hash that does not parse is a
	// problem at hashPath.
	addSecret := func(hashPath, secretPath, hashText, description string, expires *time.Time) {
		rs := storage.ClientSecret{Hash: hashText, Description: description}
		if expires != nil {
			rs.Expires = *expires
		}
		if !view {
			if _, err := secret.Parse(hashText); err != nil {
				add(hashPath, err)
				return
			}
			if expires != nil {
				expired(secretPath, rs.Expires)
			}
		}
		secrets = append(secrets, rs)
	}
	for j, sec := range plain {
		sp := fmt.Sprintf("%s.secrets[%d]", path, j)
		if sec.ValueFile != "" && !view {
			value, warning, err := readSecretFile(sec.ValueFile, "valueFile", "the client secret")
			if err != nil {
				add(sp+".valueFile", err)
				continue
			}
			if warning != "" {
				out.warnings = append(out.warnings, cfg.Warnf(sp+".valueFile", "%s: whoever reads it %s", warning, could).String())
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
		hashText := sec.Hash
		if sec.Value != "" && !view {
			hashText = secret.Hash(sec.Value)
		}
		addSecret(sp+".hash", sp, hashText, sec.Description, sec.Expiration)
	}
	// IdentityServer's secrets: each value is already a hash.
	for j, sec := range hashed {
		sp := fmt.Sprintf("%s.%s[%d]", path, isKey, j)
		addSecret(sp+".value", sp, sec.Value, sec.Description, sec.Expiration)
	}
	return secrets
}

// seconds is a lifetime the file gives in seconds; zero stays zero (the
// default).
func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// servedByFile keeps, of a file's client, what serve serves: the grant
// types this version implements, the enabled API scopes (disabled scopes
// are for no one), and, for a client that signs people in
// (authorization_code), the enabled identity scopes; a machine client's
// identity scopes are left out, as no user ever signs in to it.
func servedByFile(rec storage.Client, apiScopes, identityScopes map[string]bool) storage.Client {
	rec.GrantTypes = slices.DeleteFunc(slices.Clone(rec.GrantTypes), func(g string) bool {
		return !slices.Contains(grant.GrantTypes, g)
	})
	signsIn := slices.Contains(rec.GrantTypes, config.GrantAuthorizationCode)
	rec.Scopes = slices.DeleteFunc(slices.Clone(rec.Scopes), func(s string) bool {
		return !apiScopes[s] && !(signsIn && identityScopes[s])
	})
	return rec
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
