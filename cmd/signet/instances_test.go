package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/testsupport"
)

// Several `signet serve` processes behind one issuer, sharing one
// PostgreSQL schema, as behind a load balancer.

const (
	// instPoll is the configuration's storage.pollInterval: the documented
	// bound for a change made through the CLI to reach every instance.
	instPoll = 2 * time.Second
	// instBound is that bound plus slack for a loaded test machine.
	instBound = instPoll + time.Second
	// instIssuer is the issuer all three share: the load balancer's
	// address, never dialled by the test.
	instIssuer = "http://auth.signet.test"
	// instSecret is the secret of the file's client app.
	instSecret = "a-secret-of-the-file-client-shared-by-all-three-instances"
)

// instNode is one of the instances: the process, and the address it
// listens on (its log shows the configured issuer instead).
type instNode struct {
	*binServer
	name string
	base string
}

// TestInstances starts three `signet serve` processes at once on loopback,
// with one configuration file, one signing credential and one empty
// PostgreSQL schema. Each migration is applied once; a token from any
// instance verifies with the JWKS of any other; a client added with
// `signet client add` gets tokens from all three within
// storage.pollInterval (the time is measured and logged); one instance
// killed with SIGKILL under load loses no committed assertion jti and no
// client, and the other two serve every request.
func TestInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three servers on PostgreSQL")
	}
	t.Parallel()
	db := newPGDB(t)
	bin := builtBinary(t)
	dir := t.TempDir()
	env := binEnv(dir)
	jwtClient := newECClient(t, "jwt-app")
	config := instWriteConfig(t, dir, db.dsn, jwtClient)
	kid := certs.Thumbprint(fixtureCert(t, "rsa-openssl3.pfx"))

	// Started together, so that they race to migrate the empty schema.
	nodes := make([]*instNode, 3)
	for i := range nodes {
		nodes[i] = instStart(t, bin, dir, env, fmt.Sprintf("instance %d", i), "--config", config, "--listen", freePort(t))
	}
	for _, n := range nodes {
		n.waitFor(binListening.String())
	}
	instMigratedOnce(t, db, nodes)
	for _, n := range nodes {
		binGet(t, n.base+"/readyz", http.StatusOK)
	}

	t.Run("cross verification", func(t *testing.T) {
		instCrossVerify(t, nodes, kid)
	})

	var added []instClient
	t.Run("client added through the CLI", func(t *testing.T) {
		var worst time.Duration
		for k := range 5 {
			c, took, refused := instAddClient(t, bin, dir, env, config, fmt.Sprintf("svc%d", k), nodes)
			added = append(added, c)
			worst = max(worst, slices.Max(took))
			t.Logf("client %s: CLI exit to a token on instances 0, 1, 2 after %v (%v requests refused first)", c.id, took, refused)
		}
		t.Logf("propagation: the slowest instance took %v (bound %v)", worst, instBound)
	})
	if t.Failed() {
		t.FailNow()
	}

	t.Run("SIGKILL under load", func(t *testing.T) {
		instKillUnderLoad(t, bin, dir, env, config, nodes, 1, jwtClient, added)
	})
}

// instWriteConfig writes the configuration the instances share.
func instWriteConfig(t *testing.T, dir, dsn string, jwtClient *ecClient) string {
	t.Helper()
	binWrite(t, dir, "signet.yaml", `issuer: `+instIssuer+`
allowHttp: true
dataDir: data
storage:
  driver: postgres
  dsn: "`+dsn+`"
  pollInterval: `+instPoll.String()+`
# The test replays hundreds of assertions from one address, on purpose,
# and drives one client at full speed: no rate limit.
rateLimits:
  tokenPerClient: {rate: 0}
  tokenPerIP: {rate: 0}
  clientAuthFailures: {maxFailures: 0}
key:
`+indent(fileKey(t, "rsa-openssl3.pfx"), "  ")+`
apiScopes:
  - name: api1
apiResources:
  - name: https://api.example.com
    scopes: [api1]
clients:
  - clientId: app
    secrets:
      - value: `+instSecret+`
    allowedGrantTypes: [client_credentials]
    allowedScopes: [api1]
`+jwtClient.configYAML("    jwks: "+jwtClient.jwks(t)))
	return "signet.yaml"
}

// instStart starts `signet serve args...` without waiting for it to
// listen, so that several start at once; the address is the one after
// --listen. It is killed at the end of the test if it still runs.
func instStart(t *testing.T, bin, dir string, env []string, name string, args ...string) *instNode {
	t.Helper()
	listen := args[slices.Index(args, "--listen")+1]
	s := binStart(t, bin, dir, env, name, args...)
	return &instNode{binServer: s, name: name, base: "http://" + listen}
}

// instMigratedOnce checks that of the instances started together exactly
// one applied each migration, and that schema_migrations records each once.
func instMigratedOnce(t *testing.T, db pgDB, nodes []*instNode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, db.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT name FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(recorded) == 0 || len(slices.Compact(slices.Clone(recorded))) != len(recorded) {
		t.Errorf("schema_migrations records %q; want each migration once", recorded)
	}
	applied := regexp.MustCompile(`msg="applied storage migration" migration=(\S+)`)
	var logged []string
	for _, n := range nodes {
		for _, m := range applied.FindAllStringSubmatch(n.out.String(), -1) {
			logged = append(logged, m[1])
		}
	}
	slices.Sort(logged)
	if want := slices.Sorted(slices.Values(recorded)); !slices.Equal(logged, want) {
		t.Errorf("the three instances applied %q together; want each of %q once", logged, want)
	}
}

// instCrossVerify: every instance publishes the shared key, and a token
// from any instance verifies with the JWKS of any other.
func instCrossVerify(t *testing.T, nodes []*instNode, kid string) {
	ctx := t.Context()
	var first string
	for i, n := range nodes {
		if got := binKids(t, n.base); !slices.Equal(got, []string{kid}) {
			t.Errorf("%s publishes kids %v; want %s alone", n.name, got, kid)
		}
		doc := binGet(t, n.base+"/.well-known/openid-configuration", http.StatusOK)
		var d struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			t.Fatal(err)
		}
		if d.Issuer != instIssuer || d.JWKSURI != instIssuer+"/.well-known/openid-configuration/jwks" {
			t.Errorf("%s: discovery issuer %q, jwks_uri %q; want the shared issuer %s", n.name, d.Issuer, d.JWKSURI, instIssuer)
		}
		if i == 0 {
			first = doc
		} else if doc != first {
			t.Errorf("%s's discovery document differs from instance 0's:\n%s\n%s", n.name, doc, first)
		}
	}
	tokens := make([]string, len(nodes))
	for i, n := range nodes {
		status, body, err := instPost(http.DefaultClient, n.base, instSecretForm(), "app", instSecret)
		if err != nil || status != http.StatusOK {
			t.Fatalf("%s: a token for app: %d %s %v", n.name, status, body, err)
		}
		tokens[i] = instAccessToken(body)
	}
	for j, n := range nodes {
		keys := oidc.NewRemoteKeySet(ctx, n.base+"/.well-known/openid-configuration/jwks")
		v := oidc.NewVerifier(instIssuer, keys, &oidc.Config{ClientID: "https://api.example.com", SupportedSigningAlgs: []string{"RS256"}})
		for i, tok := range tokens {
			t.Run(fmt.Sprintf("token of %d, JWKS of %d", i, j), func(t *testing.T) {
				binVerify(t, v, tok, kid, "app", "api1")
			})
		}
	}
}

// instClient is a client added through the CLI.
type instClient struct{ id, secret string }

// instAddClient adds a client with `signet client add` and measures, from
// the command's exit, how long each instance takes to grant it a token, and
// how many requests each refused (invalid_client) before. A nil node is
// skipped.
func instAddClient(t *testing.T, bin, dir string, env []string, config, id string, nodes []*instNode) (instClient, []time.Duration, []int) {
	t.Helper()
	out := binRun(t, bin, dir, env, "", "client", "add", id, "--scope", "api1", "--config", config)
	c := instClient{id: id, secret: strings.TrimSuffix(out, "\n")}
	if len(c.secret) != 43 {
		t.Fatalf("client add printed %q; want the secret alone", out)
	}
	start := time.Now()
	took := make([]time.Duration, len(nodes))
	refused := make([]int, len(nodes))
	errs := make([]string, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		if n == nil {
			continue
		}
		wg.Go(func() {
			// Past the bound, keep measuring a little: the report says by
			// how much it was missed.
			for deadline := start.Add(instBound + 2*time.Second); ; time.Sleep(5 * time.Millisecond) {
				status, body, err := instPost(http.DefaultClient, n.base, instSecretForm(), c.id, c.secret)
				if err == nil && status == http.StatusOK {
					took[i] = time.Since(start)
					return
				}
				if err == nil && !strings.Contains(string(body), `"invalid_client"`) {
					errs[i] = fmt.Sprintf("%d %s", status, body)
				}
				refused[i]++
				if time.Now().After(deadline) {
					took[i] = -1
					return
				}
			}
		})
	}
	wg.Wait()
	for i, n := range nodes {
		switch {
		case n == nil:
		case errs[i] != "":
			t.Errorf("%s answered the new client %s with %s", n.name, id, errs[i])
		case took[i] < 0:
			t.Errorf("%s: the new client %s gets no token %v after client add exited", n.name, id, instBound+2*time.Second)
		case took[i] > instBound:
			t.Errorf("%s: the new client %s got a token after %v; want within %v", n.name, id, took[i], instBound)
		}
		took[i] = took[i].Round(100 * time.Microsecond)
	}
	return c, took, refused
}

// instResult is one token request of the load.
type instResult struct {
	node       int
	assertion  string // private_key_jwt; "" for client_secret_basic
	start, end time.Time
	status     int
	body       []byte
	err        error
}

// instKillUnderLoad runs token requests from 8 goroutines spread over the
// instances, half of them private_key_jwt (each stores its jti: a
// committed write), SIGKILLs nodes[victim] in the middle, and checks that
// the others answered every request, that every jti granted (by any
// instance, the victim too) is refused as a replay afterwards, and that the
// clients added before still work.
func instKillUnderLoad(t *testing.T, bin, dir string, env []string, config string, nodes []*instNode, victim int, jwtClient *ecClient, added []instClient) {
	const workers = 8
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	var survivors []int
	for i := range nodes {
		if i != victim {
			survivors = append(survivors, i)
		}
	}

	var (
		killed  atomic.Bool
		stop    atomic.Bool
		mu      sync.Mutex
		results []instResult
		wg      sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			var mine []instResult
			defer func() {
				mu.Lock()
				results = append(results, mine...)
				mu.Unlock()
			}()
			for i := 0; !stop.Load(); i++ {
				r := instResult{node: (w + i) % len(nodes), start: time.Now()}
				if r.node == victim && killed.Load() {
					// The load balancer took it out.
					r.node = survivors[i%len(survivors)]
				}
				if (w+i)%2 == 0 {
					r.assertion, r.err = instAssertion(jwtClient, instIssuer+"/connect/token")
					if r.err == nil {
						r.status, r.body, r.err = instPost(client, nodes[r.node].base, assertionForm(r.assertion), "", "")
					}
				} else {
					r.status, r.body, r.err = instPost(client, nodes[r.node].base, instSecretForm(), "app", instSecret)
				}
				r.end = time.Now()
				mine = append(mine, r)
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	killed.Store(true)
	killAt := time.Now()
	if err := nodes[victim].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-nodes[victim].exited:
	case <-time.After(5 * time.Second):
		t.Fatal("the killed instance did not exit within 5 s")
	}
	time.Sleep(1500 * time.Millisecond)
	stop.Store(true)
	wg.Wait()

	// Every request to a survivor succeeded; requests to the victim failed
	// only if in flight at the kill.
	var total, jwts, afterKill, inFlightFailed, inFlightOK int
	var lost []instResult // in flight at the kill, failed, private_key_jwt
	perNode := make([]int, len(nodes))
	var maxLatency time.Duration
	failures := 0
	fail := func(format string, args ...any) {
		t.Helper()
		if failures++; failures <= 10 {
			t.Errorf(format, args...)
		}
	}
	for _, r := range results {
		total++
		perNode[r.node]++
		maxLatency = max(maxLatency, r.end.Sub(r.start))
		if r.assertion != "" {
			jwts++
		}
		ok := r.err == nil && r.status == http.StatusOK
		if r.start.After(killAt) {
			afterKill++
		}
		switch {
		case r.node != victim || r.end.Before(killAt):
			if !ok {
				fail("%s, from %v to %v after the start of the kill: %d %s %v", nodes[r.node].name,
					r.start.Sub(killAt), r.end.Sub(killAt), r.status, r.body, r.err)
			}
		case ok:
			inFlightOK++
		default:
			inFlightFailed++
			if r.err == nil {
				fail("in flight to the killed instance: an HTTP answer %d %s; want a token or a broken connection", r.status, r.body)
			}
			if r.assertion != "" {
				lost = append(lost, r)
			}
		}
	}
	t.Logf("load: %d token requests (%d private_key_jwt) by %d goroutines, per instance %v, %d after the kill; slowest %v",
		total, jwts, workers, perNode, afterKill, maxLatency.Round(time.Millisecond))
	t.Logf("in flight to the killed instance at SIGKILL: %d answered with a token, %d failed (%d of them private_key_jwt)", inFlightOK, inFlightFailed, len(lost))
	if total < 100 || afterKill < 20 {
		t.Errorf("only %d requests, %d after the kill: not load", total, afterKill)
	}

	// Nothing committed was lost: every granted assertion is a replay now,
	// on either survivor.
	var granted []instResult
	for _, r := range results {
		if r.assertion != "" && r.err == nil && r.status == http.StatusOK {
			granted = append(granted, r)
		}
	}
	replays := instEach(granted, workers, func(k int, r instResult) string {
		n := nodes[survivors[k%len(survivors)]]
		status, body, err := instPost(client, n.base, assertionForm(r.assertion), "", "")
		if err != nil || status != http.StatusUnauthorized || !strings.Contains(string(body), "jti was used before") {
			return fmt.Sprintf("%s accepted again an assertion %s granted: %d %s %v", n.name, nodes[r.node].name, status, body, err)
		}
		return ""
	})
	for _, msg := range replays {
		fail("%s", msg)
	}
	var committedUnanswered int
	for _, msg := range instEach(lost, workers, func(k int, r instResult) string {
		status, body, err := instPost(client, nodes[survivors[0]].base, assertionForm(r.assertion), "", "")
		switch {
		case err == nil && status == http.StatusOK:
			return ""
		case err == nil && status == http.StatusUnauthorized && strings.Contains(string(body), "jti was used before"):
			return "committed"
		}
		return fmt.Sprintf("an assertion in flight at the kill, sent again: %d %s %v", status, body, err)
	}) {
		if msg == "committed" {
			committedUnanswered++
		} else {
			fail("%s", msg)
		}
	}
	if failures > 10 {
		t.Errorf("... %d failures in all", failures)
	}
	t.Logf("%d granted assertions all refused as replays after the kill; of the %d in flight that failed, %d had their jti committed", len(granted), len(lost), committedUnanswered)

	// The clients added before the kill work on the survivors, and a client
	// added after it reaches them.
	for _, c := range added {
		for _, i := range survivors {
			if status, body, err := instPost(client, nodes[i].base, instSecretForm(), c.id, c.secret); err != nil || status != http.StatusOK {
				t.Errorf("%s after the kill: client %s: %d %s %v", nodes[i].name, c.id, status, body, err)
			}
		}
	}
	alive := slices.Clone(nodes)
	alive[victim] = nil
	_, took, refused := instAddClient(t, bin, dir, env, config, "after-kill", alive)
	t.Logf("client after-kill: CLI exit to a token on the survivors after %v (%v requests refused first)", took, refused)
	for _, i := range survivors {
		binGet(t, nodes[i].base+"/readyz", http.StatusOK)
	}
}

// instEach runs f on every item with n goroutines and returns the
// non-empty results.
func instEach[T any](items []T, n int, f func(k int, item T) string) []string {
	var (
		mu   sync.Mutex
		out  []string
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range n {
		wg.Go(func() {
			for {
				k := int(next.Add(1) - 1)
				if k >= len(items) {
					return
				}
				if msg := f(k, items[k]); msg != "" {
					mu.Lock()
					out = append(out, msg)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return out
}

func instSecretForm() url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "scope": {"api1"}}
}

// instPost sends a token request (with Basic authentication unless user is
// empty) and returns the status and body; it may run on any goroutine.
func instPost(client *http.Client, base string, form url.Values, user, password string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, base+"/connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(password))
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

func instAccessToken(body []byte) string {
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(body, &tok)
	return tok.AccessToken
}

// instAssertion signs a client assertion with a fresh jti for aud; unlike
// ecClient.assertion it may run on any goroutine.
func instAssertion(c *ecClient, aud string) (string, error) {
	return testsupport.Assertion(jose.ES256, c.key, c.kid, testsupport.AssertionClaims(c.id, aud, time.Now()))
}
