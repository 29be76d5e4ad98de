package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The sign-in modes drive the server as a browser and a relying party do,
// through the benchmark configuration's sign-in client and users
// (server.go):
//
//   - authcode: each worker (a virtual user) signs in once, as a browser
//     does (authorize, the login page, its form, the callback, whose code
//     it redeems), then loops over code exchanges with the session it
//     keeps: GET /connect/authorize with a new PKCE challenge and state
//     (302 to the redirect URI with a code, since the session is alive
//     and the client asks no consent), then POST /connect/token
//     (authorization_code, client_secret_basic, the code_verifier), which
//     must answer 200 with an access token and an ID token. One exchange
//     is both requests; its latency is theirs together. The server signs
//     two tokens per exchange, so the reference is half the signing floor.
//   - login: each worker signs in again and again as a new browser (no
//     cookie kept): GET /connect/authorize (302 to the login page), the
//     login page (its hidden id and token, and the signet.csrf cookie),
//     and the POST of the form with the right password (303 to the
//     callback, with a session cookie). One login is the three requests;
//     the server's cost is the argon2id verification, which it bounds.
//
// Every step checks the status and what the next one needs, so that a
// flow that went wrong counts as an error with what came back, instead of
// a success of the wrong thing.

// The sign-in client and users of the benchmark configuration.
const (
	signInClientID = "bench-web"
	signInSecret   = "bench-web-secret-not-for-production-0123456"
	// signInRedirect is registered for the client and never fetched: the
	// flows read the code from the Location header.
	signInRedirect = "http://127.0.0.1/bench/callback"
	signInScope    = "openid profile api1"
	// benchUsers is how many users the configuration has; worker i signs
	// in as user i % benchUsers. One per worker at concurrency 64, so that
	// the storm's successful logins (each one update of its user's record)
	// do not queue behind each other on the same user.
	benchUsers   = 64
	userPassword = "bench-user-password-not-for-production"

	loginPath    = "/account/login"
	callbackPath = "/connect/authorize/callback"
	sessionName  = "signet.session"
	formCookie   = "signet.csrf"
)

func username(i int) string { return fmt.Sprintf("bench-user-%02d", i%benchUsers) }

// A flow makes the doer of one worker; newDoer may send requests (the
// authcode flow signs in there).
type flow interface {
	newDoer(ctx context.Context, c flowClient, worker int) (doer, error)
}

// flowOK is the status a flow's doer reports when the whole flow
// succeeded (its endpoint's want).
const flowOK = 200

var (
	formHeader  = "Content-Type: application/x-www-form-urlencoded"
	redirectEsc = url.QueryEscape(signInRedirect)
)

// signer is one browser's steps, on its own connection.
type signer struct {
	c     flowClient
	user  string
	scope string // "" is signInScope
	n     uint64 // states made so far
}

// newPKCE returns a code_verifier (32 random bytes, base64url: 43
// characters, RFC 7636's minimum) and its S256 challenge.
func newPKCE() (verifier, challenge string) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	verifier = base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func (s *signer) newState() string {
	s.n++
	return "s" + strconv.FormatUint(s.n, 36)
}

// authorize sends the authorization request, with the session cookie
// (a "Cookie: ..." line) when not "".
func (s *signer) authorize(cookie, challenge, state string) (*flowResp, error) {
	scope := s.scope
	if scope == "" {
		scope = signInScope
	}
	path := "/connect/authorize?response_type=code&client_id=" + signInClientID + "&redirect_uri=" + redirectEsc +
		"&scope=" + url.QueryEscape(scope) + "&code_challenge_method=S256&code_challenge=" + challenge +
		"&state=" + state + "&nonce=" + state
	var header []string
	if cookie != "" {
		header = []string{cookie}
	}
	return s.c.roundTrip("GET", path, header, nil)
}

// login signs in as a new browser: authorize, the login page, its form.
// It returns the session cookie and where the form's answer sends the
// browser (the callback).
func (s *signer) login(challenge, state string) (session, callback string, err error) {
	resp, err := s.authorize("", challenge, state)
	if err != nil {
		return "", "", fmt.Errorf("authorize: %w", err)
	}
	if resp.status != 302 || !strings.HasPrefix(pathOf(resp.location), loginPath) {
		return "", "", unexpected("authorize without a session", resp, "302 to "+loginPath)
	}
	page := pathOf(resp.location)
	if resp, err = s.c.roundTrip("GET", page, nil, nil); err != nil {
		return "", "", fmt.Errorf("login page: %w", err)
	}
	csrf := resp.cookie(formCookie)
	fields := hiddenInputs(resp.body)
	if resp.status != 200 || csrf == "" || fields["id"] == "" || fields["token"] == "" {
		return "", "", unexpected("login page", resp, "200 with the "+formCookie+" cookie and hidden id and token")
	}
	form := url.Values{"id": {fields["id"]}, "token": {fields["token"]}, "username": {s.user},
		"password": {userPassword}, "decision": {"login"}}
	resp, err = s.c.roundTrip("POST", loginPath, []string{"Cookie: " + formCookie + "=" + csrf, formHeader}, []byte(form.Encode()))
	if err != nil {
		return "", "", fmt.Errorf("login form: %w", err)
	}
	session = resp.cookie(sessionName)
	if resp.status != 303 || session == "" || !strings.HasPrefix(pathOf(resp.location), callbackPath) {
		return "", "", unexpected("login form of "+s.user, resp, "303 to "+callbackPath+" with a session cookie")
	}
	return "Cookie: " + sessionName + "=" + session, pathOf(resp.location), nil
}

// code reads the authorization code from the answer to an authorization
// request that should go back to the client.
func code(resp *flowResp, state string) (string, error) {
	if resp.status != 302 || !strings.HasPrefix(resp.location, signInRedirect+"?") {
		return "", unexpected("authorize", resp, "302 to the redirect URI")
	}
	u, err := url.Parse(resp.location)
	if err != nil {
		return "", fmt.Errorf("authorize: Location %q: %w", resp.location, err)
	}
	q := u.Query()
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("authorize: error=%s: %s", e, q.Get("error_description"))
	}
	if got := q.Get("state"); got != state {
		return "", fmt.Errorf("authorize: state %q, want %q as sent", got, state)
	}
	c := q.Get("code")
	if c == "" {
		return "", fmt.Errorf("authorize: no code in %s", resp.location)
	}
	return c, nil
}

// pathOf is the path and query of a Location, relative or absolute.
func pathOf(location string) string {
	if strings.HasPrefix(location, "/") {
		return location
	}
	u, err := url.Parse(location)
	if err != nil {
		return location
	}
	return u.RequestURI()
}

// authcodeFlow is the code exchange mode.
type authcodeFlow struct {
	basic string // the client's "Authorization: Basic ..." line
	// scope is the scope asked for ("" is signInScope); the soak adds
	// offline_access, for refresh tokens.
	scope string
	// tokens, when set, is given the body of each successful token
	// response of worker (the soak records the refresh tokens).
	tokens func(worker int, body []byte)
}

func newAuthcodeFlow() authcodeFlow {
	return authcodeFlow{basic: "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(signInClientID+":"+signInSecret))}
}

// exchanger is a signed-in browser and its relying party.
type exchanger struct {
	signer
	basic  string
	cookie string // the session's "Cookie: ..." line
	tokens func(body []byte)
}

// newDoer signs the worker's browser in, and redeems the code of that
// first sign-in, so that a broken flow stops before the load starts.
func (f authcodeFlow) newDoer(_ context.Context, c flowClient, worker int) (doer, error) {
	e := &exchanger{signer: signer{c: c, user: username(worker), scope: f.scope}, basic: f.basic}
	if f.tokens != nil {
		e.tokens = func(body []byte) { f.tokens(worker, body) }
	}
	verifier, challenge := newPKCE()
	state := e.newState()
	cookie, callback, err := e.login(challenge, state)
	if err != nil {
		return nil, err
	}
	e.cookie = cookie
	resp, err := c.roundTrip("GET", callback, []string{cookie}, nil)
	if err != nil {
		return nil, fmt.Errorf("callback: %w", err)
	}
	cd, err := code(resp, state)
	if err != nil {
		return nil, fmt.Errorf("after the login: %w", err)
	}
	if err := e.redeem(cd, verifier); err != nil {
		return nil, err
	}
	return e, nil
}

// do is one code exchange with the stored session.
func (e *exchanger) do() (int, error) {
	verifier, challenge := newPKCE()
	state := e.newState()
	resp, err := e.authorize(e.cookie, challenge, state)
	if err != nil {
		return 0, fmt.Errorf("authorize: %w", err)
	}
	if resp.status == 302 && strings.HasPrefix(pathOf(resp.location), loginPath) {
		return resp.status, errors.New("authorize: sent to the login page: the session was not found")
	}
	cd, err := code(resp, state)
	if err != nil {
		return resp.status, err
	}
	if err := e.redeem(cd, verifier); err != nil {
		return 0, err
	}
	return flowOK, nil
}

// redeem exchanges code at the token endpoint and checks that both tokens
// came back. (A substring check of the two members: parsing the JSON
// would cost the generator more, on the server's machine, and the status
// already says the request succeeded.)
func (e *exchanger) redeem(code, verifier string) error {
	body := "grant_type=authorization_code&code=" + url.QueryEscape(code) + "&redirect_uri=" + redirectEsc + "&code_verifier=" + verifier
	resp, err := e.c.roundTrip("POST", "/connect/token", []string{e.basic, formHeader}, []byte(body))
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	if resp.status != 200 || !bytes.Contains(resp.body, []byte(`"access_token"`)) || !bytes.Contains(resp.body, []byte(`"id_token"`)) {
		return unexpected("token (authorization_code)", resp, "200 with access_token and id_token")
	}
	if e.tokens != nil {
		e.tokens(resp.body)
	}
	return nil
}

// loginFlow is the login storm mode.
type loginFlow struct{}

func (loginFlow) newDoer(_ context.Context, c flowClient, worker int) (doer, error) {
	return &loginner{signer{c: c, user: username(worker)}}, nil
}

type loginner struct{ signer }

// do is one login of a new browser.
func (l *loginner) do() (int, error) {
	_, challenge := newPKCE()
	if _, _, err := l.login(challenge, l.newState()); err != nil {
		return 0, err
	}
	return flowOK, nil
}

// checkFlow runs f once (a worker made and one flow) on a client of its
// own, so that a broken configuration stops the benchmark with the
// server's answer.
func checkFlow(ctx context.Context, base, gen string, f flow, timeout time.Duration) error {
	c := newFlowClient(base, gen, timeout, time.Time{})
	defer c.close()
	d, err := f.newDoer(ctx, c, 0)
	if err != nil {
		return err
	}
	_, err = d.do()
	return err
}

var (
	inputTag  = regexp.MustCompile(`(?is)<input\b[^>]*>`)
	attribute = regexp.MustCompile(`(?is)([a-z][a-z0-9-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')`)
)

// hiddenInputs returns the name and value of each hidden input of an
// HTML page: the login form's id and token, wherever and in whatever
// order of attributes a template puts them.
func hiddenInputs(page []byte) map[string]string {
	out := map[string]string{}
	for _, tag := range inputTag.FindAll(page, -1) {
		attrs := map[string]string{}
		for _, m := range attribute.FindAllSubmatch(tag, -1) {
			v := m[2]
			if v == nil {
				v = m[3]
			}
			attrs[strings.ToLower(string(m[1]))] = html.UnescapeString(string(v))
		}
		if strings.EqualFold(attrs["type"], "hidden") && attrs["name"] != "" {
			out[attrs["name"]] = attrs["value"]
		}
	}
	return out
}

var (
	tags   = regexp.MustCompile(`(?s)<[^>]*>`)
	spaces = regexp.MustCompile(`\s+`)
)

// unexpected describes an answer that is not what a step wants: its
// status, where it sent the browser, and the start of its body (an HTML
// page's text, so that the login page's error shows).
func unexpected(step string, resp *flowResp, want string) error {
	body := resp.body
	if i := bytes.Index(body, []byte("<main")); i >= 0 {
		body = body[i:]
	}
	text := strings.TrimSpace(spaces.ReplaceAllString(html.UnescapeString(tags.ReplaceAllString(string(body), " ")), " "))
	if len(text) > 300 {
		text = text[:300] + "..."
	}
	msg := fmt.Sprintf("%s: status %d, want %s", step, resp.status, want)
	if resp.location != "" {
		msg += ", Location " + resp.location
	}
	if text != "" {
		msg += ": " + text
	}
	return errors.New(msg)
}
