package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// A startup is one server start.
type startup struct {
	alg, storage, logLevel string
	signIn                 bool // the sign-in client and users configured too
	ready                  time.Duration
	idleRSS                int64
}

// report is everything one invocation measured.
type report struct {
	machine machine
	opts    options
	floors  []*floor
	starts  []*startup
	results []*result
}

// section is a titled table with notes under it.
type section struct {
	title  string
	header []string
	rows   [][]string
	notes  []string
	left   bool // align the columns left (text); default right (numbers)
}

func (rep *report) floor(alg string) *floor {
	for _, f := range rep.floors {
		if f.alg == alg && len(f.samples) > 0 {
			return f
		}
	}
	return nil
}

// has reports whether a run of endpoint was measured.
func (rep *report) has(endpoint string) bool {
	return slices.ContainsFunc(rep.results, func(r *result) bool { return r.endpoint == endpoint })
}

func (rep *report) find(alg, endpoint string, conc int, note string) *result {
	for _, r := range rep.results {
		if r.alg == alg && r.endpoint == endpoint && r.conc == conc && r.note == note {
			return r
		}
	}
	return nil
}

// failedRuns names the runs without a single successful request.
func (rep *report) failedRuns() []string {
	var failed []string
	for _, r := range rep.results {
		if r.ok == 0 {
			failed = append(failed, fmt.Sprintf("%s %s c%d: %s", r.alg, label(r), r.conc, r.firstErr))
		}
	}
	return failed
}

func label(r *result) string {
	if r.note == "" {
		return r.endpoint
	}
	return r.endpoint + " (" + r.note + ")"
}

func (rep *report) sections() []section {
	var out []section

	res := section{title: "Results",
		header: []string{"alg", "endpoint", "conc", "req/s", "of reference", "p50", "p90", "p99", "errors", "server CPU s/1k", "generator CPU s/1k", "peak RSS", "others", "median of"}}
	cumulative := false
	for _, r := range rep.results {
		ofFloor := ""
		if r.ref > 0 {
			ofFloor = pct(r.rate() / r.ref)
		}
		peak := mib(r.peakRSS)
		if !r.peakOwn && r.peakRSS > 0 {
			peak += "*"
			cumulative = true
		}
		res.rows = append(res.rows, []string{r.alg, label(r), strconv.Itoa(r.conc), count(r.rate()), ofFloor,
			ms(r.hist.quantile(0.50)), ms(r.hist.quantile(0.90)), ms(r.hist.quantile(0.99)),
			errCount(r), fixed(r.perThousand(r.serverCPU), 3), fixed(r.perThousand(r.selfCPU), 3), peak, others(r), spread(r)})
	}
	res.notes = append(res.notes,
		"req/s counts successful requests; latency is that of the successful ones; errors are transport errors and unexpected statuses.",
		fmt.Sprintf("of reference: requests/s as a share of the reference's rate, measured in slices interleaved with the run's own (%v of load, then %v of the reference with the load paused and nothing in flight, and so on): for tokens the in-process signing rate of the same key (the server idle), for JWKS a bare net/http server answering the same bytes (no routing, headers or logging) driven by the same generator at the same concurrency. This machine's speed drifts between seconds, so each run is compared with the same moments.", rep.opts.slice, rep.opts.slice/2),
		"server CPU s/1k: CPU seconds of the signet process per 1,000 successful requests (/proc/PID/stat utime+stime); generator CPU: the same for this load generator (getrusage).",
		"peak RSS: VmHWM of the server during the run in MiB, reset before each run through /proc/PID/clear_refs.",
		"median of: at concurrency 64 the run shown is the median of -repeat runs (by share of the reference where there is one, by requests/s otherwise); the range of all of them follows.",
		"others: cores used by every other process on the machine during the run (/proc/stat busy time minus server and generator): a neighbour's load, which the numbers of that run do not have.")
	if rep.has("authcode") {
		res.notes = append(res.notes, "authcode: req/s counts code exchanges, each two requests (GET /connect/authorize with the session kept from one login per worker, 302 with a code; POST /connect/token, authorization_code with PKCE, 200 with an access token and an ID token), and its latency is theirs together; the server signs two tokens per exchange, so its reference is half the signing floor.")
	}
	if rep.has("login") {
		res.notes = append(res.notes, fmt.Sprintf("login: req/s counts logins of new browsers, each three requests (authorize, the login page, the form's POST with the right password: 303 with a session cookie), and its latency is theirs together; it runs once, with no reference, and its peak RSS is that of the whole storm, warm-up included. Errors include the hung requests (no answer within -timeout, %v).", rep.opts.timeout))
	}
	if cumulative {
		res.notes = append(res.notes, "*: the peak could not be reset, so it is the process's peak so far.")
	}
	for _, r := range rep.results {
		if r.errs > 0 || r.warmErrs > 0 {
			res.notes = append(res.notes, fmt.Sprintf("first error of %s %s c%d: %s", r.alg, label(r), r.conc, r.firstErr))
		}
	}
	out = append(out, res)

	fl := section{title: "Floors: in-process signing of the same key",
		header: []string{"alg", "key", "goroutines", "signatures/s", "samples (before, after)", "CPU s/1k"}}
	for _, f := range rep.floors {
		if len(f.samples) == 0 {
			continue
		}
		var samples []string
		for _, s := range f.samples {
			samples = append(samples, count(s.rate()))
		}
		fl.rows = append(fl.rows, []string{f.alg, keyTypes[f.alg], strconv.Itoa(f.best().procs), count(f.rate()),
			strings.Join(samples, ", "), fixed(f.perThousand(), 3)})
	}
	fl.notes = append(fl.notes, fmt.Sprintf("SHA-256 and sign (RS256: rsa.SignPKCS1v15, ES256: ecdsa.SignASN1) of a %d-byte token signing input, GOMAXPROCS goroutines for %v, no server running; measured before and after the key's server runs, the faster sample counts.", len(signingInput), rep.opts.floorDur))
	out = append(out, fl)

	sv := section{title: "Server start and idle memory",
		header: []string{"alg", "storage", "log level", "clients", "start to ready", "idle RSS"}}
	for _, s := range rep.starts {
		clients := "machine"
		if s.signIn {
			clients = fmt.Sprintf("machine, sign-in, %d users", benchUsers)
		}
		sv.rows = append(sv.rows, []string{s.alg, s.storage, s.logLevel, clients, ms(s.ready), mib(s.idleRSS)})
	}
	sv.notes = append(sv.notes, "start to ready: from starting the process to the first 200 from /readyz (polled every 2 ms), a new data directory each time (schema created; with sign-in, the users written); idle RSS: VmRSS 0.5 s after one request to each endpoint (with sign-in, one login and one code exchange: the login's argon2id memory is part of it until the next collection).")
	out = append(out, sv)

	if cost := rep.costSection(); len(cost.rows) > 0 {
		out = append(out, cost)
	}
	out = append(out, rep.targetSection())
	return out
}

// costSection splits the server's CPU per request into the signature and
// the rest, at the concurrency of the extra runs. CPU per request holds up
// better than requests/s when a neighbour takes part of the machine.
func (rep *report) costSection() section {
	c := extraConc(rep.opts.concs)
	s := section{title: fmt.Sprintf("CPU per request at concurrency %d", c),
		header: []string{"alg", "run", "server CPU/req", "reference alone", "the rest", "reference share", "server-only ceiling", "generator CPU/req", "log lines/req"}}
	for _, f := range rep.floors {
		for _, run := range []struct{ endpoint, note, name string }{
			{"token", "", "token"}, {"token", "log info", "token, log info"}, {"token", "postgres", "token, postgres"},
			{"jwks", "", "jwks"}, {"jwks304", "", "jwks304"}, {"discovery", "", "discovery"},
			{"authcode", "", "code exchange"}, {"login", "", "login"},
		} {
			r := rep.find(f.alg, run.endpoint, c, run.note)
			if r == nil || r.ok == 0 || r.serverCPU <= 0 {
				continue
			}
			srv := r.perThousand(r.serverCPU) // ms per request
			sig, rest, share := "", "", ""
			if refCPU := r.refCPU; refCPU > 0 {
				sig = fixed(refCPU, 3) + " ms"
				rest = fixed(srv-refCPU, 3) + " ms"
				share = pct(refCPU / srv)
			}
			ceiling := float64(rep.machine.procs) * 1000 / srv
			s.rows = append(s.rows, []string{f.alg, run.name, fixed(srv, 3) + " ms", sig, rest, share,
				count(ceiling) + "/s", fixed(r.perThousand(r.selfCPU), 3) + " ms", fixed(float64(r.logLines)/float64(r.sent), 2)})
		}
	}
	s.notes = append(s.notes,
		"reference alone: the reference's CPU per operation in the same run: for tokens the signature (SHA-256 and sign, in this process), for a code exchange two of them, for JWKS the bare net/http server's CPU per response.",
		"the rest: CPU the server spends per request beyond the reference (tokens: HTTP, parsing, client authentication, claims, JSON, logging, GC; JWKS: routing, CORS and caching headers, logging): where to look for hot spots when it is large.",
		"server-only ceiling: GOMAXPROCS cores divided by server CPU per request, the rate the server would reach with the machine to itself (no generator, no neighbour), if it scaled perfectly.")
	return s
}

func (rep *report) targetSection() section {
	s := section{title: "Targets (issues 7, 14 and 15)", header: []string{"target", "measured", "verdict"}, left: true}
	add := func(target, measured string, met, known bool) {
		verdict := "not measured"
		if known {
			verdict = "missed"
			if met {
				verdict = "met"
			}
		}
		s.rows = append(s.rows, []string{target, measured, verdict})
	}
	if r := rep.find("RS256", "token", 64, ""); r != nil && r.ref > 0 {
		ratio := r.rate() / r.ref
		add("RS256 token c64 >= 85% of signing floor, 0 errors",
			fmt.Sprintf("%s/s = %s of %s/s (the floor interleaved with the run), %s errors; %s", count(r.rate()), pct(ratio), count(r.ref), errCount(r), spread(r)),
			ratio >= 0.85 && r.errs == 0, true)
	} else {
		add("RS256 token c64 >= 85% of signing floor, 0 errors", "", false, false)
	}
	if r := rep.find("ES256", "token", 64, ""); r != nil {
		p99 := r.hist.quantile(0.99)
		add("ES256 token c64 >= 10,000/s, p99 < 25 ms, 0 errors",
			fmt.Sprintf("%s/s, p99 %s, %s errors", count(r.rate()), ms(p99), errCount(r)),
			r.rate() >= 10000 && p99 < 25*time.Millisecond && r.errs == 0, true)
	} else {
		add("ES256 token c64 >= 10,000/s, p99 < 25 ms, 0 errors", "", false, false)
	}
	for _, alg := range rep.opts.algs {
		if r := rep.find(alg, "jwks", 64, ""); r != nil {
			ref := ""
			if r.ref > 0 {
				ref = fmt.Sprintf(" (bare net/http: %s/s; %s)", count(r.ref), pct(r.rate()/r.ref))
			}
			add("JWKS c64 >= 30,000/s ("+alg+" server)", fmt.Sprintf("%s/s%s, %s errors; %s", count(r.rate()), ref, errCount(r), spread(r)),
				r.rate() >= 30000 && r.errs == 0, true)
		}
	}
	var peak int64
	var peakOf string
	for _, r := range rep.results {
		if r.conc == 256 && r.peakRSS > peak {
			peak, peakOf = r.peakRSS, r.alg+" "+label(r)
		}
	}
	if peak > 0 {
		add("peak RSS < 64 MiB in the c256 runs", fmt.Sprintf("%s MiB (%s)", mib(peak), peakOf), peak < 64<<20, true)
	} else {
		add("peak RSS < 64 MiB in the c256 runs", "", false, false)
	}
	rep.signInTargets(add)
	rep.introspectionTargets(add)
	var idle int64
	var ready time.Duration
	starts := 0
	for _, st := range rep.starts {
		if st.signIn {
			continue // issue 7's targets are the token service's
		}
		starts++
		idle = max(idle, st.idleRSS)
		if st.storage == "sqlite" {
			ready = max(ready, st.ready)
		}
	}
	idleAt, readyAt := "", ""
	if starts > 0 {
		idleAt = fmt.Sprintf("%s MiB (the largest of %d starts without sign-in)", mib(idle), starts)
		readyAt = ms(ready) + " (the slowest start)"
	}
	add("idle RSS < 30 MiB", idleAt, idle < 30<<20, idle > 0)
	add("ready < 200 ms after start (SQLite)", readyAt, ready < 200*time.Millisecond, ready > 0)
	c := extraConc(rep.opts.concs)
	for _, alg := range rep.opts.algs {
		lite, pg := rep.find(alg, "token", c, ""), rep.find(alg, "token", c, "postgres")
		if lite != nil && pg != nil && lite.ok > 0 && pg.ok > 0 {
			ratio := pg.perThousand(pg.serverCPU) / lite.perThousand(lite.serverCPU)
			add(fmt.Sprintf("PostgreSQL does not slow the token path (%s c%d: server CPU/token at most 10%% above SQLite's)", alg, c),
				fmt.Sprintf("%s vs %s ms CPU/token on SQLite (%s); %s/s vs %s/s", fixed(pg.perThousand(pg.serverCPU), 3),
					fixed(lite.perThousand(lite.serverCPU), 3), pct(ratio), count(pg.rate()), count(lite.rate())),
				ratio <= 1.1, true)
		}
	}
	s.notes = append(s.notes, "Speed never fails the command: these verdicts are for reading.")
	return s
}

// signInTargets adds issue 14's targets, where their runs were measured:
// the code exchange at concurrency 64 and the login storm.
func (rep *report) signInTargets(add func(target, measured string, met, known bool)) {
	if !rep.has("authcode") && !rep.has("login") {
		return
	}
	const rsTarget = "RS256 code exchange c64 >= 85% of half the signing floor, 0 errors"
	if r := rep.find("RS256", "authcode", 64, ""); r != nil && r.ref > 0 {
		ratio := r.rate() / r.ref
		add(rsTarget, fmt.Sprintf("%s/s = %s of %s/s (half the floor, interleaved with the run), p99 %s, %s errors; %s",
			count(r.rate()), pct(ratio), count(r.ref), ms(r.hist.quantile(0.99)), errCount(r), spread(r)),
			ratio >= 0.85 && r.errs == 0, true)
	} else {
		add(rsTarget, "", false, false)
	}
	const esTarget = "ES256 code exchange c64 >= 5,000/s, 0 errors"
	if r := rep.find("ES256", "authcode", 64, ""); r != nil {
		share := ""
		if r.ref > 0 {
			share = fmt.Sprintf(" (%s of half the floor, %s/s)", pct(r.rate()/r.ref), count(r.ref))
		}
		add(esTarget, fmt.Sprintf("%s/s%s, p99 %s, %s errors; %s", count(r.rate()), share, ms(r.hist.quantile(0.99)), errCount(r), spread(r)),
			r.rate() >= 5000 && r.errs == 0, true)
	} else {
		add(esTarget, "", false, false)
	}
	const loginTarget = "login storm (64 concurrent, argon2id defaults): peak RSS < 256 MiB, no failed or hung request"
	var login *result
	for _, r := range rep.results {
		if r.endpoint == "login" {
			login = r
		}
	}
	if login == nil {
		add(loginTarget, "", false, false)
		return
	}
	at := ""
	if login.conc != 64 {
		at = fmt.Sprintf(" (at concurrency %d, not 64)", login.conc)
	}
	peak := mib(login.peakRSS) + " MiB"
	if !login.peakOwn {
		peak += " (the process's peak so far)"
	}
	failed, hung := login.errs+login.warmErrs, login.hung+login.warmHung
	add(loginTarget, fmt.Sprintf("peak RSS %s; %s logins/s, p50 %s, p99 %s; %d failed (%d hung) of %d logins, warm-up included, %d in the %v measured%s",
		peak, count(login.rate()), ms(login.hist.quantile(0.5)), ms(login.hist.quantile(0.99)), failed, hung, login.sent, login.ok+login.errs, login.elapsed.Round(time.Millisecond), at),
		login.peakRSS > 0 && login.peakRSS < 256<<20 && failed == 0 && login.conc >= 64, login.peakRSS > 0)
}

// introspectionTargets adds issue 15's target, where its runs were
// measured: introspecting a reference token signs nothing, so it must
// reach three times the rate of issuing an RS256 JWT.
func (rep *report) introspectionTargets(add func(target, measured string, met, known bool)) {
	if !rep.has("introspect") {
		return
	}
	const target = "reference-token introspection c64 >= 3x RS256 JWT issuance (token c64), 0 errors"
	in, jwt := rep.find("RS256", "introspect", 64, ""), rep.find("RS256", "token", 64, "")
	if in == nil || jwt == nil || jwt.rate() == 0 {
		add(target, "", false, false)
		return
	}
	ratio := in.rate() / jwt.rate()
	add(target, fmt.Sprintf("%s/s = %.1fx %s/s, p99 %s, %s errors; %s", count(in.rate()), ratio, count(jwt.rate()),
		ms(in.hist.quantile(0.99)), errCount(in), spread(in)), ratio >= 3 && in.errs == 0, true)
}

// loginTime says how long the login storm was measured, when it ran.
func (rep *report) loginTime() string {
	if !rep.has("login") {
		return ""
	}
	return fmt.Sprintf(" (the login storm: %v, no reference)", rep.opts.loginDur)
}

// text writes the report as aligned plain-text tables.
func (rep *report) text(w io.Writer) {
	m := rep.machine
	fmt.Fprintf(w, "\nSignet load benchmark, %s\n", m.date.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "%s, %d cores (GOMAXPROCS %d), %s, %s, signet %s, %s\n", m.cpu, m.cores, m.procs, m.kernel, m.goVersion, m.revision, m.crypto)
	fmt.Fprintf(w, "%s\n", m.command)
	fmt.Fprintf(w, "each run: %v warm-up, %v measured%s\n", rep.opts.warmup, rep.opts.dur, rep.loginTime())
	for _, s := range rep.sections() {
		fmt.Fprintf(w, "\n%s\n", s.title)
		var flags uint = tabwriter.AlignRight
		if s.left {
			flags = 0
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', flags)
		fmt.Fprintln(tw, strings.Join(s.header, "\t")+"\t")
		for _, row := range s.rows {
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
		tw.Flush()
		for _, n := range s.notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
}

// markdownString is the report as markdown, with the machine and command.
func (rep *report) markdownString() string {
	m := rep.machine
	var b strings.Builder
	fmt.Fprintf(&b, "## Load benchmark, %s\n\n", m.date.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- Machine: %s, %d cores (GOMAXPROCS %d)\n", m.cpu, m.cores, m.procs)
	fmt.Fprintf(&b, "- Kernel: %s\n", m.kernel)
	fmt.Fprintf(&b, "- Go: %s\n", m.goVersion)
	fmt.Fprintf(&b, "- Signet: %s\n", m.revision)
	fmt.Fprintf(&b, "- Crypto: %s\n", m.crypto)
	fmt.Fprintf(&b, "- Command: `%s`\n", m.command)
	fmt.Fprintf(&b, "- Each run: %v warm-up, %v measured in %v slices, each followed by %v of its reference%s; load generator in the same process as the floor measurement, on the same machine as the server\n", rep.opts.warmup, rep.opts.dur, rep.opts.slice, rep.opts.slice/2, rep.loginTime())
	for _, s := range rep.sections() {
		fmt.Fprintf(&b, "\n### %s\n\n", s.title)
		b.WriteString("| " + strings.Join(s.header, " | ") + " |\n")
		b.WriteString("|" + strings.Repeat(" --- |", len(s.header)) + "\n")
		for _, row := range s.rows {
			b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		}
		if len(s.notes) > 0 {
			b.WriteString("\n")
		}
		for _, n := range s.notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}

func others(r *result) string {
	if r.otherCPU < 0 || r.elapsed <= 0 {
		return "n/a"
	}
	return fixed(r.otherCPU.Seconds()/r.elapsed.Seconds(), 2)
}

func errCount(r *result) string {
	if r.hung > 0 {
		return fmt.Sprintf("%d (%d hung)", r.errs, r.hung)
	}
	return strconv.FormatUint(r.errs, 10)
}

func pct(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

func fixed(f float64, prec int) string { return strconv.FormatFloat(f, 'f', prec, 64) }

func mib(b int64) string {
	if b <= 0 {
		return "n/a"
	}
	return fixed(float64(b)/(1<<20), 1)
}

func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	switch {
	case d == 0:
		return "n/a"
	case f < 10:
		return fixed(f, 2) + " ms"
	case f < 100:
		return fixed(f, 1) + " ms"
	}
	return fixed(f, 0) + " ms"
}

// count formats a rate with thousands separators.
func count(f float64) string {
	s := strconv.FormatInt(int64(f+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// spread describes the runs a median stands for: how many, and the range
// of their rates (and shares of the floor).
func spread(r *result) string {
	if r.runs <= 1 {
		return ""
	}
	out := fmt.Sprintf("%d: %s–%s/s", r.runs, count(r.lowRate), count(r.highRate))
	if r.highShare > 0 {
		out += fmt.Sprintf(" (%s–%s)", pct(r.lowShare), pct(r.highShare))
	}
	return out
}
