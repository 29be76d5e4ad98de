package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// The soak's verdicts: how each response is classified, what the run adds
// up to, and the criteria of issue 17 it is held to. Nothing here sends a
// request, so that the rules are tested without a server.

// An outcome is what one response (or its absence) counts as.
type outcome int

const (
	outcomeOK outcome = iota
	// outcomeUnavailable: 503 with Retry-After while the database was
	// away (sent or answered within an outage window): what the issue
	// allows.
	outcomeUnavailable
	// outcomeNoRetryAfter: 503 without Retry-After.
	outcomeNoRetryAfter
	// outcomeUnavailableOutside: 503 with the database up (outside every
	// outage window and its grace).
	outcomeUnavailableOutside
	// outcomeServerError: 500 or any 5xx other than 503.
	outcomeServerError
	// outcomeOther: a status that is neither the wanted one nor a 5xx
	// (a 302 to the login page, a 400, a 401...).
	outcomeOther
	// outcomeTransport: no answer (refused, reset, timed out).
	outcomeTransport
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"ok", "503 in outage", "503 without Retry-After", "503 outside outage", "5xx (not 503)", "other status", "transport error"}

func (o outcome) String() string { return outcomeNames[o] }

// classify is the outcome of a response with status (0 and err for none)
// to a request that wants want; inOutage says whether the request was sent
// or answered while the database was away.
func classify(want, status int, retryAfter string, inOutage bool, err error) outcome {
	switch {
	case err != nil || status == 0:
		return outcomeTransport
	case status == want:
		return outcomeOK
	case status == 503 && strings.TrimSpace(retryAfter) == "":
		return outcomeNoRetryAfter
	case status == 503 && !inOutage:
		return outcomeUnavailableOutside
	case status == 503:
		return outcomeUnavailable
	case status >= 500:
		return outcomeServerError
	default:
		return outcomeOther
	}
}

// stepStats counts one kind of request (one step of a class: the
// authorization code class has two).
type stepStats struct {
	want     int
	outcomes [numOutcomes]uint64
	statuses map[string]uint64 // "0": transport error
	hist     histogram         // latency of the successful ones
	// first is the first response of each bad outcome, described.
	first map[outcome]string
}

func newStepStats(want int) *stepStats {
	return &stepStats{want: want, statuses: map[string]uint64{}, first: map[outcome]string{}}
}

func (s *stepStats) record(o outcome, status string, took time.Duration, what func() string) {
	s.outcomes[o]++
	s.statuses[status]++
	if o == outcomeOK {
		s.hist.record(took)
		return
	}
	if o != outcomeUnavailable && s.first[o] == "" {
		s.first[o] = what()
	}
}

func (s *stepStats) merge(o *stepStats) {
	for i, n := range o.outcomes {
		s.outcomes[i] += n
	}
	for st, n := range o.statuses {
		s.statuses[st] += n
	}
	s.hist.merge(&o.hist)
	for k, v := range o.first {
		if s.first[k] == "" {
			s.first[k] = v
		}
	}
}

func (s *stepStats) total() uint64 {
	var n uint64
	for _, c := range s.outcomes {
		n += c
	}
	return n
}

// resources is one sample of the server process.
type resources struct {
	At         time.Duration `json:"at"`             // since the load started (negative: before)
	RSS        int64         `json:"rssBytes"`       // VmRSS
	Threads    int           `json:"threads"`        // OS threads
	Goroutines int           `json:"goroutines"`     // from go_goroutines; -1 unknown
	FDs        int           `json:"fds,omitempty"`  // open file descriptors; 0 unknown
	Peak       int64         `json:"peakRssBytes"`   // VmHWM
	Conns      int           `json:"dbConns"`        // -1 unknown
	Note       string        `json:"note,omitempty"` // what this sample is
}

// An event is a PostgreSQL restart or the key rotation, and how it went.
type event struct {
	Kind   string        `json:"kind"` // "restart" or "rotate"
	At     time.Duration `json:"at"`   // planned, since the load started
	Start  time.Duration `json:"start"`
	End    time.Duration `json:"end"`  // the database back (a restart) or the command done
	Down   time.Duration `json:"down"` // the database away: from the stop command's start to the start command's end
	Err    string        `json:"error,omitempty"`
	Output string        `json:"output,omitempty"`
	// A restart's 503s: how many, and the first and last, since Start.
	Unavailable   uint64        `json:"unavailable"`
	First503      time.Duration `json:"first503,omitempty"`
	Last503       time.Duration `json:"last503,omitempty"`
	FirstOKAfter  time.Duration `json:"firstOkAfter,omitempty"` // first success of a database request after End
	KeyID         string        `json:"keyId,omitempty"`        // rotate: the new key
	firstSeen503  bool
	firstOKSeenAt bool
}

// plan spreads the restarts and the rotation evenly over the run (d):
// n events at d*k/(n+1), the rotation in the middle, so that each restart
// has load before and after it and the rotation sees neither outage.
func plan(d time.Duration, restarts int, rotate bool) []event {
	n := restarts
	if rotate {
		n++
	}
	var evs []event
	rot := -1
	if rotate {
		rot = n / 2
	}
	for k := range n {
		kind := "restart"
		if k == rot {
			kind = "rotate"
		}
		evs = append(evs, event{Kind: kind, At: d * time.Duration(k+1) / time.Duration(n+1)})
	}
	return evs
}

// tokenCheck is how the tokens recorded during the run fared at the end.
type tokenCheck struct {
	Kind     string `json:"kind"` // refresh, reference, jwt
	Issued   int    `json:"issued"`
	Checked  int    `json:"checked"`
	Active   int    `json:"active"`
	Inactive int    `json:"inactive"` // answered active:false: lost
	Failed   int    `json:"failed"`   // no answer after retries
	First    string `json:"firstProblem,omitempty"`
}

// soakLimits are the tolerances of the criteria that are not exact.
type soakLimits struct {
	goroutineSlack int     // goroutines after the settle may exceed the baseline by this many
	rssFactor      float64 // RSS after the settle at most baseline × this ...
	rssSlack       int64   // ... or baseline + this, whichever is larger
}

// soakSummary is everything the run measured; criteria judge it.
type soakSummary struct {
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	Conc     int           `json:"concurrency"`
	Command  string        `json:"command"`
	Machine  string        `json:"machine"`
	Signet   string        `json:"signet"`
	Alg      string        `json:"alg"`
	Mix      string        `json:"mix"`

	Steps  map[string]*stepJSON `json:"steps"`
	order  []string
	steps  map[string]*stepStats
	Flows  flowJSON `json:"authcodeFlows"`
	Events []event  `json:"events"`

	Start      resources   `json:"signedIn"` // after the sign-ins, before the warm-up
	Baseline   resources   `json:"baseline"`
	Peak       resources   `json:"peak"` // the largest of each during the load
	AfterLoad  resources   `json:"afterLoad"`
	Settled    resources   `json:"settled"`
	Samples    []resources `json:"samples,omitempty"`
	Goroutines bool        `json:"goroutinesKnown"` // the server exposes go_goroutines (metrics.listen)

	KeyIDs    map[string]int `json:"jwtKeyIds"` // sampled access tokens by kid
	FinalKIDs []string       `json:"finalJwksKids"`
	Tokens    []tokenCheck   `json:"tokens"`
	Redeemed  int            `json:"refreshRedeemed"` // refresh tokens redeemed at the end, all 200
	RedeemErr string         `json:"refreshRedeemError,omitempty"`

	Criteria []verdict `json:"criteria"`
	Passed   bool      `json:"passed"`
}

// flowJSON counts the authorization code exchanges as wholes.
type flowJSON struct {
	OK uint64 `json:"ok"`
	// Unavailable failed on a 503; Failed on something else (the first
	// of those described).
	Unavailable uint64 `json:"unavailable"`
	Failed      uint64 `json:"failed"`
	First       string `json:"firstFailure,omitempty"`
}

// stepJSON is a step's counts as reported.
type stepJSON struct {
	Want     int               `json:"want"`
	Total    uint64            `json:"total"`
	Outcomes map[string]uint64 `json:"outcomes"`
	Statuses map[string]uint64 `json:"statuses"`
	P50      time.Duration     `json:"p50"`
	P90      time.Duration     `json:"p90"`
	P99      time.Duration     `json:"p99"`
	Max      time.Duration     `json:"p100"`
	First    map[string]string `json:"firstOfEach,omitempty"`
}

func (s *stepStats) json() *stepJSON {
	j := &stepJSON{Want: s.want, Total: s.total(), Outcomes: map[string]uint64{}, Statuses: map[string]uint64{},
		P50: s.hist.quantile(0.5), P90: s.hist.quantile(0.9), P99: s.hist.quantile(0.99), Max: s.hist.quantile(1)}
	for o, n := range s.outcomes {
		if n > 0 {
			j.Outcomes[outcome(o).String()] = n
		}
	}
	for st, n := range s.statuses {
		if st == "0" {
			st = "transport error"
		}
		j.Statuses[st] = n
	}
	for o, v := range s.first {
		if j.First == nil {
			j.First = map[string]string{}
		}
		j.First[o.String()] = v
	}
	return j
}

// A verdict is one criterion, met or not, with the numbers behind it.
type verdict struct {
	Name   string `json:"name"`
	Met    bool   `json:"met"`
	Known  bool   `json:"known"` // false: not measurable here (and not failed)
	Detail string `json:"detail"`
}

// judge holds s to issue 17's criteria.
func (s *soakSummary) judge(lim soakLimits) {
	var v []verdict
	add := func(name string, met, known bool, format string, a ...any) {
		v = append(v, verdict{Name: name, Met: met || !known, Known: known, Detail: fmt.Sprintf(format, a...)})
	}
	var tot [numOutcomes]uint64
	ok := true
	var bad []string
	for _, name := range s.order {
		st := s.steps[name]
		for o, n := range st.outcomes {
			tot[o] += n
		}
		if st.outcomes[outcomeOK] == 0 {
			ok = false
			bad = append(bad, name)
		}
	}
	detail := "each had successes"
	if !ok {
		detail = strings.Join(bad, ", ") + " had none"
	}
	add("every kind of request succeeded during the run", ok, true, "%s", detail)
	add("zero 500s", tot[outcomeServerError] == 0, true, "%d responses 5xx other than 503", tot[outcomeServerError])
	others := tot[outcomeNoRetryAfter] + tot[outcomeUnavailableOutside] + tot[outcomeOther] + tot[outcomeTransport]
	add("every failed request a 503 with Retry-After while the database was away", others == 0 && s.Flows.Failed == 0, true,
		"%d 503s with Retry-After in outages; %d without Retry-After, %d 503s with the database up, %d other statuses, %d transport errors, %d code exchanges failed otherwise",
		tot[outcomeUnavailable], tot[outcomeNoRetryAfter], tot[outcomeUnavailableOutside], tot[outcomeOther], tot[outcomeTransport], s.Flows.Failed)

	restarts, rotated, evErr := 0, false, ""
	for _, e := range s.Events {
		if e.Err != "" {
			evErr = e.Kind + ": " + e.Err
			continue
		}
		if e.Kind == "restart" {
			restarts++
		} else {
			rotated = true
		}
	}
	add("the planned restarts and rotation ran", evErr == "", true, "%d restarts, rotated: %v%s", restarts, rotated, prefixed("; ", evErr))

	if rotated {
		kids := slices.Sorted(mapKeys(s.KeyIDs))
		missing := slices.DeleteFunc(slices.Clone(kids), func(k string) bool { return slices.Contains(s.FinalKIDs, k) })
		add("the rotation took effect and earlier tokens still validate (JWKS has both keys)", len(kids) >= 2 && len(missing) == 0, true,
			"access tokens signed by %d keys (%s); JWKS at the end: %s%s", len(kids), strings.Join(kids, ", "), strings.Join(s.FinalKIDs, ", "),
			prefixed("; missing: ", strings.Join(missing, ", ")))
	}

	if s.Goroutines {
		lim := s.Baseline.Goroutines + lim.goroutineSlack
		add("goroutines back to the baseline after the load", s.Settled.Goroutines <= lim, true,
			"baseline %d, peak %d, after the load %d, settled %d (limit %d)", s.Baseline.Goroutines, s.Peak.Goroutines, s.AfterLoad.Goroutines, s.Settled.Goroutines, lim)
	} else {
		add("goroutines back to the baseline after the load", false, false,
			"not measured: the server has no metrics.listen (go_goroutines); OS threads: baseline %d, peak %d, settled %d", s.Baseline.Threads, s.Peak.Threads, s.Settled.Threads)
	}
	rssLim := max(int64(float64(s.Baseline.RSS)*lim.rssFactor), s.Baseline.RSS+lim.rssSlack)
	add("RSS back to the baseline after the load", s.Baseline.RSS > 0 && s.Settled.RSS <= rssLim, s.Baseline.RSS > 0,
		"baseline %s, peak %s, after the load %s, settled %s (limit %s) MiB", mib(s.Baseline.RSS), mib(s.Peak.Peak), mib(s.AfterLoad.RSS), mib(s.Settled.RSS), mib(rssLim))

	lost, checked, issued, first := 0, 0, 0, ""
	var parts []string
	for _, t := range s.Tokens {
		lost += t.Inactive + t.Failed + (t.Issued - t.Checked)
		checked += t.Checked
		issued += t.Issued
		if first == "" {
			first = t.First
		}
		parts = append(parts, fmt.Sprintf("%s %d/%d active", t.Kind, t.Active, t.Issued))
	}
	add("nothing committed lost (every issued refresh and reference token still active)", lost == 0 && issued > 0 && s.RedeemErr == "", true,
		"%s; %d refresh tokens redeemed%s", strings.Join(parts, ", "), s.Redeemed, prefixed("; first problem: ", cmp.Or(first, s.RedeemErr)))

	s.Criteria = v
	s.Passed = true
	for _, c := range v {
		s.Passed = s.Passed && c.Met
	}
}

// prefixed is prefix and s, or "" when s is.
func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// fill makes the reported form of the steps.
func (s *soakSummary) fill() {
	s.Steps = map[string]*stepJSON{}
	for _, name := range s.order {
		s.Steps[name] = s.steps[name].json()
	}
}

func (s *soakSummary) writeJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(s)
}

// text prints the summary for reading.
func (s *soakSummary) text(w io.Writer) {
	fmt.Fprintf(w, "Soak, %s: %v at concurrency %d (%s), %s, signet %s\n", s.Started.UTC().Format("2006-01-02 15:04 UTC"), s.Duration, s.Conc, s.Mix, s.Alg, s.Signet)
	fmt.Fprintf(w, "Machine: %s\nCommand: %s\n\n", s.Machine, s.Command)
	fmt.Fprintf(w, "%-30s %9s %9s %8s %8s %8s %8s %9s  %s\n", "request", "total", "ok", "503 (db)", "p50", "p90", "p99", "max", "other outcomes")
	for _, name := range s.order {
		st := s.steps[name]
		var other []string
		for o, n := range st.outcomes {
			if n > 0 && outcome(o) != outcomeOK && outcome(o) != outcomeUnavailable {
				other = append(other, fmt.Sprintf("%s %d", outcome(o), n))
			}
		}
		fmt.Fprintf(w, "%-30s %9d %9d %8d %8s %8s %8s %9s  %s\n", name, st.total(), st.outcomes[outcomeOK], st.outcomes[outcomeUnavailable],
			ms(st.hist.quantile(0.5)), ms(st.hist.quantile(0.9)), ms(st.hist.quantile(0.99)), ms(st.hist.quantile(1)), strings.Join(other, ", "))
		for o, d := range st.first {
			fmt.Fprintf(w, "    first %s: %s\n", o, d)
		}
	}
	fmt.Fprintf(w, "authorization code exchanges (authorize + token): %d ok, %d failed on a 503, %d failed otherwise\n", s.Flows.OK, s.Flows.Unavailable, s.Flows.Failed)
	if s.Flows.First != "" {
		fmt.Fprintf(w, "    first failure not a 503: %s\n", s.Flows.First)
	}
	fmt.Fprintln(w, "\nEvents:")
	for _, e := range s.Events {
		switch {
		case e.Err != "":
			fmt.Fprintf(w, "  %-8s at %v: FAILED: %s\n", e.Kind, e.Start.Round(time.Second), e.Err)
		case e.Kind == "restart":
			fmt.Fprintf(w, "  restart at %v: database away %v; %d 503s (first %v, last %v after the stop); first success after it was back: +%v\n",
				e.Start.Round(time.Second), e.Down.Round(time.Millisecond), e.Unavailable, e.First503.Round(time.Millisecond), e.Last503.Round(time.Millisecond), e.FirstOKAfter.Round(time.Millisecond))
		default:
			fmt.Fprintf(w, "  rotate  at %v: key %s signs (took %v)\n", e.Start.Round(time.Second), e.KeyID, (e.End - e.Start).Round(time.Millisecond))
		}
	}
	g := func(r resources) string {
		if r.Goroutines < 0 {
			return "?"
		}
		return fmt.Sprint(r.Goroutines)
	}
	fmt.Fprintln(w, "\nServer process:")
	fmt.Fprintf(w, "  %-12s %9s %8s %11s %6s\n", "", "RSS MiB", "threads", "goroutines", "fds")
	for _, r := range []resources{s.Start, s.Baseline, s.Peak, s.AfterLoad, s.Settled} {
		fmt.Fprintf(w, "  %-12s %9s %8d %11s %6d\n", r.Note, mib(r.RSS), r.Threads, g(r), r.FDs)
	}
	if !s.Goroutines {
		fmt.Fprintln(w, "  goroutines: not measured (this signet has no metrics.listen to scrape go_goroutines from)")
	}
	fmt.Fprintln(w, "\nTokens issued during the run, checked at the end by introspection (the API resource's secret):")
	for _, t := range s.Tokens {
		fmt.Fprintf(w, "  %-9s issued %d, checked %d, active %d, inactive %d, unanswered %d\n", t.Kind, t.Issued, t.Checked, t.Active, t.Inactive, t.Failed)
	}
	fmt.Fprintf(w, "  access tokens sampled by signing key: %v; JWKS at the end: %s\n", s.KeyIDs, strings.Join(s.FinalKIDs, ", "))
	fmt.Fprintln(w, "\nCriteria:")
	for _, c := range s.Criteria {
		mark := "met   "
		switch {
		case !c.Known:
			mark = "n/a   "
		case !c.Met:
			mark = "FAILED"
		}
		fmt.Fprintf(w, "  %s %s: %s\n", mark, c.Name, c.Detail)
	}
	if s.Passed {
		fmt.Fprintln(w, "\nPASS")
	} else {
		fmt.Fprintln(w, "\nFAIL")
	}
}
