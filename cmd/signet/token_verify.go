package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/jwtauth"
)

type tokenVerifyCmd struct {
	issuer, audience   string
	allowHTTP          bool
	jwksFile, certFile string
	types, scopes      []string
	password           existingPasswordFlags
	json               bool
}

func (a *app) tokenVerifyCommand() *cobra.Command {
	c := &tokenVerifyCmd{}
	cmd := &cobra.Command{
		Use:   "verify [TOKEN | -] (--issuer URL [--audience A] | --jwks FILE | --cert FILE)",
		Short: "Verify a token as an API does, and say exactly which check fails",
		Long: `Verify a token with the jwtauth package, as an API that uses it does: the
signature with the issuer's published keys (--issuer: discovery, then JWKS),
with a JSON Web Key Set file (--jwks), or with a certificate (--cert: .cer,
.pem, or .pfx with its password); then the type (at+jwt unless --type says
otherwise), issuer, audience, expiry, not-before and scopes, with a clock
skew of 5 minutes. When a check fails it says which, and why: bad signature;
kid X not among the issuer's keys, which are ...; expired 3m ago; audience
is B, expected A; ...

Without --audience the audience is not checked, and signet says so: an API
must always check it.

Exit codes: 0 valid, 1 not valid (or the keys could not be read), 2 wrong usage.`,
		Example: `  signet token verify "$TOKEN" --issuer http://localhost:5000 --audience https://api.example.com
  signet token get ... | signet token verify --issuer http://localhost:5000 --audience https://api.example.com
  signet token verify "$TOKEN" --cert my-app-auth.cer`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.readToken(args)
			if err != nil {
				return err
			}
			return a.tokenVerify(cmd.Context(), c, s)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&c.issuer, "issuer", "", "the issuer `URL`: its keys are fetched (and iss must equal it)")
	fs.StringVar(&c.audience, "audience", "", "the audience the token must be for (aud)")
	fs.BoolVar(&c.allowHTTP, "allow-http", false, "allow an http issuer that is not on this machine (testing only)")
	fs.StringVar(&c.jwksFile, "jwks", "", "verify with the keys of this JSON Web Key Set `FILE`")
	fs.StringVar(&c.certFile, "cert", "", "verify with the key of this certificate `FILE`")
	fs.StringSliceVar(&c.types, "type", nil, "accepted typ header values (default at+jwt; e.g. --type at+jwt,JWT)")
	fs.StringSliceVar(&c.scopes, "scope", nil, "scopes the token must carry")
	fs.BoolVar(&c.json, "json", false, "print the result as JSON")
	c.password.register(fs, "")
	return cmd
}

// verifyResult is verify's answer, for --json.
type verifyResult struct {
	Valid         bool            `json:"valid"`
	Reason        string          `json:"reason,omitempty"`
	Error         string          `json:"error,omitempty"`
	AudienceCheck bool            `json:"audienceChecked"`
	Claims        *jwtauth.Claims `json:"claims,omitempty"`
}

var reasons = []struct {
	err  error
	name string
}{
	{jwtauth.ErrMalformed, "malformed"}, {jwtauth.ErrAlgorithmNotAllowed, "algorithm_not_allowed"},
	{jwtauth.ErrWrongType, "wrong_type"}, {jwtauth.ErrUnknownKey, "unknown_key"},
	{jwtauth.ErrBadSignature, "bad_signature"}, {jwtauth.ErrExpired, "expired"},
	{jwtauth.ErrNotYetValid, "not_yet_valid"}, {jwtauth.ErrWrongIssuer, "wrong_issuer"},
	{jwtauth.ErrWrongAudience, "wrong_audience"}, {jwtauth.ErrInsufficientScope, "insufficient_scope"},
	{jwtauth.ErrKeysUnavailable, "keys_unavailable"},
}

func (a *app) tokenVerify(ctx context.Context, c *tokenVerifyCmd, token string) error {
	sources := 0
	for _, set := range []bool{c.jwksFile != "", c.certFile != ""} {
		if set {
			sources++
		}
	}
	switch {
	case sources > 1:
		return usagef("give only one of --jwks and --cert")
	case sources == 0 && c.issuer == "":
		return usagef("give the keys to verify with: --issuer URL (its published keys), --jwks FILE or --cert FILE")
	}
	opts := jwtauth.Options{
		Issuer:                  c.issuer,
		Audience:                c.audience,
		UnsafeSkipAudienceCheck: c.audience == "",
		RequiredScopes:          c.scopes,
		TokenTypes:              c.types,
		HTTPClient:              httpClient(),
		UnsafeAllowHTTP:         c.allowHTTP,
		Now:                     a.now,
	}
	var err error
	switch {
	case c.jwksFile != "":
		if opts.JWKS, err = os.ReadFile(c.jwksFile); err != nil {
			return err
		}
	case c.certFile != "":
		if opts.JWKS, err = a.certKeySet(c, token); err != nil {
			return err
		}
	}
	v, err := jwtauth.New(ctx, opts)
	if err != nil {
		return usageError{err}
	}
	defer v.Close()
	claims, verr := v.Validate(ctx, token)
	r := verifyResult{Valid: verr == nil, AudienceCheck: c.audience != "", Claims: claims}
	if verr != nil {
		r.Error = verr.Error()
		for _, rs := range reasons {
			if errors.Is(verr, rs.err) {
				r.Reason = rs.name
				break
			}
		}
	}
	if c.json {
		if err := a.printJSON(r); err != nil {
			return err
		}
	} else if verr == nil {
		w := a.stdout
		fmt.Fprintln(w, "Valid: the signature verifies and every check passes.")
		f := newFields(w)
		f.add("Issuer", "%s", claims.Issuer)
		f.add("Subject", "%s", claims.Subject)
		if claims.ClientID != "" {
			f.add("Client", "%s", claims.ClientID)
		}
		f.add("Audience", "%s", strings.Join(claims.Audience, ", "))
		f.add("Scopes", "%s", strings.Join(claims.Scopes, " "))
		f.add("Expires", "%s (%s)", claims.Expiry.UTC().Format(timeLayout), timeInWords("exp", claims.Expiry, a.now()))
		f.flush()
		if !r.AudienceCheck {
			fmt.Fprintln(w, "warning: the audience was not checked (give --audience): an API must check it")
		}
	}
	if verr != nil {
		if c.json {
			return silentError{exitError}
		}
		return fmt.Errorf("not valid: %w", verr)
	}
	return nil
}

// certKeySet makes a key set of the certificate's key, named by the token's
// kid so that the signature decides; the thumbprint is kept for messages.
func (a *app) certKeySet(c *tokenVerifyCmd, token string) ([]byte, error) {
	contents, err := certs.ReadFile(c.certFile, a.existingPassword(c.password, c.certFile))
	if err != nil {
		return nil, readError(c.certFile, err)
	}
	cred, err := contents.Credential()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.certFile, err)
	}
	kid := certs.Thumbprint(cred.Certificate)
	if t, err := decodeToken(token); err == nil {
		var h struct {
			Kid string `json:"kid"`
		}
		if json.Unmarshal(t.Header, &h) == nil && h.Kid != "" {
			if h.Kid != kid {
				fmt.Fprintf(a.stderr, "note: the token names key %q; the certificate's thumbprint is %s; verifying with the certificate anyway\n", h.Kid, kid)
			}
			kid = h.Kid
		}
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: cred.Certificate.PublicKey, KeyID: kid, Use: "sig", Certificates: []*x509.Certificate{cred.Certificate}}}}
	return json.Marshal(set)
}
