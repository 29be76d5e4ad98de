package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The soak (issue 17): `go run ./bench/load soak` runs one signet serve on
// PostgreSQL (a database of its own, made afresh) with a Managed key, and
// drives it for -d at concurrency -c with a mix of requests: client
// credentials (JWT and reference access tokens), JWKS, discovery, and
// authorization code exchanges with PKCE that get refresh tokens. Meanwhile
// it stops and starts PostgreSQL (-restarts times, the database away for
// -db-down each time) and rotates the key once with signet keys rotate
// --now. It records every response (status, Retry-After, whether the
// database was away), every refresh and reference token issued, a sample
// of the JWT access tokens, and the server's RSS, threads and goroutines;
// after the load and a settle period it introspects every recorded token,
// and holds the run to the criteria (soakcheck.go). Exit status 1
// when one fails.

const soakUsage = `Usage: go run ./bench/load soak [flags]

Soak test (issue 17): builds ./cmd/signet, makes a PostgreSQL database of its
own (-db, dropped and created again), starts signet serve on it with a
Managed key, and drives it at concurrency -c for -d with a mix of
client_credentials (JWT and reference tokens), JWKS, discovery and
authorization code + PKCE exchanges that get refresh tokens. During the run
it stops PostgreSQL and starts it again -restarts times (-db-stop, -db-down,
-db-start; by default pg_ctlcluster for the cluster on the DSN's port, which
needs root or the postgres user) and rotates the key once (signet keys rotate
--now). Then it stops the load, lets the server settle, and introspects every
refresh and reference token issued, and a sample of the access tokens.

Criteria: every kind of request succeeded; zero 500s; every failed request a
503 with Retry-After while the database was away (or within -grace after it
came back); the restarts and rotation ran, tokens of both keys validate;
goroutines (when the server has metrics.listen) and RSS back near their
baseline after -settle; every refresh and reference token still active.

Other sessions on the same PostgreSQL server are cut by each restart: warn
the people who use it.

Examples:
  go run ./bench/load soak                                  # 10 minutes, 2 restarts
  go run ./bench/load soak -d 1m -restarts 1 -settle 20s    # a short run
  go run ./bench/load soak -restarts 0 -d 30s               # no restart, no root needed
  go run ./bench/load soak -json soak.json

Exit codes: 0 every criterion met, 1 one failed (or the run could not be
made), 2 wrong usage.

Flags:
`

type soakOptions struct {
	dur, down, grace, warmup, settle, timeout time.Duration
	conc, restarts, jwtSample                 int
	rotate, metrics, keep                     bool
	dsn, db, stopCmd, startCmd                string
	alg, jsonFile, extraFile, bin             string
	mix                                       []mixPart
	limits                                    soakLimits
	command                                   string
}

// A mixPart is one class of the load and its share of the workers.
type mixPart struct {
	class  string
	weight int
}

// soakClasses are the classes a mix may name.
var soakClasses = []string{"token", "reftoken", "jwks", "discovery", "authcode"}

// parseMix reads "token=3,jwks=2,...": classes and positive weights.
func parseMix(s string) ([]mixPart, error) {
	var parts []mixPart
	seen := map[string]bool{}
	for item := range strings.SplitSeq(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(item), "=")
		n, err := strconv.Atoi(w)
		if !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("-mix: %q is not class=weight", item)
		}
		if !contains(soakClasses, name) {
			return nil, fmt.Errorf("-mix: unknown class %q (%s)", name, strings.Join(soakClasses, ", "))
		}
		if seen[name] {
			return nil, fmt.Errorf("-mix: %s twice", name)
		}
		seen[name] = true
		if n > 0 {
			parts = append(parts, mixPart{name, n})
		}
	}
	if len(parts) == 0 {
		return nil, errors.New("-mix: no class with a weight above 0")
	}
	return parts, nil
}

// assign gives each of conc workers a class, in proportion to the
// weights, each class at least one worker (the first conc classes one each
// when there are more classes than workers).
func assign(mix []mixPart, conc int) []string {
	if conc < len(mix) {
		mix = mix[:conc]
	}
	total := 0
	for _, p := range mix {
		total += p.weight
	}
	counts := make([]int, len(mix))
	given := 0
	for i, p := range mix {
		counts[i] = max(conc*p.weight/total, 1)
		given += counts[i]
	}
	// The rounding: the rest to the classes in turn, or back from the
	// largest.
	for i := 0; given < conc; i = (i + 1) % len(mix) {
		counts[i]++
		given++
	}
	for given > conc {
		i := 0
		for j := range counts {
			if counts[j] > counts[i] {
				i = j
			}
		}
		counts[i]--
		given--
	}
	var out []string
	for i, p := range mix {
		for range counts[i] {
			out = append(out, p.class)
		}
	}
	return out
}

func soakCLI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("load soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, soakUsage); fs.PrintDefaults() }
	var o soakOptions
	fs.DurationVar(&o.dur, "d", 10*time.Minute, "how long the load runs")
	fs.IntVar(&o.conc, "c", 256, "concurrency: workers, each one keep-alive connection")
	mix := fs.String("mix", "token=3,reftoken=2,jwks=2,discovery=1,authcode=4", "classes and their share of the workers: token (client_credentials, JWT), reftoken (client_credentials, reference token), jwks, discovery, authcode (authorize with a session, then the code exchange with PKCE and offline_access: a refresh token)")
	fs.StringVar(&o.dsn, "postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL `DSN` of a database to create -db from (the server gets the same DSN with -db)")
	fs.StringVar(&o.db, "db", "signet_soak", "the soak's database, dropped and created again at the start")
	fs.IntVar(&o.restarts, "restarts", 2, "PostgreSQL restarts during the run")
	fs.DurationVar(&o.down, "db-down", time.Second, "how long PostgreSQL stays stopped at each restart, after its stop command returns (stopping and starting take a few seconds more: the database is away about 5 s with pg_ctlcluster here)")
	fs.StringVar(&o.stopCmd, "db-stop", "", "shell `command` that stops PostgreSQL (default: pg_ctlcluster VERSION NAME stop -m fast, for the cluster on the DSN's port)")
	fs.StringVar(&o.startCmd, "db-start", "", "shell `command` that starts PostgreSQL again (default: pg_ctlcluster VERSION NAME start)")
	fs.DurationVar(&o.grace, "grace", 10*time.Second, "a 503 up to this long after PostgreSQL is back still counts as during the outage (the pool reconnects)")
	fs.BoolVar(&o.rotate, "rotate", true, "rotate the key once during the run (signet keys rotate --now)")
	fs.DurationVar(&o.warmup, "warmup", 15*time.Second, "load before the baseline is measured (not counted), after the sign-ins")
	fs.DurationVar(&o.settle, "settle", time.Minute, "after the load, wait this long before the resources are compared with the baseline")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "a request without an answer in this long fails (a transport error)")
	fs.StringVar(&o.alg, "alg", "ES256", "the Managed key's algorithm: ES256 or RS256 (RS256 costs 30 times the CPU per token)")
	fs.IntVar(&o.jwtSample, "jwt-sample", 50, "keep every Nth JWT access token of each worker, to introspect at the end")
	fs.BoolVar(&o.metrics, "metrics", true, "give the server metrics.listen, when its configuration has it, and scrape go_goroutines")
	fs.StringVar(&o.extraFile, "config-extra", "", "YAML `FILE` appended to the generated configuration (e.g. a rateLimits section); its sections replace the soak's own rateLimits")
	fs.IntVar(&o.limits.goroutineSlack, "goroutine-slack", 10, "goroutines after the settle may exceed the baseline by this many")
	fs.Float64Var(&o.limits.rssFactor, "rss-factor", 1.5, "RSS after the settle may be this many times the baseline ...")
	rssSlack := fs.Int("rss-slack", 24, "... or the baseline and this many MiB, whichever is more")
	fs.StringVar(&o.jsonFile, "json", "", "also write the summary as JSON to `FILE` (- for stdout, instead of the text)")
	fs.StringVar(&o.bin, "signet", "", "use the signet binary `FILE` instead of building ./cmd/signet")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (configuration, server log)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	o.limits.rssSlack = int64(*rssSlack) << 20
	o.command = strings.TrimSpace("go run ./bench/load soak " + strings.Join(args, " "))
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	var err error
	if o.mix, err = parseMix(*mix); err != nil {
		problems = append(problems, err.Error())
	}
	o.alg = strings.ToUpper(o.alg)
	if o.alg != "ES256" && o.alg != "RS256" {
		problems = append(problems, fmt.Sprintf("-alg %q: ES256 or RS256", o.alg))
	}
	if o.dur <= 0 || o.conc < 1 || o.restarts < 0 || o.down < 0 || o.grace < 0 || o.settle < 0 || o.warmup < 0 || o.timeout <= 0 || o.jwtSample < 1 {
		problems = append(problems, "-d, -c, -timeout and -jwt-sample must be positive; -restarts, -db-down, -grace, -warmup and -settle not negative")
	}
	if (o.stopCmd == "") != (o.startCmd == "") {
		problems = append(problems, "-db-stop and -db-start go together")
	}
	if !validDBName(o.db) {
		problems = append(problems, fmt.Sprintf("-db %q: letters, digits and _ only", o.db))
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, "soak:", p)
		}
		return 2
	}
	if o.restarts > 0 && o.stopCmd == "" {
		if o.stopCmd, o.startCmd, err = clusterCommands(ctx, o.dsn); err != nil {
			fmt.Fprintln(stderr, "soak:", err)
			return 2
		}
	}

	sum, err := soak(ctx, o, stderr)
	if sum != nil {
		if o.jsonFile == "-" {
			_ = sum.writeJSON(stdout)
		} else {
			sum.text(stdout)
		}
		if o.jsonFile != "" && o.jsonFile != "-" {
			var b bytes.Buffer
			_ = sum.writeJSON(&b)
			if err := os.WriteFile(o.jsonFile, b.Bytes(), 0o644); err != nil {
				fmt.Fprintln(stderr, "soak:", err)
				return 1
			}
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "soak:", err)
		return 1
	}
	if !sum.Passed {
		return 1
	}
	return 0
}

// soakState is what the workers share during the run.
type soakState struct {
	start  time.Time
	outage atomic.Bool // the database is away (or within the grace after)

	mu       sync.Mutex
	current  *event // the restart under way or last done
	awaitOK  atomic.Bool
	refresh  []string
	refs     []string
	jwts     []string
	kids     map[string]int
	stopping atomic.Bool
}

func (s *soakState) since() time.Duration { return time.Since(s.start) }

// saw503 attributes a 503 during an outage to its restart.
func (s *soakState) saw503() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.current; e != nil {
		at := s.since() - e.Start
		e.Unavailable++
		if !e.firstSeen503 {
			e.First503, e.firstSeen503 = at, true
		}
		e.Last503 = at
	}
}

// sawDBOK notes the first success of a request that needs the database
// after a restart's end.
func (s *soakState) sawDBOK() {
	if !s.awaitOK.Load() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.current; e != nil && e.End > 0 && !e.firstOKSeenAt {
		e.FirstOKAfter, e.firstOKSeenAt = s.since()-e.End, true
		s.awaitOK.Store(false)
	}
}

// recorder is a worker's flowClient: it sends through its connection and
// classifies every response into the worker's steps.
type recorder struct {
	flowClient
	s     *soakState
	class string
	steps map[string]*stepStats
	last  int // status of the last response (0: none)
	on    bool
}

// stepOf names a request of class by what it is, with the status it
// wants, and whether it needs the database.
func stepOf(class, method, path string) (name string, want int, db bool) {
	p, _, _ := strings.Cut(path, "?")
	switch {
	case class == "token":
		return "client_credentials", 200, false
	case class == "reftoken":
		return "client_credentials (reference)", 200, true
	case class == "jwks":
		return "jwks", 200, false
	case class == "discovery":
		return "discovery", 200, false
	case p == "/connect/authorize":
		return "authorize (session)", 302, true
	case p == "/connect/token":
		return "authorization_code", 200, true
	case p == loginPath && method == "GET":
		return "sign-in: login page", 200, true
	case p == loginPath:
		return "sign-in: login form", 303, true
	default:
		return "sign-in: " + p, 302, true
	}
}

func (r *recorder) roundTrip(method, path string, header []string, body []byte) (*flowResp, error) {
	if !r.on {
		return r.flowClient.roundTrip(method, path, header, body)
	}
	name, want, db := stepOf(r.class, method, path)
	in0 := r.s.outage.Load()
	t0 := time.Now()
	resp, err := r.flowClient.roundTrip(method, path, header, body)
	took := time.Since(t0)
	in := in0 || r.s.outage.Load()
	status, retry, label := 0, "", ""
	if resp != nil {
		status, retry = resp.status, resp.retryAfter
		if name == "authorize (session)" {
			status, label = redirectStatus(resp.status, resp.location)
		}
	}
	r.last = status
	o := classify(want, status, retry, in, err)
	if label != "" && o == outcomeNoRetryAfter && in {
		// A redirect cannot carry a 503: temporarily_unavailable is
		// what OAuth gives the client instead (RFC 6749 4.1.2.1).
		o = outcomeUnavailable
	} else if label != "" && o == outcomeNoRetryAfter {
		o = outcomeUnavailableOutside
	}
	st := r.steps[name]
	if st == nil {
		st = newStepStats(want)
		r.steps[name] = st
	}
	st.record(o, cmp.Or(label, strconv.Itoa(status)), took, func() string {
		at := r.s.since().Round(time.Millisecond)
		if err != nil {
			return fmt.Sprintf("at %v: %s %s: %v", at, method, p(path), err)
		}
		return fmt.Sprintf("at %v: %s %s: %d%s (Retry-After %q): %.200s", at, method, p(path), resp.status, prefixed(" ", label), retry, bytes.TrimSpace(resp.body))
	})
	switch {
	case o == outcomeUnavailable:
		r.s.saw503()
	case o == outcomeOK && db:
		r.s.sawDBOK()
	}
	return resp, err
}

// redirectStatus is the status an authorization response stands for: a
// redirect to the client with error=temporarily_unavailable stands for a
// 503 (labelled), with server_error for a 500, with another error for a
// 400; anything else is itself.
func redirectStatus(status int, location string) (int, string) {
	if status != 302 || !strings.HasPrefix(location, signInRedirect+"?") {
		return status, ""
	}
	u, err := url.Parse(location)
	if err != nil {
		return status, ""
	}
	switch e := u.Query().Get("error"); e {
	case "":
		return status, ""
	case "temporarily_unavailable":
		return 503, "302 error=" + e
	case "server_error":
		return 500, "302 error=" + e
	default:
		return 400, "302 error=" + e
	}
}

// p is a path without its query (which holds PKCE challenges and states).
func p(path string) string {
	q, _, _ := strings.Cut(path, "?")
	return q
}

// soakWorker is one worker's loop state.
type soakWorker struct {
	rec   *recorder
	class string
	basic string // the machine client's Authorization line
	n     int
	// ex is the authcode class's signed-in browser; flow makes another
	// when its session is lost.
	ex     doer
	flow   authcodeFlow
	idx    int
	flows  flowJSON
	sample int // keep every sample-th JWT (-jwt-sample)
}

// tokenBody is the part of a token response the soak reads.
type tokenBody struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// once sends one request (one exchange, for authcode) of the worker's
// class.
func (w *soakWorker) once(ctx context.Context) {
	s := w.rec.s
	switch w.class {
	case "jwks":
		_, _ = w.rec.roundTrip("GET", "/.well-known/openid-configuration/jwks", nil, nil)
	case "discovery":
		_, _ = w.rec.roundTrip("GET", "/.well-known/openid-configuration", nil, nil)
	case "token", "reftoken":
		resp, err := w.rec.roundTrip("POST", "/connect/token", []string{w.basic, formHeader}, []byte("grant_type=client_credentials"))
		if err != nil || resp.status != 200 {
			return
		}
		w.n++
		if w.class == "token" && w.n%w.sample != 0 {
			return
		}
		var tb tokenBody
		if json.Unmarshal(resp.body, &tb) != nil || tb.AccessToken == "" {
			return
		}
		s.mu.Lock()
		if w.class == "reftoken" {
			s.refs = append(s.refs, tb.AccessToken)
		} else {
			s.jwts = append(s.jwts, tb.AccessToken)
			s.kids[jwtKID(tb.AccessToken)]++
		}
		s.mu.Unlock()
	case "authcode":
		if w.ex == nil {
			d, err := w.flow.newDoer(ctx, w.rec, w.idx)
			if err != nil {
				w.failed(err)
				return
			}
			w.ex = d
		}
		if _, err := w.ex.do(); err != nil {
			w.failed(err)
			if strings.Contains(err.Error(), "sent to the login page") {
				w.ex = nil // the session is gone: sign in again
			}
			return
		}
		if w.rec.on {
			w.flows.OK++
		}
	}
}

func (w *soakWorker) failed(err error) {
	if !w.rec.on {
		return // the warm-up: not counted
	}
	if w.rec.last == 503 {
		w.flows.Unavailable++
		return
	}
	w.flows.Failed++
	if w.flows.First == "" {
		w.flows.First = fmt.Sprintf("at %v: %v", w.rec.s.since().Round(time.Millisecond), err)
	}
}

// jwtKID is the kid of a JWT's header ("?" when unreadable).
func jwtKID(tok string) string {
	h, _, ok := strings.Cut(tok, ".")
	if !ok {
		return "?"
	}
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return "?"
	}
	var hdr struct {
		KID string `json:"kid"`
	}
	if json.Unmarshal(b, &hdr) != nil || hdr.KID == "" {
		return "?"
	}
	return hdr.KID
}

// soak does the run. It returns what it measured even when it stops on
// an error.
func soak(ctx context.Context, o soakOptions, log io.Writer) (*soakSummary, error) {
	dir, err := os.MkdirTemp("", "signet-soak-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		fmt.Fprintln(log, "soak: keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin, src := o.bin, ""
	if bin == "" {
		fmt.Fprintln(log, "soak: go build ./cmd/signet")
		if bin, src, err = build(ctx, dir); err != nil {
			return nil, err
		}
	}
	m := describe(bin, src)
	var mixText []string
	for _, p := range o.mix {
		mixText = append(mixText, fmt.Sprintf("%s=%d", p.class, p.weight))
	}
	sum := &soakSummary{Started: time.Now().UTC(), Duration: o.dur, Conc: o.conc, Command: o.command, Alg: o.alg + " (Managed)",
		Mix:     strings.Join(mixText, ","),
		Machine: fmt.Sprintf("%s, %d cores (GOMAXPROCS %d), %s, %s", m.cpu, m.cores, m.procs, m.kernel, m.goVersion), Signet: m.revision,
		steps: map[string]*stepStats{}, KeyIDs: map[string]int{}}

	serverDSN, err := soakDSN(o.dsn, o.db)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "soak: database %s (made afresh)\n", o.db)
	if err := freshDatabase(ctx, o.dsn, o.db); err != nil {
		return nil, err
	}
	hash, err := userHash(ctx, bin)
	if err != nil {
		return nil, err
	}
	kek := make([]byte, 32)
	_, _ = rand.Read(kek)
	cfg := serverConfig{dir: filepath.Join(dir, "server"), alg: o.alg, logLevel: "warn", postgres: serverDSN, passwordHash: hash,
		kek: base64.StdEncoding.EncodeToString(kek), offline: true}
	if err := os.MkdirAll(cfg.dir, 0o700); err != nil {
		return nil, err
	}
	metricsAddr, note, err := soakExtras(ctx, bin, &cfg, o)
	if err != nil {
		return nil, err
	}
	if note != "" {
		fmt.Fprintln(log, "soak:", note)
	}
	sum.Goroutines = metricsAddr != ""

	fmt.Fprintln(log, "soak: signet serve (PostgreSQL, Managed", o.alg+")")
	srv, err := start(ctx, bin, cfg)
	if err != nil {
		return sum, err
	}
	defer srv.stop()
	pid := srv.pid()
	sample := func(at time.Duration, what string) resources {
		r := resources{At: at, Goroutines: -1, Note: what}
		r.RSS, r.Peak, _ = procMem(pid)
		r.Threads, r.FDs = procThreads(pid), procFDs(pid)
		if metricsAddr != "" {
			r.Goroutines = scrapeGoroutines(metricsAddr)
		}
		return r
	}

	s := &soakState{kids: map[string]int{}}
	classes := assign(o.mix, o.conc)
	fmt.Fprintf(log, "soak: %d workers (%s); signing in the authcode ones\n", len(classes), sum.Mix)
	workers, err := soakWorkers(ctx, srv.base, classes, s, o.timeout, o.jwtSample)
	for _, w := range workers {
		defer w.rec.close()
	}
	if err != nil {
		return sum, fmt.Errorf("%w\nserver log:\n%s", err, srv.logTail())
	}

	// The baseline: the server started, the browsers signed in (whose
	// argon2id hashes leave the heap large until a collection), a
	// warm-up of the same load (pools full, collections run), its
	// connections closed, and a few idle seconds: the state the run
	// should come back to.
	sum.Start = sample(0, "signed in")
	if o.warmup > 0 {
		fmt.Fprintf(log, "soak: warm-up %v\n", o.warmup)
		var stop atomic.Bool
		wait := drive(ctx, workers, &stop)
		_ = sleepCtx(ctx, o.warmup)
		stop.Store(true)
		wait()
		for _, w := range workers {
			w.rec.close()
		}
	}
	if err := sleepCtx(ctx, 5*time.Second); err != nil {
		return sum, err
	}
	sum.Baseline = sample(0, "baseline")
	resetPeak(pid)

	evs := plan(o.dur, o.restarts, o.rotate)
	fmt.Fprintf(log, "soak: load for %v; events at %s\n", o.dur, describePlan(evs))
	s.start = time.Now()
	for _, w := range workers {
		w.rec.on = true
	}
	wait := drive(ctx, workers, &s.stopping)
	// Samples, every second, and the peak of each.
	var samples []resources
	peak := resources{Note: "peak (load)", Goroutines: -1}
	samplerDone := make(chan struct{})
	go func() {
		defer close(samplerDone)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for !s.stopping.Load() {
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
			r := sample(s.since(), "")
			samples = append(samples, r)
			peak.RSS, peak.Peak = max(peak.RSS, r.RSS), max(peak.Peak, r.Peak)
			peak.Threads, peak.FDs, peak.Goroutines = max(peak.Threads, r.Threads), max(peak.FDs, r.FDs), max(peak.Goroutines, r.Goroutines)
		}
	}()
	cfgFile := filepath.Join(cfg.dir, "signet.yaml")
	events := runEvents(ctx, s, evs, o, bin, cfgFile, cfg.kek, log)
	if err := sleepCtx(ctx, time.Until(s.start.Add(o.dur))); err != nil {
		s.stopping.Store(true)
		return sum, err
	}
	s.stopping.Store(true)
	wait()
	<-samplerDone
	sum.Events = <-events
	for _, w := range workers {
		w.rec.close()
		w.rec.on = false
	}
	fmt.Fprintf(log, "soak: load stopped after %v; settling %v\n", s.since().Round(time.Second), o.settle)
	_ = sleepCtx(ctx, time.Second)
	sum.AfterLoad = sample(s.since(), "after load")
	_ = sleepCtx(ctx, o.settle)
	sum.Settled = sample(s.since(), "settled")
	sum.Peak, sum.Samples = peak, samples
	sum.Peak.Peak = max(sum.Peak.Peak, sum.Settled.Peak)

	for _, w := range workers {
		for name, st := range w.rec.steps {
			if sum.steps[name] == nil {
				sum.steps[name] = newStepStats(st.want)
				sum.order = append(sum.order, name)
			}
			sum.steps[name].merge(st)
		}
		sum.Flows.OK += w.flows.OK
		sum.Flows.Unavailable += w.flows.Unavailable
		sum.Flows.Failed += w.flows.Failed
		if sum.Flows.First == "" {
			sum.Flows.First = w.flows.First
		}
	}
	sortSteps(sum.order)
	sum.KeyIDs = s.kids

	fmt.Fprintf(log, "soak: checking %d refresh, %d reference and %d access tokens\n", len(s.refresh), len(s.refs), len(s.jwts))
	t0 := time.Now()
	sum.FinalKIDs, err = jwksKIDs(ctx, srv.base)
	if err != nil {
		sum.FinalKIDs = []string{"(" + err.Error() + ")"}
	}
	sum.Tokens = []tokenCheck{
		introspectAll(ctx, srv.base, "refresh", "refresh_token", s.refresh),
		introspectAll(ctx, srv.base, "reference", "access_token", s.refs),
		introspectAll(ctx, srv.base, "jwt", "access_token", s.jwts),
	}
	sum.Redeemed, sum.RedeemErr = redeemSome(ctx, srv.base, s.refresh, 10)
	fmt.Fprintf(log, "soak: checked in %v\n", time.Since(t0).Round(time.Second))
	sum.fill()
	sum.judge(o.limits)
	return sum, nil
}

// soakExtras adds to cfg the sections this signet accepts: metrics.listen
// (for go_goroutines), then -config-extra. It
// returns the metrics address ("" without one) and a note on what was
// left out.
func soakExtras(ctx context.Context, bin string, cfg *serverConfig, o soakOptions) (metricsAddr, note string, err error) {
	type section struct{ name, yaml string }
	var secs []section
	if o.metrics {
		if metricsAddr, err = freeAddr(); err != nil {
			return "", "", err
		}
		secs = append(secs, section{"metrics", fmt.Sprintf("metrics:\n  listen: %s\n", metricsAddr)})
	}
	var extra []byte
	if o.extraFile != "" {
		if extra, err = os.ReadFile(o.extraFile); err != nil {
			return "", "", err
		}
	}
	// The rate limits are off (serverConfig.rateLimits) unless extra has
	// its own.
	var dropped []string
	for {
		cfg.extra = ""
		for _, s := range secs {
			cfg.extra += s.yaml
		}
		cfg.extra += string(extra)
		out, err := configCheck(ctx, bin, *cfg)
		if err == nil {
			break
		}
		n := len(secs)
		for i := 0; i < len(secs); i++ {
			if strings.Contains(out, secs[i].name) {
				dropped = append(dropped, secs[i].name)
				if secs[i].name == "metrics" {
					metricsAddr = ""
				}
				secs = append(secs[:i], secs[i+1:]...)
				i--
			}
		}
		if len(secs) == n {
			return "", "", fmt.Errorf("signet config check: %v\n%s", err, out)
		}
	}
	if len(dropped) > 0 {
		note = "this signet's configuration has no " + strings.Join(dropped, ", ") + ": left out"
		if metricsAddr == "" && o.metrics {
			note += " (goroutines are not measured)"
		}
	}
	return metricsAddr, note, nil
}

// configCheck runs signet config check on cfg (written for a placeholder
// address) and returns its output.
func configCheck(ctx context.Context, bin string, cfg serverConfig) (string, error) {
	file, err := cfg.write("127.0.0.1:1")
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, bin, "config", "check", "--config", file)
	cmd.Env = append(os.Environ(), pfxEnv+"="+pfxPassword, hashEnv+"="+cfg.passwordHash, kekEnv+"="+cfg.kek)
	cmd.Dir = cfg.dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// soakWorkers makes a worker per class, on its own connection; the
// authcode ones sign in (setupLogins at a time).
func soakWorkers(ctx context.Context, base string, classes []string, s *soakState, timeout time.Duration, sample int) ([]*soakWorker, error) {
	flow := newAuthcodeFlow()
	flow.scope = signInScope + " offline_access"
	flow.tokens = func(_ int, body []byte) {
		var tb tokenBody
		if json.Unmarshal(body, &tb) != nil || tb.RefreshToken == "" {
			return
		}
		s.mu.Lock()
		s.refresh = append(s.refresh, tb.RefreshToken)
		s.mu.Unlock()
	}
	machine := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(clientID+":"+clientSecret))
	ref := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(refClientID+":"+clientSecret))
	workers := make([]*soakWorker, len(classes))
	errs := make([]error, len(classes))
	sem := make(chan struct{}, setupLogins)
	var wg sync.WaitGroup
	for i, class := range classes {
		rec := &recorder{flowClient: newFlowClient(base, genRaw, timeout, time.Time{}), s: s, class: class, steps: map[string]*stepStats{}}
		w := &soakWorker{rec: rec, class: class, basic: machine, flow: flow, idx: i, sample: sample}
		if class == "reftoken" {
			w.basic = ref
		}
		workers[i] = w
		if class != "authcode" {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			d, err := flow.newDoer(ctx, rec, i)
			if err != nil {
				errs[i] = fmt.Errorf("worker %d signing in: %w", i, err)
				return
			}
			w.ex = d
		})
	}
	wg.Wait()
	return workers, errors.Join(errs...)
}

// drive runs every worker's loop until stop is set; wait waits for them.
func drive(ctx context.Context, workers []*soakWorker, stop *atomic.Bool) (wait func()) {
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			for !stop.Load() && ctx.Err() == nil {
				w.once(ctx)
				if w.rec.last >= 500 {
					time.Sleep(20 * time.Millisecond) // a client that heard 503 does not spin
				}
			}
		})
	}
	return wg.Wait
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func describePlan(evs []event) string {
	if len(evs) == 0 {
		return "none"
	}
	var s []string
	for _, e := range evs {
		s = append(s, fmt.Sprintf("%s %v", e.Kind, e.At))
	}
	return strings.Join(s, ", ")
}

var rotatedKey = regexp.MustCompile(`Key (\S+) \(`)

// runEvents does the planned events at their times, and sends them, done,
// when the last is.
func runEvents(ctx context.Context, s *soakState, evs []event, o soakOptions, bin, cfgFile, kek string, log io.Writer) <-chan []event {
	done := make(chan []event, 1)
	go func() {
		for i := range evs {
			e := &evs[i]
			if sleepCtx(ctx, time.Until(s.start.Add(e.At))) != nil {
				break
			}
			e.Start = s.since()
			switch e.Kind {
			case "restart":
				fmt.Fprintf(log, "soak: %v: stopping PostgreSQL for %v (%s)\n", e.Start.Round(time.Second), o.down, o.stopCmd)
				s.mu.Lock()
				s.current = e
				s.mu.Unlock()
				s.outage.Store(true)
				out, err := shell(ctx, o.stopCmd)
				if err != nil {
					e.Err = fmt.Sprintf("%s: %v: %s", o.stopCmd, err, out)
				}
				_ = sleepCtx(ctx, o.down)
				out2, err := shell(ctx, o.startCmd)
				if err != nil {
					e.Err = strings.TrimPrefix(e.Err+"; ", "; ") + fmt.Sprintf("%s: %v: %s", o.startCmd, err, out2)
				}
				s.mu.Lock()
				e.End = s.since()
				e.Down = e.End - e.Start
				s.mu.Unlock()
				s.awaitOK.Store(true)
				fmt.Fprintf(log, "soak: %v: PostgreSQL started again (away %v)\n", e.End.Round(time.Second), e.Down.Round(time.Millisecond))
				_ = sleepCtx(ctx, o.grace)
				s.outage.Store(false)
			case "rotate":
				fmt.Fprintf(log, "soak: %v: signet keys rotate --now\n", e.Start.Round(time.Second))
				cmd := exec.CommandContext(ctx, bin, "keys", "rotate", "--now", "--config", cfgFile)
				cmd.Env = append(os.Environ(), kekEnv+"="+kek, pfxEnv+"="+pfxPassword, hashEnv+"=unused")
				cmd.Dir = filepath.Dir(cfgFile)
				out, err := cmd.CombinedOutput()
				e.End = s.since()
				e.Output = strings.TrimSpace(string(out))
				if err != nil {
					e.Err = fmt.Sprintf("signet keys rotate --now: %v: %s", err, out)
				} else if m := rotatedKey.FindStringSubmatch(e.Output); m != nil {
					e.KeyID = m[1]
				}
				fmt.Fprintf(log, "soak: %v: %s\n", e.End.Round(time.Second), e.Output)
			}
		}
		done <- evs
	}()
	return done
}

// jwksKIDs returns the kids of the server's JWKS.
func jwksKIDs(ctx context.Context, base string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/.well-known/openid-configuration/jwks", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.KID)
	}
	return kids, nil
}

// introspectAll asks the introspection endpoint, as the API resource,
// about each token (16 at a time), retrying a request that gets no answer
// or a 503 three times.
func introspectAll(ctx context.Context, base, kind, hint string, toks []string) tokenCheck {
	tc := tokenCheck{Kind: kind, Issued: len(toks)}
	cred := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(resourceName)+":"+url.QueryEscape(resourceSecret)))
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(toks) || ctx.Err() != nil {
					return
				}
				active, problem := introspect(ctx, client, base, cred, hint, toks[i])
				mu.Lock()
				tc.Checked++
				switch {
				case problem != "":
					tc.Failed++
				case active:
					tc.Active++
				default:
					tc.Inactive++
					problem = fmt.Sprintf("%s token %d of %d issued is not active", kind, i+1, len(toks))
				}
				if problem != "" && tc.First == "" {
					tc.First = problem
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return tc
}

func introspect(ctx context.Context, client *http.Client, base, cred, hint, tok string) (active bool, problem string) {
	form := "token=" + url.QueryEscape(tok) + "&token_type_hint=" + hint
	for try := range 4 {
		if try > 0 {
			_ = sleepCtx(ctx, time.Second)
		}
		req, err := http.NewRequestWithContext(ctx, "POST", base+"/connect/introspect", strings.NewReader(form))
		if err != nil {
			return false, err.Error()
		}
		req.Header.Set("Authorization", cred)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := client.Do(req)
		if err != nil {
			problem = err.Error()
			continue
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if resp.StatusCode == 503 {
			problem = "503 at the introspection endpoint"
			continue
		}
		if resp.StatusCode != 200 {
			return false, fmt.Sprintf("introspection: %d: %.200s", resp.StatusCode, body)
		}
		var a struct {
			Active bool `json:"active"`
		}
		if err := json.Unmarshal(body, &a); err != nil {
			return false, fmt.Sprintf("introspection: %v: %.200s", err, body)
		}
		return a.Active, ""
	}
	return false, problem
}

// redeemSome redeems up to n of the refresh tokens (the last issued),
// each of which must get 200 with new tokens: introspection says they
// are there, this says they work.
func redeemSome(ctx context.Context, base string, toks []string, n int) (int, string) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(signInClientID+":"+signInSecret))
	done := 0
	for _, tok := range toks[max(len(toks)-n, 0):] {
		req, err := http.NewRequestWithContext(ctx, "POST", base+"/connect/token",
			strings.NewReader("grant_type=refresh_token&refresh_token="+url.QueryEscape(tok)))
		if err != nil {
			return done, err.Error()
		}
		req.Header.Set("Authorization", basic)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return done, err.Error()
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"access_token"`)) {
			return done, fmt.Sprintf("refresh_token grant: %d: %.200s", resp.StatusCode, body)
		}
		done++
	}
	return done, ""
}

// sortSteps orders the steps as the classes are listed, sign-in last.
func sortSteps(names []string) {
	rank := func(n string) int {
		for i, p := range []string{"client_credentials", "client_credentials (reference)", "jwks", "discovery", "authorize (session)", "authorization_code"} {
			if n == p {
				return i
			}
		}
		return 100
	}
	for i := 1; i < len(names); i++ {
		for j := i; j > 0 && (rank(names[j]) < rank(names[j-1]) || rank(names[j]) == rank(names[j-1]) && names[j] < names[j-1]); j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
}
