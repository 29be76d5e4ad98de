package upstream

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Kept is what the caller keeps between Start and Finish, bound to the
// browser that started (e.g. in a pending record keyed by a cookie). All
// three are secrets: never log them.
type Kept struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"` // PKCE code_verifier
}

func (Kept) String() string       { return redacted }
func (Kept) GoString() string     { return redacted }
func (Kept) LogValue() slog.Value { return slog.StringValue(redacted) }

// StartOptions are what a sign-in passes through to the upstream.
type StartOptions struct {
	// Prompt: space-separated none, login, consent, select_account.
	Prompt string
	// LoginHint: an identifier the person already gave.
	LoginHint string
	// DomainHint: Microsoft Entra ID's domain_hint (a tenant's domain),
	// sent as it is; "" for none. Only Entra reads it.
	DomainHint string
	// MaxAge, with HasMaxAge, is sent as max_age (whole seconds): the
	// upstream is to sign the person in again when their sign-in there
	// is older. GitHub has no such parameter.
	MaxAge    time.Duration
	HasMaxAge bool
}

// maxLoginHint bounds login_hint.
const maxLoginHint = 256

// Start makes the authorization request: the URL to send the browser to,
// and what to keep for Finish. It reads the discovery document the first
// time.
func (p *Provider) Start(ctx context.Context, o StartOptions) (string, Kept, error) {
	if err := checkPrompt(o.Prompt); err != nil {
		return "", Kept{}, err
	}
	if len(o.LoginHint) > maxLoginHint || strings.IndexFunc(o.LoginHint, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return "", Kept{}, fmt.Errorf("login_hint: at most %d characters without control characters", maxLoginHint)
	}
	if len(o.DomainHint) > maxLoginHint || strings.IndexFunc(o.DomainHint, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return "", Kept{}, fmt.Errorf("domain_hint: at most %d characters without control characters", maxLoginHint)
	}
	ctx, cancel := p.withTimeout(ctx)
	defer cancel()
	d, err := p.document(ctx)
	if err != nil {
		return "", Kept{}, err
	}
	var k Kept
	for _, f := range []*string{&k.State, &k.Nonce, &k.Verifier} {
		if *f, err = random256(p.random); err != nil {
			return "", Kept{}, err
		}
	}
	u, err := url.Parse(d.AuthorizationEndpoint)
	if err != nil {
		return "", Kept{}, fmt.Errorf("authorization_endpoint of %q: %w", p.cfg.Name, err)
	}
	q := u.Query()
	challenge := sha256.Sum256([]byte(k.Verifier))
	q.Set("response_type", "code")
	q.Set("client_id", p.cfg.ClientID)
	q.Set("redirect_uri", p.cfg.RedirectURI)
	q.Set("scope", p.scope)
	q.Set("state", k.State)
	q.Set("nonce", k.Nonce)
	q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(challenge[:]))
	q.Set("code_challenge_method", "S256")
	if o.Prompt != "" {
		q.Set("prompt", o.Prompt)
	}
	if o.LoginHint != "" {
		q.Set("login_hint", o.LoginHint)
	}
	if o.DomainHint != "" {
		q.Set("domain_hint", o.DomainHint)
	}
	if o.HasMaxAge {
		q.Set("max_age", strconv.FormatInt(int64(max(o.MaxAge, 0)/time.Second), 10))
	}
	u.RawQuery = q.Encode()
	return u.String(), k, nil
}

// checkPrompt accepts the prompt values of OpenID Connect Core §3.1.2.1,
// none only alone.
func checkPrompt(prompt string) error {
	if prompt == "" {
		return nil
	}
	vals := strings.Split(prompt, " ")
	for _, v := range vals {
		switch v {
		case "login", "consent", "select_account":
		case "none":
			if len(vals) > 1 {
				return fmt.Errorf("prompt %q: none cannot be combined", prompt)
			}
		default:
			return fmt.Errorf("prompt %q: %q is not none, login, consent or select_account", prompt, v)
		}
	}
	return nil
}

// random256 is 256 random bits in base64url: state, nonce, and a PKCE
// verifier of 43 characters (RFC 7636 §4.1).
func random256(r io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
