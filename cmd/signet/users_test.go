package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/testsupport/stores"
	"github.com/signetid/signet/internal/users"
	"github.com/signetid/signet/internal/welcome"
	"github.com/signetid/signet/storage"
)

// TestWriteConfigUsers: the configuration's users are created, then left
// alone when unchanged (a hash upgraded at sign-in is kept), updated when
// the file changes them (a new password ends their sessions), and a
// username a database user has stops the start; on every backend.
func TestWriteConfigUsers(t *testing.T) {
	t.Parallel()
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := b.OpenOne(t, nil)
			hash := users.Hash("bobs-password")
			cfg := &config.Config{Users: []config.User{
				{SubjectID: "1", Username: "alice", Password: "alices-password", Claims: config.UserClaims{
					{Type: "name", Value: "Alice Smith"}, {Type: "email", Value: "alice@example.com"}, {Type: "email_verified", Value: "true"},
					{Type: "role", Value: "admin"}, {Type: "role", Value: "dev"},
				}},
				{SubjectID: "2", Username: "bob", PasswordHash: hash, IsActive: new(false)},
			}}
			done, err := writeConfigUsers(ctx, cfg, db, nil)
			if err != nil || done != (usersWritten{Created: 2}) {
				t.Fatalf("first start: %+v %v", done, err)
			}
			alice, err := db.GetUser(ctx, "1")
			if err != nil {
				t.Fatal(err)
			}
			if alice.Name != "Alice Smith" || alice.Email != "alice@example.com" || !alice.EmailVerified || !sameJSON(alice.Claims, []byte(`{"role":["admin","dev"]}`)) {
				t.Errorf("alice %+v claims %s", alice, alice.Claims)
			}
			if ok, _, _ := users.Verify(alice.PasswordHash, "alices-password"); !ok {
				t.Error("alice's password does not verify")
			}
			if bob, _ := db.GetUser(ctx, "2"); bob.PasswordHash != hash || !bob.Disabled {
				t.Errorf("bob %+v", bob)
			}

			// A sign-in upgraded alice's hash: the next start keeps it.
			stronger := strongerHash(t, "alices-password")
			if err := db.UpdateUser(ctx, "1", func(u *storage.User) error { u.PasswordHash = stronger; return nil }); err != nil {
				t.Fatal(err)
			}
			done, err = writeConfigUsers(ctx, cfg, db, nil)
			if err != nil || done != (usersWritten{Unchanged: 2}) {
				t.Fatalf("second start: %+v %v", done, err)
			}
			if a, _ := db.GetUser(ctx, "1"); a.PasswordHash != stronger {
				t.Error("the upgraded hash was replaced")
			}

			// The file changes alice's password and bob's claims.
			now := time.Now()
			if err := db.CreateSession(ctx, storage.Session{ID: "session-of-alice", Subject: "1", AuthTime: now, Created: now, Expires: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			cfg.Users[0].Password = "a-new-password"
			cfg.Users[1].Claims = config.UserClaims{{Type: "given_name", Value: "Bob"}}
			done, err = writeConfigUsers(ctx, cfg, db, nil)
			if err != nil || done != (usersWritten{Updated: 2}) {
				t.Fatalf("third start: %+v %v", done, err)
			}
			if a, _ := db.GetUser(ctx, "1"); a.PasswordHash == stronger {
				t.Error("the changed password was not written")
			} else if ok, _, _ := users.Verify(a.PasswordHash, "a-new-password"); !ok {
				t.Error("the new password does not verify")
			}
			if s, _ := db.ListSessions(ctx, "1", now); len(s) != 0 {
				t.Errorf("alice's sessions survived the password change: %v", s)
			}
			if bob, _ := db.GetUser(ctx, "2"); string(bob.Claims) != `{"given_name":"Bob"}` {
				t.Errorf("bob's claims %s", bob.Claims)
			}

			// A database user named Carol: the file's CAROL clashes.
			if err := db.CreateUser(ctx, storage.User{ID: "db-carol", Username: "Carol"}); err != nil {
				t.Fatal(err)
			}
			cfg.Users = append(cfg.Users, config.User{SubjectID: "3", Username: "CAROL", Password: "x"})
			_, err = writeConfigUsers(ctx, cfg, db, nil)
			if err == nil || !strings.Contains(err.Error(), `username "CAROL" is taken in the database by another user (Carol, subject db-carol)`) {
				t.Errorf("clash: %v", err)
			}
			// Renaming alice to carol clashes too.
			cfg.Users = cfg.Users[:2]
			cfg.Users[0].Username = "carol"
			if _, err := writeConfigUsers(ctx, cfg, db, nil); err == nil || !strings.Contains(err.Error(), "is taken in the database") {
				t.Errorf("rename clash: %v", err)
			}
		})
	}
}

// strongerHash is a hash of password with parameters above the defaults,
// as a sign-in's upgrade would store.
func strongerHash(t *testing.T, password string) string {
	t.Helper()
	h, err := users.NewHasher(users.HasherOptions{Params: users.Params{Memory: 32 * 1024, Time: 3, Parallelism: 1}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := h.Hash(t.Context(), password)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCheckUsers: what config cannot check is reported at its place.
func TestCheckUsers(t *testing.T) {
	t.Parallel()
	cfg := &config.Config{Users: []config.User{
		{SubjectID: "1", Username: "Alice", PasswordHash: "$argon2id$v=19$m=1,t=1,p=1$abc$def"},
		{SubjectID: "2", Username: "ALICE", Password: "x"},
		{SubjectID: "3", Username: "bob", Password: "x", Claims: config.UserClaims{{Type: "sub", Value: "x", Path: "users[2].claims.sub"}}},
		{SubjectID: "4", Username: "carol", Password: "x", Claims: config.UserClaims{{Type: "email_verified", Value: "maybe"}}},
		{SubjectID: "5", Username: "dave", Password: "x", Claims: config.UserClaims{{Type: "updated_at", Value: "yesterday"}}},
	}}
	problems, _ := checkUsers(cfg, func(string) bool { return false })
	var got []string
	for _, p := range problems {
		got = append(got, p.Path+": "+p.Msg)
	}
	want := []string{
		"users[0].passwordHash: malformed password hash",
		`users[1].username: username "ALICE" is also the username of users[0]`,
		"users[2].claims.sub: claim sub is the user's subjectId",
		"users[3].claims: claim email_verified must be true or false",
		"users[4].claims: ",
	}
	if len(got) != len(want) {
		t.Fatalf("problems:\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d: %q, want %q...", i, got[i], want[i])
		}
	}
}

// TestDevelopmentSignInConsistent: in development mode, the authorize URL
// serve prints, the development client's registration and the callback
// page agree: the redirect URI is registered exactly, the code_challenge
// is the S256 of the verifier the callback page's curl sends, the scopes
// and grant types are the client's, and the development user's password
// file is private and kept across starts.
func TestDevelopmentSignInConsistent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var stderr strings.Builder
	a := &app{stdout: &strings.Builder{}, stderr: &stderr, lookupEnv: func(string) (string, bool) { return "", false }, now: time.Now}
	cfg, development, err := a.loadConfig("")
	if err != nil || !development {
		t.Fatalf("development config: %v %v", development, err)
	}
	cfg.DataDir = dir
	svc, err := a.build(cfg, true, nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	const base = "http://localhost:5123"
	svc.developmentSignIn(base)
	a.logSignIn(nil, svc)

	// The printed URL.
	m := regexpFind(t, stderr.String(), `(?m)^  (http://localhost:5123/connect/authorize\?\S+)$`)
	u, err := url.Parse(m)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	d := svc.development
	rec := svc.static.Clients[devClientID]
	if q.Get("client_id") != devClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" {
		t.Errorf("printed URL %s", m)
	}
	if redirect := q.Get("redirect_uri"); redirect != base+welcome.CallbackPath || !slices.Contains(rec.RedirectURIs, redirect) {
		t.Errorf("redirect_uri %q, registered %q", redirect, rec.RedirectURIs)
	}
	for _, want := range []string{"http://127.0.0.1:5123/dev/callback", "http://[::1]:5123/dev/callback"} {
		if !slices.Contains(rec.RedirectURIs, want) {
			t.Errorf("redirect URIs %q lack %s", rec.RedirectURIs, want)
		}
	}
	sum := sha256.Sum256([]byte(d.SignIn.CodeVerifier))
	if q.Get("code_challenge") != base64.RawURLEncoding.EncodeToString(sum[:]) || len(d.SignIn.CodeVerifier) != 43 {
		t.Errorf("code_challenge %q is not the S256 of the verifier %q", q.Get("code_challenge"), d.SignIn.CodeVerifier)
	}
	for _, s := range strings.Fields(q.Get("scope")) {
		if !slices.Contains(rec.Scopes, s) {
			t.Errorf("scope %s asked for but not allowed (%q)", s, rec.Scopes)
		}
	}
	if !slices.Contains(strings.Fields(q.Get("scope")), "openid") || !slices.Contains(strings.Fields(q.Get("scope")), "offline_access") {
		t.Errorf("scope %q", q.Get("scope"))
	}
	if !slices.Contains(rec.GrantTypes, "authorization_code") || !slices.Contains(rec.GrantTypes, "client_credentials") || !rec.AllowOfflineAccess || !rec.RequirePKCE {
		t.Errorf("client %+v", rec)
	}

	// The callback page, as the browser comes back to it.
	w := welcome.New(welcome.Options{Development: d})
	w.SetMetadata(endpoint.Metadata{Paths: map[string]string{"token_endpoint": "/connect/token"}})
	var callback http.Handler
	for _, r := range w.Routes() {
		if r.Path == welcome.CallbackPath {
			callback = r.Handler
		}
	}
	if callback == nil {
		t.Fatal("no callback route in development mode")
	}
	r := httptest.NewRequest(http.MethodGet, q.Get("redirect_uri")+"?code=the-code&state="+url.QueryEscape(q.Get("state")), nil)
	rec2 := httptest.NewRecorder()
	callback.ServeHTTP(rec2, r.WithContext(endpoint.WithIssuer(r.Context(), base)))
	page := rec2.Body.String()
	for _, want := range []string{"code_verifier=" + d.SignIn.CodeVerifier, "redirect_uri=" + q.Get("redirect_uri"), base + "/connect/token", "code=the-code"} {
		if !strings.Contains(strings.ReplaceAll(page, "&#39;", "'"), want) {
			t.Errorf("callback page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "is not the one of the sign-in URL") {
		t.Error("the printed state is called another request's")
	}

	// The development user and their password file.
	info, err := os.Stat(filepath.Join(dir, devPasswordFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("password file: %v %v", info, err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, devPasswordFile))
	if len(cfg.Users) != 1 || cfg.Users[0].Username != devUsername || cfg.Users[0].Password != strings.TrimSpace(string(data)) {
		t.Errorf("development user %+v", cfg.Users)
	}
	if !strings.Contains(stderr.String(), "Sign in as alice (password: cat "+filepath.Join(dir, devPasswordFile)+")") {
		t.Errorf("printed:\n%s", stderr.String())
	}
	// A second start keeps the password, and makes a new verifier.
	again, err := a.build(cfg, true, nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Users[0].Password != strings.TrimSpace(string(data)) || again.development.SignIn.CodeVerifier == d.SignIn.CodeVerifier {
		t.Error("restart: password changed, or verifier reused")
	}
}

// regexpFind is the first group of re in s.
func regexpFind(t *testing.T, s, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("nothing matches %s in:\n%s", re, s)
	}
	return m[1]
}

// TestSyncUsersDevelopmentClash: in development mode a database user named
// as the development user is a warning, and the server starts; with a
// configuration file the clash stops it.
func TestSyncUsersDevelopmentClash(t *testing.T) {
	t.Parallel()
	db := stores.All[0].OpenOne(t, nil)
	if err := db.CreateUser(t.Context(), storage.User{ID: "mine", Username: "Alice"}); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	logger := slog.New(slog.NewTextHandler(&log, nil))
	a := &app{}
	dev := &config.Config{Users: []config.User{{SubjectID: devUserSubject, Username: devUsername, Password: "p"}}}
	if err := a.syncUsers(t.Context(), dev, db, logger); err != nil {
		t.Fatalf("development: %v", err)
	}
	if !strings.Contains(log.String(), "the development user Alice was not written: the database has a user of that name (subject mine)") {
		t.Errorf("log:\n%s", log.String())
	}
	file := &config.Config{File: "signet.yaml", Users: dev.Users}
	if err := a.syncUsers(t.Context(), file, db, logger); err == nil || !strings.Contains(err.Error(), "is taken in the database") {
		t.Errorf("with a file: %v", err)
	}
}

// lateStore is a store whose first GetUser misses users: what an instance
// sees when another one, started with the same file, writes them between
// its read and its create.
type lateStore struct {
	storage.Store
	reads int
}

func (s *lateStore) GetUser(ctx context.Context, id string) (storage.User, error) {
	s.reads++
	if s.reads == 1 {
		return storage.User{}, storage.ErrNotFound
	}
	return s.Store.GetUser(ctx, id)
}

// TestWriteConfigUsersRace: two instances started at once with the same
// file both find the user missing; the one whose create then fails goes
// on with the record the other wrote (unchanged), instead of refusing to
// start with a clash of the user with itself.
func TestWriteConfigUsersRace(t *testing.T) {
	t.Parallel()
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			db := b.OpenOne(t, nil)
			cfg := &config.Config{Users: []config.User{{SubjectID: "1", Username: "alice", Password: "alices-password"}}}
			if done, err := writeConfigUsers(t.Context(), cfg, db, nil); err != nil || done != (usersWritten{Created: 1}) {
				t.Fatalf("the other instance: %+v %v", done, err)
			}
			done, err := writeConfigUsers(t.Context(), cfg, &lateStore{Store: db}, nil)
			if err != nil || done != (usersWritten{Unchanged: 1}) {
				t.Errorf("the instance that read before the other wrote: %+v %v", done, err)
			}
			// A username of another subject is still a clash.
			other := &config.Config{Users: []config.User{{SubjectID: "2", Username: "ALICE", Password: "p"}}}
			if _, err := writeConfigUsers(t.Context(), other, &lateStore{Store: db}, nil); err == nil || !strings.Contains(err.Error(), "is taken in the database by another user (alice, subject 1)") {
				t.Errorf("clash: %v", err)
			}
		})
	}
}
