package passkey

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/signetid/signet/internal/opaque"
	"github.com/signetid/signet/storage"
)

// DefaultCeremonyLifetime is how long a ceremony's challenge is kept: the
// time a person has to touch their authenticator.
const DefaultCeremonyLifetime = 5 * time.Minute

// MaxPerUser bounds a user's passkeys, so that one account cannot fill the
// store (and the exclude list stays small).
const MaxPerUser = 32

// MaxNameLen bounds a passkey's name, in characters.
const MaxNameLen = 64

// maxResponseBytes bounds a browser's answer to a ceremony: an attestation
// object with a certificate chain fits many times over.
const maxResponseBytes = 64 << 10

// accountClientID is the client id of a registration ceremony's grant:
// registering happens on the account page, for no client.
const accountClientID = "signet:account"

const (
	kindRegister = "register"
	kindLogin    = "login"
	dataVersion  = 1
)

// Store is what the service needs of storage: the ceremonies' grants,
// users (to name them and refuse disabled ones) and passkeys.
type Store interface {
	CreateGrant(ctx context.Context, g storage.PersistedGrant) error
	ConsumeGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error)
	GetUser(ctx context.Context, id string) (storage.User, error)
	CreatePasskey(ctx context.Context, p storage.Passkey) error
	GetPasskey(ctx context.Context, id string) (storage.Passkey, error)
	ListPasskeys(ctx context.Context, userID string) ([]storage.Passkey, error)
	UpdatePasskey(ctx context.Context, id string, update func(*storage.Passkey) error) error
	DeletePasskey(ctx context.Context, id string) error
}

// Errors of the ceremonies. Each says what went wrong in words a person
// can act on; pages show them as they are.
var (
	// ErrCeremony: the ceremony's handle is missing, unknown, used or
	// expired, or belongs to another sign-in or user.
	ErrCeremony = errors.New("this passkey request has expired or was already used: try again")
	// ErrResponse: the browser's answer could not be read or did not
	// verify (wrong origin, relying party, challenge or signature).
	ErrResponse = errors.New("the passkey's answer could not be verified: try again")
	// ErrUnknownCredential: no user has the passkey the browser offered.
	ErrUnknownCredential = errors.New("this passkey is not registered here: sign in another way and add it on your account page")
	// ErrUserHandle: the passkey's user handle is not its owner's.
	ErrUserHandle = errors.New("this passkey does not belong to the account it names: sign in another way")
	// ErrCloneWarning: the authenticator's signature counter did not move
	// forward (WebAuthn §6.1.1), so the passkey may have been copied; it
	// stays refused until it is removed and registered again.
	ErrCloneWarning = errors.New("this passkey's signature counter went back, so it may have been copied: it was refused; sign in another way, remove it on your account page and register it again")
	// ErrUserDisabled: the passkey's user is disabled or gone.
	ErrUserDisabled = errors.New("this account cannot sign in")
	// ErrAlreadyRegistered: the credential is registered already.
	ErrAlreadyRegistered = errors.New("this passkey is registered already")
	// ErrTooMany: the user has MaxPerUser passkeys.
	ErrTooMany = fmt.Errorf("you have %d passkeys, the most an account may have: remove one first", MaxPerUser)
	// ErrNotFound: the user has no passkey by that id.
	ErrNotFound = errors.New("there is no such passkey")
)

// OffError says why passkeys are off for an issuer.
type OffError struct {
	Issuer string
	// Reason is for people: the pages and the CLI show it.
	Reason string
}

func (e *OffError) Error() string { return "passkeys are off for " + e.Issuer + ": " + e.Reason }

// NameError says what is wrong with a passkey's name.
type NameError struct{ Reason string }

func (e *NameError) Error() string { return e.Reason }

// RelyingParty is who a passkey belongs to: the relying party id (the
// issuer's host) and the origin the browser must report.
type RelyingParty struct {
	ID, Origin string
}

// ForIssuer returns the relying party of issuer, or an *OffError when
// WebAuthn cannot work there: an IP address for host (WebAuthn needs a
// domain name), or plain http on a host other than localhost (browsers
// offer WebAuthn only in secure contexts).
func ForIssuer(issuer string) (RelyingParty, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return RelyingParty{}, &OffError{Issuer: issuer, Reason: "the issuer is not an absolute URL"}
	}
	host := strings.ToLower(u.Hostname())
	scheme := strings.ToLower(u.Scheme)
	switch {
	case net.ParseIP(host) != nil:
		return RelyingParty{}, &OffError{Issuer: issuer, Reason: "this server is reached by an IP address, and WebAuthn needs a domain name (localhost works)"}
	case scheme == "http" && host != "localhost" && !strings.HasSuffix(host, ".localhost"):
		return RelyingParty{}, &OffError{Issuer: issuer, Reason: "browsers offer passkeys only over https (or on localhost)"}
	case scheme != "http" && scheme != "https":
		return RelyingParty{}, &OffError{Issuer: issuer, Reason: "the issuer is neither https nor http"}
	}
	if err := protocol.ValidateRPID(host); err != nil {
		return RelyingParty{}, &OffError{Issuer: issuer, Reason: "the issuer's host is not a domain name WebAuthn accepts"}
	}
	origin := scheme + "://" + host
	if p := u.Port(); p != "" && !(scheme == "https" && p == "443") && !(scheme == "http" && p == "80") {
		origin += ":" + p
	}
	return RelyingParty{ID: host, Origin: origin}, nil
}

// Options configure a Service; the zero value is the defaults.
type Options struct {
	// RPName is the relying party's name authenticators show ("Signet" if
	// empty).
	RPName string
	// CeremonyLifetime is how long a challenge is good for;
	// DefaultCeremonyLifetime if zero.
	CeremonyLifetime time.Duration
	// Now is the clock; time.Now if nil.
	Now func() time.Time
}

// Service runs the registration and sign-in ceremonies and manages users'
// passkeys. It is safe for concurrent use.
type Service struct {
	store    Store
	rpName   string
	lifetime time.Duration
	now      func() time.Time
}

// New returns a Service over store.
func New(store Store, opts Options) *Service {
	s := &Service{store: store, rpName: opts.RPName, lifetime: opts.CeremonyLifetime, now: opts.Now}
	if s.rpName == "" {
		s.rpName = "Signet"
	}
	if s.lifetime <= 0 {
		s.lifetime = DefaultCeremonyLifetime
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// CeremonyLifetime is how long a ceremony's handle is good for (the
// cookie that holds it need not live longer).
func (s *Service) CeremonyLifetime() time.Duration { return s.lifetime }

// UserHandle is the WebAuthn user handle of the user id: its SHA-256, so
// that what authenticators keep and show says nothing of the person.
func UserHandle(userID string) []byte {
	sum := sha256.Sum256([]byte(userID))
	return sum[:]
}

// CheckName checks and tidies a passkey's name: surrounding spaces
// trimmed, 1 to MaxNameLen characters, no control characters.
func CheckName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", &NameError{Reason: "give the passkey a name, such as the device it is on"}
	case !utf8.ValidString(name):
		return "", &NameError{Reason: "the name is not valid text"}
	case utf8.RuneCountInString(name) > MaxNameLen:
		return "", &NameError{Reason: fmt.Sprintf("the name is longer than %d characters", MaxNameLen)}
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", &NameError{Reason: "the name has control characters"}
	}
	return name, nil
}

// ceremony is a ceremony's grant data.
type ceremony struct {
	Version int                  `json:"v"`
	Kind    string               `json:"kind"`
	RPID    string               `json:"rpId"`
	Origin  string               `json:"origin"`
	Session webauthn.SessionData `json:"session"`
	// Name is the name a registration gives the passkey.
	Name string `json:"name,omitempty"`
	// Request is the hash of the pending authorization request a sign-in
	// is for.
	Request string `json:"request,omitempty"`
}

// user is a Signet user as go-webauthn sees it.
type user struct {
	id          []byte
	name        string
	displayName string
	creds       []webauthn.Credential
}

func (u *user) WebAuthnID() []byte                         { return u.id }
func (u *user) WebAuthnName() string                       { return u.name }
func (u *user) WebAuthnDisplayName() string                { return u.displayName }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func (s *Service) relyingParty(rp RelyingParty) (*webauthn.WebAuthn, error) {
	return webauthn.New(&webauthn.Config{
		RPID:          rp.ID,
		RPDisplayName: s.rpName,
		RPOrigins:     []string{rp.Origin},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: s.lifetime, TimeoutUVD: s.lifetime},
			Registration: webauthn.TimeoutConfig{Timeout: s.lifetime, TimeoutUVD: s.lifetime},
		},
	})
}

// save stores a ceremony and returns its handle.
func (s *Service) save(ctx context.Context, c ceremony, subject, clientID, sessionID string) (string, error) {
	c.Version = dataVersion
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("passkey: save the ceremony: %w", err)
	}
	handle, err := opaque.New(nil)
	if err != nil {
		return "", fmt.Errorf("passkey: save the ceremony: %w", err)
	}
	now := s.now()
	g := storage.PersistedGrant{Key: opaque.Key(handle), Type: storage.GrantWebAuthnCeremony, Subject: subject,
		ClientID: clientID, SessionID: sessionID, Created: now, Expires: now.Add(s.lifetime), Data: b}
	if err := s.store.CreateGrant(ctx, g); err != nil {
		return "", fmt.Errorf("passkey: save the ceremony: %w", err)
	}
	return handle, nil
}

// take consumes the ceremony of handle, once, checking that it is of kind
// and for rp.
func (s *Service) take(ctx context.Context, handle, kind string, rp RelyingParty) (storage.PersistedGrant, ceremony, error) {
	var c ceremony
	if !opaque.Valid(handle) {
		return storage.PersistedGrant{}, c, ErrCeremony
	}
	g, err := s.store.ConsumeGrant(ctx, opaque.Key(handle), s.now())
	switch {
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrConsumed):
		return g, c, ErrCeremony
	case err != nil:
		return g, c, fmt.Errorf("passkey: read the ceremony: %w", err)
	case g.Type != storage.GrantWebAuthnCeremony:
		return g, c, ErrCeremony
	}
	if err := json.Unmarshal(g.Data, &c); err != nil {
		return g, c, fmt.Errorf("passkey: read the ceremony: %w", err)
	}
	if c.Version != dataVersion || c.Kind != kind || c.RPID != rp.ID || c.Origin != rp.Origin {
		return g, c, ErrCeremony
	}
	return g, c, nil
}

// Registration is who registers a passkey, and its name.
type Registration struct {
	UserID string
	// SessionID is the id of the session the user registers from: the
	// ceremony is finished from that session only.
	SessionID string
	Name      string
}

// BeginRegistration starts registering a passkey for the user at issuer:
// it returns the options for navigator.credentials.create (JSON: the
// publicKey member and the rest) and the ceremony's handle, for the
// browser's cookie. Errors: *OffError, *NameError, ErrTooMany,
// ErrUserDisabled, or a failing store.
func (s *Service) BeginRegistration(ctx context.Context, issuer string, reg Registration) (options []byte, handle string, err error) {
	rp, err := ForIssuer(issuer)
	if err != nil {
		return nil, "", err
	}
	name, err := CheckName(reg.Name)
	if err != nil {
		return nil, "", err
	}
	u, err := s.user(ctx, reg.UserID)
	if err != nil {
		return nil, "", err
	}
	existing, err := s.store.ListPasskeys(ctx, reg.UserID)
	if err != nil {
		return nil, "", fmt.Errorf("passkey: list the user's passkeys: %w", err)
	}
	if len(existing) >= MaxPerUser {
		return nil, "", ErrTooMany
	}
	exclude := make([]protocol.CredentialDescriptor, 0, len(existing))
	for _, p := range existing {
		c := credential(p)
		exclude = append(exclude, c.Descriptor())
	}
	wa, err := s.relyingParty(rp)
	if err != nil {
		return nil, "", fmt.Errorf("passkey: %w", err)
	}
	creation, session, err := wa.BeginRegistration(u,
		webauthn.WithExclusions(exclude),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementPreferred,
			RequireResidentKey: protocol.ResidentKeyNotRequired(),
			UserVerification:   protocol.VerificationPreferred,
		}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
	)
	if err != nil {
		return nil, "", fmt.Errorf("passkey: begin the registration: %w", err)
	}
	handle, err = s.save(ctx, ceremony{Kind: kindRegister, RPID: rp.ID, Origin: rp.Origin, Session: *session, Name: name},
		reg.UserID, accountClientID, reg.SessionID)
	if err != nil {
		return nil, "", err
	}
	options, err = json.Marshal(creation)
	if err != nil {
		return nil, "", fmt.Errorf("passkey: encode the registration options: %w", err)
	}
	return options, handle, nil
}

// FinishRegistration verifies the browser's answer (the JSON of the
// PublicKeyCredential navigator.credentials.create returned) to the
// ceremony of handle, begun by the user in the session sessionID, and
// stores the passkey. Errors: *OffError, ErrCeremony, ErrResponse,
// ErrAlreadyRegistered, ErrTooMany, ErrUserDisabled, or a failing store.
func (s *Service) FinishRegistration(ctx context.Context, issuer, handle, userID, sessionID string, response []byte) (storage.Passkey, error) {
	rp, err := ForIssuer(issuer)
	if err != nil {
		return storage.Passkey{}, err
	}
	g, c, err := s.take(ctx, handle, kindRegister, rp)
	if err != nil {
		return storage.Passkey{}, err
	}
	if g.Subject != userID || g.SessionID != sessionID {
		return storage.Passkey{}, ErrCeremony
	}
	if len(response) > maxResponseBytes {
		return storage.Passkey{}, fmt.Errorf("%w (the answer is over %d bytes)", ErrResponse, maxResponseBytes)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return storage.Passkey{}, responseError(err)
	}
	u, err := s.user(ctx, userID)
	if err != nil {
		return storage.Passkey{}, err
	}
	wa, err := s.relyingParty(rp)
	if err != nil {
		return storage.Passkey{}, fmt.Errorf("passkey: %w", err)
	}
	cred, err := wa.CreateCredential(u, c.Session, parsed)
	if err != nil {
		return storage.Passkey{}, responseError(err)
	}
	id := base64.RawURLEncoding.EncodeToString(cred.ID)
	if len(id) > storage.MaxKeyLen {
		return storage.Passkey{}, fmt.Errorf("%w (its credential id is %d bytes, over the %d Signet keeps)", ErrResponse, len(cred.ID), storage.MaxKeyLen*3/4)
	}
	existing, err := s.store.ListPasskeys(ctx, userID)
	if err != nil {
		return storage.Passkey{}, fmt.Errorf("passkey: list the user's passkeys: %w", err)
	}
	if len(existing) >= MaxPerUser {
		return storage.Passkey{}, ErrTooMany
	}
	transports := make([]string, 0, len(cred.Transport))
	for _, t := range cred.Transport {
		if t != "" && !contains(transports, string(t)) {
			transports = append(transports, string(t))
		}
	}
	p := storage.Passkey{
		ID: id, UserID: userID, Name: c.Name, PublicKey: cred.PublicKey, AttestationType: cred.AttestationFormat,
		AAGUID: aaguid(cred.Authenticator.AAGUID), SignCount: cred.Authenticator.SignCount, Transports: transports,
		Attachment:   string(cred.Authenticator.Attachment),
		UserVerified: cred.Flags.UserVerified, BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState,
	}
	switch err := s.store.CreatePasskey(ctx, p); {
	case errors.Is(err, storage.ErrAlreadyExists):
		return storage.Passkey{}, ErrAlreadyRegistered
	case errors.Is(err, storage.ErrNotFound):
		return storage.Passkey{}, ErrUserDisabled
	case err != nil:
		return storage.Passkey{}, fmt.Errorf("passkey: store the passkey: %w", err)
	}
	return s.store.GetPasskey(ctx, id)
}

// BeginLogin starts a sign-in with a discoverable passkey at issuer for the
// pending authorization request requestID of clientID: it returns the
// options for navigator.credentials.get (JSON) and the ceremony's handle.
// The browser chooses the mediation (conditional for autofill, or a modal
// prompt). Errors: *OffError or a failing store.
func (s *Service) BeginLogin(ctx context.Context, issuer, clientID, requestID string) (options []byte, handle string, err error) {
	rp, err := ForIssuer(issuer)
	if err != nil {
		return nil, "", err
	}
	wa, err := s.relyingParty(rp)
	if err != nil {
		return nil, "", fmt.Errorf("passkey: %w", err)
	}
	assertion, session, err := wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, "", fmt.Errorf("passkey: begin the sign-in: %w", err)
	}
	handle, err = s.save(ctx, ceremony{Kind: kindLogin, RPID: rp.ID, Origin: rp.Origin, Session: *session, Request: opaque.Key(requestID)},
		"", clientID, "")
	if err != nil {
		return nil, "", err
	}
	options, err = json.Marshal(assertion)
	if err != nil {
		return nil, "", fmt.Errorf("passkey: encode the sign-in options: %w", err)
	}
	return options, handle, nil
}

// AMR values (RFC 8176) of a passkey sign-in.
const (
	AMRHardwareKey = "hwk"
	AMRSoftwareKey = "swk"
	AMRUser        = "user"
	AMRMFA         = "mfa"
)

// Login is a verified passkey sign-in.
type Login struct {
	UserID string
	// Passkey is the passkey as stored after the sign-in.
	Passkey storage.Passkey
	// AMR is "hwk" for a device-bound passkey or "swk" for a synced one,
	// then "user" and "mfa" when the authenticator verified the user.
	AMR []string
}

// FinishLogin verifies the browser's answer (the JSON of the
// PublicKeyCredential navigator.credentials.get returned) to the ceremony
// of handle, begun for the pending request requestID, and records the
// passkey's use. Errors: *OffError, ErrCeremony, ErrResponse,
// ErrUnknownCredential, ErrUserHandle, ErrUserDisabled, ErrCloneWarning,
// or a failing store.
func (s *Service) FinishLogin(ctx context.Context, issuer, handle, requestID string, response []byte) (Login, error) {
	rp, err := ForIssuer(issuer)
	if err != nil {
		return Login{}, err
	}
	_, c, err := s.take(ctx, handle, kindLogin, rp)
	if err != nil {
		return Login{}, err
	}
	if subtle.ConstantTimeCompare([]byte(c.Request), []byte(opaque.Key(requestID))) != 1 {
		return Login{}, ErrCeremony
	}
	if len(response) > maxResponseBytes {
		return Login{}, fmt.Errorf("%w (the answer is over %d bytes)", ErrResponse, maxResponseBytes)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return Login{}, responseError(err)
	}
	var (
		stored     storage.Passkey
		handlerErr error
	)
	find := func(rawID, userHandle []byte) (webauthn.User, error) {
		stored, handlerErr = s.lookup(ctx, rawID, userHandle)
		if handlerErr != nil {
			return nil, handlerErr
		}
		u, err := s.user(ctx, stored.UserID)
		if err != nil {
			handlerErr = err
			return nil, err
		}
		u.creds = []webauthn.Credential{credential(stored)}
		return u, nil
	}
	wa, err := s.relyingParty(rp)
	if err != nil {
		return Login{}, fmt.Errorf("passkey: %w", err)
	}
	if _, _, err := wa.ValidatePasskeyLogin(find, c.Session, parsed); err != nil {
		if handlerErr != nil {
			return Login{}, handlerErr
		}
		return Login{}, responseError(err)
	}
	flags := parsed.Response.AuthenticatorData.Flags
	counter := parsed.Response.AuthenticatorData.Counter
	now := s.now()
	// WebAuthn §7.2 step 17: a counter that is not zero on both sides must
	// move forward, else the authenticator may be cloned. The check is
	// made again inside the update, against the stored value of the
	// moment, so that two sign-ins racing with one counter cannot both
	// pass.
	cloned := false
	err = s.store.UpdatePasskey(ctx, stored.ID, func(p *storage.Passkey) error {
		if p.CloneWarning || ((counter != 0 || p.SignCount != 0) && counter <= p.SignCount) {
			cloned, p.CloneWarning = true, true
			return nil
		}
		p.SignCount = counter
		p.UserVerified, p.BackupEligible, p.BackupState = flags.HasUserVerified(), flags.HasBackupEligible(), flags.HasBackupState()
		p.LastUsed = now
		return nil
	})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return Login{}, ErrUnknownCredential
	case err != nil:
		return Login{}, fmt.Errorf("passkey: record the sign-in: %w", err)
	case cloned:
		return Login{}, ErrCloneWarning
	}
	p, err := s.store.GetPasskey(ctx, stored.ID)
	if err != nil {
		return Login{}, fmt.Errorf("passkey: read the passkey: %w", err)
	}
	amr := []string{AMRHardwareKey}
	if flags.HasBackupEligible() {
		amr[0] = AMRSoftwareKey
	}
	if flags.HasUserVerified() {
		amr = append(amr, AMRUser, AMRMFA)
	}
	return Login{UserID: p.UserID, Passkey: p, AMR: amr}, nil
}

// lookup finds the passkey of a credential id and checks that the user
// handle the authenticator returned is its owner's.
func (s *Service) lookup(ctx context.Context, rawID, userHandle []byte) (storage.Passkey, error) {
	id := base64.RawURLEncoding.EncodeToString(rawID)
	if len(rawID) == 0 || len(id) > storage.MaxKeyLen {
		return storage.Passkey{}, ErrUnknownCredential
	}
	p, err := s.store.GetPasskey(ctx, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return storage.Passkey{}, ErrUnknownCredential
	case err != nil:
		return storage.Passkey{}, fmt.Errorf("passkey: read the passkey: %w", err)
	}
	if subtle.ConstantTimeCompare(userHandle, UserHandle(p.UserID)) != 1 {
		return storage.Passkey{}, ErrUserHandle
	}
	return p, nil
}

// user reads an enabled user as go-webauthn sees it (without credentials).
func (s *Service) user(ctx context.Context, id string) (*user, error) {
	su, err := s.store.GetUser(ctx, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil, ErrUserDisabled
	case err != nil:
		return nil, fmt.Errorf("passkey: read the user: %w", err)
	case su.Disabled:
		return nil, ErrUserDisabled
	}
	display := su.Name
	if display == "" {
		display = su.Username
	}
	return &user{id: UserHandle(su.ID), name: su.Username, displayName: display}, nil
}

// List returns the user's passkeys, oldest first.
func (s *Service) List(ctx context.Context, userID string) ([]storage.Passkey, error) {
	ps, err := s.store.ListPasskeys(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("passkey: list the user's passkeys: %w", err)
	}
	return ps, nil
}

// Remove removes the user's passkey id; ErrNotFound if the user has none
// by that id.
func (s *Service) Remove(ctx context.Context, userID, id string) error {
	p, err := s.owned(ctx, userID, id)
	if err != nil {
		return err
	}
	if err := s.store.DeletePasskey(ctx, p.ID); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return ErrNotFound
		}
		return fmt.Errorf("passkey: remove the passkey: %w", err)
	}
	return nil
}

// Rename gives the user's passkey id a new name (checked by CheckName);
// ErrNotFound if the user has none by that id.
func (s *Service) Rename(ctx context.Context, userID, id, name string) error {
	name, err := CheckName(name)
	if err != nil {
		return err
	}
	if _, err := s.owned(ctx, userID, id); err != nil {
		return err
	}
	err = s.store.UpdatePasskey(ctx, id, func(p *storage.Passkey) error {
		p.Name = name
		return nil
	})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return ErrNotFound
	case err != nil:
		return fmt.Errorf("passkey: rename the passkey: %w", err)
	}
	return nil
}

func (s *Service) owned(ctx context.Context, userID, id string) (storage.Passkey, error) {
	if id == "" || len(id) > storage.MaxKeyLen || !utf8.ValidString(id) {
		return storage.Passkey{}, ErrNotFound
	}
	p, err := s.store.GetPasskey(ctx, id)
	switch {
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrInvalid):
		return storage.Passkey{}, ErrNotFound
	case err != nil:
		return storage.Passkey{}, fmt.Errorf("passkey: read the passkey: %w", err)
	case p.UserID != userID:
		return storage.Passkey{}, ErrNotFound
	}
	return p, nil
}

// Synced reports whether a passkey is synced between devices (backup
// eligible) rather than bound to one device.
func Synced(p storage.Passkey) bool { return p.BackupEligible }

// credential is the stored passkey as go-webauthn sees it. The clone
// warning is Signet's to apply (FinishLogin), not the library's.
func credential(p storage.Passkey) webauthn.Credential {
	id, _ := base64.RawURLEncoding.DecodeString(p.ID)
	transports := make([]protocol.AuthenticatorTransport, len(p.Transports))
	for i, t := range p.Transports {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID: id, PublicKey: p.PublicKey, AttestationType: p.AttestationType, AttestationFormat: p.AttestationType,
		Transport: transports,
		Flags: webauthn.CredentialFlags{UserPresent: true, UserVerified: p.UserVerified,
			BackupEligible: p.BackupEligible, BackupState: p.BackupState},
		Authenticator: webauthn.Authenticator{AAGUID: p.AAGUID, SignCount: p.SignCount,
			Attachment: protocol.AuthenticatorAttachment(p.Attachment)},
	}
}

// responseError keeps the library's reason for the log (wrapped) and
// gives ErrResponse for errors.Is.
func responseError(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return fmt.Errorf("%w (%s: %s)", ErrResponse, pe.Details, pe.DevInfo)
	}
	return fmt.Errorf("%w (%w)", ErrResponse, err)
}

// aaguid keeps an AAGUID of 16 bytes, and none for anything else (the
// store takes 16 bytes or none).
func aaguid(b []byte) []byte {
	if len(b) != 16 {
		return nil
	}
	return b
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
