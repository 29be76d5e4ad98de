package tokens

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/signetid/signet/internal/opaque"
	"github.com/signetid/signet/internal/pkce"
	"github.com/signetid/signet/storage"
)

// GrantStore keeps authorization codes and refresh handles
// (storage.PersistedGrants satisfies it).
type GrantStore interface {
	CreateGrant(ctx context.Context, g storage.PersistedGrant) error
	GetGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error)
	ConsumeGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error)
	CreateGrantInSession(ctx context.Context, g storage.PersistedGrant, now time.Time) error
	ConsumeUserGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, storage.UserState, error)
	RotateGrant(ctx context.Context, key string, next storage.PersistedGrant, now time.Time) (storage.PersistedGrant, error)
	ExtendGrant(ctx context.Context, key string, expires time.Time, data []byte, now time.Time) error
	DeleteGrant(ctx context.Context, key string) error
	DeleteGrants(ctx context.Context, f storage.PersistedGrantFilter) (int, error)
}

var _ GrantStore = (storage.PersistedGrants)(nil)

// Lifetimes of codes and refresh handles when the client sets none
// (IdentityServer's defaults).
const (
	DefaultCodeLifetime            = 300 * time.Second
	DefaultAbsoluteRefreshLifetime = 30 * 24 * time.Hour
	DefaultSlidingRefreshLifetime  = 15 * 24 * time.Hour
)

// handleBytes is the randomness of a code or refresh handle: 256 bits.
const handleBytes = 32

// Authorization is what the user granted a client: what a code carries to
// the token endpoint, and what a refresh handle keeps.
type Authorization struct {
	ClientID string
	Subject  string
	// SessionID is the sign-in session (the ID token's sid).
	SessionID string
	Scopes    []string
	// RedirectURI is the authorization request's redirect_uri, "" when it
	// carried none; the token request must then repeat it.
	RedirectURI string
	Nonce       string
	// CodeChallenge and CodeChallengeMethod are the request's PKCE, ""
	// without.
	CodeChallenge       string
	CodeChallengeMethod string
	// AuthTime is when the user signed in; AMR how; ACR the
	// authentication context class the login satisfied ("mfa", "sfa", or
	// the value of acr_values it met), "" for none.
	AuthTime time.Time
	AMR      []string
	ACR      string
}

// grantDataVersion is the version of grantData; a grant of another
// version is refused as unreadable rather than misread.
const grantDataVersion = 1

// grantData is what a PersistedGrant's Data holds (the client, subject and
// session are the record's own fields, which revocation filters on).
type grantData struct {
	Version             int      `json:"v"`
	Scopes              []string `json:"scopes"`
	RedirectURI         string   `json:"redirect_uri,omitempty"`
	Nonce               string   `json:"nonce,omitempty"`
	CodeChallenge       string   `json:"code_challenge,omitempty"`
	CodeChallengeMethod string   `json:"code_challenge_method,omitempty"`
	AuthTime            int64    `json:"auth_time,omitempty"`
	AMR                 []string `json:"amr,omitempty"`
	ACR                 string   `json:"acr,omitempty"`
	// AbsoluteExpiry (Unix seconds) is when a refresh family ends whatever
	// sliding does: the first handle's issue plus the absolute lifetime.
	AbsoluteExpiry int64 `json:"absolute_expiry,omitempty"`
}

func encodeGrant(a Authorization, absolute time.Time) ([]byte, error) {
	d := grantData{
		Version: grantDataVersion, Scopes: a.Scopes, RedirectURI: a.RedirectURI, Nonce: a.Nonce,
		CodeChallenge: a.CodeChallenge, CodeChallengeMethod: a.CodeChallengeMethod, AMR: a.AMR, ACR: a.ACR,
	}
	if !a.AuthTime.IsZero() {
		d.AuthTime = a.AuthTime.Unix()
	}
	if !absolute.IsZero() {
		d.AbsoluteExpiry = absolute.Unix()
	}
	return json.Marshal(d)
}

func decodeGrant(g storage.PersistedGrant) (Authorization, grantData, error) {
	var d grantData
	if err := json.Unmarshal(g.Data, &d); err != nil {
		return Authorization{}, d, fmt.Errorf("read the stored %s: %w", g.Type, err)
	}
	if d.Version != grantDataVersion {
		return Authorization{}, d, fmt.Errorf("read the stored %s: data version %d, this build reads %d", g.Type, d.Version, grantDataVersion)
	}
	a := Authorization{
		ClientID: g.ClientID, Subject: g.Subject, SessionID: g.SessionID, Scopes: d.Scopes,
		RedirectURI: d.RedirectURI, Nonce: d.Nonce, CodeChallenge: d.CodeChallenge,
		CodeChallengeMethod: d.CodeChallengeMethod, AMR: d.AMR, ACR: d.ACR,
	}
	if d.AuthTime != 0 {
		a.AuthTime = time.Unix(d.AuthTime, 0).UTC()
	}
	return a, d, nil
}

// GrantError is a code or refresh handle refused: Error is what is wrong,
// for the invalid_grant error_description; it never repeats the handle.
// Storage failures are not GrantErrors (they are server errors).
type GrantError struct {
	Description string
	// FamilyID is set when a used code or refresh handle was presented
	// again: the grants of its family were deleted (Revoked of them), and
	// the caller may revoke more of what was issued from it.
	FamilyID string
	Revoked  int
	// Err is the cause: storage.ErrConsumed for a reuse, storage.ErrNotFound
	// for an unknown or expired handle, pkce's errors.
	Err error
}

// ErrScopeWidened is the cause of a refresh that asked for a scope the
// refresh token was not granted: RFC 6749 §5.2 names it invalid_scope
// ("exceeds the scope granted by the resource owner"), where the other
// GrantErrors are invalid_grant.
var ErrScopeWidened = errors.New("scope widened at refresh")

// ErrSessionEnded is IssueCode's error when the session the code was to
// be issued in has ended (logged out, expired, ended by another instance
// or the CLI): the user must sign in again.
var ErrSessionEnded = errors.New("the session has ended")

func (e *GrantError) Error() string { return e.Description }
func (e *GrantError) Unwrap() error { return e.Err }

func grantErr(cause error, format string, args ...any) *GrantError {
	return &GrantError{Description: fmt.Sprintf(format, args...), Err: cause}
}

// newHandle returns a handle of 256 random bits, base64url, and the key
// it is stored under as a grant of typ. A handle never starts with '-':
// given on a command line (signet token revoke TOKEN) it would be read as
// a flag. Drawing again costs 1 in 64 handles a draw and the handles
// 0.02 bits.
func newHandle(typ string) (handle, key string) {
	b := make([]byte, handleBytes)
	for handle == "" || handle[0] == '-' {
		_, _ = rand.Read(b)
		handle = base64.RawURLEncoding.EncodeToString(b)
	}
	return handle, HandleKey(typ, handle)
}

// HandleKey is the storage key of a handle stored as a grant of typ
// (storage.GrantAuthorizationCode, storage.GrantRefreshToken): the
// SHA-256 of the type, a colon and the handle, base64url, after the
// handle's time prefix when it has one (a code's: newCode). The store never
// holds the handle itself, and a handle of one type presented as another
// is not found (a refresh token sent as a code is not consumed).
func HandleKey(typ, handle string) string {
	sum := sha256.Sum256([]byte(typ + ":" + handle))
	return timePrefix(handle) + base64.RawURLEncoding.EncodeToString(sum[:])
}

// Codes and family ids begin with the time they were made, in
// timeEncoding: 48 bits of Unix milliseconds, 10 characters whose order is
// the times' order. Most grants written are codes, and each code starts a
// family; random keys and family ids put each new one on a page of its
// own in the store's indexes, so that a commit of thirty codes wrote some
// thirty pages for each of those indexes. Made in time order, a commit's
// new entries share the indexes' last page (in process, a code stored and
// redeemed by 64 goroutines on SQLite: 86 us of CPU with random keys, 48
// with time-ordered ones and codes kept out of the subject and session
// indexes; BenchmarkGrants/File/CreateConsumeRandom and .../Timed). The
// randomness after the prefix is unchanged: 256 bits for a code, 128 for a
// family. The time a code was made is no secret: its holder knows it.
var timeEncoding = base32.HexEncoding.WithPadding(base32.NoPadding)

// timePrefixLen is the length of a time prefix: 6 bytes in timeEncoding.
var timePrefixLen = timeEncoding.EncodedLen(6)

// timeStamp is now's time prefix.
func timeStamp(now time.Time) string {
	ms := uint64(now.UnixMilli())
	var b [6]byte
	for i := range b {
		b[i] = byte(ms >> (8 * (5 - i)))
	}
	return timeEncoding.EncodeToString(b[:])
}

// timePrefix is the time prefix of a handle made by newCode: its first
// timePrefixLen characters when it has the length of one and they are of
// timeEncoding's alphabet, else "" (a refresh or reference handle, or a
// code made before codes had one).
func timePrefix(handle string) string {
	if len(handle) != timePrefixLen+opaque.Len {
		return ""
	}
	for _, c := range []byte(handle[:timePrefixLen]) {
		if (c < '0' || c > '9') && (c < 'A' || c > 'V') {
			return ""
		}
	}
	return handle[:timePrefixLen]
}

// KeyHash is the hash part of a storage key that HandleKey made: the key
// without a code's time prefix (what signet grants shows of a key, which
// tells codes apart where their time prefixes would not).
func KeyHash(key string) string { return key[len(timePrefix(key)):] }

// newCode returns an authorization code, its time prefix then 256 random
// bits, and its storage key.
func newCode(now time.Time) (code, key string) {
	h, _ := newHandle(storage.GrantAuthorizationCode)
	code = timeStamp(now) + h
	return code, HandleKey(storage.GrantAuthorizationCode, code)
}

// newFamily returns a new family id: its time prefix and 128 random bits.
func newFamily(now time.Time) string { return timeStamp(now) + newJTI() }

// IssueCode stores an authorization code for a and returns it. The code
// starts a family, which the tokens it is redeemed for join. lifetime 0
// means DefaultCodeLifetime. A code issued in a session (a.SessionID) is
// stored only while the session is live, checked by the insert itself
// (storage's CreateGrantInSession): ErrSessionEnded otherwise. So the
// authorization endpoint may decide on a session it read earlier, and
// still never issue a code in one that has ended since.
func (s *Service) IssueCode(ctx context.Context, a Authorization, lifetime time.Duration) (string, error) {
	if lifetime <= 0 {
		lifetime = DefaultCodeLifetime
	}
	data, err := encodeGrant(a, time.Time{})
	if err != nil {
		return "", fmt.Errorf("encode the authorization code: %w", err)
	}
	now := s.now()
	code, key := newCode(now)
	g := storage.PersistedGrant{
		Key: key, Type: storage.GrantAuthorizationCode, Subject: a.Subject, ClientID: a.ClientID, SessionID: a.SessionID,
		FamilyID: newFamily(now), Created: now, Expires: now.Add(lifetime), Data: data,
	}
	if a.SessionID == "" {
		err = s.Grants.CreateGrant(ctx, g)
	} else {
		err = s.Grants.CreateGrantInSession(ctx, g, now)
		if errors.Is(err, storage.ErrNotFound) {
			return "", fmt.Errorf("issue an authorization code in session: %w", ErrSessionEnded)
		}
	}
	if err != nil {
		return "", fmt.Errorf("store the authorization code: %w", err)
	}
	return code, nil
}

// CodeRedemption is a token request for grant_type=authorization_code.
type CodeRedemption struct {
	Code string
	// ClientID is the authenticated client.
	ClientID    string
	RedirectURI string
	// Verifier is the code_verifier, "" when none was sent.
	Verifier string
	// AllowPlainPKCE is the client's allowPlainTextPkce.
	AllowPlainPKCE bool
}

// RedeemedCode is what a redeemed code granted.
type RedeemedCode struct {
	Authorization
	// FamilyID is the code's family: refresh handles issued for it join
	// it, so that a reuse of the code revokes them.
	FamilyID string
	// User is the state of the code's user when the code was consumed
	// (read with it): the token endpoint refuses a user removed or
	// disabled since the code was issued without reading the user again.
	User storage.UserState

	// key and issued find the code's record again (IssueCodeRefresh).
	key    string
	issued time.Time
}

// RedeemCode consumes a code once, then checks that it was issued to the
// client, for the redirect URI, and the PKCE verifier. Any failure is a
// *GrantError, except storage failures; the code is consumed by then, so
// that a code that failed a check cannot be tried again. A code used
// before fails with storage.ErrConsumed: its family (the refresh handles
// issued from its first use) is deleted, and the error names it.
func (s *Service) RedeemCode(ctx context.Context, r CodeRedemption) (RedeemedCode, error) {
	if r.Code == "" {
		return RedeemedCode{}, grantErr(storage.ErrNotFound, "the authorization code is missing")
	}
	g, user, err := s.Grants.ConsumeUserGrant(ctx, HandleKey(storage.GrantAuthorizationCode, r.Code), s.now())
	switch {
	case errors.Is(err, storage.ErrConsumed) && g.Type == storage.GrantAuthorizationCode:
		return RedeemedCode{}, s.revokeFamily(ctx, g, "the authorization code was used before")
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrConsumed):
		return RedeemedCode{}, grantErr(storage.ErrNotFound, "the authorization code is unknown or has expired")
	case err != nil:
		return RedeemedCode{}, fmt.Errorf("redeem the authorization code: %w", err)
	}
	if g.Type != storage.GrantAuthorizationCode {
		return RedeemedCode{}, grantErr(storage.ErrNotFound, "the authorization code is unknown or has expired")
	}
	a, _, err := decodeGrant(g)
	if err != nil {
		return RedeemedCode{}, err
	}
	switch {
	case a.ClientID != r.ClientID:
		return RedeemedCode{}, grantErr(nil, "the authorization code was issued to another client")
	case a.RedirectURI != r.RedirectURI && a.RedirectURI != "":
		return RedeemedCode{}, grantErr(nil, "redirect_uri is not the one of the authorization request")
	}
	if err := pkce.Verify(a.CodeChallenge, a.CodeChallengeMethod, r.Verifier, r.AllowPlainPKCE); err != nil {
		return RedeemedCode{}, grantErr(err, "%s", err.Error())
	}
	return RedeemedCode{Authorization: a, FamilyID: g.FamilyID, User: user, key: g.Key, issued: g.Created}, nil
}

// IssueCodeRefresh stores the refresh handle of a redeemed code, for
// code's Authorization in its family, and returns it, unless the code was
// presented again since it was redeemed: that reuse revoked the family
// (the code's record included) perhaps before this handle joined it, so
// the handle is checked for after it is stored, and deleted with a
// *GrantError (storage.ErrConsumed) if the code's record is gone. Without
// this, a reuse racing the first redemption would leave its refresh
// token alive.
func (s *Service) IssueCodeRefresh(ctx context.Context, code RedeemedCode, p RefreshPolicy) (string, error) {
	if code.key == "" || code.FamilyID == "" {
		return "", errors.New("issue a refresh token for a code: the code was not redeemed by RedeemCode")
	}
	handle, err := s.IssueRefresh(ctx, code.Authorization, code.FamilyID, p)
	if err != nil {
		return "", err
	}
	if err := s.standing(ctx, code.Source()); err != nil {
		return "", err
	}
	return handle, nil
}

// revokeFamily deletes the family of a grant presented again after its
// use, and returns the GrantError that says so. Without a family only
// the grant itself is deleted.
func (s *Service) revokeFamily(ctx context.Context, g storage.PersistedGrant, what string) error {
	e := &GrantError{Err: storage.ErrConsumed, FamilyID: g.FamilyID}
	var err error
	if g.FamilyID != "" {
		// Twice: a first redemption of a code stores its refresh handle
		// after the code's transaction, then looks for the code
		// (IssueCodeRefresh). A first delete whose snapshot predates that
		// handle can miss it (PostgreSQL's read committed); the second
		// begins after the first committed, so either it sees the handle,
		// or the handle was stored after the code was gone and
		// IssueCodeRefresh finds that out.
		filter := storage.PersistedGrantFilter{FamilyID: g.FamilyID}
		var n int
		if e.Revoked, err = s.Grants.DeleteGrants(ctx, filter); err == nil {
			n, err = s.Grants.DeleteGrants(ctx, filter)
			e.Revoked += n
		}
	} else if err = s.Grants.DeleteGrant(ctx, g.Key); err == nil {
		e.Revoked = 1
	}
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("%s; revoking what was issued from it failed: %w", what, err)
	}
	e.Description = what + "; the tokens issued from it are revoked"
	return e
}

// RefreshUsage is IdentityServer's RefreshTokenUsage.
type RefreshUsage string

// RefreshExpiration is IdentityServer's RefreshTokenExpiration.
type RefreshExpiration string

const (
	// OneTimeOnly: each refresh returns a new handle and consumes the old
	// one; the old one presented again revokes the family.
	OneTimeOnly RefreshUsage = "OneTimeOnly"
	// ReUse: the handle stays the same across refreshes.
	ReUse RefreshUsage = "ReUse"

	// Absolute: the family ends at its first issue plus the absolute
	// lifetime.
	Absolute RefreshExpiration = "Absolute"
	// Sliding: each refresh extends the handle by the sliding lifetime,
	// never beyond the absolute one.
	Sliding RefreshExpiration = "Sliding"
)

// RefreshPolicy is a client's refresh settings; zero values are the
// defaults (OneTimeOnly, Absolute, 30 and 15 days).
type RefreshPolicy struct {
	Usage      RefreshUsage
	Expiration RefreshExpiration
	// AbsoluteLifetime and SlidingLifetime are IdentityServer's
	// AbsoluteRefreshTokenLifetime and SlidingRefreshTokenLifetime.
	AbsoluteLifetime time.Duration
	SlidingLifetime  time.Duration
}

func (p RefreshPolicy) withDefaults() RefreshPolicy {
	if p.Usage == "" {
		p.Usage = OneTimeOnly
	}
	if p.Expiration == "" {
		p.Expiration = Absolute
	}
	if p.AbsoluteLifetime <= 0 {
		p.AbsoluteLifetime = DefaultAbsoluteRefreshLifetime
	}
	if p.SlidingLifetime <= 0 {
		p.SlidingLifetime = DefaultSlidingRefreshLifetime
	}
	return p
}

// expiry is when a handle issued at now expires, within a family ending
// at absolute.
func (p RefreshPolicy) expiry(now, absolute time.Time) time.Time {
	if p.Expiration == Sliding {
		if e := now.Add(p.SlidingLifetime); e.Before(absolute) {
			return e
		}
	}
	return absolute
}

// IssueRefresh stores a refresh handle for a in family (a redeemed code's
// FamilyID) and returns it.
func (s *Service) IssueRefresh(ctx context.Context, a Authorization, family string, p RefreshPolicy) (string, error) {
	p = p.withDefaults()
	switch {
	case p.Usage != OneTimeOnly && p.Usage != ReUse:
		return "", fmt.Errorf("refresh token usage %q is not %s or %s", p.Usage, OneTimeOnly, ReUse)
	case p.Expiration != Absolute && p.Expiration != Sliding:
		return "", fmt.Errorf("refresh token expiration %q is not %s or %s", p.Expiration, Absolute, Sliding)
	}
	now := s.now()
	if family == "" {
		family = newFamily(now)
	}
	absolute := now.Add(p.AbsoluteLifetime)
	handle, key := newHandle(storage.GrantRefreshToken)
	g, err := refreshGrant(key, a, family, now, p.expiry(now, absolute), absolute)
	if err != nil {
		return "", err
	}
	if err := s.Grants.CreateGrant(ctx, g); err != nil {
		return "", fmt.Errorf("store the refresh token: %w", err)
	}
	return handle, nil
}

func refreshGrant(key string, a Authorization, family string, now, expires, absolute time.Time) (storage.PersistedGrant, error) {
	// What a code needed and a refresh does not is left out.
	a.RedirectURI, a.Nonce, a.CodeChallenge, a.CodeChallengeMethod = "", "", "", ""
	data, err := encodeGrant(a, absolute)
	if err != nil {
		return storage.PersistedGrant{}, fmt.Errorf("encode the refresh token: %w", err)
	}
	return storage.PersistedGrant{
		Key: key, Type: storage.GrantRefreshToken, Subject: a.Subject, ClientID: a.ClientID, SessionID: a.SessionID,
		FamilyID: family, Created: now, Expires: expires, Data: data,
	}, nil
}

// RefreshRequest is a token request for grant_type=refresh_token.
type RefreshRequest struct {
	Handle string
	// ClientID is the authenticated client.
	ClientID string
	// Scopes are the requested scopes; none means those granted.
	Scopes []string
	Policy RefreshPolicy
}

// Refreshed is the outcome of a refresh.
type Refreshed struct {
	// Authorization is what the handle granted, with Scopes narrowed to
	// the request's.
	Authorization
	// Handle is the refresh token to return: a new one (OneTimeOnly) or
	// the one presented (ReUse).
	Handle   string
	FamilyID string

	// key is Handle's, looked for at at (Source).
	key string
	at  time.Time
}

// Refresh trades a refresh handle: it must be the client's, unexpired and
// unused, and the request may narrow its scopes, never widen them. The
// handle keeps the scopes first granted, so a later refresh may ask for
// them all again (RFC 6749 §6: "not originally granted"). OneTimeOnly
// rotates it (the old one consumed and the new one created in one
// transaction); a used handle presented again, or a concurrent rotation
// lost, deletes its family and fails with storage.ErrConsumed. Failures
// are *GrantErrors, except storage failures.
func (s *Service) Refresh(ctx context.Context, r RefreshRequest) (Refreshed, error) {
	p := r.Policy.withDefaults()
	if r.Handle == "" {
		return Refreshed{}, grantErr(storage.ErrNotFound, "the refresh token is missing")
	}
	key := HandleKey(storage.GrantRefreshToken, r.Handle)
	now := s.now()
	g, err := s.Grants.GetGrant(ctx, key, now)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return Refreshed{}, grantErr(storage.ErrNotFound, "the refresh token is unknown, expired or revoked")
	case err != nil:
		return Refreshed{}, fmt.Errorf("read the refresh token: %w", err)
	case g.Type != storage.GrantRefreshToken:
		return Refreshed{}, grantErr(storage.ErrNotFound, "the refresh token is unknown, expired or revoked")
	case g.ClientID != r.ClientID:
		return Refreshed{}, grantErr(nil, "the refresh token was issued to another client")
	case !g.Consumed.IsZero():
		return Refreshed{}, s.revokeFamily(ctx, g, "the refresh token was used before")
	}
	a, d, err := decodeGrant(g)
	if err != nil {
		return Refreshed{}, err
	}
	scopes := a.Scopes
	if len(r.Scopes) > 0 {
		var wider []string
		for _, sc := range r.Scopes {
			if !slices.Contains(a.Scopes, sc) {
				wider = append(wider, sc)
			}
		}
		if len(wider) > 0 {
			return Refreshed{}, grantErr(ErrScopeWidened, "scope %s was not granted to the refresh token; a refresh may narrow the scope, never widen it", strings.Join(wider, " "))
		}
		scopes = r.Scopes
	}
	absolute := time.Unix(d.AbsoluteExpiry, 0).UTC()
	if d.AbsoluteExpiry == 0 {
		absolute = g.Expires
	}
	if !absolute.After(now) {
		// Within the second that AbsoluteExpiry drops.
		return Refreshed{}, grantErr(storage.ErrNotFound, "the refresh token is unknown, expired or revoked")
	}
	out := Refreshed{Authorization: a, Handle: r.Handle, FamilyID: g.FamilyID, key: key, at: now}
	out.Scopes = scopes
	switch {
	case p.Usage == OneTimeOnly:
		handle, nextKey := newHandle(storage.GrantRefreshToken)
		next, err := refreshGrant(nextKey, a, g.FamilyID, now, p.expiry(now, absolute), absolute)
		if err != nil {
			return Refreshed{}, err
		}
		g, err := s.Grants.RotateGrant(ctx, key, next, now)
		switch {
		case errors.Is(err, storage.ErrConsumed):
			return Refreshed{}, s.revokeFamily(ctx, g, "the refresh token was used before")
		case errors.Is(err, storage.ErrNotFound):
			return Refreshed{}, grantErr(storage.ErrNotFound, "the refresh token is unknown, expired or revoked")
		case err != nil:
			return Refreshed{}, fmt.Errorf("rotate the refresh token: %w", err)
		}
		out.Handle, out.key = handle, nextKey
	case p.Expiration == Sliding:
		// ReUse with sliding expiry: the record's expiry moves, in one
		// statement that finds nothing once a revocation deleted it, so
		// that a revocation racing this refresh is never undone.
		next, err := refreshGrant(key, a, g.FamilyID, g.Created, p.expiry(now, absolute), absolute)
		if err != nil {
			return Refreshed{}, err
		}
		switch err := s.Grants.ExtendGrant(ctx, key, next.Expires, next.Data, now); {
		case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrConsumed):
			return Refreshed{}, grantErr(storage.ErrNotFound, "the refresh token is unknown, expired or revoked")
		case err != nil:
			return Refreshed{}, fmt.Errorf("extend the refresh token: %w", err)
		}
	}
	return out, nil
}
