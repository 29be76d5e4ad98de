package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/jwtauth"
)

// Live reload of the key set and the manual rollover, end to end: SIGHUP
// (in process through serveCmd.reload, and the real signal to the built
// binary), credential files replaced under a running server, broken ones,
// and certificates imported into and removed from the store.

// reloadPoll is how often these tests' servers poll their credentials.
const reloadPoll = 100 * time.Millisecond

// reloadBound is how long a credential change may take to be applied: it
// must hold still for a poll, so two polls, plus slack for a loaded
// machine and the race detector.
const reloadBound = 2*reloadPoll + 3*time.Second

const reloadPassword = "a long enough password for the reload tests"

// reloadable is a `signet serve` in process whose SIGHUP a test can send.
type reloadable struct {
	*instance
	reload chan chan<- error
}

// serveReloadable starts signet serve with the configuration file, polling
// its credentials every reloadPoll.
func (h *host) serveReloadable(config string) *reloadable {
	h.t.Helper()
	return h.serveReloadableEvery(config, reloadPoll)
}

func (h *host) serveReloadableEvery(config string, poll time.Duration) *reloadable {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	inst := &instance{t: h.t, logs: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	r := &reloadable{instance: inst, reload: make(chan chan<- error)}
	ready := make(chan string, 1)
	cmd := &serveCmd{config: config, listen: "127.0.0.1:0", ready: ready, reload: r.reload, keyPoll: poll}
	go func() { inst.done <- h.app(inst.logs).serve(ctx, cmd) }()
	select {
	case inst.base = <-ready:
		h.t.Cleanup(func() {
			if err := inst.stop(); err != nil {
				h.t.Errorf("serve returned %v", err)
			}
		})
	case err := <-inst.done:
		cancel()
		h.t.Fatalf("signet serve did not start: %v\nlog:\n%s", err, inst.logs)
	case <-time.After(30 * time.Second):
		cancel()
		h.t.Fatal("signet serve neither listened nor failed within 30 s")
	}
	return r
}

// hup reloads as SIGHUP does and returns the outcome.
func (r *reloadable) hup() error {
	r.t.Helper()
	done := make(chan error, 1)
	r.reload <- done
	return <-done
}

// credential makes a password-protected PFX with the CLI, as an operator
// would, and returns its path and thumbprint (the kid).
func (h *host) credential(name string, args ...string) (pfx, kid string) {
	h.t.Helper()
	pw := h.write("pw.txt", reloadPassword+"\n")
	pfx = h.path(name + ".pfx")
	h.cliOn(append([]string{"cert", "create", "--subject", "CN=" + name, "--key", "ec:P-256", "--out", pfx, "--password-file", pw}, args...)...)
	c, err := certs.ReadFile(pfx, certs.StaticPassword(reloadPassword))
	if err != nil {
		h.t.Fatal(err)
	}
	return pfx, certs.Thumbprint(c.Certificates[0])
}

func reloadFileKey(path string) string {
	return fmt.Sprintf("type: File\nfilePath: %s\npassword: %s\n", path, reloadPassword)
}

// reloadValidation is a validationKeys section of File keys.
func reloadValidation(paths ...string) string {
	if len(paths) == 0 {
		return ""
	}
	s := "validationKeys:\n"
	for _, p := range paths {
		s += "  - " + strings.ReplaceAll(strings.TrimSpace(reloadFileKey(p)), "\n", "\n    ") + "\n"
	}
	return s
}

// copyFile replaces dst with src's contents the way a deployment does: a
// new file renamed over the old one.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeAtomically(t, dst, data)
}

func writeAtomically(t *testing.T, dst string, data []byte) {
	t.Helper()
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

// tokenFrom gets an access token from base with the test client, and
// returns the status and the token.
func tokenFrom(client *http.Client, base string) (int, string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api1"}}
	req, err := http.NewRequest(http.MethodPost, base+"/connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape("app"), url.QueryEscape(appSecret))
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.AccessToken, err
}

// signedBy gets a token from base and returns its kid.
func signedBy(t *testing.T, base string) (token, kid string) {
	t.Helper()
	status, tok, err := tokenFrom(http.DefaultClient, base)
	if err != nil || status != http.StatusOK {
		t.Fatalf("token request: %d %v", status, err)
	}
	return tok, kidOf(t, tok)
}

func kidOf(t *testing.T, token string) string {
	t.Helper()
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.ES384, jose.ES512})
	if err != nil {
		t.Fatal(err)
	}
	return parsed.Headers[0].KeyID
}

// publishedKids fetches the JWKS's kids, sorted.
func publishedKids(t *testing.T, base string) []string {
	t.Helper()
	out := binKids(t, base)
	slices.Sort(out)
	return out
}

// validate checks a token as an API with jwtauth does, with keys fetched
// now.
func validate(t *testing.T, base, token string) error {
	t.Helper()
	v, err := jwtauth.New(t.Context(), jwtauth.Options{Issuer: base, Audience: "https://api.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	_, err = v.Validate(t.Context(), token)
	return err
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// load runs token requests on workers goroutines until stop, and counts
// those that fail.
type load struct {
	stop     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	ok       int
	failures []string
}

func startLoad(base string, workers int) *load {
	l := &load{stop: make(chan struct{})}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	for range workers {
		l.wg.Go(func() {
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				status, tok, err := tokenFrom(client, base)
				l.mu.Lock()
				if err != nil || status != http.StatusOK || tok == "" {
					l.failures = append(l.failures, fmt.Sprintf("status %d, error %v", status, err))
				} else {
					l.ok++
				}
				l.mu.Unlock()
			}
		})
	}
	return l
}

// count is how many token requests have succeeded so far.
func (l *load) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ok
}

// waitFor waits until n token requests have succeeded in all.
func (l *load) waitFor(t *testing.T, n int) {
	t.Helper()
	within(t, 30*time.Second, fmt.Sprintf("%d token requests made", n), func() bool { return l.count() >= n })
}

func (l *load) finish(t *testing.T) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	if len(l.failures) > 0 {
		t.Errorf("%d of %d token requests failed during the reload: %v", len(l.failures), len(l.failures)+l.ok, l.failures[:min(5, len(l.failures))])
	}
	if l.ok == 0 {
		t.Error("no token request was made during the reload")
	}
	t.Logf("%d token requests during the reload, all 200", l.ok)
}

func countLines(logs, msg string) int {
	return strings.Count(logs, `msg="`+msg) + strings.Count(logs, "msg="+msg)
}

// TestReloadOnSignal: SIGHUP reads the configuration file again and applies
// the key section; a second SIGHUP with nothing changed says so; a
// configuration with problems, or a key type change, leaves the keys in
// place; changes to other sections are named as taking a restart.
func TestReloadOnSignal(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	a, kidA := h.credential("signal-a")
	b, kidB := h.credential("signal-b")
	cfg := h.config(reloadFileKey(a), "")
	srv := h.serveReloadable(cfg)
	if _, kid := signedBy(t, srv.base); kid != kidA {
		t.Fatalf("signs with %s; want A %s", kid, kidA)
	}

	h.config(reloadFileKey(b), "")
	if err := srv.hup(); err != nil {
		t.Fatalf("reload: %v\nlog:\n%s", err, srv.logs)
	}
	if _, kid := signedBy(t, srv.base); kid != kidB {
		t.Errorf("after SIGHUP, signs with %s; want B %s", kid, kidB)
	}
	if got := publishedKids(t, srv.base); !slices.Equal(got, []string{kidB}) {
		t.Errorf("JWKS %v; want B only", got)
	}
	contains(t, "log", srv.logs.String(), `msg="keys reloaded" trigger=SIGHUP signer=`+kidB+" signer_was="+kidA+" added=["+kidB+"] removed=["+kidA+"]")

	if err := srv.hup(); err != nil {
		t.Fatal(err)
	}
	contains(t, "log", srv.logs.String(), `msg="keys reloaded: no change" trigger=SIGHUP signer=`+kidB)

	for _, tc := range []struct {
		name, key, extra, log string
	}{
		{"missing validation key file", reloadFileKey(a), reloadValidation(h.path("nowhere.pfx")), "nowhere.pfx does not exist"},
		{"configuration problem", reloadFileKey(a), "clients:\n  - clientId: app\n", "has problems"},
		{"key type change", "type: Development\n", "", "key.type changed from File to Development: that takes a restart"},
	} {
		h.config(tc.key, tc.extra)
		if err := srv.hup(); err == nil {
			t.Errorf("%s: reload succeeded", tc.name)
		}
		if _, kid := signedBy(t, srv.base); kid != kidB {
			t.Errorf("%s: after a failed reload, signs with %s; want B %s still", tc.name, kid, kidB)
		}
		contains(t, tc.name+" log", srv.logs.String(), `msg="keys not reloaded: the keys in use stay in place" trigger=SIGHUP`, tc.log)
	}

	h.config(reloadFileKey(b), "accessTokenJwtType: JWT\n")
	if err := srv.hup(); err != nil {
		t.Fatal(err)
	}
	contains(t, "log", srv.logs.String(), `the other changes to the configuration take effect at the next restart" sections=[accessTokenJwtType]`)
}

// TestReloadCredentialFileReplaced: a new file put in place of the signing
// credential signs within the poll bound, with no signal, and no token
// request fails meanwhile; the same contents written again are no change.
func TestReloadCredentialFileReplaced(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	a, kidA := h.credential("replaced-a")
	b, kidB := h.credential("replaced-b")
	v1, kidV1 := h.credential("replaced-v1")
	v2, kidV2 := h.credential("replaced-v2")
	signingFile, validationFile := h.path("signing.pfx"), h.path("validation.pfx")
	copyFile(t, a, signingFile)
	copyFile(t, v1, validationFile)
	srv := h.serveReloadable(h.config(reloadFileKey(signingFile), reloadValidation(validationFile)))
	if _, kid := signedBy(t, srv.base); kid != kidA {
		t.Fatalf("signs with %s; want A %s", kid, kidA)
	}

	// Token requests before, during and after the swap.
	l := startLoad(srv.base, 4)
	l.waitFor(t, 8)
	copyFile(t, b, signingFile)
	took := within(t, reloadBound, "the replaced file signs", func() bool {
		_, kid := signedBy(t, srv.base)
		return kid == kidB
	})
	l.waitFor(t, l.count()+8)
	l.finish(t)
	t.Logf("reload latency with a %v poll: %v (bound: 1 to 2 polls)", reloadPoll, took.Round(time.Millisecond))
	if took < reloadPoll {
		t.Errorf("applied after %v, before it held still for a poll (%v)", took, reloadPoll)
	}
	if got := publishedKids(t, srv.base); !slices.Equal(got, sorted(kidB, kidV1)) {
		t.Errorf("JWKS %v; want B and the validation key", got)
	}
	loggedSoon(t, srv.logs, `msg="keys reloaded" trigger="changed `+signingFile+`" signer=`+kidB+" signer_was="+kidA)

	// Touched, or written again with the same contents: nothing to do.
	// The validation key replaced next is then the next reload, and the
	// only one, naming its file alone: a touch taken for a change would
	// make a reload of its own, or be named with it.
	before := countLines(srv.logs.String(), "keys reloaded")
	copyFile(t, b, signingFile)
	now := time.Now()
	if err := os.Chtimes(signingFile, now, now); err != nil {
		t.Fatal(err)
	}
	copyFile(t, v2, validationFile)
	within(t, reloadBound, "the new validation key published", func() bool {
		return slices.Equal(publishedKids(t, srv.base), sorted(kidB, kidV2))
	})
	loggedSoon(t, srv.logs, `msg="keys reloaded" trigger="changed `+validationFile+`" signer=`+kidB)
	if after := countLines(srv.logs.String(), "keys reloaded"); after != before+1 {
		t.Errorf("%d reloads for the signing file written again and the validation key replaced; want 1 (the validation key's)\n%s", after-before, srv.logs)
	}
}

// TestReloadBrokenCredential: a new credential that does not load (garbage,
// the wrong password, a half-written file) leaves the old key signing and
// is reported once, not at every poll; fixed, it is applied.
func TestReloadBrokenCredential(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	a, kidA := h.credential("broken-a")
	b, kidB := h.credential("broken-b")
	v1, kidV1 := h.credential("broken-v1")
	v2, _ := h.credential("broken-v2")
	dataB, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	otherPassword := h.path("other-password.pfx")
	h.cliOn("cert", "create", "--subject", "CN=other-password", "--key", "ec:P-256", "--out", otherPassword,
		"--password-file", h.write("other-pw.txt", "not the configured password at all\n"))

	tests := []struct {
		name  string
		write func(t *testing.T, path string)
		log   string
	}{
		{"garbage", func(t *testing.T, path string) { writeAtomically(t, path, []byte("not a certificate\n")) }, "signing.pfx"},
		{"wrong password", func(t *testing.T, path string) { copyFile(t, otherPassword, path) }, "wrong password"},
		{"half written", func(t *testing.T, path string) { writeAtomically(t, path, dataB[:len(dataB)/2]) }, "signing.pfx"},
		{"removed", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}, "signing.pfx does not exist"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHost(t)
			signingFile, validationFile := h.path("signing.pfx"), h.path("validation.pfx")
			copyFile(t, a, signingFile)
			copyFile(t, v1, validationFile)
			srv := h.serveReloadable(h.config(reloadFileKey(signingFile), reloadValidation(validationFile)))
			failures := func() int { return countLines(srv.logs.String(), "keys not reloaded") }

			tc.write(t, signingFile)
			within(t, reloadBound, "the failure logged", func() bool { return failures() > 0 })
			contains(t, "log", srv.logs.String(), `msg="keys not reloaded: the keys in use stay in place" trigger="changed `+signingFile+`"`, tc.log)
			if _, kid := signedBy(t, srv.base); kid != kidA {
				t.Errorf("signs with %s; want A %s still", kid, kidA)
			}
			if got := publishedKids(t, srv.base); !slices.Equal(got, sorted(kidA, kidV1)) {
				t.Errorf("JWKS %v; want A and the validation key still", got)
			}

			// The broken file is not tried again at the next polls: the
			// validation key replaced next is the next try (which fails
			// too, the signing file being broken still), and the only
			// one, naming its file alone. Had the broken file been tried
			// again, there would be a try of its own, or it would be
			// named with the validation key.
			copyFile(t, v2, validationFile)
			within(t, reloadBound, "the validation key's change tried", func() bool { return failures() >= 2 })
			contains(t, "log", srv.logs.String(), `msg="keys not reloaded: the keys in use stay in place" trigger="changed `+validationFile+`"`)
			if n := failures(); n != 2 {
				t.Errorf("%d failures logged; want 2 (the broken file's, then the validation key's)\n%s", n, srv.logs)
			}

			copyFile(t, b, signingFile)
			within(t, reloadBound, "the fixed file signs", func() bool {
				_, kid := signedBy(t, srv.base)
				return kid == kidB
			})
		})
	}
}

// TestReloadWaitsForWritesToFinish: a credential file written in place,
// slowly (a copy over a network share, an editor), is loaded once it holds
// still: its partial states are never loaded, so no error is logged.
func TestReloadWaitsForWritesToFinish(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	a, kidA := h.credential("slow-a")
	b, kidB := h.credential("slow-b")
	data, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	signingFile := h.path("signing.pfx")
	copyFile(t, a, signingFile)
	// A poll much longer than the pauses between writes: the test must
	// not depend on the writer being scheduled to the millisecond.
	const poll = 300 * time.Millisecond
	srv := h.serveReloadableEvery(h.config(reloadFileKey(signingFile), ""), poll)

	f, err := os.OpenFile(signingFile, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	const chunks = 20
	for i := range chunks {
		if _, err := f.Write(data[i*len(data)/chunks : (i+1)*len(data)/chunks]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(poll / 10)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, kid := signedBy(t, srv.base); kid != kidA && kid != kidB {
		t.Errorf("signs with %s", kid)
	}
	within(t, 2*poll+3*time.Second, "the written file signs", func() bool {
		_, kid := signedBy(t, srv.base)
		return kid == kidB
	})
	if n := countLines(srv.logs.String(), "keys not reloaded"); n != 0 {
		t.Errorf("a partial file was loaded: %d failures logged\n%s", n, srv.logs)
	}
}

// rolloverServer is a running signet serve whose SIGHUP a rollover sends.
type rolloverServer struct {
	base string
	logs *syncBuffer
	hup  func()
}

// testRollover walks the documented rollover of a File credential, A to
// B, through the configuration file and SIGHUP, checking what clients and
// APIs see at each step.
func testRollover(t *testing.T, h *host, start func(config string) rolloverServer) {
	a, kidA := h.credential("rollover-a")
	b, kidB := h.credential("rollover-b")
	srv := start(h.config(reloadFileKey(a), ""))
	tokA, kid := signedBy(t, srv.base)
	if kid != kidA {
		t.Fatalf("signs with %s; want A %s", kid, kidA)
	}

	// 1. B is added as a validation key: published, A signs.
	h.config(reloadFileKey(a), reloadValidation(b))
	srv.hup()
	if got := publishedKids(t, srv.base); !slices.Equal(got, sorted(kidA, kidB)) {
		t.Errorf("step 1: JWKS %v; want A and B", got)
	}
	if _, kid := signedBy(t, srv.base); kid != kidA {
		t.Errorf("step 1: signs with %s; want A %s", kid, kidA)
	}

	// 2. After the caches' time: B signs, A is a validation key.
	h.config(reloadFileKey(b), reloadValidation(a))
	srv.hup()
	tokB, kid := signedBy(t, srv.base)
	if kid != kidB {
		t.Errorf("step 2: signs with %s; want B %s", kid, kidB)
	}
	if got := publishedKids(t, srv.base); !slices.Equal(got, sorted(kidA, kidB)) {
		t.Errorf("step 2: JWKS %v; want A and B", got)
	}
	for name, tok := range map[string]string{"A's token from before the swap": tokA, "B's token": tokB} {
		if err := validate(t, srv.base, tok); err != nil {
			t.Errorf("step 2: %s does not validate: %v", name, err)
		}
	}

	// 3. After A's tokens have expired: A is removed.
	h.config(reloadFileKey(b), "")
	srv.hup()
	if got := publishedKids(t, srv.base); !slices.Equal(got, []string{kidB}) {
		t.Errorf("step 3: JWKS %v; want B only", got)
	}
	if err := validate(t, srv.base, tokA); !errors.Is(err, jwtauth.ErrUnknownKey) {
		t.Errorf("step 3: A's token: %v; want an unknown key", err)
	}
	if err := validate(t, srv.base, tokB); err != nil {
		t.Errorf("step 3: B's token does not validate: %v", err)
	}
	logs := srv.logs.String()
	if n := countLines(logs, "keys reloaded"); n != 3 {
		t.Errorf("%d reloads logged; want 3:\n%s", n, logs)
	}
	contains(t, "log", logs,
		"added=["+kidB+`] published="[`+kidA+" "+kidB+`]"`,
		"signer="+kidB+" signer_was="+kidA+` published="[`+kidB+" "+kidA+`]"`,
		"signer="+kidB+" removed=["+kidA+"] published=["+kidB+"]")
}

// TestRolloverFile: the rollover, with the SIGHUP of the tests' channel.
func TestRolloverFile(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	testRollover(t, h, func(config string) rolloverServer {
		srv := h.serveReloadable(config)
		return rolloverServer{base: srv.base, logs: srv.logs, hup: func() {
			if err := srv.hup(); err != nil {
				t.Fatalf("reload: %v\nlog:\n%s", err, srv.logs)
			}
		}}
	})
}

// TestRolloverBinarySIGHUP: the rollover with the built binary and the
// real signal.
func TestRolloverBinarySIGHUP(t *testing.T) {
	t.Parallel()
	bin := builtBinary(t)
	h := newHost(t)
	env := append(binEnv(h.dir), "APP_SECRET="+appSecret)
	reloaded := regexp.MustCompile(`msg="keys (reloaded|not reloaded)`)
	testRollover(t, h, func(config string) rolloverServer {
		srv := binServe(t, bin, h.dir, env, "--config", config, "--listen", "127.0.0.1:0")
		t.Cleanup(srv.stop)
		return rolloverServer{base: srv.url, logs: &srv.out, hup: func() {
			t.Helper()
			before := len(reloaded.FindAllString(srv.out.String(), -1))
			if err := srv.cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			within(t, 15*time.Second, "SIGHUP applied", func() bool {
				return len(reloaded.FindAllString(srv.out.String(), -1)) > before
			})
			if strings.Contains(srv.out.String(), "keys not reloaded") {
				t.Fatalf("reload failed:\n%s", srv.out.String())
			}
		}}
	})
}

// TestReloadStoreBySubject: a Store key by subject picks up a certificate
// imported with signet store import, and the removal of the old one,
// without a signal: the successor is published at once, signs when the old
// one is gone (or expires), and no request fails meanwhile.
func TestReloadStoreBySubject(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	now := time.Now()
	credA := importCert(t, h.store(), "CN=store-rollover", now.Add(-time.Hour), now.AddDate(1, 0, 0))
	kidA := certs.Thumbprint(credA.Certificate)
	srv := h.serveReloadable(h.config("type: Store\nstoreLocation: CurrentUser\nstoreName: My\nname: CN=store-rollover\n", ""))
	if _, kid := signedBy(t, srv.base); kid != kidA {
		t.Fatalf("signs with %s; want A %s", kid, kidA)
	}
	l := startLoad(srv.base, 2)

	// The successor, valid longer: published at once, A signs until it
	// expires.
	b, kidB := h.credential("store-rollover", "--not-after", now.AddDate(2, 0, 0).UTC().Format(time.RFC3339))
	h.cliOn("store", "import", b, "--password-file", h.path("pw.txt"))
	took := within(t, reloadBound, "the imported certificate published", func() bool {
		return slices.Equal(publishedKids(t, srv.base), sorted(kidA, kidB))
	})
	t.Logf("store import to JWKS: %v", took.Round(time.Millisecond))
	if _, kid := signedBy(t, srv.base); kid != kidA {
		t.Errorf("signs with %s; want A %s until it expires", kid, kidA)
	}

	// A removed from the store: B signs, A is no longer published.
	h.cliOn("store", "remove", kidA, "--yes")
	within(t, reloadBound, "the remaining certificate signs", func() bool {
		_, kid := signedBy(t, srv.base)
		return kid == kidB
	})
	l.finish(t)
	if got := publishedKids(t, srv.base); !slices.Equal(got, []string{kidB}) {
		t.Errorf("JWKS %v; want B only", got)
	}
	store := filepath.Join(h.env["SIGNET_CERT_STORE"], "CurrentUser", "My")
	loggedSoon(t, srv.logs,
		`msg="keys reloaded" trigger="changed `+store+`" signer=`+kidA+" added=["+kidB+"]",
		`msg="keys reloaded" trigger="changed `+store+`" signer=`+kidB+" signer_was="+kidA+" removed=["+kidA+"]")
}

// loggedSoon waits for each of wants in the server's log: a reload found by
// polling swaps the keys a moment before it logs its summary, so a test
// that has seen the new key may read the log a moment too early.
func loggedSoon(t *testing.T, logs interface{ String() string }, wants ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, w := range wants {
		for !strings.Contains(logs.String(), w) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	contains(t, "log", logs.String(), wants...)
}
