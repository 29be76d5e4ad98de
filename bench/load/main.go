// Command load is Signet's load benchmark: one command builds ./cmd/signet,
// starts `signet serve` with a benchmark configuration, drives the token
// endpoint (client_credentials, client_secret_basic) and JWKS over loopback
// at several concurrencies, and prints requests/s, latency percentiles,
// errors, server CPU per 1,000 requests and peak RSS, each run interleaved
// with its reference: the in-process signing rate of the same key (the floor
// the token rate is compared with), and a bare net/http server answering
// the same bytes (what JWKS is compared with).
//
//	go run ./bench/load                       # the full run, a few minutes
//	go run ./bench/load -markdown results.md  # also write the results as markdown
//	go run ./bench/load -short                # CI smoke test, about 15 s
//
// Two sign-in modes (issue 14) run on a server of their own, configured
// with a sign-in client (authorization_code, PKCE, no consent) and 64
// users: -endpoints authcode measures code exchanges (each virtual user
// signs in once, then loops over GET /connect/authorize with its session
// and POST /connect/token), beside half the signing floor since an
// exchange signs two tokens; -endpoints login is the argon2id login storm
// (logins of new browsers at concurrency 64 for 30 s: logins/s, p99,
// failed and hung requests, the server's peak RSS). Neither is part of
// -short (a server start and the logins would double its time):
//
//	go run ./bench/load -endpoints authcode -alg RS256,ES256 -c 64 -info-run=false
//	go run ./bench/load -endpoints login
//
// Two modes measure the tokens that can be cut off (issue 15), on the
// token service's server, which has a second machine client whose access
// tokens are reference tokens and an API resource with a secret:
// -endpoints reftoken issues reference tokens (one stored token each,
// nothing signed), -endpoints introspect has the resource introspect one
// (one read by hash, nothing signed), which must reach three times the
// RS256 JWT issuance rate; with -postgres both run on PostgreSQL too:
//
//	go run ./bench/load -endpoints token,reftoken,introspect -alg RS256 -c 64
//
// The soak (issue 17) is a mode of its own, with its own flags: one
// server on PostgreSQL (a database of its own) with a Managed key, a mix of
// every kind of request at concurrency 256 for 10 minutes, PostgreSQL
// stopped and started twice and the key rotated once meanwhile; it
// checks that every failure was a 503 with Retry-After while the database
// was away, that goroutines and RSS come back, and that every refresh and
// reference token issued is still active (soak.go; go run ./bench/load
// soak -h):
//
//	go run ./bench/load soak
//
// The load generator is this process (Go, one keep-alive connection per
// worker, latencies into a fixed histogram per worker), so nothing needs
// installing; it shares the machine with the server, and its own CPU time
// is reported beside the server's.
//
// Exit status: 0 when every server started and every run had successful
// requests, whatever the speed; 1 otherwise; 2 for wrong usage. The
// process statistics (CPU, RSS) come from /proc: elsewhere than Linux
// those columns stay empty.
//
// It imports nothing of Signet's: it drives the built binary.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	if bareMain() {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "soak" {
		os.Exit(soakCLI(ctx, os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(cli(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	concs     []int
	warmup    time.Duration
	dur       time.Duration
	loginDur  time.Duration // the login storm's measured time
	timeout   time.Duration // each request of the sign-in modes
	floorDur  time.Duration
	algs      []string
	endpoints []string
	infoRun   bool
	repeat    int // runs at concurrency 64, the median reported
	postgres  string
	markdown  string
	keep      bool
	bin       string // a signet binary to use instead of building one
	gen       string
	slice     time.Duration // interleaving of a run and its reference
	reference bool          // a bare net/http server as the JWKS reference
}

// keyTypes maps an algorithm to the `signet cert create --key` that makes
// its key.
var keyTypes = map[string]string{
	"RS256": "rsa:2048",
	"ES256": "ec:P-256",
}

func cli(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: go run ./bench/load [flags]

Builds ./cmd/signet, starts signet serve on 127.0.0.1 with a benchmark
configuration (SQLite, log level warn, one client_secret_basic client), and
drives POST /connect/token and GET JWKS at each concurrency. Each run is
interleaved with its reference, second by second: the in-process signing rate
of the same key for tokens, a bare net/http server answering the same bytes
for JWKS; rates are printed as a share of it. Build flags apply to both the
server and this tool (the floor): CGO_ENABLED=1 GOEXPERIMENT=boringcrypto
go run ./bench/load measures the BoringCrypto build.

The sign-in modes run on a server of their own with a sign-in client and
64 users: -endpoints authcode (code exchanges: GET /connect/authorize with a
session kept from one login per worker, then POST /connect/token; compared
with half the signing floor, since an exchange signs an access token and an
ID token) and -endpoints login (the argon2id login storm: new browsers
signing in, once, at concurrency 64, 30 s unless -d is given; logins/s,
p99, failed and hung requests, the server's peak RSS).

Examples:
  go run ./bench/load
  go run ./bench/load -endpoints authcode -alg RS256,ES256 -c 64 -info-run=false
  go run ./bench/load -endpoints login
  go run ./bench/load -endpoints token,reftoken,introspect -alg RS256 -c 64
  go run ./bench/load -c 64 -d 10s -alg ES256 -markdown /tmp/es256.md
  go run ./bench/load -postgres postgres://signet:pw@127.0.0.1:5432/bench
  go run ./bench/load -short

Exit codes: 0 ran (whatever the speed), 1 a server did not start or a run had
no successful request, 2 wrong usage.

Flags:
`)
		fs.PrintDefaults()
	}
	short := fs.Bool("short", false, "CI smoke test: RS256 only, concurrency 16, 1s per run, no extra runs (other flags given still apply)")
	concs := fs.String("c", "16,64,256", "concurrencies, comma-separated")
	warmup := fs.Duration("warmup", time.Second, "warm-up before each measured run (not counted)")
	dur := fs.Duration("d", 5*time.Second, "measured time of each run (the login storm's: 30s unless -d is given)")
	timeout := fs.Duration("timeout", 10*time.Second, "the sign-in modes: a request without an answer in this long fails and counts as hung")
	floorDur := fs.Duration("floor", 2*time.Second, "time to measure the in-process signing rate on its own, before each key's first server and after its last")
	algs := fs.String("alg", "RS256,ES256", "signing algorithms: RS256 (RSA 2048), ES256 (P-256)")
	endpoints := fs.String("endpoints", "token,jwks", "endpoints: token, reftoken (client_credentials for a client with reference access tokens: one stored token per request, nothing signed), introspect (RFC 7662 introspection of one reference token by its API resource), jwks, jwks304 (If-None-Match), discovery; and the sign-in modes: authcode (code exchanges: authorize then token, with a session kept from one login per worker) and login (the argon2id login storm: logins as new browsers, once, at concurrency 64 or the middle of -c, with the first -alg's server only, for -d or else 30s)")
	infoRun := fs.Bool("info-run", true, "also run the token endpoint (concurrency 64) with log level info, to show the cost of logging")
	postgres := fs.String("postgres", "", "also run the token endpoint (concurrency 64) against a server on PostgreSQL `DSN` (an empty database, or one Signet already uses)")
	markdown := fs.String("markdown", "", "also write the results as markdown to `FILE`")
	gen := fs.String("gen", genRaw, "load generator client: raw (pre-built HTTP/1.1 requests on keep-alive connections, the cheapest) or nethttp (net/http Transport)")
	bin := fs.String("signet", "", "use the signet binary `FILE` instead of building ./cmd/signet (to compare two builds: build each with go build -o, run the tool with each)")
	keep := fs.Bool("keep", false, "keep the temporary directory (configuration, keys, server logs)")
	slice := fs.Duration("slice", time.Second, "measure each token and JWKS run in slices of this length, each followed by half as long of its reference (the signing floor; bare net/http) with the load paused")
	reference := fs.Bool("reference", true, "compare JWKS with a bare net/http server answering the same bytes, driven the same way")
	repeat := fs.Int("repeat", 3, "run concurrency 64 (the targets' concurrency) this many times and report the median by share of the reference (by requests/s where there is none), with the range")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "load: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	loginDur := 30 * time.Second
	if *short {
		loginDur = 2 * time.Second
		defaults := map[string]func(){
			"c":        func() { *concs = "16" },
			"warmup":   func() { *warmup = 250 * time.Millisecond },
			"d":        func() { *dur = time.Second },
			"floor":    func() { *floorDur = 500 * time.Millisecond },
			"alg":      func() { *algs = "RS256" },
			"info-run": func() { *infoRun = false },
			"repeat":   func() { *repeat = 1 },
			"slice":    func() { *slice = 500 * time.Millisecond },
		}
		for name, apply := range defaults {
			if !set[name] {
				apply()
			}
		}
	}

	if set["d"] {
		loginDur = *dur
	}
	o := options{warmup: *warmup, dur: *dur, loginDur: loginDur, timeout: *timeout, floorDur: *floorDur, infoRun: *infoRun, repeat: max(*repeat, 1),
		postgres: *postgres, markdown: *markdown, keep: *keep, bin: *bin, gen: *gen, slice: *slice, reference: *reference}
	var problems []string
	for s := range strings.SplitSeq(*concs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			problems = append(problems, fmt.Sprintf("-c: %q is not a positive number", s))
			continue
		}
		o.concs = append(o.concs, n)
	}
	for s := range strings.SplitSeq(*algs, ",") {
		s = strings.ToUpper(strings.TrimSpace(s))
		if _, ok := keyTypes[s]; !ok {
			problems = append(problems, fmt.Sprintf("-alg: %q is not RS256 or ES256", s))
			continue
		}
		o.algs = append(o.algs, s)
	}
	for s := range strings.SplitSeq(*endpoints, ",") {
		s = strings.ToLower(strings.TrimSpace(s))
		switch s {
		case "token", "reftoken", "introspect", "jwks", "jwks304", "discovery", "authcode", "login":
			o.endpoints = append(o.endpoints, s)
		default:
			problems = append(problems, fmt.Sprintf("-endpoints: unknown %q", s))
		}
	}
	if o.gen != genRaw && o.gen != genNetHTTP {
		problems = append(problems, fmt.Sprintf("-gen: %q is not raw or nethttp", o.gen))
	}
	if o.dur <= 0 || o.warmup < 0 || o.floorDur <= 0 || o.slice <= 0 || o.timeout <= 0 {
		problems = append(problems, "-d, -floor, -slice and -timeout must be positive, -warmup not negative")
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, "load:", p)
		}
		return 2
	}

	rep, err := bench(ctx, o, stderr)
	if rep != nil {
		rep.machine.command = strings.TrimSpace("go run ./bench/load " + strings.Join(args, " "))
		rep.text(stdout)
		if o.markdown != "" {
			if err := os.WriteFile(o.markdown, []byte(rep.markdownString()), 0o644); err != nil {
				fmt.Fprintln(stderr, "load:", err)
				return 1
			}
			fmt.Fprintln(stderr, "load: wrote", o.markdown)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "load:", err)
		return 1
	}
	if failed := rep.failedRuns(); len(failed) > 0 {
		fmt.Fprintln(stderr, "load: no successful request in:", strings.Join(failed, "; "))
		return 1
	}
	return 0
}

// bench runs everything o asks for. It returns what it measured even when
// it stops on an error.
func bench(ctx context.Context, o options, log io.Writer) (*report, error) {
	dir, err := os.MkdirTemp("", "signet-bench-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		fmt.Fprintln(log, "load: keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	var bin, src string
	if o.bin != "" {
		bin = o.bin
	} else {
		fmt.Fprintln(log, "load: go build ./cmd/signet")
		if bin, src, err = build(ctx, dir); err != nil {
			return nil, err
		}
	}
	rep := &report{machine: describe(bin, src), opts: o}

	// The sign-in modes need the users' password hash, made once by
	// signet user hash (the configuration takes a hash, so that no start
	// hashes 64 passwords).
	var hash string
	if slices.ContainsFunc(o.endpoints, isSignIn) {
		if hash, err = userHash(ctx, bin); err != nil {
			return rep, err
		}
	}

	for i, alg := range o.algs {
		endpoints := o.endpoints
		if i > 0 {
			// The login storm signs nothing: once, with the first key's
			// server, is enough.
			endpoints = slices.DeleteFunc(slices.Clone(endpoints), func(e string) bool { return e == "login" })
			if len(endpoints) == 0 {
				continue
			}
		}
		// The floor is the reference of signing runs; the login storm's
		// alone does not need it.
		needFloor := slices.ContainsFunc(endpoints, func(e string) bool { return e != "login" })
		algDir := filepath.Join(dir, alg)
		if err := os.MkdirAll(algDir, 0o700); err != nil {
			return rep, err
		}
		pfx := filepath.Join(algDir, "key.pfx")
		fmt.Fprintf(log, "load: %s: signet cert create --key %s\n", alg, keyTypes[alg])
		if err := createKey(ctx, bin, keyTypes[alg], pfx); err != nil {
			return rep, err
		}
		f := &floor{alg: alg}
		if needFloor {
			rep.floors = append(rep.floors, f)
			if err := f.measure(log, pfx, o.floorDur); err != nil {
				return rep, err
			}
		}

		// The sign-in modes run on a server of their own, configured with
		// the sign-in client and users, so that the token service's
		// servers (and issue 7's start and memory targets) stay as they
		// were.
		tokenEps := slices.DeleteFunc(slices.Clone(endpoints), isSignIn)
		signInEps := slices.DeleteFunc(slices.Clone(endpoints), func(e string) bool { return !isSignIn(e) })
		base := serverConfig{dir: filepath.Join(algDir, "sqlite-warn"), pfx: pfx, logLevel: "warn", alg: alg}
		if len(tokenEps) > 0 {
			if err := rep.serve(ctx, log, bin, alg, base, tokenEps, o.concs, ""); err != nil {
				return rep, err
			}
		}
		if len(signInEps) > 0 {
			cfg := base
			cfg.dir, cfg.passwordHash = filepath.Join(algDir, "sqlite-warn-signin"), hash
			if err := rep.serve(ctx, log, bin, alg, cfg, signInEps, o.concs, ""); err != nil {
				return rep, err
			}
		}
		// The extra runs: the token endpoint at the middle concurrency,
		// once with log level info and once on PostgreSQL.
		extra := contains(endpoints, "token")
		c := []int{extraConc(o.concs)}
		if extra && o.infoRun {
			cfg := base
			cfg.dir, cfg.logLevel = filepath.Join(algDir, "sqlite-info"), "info"
			if err := rep.serve(ctx, log, bin, alg, cfg, []string{"token"}, c, "log info"); err != nil {
				return rep, err
			}
		}
		if pgEps := slices.DeleteFunc(slices.Clone(tokenEps), func(e string) bool { return e != "token" && e != "reftoken" && e != "introspect" }); len(pgEps) > 0 && o.postgres != "" {
			cfg := base
			cfg.dir, cfg.postgres = filepath.Join(algDir, "postgres-warn"), o.postgres
			if err := rep.serve(ctx, log, bin, alg, cfg, pgEps, c, "postgres"); err != nil {
				return rep, err
			}
		}
		if needFloor {
			if err := f.measure(log, pfx, o.floorDur); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// referenceToken gets a reference access token from the reference
// client, to be introspected.
func referenceToken(ctx context.Context, base string) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(refClientID, clientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("reference token: %w", err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 || tok.AccessToken == "" {
		return "", fmt.Errorf("reference token: %s (%v)", resp.Status, err)
	}
	if strings.Count(tok.AccessToken, ".") == 2 {
		return "", errors.New("reference token: the reference client got a JWT")
	}
	return tok.AccessToken, nil
}

// isSignIn reports whether endpoint is one of the sign-in modes, which
// need the sign-in client and users.
func isSignIn(endpoint string) bool { return endpoint == "authcode" || endpoint == "login" }

// measure adds a sample to f.
func (f *floor) measure(log io.Writer, pfx string, dur time.Duration) error {
	fmt.Fprintf(log, "load: %s: in-process signing rate (%v)\n", f.alg, dur)
	s, err := measureFloor(pfx, pfxPassword, dur)
	if err != nil {
		return fmt.Errorf("%s signing floor: %w", f.alg, err)
	}
	f.samples = append(f.samples, s)
	return nil
}

// extraConc is the concurrency of the extra runs: 64 when measured, else
// the middle one.
func extraConc(concs []int) int {
	if contains(concs, 64) {
		return 64
	}
	return concs[len(concs)/2]
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// serve starts one server, measures its start and idle memory, drives each
// endpoint at each concurrency, and stops it.
func (rep *report) serve(ctx context.Context, log io.Writer, bin, alg string, cfg serverConfig, endpoints []string, concs []int, note string) error {
	storage := "sqlite"
	if cfg.postgres != "" {
		storage = "postgres"
	}
	fmt.Fprintf(log, "load: %s: signet serve (%s, log %s)\n", alg, storage, cfg.logLevel)
	s, err := start(ctx, bin, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", alg, err)
	}
	defer s.stop()
	st := &startup{alg: alg, storage: storage, logLevel: cfg.logLevel, signIn: cfg.passwordHash != "", ready: s.ready}
	rep.starts = append(rep.starts, st)

	eps, err := prepare(ctx, s.base, endpoints, rep.opts)
	if err != nil {
		return fmt.Errorf("%s: %w\nserver log:\n%s", alg, err, s.logTail())
	}
	// Idle memory: after one request of each kind, once the server has
	// settled.
	select {
	case <-time.After(500 * time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	st.idleRSS, _, _ = procMem(s.pid())

	var bare *bareServer
	if rep.opts.reference && contains(endpoints, "jwks") {
		body, err := check(ctx, s.base, eps[slices.IndexFunc(eps, func(e endpoint) bool { return e.name == "jwks" })])
		if err != nil {
			return err
		}
		if bare, err = startBare(ctx, cfg.dir, body); err != nil {
			return err
		}
		defer bare.stop()
	}

	t := target{base: s.base, pid: s.pid()}
	for _, ep := range eps {
		cs, dur := concs, rep.opts.dur
		if ep.name == "login" {
			// The storm runs once, at the targets' concurrency: its
			// verdict is about every request of it, not a median.
			cs, dur = []int{extraConc(concs)}, rep.opts.loginDur
		}
		for _, c := range cs {
			n := 1
			if c == 64 && ep.name != "login" {
				n = rep.opts.repeat
			}
			var runs []*result
			for i := range n {
				r, err := rep.once(ctx, log, s, t, cfg, alg, ep, c, i, n, dur, bare)
				if err != nil {
					return err
				}
				r.note = note
				runs = append(runs, r)
			}
			rep.results = append(rep.results, median(runs))
		}
	}
	return nil
}

// once is one measured run, interleaved with its reference: the signing
// floor for the token endpoint, the bare server (when there is one) for
// JWKS.
func (rep *report) once(ctx context.Context, log io.Writer, s *server, t target, cfg serverConfig, alg string, ep endpoint, c, i, n int, dur time.Duration, bare *bareServer) (*result, error) {
	lines := s.logLines()
	of := ""
	if n > 1 {
		of = fmt.Sprintf(", run %d of %d", i+1, n)
	}
	var ref reference
	with := ""
	switch {
	case ep.name == "token":
		sign, err := floorSigner(cfg.pfx, pfxPassword)
		if err != nil {
			return nil, fmt.Errorf("%s signing floor: %w", alg, err)
		}
		ref, with = signingRef{sign: sign, per: 1}, ", interleaved with the signing floor"
	case ep.name == "authcode":
		// An exchange signs two tokens (access and ID): its reference is
		// half the signing rate.
		sign, err := floorSigner(cfg.pfx, pfxPassword)
		if err != nil {
			return nil, fmt.Errorf("%s signing floor: %w", alg, err)
		}
		ref, with = signingRef{sign: sign, per: 2}, ", interleaved with half the signing floor"
	case ep.name == "jwks" && bare != nil:
		b, err := newBareRef(ctx, bare, ep, rep.opts.gen, c, rep.opts.warmup)
		if err != nil {
			return nil, err
		}
		defer b.close()
		ref, with = b, ", interleaved with bare net/http"
	}
	fmt.Fprintf(log, "load: %s: %s at concurrency %d (%v + %v%s%s)\n", alg, ep.name, c, rep.opts.warmup, dur, with, of)
	r, err := run(ctx, t, ep, rep.opts.gen, c, rep.opts.warmup, dur, ref, rep.opts.slice)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.alg = alg
	r.logLines = s.logLines() - lines
	return r, nil
}

// median returns the run with the median requests/s (for a token run: the
// median share of its floor), noting the range of all of them.
func median(runs []*result) *result {
	key := func(r *result) float64 {
		if r.ref > 0 {
			return r.rate() / r.ref
		}
		return r.rate()
	}
	sort.Slice(runs, func(i, j int) bool { return key(runs[i]) < key(runs[j]) })
	m := runs[len(runs)/2]
	m.runs = len(runs)
	m.lowRate, m.highRate = runs[0].rate(), runs[0].rate()
	for _, r := range runs {
		m.lowRate, m.highRate = min(m.lowRate, r.rate()), max(m.highRate, r.rate())
	}
	if runs[0].ref > 0 {
		m.lowShare, m.highShare = key(runs[0]), key(runs[len(runs)-1])
	}
	return m
}

// prepare builds the requests and checks that each works once, so that a
// broken configuration stops the run with the server's answer instead of a
// table of errors.
func prepare(ctx context.Context, base string, names []string, o options) ([]endpoint, error) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(clientID+":"+clientSecret))
	jwks := endpoint{name: "jwks", method: "GET", path: "/.well-known/openid-configuration/jwks", want: 200}
	var eps []endpoint
	for _, name := range names {
		var ep endpoint
		switch name {
		case "token":
			ep = endpoint{name: name, method: "POST", path: "/connect/token", want: 200,
				header: map[string][]string{
					"Authorization": {basic},
					"Content-Type":  {"application/x-www-form-urlencoded"},
				},
				body: []byte("grant_type=client_credentials")}
		case "reftoken":
			ep = endpoint{name: name, method: "POST", path: "/connect/token", want: 200,
				header: map[string][]string{
					"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(refClientID+":"+clientSecret))},
					"Content-Type":  {"application/x-www-form-urlencoded"},
				},
				body: []byte("grant_type=client_credentials")}
		case "introspect":
			tok, err := referenceToken(ctx, base)
			if err != nil {
				return nil, err
			}
			// RFC 6749 2.3.1: the name and secret form-encoded, then
			// Basic.
			cred := url.QueryEscape(resourceName) + ":" + url.QueryEscape(resourceSecret)
			ep = endpoint{name: name, method: "POST", path: "/connect/introspect", want: 200,
				header: map[string][]string{
					"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(cred))},
					"Content-Type":  {"application/x-www-form-urlencoded"},
				},
				body: []byte("token=" + tok + "&token_type_hint=access_token")}
			body, err := check(ctx, base, ep)
			if err != nil {
				return nil, err
			}
			if !bytes.Contains(body, []byte(`"active":true`)) {
				return nil, fmt.Errorf("introspect: the reference token is not active: %s", body)
			}
			eps = append(eps, ep)
			continue
		case "jwks":
			ep = jwks
		case "jwks304":
			etag, err := fetchETag(ctx, base, jwks)
			if err != nil {
				return nil, err
			}
			ep = jwks
			ep.name, ep.want = name, 304
			ep.header = map[string][]string{"If-None-Match": {etag}}
		case "discovery":
			ep = endpoint{name: name, method: "GET", path: "/.well-known/openid-configuration", want: 200}
		case "authcode", "login":
			ep = endpoint{name: name, want: flowOK, timeout: o.timeout, flow: newAuthcodeFlow()}
			if name == "login" {
				ep.flow, ep.wholePeak = loginFlow{}, true
			}
			if err := checkFlow(ctx, base, o.gen, ep.flow, o.timeout); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			eps = append(eps, ep)
			continue
		}
		if _, err := check(ctx, base, ep); err != nil {
			return nil, err
		}
		eps = append(eps, ep)
	}
	return eps, nil
}
