package memory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/signetid/signet/storage"
)

var _ storage.Store = (*Store)(nil)

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// Now is the clock that decides whether a jti has expired and that sets
	// a client's Created and Updated; time.Now if nil.
	Now func() time.Time
}

// Store is an in-memory storage.Store, safe for concurrent use. Records are
// copied on the way in and out, so that neither a caller nor an update
// function ever holds a slice the store keeps. Times are kept as the SQL
// backends keep them: to the millisecond, in UTC.
//
// Every method holds one mutex for its whole run, update functions included,
// so updates never interleave and consumes never race.
type Store struct {
	now func() time.Time

	mu                sync.Mutex
	closed            bool
	jtis              map[jtiKey]int64 // expiry, unix milliseconds, like the SQL backends
	clients           table[storage.Client]
	apiScopes         table[storage.APIScope]
	apiResources      table[storage.APIResource]
	identityResources table[storage.IdentityResource]
	grants            table[storage.PersistedGrant]
	users             table[storage.User]
	sessions          table[storage.Session]
	signingKeys       table[storage.SigningKey]
	userLinks         table[storage.UserLink]
	passkeys          table[storage.Passkey]
	providers         table[storage.ExternalProvider]
	configVersion     int64
	keysVersion       int64
}

type jtiKey struct{ clientID, jti string }

// New returns an empty Store.
func New(opts Options) *Store {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Store{
		now:  now,
		jtis: make(map[jtiKey]int64),
		clients: table[storage.Client]{
			Kind: storage.ClientKind, kind: "client", config: true,
			copy: copyClient, order: byClientID,
			stamp: stampClient, rows: make(map[string]storage.Client),
		},
		apiScopes: table[storage.APIScope]{
			Kind: storage.APIScopeKind, kind: "scope", config: true,
			copy: copyAPIScope, order: byScopeName,
			rows: make(map[string]storage.APIScope),
		},
		apiResources: table[storage.APIResource]{
			Kind: storage.APIResourceKind, kind: "resource", config: true,
			copy: copyAPIResource, order: byResourceName,
			rows: make(map[string]storage.APIResource),
		},
		identityResources: table[storage.IdentityResource]{
			Kind: storage.IdentityResourceKind, kind: "identity resource", config: true,
			copy: copyIdentityResource, order: byIdentityResourceName,
			rows: make(map[string]storage.IdentityResource),
		},
		grants: table[storage.PersistedGrant]{
			Kind: storage.Kind[storage.PersistedGrant]{Field: "grant key", Key: func(g storage.PersistedGrant) string { return g.Key }, Check: storage.CheckGrant},
			kind: "grant", copy: copyGrant, order: grantsOldestFirst,
			expires: func(g storage.PersistedGrant) time.Time { return g.Expires },
			rows:    make(map[string]storage.PersistedGrant),
		},
		users: table[storage.User]{
			Kind: storage.UserKind, kind: "user",
			copy: copyUser, order: byUserID, stamp: stampUser,
			unique: func(u storage.User) string { return storage.NormalizeUsername(u.Username) }, uniqueField: "username",
			rows: make(map[string]storage.User),
		},
		sessions: table[storage.Session]{
			Kind: storage.Kind[storage.Session]{Field: "session id", Key: func(s storage.Session) string { return s.ID }, Check: storage.CheckSession},
			kind: "session", copy: copySession, order: sessionsOldestFirst,
			stamp: keepSessionCreated, fixed: sameSubject,
			expires: func(s storage.Session) time.Time { return s.Expires },
			rows:    make(map[string]storage.Session),
		},
		signingKeys: table[storage.SigningKey]{
			Kind: storage.SigningKeyKind, kind: "signing key", keys: true,
			copy: copySigningKey, order: keysOldestFirst,
			rows: make(map[string]storage.SigningKey),
		},
		userLinks: table[storage.UserLink]{
			Kind: storage.UserLinkKind, kind: "link", keyChecked: true,
			copy: copyUserLink, order: linksOldestFirst, stamp: stampUserLink,
			owner: func(l storage.UserLink) string { return l.UserID }, fixed: sameLinkUser,
			rows: make(map[string]storage.UserLink),
		},
		passkeys: table[storage.Passkey]{
			Kind: storage.PasskeyKind, kind: "passkey",
			copy: copyPasskey, order: passkeysOldestFirst, stamp: stampPasskey,
			owner: func(p storage.Passkey) string { return p.UserID }, fixed: samePasskeyUser,
			rows: make(map[string]storage.Passkey),
		},
		providers: table[storage.ExternalProvider]{
			Kind: storage.ExternalProviderKind, kind: "provider", config: true,
			copy: copyProvider, order: byProviderName, stamp: stampProvider,
			rows: make(map[string]storage.ExternalProvider),
		},
	}
}

// lock checks ctx, takes the mutex and checks that the store is open. When it
// returns nil the caller must unlock s.mu.
func (s *Store) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return storage.ErrClosed
	}
	return nil
}

// UseOnce implements storage.ReplayCache.
func (s *Store) UseOnce(ctx context.Context, clientID, jti string, expires time.Time) error {
	if err := storage.CheckUseOnce(clientID, jti, expires); err != nil {
		return err
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	now := s.now().UnixMilli()
	k := jtiKey{clientID, jti}
	if exp, ok := s.jtis[k]; ok && exp > now {
		return fmt.Errorf("use jti: %w", storage.ErrAlreadyExists)
	}
	s.jtis[k] = expires.UnixMilli()
	return nil
}

// DeleteExpired implements storage.Cleaner: jtis, then grants, then
// sessions, then signing keys with an expiry, at most limit in all.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	if err := storage.CheckLimit(limit); err != nil {
		return 0, err
	}
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for k, exp := range s.jtis {
		if n == limit {
			return n, nil
		}
		if exp <= now.UnixMilli() {
			delete(s.jtis, k)
			n++
		}
	}
	n += s.grants.sweep(now, limit-n)
	n += s.sessions.sweep(now, limit-n)
	for id, k := range s.signingKeys.rows {
		if n == limit {
			return n, nil
		}
		if !k.Expires.IsZero() && expired(k.Expires, now) {
			delete(s.signingKeys.rows, id)
			s.keysVersion++
			n++
		}
	}
	return n, nil
}

// expired reports whether a record with expiry exp is expired at now, to the
// millisecond.
func expired(exp, now time.Time) bool { return exp.UnixMilli() <= now.UnixMilli() }

// ConfigVersion implements storage.ConfigVersioner: a counter that every
// write to clients and resources increments.
func (s *Store) ConfigVersion(ctx context.Context) (int64, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	return s.configVersion, nil
}

// SigningKeysVersion implements storage.SigningKeys: a counter that every
// write to the signing keys increments.
func (s *Store) SigningKeysVersion(ctx context.Context) (int64, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	return s.keysVersion, nil
}

// Ping implements storage.Pinger.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	s.mu.Unlock()
	return nil
}

// Close discards the contents. Later calls return storage.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.jtis = nil
	s.clients.rows = nil
	s.apiScopes.rows = nil
	s.apiResources.rows = nil
	s.identityResources.rows = nil
	s.grants.rows = nil
	s.users.rows = nil
	s.sessions.rows = nil
	s.signingKeys.rows = nil
	s.userLinks.rows = nil
	s.passkeys.rows = nil
	s.providers.rows = nil
	return nil
}
