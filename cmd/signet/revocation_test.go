package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/consent"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/postgres"
	"github.com/signetid/signet/storage/sqlite"
)

// Token revocation (issue 15) through the real binary: signet serve's
// /connect/revocation, signet token revoke, and signet grants.

const (
	revWebSecret   = "web-secret-for-the-revocation-tests-0123456789"
	revOtherSecret = "other-secret-for-the-revocation-tests-0123456789"
)

// revConfig writes a configuration with clients web and other (both may
// refresh) and user alice (subject "1"), over the storage section given.
func revConfig(t *testing.T, dir, storageYAML string) string {
	t.Helper()
	binWrite(t, dir, "signet.yaml", `dataDir: data
allowHttp: true
key: {type: Development}
apiScopes:
  - name: api1
apiResources:
  - name: https://api.example.com
    scopes: [api1]
clients:
  - clientId: web
    secrets:
      - value: `+revWebSecret+`
    allowedGrantTypes: [authorization_code, refresh_token]
    allowedScopes: [openid, api1, offline_access]
    redirectUris: [https://rp.example/cb]
    allowOfflineAccess: true
  - clientId: other
    secrets:
      - value: `+revOtherSecret+`
    allowedGrantTypes: [authorization_code, refresh_token]
    allowedScopes: [openid, api1, offline_access]
    redirectUris: [https://other.example/cb]
    allowOfflineAccess: true
users:
  - subjectId: "1"
    username: alice
    password: alices-long-password
`+storageYAML)
	return filepath.Join(dir, "signet.yaml")
}

// revSignIn stores what a sign-in of alice at clientID leaves: a refresh
// token (returned, with its family), a reference access token of its
// family (returned), and a session.
func revSignIn(t *testing.T, db storage.Store, clientID string) (refresh, family, reference string) {
	t.Helper()
	ctx := t.Context()
	now := time.Now()
	svc := &tokens.Service{Grants: db}
	refresh, err := svc.IssueRefresh(ctx, tokens.Authorization{ClientID: clientID, Subject: "1", SessionID: "sid-" + clientID,
		Scopes: []string{"openid", "api1", "offline_access"}, AuthTime: now, AMR: []string{"pwd"}}, "", tokens.RefreshPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := db.GetGrant(ctx, tokens.HandleKey(storage.GrantRefreshToken, refresh), now)
	if err != nil {
		t.Fatal(err)
	}
	reference = "ref-" + refresh
	if err := db.CreateGrant(ctx, storage.PersistedGrant{Key: tokens.HandleKey(storage.GrantReferenceToken, reference), Type: storage.GrantReferenceToken,
		ClientID: clientID, Subject: "1", SessionID: "sid-" + clientID, FamilyID: g.FamilyID, Created: now, Expires: now.Add(time.Hour), Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSession(ctx, storage.Session{ID: "session-" + clientID, Subject: "1", Created: now, AuthTime: now, Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return refresh, g.FamilyID, reference
}

// revRefresh trades a refresh token at base's token endpoint.
func revRefresh(t *testing.T, base, clientID, secret, refresh string) (status int, body map[string]any) {
	t.Helper()
	res := binPost(t, base+"/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}},
		func(r *http.Request) { r.SetBasicAuth(clientID, secret) })
	if err := json.Unmarshal(res.body, &body); err != nil {
		t.Fatalf("token endpoint: %d %s", res.status, res.body)
	}
	return res.status, body
}

// revExists reports whether the handle is stored as typ.
func revExists(t *testing.T, db storage.Store, typ, handle string) bool {
	t.Helper()
	_, err := db.GetGrant(t.Context(), tokens.HandleKey(typ, handle), time.Now())
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// revRun runs a signet command and returns its exit code and output.
func revRun(t *testing.T, bin, dir string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// TestBinaryRevocation, on SQLite: a client revokes its refresh token with
// signet token revoke, and the next refresh fails with invalid_grant, also
// after a restart; another client's revocation of it changes nothing; a
// JWT access token is unsupported_token_type; signet grants lists and
// revokes a user's grants and ends their sessions.
func TestBinaryRevocation(t *testing.T) {
	bin := binaryTest(t)
	dir := t.TempDir()
	env := append(binEnv(dir), "WEB_SECRET="+revWebSecret, "OTHER_SECRET="+revOtherSecret)
	config := revConfig(t, dir, "")
	srv := binServe(t, bin, dir, env, "--config", config, "--listen", "127.0.0.1:0")
	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "data", "signet.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	var doc map[string]any
	if err := json.Unmarshal([]byte(binGet(t, srv.url+"/.well-known/openid-configuration", 200)), &doc); err != nil || doc["revocation_endpoint"] != srv.url+"/connect/revocation" {
		t.Fatalf("discovery: %v %v", doc, err)
	}

	first, family, reference := revSignIn(t, db, "web")
	otherRefresh, _, _ := revSignIn(t, db, "other")
	if err := consent.New(db, nil).Remember(t.Context(), "1", "web", []string{"openid", "api1"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	status, body := revRefresh(t, srv.url, "web", revWebSecret, first)
	current, _ := body["refresh_token"].(string)
	jwt, _ := body["access_token"].(string)
	if status != 200 || current == "" || jwt == "" {
		t.Fatalf("refresh before revocation: %d %v", status, body)
	}
	revoke := func(token, clientID, secretVar string) (int, string, string) {
		return revRun(t, bin, dir, env, "token", "revoke", token, "--issuer", srv.url, "--client", clientID, "--client-secret-env", secretVar)
	}

	// Negative: another client revokes web's token: 200, and not revoked.
	if code, out, stderr := revoke(current, "other", "OTHER_SECRET"); code != 0 || !strings.Contains(out, "Revoked") {
		t.Fatalf("revoke by another client: exit %d %s%s", code, out, stderr)
	}
	status, body = revRefresh(t, srv.url, "web", revWebSecret, current)
	if status != 200 {
		t.Fatalf("refresh after another client's revocation: %d %v", status, body)
	}
	current = body["refresh_token"].(string)

	// The client's own revocation.
	if code, out, stderr := revoke(current, "web", "WEB_SECRET"); code != 0 || !strings.HasPrefix(out, "Revoked: the token, if it was issued to web, no longer works.") {
		t.Fatalf("revoke: exit %d %s%s", code, out, stderr)
	}
	if status, body := revRefresh(t, srv.url, "web", revWebSecret, current); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("refresh after revocation: %d %v, want 400 invalid_grant", status, body)
	}
	if revExists(t, db, storage.GrantReferenceToken, reference) {
		t.Error("the reference token of the revoked family survived")
	}
	if left, err := db.ListGrants(t.Context(), storage.PersistedGrantFilter{FamilyID: family}, time.Now()); err != nil || len(left) != 0 {
		t.Errorf("the revoked family: %v %v", left, err)
	}
	srv.waitFor(`msg="token revoked" client_id=web type=refresh_token family_id=` + family)
	srv.waitFor(`msg="revocation refused: the token was issued to another client" client_id=other owner_client_id=web`)

	// JWT access tokens cannot be revoked.
	if code, _, stderr := revoke(jwt, "web", "WEB_SECRET"); code != 1 || !strings.Contains(stderr, "unsupported_token_type") {
		t.Errorf("revoke a JWT: exit %d %s", code, stderr)
	}
	// Usage errors.
	if code, _, stderr := revRun(t, bin, dir, env, "token", "revoke", current, "--issuer", srv.url); code != 2 {
		t.Errorf("revoke without --client: exit %d %s", code, stderr)
	}

	// The revocation outlives a restart.
	srv.stop()
	srv.noSecrets(revWebSecret, revOtherSecret, first, current, jwt, reference)
	srv = binServe(t, bin, dir, env, "--config", config, "--listen", "127.0.0.1:0")
	if status, body := revRefresh(t, srv.url, "web", revWebSecret, current); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("refresh after revocation and restart: %d %v, want 400 invalid_grant", status, body)
	}

	// signet grants list: alice's grants, no handle.
	out := binRun(t, bin, dir, env, "", "grants", "list", "--config", config, "--subject", "alice")
	for _, want := range []string{`TYPE\s+CLIENT\s+SUBJECT\s+SESSION\s+CREATED\s+EXPIRES\s+CONSUMED\s+KEY`, `\nrefresh_token\s+other\s+1\s+sid-other\s`, `\nconsent\s+web\s+1\s+-\s`, `\nreference_token\s+other\s+1\s`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("grants list lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{otherRefresh, tokens.HandleKey(storage.GrantRefreshToken, otherRefresh)} {
		if strings.Contains(out, secret) {
			t.Errorf("grants list shows a handle or a whole key:\n%s", out)
		}
	}
	var views []grantView
	if err := json.Unmarshal([]byte(binRun(t, bin, dir, env, "", "grants", "list", "--config", config, "--client", "other", "--type", "refresh_token", "--json")), &views); err != nil ||
		len(views) != 1 || views[0].Type != "refresh_token" || views[0].Subject != "1" || len(views[0].KeyPrefix) != keyPrefixLen {
		t.Errorf("grants list --json: %+v %v", views, err)
	}

	// signet grants revoke.
	if code, _, stderr := revRun(t, bin, dir, env, "grants", "revoke", "--config", config, "--yes"); code != 2 || !strings.Contains(stderr, "give at least one of") {
		t.Errorf("revoke without a filter: exit %d %s", code, stderr)
	}
	if code, _, stderr := revRun(t, bin, dir, env, "grants", "revoke", "--config", config, "--type", "token", "--yes"); code != 2 || !strings.Contains(stderr, "--type") {
		t.Errorf("revoke --type token: exit %d %s", code, stderr)
	}
	var r grantsRevoked
	if err := json.Unmarshal([]byte(binRun(t, bin, dir, env, "", "grants", "revoke", "--config", config, "--subject", "alice", "--type", "consent", "--keep-sessions", "--yes", "--json")), &r); err != nil ||
		r.Revoked["consent"] != 1 || r.total() != 1 || r.SessionsEnded != 0 {
		t.Errorf("revoke the consents: %+v %v", r, err)
	}
	if out := binRun(t, bin, dir, env, "", "grants", "revoke", "--config", config, "--subject", "alice", "--yes"); out != "Revoked 2 grants (1 refresh_token, 1 reference_token); ended 2 sessions.\n" {
		t.Errorf("revoke alice's grants: %q", out)
	}
	if status, body := revRefresh(t, srv.url, "other", revOtherSecret, otherRefresh); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("refresh after signet grants revoke: %d %v", status, body)
	}
	if s, err := db.ListSessions(t.Context(), "1", time.Now()); err != nil || len(s) != 0 {
		t.Errorf("sessions after signet grants revoke: %v %v", s, err)
	}
	if out := binRun(t, bin, dir, env, "", "grants", "list", "--config", config, "--subject", "1"); !strings.Contains(out, "No grants.") {
		t.Errorf("grants list after revoke:\n%s", out)
	}
}

// TestRevocationTwoInstances, on PostgreSQL: a refresh token revoked at
// one instance cannot be refreshed at the other at once.
func TestRevocationTwoInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs two servers on PostgreSQL")
	}
	t.Parallel()
	p := newRevPostgres(t)
	a := binServe(t, p.bin, p.dir, p.env, "--config", p.config, "--listen", "127.0.0.1:0")
	b := binServe(t, p.bin, p.dir, p.env, "--config", p.config, "--listen", "127.0.0.1:0")
	db := p.open(t)
	refresh, _, reference := revSignIn(t, db, "web")
	// Used once on b, so that b has read it.
	status, body := revRefresh(t, b.url, "web", revWebSecret, refresh)
	if status != 200 {
		t.Fatalf("refresh on b: %d %v", status, body)
	}
	refresh = body["refresh_token"].(string)

	res := binPost(t, a.url+"/connect/revocation", url.Values{"token": {refresh}, "token_type_hint": {"refresh_token"}},
		func(r *http.Request) { r.SetBasicAuth("web", revWebSecret) })
	if res.status != 200 || len(res.body) != 0 {
		t.Fatalf("revoke on a: %d %s", res.status, res.body)
	}
	if status, body := revRefresh(t, b.url, "web", revWebSecret, refresh); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("refresh on b right after the revocation on a: %d %v, want 400 invalid_grant", status, body)
	}
	if revExists(t, db, storage.GrantReferenceToken, reference) {
		t.Error("the family's reference token survived")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if n, err := db.DeleteGrants(ctx, storage.PersistedGrantFilter{ClientID: "web", Type: storage.GrantRefreshToken}); err != nil || n != 0 {
		t.Errorf("refresh tokens of web left: %d %v", n, err)
	}
}

// TestGrantsCommandsPostgres: signet grants list and revoke on
// PostgreSQL, against what a sign-in left there: alice's refresh token and
// its reference token, and her session; after revoke --subject, a server
// on the same database refuses the refresh token.
func TestGrantsCommandsPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a server on PostgreSQL")
	}
	t.Parallel()
	p := newRevPostgres(t)
	bin, dir, env, config := p.bin, p.dir, p.env, p.config
	srv := binServe(t, bin, dir, env, "--config", config, "--listen", "127.0.0.1:0")
	db := p.open(t)
	refresh, family, _ := revSignIn(t, db, "web")

	var views []struct {
		Type     string `json:"type"`
		ClientID string `json:"clientId"`
		Subject  string `json:"subjectId"`
		FamilyID string `json:"familyId"`
	}
	out := binRun(t, bin, dir, env, "", "grants", "list", "--config", config, "--subject", "alice", "--json")
	if err := json.Unmarshal([]byte(out), &views); err != nil || len(views) != 2 {
		t.Fatalf("grants list --subject alice --json on PostgreSQL: %v\n%s", err, out)
	}
	for _, v := range views {
		if v.ClientID != "web" || v.Subject != "1" || v.FamilyID != family {
			t.Errorf("grant %+v, want web's, of subject 1, in family %s", v, family)
		}
	}
	if out := binRun(t, bin, dir, env, "", "grants", "revoke", "--config", config, "--subject", "alice", "--yes"); out != "Revoked 2 grants (1 refresh_token, 1 reference_token); ended 1 session.\n" {
		t.Errorf("grants revoke --subject alice on PostgreSQL: %q", out)
	}
	if status, body := revRefresh(t, srv.url, "web", revWebSecret, refresh); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("refresh after signet grants revoke: %d %v, want 400 invalid_grant", status, body)
	}
	if s, err := db.ListSessions(t.Context(), "1", time.Now()); err != nil || len(s) != 0 {
		t.Errorf("sessions after signet grants revoke: %v %v", s, err)
	}
}

// revPostgres is the revocation tests' setup on PostgreSQL: the built
// binary and a directory with revConfig over a schema of the test's own.
type revPostgres struct {
	bin, dir, config, dsn string
	env                   []string
}

func newRevPostgres(t *testing.T) revPostgres {
	t.Helper()
	pg := newPGDB(t)
	p := revPostgres{bin: builtBinary(t), dir: t.TempDir(), dsn: pg.dsn}
	p.env = binEnv(p.dir)
	p.config = revConfig(t, p.dir, "storage:\n  driver: postgres\n  dsn: \""+pg.dsn+"\"\n")
	return p
}

// open opens the database once a server has migrated it; closed at the
// test's end.
func (p revPostgres) open(t *testing.T) *postgres.Store {
	t.Helper()
	db, err := postgres.Open(t.Context(), p.dsn, postgres.Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
