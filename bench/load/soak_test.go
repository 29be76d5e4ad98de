package main

import (
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		want, got  int
		retryAfter string
		inOutage   bool
		err        error
		out        outcome
	}{
		{"the wanted status", 200, 200, "", false, nil, outcomeOK},
		{"the wanted status in an outage", 302, 302, "", true, nil, outcomeOK},
		{"503 with Retry-After in an outage", 200, 503, "5", true, nil, outcomeUnavailable},
		{"503 without Retry-After", 200, 503, "", true, nil, outcomeNoRetryAfter},
		{"503 with a blank Retry-After", 200, 503, "  ", true, nil, outcomeNoRetryAfter},
		{"503 with the database up", 200, 503, "5", false, nil, outcomeUnavailableOutside},
		{"500 in an outage", 200, 500, "", true, nil, outcomeServerError},
		{"502", 200, 502, "", false, nil, outcomeServerError},
		{"a 302 where 200 is wanted", 200, 302, "", false, nil, outcomeOther},
		{"401", 200, 401, "", true, nil, outcomeOther},
		{"no answer", 200, 0, "", true, errors.New("connection refused"), outcomeTransport},
		{"an error after a status", 200, 200, "", false, errors.New("read: reset"), outcomeTransport},
	} {
		if got := classify(tc.want, tc.got, tc.retryAfter, tc.inOutage, tc.err); got != tc.out {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.out)
		}
	}
}

func TestRedirectStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status   int
		location string
		want     int
		label    string
	}{
		{302, signInRedirect + "?code=abc&state=s1", 302, ""},
		{302, signInRedirect + "?error=temporarily_unavailable&error_description=x&state=s1", 503, "302 error=temporarily_unavailable"},
		{302, signInRedirect + "?error=server_error&state=s1", 500, "302 error=server_error"},
		{302, signInRedirect + "?error=access_denied&state=s1", 400, "302 error=access_denied"},
		{302, "/account/login?id=1", 302, ""}, // the login page: not the client
		{200, signInRedirect + "?error=server_error", 200, ""},
	} {
		got, label := redirectStatus(tc.status, tc.location)
		if got != tc.want || label != tc.label {
			t.Errorf("%d %s: %d %q, want %d %q", tc.status, tc.location, got, label, tc.want, tc.label)
		}
	}
}

func TestPlan(t *testing.T) {
	t.Parallel()
	kinds := func(evs []event) string {
		var s []string
		for _, e := range evs {
			s = append(s, e.Kind+"@"+e.At.String())
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		restarts int
		rotate   bool
		want     string
	}{
		{2, true, "restart@2m30s rotate@5m0s restart@7m30s"},
		{1, true, "restart@3m20s rotate@6m40s"},
		{0, true, "rotate@5m0s"},
		{2, false, "restart@3m20s restart@6m40s"},
		{0, false, ""},
	} {
		if got := kinds(plan(10*time.Minute, tc.restarts, tc.rotate)); got != tc.want {
			t.Errorf("%d restarts, rotate %v: %q, want %q", tc.restarts, tc.rotate, got, tc.want)
		}
	}
}

func TestParseMixAndAssign(t *testing.T) {
	t.Parallel()
	mix, err := parseMix("token=3,reftoken=2,jwks=2,discovery=1,authcode=4")
	if err != nil {
		t.Fatal(err)
	}
	count := func(classes []string) map[string]int {
		m := map[string]int{}
		for _, c := range classes {
			m[c]++
		}
		return m
	}
	got := assign(mix, 256)
	if len(got) != 256 {
		t.Fatalf("%d workers, want 256", len(got))
	}
	c := count(got)
	for _, p := range mix {
		exact := 256 * float64(p.weight) / 12
		if d := float64(c[p.class]) - exact; d < -1 || d > 1 {
			t.Errorf("256 workers: %s has %d, want %.1f within 1 (3:2:2:1:4): %v", p.class, c[p.class], exact, c)
		}
	}
	// Fewer workers than classes' weights: each class keeps one.
	if got := count(assign(mix, 5)); len(got) != 5 {
		t.Errorf("5 workers: %v, want one per class", got)
	}
	if got := assign(mix, 3); len(got) != 3 {
		t.Errorf("3 workers: %d assigned", len(got))
	}
	for _, bad := range []string{"", "token", "token=x", "token=-1", "nope=1", "token=1,token=2", "token=0"} {
		if _, err := parseMix(bad); err == nil {
			t.Errorf("parseMix(%q): no error", bad)
		}
	}
	if mix, err := parseMix("jwks=1,token=0"); err != nil || len(mix) != 1 {
		t.Errorf("a class at 0 is left out: %v %v", mix, err)
	}
}

func TestStepOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		class, method, path string
		name                string
		want                int
		db                  bool
	}{
		{"token", "POST", "/connect/token", "client_credentials", 200, false},
		{"reftoken", "POST", "/connect/token", "client_credentials (reference)", 200, true},
		{"jwks", "GET", "/.well-known/openid-configuration/jwks", "jwks", 200, false},
		{"authcode", "GET", "/connect/authorize?response_type=code&state=s1", "authorize (session)", 302, true},
		{"authcode", "POST", "/connect/token", "authorization_code", 200, true},
		{"authcode", "GET", "/account/login?id=x", "sign-in: login page", 200, true},
		{"authcode", "POST", "/account/login", "sign-in: login form", 303, true},
	} {
		name, want, db := stepOf(tc.class, tc.method, tc.path)
		if name != tc.name || want != tc.want || db != tc.db {
			t.Errorf("%s %s %s: %q %d %v, want %q %d %v", tc.class, tc.method, tc.path, name, want, db, tc.name, tc.want, tc.db)
		}
	}
}

func TestJWTKID(t *testing.T) {
	t.Parallel()
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","kid":"k1","typ":"at+jwt"}`))
	for tok, want := range map[string]string{h + ".e30.sig": "k1", "handle-without-dots": "?", "!!.e30.sig": "?",
		base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256"}`)) + ".e30.sig": "?"} {
		if got := jwtKID(tok); got != want {
			t.Errorf("jwtKID(%q) = %q, want %q", tok, got, want)
		}
	}
}

func TestParseClusters(t *testing.T) {
	t.Parallel()
	out := `Ver Cluster Port Status Owner    Data directory              Log file
15  main    5432 online postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log
16  other   5433 down   postgres /var/lib/postgresql/16/other /var/log/postgresql/postgresql-16-other.log
`
	got := parseClusters(out)
	want := []cluster{{"15", "main", 5432}, {"16", "other", 5433}}
	if !slices.Equal(got, want) {
		t.Errorf("parseClusters: %v, want %v", got, want)
	}
}

func TestParseGauge(t *testing.T) {
	t.Parallel()
	text := `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines_total_fake 99
go_goroutines 42
go_threads 9
`
	if got := parseGauge(strings.NewReader(text), "go_goroutines"); got != 42 {
		t.Errorf("go_goroutines: %d, want 42", got)
	}
	if got := parseGauge(strings.NewReader(text), "go_gc_duration_seconds"); got != -1 {
		t.Errorf("an absent metric: %d, want -1", got)
	}
}

func TestSoakDSN(t *testing.T) {
	t.Parallel()
	got, err := soakDSN("postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "signet_soak")
	if err != nil || got != "postgres://postgres@127.0.0.1:5432/signet_soak?sslmode=disable" {
		t.Errorf("soakDSN: %q %v", got, err)
	}
	if _, err := soakDSN("host=127.0.0.1 dbname=x", "signet_soak"); err == nil {
		t.Error("a keyword DSN: no error")
	}
	for name, ok := range map[string]bool{"signet_soak": true, "Soak2": true, "2soak": false, "a;drop": false, "": false, "a-b": false} {
		if validDBName(name) != ok {
			t.Errorf("validDBName(%q) = %v", name, !ok)
		}
	}
}

// passing is a summary of a run that met every criterion; each case of
// TestJudge breaks one thing.
func passing() *soakSummary {
	ok := func(want int, n uint64) *stepStats {
		s := newStepStats(want)
		s.outcomes[outcomeOK] = n
		return s
	}
	s := &soakSummary{
		order:  []string{"client_credentials", "authorization_code"},
		steps:  map[string]*stepStats{"client_credentials": ok(200, 1000), "authorization_code": ok(200, 100)},
		Events: []event{{Kind: "restart"}, {Kind: "rotate"}, {Kind: "restart"}},
		KeyIDs: map[string]int{"old": 10, "new": 5}, FinalKIDs: []string{"new", "old"},
		Goroutines: true,
		Baseline:   resources{RSS: 40 << 20, Goroutines: 20},
		Settled:    resources{RSS: 50 << 20, Goroutines: 22},
		Tokens:     []tokenCheck{{Kind: "refresh", Issued: 10, Checked: 10, Active: 10}, {Kind: "reference", Issued: 5, Checked: 5, Active: 5}},
		Redeemed:   10,
	}
	s.steps["authorization_code"].outcomes[outcomeUnavailable] = 7 // allowed
	return s
}

func TestJudge(t *testing.T) {
	t.Parallel()
	lim := soakLimits{goroutineSlack: 10, rssFactor: 1.5, rssSlack: 16 << 20}
	if s := passing(); !judged(s, lim).Passed {
		t.Fatalf("a passing run failed: %+v", s.Criteria)
	}
	for _, tc := range []struct {
		name   string
		break_ func(s *soakSummary)
		failed string // the criterion that must fail
	}{
		{"a 500", func(s *soakSummary) { s.steps["client_credentials"].outcomes[outcomeServerError] = 1 }, "zero 500s"},
		{"a 503 without Retry-After", func(s *soakSummary) { s.steps["authorization_code"].outcomes[outcomeNoRetryAfter] = 1 }, "every failed request"},
		{"a 503 with the database up", func(s *soakSummary) { s.steps["authorization_code"].outcomes[outcomeUnavailableOutside] = 1 }, "every failed request"},
		{"a transport error", func(s *soakSummary) { s.steps["client_credentials"].outcomes[outcomeTransport] = 1 }, "every failed request"},
		{"a 401", func(s *soakSummary) { s.steps["client_credentials"].outcomes[outcomeOther] = 1 }, "every failed request"},
		{"an exchange failed otherwise", func(s *soakSummary) { s.Flows.Failed = 1 }, "every failed request"},
		{"a class without success", func(s *soakSummary) { s.steps["authorization_code"].outcomes[outcomeOK] = 0 }, "every kind of request"},
		{"a restart that failed", func(s *soakSummary) { s.Events[0].Err = "pg_ctlcluster: exit 1" }, "the planned restarts"},
		{"one key only", func(s *soakSummary) { s.KeyIDs = map[string]int{"old": 3} }, "the rotation took effect"},
		{"an old key gone from the JWKS", func(s *soakSummary) { s.FinalKIDs = []string{"new"} }, "the rotation took effect"},
		{"goroutines leaked", func(s *soakSummary) { s.Settled.Goroutines = 31 }, "goroutines back"},
		{"RSS grown", func(s *soakSummary) { s.Settled.RSS = 61 << 20 }, "RSS back"},
		{"a refresh token lost", func(s *soakSummary) { s.Tokens[0].Active, s.Tokens[0].Inactive = 9, 1 }, "nothing committed lost"},
		{"a reference token unchecked", func(s *soakSummary) { s.Tokens[1].Checked, s.Tokens[1].Active = 4, 4 }, "nothing committed lost"},
		{"a refresh token that does not redeem", func(s *soakSummary) { s.RedeemErr = "refresh_token grant: 400" }, "nothing committed lost"},
	} {
		s := passing()
		tc.break_(s)
		s.judge(lim)
		if s.Passed {
			t.Errorf("%s: passed", tc.name)
		}
		for _, c := range s.Criteria {
			if strings.HasPrefix(c.Name, tc.failed) == c.Met {
				t.Errorf("%s: %q met %v: %s", tc.name, c.Name, c.Met, c.Detail)
			}
		}
	}

	// Goroutines that cannot be measured are reported, not failed.
	s := passing()
	s.Goroutines = false
	s.judge(lim)
	if !s.Passed {
		t.Errorf("without goroutines: failed: %+v", s.Criteria)
	}
	if i := slices.IndexFunc(s.Criteria, func(c verdict) bool { return strings.HasPrefix(c.Name, "goroutines") }); i < 0 || s.Criteria[i].Known {
		t.Errorf("without goroutines: the criterion is not flagged unknown: %+v", s.Criteria)
	}
	// Without a rotation there is no rotation criterion.
	s = passing()
	s.Events = s.Events[:1]
	s.KeyIDs = map[string]int{"old": 1}
	if !judged(s, lim).Passed {
		t.Errorf("no rotation planned: failed: %+v", s.Criteria)
	}
}

func judged(s *soakSummary, lim soakLimits) *soakSummary {
	s.judge(lim)
	return s
}
