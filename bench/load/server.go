package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

const (
	clientID     = "bench"
	clientSecret = "bench-secret-not-for-production-0123456789" // 42 characters
	pfxPassword  = "bench-pfx-password"
	pfxEnv       = "SIGNET_BENCH_PFX_PASSWORD"
	// The reference-token client (accessTokenType Reference) and the API
	// resource's credentials at the introspection endpoint.
	refClientID    = "bench-ref"
	resourceName   = "https://api.example.com"
	resourceSecret = "bench-resource-secret-not-for-production-0123"
	hashEnv        = "SIGNET_BENCH_PASSWORD_HASH"
	// kekEnv holds the key-encryption key of a Managed key (the soak's).
	kekEnv = "SIGNET_BENCH_KEK"
)

// build compiles ./cmd/signet of the module this tool belongs to into dir,
// and returns the binary and the module's directory.
func build(ctx context.Context, dir string) (bin, src string, err error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", "", errors.New("run from inside the signet module (go run ./bench/load)")
	}
	src = filepath.Dir(gomod)
	bin = filepath.Join(dir, "signet")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/signet")
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("go build ./cmd/signet: %w\n%s", err, out)
	}
	return bin, src, nil
}

// createKey makes a self-signed signing certificate with `signet cert
// create` (key "rsa:2048" or "ec:P-256") in a password-protected PFX.
func createKey(ctx context.Context, bin, keyType, out string) error {
	cmd := exec.CommandContext(ctx, bin, "cert", "create", "--subject", "CN=signet-bench",
		"--key", keyType, "--out", out, "--password-env", pfxEnv)
	cmd.Env = append(os.Environ(), pfxEnv+"="+pfxPassword)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("signet cert create --key %s: %w\n%s", keyType, err, b)
	}
	return nil
}

// userHash returns an argon2id hash of userPassword made by signet user
// hash (with the server's default parameters), for the users of the
// configuration.
func userHash(ctx context.Context, bin string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, "user", "hash", "--password-stdin")
	cmd.Stdin = strings.NewReader(userPassword + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("signet user hash: %w\n%s", err, stderr.Bytes())
	}
	hash := strings.TrimSpace(string(out))
	if !strings.HasPrefix(hash, "$argon2id$") {
		return "", fmt.Errorf("signet user hash printed %q, not an argon2id hash", hash)
	}
	return hash, nil
}

// serverConfig is what differs between the servers of one run.
type serverConfig struct {
	dir      string // holds the configuration and the data directory
	pfx      string
	alg      string // the key's algorithm, which the ID tokens use too
	logLevel string
	postgres string // a DSN; "" is SQLite in dir
	// passwordHash, when set, adds the sign-in client and the users
	// (benchUsers of them, each with this hash of userPassword); else the
	// server has the machine client only, as the token runs always had.
	passwordHash string
	// kek, when set, makes the key Managed (in the database, encrypted
	// under kek, a base64 key-encryption key) with alg its one series,
	// instead of the PFX: the soak rotates it with signet keys rotate.
	kek string
	// offline lets the sign-in client have refresh tokens (offline_access
	// and the refresh_token grant).
	offline bool
	// extra is YAML appended to the configuration (the soak's metrics and
	// rate limits, or the user's -config-extra).
	extra string
}

// write writes signet.yaml for a server listening on addr and returns its
// path.
func (c serverConfig) write(addr string) (string, error) {
	storage := "storage:\n  driver: sqlite\n"
	if c.postgres != "" {
		storage = fmt.Sprintf("storage:\n  driver: postgres\n  dsn: %q\n", c.postgres)
	}
	yaml := fmt.Sprintf(`# Written by go run ./bench/load.
issuer: http://%[1]s
listen: %[1]s
allowHttp: true
dataDir: ./data
%[2]slog:
  level: %[3]s
%[12]s%[11]sapiScopes:
  - name: api1
apiResources:
  - name: %[8]s
    scopes: [api1]
    secrets:
      - value: %[9]s
clients:
  - clientId: %[6]s
    secrets:
      - value: %[7]s
    allowedGrantTypes: [client_credentials]
    allowedScopes: [api1]
  - clientId: %[10]s
    secrets:
      - value: %[7]s
    allowedGrantTypes: [client_credentials]
    allowedScopes: [api1]
    accessTokenType: Reference
`, addr, storage, c.logLevel, c.pfx, pfxEnv, clientID, clientSecret, resourceName, resourceSecret, refClientID, c.key(), c.rateLimits())
	if c.passwordHash != "" {
		yaml += c.signIn()
	}
	yaml += c.extra
	file := filepath.Join(c.dir, "signet.yaml")
	return file, os.WriteFile(file, []byte(yaml), 0o600)
}

// rateLimits turns the rate limits off, unless extra has a rateLimits
// section of its own: one client from one address at full speed is what is
// measured, which no limit of a real deployment would let through.
func (c serverConfig) rateLimits() string {
	if strings.Contains(c.extra, "rateLimits:") {
		return ""
	}
	return "rateLimits:\n  tokenPerClient: {rate: 0}\n  tokenPerIP: {rate: 0}\n  loginPerIP: {rate: 0}\n  loginPerUser: {rate: 0}\n  clientAuthFailures: {maxFailures: 0}\n"
}

// key is the configuration's key section.
func (c serverConfig) key() string {
	if c.kek != "" {
		return fmt.Sprintf("key:\n  type: Managed\n  keyEncryptionKey: ${%s}\n  signingAlgorithms: [%s]\n", kekEnv, c.alg)
	}
	return fmt.Sprintf("key:\n  type: File\n  filePath: %q\n  password: ${%s}\n", c.pfx, pfxEnv)
}

// signIn is the configuration's sign-in client and users: a confidential
// client with authorization_code and PKCE, no consent (so that a session
// gets a code at once), ID tokens signed with the key's algorithm (RS256
// is OpenID Connect's default; an ES256 server's clients choose ES256),
// and benchUsers users whose passwordHash is read from hashEnv (a PHC
// string is full of $ signs, which the configuration would expand).
func (c serverConfig) signIn() string {
	grants, scopes, offline := "authorization_code", "openid, profile, api1", ""
	if c.offline {
		grants, scopes, offline = grants+", refresh_token", scopes+", offline_access", "    allowOfflineAccess: true\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `  - clientId: %s
    secrets:
      - value: %s
    allowedGrantTypes: [%s]
    allowedScopes: [%s]
%s    redirectUris: [%q]
    requirePkce: true
    allowedIdentityTokenSigningAlgorithms: [%s]
users:
`, signInClientID, signInSecret, grants, scopes, offline, signInRedirect, c.alg)
	for i := range benchUsers {
		fmt.Fprintf(&b, "  - {subjectId: %q, username: %s, passwordHash: \"${%s}\"}\n", fmt.Sprintf("bench-%02d", i), username(i), hashEnv)
	}
	return b.String()
}

// A server is a running `signet serve`.
type server struct {
	cmd     *exec.Cmd
	base    string
	logFile string
	exited  chan struct{}
	waitErr error
	ready   time.Duration // from starting the process to the first 200 from /readyz
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// start starts bin serve with c's configuration and waits until /readyz
// answers 200. The server's output goes to a file beside its
// configuration, so that this process does not copy its log lines.
func start(ctx context.Context, bin string, c serverConfig) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return nil, err
	}
	file, err := c.write(addr)
	if err != nil {
		return nil, err
	}
	logFile := filepath.Join(c.dir, "server.log")
	out, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer out.Close() // the child has its own descriptor

	s := &server{base: "http://" + addr, logFile: logFile, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, "serve", "--config", file)
	s.cmd.Env = append(os.Environ(), pfxEnv+"="+pfxPassword, hashEnv+"="+c.passwordHash, kekEnv+"="+c.kek)
	s.cmd.Stdout, s.cmd.Stderr = out, out
	s.cmd.SysProcAttr = childAttr()

	client := &http.Client{Timeout: time.Second}
	t0 := time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.waitErr = s.cmd.Wait(); close(s.exited) }()

	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := client.Get(s.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.ready = time.Since(t0)
				return s, nil
			}
		}
		select {
		case <-tick.C:
		case <-s.exited:
			return nil, fmt.Errorf("signet serve exited before it was ready (%v):\n%s", s.waitErr, s.logTail())
		case <-deadline:
			s.stop()
			return nil, fmt.Errorf("signet serve not ready after 30s:\n%s", s.logTail())
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		}
	}
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop asks the server to stop (SIGTERM; a kill after 10 s or where there
// are no signals) and waits for it.
func (s *server) stop() {
	if err := s.cmd.Process.Signal(sigterm); err != nil {
		_ = s.cmd.Process.Kill()
	}
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// logTail returns the end of the server's output, for error messages.
func (s *server) logTail() string {
	b, _ := os.ReadFile(s.logFile)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(bytes.TrimSpace(b))
}

// logLines counts the lines the server has written so far.
func (s *server) logLines() int {
	b, _ := os.ReadFile(s.logFile)
	return bytes.Count(b, []byte("\n"))
}
