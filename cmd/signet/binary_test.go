package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/rogpeppe/go-internal/txtar"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TestBinary builds signet once and uses it as a person would, each
// subtest in a directory of its own: `signet serve` in development mode and
// with a configuration, a token fetched the way its printed curl command
// says, by golang.org/x/oauth2/clientcredentials, and verified by
// github.com/coreos/go-oidc/v3 through discovery and the JWKS; every error
// of the token endpoint once more; SIGTERM.
func TestBinary(t *testing.T) {
	bin := binaryTest(t)
	t.Run("development", func(t *testing.T) {
		t.Parallel()
		testBinaryDevelopment(t, bin)
	})
	t.Run("config", func(t *testing.T) {
		t.Parallel()
		testBinaryConfig(t, bin)
	})
}

// Development mode: no configuration, a working token within a minute, and
// the same key and client secret after a restart.
func testBinaryDevelopment(t *testing.T, bin string) {
	dir := t.TempDir()
	env := binEnv(dir)
	ctx := t.Context()

	srv := binServe(t, bin, dir, env, "--listen", "127.0.0.1:0")
	srv.waitFor(`level=WARN msg="created the development signing key signet-data/development-signing-key.pem: for development only`)
	srv.waitFor(`level=WARN msg="DEVELOPMENT MODE: no configuration file \(--config or SIGNET_CONFIG\)`)
	port := srv.url[strings.LastIndexByte(srv.url, ':'):]
	srv.waitFor(`level=INFO msg="no issuer is configured: each request's issuer, and the iss of the tokens it gets, is the scheme and host it was sent to, so http://localhost` + port + ` and http://127.0.0.1` + port + ` are two issuers`)
	curl := parseDevCurl(t, srv.waitFor(`(?m)^  (curl .*)$`)[1])
	if curl.clientID != devClientID || curl.form.Get("grant_type") != "client_credentials" || curl.form.Get("scope") != devScope || curl.url != srv.url+"/connect/token" {
		t.Errorf("the curl command is %+v; want client %s, grant_type client_credentials, scope %s, %s/connect/token", curl, devClientID, devScope, srv.url)
	}
	secretFile := curl.secretFile
	if !filepath.IsAbs(secretFile) {
		secretFile = filepath.Join(dir, secretFile) // reported below
	}
	secretBytes, err := os.ReadFile(secretFile)
	if err != nil {
		t.Fatalf("the curl command reads the secret from %s: %v", curl.secretFile, err)
	}
	secret := strings.TrimSpace(string(secretBytes))
	if len(secret) != 43 {
		t.Errorf("the development secret %q is not 256 bits of base64url", secret)
	}
	binMode(t, filepath.Join(dir, "signet-data"), 0o700)
	binMode(t, secretFile, 0o600)
	binMode(t, filepath.Join(dir, "signet-data", "development-signing-key.pem"), 0o600)
	// cert inspect does not call the key the server signs with unable to
	// sign.
	if out := binRun(t, bin, dir, env, "", "cert", "inspect", filepath.Join("signet-data", "development-signing-key.pem")); !strings.Contains(out, "\nToken signing: yes (RS256, PS256), as a development key only\n") || strings.Contains(out, "error:") {
		t.Errorf("signet cert inspect of the development key:\n%s\nwant it to say that it signs, as a development key only, without an error", out)
	}

	// The curl command, with net/http.
	resp := binPost(t, curl.url, curl.form, func(r *http.Request) { r.SetBasicAuth(curl.clientID, secret) })
	if resp.status != http.StatusOK {
		t.Fatalf("the curl command's request: %d %s", resp.status, resp.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		Scope       string `json:"scope"`
	}
	if err := json.Unmarshal(resp.body, &tok); err != nil {
		t.Fatalf("token response %s: %v", resp.body, err)
	}
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 || tok.Scope != devScope || tok.AccessToken == "" {
		t.Errorf("token response %s; want a Bearer token for %s, expiring in 3600 s", resp.body, devScope)
	}
	if cc := resp.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("token response Cache-Control %q; want no-store", cc)
	}

	// A relying party discovers the issuer and verifies the token.
	provider, err := oidc.NewProvider(ctx, srv.url)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: devScope, SupportedSigningAlgs: []string{"RS256"}})
	kids := binKids(t, srv.url)
	if len(kids) != 1 {
		t.Fatalf("JWKS kids %v; want the development key alone", kids)
	}
	binVerify(t, verifier, tok.AccessToken, kids[0], devClientID, devScope)
	for part := range 3 {
		if _, err := verifier.Verify(ctx, binTamper(tok.AccessToken, part)); err == nil {
			t.Errorf("a token with one byte changed in part %d verified", part)
		}
	}
	// clientcredentials, with the secret in the header and in the body.
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cc := clientcredentials.Config{ClientID: devClientID, ClientSecret: secret, TokenURL: provider.Endpoint().TokenURL, Scopes: []string{devScope}, AuthStyle: style}
		ot, err := cc.Token(ctx)
		if err != nil {
			t.Fatalf("clientcredentials (auth style %d): %v", style, err)
		}
		binVerify(t, verifier, ot.AccessToken, kids[0], devClientID, devScope)
	}

	// The welcome page says it is development mode and how to get a token.
	page := binGet(t, srv.url+"/", http.StatusOK)
	for _, want := range []string{"<strong>Development mode.</strong>", "<code>" + devClientID + "</code>", "/connect/token</pre>", kids[0], "(no certificate)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the welcome page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, secret) {
		t.Error("the welcome page shows the development client's secret")
	}
	binGet(t, srv.url+"/healthz", http.StatusOK)
	binGet(t, srv.url+"/readyz", http.StatusOK)

	srv.stop()
	srv.noSecrets(secret, tok.AccessToken)
	firstIssuer := srv.url

	// Restarted (with JSON logs): the same key and secret, so that tokens
	// issued before stay valid.
	srv = binServe(t, bin, dir, env, "--listen", "127.0.0.1:0", "--log-format", "json")
	srv.waitFor(`"level":"WARN","msg":"loaded the development signing key signet-data/development-signing-key.pem: for development only`)
	// In JSON, the curl command is a log record too.
	srv.waitFor(`"msg":"get a token","curl":"curl -s -u ` + devClientID + `:`)
	if got := binKids(t, srv.url); !slices.Equal(got, kids) {
		t.Errorf("after a restart the JWKS kids are %v; want %v", got, kids)
	}
	if again, err := os.ReadFile(secretFile); err != nil || string(again) != string(secretBytes) {
		t.Errorf("after a restart the development secret file holds %q (%v); want it unchanged", again, err)
	}
	old := oidc.NewVerifier(firstIssuer, oidc.NewRemoteKeySet(ctx, srv.url+"/.well-known/openid-configuration/jwks"), &oidc.Config{ClientID: devScope})
	if _, err := old.Verify(ctx, tok.AccessToken); err != nil {
		t.Errorf("a token from before the restart does not verify with the JWKS after it: %v", err)
	}
	resp = binPost(t, srv.url+"/connect/token", curl.form, func(r *http.Request) { r.SetBasicAuth(devClientID, secret) })
	if resp.status != http.StatusOK {
		t.Errorf("after a restart the development secret gets %d %s", resp.status, resp.body)
	}
	srv.stop()
	srv.noSecrets(secret, tok.AccessToken)

	// A blank secret file (emptied to have a new secret made) gets a new
	// secret.
	t.Run("empty secret file", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "signet-data"), 0o700); err != nil {
			t.Fatal(err)
		}
		binWrite(t, dir, filepath.Join("signet-data", devSecretFile), "")
		srv := binServe(t, bin, dir, binEnv(dir), "--listen", "127.0.0.1:0")
		if data, err := os.ReadFile(filepath.Join(dir, "signet-data", devSecretFile)); err != nil || len(strings.TrimSpace(string(data))) != 43 {
			t.Errorf("the development secret file holds %q (%v); want a new secret", data, err)
		}
		srv.stop()
	})

	// The curl command is pasted into another terminal, maybe elsewhere.
	if !filepath.IsAbs(curl.secretFile) {
		t.Errorf("the curl command reads the secret from %q, a path relative to where signet serve was started", curl.secretFile)
	}
}

// With a configuration: a certificate made and imported with signet, found
// by the thumbprint from the environment, and clients whose secrets are
// the hashes signet secret prints.
func testBinaryConfig(t *testing.T, bin string) {
	dir := t.TempDir()
	ctx := t.Context()
	env := binEnv(dir)
	binWrite(t, dir, "pw.txt", "correct-horse-battery-staple\n")

	var created struct {
		Certificate struct{ Thumbprint string }
	}
	out := binRun(t, bin, dir, env, "", "cert", "create", "--subject", "CN=signet-binary-test", "--out", "signing.pfx", "--cer", "signing.cer", "--password-file", "pw.txt", "--json")
	if err := json.Unmarshal([]byte(out), &created); err != nil || len(created.Certificate.Thumbprint) != 40 {
		t.Fatalf("cert create --json: %v\n%s", err, out)
	}
	thumb := created.Certificate.Thumbprint
	binRun(t, bin, dir, env, "", "store", "import", "signing.pfx", "--password-file", "pw.txt")
	der, err := os.ReadFile(filepath.Join(dir, "signing.cer"))
	if err != nil {
		t.Fatal(err)
	}

	gen := regexp.MustCompile(`^secret: (\S+)\nhash: +(\S+)\n$`).FindStringSubmatch(binRun(t, bin, dir, env, "", "secret", "generate"))
	if gen == nil {
		t.Fatal("signet secret generate printed no secret and hash")
	}
	secret, hash := gen[1], gen[2]
	postSecret := "a-secret-chosen-for-the-second-client"
	postHash := strings.TrimSpace(binRun(t, bin, dir, env, postSecret+"\n", "secret", "hash"))
	binWrite(t, dir, "signet.yaml", `listen: 127.0.0.1:0
allowHttp: true
key:
  type: Store
  storeLocation: CurrentUser
  storeName: My
  thumbprint: ${APP_SigningCertificateThumbprint}
`+resourcesYAML+`clients:
  - clientId: myapp
    secrets:
      - hash: `+hash+`
    allowedGrantTypes: [client_credentials]
    allowedScopes: [api1]
    accessTokenLifetime: 600
  - clientId: poster
    secrets:
      - hash: "`+postHash+`"
    allowedGrantTypes: [client_credentials]
    allowedScopes: [api2]
`)
	env = append(env, "APP_SigningCertificateThumbprint="+thumb)
	if out := binRun(t, bin, dir, env, "", "config", "check", "--config", "signet.yaml"); !strings.Contains(out, "signing key  "+thumb+" (RS256) from Store CurrentUser/My, CN=signet-binary-test") {
		t.Errorf("config check:\n%s", out)
	}

	srv := binServe(t, bin, dir, env, "--config", "signet.yaml")
	srv.waitFor(`msg=key kid=` + thumb + ` alg=RS256 role=signing subject="CN=signet-binary-test" source="Store CurrentUser/My"`)
	provider, err := oidc.NewProvider(ctx, srv.url)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	cc := clientcredentials.Config{ClientID: "myapp", ClientSecret: secret, TokenURL: provider.Endpoint().TokenURL, Scopes: []string{"api1"}, AuthStyle: oauth2.AuthStyleInHeader}
	tok, err := cc.Token(ctx)
	if err != nil {
		t.Fatalf("clientcredentials: %v", err)
	}
	if tok.Expiry.Sub(time.Now()).Round(time.Minute) != 10*time.Minute {
		t.Errorf("the token expires at %v; want in accessTokenLifetime, 600 s", tok.Expiry)
	}
	binVerify(t, provider.Verifier(&oidc.Config{ClientID: "https://api.example.com"}), tok.AccessToken, thumb, "myapp", "api1")
	// Without scope, every allowed one; no resource holds api2, so the
	// audience is the issuer's /resources.
	cc = clientcredentials.Config{ClientID: "poster", ClientSecret: postSecret, TokenURL: provider.Endpoint().TokenURL, AuthStyle: oauth2.AuthStyleInParams}
	postTok, err := cc.Token(ctx)
	if err != nil {
		t.Fatalf("clientcredentials (client_secret_post, no scope): %v", err)
	}
	binVerify(t, provider.Verifier(&oidc.Config{ClientID: srv.url + "/resources"}), postTok.AccessToken, thumb, "poster", "api2")

	// The JWKS: the certificate's SHA-1 thumbprint is the kid and x5t.
	var jwks struct {
		Keys []struct {
			Kid, Kty, Use, Alg string
			X5t                string   `json:"x5t"`
			X5tS256            string   `json:"x5t#S256"`
			X5c                []string `json:"x5c"`
		}
	}
	if err := json.Unmarshal([]byte(binGet(t, srv.url+"/.well-known/openid-configuration/jwks", http.StatusOK)), &jwks); err != nil {
		t.Fatal(err)
	}
	s1, s256 := sha1.Sum(der), sha256.Sum256(der)
	if len(jwks.Keys) != 1 {
		t.Fatalf("JWKS has %d keys; want 1", len(jwks.Keys))
	}
	k := jwks.Keys[0]
	if k.Kid != thumb || k.Kty != "RSA" || k.Use != "sig" || k.Alg != "RS256" ||
		k.X5t != base64.RawURLEncoding.EncodeToString(s1[:]) || k.X5tS256 != base64.RawURLEncoding.EncodeToString(s256[:]) ||
		len(k.X5c) != 1 || k.X5c[0] != base64.StdEncoding.EncodeToString(der) {
		t.Errorf("JWKS key %+v; want kid %s, RSA, sig, RS256, and x5t, x5t#S256, x5c of signing.cer", k, thumb)
	}

	// The welcome page shows the key, no development notice.
	page := binGet(t, srv.url+"/", http.StatusOK)
	for _, want := range []string{"<code>" + thumb + "</code>", "SHA-1 thumbprint", "CN=signet-binary-test", "RS256", "Store CurrentUser/My"} {
		if !strings.Contains(page, want) {
			t.Errorf("the welcome page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "Development mode") {
		t.Error("the welcome page shows the development notice with a configuration")
	}

	t.Run("token errors", func(t *testing.T) {
		testBinaryTokenErrors(t, srv.url+"/connect/token", secret)
	})

	// SIGTERM while a token request is half sent: the server stops
	// listening, but the request finishes, and then it exits 0.
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := "grant_type=client_credentials&scope=api1"
	if _, err := fmt.Fprintf(conn, "POST /connect/token HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: Basic %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		strings.TrimPrefix(srv.url, "http://"), base64.StdEncoding.EncodeToString([]byte("myapp:"+secret)), len(body), body[:10]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	srv.waitFor(`msg="shutting down: waiting for requests in flight`)
	// New connections are refused (the log line comes just before the
	// listener closes).
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Second}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		resp, err := fresh.Get(srv.url + "/healthz")
		if err != nil {
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts new connections 5 s after SIGTERM")
		}
	}
	if _, err := io.WriteString(conn, body[10:]); err != nil {
		t.Fatal(err)
	}
	inFlight, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight at SIGTERM got no response: %v", err)
	}
	inFlightBody, _ := io.ReadAll(inFlight.Body)
	if inFlight.StatusCode != http.StatusOK || !bytes.Contains(inFlightBody, []byte(`"access_token"`)) {
		t.Errorf("the request in flight at SIGTERM got %d %s; want a token", inFlight.StatusCode, inFlightBody)
	}
	srv.stopped()
	srv.noSecrets(secret, hash, postSecret, postHash, tok.AccessToken, postTok.AccessToken, "wrong-secret-value")
	srv.waitFor(`msg=request method=POST path=/connect/token status=200 duration=`)
	srv.waitFor(`msg=request method=POST path=/connect/token status=401 duration=`)
}

// testBinaryTokenErrors asks the token endpoint what RFC 6749 §5.2 errors
// are for, and checks the code and status of each.
func testBinaryTokenErrors(t *testing.T, tokenURL, secret string) {
	basic := func(id, secret string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(id, secret) }
	}
	cc := url.Values{"grant_type": {"client_credentials"}}
	tests := []struct {
		name   string
		method string
		body   string
		header func(*http.Request)
		status int
		code   string
	}{
		{name: "wrong secret, Basic", body: cc.Encode(), header: basic("myapp", "wrong-secret-value"), status: 401, code: "invalid_client"},
		{name: "unknown client, Basic", body: cc.Encode(), header: basic("nobody", secret), status: 401, code: "invalid_client"},
		{name: "wrong secret, post", body: cc.Encode() + "&client_id=myapp&client_secret=wrong-secret-value", status: 401, code: "invalid_client"},
		{name: "no client authentication", body: cc.Encode(), status: 401, code: "invalid_client"},
		{name: "unknown scope", body: cc.Encode() + "&scope=api9", header: basic("myapp", secret), status: 400, code: "invalid_scope"},
		{name: "scope not allowed", body: cc.Encode() + "&scope=api1+api2", header: basic("myapp", secret), status: 400, code: "invalid_scope"},
		{name: "unsupported grant type", body: "grant_type=password&username=u&password=p", header: basic("myapp", secret), status: 400, code: "unsupported_grant_type"},
		{name: "missing grant type", body: "scope=api1", header: basic("myapp", secret), status: 400, code: "invalid_request"},
		{name: "GET", method: http.MethodGet, header: basic("myapp", secret), status: 405, code: "invalid_request"},
		{name: "repeated parameter", body: cc.Encode() + "&scope=api1&scope=api1", header: basic("myapp", secret), status: 400, code: "invalid_request"},
		{name: "JSON body", body: `{"grant_type":"client_credentials"}`, header: func(r *http.Request) {
			r.SetBasicAuth("myapp", secret)
			r.Header.Set("Content-Type", "application/json")
		}, status: 400, code: "invalid_request"},
		{name: "body over 64 KiB", body: cc.Encode() + "&padding=" + strings.Repeat("x", 64<<10), header: basic("myapp", secret), status: 413, code: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := cmp.Or(tt.method, http.MethodPost)
			req, err := http.NewRequestWithContext(t.Context(), method, tokenURL, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.header != nil {
				tt.header(req)
			}
			resp := binDo(t, req)
			var body struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			if err := json.Unmarshal(resp.body, &body); err != nil {
				t.Fatalf("%d %s: not JSON: %v", resp.status, resp.body, err)
			}
			if resp.status != tt.status || body.Error != tt.code {
				t.Errorf("%d %s; want %d %s", resp.status, body.Error, tt.status, tt.code)
			}
			if body.Description == "" {
				t.Error("no error_description")
			}
			if ct := resp.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q; want application/json", ct)
			}
			if cc := resp.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q; want no-store", cc)
			}
			// Every 401 carries a challenge (RFC 9110 section 15.5.2).
			if got := resp.header.Get("WWW-Authenticate"); (tt.status == 401) != strings.HasPrefix(got, "Basic ") {
				t.Errorf("WWW-Authenticate %q with status %d", got, tt.status)
			}
			if tt.method == http.MethodGet && resp.header.Get("Allow") != http.MethodPost {
				t.Errorf("Allow %q; want POST", resp.header.Get("Allow"))
			}
		})
	}
}

// binaryTest starts a test of the built binary, which it returns: in
// parallel, and skipped with -short and on Windows (the tests stop servers
// with SIGTERM).
func binaryTest(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("stops the server with SIGTERM")
	}
	t.Parallel()
	return builtBinary(t)
}

// binEnv is the environment of a signet process run in dir: no
// configuration, certificate store or home of the person running the tests.
func binEnv(dir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "SIGNET_CONFIG", name == "SIGNET_CERT_STORE", name == "HOME", name == "PORT", name == "WEBSITES_PORT",
			strings.HasPrefix(name, "WEBSITE_"), strings.HasPrefix(name, "APP_"):
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+filepath.Join(dir, "home"), "SIGNET_CERT_STORE="+filepath.Join(dir, "store"))
}

// binRun runs a short signet command in dir and returns its stdout.
func binRun(t *testing.T, bin, dir string, env []string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env, cmd.Stdin = dir, env, strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("signet %s: %v\n%s%s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String()
}

func binWrite(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func binMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %04o; want %04o", path, got, want)
	}
}

// binServer is a running `signet serve`.
type binServer struct {
	t       *testing.T
	cmd     *exec.Cmd
	out     syncBuffer // stderr: the log, and the curl command
	stdout  syncBuffer
	exited  chan struct{}
	waitErr error
	// url is the base URL from the "listening" log line.
	url string
}

var binListening = regexp.MustCompile(`msg=listening url=(\S+)|"msg":"listening","url":"([^"]+)"`)

// binStart starts `signet serve args...` in dir without waiting for it.
// It is killed at the end of the test if it still runs; if the test
// failed, what it wrote is logged under name (when given).
func binStart(t *testing.T, bin, dir string, env []string, name string, args ...string) *binServer {
	t.Helper()
	s := &binServer{t: t, cmd: exec.Command(bin, append([]string{"serve"}, args...)...), exited: make(chan struct{})}
	s.cmd.Dir, s.cmd.Env = dir, env
	s.cmd.Stdout, s.cmd.Stderr = &s.stdout, &s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			label := "signet serve " + strings.Join(args, " ")
			if name != "" {
				label = name + " (" + label + ")"
			}
			t.Logf("%s wrote:\n%s%s", label, s.stdout.String(), s.out.String())
		}
	})
	return s
}

// binServe starts `signet serve args...` in dir and waits until it
// listens. The server is killed at the end of the test if it still runs.
func binServe(t *testing.T, bin, dir string, env []string, args ...string) *binServer {
	t.Helper()
	s := binStart(t, bin, dir, env, "", args...)
	m := s.waitFor(binListening.String())
	s.url = m[1] + m[2]
	return s
}

// waitFor waits until the server's stderr matches pattern and returns the
// submatches.
func (s *binServer) waitFor(pattern string) []string {
	s.t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.After(15 * time.Second)
	for {
		if m := re.FindStringSubmatch(s.out.String()); m != nil {
			return m
		}
		select {
		case <-s.exited:
			if m := re.FindStringSubmatch(s.out.String()); m != nil {
				return m
			}
			s.t.Fatalf("signet serve ended (%v) without writing %s:\n%s", s.waitErr, pattern, s.out.String())
		case <-deadline:
			s.t.Fatalf("signet serve did not write %s in 15 s:\n%s", pattern, s.out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM and expects exit status 0 and the "stopped" line.
func (s *binServer) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	s.stopped()
}

// stopped waits for the server to end after SIGTERM, with exit status 0
// and the "stopped" line.
func (s *binServer) stopped() {
	s.t.Helper()
	select {
	case <-s.exited:
	case <-time.After(25 * time.Second):
		s.t.Fatal("signet serve did not stop within 25 s of SIGTERM")
	}
	if s.waitErr != nil {
		s.t.Errorf("after SIGTERM, signet serve ended with %v; want exit status 0", s.waitErr)
	}
	s.waitFor(`msg=stopped|"msg":"stopped"`)
	if out := s.stdout.String(); out != "" {
		s.t.Errorf("signet serve wrote on stdout, where nothing is expected:\n%s", out)
	}
}

// noSecrets checks that nothing the server wrote holds any of secrets.
func (s *binServer) noSecrets(secrets ...string) {
	s.t.Helper()
	out := s.stdout.String() + s.out.String()
	for _, secret := range secrets {
		if strings.Contains(out, secret) {
			s.t.Errorf("the server's log holds a secret or token (%.12s...)", secret)
		}
	}
}

type binResponse struct {
	status int
	header http.Header
	body   []byte
}

func binDo(t *testing.T, req *http.Request) binResponse {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return binResponse{resp.StatusCode, resp.Header, body}
}

func binPost(t *testing.T, url string, form url.Values, auth func(*http.Request)) binResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	auth(req)
	return binDo(t, req)
}

func binGet(t *testing.T, url string, status int) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp := binDo(t, req)
	if resp.status != status {
		t.Fatalf("GET %s: %d %s; want %d", url, resp.status, resp.body, status)
	}
	return string(resp.body)
}

// binKids returns the kids of the server's JWKS.
func binKids(t *testing.T, base string) []string {
	t.Helper()
	var set struct{ Keys []struct{ Kid string } }
	if err := json.Unmarshal([]byte(binGet(t, base+"/.well-known/openid-configuration/jwks", http.StatusOK)), &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

// binVerify verifies an access token and checks its RFC 9068 header and
// claims.
func binVerify(t *testing.T, v *oidc.IDTokenVerifier, token, kid, clientID, scope string) {
	t.Helper()
	idt, err := v.Verify(t.Context(), token)
	if err != nil {
		t.Fatalf("go-oidc does not verify the access token: %v", err)
	}
	var claims struct {
		ClientID string `json:"client_id"`
		Scope    string `json:"scope"`
		JTI      string `json:"jti"`
		IAT      int64  `json:"iat"`
		NBF      int64  `json:"nbf"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Subject != clientID || claims.ClientID != clientID || claims.Scope != scope || claims.JTI == "" || claims.IAT == 0 || claims.NBF == 0 {
		t.Errorf("access token claims sub %q %+v; want sub and client_id %s, scope %s, jti, iat, nbf", idt.Subject, claims, clientID, scope)
	}
	headerJSON, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var header struct{ Typ, Kid, Alg string }
	if err := json.Unmarshal(headerJSON, &header); err != nil {
		t.Fatal(err)
	}
	if header.Typ != "at+jwt" || header.Kid != kid || header.Alg != "RS256" {
		t.Errorf("access token header %s; want typ at+jwt, kid %s, alg RS256", headerJSON, kid)
	}
}

// binTamper changes one character in the middle of a part of a JWT.
func binTamper(token string, part int) string {
	parts := strings.Split(token, ".")
	p := []byte(parts[part])
	i := len(p) / 2
	if p[i] == 'A' {
		p[i] = 'B'
	} else {
		p[i] = 'A'
	}
	parts[part] = string(p)
	return strings.Join(parts, ".")
}

// devCurl is the curl command development mode prints.
type devCurl struct {
	clientID, secretFile string
	form                 url.Values
	url                  string
}

var devCurlLine = regexp.MustCompile(`^curl -s -u ([^:\s]+):"\$\(cat ('(?:[^']|'\\'')*'|\S+)\)"((?: -d \S+)+) (http://\S+)$`)

func parseDevCurl(t *testing.T, line string) devCurl {
	t.Helper()
	m := devCurlLine.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("the printed curl command is not the one expected: %s", line)
	}
	c := devCurl{clientID: m[1], secretFile: m[2], form: url.Values{}, url: m[4]}
	if strings.HasPrefix(c.secretFile, "'") {
		c.secretFile = strings.ReplaceAll(strings.Trim(c.secretFile, "'"), `'\''`, "'")
	}
	for _, d := range strings.Fields(strings.ReplaceAll(m[3], " -d ", " ")) {
		k, v, _ := strings.Cut(d, "=")
		c.form.Set(k, v)
	}
	return c
}

// TestExampleConfigScript keeps the copy of examples/signet.yaml in
// testdata/script/config_example.txtar, which config check is run on, the
// same as the example the README points to.
func TestExampleConfigScript(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "..", "examples", "signet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ar, err := txtar.ParseFile(filepath.Join("testdata", "script", "config_example.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ar.Files {
		if f.Name == "signet.yaml" {
			if !bytes.Equal(f.Data, want) {
				t.Errorf("signet.yaml in config_example.txtar differs from examples/signet.yaml: copy it again")
			}
			return
		}
	}
	t.Fatal("config_example.txtar has no signet.yaml")
}

// TestBinaryBusyPort: signet serve binds its address before it creates
// anything, so a port in use leaves no data directory, development key,
// development client secret or database behind, in development mode and
// with a configuration.
func TestBinaryBusyPort(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := builtBinary(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() }) // after the parallel subtests
	addr := busy.Addr().String()
	tests := []struct {
		name, config string
	}{
		{"development mode", ""},
		{"configuration", "dataDir: data\nallowHttp: true\nkey:\n  type: Development\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			args := []string{"serve", "--listen", addr}
			if tt.config != "" {
				binWrite(t, dir, "signet.yaml", tt.config)
				args = append(args, "--config", "signet.yaml")
			}
			before := binEntries(t, dir)
			// Killed if it serves after all.
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Dir, cmd.Env = dir, binEnv(dir)
			out, err := cmd.CombinedOutput()
			if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != exitError {
				t.Fatalf("signet %s on a busy port: %v; want exit status 1\n%s", strings.Join(args, " "), err, out)
			}
			if want := "signet: listen on " + addr + ": the address is in use, by another server or another signet: stop it, or pick another address with --listen\n"; string(out) != want {
				t.Errorf("output:\n%s\nwant:\n%s", out, want)
			}
			if after := binEntries(t, dir); !slices.Equal(after, before) {
				t.Errorf("the refused serve left %v behind (before: %v)", after, before)
			}
		})
	}
}

// binEntries lists every file and directory under dir.
func binEntries(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		names = append(names, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestBinaryConfigInit: what signet config init writes is served as it is,
// with no environment variable at all: config check accepts it, signet
// serve starts with it, and the secret it printed gets a token that a
// relying party verifies through discovery and the JWKS, signed by the
// certificate it made.
func TestBinaryConfigInit(t *testing.T) {
	bin := binaryTest(t)
	dir := t.TempDir()
	noEnv := []string{}

	out := binRun(t, bin, dir, noEnv, "", "config", "init")
	m := regexp.MustCompile(`(?m)^The secret of client myapp, shown this once .*:\n  (\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("signet config init printed no secret:\n%s", out)
	}
	secret := m[1]
	config, err := os.ReadFile(filepath.Join(dir, "signet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tm := regexp.MustCompile(`(?m)^#     thumbprint: ([0-9A-F]{40})$`).FindSubmatch(config)
	if tm == nil {
		t.Fatalf("the configuration names no thumbprint:\n%s", config)
	}
	thumbprint := string(tm[1])
	if check := binRun(t, bin, dir, noEnv, "", "config", "check", "--config", "signet.yaml"); !strings.HasPrefix(check, "signet.yaml is valid.\n  signing key  "+thumbprint+" (RS256) from File signing.pfx, CN=signet-signing") {
		t.Errorf("signet config check:\n%s", check)
	}

	srv := binServe(t, bin, dir, noEnv, "--config", "signet.yaml", "--listen", "127.0.0.1:0")
	ctx := t.Context()
	provider, err := oidc.NewProvider(ctx, srv.url)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	if kids := binKids(t, srv.url); !slices.Equal(kids, []string{thumbprint}) {
		t.Errorf("JWKS kids %v; want the new certificate's thumbprint %s", kids, thumbprint)
	}
	cc := clientcredentials.Config{ClientID: "myapp", ClientSecret: secret, TokenURL: provider.Endpoint().TokenURL, Scopes: []string{"api1"}}
	tok, err := cc.Token(ctx)
	if err != nil {
		t.Fatalf("a token for myapp with the printed secret: %v", err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: "https://api.example.com", SupportedSigningAlgs: []string{"RS256"}})
	binVerify(t, verifier, tok.AccessToken, thumbprint, "myapp", "api1")
	wrong := binPost(t, provider.Endpoint().TokenURL, url.Values{"grant_type": {"client_credentials"}}, func(r *http.Request) { r.SetBasicAuth("myapp", "wrong"+secret) })
	if wrong.status != http.StatusUnauthorized {
		t.Errorf("a wrong secret: %d %s; want 401", wrong.status, wrong.body)
	}
	srv.stop()
	srv.noSecrets(secret, tok.AccessToken)
}
