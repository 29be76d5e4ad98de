package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// fakeSignIn is a stand-in for signet serve's sign-in, as strict as the
// flows need it to be: it refuses a request that lacks what Signet would
// check (the form's token and cookie, the session, PKCE, the state, the
// client's secret, single use of a code), so that the flows are shown to
// send it.
type fakeSignIn struct {
	mu       sync.Mutex
	pending  map[string]url.Values // login id → the authorization request
	sessions map[string]string     // session → username
	codes    map[string]url.Values // code → the authorization request
	n        int

	logins, exchanges atomic.Int64
	// block, when not nil, holds every login POST until it is closed.
	block chan struct{}
}

func newFakeSignIn(t *testing.T) (*fakeSignIn, *httptest.Server) {
	f := &fakeSignIn{pending: map[string]url.Values{}, sessions: map[string]string{}, codes: map[string]url.Values{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeSignIn) next(prefix string) string {
	f.n++
	return fmt.Sprintf("%s%d", prefix, f.n)
}

func (f *fakeSignIn) session(r *http.Request) string {
	c, err := r.Cookie(sessionName)
	if err != nil {
		return ""
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.sessions[c.Value]; !ok {
		return ""
	}
	return c.Value
}

// answer sends the browser back to the client with a code for q.
func (f *fakeSignIn) answer(w http.ResponseWriter, r *http.Request, q url.Values) {
	f.mu.Lock()
	code := f.next("code")
	f.codes[code] = q
	f.mu.Unlock()
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {"http://fake"}}.Encode(), http.StatusFound)
}

func (f *fakeSignIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == "GET" && r.URL.Path == "/connect/authorize":
		q := r.URL.Query()
		if q.Get("client_id") != signInClientID || q.Get("redirect_uri") != signInRedirect || q.Get("response_type") != "code" ||
			q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("state") == "" || q.Get("scope") != signInScope {
			http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		if f.session(r) != "" {
			f.answer(w, r, q)
			return
		}
		f.mu.Lock()
		id := f.next("req")
		f.pending[id] = q
		f.mu.Unlock()
		http.Redirect(w, r, loginPath+"?id="+id, http.StatusFound)
	case r.Method == "GET" && r.URL.Path == loginPath:
		csrf := "csrf-" + r.URL.Query().Get("id")
		http.SetCookie(w, &http.Cookie{Name: formCookie, Value: csrf, Path: "/", HttpOnly: true})
		// Flushed early, so that the page comes chunked, as a large page
		// does; the attributes in another order than usual.
		fmt.Fprintf(w, `<!doctype html><html><body><main><h1>Sign in</h1><form method="post">
<input value="%s" type="hidden" name="id">
<input name='token' type='hidden' value='tok&amp;%s'>
<input id="username" name="username" type="text"></form>`, r.URL.Query().Get("id"), csrf)
		w.(http.Flusher).Flush()
		fmt.Fprint(w, "</main></body></html>")
	case r.Method == "POST" && r.URL.Path == loginPath:
		if f.block != nil {
			<-f.block
		}
		c, err := r.Cookie(formCookie)
		if err != nil || r.PostFormValue("token") != "tok&"+c.Value || r.PostFormValue("decision") != "login" {
			http.Error(w, "This form has expired", http.StatusForbidden)
			return
		}
		if r.PostFormValue("password") != userPassword || !strings.HasPrefix(r.PostFormValue("username"), "bench-user-") {
			fmt.Fprint(w, `<main><div class="alert" role="alert"><p>The username or the password is not right.</p></div></main>`)
			return
		}
		f.mu.Lock()
		s := f.next("session")
		f.sessions[s] = r.PostFormValue("username")
		f.mu.Unlock()
		f.logins.Add(1)
		http.SetCookie(w, &http.Cookie{Name: sessionName, Value: "", MaxAge: -1}) // the previous one ends
		http.SetCookie(w, &http.Cookie{Name: sessionName, Value: s, Path: "/", HttpOnly: true})
		http.Redirect(w, r, callbackPath+"?id="+r.PostFormValue("id")+"&login=proof", http.StatusSeeOther)
	case r.Method == "GET" && r.URL.Path == callbackPath:
		f.mu.Lock()
		q, ok := f.pending[r.URL.Query().Get("id")]
		delete(f.pending, r.URL.Query().Get("id"))
		f.mu.Unlock()
		if !ok || f.session(r) == "" {
			http.Error(w, "no such request, or no session", http.StatusBadRequest)
			return
		}
		f.answer(w, r, q)
	case r.Method == "POST" && r.URL.Path == "/connect/token":
		id, secret, _ := r.BasicAuth()
		if id != signInClientID || secret != signInSecret {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		q, ok := f.codes[r.PostFormValue("code")]
		delete(f.codes, r.PostFormValue("code"))
		f.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		if !ok || r.PostFormValue("grant_type") != "authorization_code" || r.PostFormValue("redirect_uri") != q.Get("redirect_uri") ||
			base64.RawURLEncoding.EncodeToString(sum[:]) != q.Get("code_challenge") {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		f.exchanges.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"at","token_type":"Bearer","expires_in":3600,"id_token":"it","scope":"openid profile api1"}`)
	default:
		http.NotFound(w, r)
	}
}

// Each worker of the authcode mode signs in once and then only exchanges
// codes with its session; each of the login mode signs in at every
// request; both with either generator, and nothing fails.
func TestFlows(t *testing.T) {
	t.Parallel()
	for _, gen := range []string{genRaw, genNetHTTP} {
		for _, mode := range []string{"authcode", "login"} {
			t.Run(gen+"/"+mode, func(t *testing.T) {
				t.Parallel()
				f, srv := newFakeSignIn(t)
				ep := endpoint{name: mode, want: flowOK, timeout: 10 * time.Second, flow: newAuthcodeFlow()}
				if mode == "login" {
					ep.flow = loginFlow{}
				}
				ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
				defer cancel()
				const conc = 4
				l, err := newLoad(ctx, target{base: srv.URL}, ep, gen, conc)
				if err != nil {
					t.Fatal(err)
				}
				defer l.close()
				l.counting.Store(true)
				l.start(ep.want)
				for f.logins.Load()+f.exchanges.Load() < 20+conc {
					time.Sleep(time.Millisecond)
				}
				l.stop()
				var r result
				l.collect(&r)
				if r.errs != 0 || r.ok != r.sent {
					t.Fatalf("ok %d of %d sent, %d errors: %s", r.ok, r.sent, r.errs, r.firstErr)
				}
				switch mode {
				case "authcode":
					// One login per worker, whose code is redeemed too.
					if n := f.logins.Load(); n != conc {
						t.Errorf("%d logins, want one per worker (%d)", n, conc)
					}
					if n := f.exchanges.Load(); n != int64(r.sent)+conc {
						t.Errorf("%d exchanges, want %d sent + %d at the logins", n, r.sent, conc)
					}
				case "login":
					if n := f.logins.Load(); n != int64(r.sent) {
						t.Errorf("%d logins, want %d", n, r.sent)
					}
				}
			})
		}
	}
}

// A flow that goes wrong says where and what came back; a request without
// an answer within the timeout is hung, and the worker counts it so.
func TestFlowFailures(t *testing.T) {
	t.Parallel()
	for _, gen := range []string{genRaw, genNetHTTP} {
		t.Run(gen, func(t *testing.T) {
			t.Parallel()
			f, srv := newFakeSignIn(t)
			c := newFlowClient(srv.URL, gen, 10*time.Second, time.Time{})
			defer c.close()

			// A wrong password: the login page's error is in the message.
			s := &loginner{signer{c: c, user: "someone-else"}}
			_, err := s.do()
			if err == nil || !strings.Contains(err.Error(), "login form of someone-else: status 200") ||
				!strings.Contains(err.Error(), "The username or the password is not right.") {
				t.Errorf("wrong user: %v", err)
			}

			// An authcode worker whose session is gone is sent to the login
			// page, which is an error, not a success.
			d, err := newAuthcodeFlow().newDoer(t.Context(), c, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			clear(f.sessions)
			f.mu.Unlock()
			if _, err := d.do(); err == nil || !strings.Contains(err.Error(), "the session was not found") {
				t.Errorf("lost session: %v", err)
			}

			// A login that never answers.
			f.block = make(chan struct{})
			defer close(f.block)
			hc := newFlowClient(srv.URL, gen, 100*time.Millisecond, time.Time{})
			defer hc.close()
			status, err := (&loginner{signer{c: hc, user: username(1)}}).do()
			if !errors.Is(err, errHung) {
				t.Fatalf("blocked login: status %d, %v; want errHung", status, err)
			}
		})
	}
}

// The worker's loop counts a hung request as an error and as hung.
func TestWorkerCountsHung(t *testing.T) {
	t.Parallel()
	calls := 0
	l := &load{}
	l.counting.Store(true)
	w := &worker{d: doerFunc(func() (int, error) {
		calls++
		if calls == 2 {
			l.stopped.Store(true)
		}
		return 0, fmt.Errorf("login form: %w: read tcp: i/o timeout", errHung)
	})}
	w.loop(l, flowOK)
	var r result
	l.workers = []*worker{w}
	l.collect(&r)
	if r.errs != 2 || r.hung != 2 || !strings.Contains(r.firstErr, "no answer within the request timeout") {
		t.Errorf("errors %d, hung %d, first %q", r.errs, r.hung, r.firstErr)
	}
}

type doerFunc func() (int, error)

func (f doerFunc) do() (int, error) { return f() }

func TestHiddenInputs(t *testing.T) {
	t.Parallel()
	page := []byte(`<form>
<input type="hidden" name="id" value="abc">
<INPUT VALUE='x&amp;y&#34;' NAME='token' TYPE='HIDDEN'>
<input name="username" type="text" value="alice">
</form>`)
	got := hiddenInputs(page)
	want := map[string]string{"id": "abc", "token": `x&y"`}
	if len(got) != len(want) || got["id"] != want["id"] || got["token"] != want["token"] {
		t.Errorf("hiddenInputs = %q, want %q", got, want)
	}
}

func TestReadFlowResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw string
		status    int
		location  string
		cookies   []string
		body      string
		keep      bool
	}{
		{name: "redirect with cookies",
			raw: "HTTP/1.1 303 See Other\r\nLocation: /connect/authorize/callback?id=1\r\nSet-Cookie: signet.session=; Max-Age=0\r\n" +
				"Set-Cookie: signet.session=abc; Path=/; HttpOnly\r\nContent-Length: 0\r\n\r\n",
			status: 303, location: "/connect/authorize/callback?id=1", cookies: []string{"signet.session=", "signet.session=abc"}, keep: true},
		{name: "chunked", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nTrailer: 1\r\n\r\n",
			status: 200, body: "hello world", keep: true},
		{name: "close", raw: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbad", status: 400, body: "bad"},
		{name: "until EOF", raw: "HTTP/1.1 200 OK\r\n\r\nall of it", status: 200, body: "all of it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r flowResp
			keep, err := readFlowResponse(bufio.NewReader(strings.NewReader(tt.raw)), &r)
			if err != nil {
				t.Fatal(err)
			}
			if r.status != tt.status || r.location != tt.location || string(r.body) != tt.body || keep != tt.keep ||
				strings.Join(r.cookies, "|") != strings.Join(tt.cookies, "|") {
				t.Errorf("got %d %q %q %q keep=%v", r.status, r.location, r.cookies, r.body, keep)
			}
			if len(tt.cookies) > 0 && r.cookie(sessionName) != "abc" {
				t.Errorf("cookie = %q, want the last one", r.cookie(sessionName))
			}
		})
	}
	var r flowResp
	if _, err := readFlowResponse(bufio.NewReader(strings.NewReader("SSH-2.0\r\n\r\n")), &r); !errors.Is(err, errMalformed) {
		t.Errorf("not HTTP: %v", err)
	}
}

// The sign-in configuration has the client the flows use, ID tokens with
// the key's algorithm (an ES256 server has no RS256 key), and the users,
// whose hash comes from the environment.
func TestSignInConfig(t *testing.T) {
	t.Parallel()
	c := serverConfig{dir: t.TempDir(), pfx: "/k.pfx", alg: "ES256", logLevel: "warn", passwordHash: "$argon2id$x"}
	file, err := c.write("127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Clients []struct {
			ClientID     string   `yaml:"clientId"`
			Grants       []string `yaml:"allowedGrantTypes"`
			Scopes       []string `yaml:"allowedScopes"`
			RedirectURIs []string `yaml:"redirectUris"`
			IDTokenAlgs  []string `yaml:"allowedIdentityTokenSigningAlgorithms"`
			Secrets      []struct{ Value string }
		}
		Users []struct {
			SubjectID    string `yaml:"subjectId"`
			Username     string
			PasswordHash string `yaml:"passwordHash"`
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if len(cfg.Clients) != 3 || len(cfg.Users) != benchUsers {
		t.Fatalf("%d clients, %d users:\n%s", len(cfg.Clients), len(cfg.Users), b)
	}
	web := cfg.Clients[2]
	if web.ClientID != signInClientID || web.Secrets[0].Value != signInSecret || strings.Join(web.Grants, " ") != "authorization_code" ||
		strings.Join(web.Scopes, " ") != signInScope || web.RedirectURIs[0] != signInRedirect || strings.Join(web.IDTokenAlgs, " ") != "ES256" {
		t.Errorf("sign-in client %+v", web)
	}
	if u := cfg.Users[benchUsers-1]; u.Username != username(benchUsers-1) || u.PasswordHash != "${"+hashEnv+"}" || u.SubjectID == "" {
		t.Errorf("last user %+v", u)
	}
	// Without a hash, the token service's configuration is as it was.
	c.passwordHash = ""
	if file, err = c.write("127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(file); strings.Contains(string(b), signInClientID) || strings.Contains(string(b), "users:") {
		t.Errorf("sign-in configured without a hash:\n%s", b)
	}
}

// A code exchange's reference counts one operation per two signatures.
func TestSigningRefPer(t *testing.T) {
	t.Parallel()
	for _, per := range []uint64{1, 2} {
		var calls atomic.Uint64
		sign := func() error { calls.Add(1); return nil }
		s, err := signingRef{sign: sign, per: per}.sample(t.Context(), 5*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if s.n != calls.Load()/per {
			t.Errorf("per %d: %d operations of %d signatures", per, s.n, calls.Load())
		}
	}
}
