package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/jackc/pgx/v5"
	"golang.org/x/oauth2"
)

// End to end, in process: key.type Managed. signet serve makes the first
// keys (once across instances), signs with them and publishes them; the
// keys commands rotate, retire and re-encrypt them while it runs.

// managedRefresh is how often the servers of these tests sync their
// managed keys (serveCmd.keyRefresh), and managedBound how long a change
// made with the CLI may take to reach a server: the refresh, plus some
// slack for a loaded test machine.
const (
	managedRefresh = 100 * time.Millisecond
	managedBound   = managedRefresh + 900*time.Millisecond
)

// managedKey is a key section of type Managed with the key-encryption key
// of $SIGNET_KEK and the shortest lifecycle the configuration allows.
const managedKey = `type: Managed
keyEncryptionKey: ${SIGNET_KEK}
signingAlgorithms: [ES256, RS256]
propagationTime: 1h
rotationInterval: 2h
retentionDuration: 25h
`

// newKEK returns a key-encryption key as signet keys kek prints it.
func newKEK(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// startManaged runs signet serve with the configuration on listen (""
// for any port), syncing managed keys every refresh (0: the default), until
// it listens or fails. It calls no t.Fatal, so that several can start at
// once from goroutines; a started instance is stopped at the end of the
// test.
func (h *host) startManaged(config, listen string, refresh time.Duration) (*instance, error) {
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	return h.run(&serveCmd{config: config, listen: listen, keyRefresh: refresh})
}

// serveManaged is startManaged for one instance: it fails the test if the
// server does not start.
func (h *host) serveManaged(config, listen string, refresh time.Duration) *instance {
	h.t.Helper()
	inst, err := h.startManaged(config, listen, refresh)
	if err != nil {
		h.t.Fatalf("signet serve did not start: %v\nlog:\n%s", err, inst.logs)
	}
	return inst
}

// keysCLI runs a signet command line on the host's environment and
// returns its exit code and outputs.
func (h *host) keysCLI(args ...string) (code int, stdout, stderr string) {
	h.t.Helper()
	return h.cliRun(time.Now(), "", args...)
}

// mustCLI runs a command line that must succeed, and returns its stdout.
func (h *host) mustCLI(args ...string) string {
	h.t.Helper()
	code, out, errs := h.keysCLI(args...)
	if code != exitOK {
		h.t.Fatalf("signet %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// listedKey is an element of signet keys list --json.
type listedKey struct {
	ID        string `json:"kid"`
	Algorithm string `json:"alg"`
	Source    string `json:"source"`
	State     string `json:"state"`
	Problem   string `json:"problem"`
}

func (h *host) listKeys(config string) (code int, keys []listedKey, stderr string) {
	h.t.Helper()
	code, out, stderr := h.keysCLI("keys", "list", "--json", "--config", config)
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		h.t.Fatalf("signet keys list --json: exit %d, stdout is not JSON: %v\n%s\nstderr:\n%s", code, err, out, stderr)
	}
	return code, keys, stderr
}

// kidsByAlg maps each algorithm to its kid: one key per algorithm.
func kidsByAlg(t *testing.T, set jose.JSONWebKeySet) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, k := range set.Keys {
		if m[k.Algorithm] != "" {
			t.Fatalf("two %s keys published: %v", k.Algorithm, kids(set))
		}
		m[k.Algorithm] = k.KeyID
	}
	return m
}

// tokenKid gets a token and returns it with the kid of its header.
func (i *instance) tokenKid() (token, kid string) {
	i.t.Helper()
	tok := i.token(oauth2.AuthStyleInHeader, "api1").AccessToken
	return tok, headerOf(i.t, tok).KeyID
}

func headerOf(t *testing.T, token string) jose.Header {
	t.Helper()
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatalf("parse %q: %v", token, err)
	}
	return parsed.Headers[0]
}

// verifyWithSet checks token's signature with the key of its kid in set,
// as an API holding that JWKS would.
func verifyWithSet(t *testing.T, token string, set jose.JSONWebKeySet) error {
	t.Helper()
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		return err
	}
	keys := set.Key(parsed.Headers[0].KeyID)
	if len(keys) != 1 {
		return fmt.Errorf("kid %s: %d keys in the JWKS (%v)", parsed.Headers[0].KeyID, len(keys), kids(set))
	}
	var claims jwt.Claims
	return parsed.Claims(keys[0].Key, &claims)
}

// TestManagedServe: the first start makes one key per algorithm, signs
// with the first algorithm's and publishes both; a restart finds them and
// makes none; keys list and config check show them.
func TestManagedServe(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	h.env["SIGNET_KEK"] = newKEK(t)
	cfg := h.config(managedKey, "")
	listen := freePort(t)

	srv := h.serveManaged(cfg, listen, 0)
	logs := srv.logs.String()
	if n := strings.Count(logs, `msg="created a signing key"`); n != 2 {
		t.Fatalf("%d keys created at the first start, want 2:\n%s", n, logs)
	}
	set := srv.jwks()
	first := kidsByAlg(t, set)
	if len(first) != 2 || first["ES256"] == "" || first["RS256"] == "" {
		t.Fatalf("JWKS %v, want one ES256 and one RS256 key", first)
	}
	for _, k := range set.Keys {
		if !k.IsPublic() || k.Use != "sig" {
			t.Errorf("published key %s: public %v, use %q", k.KeyID, k.IsPublic(), k.Use)
		}
	}
	tok, kid := srv.tokenKid()
	claims, header := srv.verify(tok)
	if header.Algorithm != "ES256" || kid != first["ES256"] || claims["client_id"] != "app" {
		t.Fatalf("token signed %s by %s (claims %v); want ES256 by %s", header.Algorithm, kid, claims, first["ES256"])
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}

	// A restart finds the keys: none is made, the token still verifies.
	srv = h.serveManaged(cfg, listen, 0)
	if strings.Contains(srv.logs.String(), "created a signing key") {
		t.Fatalf("a restart created a key:\n%s", srv.logs)
	}
	if again := kidsByAlg(t, srv.jwks()); !equalMaps(again, first) {
		t.Fatalf("after a restart the JWKS has %v, want %v", again, first)
	}
	srv.verify(tok)
	if _, kid := srv.tokenKid(); kid != first["ES256"] {
		t.Fatalf("after a restart tokens are signed by %s, want %s", kid, first["ES256"])
	}

	code, listed, stderr := h.listKeys(cfg)
	if code != exitOK {
		t.Fatalf("keys list: exit %d\n%s", code, stderr)
	}
	got := map[string]string{}
	for _, k := range listed {
		if k.State != "signing" || k.Source != "Managed" || k.Problem != "" {
			t.Errorf("keys list: %+v, want a signing Managed key", k)
		}
		got[k.Algorithm] = k.ID
	}
	if len(listed) != 2 || !equalMaps(got, first) {
		t.Fatalf("keys list shows %+v, want %v", listed, first)
	}
	out := h.mustCLI("keys", "list", "--config", cfg)
	contains(t, "keys list", out, "KID", first["ES256"], first["RS256"], "signing")

	out = h.mustCLI("config", "check", "--config", cfg)
	contains(t, "config check", out, "is valid", "Managed: ", first["ES256"]+" (ES256)", first["RS256"]+" (RS256)", "2 key(s) in the sqlite database")
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestManagedWrongKEK: with another key-encryption key, serve refuses to
// start and makes no key, saying which keys and what to do; keys list
// fails; keys rekey re-encrypts them, after which serve starts with the
// same keys and a token signed before still verifies.
func TestManagedWrongKEK(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	oldKEK := newKEK(t)
	h.env["SIGNET_KEK"] = oldKEK
	cfg := h.config(managedKey, "")
	listen := freePort(t)

	srv := h.serveManaged(cfg, listen, 0)
	first := kidsByAlg(t, srv.jwks())
	tok, _ := srv.tokenKid()
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}

	h.env["SIGNET_KEK"] = newKEK(t)
	logs, err := h.refuse(cfg)
	msg := err.Error()
	contains(t, "the startup error", msg,
		"cannot open 2 managed signing key(s) with the configured key-encryption key",
		"kid "+first["ES256"]+" (ES256", "kid "+first["RS256"]+" (RS256",
		"encrypted under another key-encryption key",
		"Configure the key-encryption key they were made with", "signet keys rekey")
	if strings.Contains(logs, "created a signing key") {
		t.Errorf("serve created a key with the wrong key-encryption key:\n%s", logs)
	}
	if strings.Contains(msg, oldKEK) || strings.Contains(msg, h.env["SIGNET_KEK"]) || strings.Contains(logs, h.env["SIGNET_KEK"]) {
		t.Errorf("a key-encryption key is shown:\n%s\n%s", msg, logs)
	}

	// Nothing was written: the store holds the two keys, unreadable.
	code, listed, stderr := h.listKeys(cfg)
	if code != exitError {
		t.Errorf("keys list --json with the wrong key-encryption key: exit %d, want %d", code, exitError)
	}
	var ids []string
	for _, k := range listed {
		ids = append(ids, k.ID)
		if !strings.Contains(k.Problem, "encrypted under another key-encryption key") {
			t.Errorf("key %s: problem %q", k.ID, k.Problem)
		}
	}
	slices.Sort(ids)
	want := []string{first["ES256"], first["RS256"]}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("the store holds %v after the refused start, want %v\n%s", ids, want, stderr)
	}
	code, _, stderr = h.keysCLI("keys", "list", "--config", cfg)
	if code != exitError {
		t.Errorf("keys list with the wrong key-encryption key: exit %d, want %d", code, exitError)
	}
	contains(t, "keys list's stderr", stderr, "2 managed key(s) cannot be opened", "signet keys rekey")
	code, _, stderr = h.keysCLI("config", "check", "--config", cfg)
	if code != exitError {
		t.Errorf("config check with the wrong key-encryption key: exit %d, want %d", code, exitError)
	}
	contains(t, "config check's stderr", stderr, first["ES256"], first["RS256"], "signet keys rekey")

	// Re-encrypted under the configured key, from the old one.
	h.env["OLD_KEK"] = oldKEK
	out := h.mustCLI("keys", "rekey", "--old-kek-env", "OLD_KEK", "--config", cfg)
	contains(t, "keys rekey", out, "Re-encrypted 2 managed key(s)")
	out = h.mustCLI("keys", "rekey", "--old-kek-env", "OLD_KEK", "--config", cfg)
	contains(t, "keys rekey again", out, "nothing to do")

	srv = h.serveManaged(cfg, listen, 0)
	if strings.Contains(srv.logs.String(), "created a signing key") {
		t.Fatalf("serve created a key after the rekey:\n%s", srv.logs)
	}
	if again := kidsByAlg(t, srv.jwks()); !equalMaps(again, first) {
		t.Fatalf("after the rekey the JWKS has %v, want %v", again, first)
	}
	srv.verify(tok)
	if _, kid := srv.tokenKid(); kid != first["ES256"] {
		t.Fatalf("after the rekey tokens are signed by %s, want %s", kid, first["ES256"])
	}
}

// TestManagedRotateReachesServer: keys rotate, rotate --now and retire,
// run beside a server, reach it within its refresh interval.
func TestManagedRotateReachesServer(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	h.env["SIGNET_KEK"] = newKEK(t)
	cfg := h.config(managedKey, "")
	srv := h.serveManaged(cfg, "", managedRefresh)
	first := kidsByAlg(t, srv.jwks())
	old := first["ES256"]
	published := func(kid string) bool { return slices.Contains(kids(srv.jwks()), kid) }
	signer := func() string { _, kid := srv.tokenKid(); return kid }

	// Announced: published at once, signs after propagationTime.
	var announced listedKey
	out := h.mustCLI("keys", "rotate", "--json", "--config", cfg)
	if err := json.Unmarshal([]byte(out), &announced); err != nil || announced.State != "announced" || announced.Algorithm != "ES256" {
		t.Fatalf("keys rotate: %v\n%s", err, out)
	}
	within(t, managedBound, "the announced key in the JWKS", func() bool { return published(announced.ID) })
	if kid := signer(); kid != old {
		t.Fatalf("tokens are signed by %s once %s is announced; want %s still", kid, announced.ID, old)
	}
	// Rotating again keeps the announced key.
	var again listedKey
	out = h.mustCLI("keys", "rotate", "--json", "--config", cfg)
	if err := json.Unmarshal([]byte(out), &again); err != nil || again.ID != announced.ID {
		t.Fatalf("keys rotate with a key announced made another: %v\n%s", err, out)
	}

	// --now: a new key signs at once; the old one stays published.
	out = h.mustCLI("keys", "rotate", "--now", "--algorithm", "es256", "--config", cfg)
	var now string
	if _, err := fmt.Sscanf(out, "Key %s (ES256) signs now", &now); err != nil {
		t.Fatalf("keys rotate --now: %q: %v", out, err)
	}
	within(t, managedBound, "tokens signed by the key of rotate --now", func() bool { return signer() == now })
	if !published(old) || !published(announced.ID) {
		t.Fatalf("JWKS %v after rotate --now, want %s and %s still", kids(srv.jwks()), old, announced.ID)
	}

	// Retiring the old key, which no longer signs, is refused, pointing to
	// --revoke.
	if code, _, stderr := h.keysCLI("keys", "retire", old, "--yes", "--config", cfg); code != exitError || !strings.Contains(stderr, "is retired already") || !strings.Contains(stderr, "give --revoke") {
		t.Errorf("retire of a retired key: exit %d, %q", code, stderr)
	}
	// Retiring the signer: the announced key signs at once, the retired one
	// stays published for retentionDuration.
	out = h.mustCLI("keys", "retire", now, "--yes", "--config", cfg)
	contains(t, "keys retire", out, "Key "+now+" is retired")
	within(t, managedBound, "tokens signed by the announced key once the signer is retired", func() bool { return signer() == announced.ID })
	time.Sleep(3 * managedRefresh)
	for _, kid := range []string{old, now, announced.ID, first["RS256"]} {
		if !published(kid) {
			t.Errorf("%s is no longer published: %v", kid, kids(srv.jwks()))
		}
	}
	if kid := signer(); kid != announced.ID {
		t.Errorf("tokens signed by %s, want %s", kid, announced.ID)
	}
	_, listed, _ := h.listKeys(cfg)
	states := map[string]string{}
	for _, k := range listed {
		states[k.ID] = k.State
	}
	want := map[string]string{old: "retired", now: "retired", announced.ID: "signing", first["RS256"]: "signing"}
	if !equalMaps(states, want) {
		t.Errorf("keys list: %v, want %v", states, want)
	}

	// Revoking the compromised key drops it from the JWKS: its tokens stop
	// validating.
	out = h.mustCLI("keys", "retire", old, "--revoke", "--yes", "--config", cfg)
	contains(t, "keys retire --revoke", out, "Key "+old+" is revoked")
	within(t, managedBound, "the revoked key leaves the JWKS", func() bool { return !published(old) })
	if !published(now) || signer() != announced.ID {
		t.Errorf("after the revocation: JWKS %v, signer %s", kids(srv.jwks()), signer())
	}
	if strings.Contains(srv.logs.String(), "level=ERROR") {
		t.Errorf("errors in the server's log:\n%s", srv.logs)
	}
}

// TestManagedInstancesPostgres: three servers started at once on one empty
// PostgreSQL schema make one key per algorithm between them, publish the
// same keys and verify each other's tokens.
func TestManagedInstancesPostgres(t *testing.T) {
	t.Parallel()
	db := newPGDB(t)
	h := newHost(t)
	h.env["SIGNET_KEK"] = newKEK(t)
	cfg := h.config(managedKey, "storage:\n  driver: postgres\n  dsn: '"+db.dsn+"'\n  pollInterval: 200ms\n")

	const n = 3
	insts := make([]*instance, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { insts[i], errs[i] = h.startManaged(cfg, "", managedRefresh) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d did not start: %v\nlog:\n%s", i, err, insts[i].logs)
		}
	}

	created := 0
	for _, inst := range insts {
		created += strings.Count(inst.logs.String(), `msg="created a signing key"`)
	}
	if created != 2 {
		t.Errorf("the instances created %d keys between them, want 2", created)
	}
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, db.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT algorithm, count(*) FROM signing_keys GROUP BY algorithm ORDER BY algorithm`)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	for rows.Next() {
		var alg string
		var c int64
		if err := rows.Scan(&alg, &c); err != nil {
			t.Fatal(err)
		}
		counts[alg] = c
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if len(counts) != 2 || counts["ES256"] != 1 || counts["RS256"] != 1 {
		t.Fatalf("signing_keys holds %v, want one ES256 and one RS256 key", counts)
	}

	sets := make([]jose.JSONWebKeySet, n)
	tokens := make([]string, n)
	for i, inst := range insts {
		sets[i] = inst.jwks()
		tokens[i], _ = inst.tokenKid()
		inst.verify(tokens[i])
	}
	want := kidsByAlg(t, sets[0])
	for i := 1; i < n; i++ {
		if got := kidsByAlg(t, sets[i]); !equalMaps(got, want) {
			t.Errorf("instance %d publishes %v, instance 0 %v", i, got, want)
		}
	}
	for i, tok := range tokens {
		for j, set := range sets {
			if err := verifyWithSet(t, tok, set); err != nil {
				t.Errorf("the token of instance %d does not verify with the JWKS of instance %d: %v", i, j, err)
			}
		}
	}
}

// TestManagedNotifyPostgres: on PostgreSQL, keys rotate --now and retire
// --revoke reach every instance at once (a notification), not at its next
// sync (the default minute).
func TestManagedNotifyPostgres(t *testing.T) {
	t.Parallel()
	db := newPGDB(t)
	h := newHost(t)
	h.env["SIGNET_KEK"] = newKEK(t)
	cfg := h.config(managedKey, "storage:\n  driver: postgres\n  dsn: '"+db.dsn+"'\n")
	a := h.serveManaged(cfg, "", 0) // the default sync interval: a minute
	b := h.serveManaged(cfg, "", 0)
	const bound = 5 * time.Second // far below the minute, with slack for a loaded machine
	old := kidsByAlg(t, a.jwks())["ES256"]

	out := h.mustCLI("keys", "rotate", "--now", "--algorithm", "ES256", "--config", cfg)
	var now string
	if _, err := fmt.Sscanf(out, "Key %s (ES256) signs now", &now); err != nil {
		t.Fatalf("keys rotate --now: %q: %v", out, err)
	}
	for name, inst := range map[string]*instance{"a": a, "b": b} {
		took := within(t, bound, "instance "+name+" signs with the key of rotate --now", func() bool {
			_, kid := inst.tokenKid()
			return kid == now
		})
		t.Logf("instance %s: rotate --now to signing in %v", name, took.Round(time.Millisecond))
	}
	h.mustCLI("keys", "retire", old, "--revoke", "--yes", "--config", cfg)
	for name, inst := range map[string]*instance{"a": a, "b": b} {
		within(t, bound, "instance "+name+" drops the revoked key", func() bool { return !slices.Contains(kids(inst.jwks()), old) })
	}
	for _, inst := range []*instance{a, b} {
		if strings.Contains(inst.logs.String(), "level=ERROR") {
			t.Errorf("errors in a server's log:\n%s", inst.logs)
		}
	}
}

// TestManagedClockSkewPostgres: signet keys dates keys by this machine's
// clock; against PostgreSQL, whose server has its own, a clock more than a
// minute off refuses to rotate or retire (a key rotated now would sign an
// hour late) and only warns for list.
func TestManagedClockSkewPostgres(t *testing.T) {
	t.Parallel()
	db := newPGDB(t)
	h := newHost(t)
	h.env["SIGNET_KEK"] = newKEK(t)
	cfg := h.config(managedKey, "storage:\n  driver: postgres\n  dsn: '"+db.dsn+"'\n")
	for _, skew := range []time.Duration{2 * time.Hour, -90 * time.Minute} {
		code, out, stderr := h.cliRun(time.Now().Add(skew), "", "keys", "rotate", "--now", "--config", cfg)
		want := "ahead of the database server's"
		if skew < 0 {
			want = "behind the database server's"
		}
		if code != exitError || out != "" || !strings.Contains(stderr, want) || !strings.Contains(stderr, "NTP") {
			t.Errorf("keys rotate with the clock %v off: exit %d, stdout %q, stderr %q", skew, code, out, stderr)
		}
	}
	out := h.mustCLI("keys", "rotate", "--now", "--config", cfg)
	if !strings.Contains(out, "signs now") {
		t.Fatalf("keys rotate with the clock right: %q", out)
	}
	code, _, stderr := h.cliRun(time.Now().Add(2*time.Hour), "", "keys", "list", "--config", cfg)
	if code != exitOK || !strings.Contains(stderr, "ahead of the database server's") {
		t.Errorf("keys list with the clock 2h ahead: exit %d, stderr %q; want 0 and a warning", code, stderr)
	}
}

// TestManagedReload: SIGHUP applies validationKeys beside managed keys,
// and refuses a changed key section (which only a restart applies) rather
// than ignore it.
func TestManagedReload(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	h.env["SIGNET_KEK"] = newKEK(t)
	cfg := h.config(managedKey, "")
	srv := h.serveReloadable(cfg)
	before := kids(srv.jwks())

	// A validation key added and SIGHUP: published beside the managed keys,
	// which keep signing.
	pfx, kid := h.credential("extra")
	h.write("signet.yaml", strings.Replace(readFile(t, cfg), "clients:", "validationKeys:\n  - type: File\n    filePath: "+pfx+"\n    password: "+reloadPassword+"\nclients:", 1))
	if err := srv.hup(); err != nil {
		t.Fatalf("reload with a new validation key: %v\nlog:\n%s", err, srv.logs)
	}
	after := kids(srv.jwks())
	if !slices.Contains(after, kid) || len(after) != len(before)+1 {
		t.Errorf("JWKS %v after the reload, want %v and %s", after, before, kid)
	}
	if _, signer := srv.tokenKid(); signer == kid {
		t.Error("the validation key signs")
	}

	// A changed key section is refused, saying it takes a restart.
	h.write("signet.yaml", strings.Replace(readFile(t, cfg), "signingAlgorithms: [ES256, RS256]", "signingAlgorithms: [RS256]", 1))
	err := srv.hup()
	if err == nil || !strings.Contains(err.Error(), "the key section (type Managed) changed: that takes a restart") {
		t.Errorf("reload with a changed key section: %v", err)
	}
	if got := kids(srv.jwks()); !slices.Equal(got, after) {
		t.Errorf("a refused reload changed the JWKS: %v, want %v", got, after)
	}
}

// TestManagedRotateBinarySQLite: with the built binary on SQLite, which
// does not notify, signet keys rotate --now reaches a running signet serve
// within storage.pollInterval (the default, 2s), not at its minute's sync;
// and SIGHUP syncs the managed keys at once, saying so in its log line.
func TestManagedRotateBinarySQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	t.Parallel()
	bin := builtBinary(t)
	h := newHost(t)
	env := append(binEnv(h.dir), "APP_SECRET="+appSecret, "SIGNET_KEK="+newKEK(t))
	cfg := h.config(managedKey, "")
	srv := binServe(t, bin, h.dir, env, "--config", cfg, "--listen", "127.0.0.1:0")
	t.Cleanup(srv.stop)
	_, first := signedBy(t, srv.url)

	// The default poll (2s) bounds it; a loaded machine gets some slack.
	const poll, slack = 2 * time.Second, 1500 * time.Millisecond
	rotate := func() string {
		t.Helper()
		out := binRun(t, bin, h.dir, env, "", "keys", "rotate", "--now", "--algorithm", "ES256", "--config", cfg)
		var kid string
		if _, err := fmt.Sscanf(out, "Key %s (ES256) signs now", &kid); err != nil {
			t.Fatalf("keys rotate --now: %q: %v", out, err)
		}
		contains(t, "keys rotate --now", out, "every instance uses it within storage.pollInterval (2s), or at once after SIGHUP.")
		return kid
	}
	now := rotate()
	start := time.Now()
	for {
		if _, kid := signedBy(t, srv.url); kid == now {
			break
		} else if kid != first {
			t.Fatalf("tokens signed by %s, neither %s nor %s", kid, first, now)
		}
		if time.Since(start) > poll+slack {
			t.Fatalf("tokens still signed by %s %v after keys rotate --now made %s (storage.pollInterval %v)", first, time.Since(start).Round(time.Millisecond), now, poll)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("keys rotate --now to signing: %v (poll %v)", time.Since(start).Round(time.Millisecond), poll)
	// The log says it once, with what changed.
	time.Sleep(100 * time.Millisecond)
	if strings.Contains(srv.out.String(), "level=ERROR") {
		t.Errorf("errors in the log:\n%s", srv.out.String())
	}

	// SIGHUP: at once, the log line says the managed keys were synced and
	// what changed; a token right after it is signed by the new key.
	reloaded := regexp.MustCompile(`msg="keys reloaded[^\n]*managed_keys=synced[^\n]*`)
	next := rotate()
	start = time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	line := srv.waitFor(reloaded.String())[0]
	took := time.Since(start)
	if _, kid := signedBy(t, srv.url); kid != next {
		t.Errorf("right after SIGHUP (%v) tokens are signed by %s, want %s\nlog line: %s", took.Round(time.Millisecond), kid, next, line)
	}
	t.Logf("SIGHUP to synced: %v; %s", took.Round(time.Millisecond), line)
	if took >= poll {
		t.Errorf("SIGHUP took %v to sync, no sooner than the poll (%v)", took, poll)
	}
	// The poll may have seen the rotation first; either way the line
	// names the signer.
	if !strings.Contains(line, "signer="+next) {
		t.Errorf("the SIGHUP line does not name the new signer %s: %s", next, line)
	}
}
