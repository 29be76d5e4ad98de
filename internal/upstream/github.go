package upstream

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// GitHub is OAuth 2.0 without OpenID Connect: no discovery, no ID token.
// The person is read from its REST API instead, so these are its own
// constants rather than a discovery document.
const (
	// GitHubIssuer is the Identity.Issuer of every GitHub sign-in.
	GitHubIssuer = "https://github.com"
	// githubAPIVersion pins the REST API's shapes we read.
	githubAPIVersion = "2022-11-28"
)

// GitHubEndpoints are where GitHub is reached; the zero value is github.com.
type GitHubEndpoints struct {
	Authorize, Token, User, Emails string
}

// DefaultGitHubEndpoints are github.com's.
var DefaultGitHubEndpoints = GitHubEndpoints{
	Authorize: "https://github.com/login/oauth/authorize",
	Token:     "https://github.com/login/oauth/access_token",
	User:      "https://api.github.com/user",
	Emails:    "https://api.github.com/user/emails",
}

// WithGitHubEndpoints replaces github.com's endpoints (GitHub Enterprise
// Server, or a test; with AllowInsecureLoopback, http on loopback). Only
// NewGitHub reads it.
func WithGitHubEndpoints(e GitHubEndpoints) Option { return func(p *Provider) { p.github = e } }

// GitHubProvider signs people in with GitHub (an OAuth App or a GitHub
// App's user authorization). Safe for concurrent use.
type GitHubProvider struct {
	cfg     Config
	scope   string
	ep      GitHubEndpoints
	timeout time.Duration
	client  *http.Client
	random  io.Reader
	now     func() time.Time
}

// NewGitHub checks cfg and makes a GitHub provider; it does not reach
// GitHub. cfg.Authority is ignored; a client secret is required (GitHub's
// token endpoint wants one even with PKCE). Scopes default to read:user
// and user:email, the least that gives the profile and the verified
// primary email. The options are New's, plus WithGitHubEndpoints.
func NewGitHub(cfg Config, opts ...Option) (*GitHubProvider, error) {
	p := &Provider{timeout: DefaultTimeout, now: time.Now, random: rand.Reader, github: DefaultGitHubEndpoints}
	for _, o := range opts {
		o(p)
	}
	g := &GitHubProvider{cfg: cfg, ep: p.github, timeout: p.timeout, random: p.random, now: p.now}
	var problems []string
	if cfg.Name == "" {
		problems = append(problems, "a name is required")
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		problems = append(problems, "a client id and a client secret are required")
	}
	if cfg.ClientKey != nil {
		problems = append(problems, "GitHub takes no client key (private_key_jwt): give its client secret")
	}
	for _, e := range []struct{ what, v string }{
		{"authorization endpoint", g.ep.Authorize}, {"token endpoint", g.ep.Token},
		{"user endpoint", g.ep.User}, {"emails endpoint", g.ep.Emails},
	} {
		if _, err := p.checkURL(e.what, e.v); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if u, err := url.Parse(cfg.RedirectURI); err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" {
		problems = append(problems, fmt.Sprintf("redirect URI %q: an absolute URL without a fragment is required", cfg.RedirectURI))
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{"read:user", "user:email"}
	}
	for _, s := range scopes {
		if s == "" || strings.ContainsAny(s, " \"\\") || strings.IndexFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
			problems = append(problems, fmt.Sprintf("scope %q is not a scope token (RFC 6749 §3.3)", s))
		}
	}
	g.scope = strings.Join(scopes, " ")
	if g.timeout <= 0 {
		problems = append(problems, "the timeout must be positive")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("upstream provider %q (GitHub): %s", cfg.Name, strings.Join(problems, "; "))
	}
	c := http.DefaultClient
	if p.client != nil {
		c = p.client
	}
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	g.client = &cc
	return g, nil
}

// Name is the provider's configured name.
func (g *GitHubProvider) Name() string { return g.cfg.Name }

// Start makes the authorization request. GitHub has no nonce (there is no
// ID token), so Kept.Nonce stays empty; state and PKCE S256 are as New's.
// Prompt select_account becomes GitHub's prompt=select_account; LoginHint
// its login parameter (a GitHub login).
func (g *GitHubProvider) Start(_ context.Context, o StartOptions) (string, Kept, error) {
	if err := checkPrompt(o.Prompt); err != nil {
		return "", Kept{}, err
	}
	if len(o.LoginHint) > maxLoginHint || strings.IndexFunc(o.LoginHint, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return "", Kept{}, fmt.Errorf("login_hint: at most %d characters without control characters", maxLoginHint)
	}
	var k Kept
	var err error
	for _, f := range []*string{&k.State, &k.Verifier} {
		if *f, err = random256(g.random); err != nil {
			return "", Kept{}, err
		}
	}
	u, err := url.Parse(g.ep.Authorize)
	if err != nil {
		return "", Kept{}, fmt.Errorf("authorization endpoint of %q: %w", g.cfg.Name, err)
	}
	q := u.Query()
	challenge := sha256.Sum256([]byte(k.Verifier))
	q.Set("response_type", "code")
	q.Set("client_id", g.cfg.ClientID)
	q.Set("redirect_uri", g.cfg.RedirectURI)
	q.Set("scope", g.scope)
	q.Set("state", k.State)
	q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(challenge[:]))
	q.Set("code_challenge_method", "S256")
	if strings.Contains(o.Prompt, "select_account") {
		q.Set("prompt", "select_account")
	}
	if o.LoginHint != "" {
		q.Set("login", o.LoginHint)
	}
	u.RawQuery = q.Encode()
	return u.String(), k, nil
}

// Finish completes the sign-in: state (constant time), GitHub's error, the
// code exchange with the PKCE verifier, then the user and their emails.
// The identity is GitHub's numeric user id, which never changes; the login
// can be renamed and reused, and the email is not an identity.
func (g *GitHubProvider) Finish(ctx context.Context, kept Kept, query url.Values) (*Result, error) {
	if kept.State == "" || kept.Verifier == "" {
		return nil, fmt.Errorf("upstream %q: %w (nothing was kept for this browser)", g.cfg.Name, ErrState)
	}
	c, err := parseCallback(query)
	if err != nil {
		return nil, fmt.Errorf("upstream %q: %w: %w", g.cfg.Name, ErrInvalid, err)
	}
	if c.state == "" || subtle.ConstantTimeCompare([]byte(c.state), []byte(kept.State)) != 1 {
		return nil, fmt.Errorf("upstream %q: %w", g.cfg.Name, ErrState)
	}
	if c.err != "" {
		return nil, &UpstreamError{Provider: g.cfg.Name, Code: cleanText(c.err, 64), Description: cleanText(c.errDescription, maxDescription)}
	}
	if c.code == "" {
		return nil, fmt.Errorf("upstream %q: %w: the callback has neither code nor error", g.cfg.Name, ErrInvalid)
	}
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	toks, err := g.exchange(ctx, c.code, kept.Verifier)
	if err != nil {
		return nil, err
	}
	var user struct {
		ID        json.Number `json:"id"`
		Login     string      `json:"login"`
		Name      *string     `json:"name"`
		AvatarURL string      `json:"avatar_url"`
	}
	if err := g.get(ctx, g.ep.User, toks.AccessToken, &user); err != nil {
		return nil, fmt.Errorf("upstream %q: user at %s: %w", g.cfg.Name, g.ep.User, err)
	}
	id, err := strconv.ParseUint(string(user.ID), 10, 64)
	if err != nil || id == 0 {
		return nil, fmt.Errorf("upstream %q: %w: the user's id %q is not a positive integer", g.cfg.Name, ErrInvalid, cleanText(string(user.ID), 32))
	}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := g.get(ctx, g.ep.Emails, toks.AccessToken, &emails); err != nil {
		return nil, fmt.Errorf("upstream %q: emails at %s: %w", g.cfg.Name, g.ep.Emails, err)
	}
	all := map[string]any{"sub": strconv.FormatUint(id, 10), "preferred_username": user.Login}
	if user.Name != nil && *user.Name != "" {
		all["name"] = *user.Name
	}
	if user.AvatarURL != "" {
		all["picture"] = user.AvatarURL
	}
	// Only the primary email, and only when GitHub verified it: another
	// address, or an unverified one, could be anyone's.
	for _, e := range emails {
		if e.Primary && e.Verified && e.Email != "" {
			all["email"], all["email_verified"] = e.Email, true
			break
		}
	}
	return &Result{Identity: Identity{Issuer: GitHubIssuer, Subject: strconv.FormatUint(id, 10)}, Claims: claimsFrom(all), Tokens: toks}, nil
}

// exchange redeems the code. GitHub takes the client's credentials in the
// form and, asked for JSON, answers errors with HTTP 200 and an error
// member.
func (g *GitHubProvider) exchange(ctx context.Context, code, verifier string) (Tokens, error) {
	form := url.Values{
		"client_id":     {g.cfg.ClientID},
		"client_secret": {g.cfg.ClientSecret},
		"code":          {code},
		"redirect_uri":  {g.cfg.RedirectURI},
		"code_verifier": {verifier},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.ep.Token, strings.NewReader(form.Encode()))
	if err != nil {
		return Tokens{}, fmt.Errorf("upstream %q: token request: %w: %w", g.cfg.Name, ErrInvalid, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := g.client.Do(req)
	if err != nil {
		return Tokens{}, fmt.Errorf("upstream %q: token endpoint %s: %w: %w", g.cfg.Name, g.ep.Token, ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil || ctx.Err() != nil {
		return Tokens{}, fmt.Errorf("upstream %q: token endpoint %s: %w: read the answer: %w", g.cfg.Name, g.ep.Token, ErrUnavailable, errors.Join(err, context.Cause(ctx)))
	}
	t, err := parseGitHubToken(g.cfg.Name, resp.StatusCode, body, g.now())
	if err != nil {
		var ue *UpstreamError
		if errors.As(err, &ue) {
			return Tokens{}, err
		}
		return Tokens{}, fmt.Errorf("upstream %q: token endpoint %s: %w", g.cfg.Name, g.ep.Token, err)
	}
	return t, nil
}

// parseGitHubToken reads the token endpoint's answer: the tokens, an
// *UpstreamError, or an error of class ErrUnavailable or ErrInvalid.
func parseGitHubToken(provider string, status int, body []byte, now time.Time) (Tokens, error) {
	if status >= 500 || status == http.StatusTooManyRequests {
		return Tokens{}, fmt.Errorf("%w: HTTP %d", ErrUnavailable, status)
	}
	if len(body) > maxBody {
		return Tokens{}, fmt.Errorf("%w: the answer is over %d bytes", ErrInvalid, maxBody)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return Tokens{}, fmt.Errorf("%w: HTTP %d, not the JSON expected", ErrInvalid, status)
	}
	if tr.Error != "" && (status == http.StatusOK || status >= 400) {
		code := cleanText(tr.Error, 64)
		if code == "" {
			return Tokens{}, fmt.Errorf("%w: HTTP %d, an error code of no printable character", ErrInvalid, status)
		}
		return Tokens{}, &UpstreamError{Provider: provider, Code: code, Description: cleanText(tr.Description, maxDescription), AtTokenEndpoint: true}
	}
	if status != http.StatusOK {
		return Tokens{}, fmt.Errorf("%w: HTTP %d", ErrInvalid, status)
	}
	if tr.AccessToken == "" || !strings.EqualFold(tr.TokenType, "bearer") {
		return Tokens{}, fmt.Errorf("%w: the answer has no bearer access_token", ErrInvalid)
	}
	t := Tokens{AccessToken: tr.AccessToken, RefreshToken: tr.RefreshToken, tokenType: tr.TokenType}
	// expires_in only when the app has expiring user tokens.
	var secs json.Number
	if len(tr.ExpiresIn) > 0 && json.Unmarshal(tr.ExpiresIn, &secs) == nil {
		if n, err := secs.Int64(); err == nil && n > 0 && n < 10*365*24*3600 {
			t.Expiry = now.Add(time.Duration(n) * time.Second)
		}
	}
	return t, nil
}

// get reads one of GitHub's REST API documents with the user's token.
func (g *GitHubProvider) get(ctx context.Context, where, token string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, where, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", githubAPIVersion)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := g.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	// GitHub's rate limit answers 403 or 429 with no requests remaining.
	limited := resp.StatusCode == http.StatusTooManyRequests ||
		resp.StatusCode == http.StatusForbidden && resp.Header.Get("X-RateLimit-Remaining") == "0"
	switch {
	case err != nil:
		return fmt.Errorf("%w: read the answer: %w", ErrUnavailable, err)
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %w", ErrUnavailable, context.Cause(ctx))
	case resp.StatusCode >= 500 || limited:
		return fmt.Errorf("%w: HTTP %d", ErrUnavailable, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%w: HTTP %d (a redirect is never followed; is user:email among the scopes?)", ErrInvalid, resp.StatusCode)
	case len(body) > maxBody:
		return fmt.Errorf("%w: the answer is over %d bytes", ErrInvalid, maxBody)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("%w: not the JSON expected: %w", ErrInvalid, err)
	}
	return nil
}
