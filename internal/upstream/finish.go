package upstream

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Identity is who signed in upstream: the pair that links a local user.
// An email alone never identifies anyone.
type Identity struct {
	Issuer  string // the ID token's iss (for Entra multi-tenant, the person's tenant's)
	Subject string
}

// Result is what a successful Finish gives.
type Result struct {
	Identity Identity
	Claims   Claims
	// Tokens are the upstream's; keep them only when asked to, encrypted.
	Tokens Tokens
}

// LogValue logs who signed in, never the tokens.
func (r *Result) LogValue() slog.Value {
	return slog.GroupValue(slog.String("issuer", r.Identity.Issuer), slog.String("subject", r.Identity.Subject))
}

// Tokens are what the upstream's token endpoint returned. Secrets: they
// print and log as a placeholder, so that a Result printed whole leaks none
// (JSON still has them: encrypt before storing).
type Tokens struct {
	IDToken, AccessToken, RefreshToken string
	// Expiry of the access token, zero when the upstream gave none.
	Expiry time.Time

	tokenType string
}

func (Tokens) String() string       { return redacted }
func (Tokens) GoString() string     { return redacted }
func (Tokens) LogValue() slog.Value { return slog.StringValue(redacted) }

const redacted = "[redacted]"

// callback is the authorization response (RFC 6749 §4.1.2, RFC 9207).
type callback struct {
	code, state, iss, err, errDescription string
}

// callbackParams are the parameters read; each may appear at most once.
var callbackParams = [...]string{"code", "state", "iss", "error", "error_description"}

// maxParam bounds a callback parameter: codes of real providers are far
// shorter (Entra's are the longest, about 1 KiB).
const maxParam = 4096

// parseCallback reads the callback's query; anything else in it is ignored
// (providers add session_state and the like).
func parseCallback(q url.Values) (callback, error) {
	var c callback
	dst := [...]*string{&c.code, &c.state, &c.iss, &c.err, &c.errDescription}
	for i, name := range callbackParams {
		v := q[name]
		switch {
		case len(v) > 1:
			return callback{}, fmt.Errorf("the callback repeats %s", name)
		case len(v) == 1 && len(v[0]) > maxParam:
			return callback{}, fmt.Errorf("the callback's %s is over %d bytes", name, maxParam)
		case len(v) == 1:
			*dst[i] = v[0]
		}
	}
	return c, nil
}

// Finish completes the sign-in from the callback's query and what Start
// gave to keep: state (constant time), the upstream's error, RFC 9207's
// iss, the code exchange with the PKCE verifier, and the ID token.
func (p *Provider) Finish(ctx context.Context, kept Kept, query url.Values) (*Result, error) {
	if kept.State == "" || kept.Nonce == "" || kept.Verifier == "" {
		return nil, fmt.Errorf("upstream %q: %w (nothing was kept for this browser)", p.cfg.Name, ErrState)
	}
	c, err := parseCallback(query)
	if err != nil {
		return nil, fmt.Errorf("upstream %q: %w: %w", p.cfg.Name, ErrInvalid, err)
	}
	// State first: an error response from another browser's sign-in is
	// as foreign as its code.
	if c.state == "" || subtle.ConstantTimeCompare([]byte(c.state), []byte(kept.State)) != 1 {
		return nil, fmt.Errorf("upstream %q: %w", p.cfg.Name, ErrState)
	}
	ctx, cancel := p.withTimeout(ctx)
	defer cancel()
	d, err := p.document(ctx)
	if err != nil {
		return nil, err
	}
	// RFC 9207 §2.4: a provider that says it sends iss must have sent it;
	// a response without it may come from another (a mix-up).
	if c.iss == "" && d.IssParameterSupported {
		return nil, fmt.Errorf("upstream %q: %w: the callback has no iss, which the provider's discovery says it sends (RFC 9207)", p.cfg.Name, ErrInvalid)
	}
	if c.iss != "" {
		if err := p.checkIssuer(d, c.iss, ""); err != nil {
			return nil, fmt.Errorf("upstream %q: %w: the callback's iss (RFC 9207): %w", p.cfg.Name, ErrInvalid, err)
		}
	}
	if c.err != "" {
		return nil, &UpstreamError{Provider: p.cfg.Name, Code: cleanText(c.err, 64), Description: cleanText(c.errDescription, maxDescription)}
	}
	if c.code == "" {
		return nil, fmt.Errorf("upstream %q: %w: the callback has neither code nor error", p.cfg.Name, ErrInvalid)
	}
	toks, err := p.exchange(ctx, d, c.code, kept.Verifier)
	if err != nil {
		return nil, err
	}
	id, claims, err := p.verify(ctx, d, toks.IDToken, kept.Nonce)
	if err != nil {
		return nil, fmt.Errorf("upstream %q: ID token: %w", p.cfg.Name, err)
	}
	// With the code flow, providers such as Signet and IdentityServer put
	// the profile and email claims at userinfo only (OpenID Connect Core
	// §5.4): read them there, for the same subject.
	if d.UserinfoEndpoint != "" && toks.AccessToken != "" && (toks.tokenType == "" || strings.EqualFold(toks.tokenType, "Bearer")) {
		var info map[string]any
		if err := p.getJSON(ctx, d.UserinfoEndpoint, &info, toks.AccessToken); err != nil {
			return nil, fmt.Errorf("upstream %q: userinfo at %s: %w", p.cfg.Name, d.UserinfoEndpoint, err)
		}
		if sub, _ := info["sub"].(string); sub != id.Subject {
			return nil, fmt.Errorf("upstream %q: %w: userinfo's sub is not the ID token's (OpenID Connect Core §5.3.4)", p.cfg.Name, ErrInvalid)
		}
		for k, v := range info {
			if _, ok := claims.All[k]; !ok {
				claims.All[k] = v
			}
		}
		claims = claimsFrom(claims.All)
	}
	if c.iss != "" && c.iss != id.Issuer {
		return nil, fmt.Errorf("upstream %q: %w: the callback's iss %q is not the ID token's %q", p.cfg.Name, ErrInvalid, c.iss, id.Issuer)
	}
	return &Result{Identity: id, Claims: claims, Tokens: toks}, nil
}

// checkIssuer checks an issuer the upstream sent: equal to the discovery
// document's, or for Entra multi-tenant equal to its template with tid in
// place of {tenantid} (any well-formed tid when tid is "": the callback's
// iss carries no tid, and the ID token's check binds it later).
func (p *Provider) checkIssuer(d *document, iss, tid string) error {
	if !p.entra {
		if iss != d.Issuer {
			return fmt.Errorf("issuer %q is not %q", iss, d.Issuer)
		}
		return nil
	}
	prefix, suffix, _ := strings.Cut(d.Issuer, "{tenantid}")
	if tid == "" {
		rest, ok := strings.CutPrefix(iss, prefix)
		if ok {
			tid, ok = strings.CutSuffix(rest, suffix)
		}
		if !ok || !validTenant(tid) {
			return fmt.Errorf("issuer %q does not fit %q", iss, d.Issuer)
		}
		return nil
	}
	if !validTenant(tid) {
		return fmt.Errorf("tid %q is not a tenant id", tid)
	}
	if want := prefix + tid + suffix; iss != want {
		return fmt.Errorf("issuer %q is not %q, the issuer of the token's tenant (tid)", iss, want)
	}
	return nil
}

// validTenant accepts a tenant id as Entra writes it: a GUID's letters,
// digits and hyphens (nothing that could change the issuer's path).
func validTenant(tid string) bool {
	if tid == "" || len(tid) > 64 {
		return false
	}
	for i := 0; i < len(tid); i++ {
		c := tid[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// tokenResponse is the token endpoint's answer (RFC 6749 §5.1, §5.2).
type tokenResponse struct {
	IDToken      string          `json:"id_token"`
	AccessToken  string          `json:"access_token"`
	RefreshToken string          `json:"refresh_token"`
	TokenType    string          `json:"token_type"`
	ExpiresIn    json.RawMessage `json:"expires_in"`
	Error        string          `json:"error"`
	Description  string          `json:"error_description"`
}

// exchange redeems the code at the token endpoint.
func (p *Provider) exchange(ctx context.Context, d *document, code, verifier string) (Tokens, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {p.cfg.RedirectURI},
		"code_verifier": {verifier},
	}
	method := p.authMethod(d)
	switch method {
	case "none":
		form.Set("client_id", p.cfg.ClientID)
	case "client_secret_post":
		form.Set("client_id", p.cfg.ClientID)
		form.Set("client_secret", p.cfg.ClientSecret)
	case "private_key_jwt":
		// aud is the token endpoint: what Entra and most providers require
		// (RFC 7523 §3; OpenID Connect Core §9).
		a, err := p.cfg.ClientKey.Assertion(p.cfg.ClientID, d.TokenEndpoint, p.now(), p.random)
		if err != nil {
			return Tokens{}, fmt.Errorf("upstream %q: %w", p.cfg.Name, err)
		}
		form.Set("client_id", p.cfg.ClientID)
		form.Set("client_assertion_type", AssertionType)
		form.Set("client_assertion", a)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Tokens{}, fmt.Errorf("upstream %q: token request: %w: %w", p.cfg.Name, ErrInvalid, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if method == "client_secret_basic" {
		// RFC 6749 §2.3.1: each form-encoded before Basic.
		req.SetBasicAuth(url.QueryEscape(p.cfg.ClientID), url.QueryEscape(p.cfg.ClientSecret))
	}
	fail := func(class error, format string, args ...any) (Tokens, error) {
		return Tokens{}, fmt.Errorf("upstream %q: token endpoint %s: %w: %s", p.cfg.Name, d.TokenEndpoint, class, fmt.Sprintf(format, args...))
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return fail(ErrUnavailable, "%v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil || ctx.Err() != nil {
		return fail(ErrUnavailable, "read the answer: %v", errors.Join(err, context.Cause(ctx)))
	}
	if len(body) > maxBody {
		return fail(ErrInvalid, "the answer is over %d bytes", maxBody)
	}
	var tr tokenResponse
	jsonErr := json.Unmarshal(body, &tr)
	switch {
	case resp.StatusCode == http.StatusOK && jsonErr == nil && tr.Error == "":
	case jsonErr == nil && tr.Error != "" && resp.StatusCode >= 400 && resp.StatusCode < 500:
		return Tokens{}, &UpstreamError{Provider: p.cfg.Name, Code: cleanText(tr.Error, 64), Description: cleanText(tr.Description, maxDescription), AtTokenEndpoint: true}
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return fail(ErrUnavailable, "HTTP %d", resp.StatusCode)
	case jsonErr != nil:
		return fail(ErrInvalid, "HTTP %d, not the JSON expected", resp.StatusCode)
	default:
		return fail(ErrInvalid, "HTTP %d", resp.StatusCode)
	}
	if tr.IDToken == "" {
		return fail(ErrInvalid, "the answer has no id_token (is openid among the scopes?)")
	}
	t := Tokens{IDToken: tr.IDToken, AccessToken: tr.AccessToken, RefreshToken: tr.RefreshToken, tokenType: tr.TokenType}
	// expires_in is a number; some providers send it as a string, which
	// json.Number accepts too.
	var secs json.Number
	if len(tr.ExpiresIn) > 0 && json.Unmarshal(tr.ExpiresIn, &secs) == nil {
		if n, err := secs.Int64(); err == nil && n > 0 && n < 10*365*24*3600 {
			t.Expiry = p.now().Add(time.Duration(n) * time.Second)
		}
	}
	return t, nil
}
