package consent

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/signetid/signet/storage"
)

// untilRevoked is how long a consent remembered without an expiry is kept:
// a grant must expire, so "never" is a century.
const untilRevoked = 100 * 365 * 24 * time.Hour

// dataVersion is the version of the Data this package writes; it refuses
// others rather than guess at them.
const dataVersion = 1

// data is a consent's Data.
type data struct {
	Version int      `json:"v"`
	Scopes  []string `json:"scopes"`
	// UntilRevoked is set when the consent was remembered without an
	// expiry (the grant's own is then untilRevoked away).
	UntilRevoked bool `json:"untilRevoked,omitempty"`
}

// Consent is what a user consented to at a client, remembered.
type Consent struct {
	Subject  string
	ClientID string
	// Scopes are the scopes granted, in the order they were given.
	Scopes  []string
	Created time.Time
	// Expires is when the consent is forgotten; zero for when revoked.
	Expires time.Time
}

// Covers reports whether the consent grants every scope of requested, so
// that the request needs no consent page.
func (c Consent) Covers(requested []string) bool {
	for _, s := range requested {
		if !slices.Contains(c.Scopes, s) {
			return false
		}
	}
	return true
}

// Store remembers, finds, lists and revokes consents.
type Store struct {
	grants storage.PersistedGrants
	now    func() time.Time
}

// New returns a Store over grants that reads the time from now (nil: the
// wall clock).
func New(grants storage.PersistedGrants, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{grants: grants, now: now}
}

// Key is the storage key of the consent of subject at clientID: the
// SHA-256 of the grant type and the two ids, each preceded by its length
// (so that no two pairs of ids give the same input), base64url.
func Key(subject, clientID string) string {
	in := storage.GrantUserConsent + ":" + strconv.Itoa(len(subject)) + ":" + subject + ":" + clientID
	sum := sha256.Sum256([]byte(in))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Remember stores that subject granted scopes to clientID, replacing what
// was remembered before for them (the user's latest decision stands, even
// when it grants less). expires is when it is forgotten; zero keeps it
// until it is revoked. Duplicate scopes are kept once.
//
// A Get at the same moment as a Remember that replaces a consent may find
// none, and so show the consent page once more; never a mix of the two.
func (s *Store) Remember(ctx context.Context, subject, clientID string, scopes []string, expires time.Time) error {
	switch {
	case subject == "":
		return errors.New("consent: remember: no subject")
	case clientID == "":
		return errors.New("consent: remember: no client id")
	case len(scopes) == 0:
		return fmt.Errorf("consent: remember for %s at client %q: no scope to remember", subject, clientID)
	case slices.Contains(scopes, ""):
		return fmt.Errorf("consent: remember for %s at client %q: an empty scope name", subject, clientID)
	}
	now := s.now()
	d := data{Version: dataVersion, Scopes: uniq(scopes)}
	if expires.IsZero() {
		d.UntilRevoked = true
		expires = now.Add(untilRevoked)
	} else if !expires.After(now) {
		return fmt.Errorf("consent: remember for %s at client %q: it would expire at %s, not after now", subject, clientID, expires.UTC().Format(time.RFC3339))
	}
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("consent: remember: %w", err)
	}
	g := storage.PersistedGrant{Key: Key(subject, clientID), Type: storage.GrantUserConsent,
		Subject: subject, ClientID: clientID, Created: now, Expires: expires, Data: b}
	// Replace: delete, then create; a concurrent Remember of the same pair
	// may create in between, and then this one tries again.
	for range 3 {
		if err := s.grants.DeleteGrant(ctx, g.Key); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("consent: remember for %s at client %q: %w", subject, clientID, err)
		}
		err := s.grants.CreateGrant(ctx, g)
		if !errors.Is(err, storage.ErrAlreadyExists) {
			if err != nil {
				return fmt.Errorf("consent: remember for %s at client %q: %w", subject, clientID, err)
			}
			return nil
		}
	}
	return fmt.Errorf("consent: remember for %s at client %q: written concurrently by others; try again", subject, clientID)
}

// Get returns the consent of subject at clientID, and false if none is
// remembered (or it expired).
func (s *Store) Get(ctx context.Context, subject, clientID string) (Consent, bool, error) {
	g, err := s.grants.GetGrant(ctx, Key(subject, clientID), s.now())
	if errors.Is(err, storage.ErrNotFound) {
		return Consent{}, false, nil
	}
	if err != nil {
		return Consent{}, false, fmt.Errorf("consent: get for %s at client %q: %w", subject, clientID, err)
	}
	c, err := fromGrant(g)
	if err != nil {
		return Consent{}, false, err
	}
	// The key is a hash: a grant of other ids under it would be a bug or a
	// tampered row, never a consent of these.
	if c.Subject != subject || c.ClientID != clientID {
		return Consent{}, false, fmt.Errorf("consent: get for %s at client %q: the stored consent is for %s at client %q", subject, clientID, c.Subject, c.ClientID)
	}
	return c, true, nil
}

// List returns the consents subject has remembered, oldest first.
func (s *Store) List(ctx context.Context, subject string) ([]Consent, error) {
	if subject == "" {
		return nil, errors.New("consent: list: no subject")
	}
	gs, err := s.grants.ListGrants(ctx, storage.PersistedGrantFilter{Subject: subject, Type: storage.GrantUserConsent}, s.now())
	if err != nil {
		return nil, fmt.Errorf("consent: list for %s: %w", subject, err)
	}
	out := make([]Consent, 0, len(gs))
	for _, g := range gs {
		c, err := fromGrant(g)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Revoke forgets the consent of subject at clientID, and reports whether
// there was one: the next request of that client shows the consent page.
func (s *Store) Revoke(ctx context.Context, subject, clientID string) (bool, error) {
	if subject == "" || clientID == "" {
		return false, errors.New("consent: revoke: a subject and a client id are both needed")
	}
	n, err := s.grants.DeleteGrants(ctx, storage.PersistedGrantFilter{Subject: subject, ClientID: clientID, Type: storage.GrantUserConsent})
	if err != nil {
		return false, fmt.Errorf("consent: revoke for %s at client %q: %w", subject, clientID, err)
	}
	return n > 0, nil
}

// fromGrant reads a consent grant.
func fromGrant(g storage.PersistedGrant) (Consent, error) {
	var d data
	if err := json.Unmarshal(g.Data, &d); err != nil {
		return Consent{}, fmt.Errorf("consent of %s at client %q: its data does not read: %v", g.Subject, g.ClientID, err)
	}
	if d.Version != dataVersion {
		return Consent{}, fmt.Errorf("consent of %s at client %q: data version %d, which this version of Signet does not read (it writes %d)", g.Subject, g.ClientID, d.Version, dataVersion)
	}
	c := Consent{Subject: g.Subject, ClientID: g.ClientID, Scopes: d.Scopes, Created: g.Created, Expires: g.Expires}
	if d.UntilRevoked {
		c.Expires = time.Time{}
	}
	return c, nil
}

// uniq is scopes without repeats, in their first order.
func uniq(scopes []string) []string {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
