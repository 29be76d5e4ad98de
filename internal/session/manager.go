package session

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/signetid/signet/storage"
)

// Defaults of Options.
const (
	// DefaultIdleLifetime is how long a session lasts unused: 10 hours,
	// IdentityServer's CookieLifetime, sliding.
	DefaultIdleLifetime = 10 * time.Hour
	// DefaultAbsoluteLifetime is how long a session lasts however much it
	// is used: 30 days, after which the user signs in again.
	DefaultAbsoluteLifetime = 30 * 24 * time.Hour
	// DefaultFormLifetime is how long the browser keeps the pre-session
	// cookie of the login form after the form was last shown.
	DefaultFormLifetime = time.Hour
)

// renewFraction is the part of IdleLifetime that passes between two moves
// of a session's expiry: Current writes at most once per quarter of it.
const renewFraction = 4

// ErrEnded is returned by AddClient for a session that has ended (logged
// out, expired, or ended by EndAll) since it was read.
var ErrEnded = errors.New("the session has ended: sign in again")

// Store is what a Manager needs of storage: storage.Sessions without its
// listing.
type Store interface {
	CreateSession(ctx context.Context, s storage.Session) error
	GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error)
	UpdateSession(ctx context.Context, id string, now time.Time, update func(*storage.Session) error) error
	DeleteSession(ctx context.Context, id string) error
	DeleteSessions(ctx context.Context, subject string) (int, error)
}

// Options configures a Manager. The zero value is the defaults.
type Options struct {
	// IdleLifetime ends a session unused for that long (sliding);
	// DefaultIdleLifetime if zero.
	IdleLifetime time.Duration
	// AbsoluteLifetime ends a session that long after it began, however
	// much it is used; DefaultAbsoluteLifetime if zero. At least
	// IdleLifetime.
	AbsoluteLifetime time.Duration
	// FormLifetime is how long the browser keeps the pre-session cookie
	// after a form was last shown; DefaultFormLifetime if zero.
	FormLifetime time.Duration
	// SameSite is the session cookie's SameSite mode: Lax if zero or
	// http.SameSiteDefaultMode, or None (only with https; see
	// CheckSameSite).
	SameSite http.SameSite
	// Issuer returns the issuer of the request whose context ctx is
	// (endpoint.Issuer): the cookies are Secure unless it is plain http.
	// If nil, they are always Secure.
	Issuer func(ctx context.Context) string
	// Now is the clock; time.Now if nil.
	Now func() time.Time
	// Random is the source of handles; crypto/rand if nil.
	Random io.Reader
	// Logger receives a warning when a session's expiry could not be
	// moved; nothing is logged if nil. Handles are never logged.
	Logger *slog.Logger
}

// Manager starts, finds and ends sessions. It is safe for concurrent use.
type Manager struct {
	store          Store
	idle, absolute time.Duration
	form           time.Duration
	sameSite       http.SameSite
	issuer         func(context.Context) string
	now            func() time.Time
	random         io.Reader
	log            *slog.Logger
	recent         recentSessions
}

// New returns a Manager of the sessions in store.
func New(store Store, opts Options) (*Manager, error) {
	m := &Manager{
		store: store, idle: opts.IdleLifetime, absolute: opts.AbsoluteLifetime,
		form: opts.FormLifetime, sameSite: opts.SameSite, issuer: opts.Issuer,
		now: opts.Now, random: opts.Random, log: opts.Logger,
	}
	if m.idle == 0 {
		m.idle = DefaultIdleLifetime
	}
	if m.absolute == 0 {
		m.absolute = max(DefaultAbsoluteLifetime, m.idle)
	}
	if m.form == 0 {
		m.form = DefaultFormLifetime
	}
	switch {
	case m.idle < time.Second:
		return nil, fmt.Errorf("session idle lifetime %v is under a second: give a positive duration such as 10h", opts.IdleLifetime)
	case m.absolute < m.idle:
		return nil, fmt.Errorf("session absolute lifetime %v is shorter than the idle lifetime %v: give at least the idle lifetime", m.absolute, m.idle)
	case m.form < time.Second:
		return nil, fmt.Errorf("session form lifetime %v is under a second: give a positive duration such as 1h", opts.FormLifetime)
	}
	// The issuer is known only per request when it is derived from the
	// Host header; with none, cookies are Secure and None is allowed.
	if err := CheckSameSite(m.sameSite, ""); err != nil {
		return nil, err
	}
	if m.sameSite != http.SameSiteNoneMode {
		m.sameSite = http.SameSiteLaxMode
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.random == nil {
		m.random = rand.Reader
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	return m, nil
}

// Session is a live session, as Start or Current returned it. Its ID is
// the store's id (a hash of the handle, which the Session keeps unexported
// for its form tokens); it may serve as the sid claim.
type Session struct {
	storage.Session
	handle string
	// unconfirmed is set on a session Recent remembered (Confirmed).
	unconfirmed bool
}

// Token returns the session's token for a form of purpose ("consent",
// "logout", ...): put it in the form, and check it with CheckToken when
// the form comes back.
func (s *Session) Token(purpose string) string {
	return encodeToken(formToken(s.handle, purpose))
}

// CheckToken reports whether token is the session's token for purpose,
// comparing in constant time. A token of another session, of another
// purpose, or missing, fails.
func (s *Session) CheckToken(purpose, token string) bool {
	return s != nil && checkFormToken(s.handle, purpose, token)
}

// Start begins a session for subject, who authenticated at authTime with
// the methods amr (the amr claim, e.g. "pwd") at the identity provider idp
// ("" for Signet's own users), and sets its cookie on w. Each call makes a
// new handle, so a session cookie the browser had before is replaced, not
// reused; that older session, if any, is not ended (End it first to).
func (m *Manager) Start(ctx context.Context, w http.ResponseWriter, subject string, authTime time.Time, amr []string, idp string) (*Session, error) {
	// The store keeps times to the millisecond, in UTC: return what a
	// later Current reads.
	now := m.now().UTC().Truncate(time.Millisecond)
	if authTime.IsZero() {
		return nil, errors.New("start a session: the authentication time is missing")
	}
	authTime = authTime.UTC().Truncate(time.Millisecond)
	handle, err := newHandle(m.random)
	if err != nil {
		return nil, fmt.Errorf("start a session: %w", err)
	}
	end := now.Add(m.absolute)
	c, err := m.cookie(ctx, CookieName, handle, end.Sub(now), m.sameSite)
	if err != nil {
		return nil, fmt.Errorf("start a session: %w", err)
	}
	rec := storage.Session{
		ID:       storageID(handle),
		Subject:  subject,
		AuthTime: authTime,
		AMR:      slices.Clone(amr),
		IdP:      idp,
		Created:  now,
		Expires:  earlier(now.Add(m.idle), end),
	}
	if err := m.store.CreateSession(ctx, rec); err != nil {
		return nil, fmt.Errorf("start a session for %q: %w", subject, err)
	}
	m.recent.put(rec)
	setCookie(w, c)
	return &Session{Session: rec, handle: handle}, nil
}

// Current returns the live session of r's cookie, or nil when r has none:
// no cookie, a malformed one, or one whose session has ended or expired.
// An error is only the store's failure to answer. It moves the session's
// idle expiry forward when a quarter of IdleLifetime has passed since it
// last did; failing that is logged, and the session returned all the same.
func (m *Manager) Current(ctx context.Context, r *http.Request) (*Session, error) {
	handle := handleFrom(r, CookieName)
	if handle == "" {
		return nil, nil
	}
	now := m.now().UTC().Truncate(time.Millisecond)
	id := storageID(handle)
	rec, err := m.store.GetSession(ctx, id, now)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		m.recent.drop(id)
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read the session: %w", err)
	}
	end := rec.Created.Add(m.absolute)
	if !now.Before(end) {
		// Lived longer than AbsoluteLifetime allows now (it was
		// shortened since the session began).
		m.recent.drop(id)
		return nil, nil
	}
	if want, due := m.renewal(rec, now); due {
		err := m.store.UpdateSession(ctx, id, now, func(s *storage.Session) error {
			s.Expires = later(s.Expires, want)
			return nil
		})
		switch {
		case errors.Is(err, storage.ErrNotFound):
			m.recent.drop(id)
			return nil, nil // ended meanwhile
		case err != nil:
			m.log.WarnContext(ctx, "session: could not move the expiry of a session", "subject", rec.Subject, "error", err)
		default:
			rec.Expires = later(rec.Expires, want)
		}
	}
	m.recent.put(rec)
	return &Session{Session: rec, handle: handle}, nil
}

// AddClient records that clientID signed in through s (to be told at
// logout), in the store and in s; nothing changes if it is there already.
// ErrEnded if the session has ended.
func (m *Manager) AddClient(ctx context.Context, s *Session, clientID string) error {
	if slices.Contains(s.Clients, clientID) {
		return nil
	}
	var clients []string
	err := m.store.UpdateSession(ctx, s.ID, m.now(), func(rec *storage.Session) error {
		if !slices.Contains(rec.Clients, clientID) {
			rec.Clients = append(rec.Clients, clientID)
		}
		clients = slices.Clone(rec.Clients)
		return nil
	})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		m.recent.drop(s.ID)
		return ErrEnded
	case err != nil:
		return fmt.Errorf("add client %q to the session: %w", clientID, err)
	}
	s.Clients = clients
	m.recent.put(s.Session)
	return nil
}

// End ends the session of r's cookie, if any, and removes the cookie from
// the browser whatever it held. It returns the session it ended (whose
// Clients are those to tell), or nil if r had no live session.
func (m *Manager) End(ctx context.Context, w http.ResponseWriter, r *http.Request) (*Session, error) {
	var ended *Session
	if handle := handleFrom(r, CookieName); handle != "" {
		id := storageID(handle)
		rec, err := m.store.GetSession(ctx, id, m.now())
		switch {
		case errors.Is(err, storage.ErrNotFound):
		case err != nil:
			return nil, fmt.Errorf("end the session: %w", err)
		default:
			ended = &Session{Session: rec, handle: handle}
		}
		m.recent.drop(id)
		// Delete an expired record too: it is of no more use.
		if err := m.store.DeleteSession(ctx, id); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("end the session: %w", err)
		}
	}
	c, _ := m.cookie(ctx, CookieName, "", -1, m.sameSite) // never fails when removing
	setCookie(w, c)
	return ended, nil
}

// EndAll ends every session of subject, on every instance (a password
// change, a disabled or removed user), and returns how many there were.
// The browsers keep their cookies, which no longer find a session.
func (m *Manager) EndAll(ctx context.Context, subject string) (int, error) {
	m.recent.dropSubject(subject)
	n, err := m.store.DeleteSessions(ctx, subject)
	if err != nil {
		return 0, fmt.Errorf("end the sessions of %q: %w", subject, err)
	}
	return n, nil
}

// FormToken returns the token for an anonymous form of purpose (the login
// form), made from the pre-session cookie of r, which it sets on w when r
// has none and sends again otherwise, so that the browser keeps it for
// FormLifetime after the form was last shown. Call it once per response
// (a second call for a browser without the cookie would replace the
// first's). Check the token with CheckFormToken.
//
// The pre-session cookie keeps nothing in the store, so anonymous page
// views write nothing: a token is an HMAC keyed with the cookie's random
// value, so a page on another site can neither read the cookie nor make
// the token. Its SameSite is Lax whatever the session cookie's: the login
// form posts to its own origin.
func (m *Manager) FormToken(ctx context.Context, w http.ResponseWriter, r *http.Request, purpose string) (string, error) {
	handle := handleFrom(r, FormCookieName)
	if handle == "" {
		var err error
		if handle, err = newHandle(m.random); err != nil {
			return "", fmt.Errorf("make a form token: %w", err)
		}
	}
	c, err := m.cookie(ctx, FormCookieName, handle, m.form, http.SameSiteLaxMode)
	if err != nil {
		return "", fmt.Errorf("make a form token: %w", err)
	}
	setCookie(w, c)
	return encodeToken(formToken(handle, purpose)), nil
}

// CheckFormToken reports whether token is the token for purpose that
// FormToken made for r's browser, comparing in constant time. A missing
// token or cookie, or a token of another browser or purpose, fails.
func (m *Manager) CheckFormToken(r *http.Request, purpose, token string) bool {
	return checkFormToken(handleFrom(r, FormCookieName), purpose, token)
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
