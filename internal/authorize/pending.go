package authorize

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/signetid/signet/internal/opaque"
	"github.com/signetid/signet/storage"
)

// DefaultPendingLifetime is how long a validated authorization request
// waits for the login and consent pages: long enough to type a password
// (or fetch it from a password manager) and read the consent page, short
// enough that an id left in a browser's history or a proxy's log is soon
// of no use, and that abandoned sign-ins leave few rows behind.
const DefaultPendingLifetime = 10 * time.Minute

// ErrNotFound: no pending authorization request has that id (it was never
// saved, it expired, or the id is malformed).
var ErrNotFound = errors.New("authorize: the sign-in request was not found or has expired; start again from the application")

// ErrCompleted: the pending authorization request was completed already,
// and cannot be resumed again.
var ErrCompleted = errors.New("authorize: the sign-in request was completed already; start again from the application")

// PendingStore keeps pending requests (storage.PersistedGrants satisfies
// it).
type PendingStore interface {
	CreateGrant(ctx context.Context, g storage.PersistedGrant) error
	GetGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error)
	ConsumeGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error)
}

var _ PendingStore = (storage.PersistedGrants)(nil)

// Pending keeps validated authorization requests while the user signs in
// and consents: the interaction contract between /connect/authorize and
// the login and consent pages, which know a request only by its id. The
// id is a bearer secret of 256 random bits (an opaque handle); only its
// hash is stored.
type Pending struct {
	store    PendingStore
	lifetime time.Duration
}

// NewPending returns a Pending over store keeping requests for lifetime
// (0: DefaultPendingLifetime).
func NewPending(store PendingStore, lifetime time.Duration) *Pending {
	if lifetime <= 0 {
		lifetime = DefaultPendingLifetime
	}
	return &Pending{store: store, lifetime: lifetime}
}

// pendingDataVersion is the version of pendingData; another is refused
// rather than misread.
const pendingDataVersion = 1

// pendingData is a pending request's Data (the client id is the record's
// own field).
type pendingData struct {
	Version             int             `json:"v"`
	ResponseType        string          `json:"response_type"`
	RedirectURI         string          `json:"redirect_uri"`
	RedirectURISent     bool            `json:"redirect_uri_sent,omitempty"`
	Scope               string          `json:"scope,omitempty"` // as sent
	Scopes              []string        `json:"scopes"`
	State               string          `json:"state,omitempty"`
	Nonce               string          `json:"nonce,omitempty"`
	ResponseMode        string          `json:"response_mode"`
	CodeChallenge       string          `json:"code_challenge,omitempty"`
	CodeChallengeMethod string          `json:"code_challenge_method,omitempty"`
	Prompt              Prompt          `json:"prompt"`
	MaxAge              *int64          `json:"max_age,omitempty"` // seconds; nil when not sent
	LoginHint           string          `json:"login_hint,omitempty"`
	IDTokenHint         string          `json:"id_token_hint,omitempty"`
	UILocales           string          `json:"ui_locales,omitempty"`
	ClaimsLocales       string          `json:"claims_locales,omitempty"`
	ACRValues           string          `json:"acr_values,omitempty"`
	Display             string          `json:"display,omitempty"`
	Claims              json.RawMessage `json:"claims,omitempty"`
	DomainHint          string          `json:"domain_hint,omitempty"`
}

// Save stores req, which Validate accepted, at now, and returns the id for
// the login and consent pages' URLs.
func (p *Pending) Save(ctx context.Context, req *Request, now time.Time) (string, error) {
	switch {
	case req.Client == nil || req.ClientID == "":
		return "", errors.New("authorize: save the request: it was not validated (no client)")
	case req.Problem != nil:
		return "", fmt.Errorf("authorize: save the request of client %q: it has a problem: %w", req.ClientID, req.Problem)
	}
	d := pendingData{
		Version: pendingDataVersion, ResponseType: req.ResponseType, RedirectURI: req.RedirectURI,
		RedirectURISent: req.RedirectURISent, Scope: req.Scope, Scopes: req.Scopes, State: req.State, Nonce: req.Nonce,
		ResponseMode: req.ResponseMode, CodeChallenge: req.CodeChallenge, CodeChallengeMethod: req.CodeChallengeMethod,
		Prompt: req.Prompt, LoginHint: req.LoginHint, IDTokenHint: req.IDTokenHint, UILocales: req.UILocales,
		ClaimsLocales: req.ClaimsLocales, ACRValues: req.ACRValues, Display: req.Display, Claims: req.Claims,
		DomainHint: req.DomainHint,
	}
	if req.HasMaxAge {
		s := int64(req.MaxAge / time.Second)
		d.MaxAge = &s
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("authorize: save the request of client %q: %w", req.ClientID, err)
	}
	id, err := opaque.New(nil)
	if err != nil {
		return "", fmt.Errorf("authorize: save the request of client %q: %w", req.ClientID, err)
	}
	g := storage.PersistedGrant{Key: opaque.Key(id), Type: storage.GrantAuthorizationRequest, ClientID: req.ClientID,
		Created: now, Expires: now.Add(p.lifetime), Data: b}
	if err := p.store.CreateGrant(ctx, g); err != nil {
		return "", fmt.Errorf("authorize: save the request of client %q: %w", req.ClientID, err)
	}
	return id, nil
}

// Load returns the pending request id, unexpired at now: ErrNotFound when
// there is none (or id is not one Save could have made), ErrCompleted when
// it was completed. Its Client is nil: the caller looks the client up again
// (it may have been disabled since).
func (p *Pending) Load(ctx context.Context, id string, now time.Time) (*Request, error) {
	return p.read(ctx, "load", id, now, p.store.GetGrant)
}

// Complete consumes the pending request id at now and returns it, once:
// a second Complete (or a Load after it) fails with ErrCompleted, so that
// one sign-in cannot be resumed twice.
func (p *Pending) Complete(ctx context.Context, id string, now time.Time) (*Request, error) {
	return p.read(ctx, "complete", id, now, p.store.ConsumeGrant)
}

// read reads the request id with fetch (GetGrant or ConsumeGrant), its
// syntax checked first so that garbage costs no store lookup.
func (p *Pending) read(ctx context.Context, op, id string, now time.Time, fetch func(context.Context, string, time.Time) (storage.PersistedGrant, error)) (*Request, error) {
	if !opaque.Valid(id) {
		return nil, ErrNotFound
	}
	g, err := fetch(ctx, opaque.Key(id), now)
	if err != nil {
		return nil, pendingErr(op, err)
	}
	// A GetGrant of a completed request finds it consumed (a ConsumeGrant
	// that succeeds returns it consumed just now).
	if op == "load" && !g.Consumed.IsZero() {
		return nil, ErrCompleted
	}
	return fromPendingGrant(g)
}

// pendingErr maps a store error to ErrNotFound and ErrCompleted, and
// wraps the others (a failing store) with what was being done.
func pendingErr(op string, err error) error {
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, storage.ErrConsumed):
		return ErrCompleted
	}
	return fmt.Errorf("authorize: %s the sign-in request: %w", op, err)
}

func fromPendingGrant(g storage.PersistedGrant) (*Request, error) {
	if g.Type != storage.GrantAuthorizationRequest {
		return nil, fmt.Errorf("authorize: the stored sign-in request is a grant of type %q, not %q", g.Type, storage.GrantAuthorizationRequest)
	}
	var d pendingData
	if err := json.Unmarshal(g.Data, &d); err != nil {
		return nil, fmt.Errorf("authorize: read the stored sign-in request of client %q: %w", g.ClientID, err)
	}
	if d.Version != pendingDataVersion {
		return nil, fmt.Errorf("authorize: read the stored sign-in request of client %q: data version %d, which this version of Signet does not read (it writes %d)", g.ClientID, d.Version, pendingDataVersion)
	}
	req := &Request{
		ResponseType: d.ResponseType, ClientID: g.ClientID, RedirectURI: d.RedirectURI,
		RedirectURISent: d.RedirectURISent, Scope: d.Scope, Scopes: d.Scopes, State: d.State, Nonce: d.Nonce,
		ResponseMode: d.ResponseMode, CodeChallenge: d.CodeChallenge, CodeChallengeMethod: d.CodeChallengeMethod,
		Prompt: d.Prompt, LoginHint: d.LoginHint, IDTokenHint: d.IDTokenHint, UILocales: d.UILocales,
		ClaimsLocales: d.ClaimsLocales, ACRValues: d.ACRValues, Display: d.Display, Claims: d.Claims,
		DomainHint: d.DomainHint,
	}
	if d.MaxAge != nil {
		req.MaxAge, req.HasMaxAge = time.Duration(*d.MaxAge)*time.Second, true
	}
	req.OpenID = slices.Contains(req.Scopes, "openid")
	return req, nil
}
