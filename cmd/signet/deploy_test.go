package main

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"debug/elf"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/signetid/signet/storage/postgres/postgrestest"
)

// The deployment files (Dockerfile, deploy/...) are checked here, where
// they can be without a container runtime or a cluster: what is written in
// them, and the binary built and run as they build and run it.

// repoRoot is the repository's root, from cmd/signet.
const repoRoot = "../.."

// dockerInstr is one instruction of a Dockerfile, continuation lines
// joined.
type dockerInstr struct {
	op   string // FROM, RUN, ... in upper case
	args string
	line int
}

// dockerStage is a FROM and the instructions that follow it.
type dockerStage struct {
	from, name string
	instrs     []dockerInstr
}

// parseDockerfile reads a Dockerfile: the ARGs before the first FROM (with
// their defaults) and the stages.
func parseDockerfile(t *testing.T, path string) (map[string]string, []dockerStage) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	globals := map[string]string{}
	var stages []dockerStage
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if rest, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(rest + " ")
			continue
		}
		cur.WriteString(line)
		op, args, _ := strings.Cut(cur.String(), " ")
		in := dockerInstr{op: strings.ToUpper(op), args: strings.TrimSpace(args), line: start}
		cur.Reset()
		switch {
		case in.op == "FROM":
			from, name, _ := strings.Cut(in.args, " AS ")
			f := strings.Fields(from)
			stages = append(stages, dockerStage{from: f[len(f)-1], name: strings.TrimSpace(name)})
		case len(stages) == 0 && in.op == "ARG":
			name, def, _ := strings.Cut(in.args, "=")
			globals[name] = def
		case len(stages) == 0:
			t.Fatalf("%s:%d: %s before the first FROM", path, in.line, in.op)
		default:
			stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, in)
		}
	}
	return globals, stages
}

// find returns the instructions of the stage with that op.
func (s dockerStage) find(op string) []dockerInstr {
	var out []dockerInstr
	for _, in := range s.instrs {
		if in.op == op {
			out = append(out, in)
		}
	}
	return out
}

// execForm decodes an instruction's JSON (exec) form, failing on the shell
// form, which needs a shell the image does not have.
func execForm(t *testing.T, in dockerInstr) []string {
	t.Helper()
	var argv []string
	if err := json.Unmarshal([]byte(in.args), &argv); err != nil || len(argv) == 0 {
		t.Fatalf("Dockerfile:%d: %s %s is not in exec form (a JSON array): the image has no shell to run it", in.line, in.op, in.args)
	}
	return argv
}

// dockerEnv returns the ENV values of a stage.
func dockerEnv(s dockerStage) map[string]string {
	env := map[string]string{}
	for _, in := range s.find("ENV") {
		for _, kv := range strings.Fields(in.args) {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	return env
}

// goBuildLine is the build stage's RUN that runs go build.
func goBuildLine(t *testing.T, build dockerStage) string {
	t.Helper()
	for _, in := range build.find("RUN") {
		if strings.Contains(in.args, "go build") {
			return in.args
		}
	}
	t.Fatal("the build stage has no RUN go build")
	return ""
}

// TestDockerfile checks what a build cannot be run here to check (no
// container runtime can reach an image registry): two stages, the final one
// distroless (or scratch) with nothing to run in it but /signet, a numeric
// non-root user that owns /data and nothing else, and a static build.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	globals, stages := parseDockerfile(t, filepath.Join(repoRoot, "Dockerfile"))
	if len(stages) < 2 {
		t.Fatalf("%d stages; want a build stage and a final one", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]

	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(readFile(t, filepath.Join(repoRoot, "go.mod")))
	if !strings.HasPrefix(build.from, "golang:${GO_VERSION}") || goVersion == nil || globals["GO_VERSION"] != goVersion[1] {
		t.Errorf("build stage FROM %s with GO_VERSION %q; want golang:${GO_VERSION} at go.mod's %v", build.from, globals["GO_VERSION"], goVersion)
	}
	line := goBuildLine(t, build)
	for _, want := range []string{"CGO_ENABLED=0 ", " -trimpath ", " -o /out/signet ./cmd/signet"} {
		if !strings.Contains(line+" ", want) {
			t.Errorf("the go build line lacks %q: %s", want, line)
		}
	}

	if final.from != "gcr.io/distroless/static-debian12:nonroot" && final.from != "scratch" {
		t.Errorf("final stage FROM %s; want gcr.io/distroless/static-debian12:nonroot (or scratch)", final.from)
	}
	if runs := final.find("RUN"); len(runs) != 0 {
		t.Errorf("the final stage has RUN at line %d: it has no shell", runs[0].line)
	}
	users := final.find("USER")
	if len(users) != 1 {
		t.Fatalf("the final stage has %d USER lines; want one", len(users))
	}
	uid, gid, _ := strings.Cut(users[0].args, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("USER %s: want a numeric non-root uid, which Kubernetes' runAsNonRoot can check without /etc/passwd", users[0].args)
	}
	if _, err := strconv.Atoi(gid); err != nil {
		t.Errorf("USER %s: want a numeric gid too", users[0].args)
	}

	if e := final.find("ENTRYPOINT"); len(e) != 1 || !slices.Equal(execForm(t, e[0]), []string{"/signet"}) {
		t.Errorf("ENTRYPOINT %v; want [\"/signet\"]", e)
	}
	if c := final.find("CMD"); len(c) != 1 || execForm(t, c[0])[0] != "serve" {
		t.Errorf("CMD %v; want [\"serve\", ...]", c)
	}
	if w := final.find("WORKDIR"); len(w) != 1 || w[0].args != "/data" {
		t.Errorf("WORKDIR %v; want /data", w)
	}
	if v := final.find("VOLUME"); len(v) != 1 || !strings.Contains(v[0].args, `"/data"`) {
		t.Errorf("VOLUME %v; want /data", v)
	}
	if dockerEnv(final)["PORT"] == "" {
		t.Error("no ENV PORT: serve would listen on 127.0.0.1, out of reach of the container's port")
	}
	var copiesData, copiesBinary bool
	for _, in := range final.find("COPY") {
		f := strings.Fields(in.args)
		switch f[len(f)-1] {
		case "/data":
			copiesData = slices.Contains(f, "--chown="+users[0].args)
		case "/signet":
			copiesBinary = slices.Contains(f, "--from="+build.name) && !strings.Contains(in.args, "--chown")
		}
	}
	if !copiesData {
		t.Errorf("the final stage does not copy /data owned by %s: a volume mounted there would not be writable", users[0].args)
	}
	if !copiesBinary {
		t.Errorf("the final stage does not copy /signet from %s, owned by root (the server must not be able to replace itself)", build.name)
	}

	ignore := readFile(t, filepath.Join(repoRoot, ".dockerignore"))
	for _, want := range []string{"**/signet-data", "**/*.pfx", "**/*.key", ".git"} {
		if !slices.Contains(strings.Split(ignore, "\n"), want) {
			t.Errorf(".dockerignore lacks %s: a local database, key or the history would be sent to the build", want)
		}
	}

	// App Service's image: Signet's with the configuration beside it.
	_, azure := parseDockerfile(t, filepath.Join(repoRoot, "deploy/azure/Dockerfile"))
	if len(azure) != 1 || azure[0].from != "${SIGNET_IMAGE}" {
		t.Fatalf("deploy/azure/Dockerfile: want one stage FROM ${SIGNET_IMAGE}, got %+v", azure)
	}
	if azure[0].find("RUN") != nil || azure[0].find("USER") != nil || azure[0].find("ENTRYPOINT") != nil {
		t.Error("deploy/azure/Dockerfile changes more than the configuration: it must run as the image it extends")
	}
}

var (
	dockerBinOnce sync.Once
	dockerBinPath string
	dockerBinErr  error
)

// dockerBinary builds signet with the Dockerfile's own go build line (its
// variable assignments, flags and package; the output path and the
// platform are this machine's) and checks that the result is static.
func dockerBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the image is Linux")
	}
	_, stages := parseDockerfile(t, filepath.Join(repoRoot, "Dockerfile"))
	line := goBuildLine(t, stages[0])
	dockerBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "signet-docker-bin-")
		if err != nil {
			dockerBinErr = err
			return
		}
		// Others (the image's uid 65532) may run it, as in the image.
		if err := os.Chmod(dir, 0o755); err != nil {
			dockerBinErr = err
			return
		}
		dockerBinPath = filepath.Join(dir, "signet")
		vars := map[string]string{"TARGETOS": runtime.GOOS, "TARGETARCH": runtime.GOARCH, "VERSION": "deploy-test"}
		words := shellWords(os.Expand(line, func(k string) string { return vars[k] }))
		env := os.Environ()
		for len(words) > 0 && strings.Contains(words[0], "=") {
			env = append(env, words[0]) // after os.Environ: CI's CGO_ENABLED=1 is replaced
			words = words[1:]
		}
		if len(words) < 2 || words[0] != "go" || words[1] != "build" {
			dockerBinErr = fmt.Errorf("%q is not a go build command", line)
			return
		}
		if i := slices.Index(words, "-o"); i > 0 && i+1 < len(words) {
			words[i+1] = dockerBinPath
		}
		cmd := exec.Command(words[0], words[1:]...)
		cmd.Dir, cmd.Env = repoRoot, env
		if out, err := cmd.CombinedOutput(); err != nil {
			dockerBinErr = fmt.Errorf("%s: %w\n%s", line, err, out)
		}
	})
	if dockerBinErr != nil {
		t.Fatalf("the Dockerfile's go build: %v", dockerBinErr)
	}
	f, err := elf.Open(dockerBinPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary names a dynamic loader (PT_INTERP): it is not static and would not start in distroless/static")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) != 0 {
		t.Fatalf("the binary needs shared libraries %v (%v)", libs, err)
	}
	return dockerBinPath
}

// shellWords splits a command line as sh does for the simple lines of a
// Dockerfile: spaces separate words, double quotes group.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// appServiceHost is the app's default host name in the tests.
const appServiceHost = "signet-test.azurewebsites.net"

// TestAppService runs Signet as App Service (Linux) runs it, both ways the
// README gives, with App Service's environment and file layout under a
// directory of the test's: the private certificate written as
// var/ssl/private/<THUMBPRINT>.p12 (WEBSITE_PRIVATE_CERTS_PATH points
// there, as /var/ssl/private cannot be written here), WEBSITE_LOAD_CERTIFICATES
// naming it, PORT and WEBSITES_PORT, the App Settings of
// deploy/azure/signet.yaml, requests through a front end that terminates
// TLS (Host the app's name, X-Forwarded-Proto https). A token is issued,
// signed by that certificate, with an https issuer; nothing is written
// outside the data directory.
//
//   - custom container: the binary built as the Dockerfile builds it, at
//     /signet, the configuration where deploy/azure/Dockerfile copies it,
//     started with the image's ENTRYPOINT and CMD in its WORKDIR, as its
//     user (uid 65532) when the test runs as root;
//   - plain binary: the zip's files in home/site/wwwroot, started by
//     startup.sh, the binary without its executable bit (as a zip may
//     leave it).
func TestAppService(t *testing.T) {
	t.Parallel()
	bin := dockerBinary(t)
	t.Run("custom container", func(t *testing.T) {
		t.Parallel()
		testAppService(t, bin, true)
	})
	t.Run("plain binary", func(t *testing.T) {
		t.Parallel()
		testAppService(t, bin, false)
	})
}

func testAppService(t *testing.T, bin string, container bool) {
	db := postgrestest.New(t, "signet_deploy_")
	work := t.TempDir() // the developer's machine
	root := t.TempDir() // the App Service instance's filesystem
	asImageUser := container && os.Geteuid() == 0
	if asImageUser {
		// Let uid 65532 reach the test's directory, as it reaches / in the
		// image; it owns only the data directory.
		for _, d := range []string{filepath.Dir(root), root} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	mkdir := func(rel string, mode os.FileMode) string {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	copyFile := func(from, rel string, mode os.FileMode) string {
		p := filepath.Join(root, rel)
		mkdir(filepath.Dir(rel), 0o755)
		if err := os.WriteFile(p, []byte(readFile(t, from)), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// What the README's commands make: the certificate (uploaded as a PFX,
	// written by App Service as a password-less .p12), the client's secret
	// and its hash (an App Setting).
	env := binEnv(work)
	var created struct{ Certificate struct{ Thumbprint string } }
	out := binRun(t, bin, work, env, "", "cert", "create", "--subject", "CN=signet-appservice", "--out", "cert.p12", "--no-password", "--insecure", "--cer", "cert.cer", "--json")
	if err := json.Unmarshal([]byte(out), &created); err != nil || len(created.Certificate.Thumbprint) != 40 {
		t.Fatalf("cert create: %v\n%s", err, out)
	}
	thumb := created.Certificate.Thumbprint
	certs := mkdir("var/ssl/private", 0o755)
	copyFile(filepath.Join(work, "cert.p12"), "var/ssl/private/"+thumb+".p12", 0o644)
	der, err := os.ReadFile(filepath.Join(work, "cert.cer"))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	gen := regexp.MustCompile(`^secret: (\S+)\nhash: +(\S+)\n$`).FindStringSubmatch(binRun(t, bin, work, env, "", "secret", "generate"))
	if gen == nil {
		t.Fatal("signet secret generate printed no secret and hash")
	}
	secret, hash := gen[1], gen[2]

	port := binFreePort(t)
	appEnv := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + mkdir("home", 0o755),
		"WEBSITE_SITE_NAME=signet-test",
		"WEBSITE_HOSTNAME=" + appServiceHost,
		"WEBSITE_LOAD_CERTIFICATES=" + thumb,
		"WEBSITE_PRIVATE_CERTS_PATH=" + certs,
		"WEBSITES_PORT=" + port,
		// The App Settings deploy/azure/signet.yaml names.
		"SIGNET_KEY_THUMBPRINT=" + thumb,
		"SIGNET_POSTGRES_DSN=" + db.DSN,
		"SIGNET_DATA_DIR=" + filepath.Join(mkdir("tmp", 0o777|fs.ModeSticky), "signet"),
		"MYAPP_SECRET_HASH=" + hash,
	}
	var cmd *exec.Cmd
	if container {
		_, stages := parseDockerfile(t, filepath.Join(repoRoot, "Dockerfile"))
		final := stages[len(stages)-1]
		entry := execForm(t, final.find("ENTRYPOINT")[0])
		args := execForm(t, final.find("CMD")[0])
		copyFile(bin, strings.TrimPrefix(entry[0], "/"), 0o755)
		workdir := mkdir(strings.TrimPrefix(final.find("WORKDIR")[0].args, "/"), 0o700)
		_, azure := parseDockerfile(t, filepath.Join(repoRoot, "deploy/azure/Dockerfile"))
		for _, in := range azure[0].find("COPY") {
			f := strings.Fields(in.args)
			copyFile(filepath.Join(repoRoot, "deploy/azure", f[0]), strings.TrimPrefix(f[1], "/"), 0o644)
		}
		// The image's ENV, then App Service's (its PORT wins over the
		// image's 8080); paths are under root.
		for k, v := range dockerEnv(final) {
			appEnv = slices.Insert(appEnv, 0, k+"="+v)
		}
		for k, v := range dockerEnv(azure[0]) {
			appEnv = append(appEnv, k+"="+filepath.Join(root, v))
		}
		appEnv = append(appEnv, "PORT="+port)
		cmd = exec.Command(filepath.Join(root, entry[0]), append(entry[1:], args...)...)
		cmd.Dir = workdir
		if asImageUser {
			uid, gid := imageUser(t, final)
			for _, d := range []string{workdir, filepath.Join(root, "tmp")} {
				if err := os.Chown(d, uid, gid); err != nil {
					t.Fatal(err)
				}
			}
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		}
	} else {
		copyFile(bin, "home/site/wwwroot/signet", 0o644)
		copyFile(filepath.Join(repoRoot, "deploy/azure/signet.yaml"), "home/site/wwwroot/signet.yaml", 0o644)
		startup := copyFile(filepath.Join(repoRoot, "deploy/azure/startup.sh"), "home/site/wwwroot/startup.sh", 0o644)
		appEnv = append(appEnv, "PORT="+port)
		cmd = exec.Command("sh", startup)
		cmd.Dir = filepath.Join(root, "home")
	}
	cmd.Env = appEnv
	// The image's root filesystem is read-only but for /data (and the
	// /tmp dataDir); App Service's wwwroot is the app's own, where the
	// startup command may make signet executable.
	writable := []string{"data", "tmp"}
	if !container {
		writable = []string{"tmp", "home/site/wwwroot/signet"}
	}
	before := treeOutside(t, root, writable...)

	srv := startCmd(t, cmd)
	srv.waitFor(`"msg":"listening on every interface, port from \$PORT .*","addr":"0\.0\.0\.0:` + port + `"`)
	srv.waitFor(`"msg":"key","kid":"` + thumb + `","alg":"RS256","role":"signing","subject":"CN=signet-appservice","source":"Store CurrentUser/My"`)
	srv.waitFor(`"msg":"listening"`)
	base := "http://127.0.0.1:" + port

	// Through the front end: https from X-Forwarded-Proto.
	frontEnd := func(req *http.Request) *http.Request {
		req.Host = appServiceHost
		req.Header.Set("X-Forwarded-Proto", "https")
		return req
	}
	// Straight from the app's host, as if App Service's front end did not
	// say it terminated TLS.
	plain := func(req *http.Request) *http.Request {
		req.Host = appServiceHost
		return req
	}
	direct := func(req *http.Request) *http.Request { return req }
	get := func(path string, via func(*http.Request) *http.Request) binResponse {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return binDo(t, via(req))
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := get(path, direct); r.status != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, r.status, r.body)
		}
	}
	var disco struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.Unmarshal(get("/.well-known/openid-configuration", frontEnd).body, &disco); err != nil {
		t.Fatal(err)
	}
	issuer := "https://" + appServiceHost
	if disco.Issuer != issuer || disco.TokenEndpoint != issuer+"/connect/token" {
		t.Errorf("behind the front end, discovery says issuer %q, token endpoint %q; want %s", disco.Issuer, disco.TokenEndpoint, issuer)
	}
	if err := json.Unmarshal(get("/.well-known/openid-configuration", plain).body, &disco); err != nil || disco.Issuer != "http://"+appServiceHost {
		t.Errorf("without X-Forwarded-Proto the issuer is %q (%v); want http://%s (what reaches the app is http)", disco.Issuer, err, appServiceHost)
	}
	var jwks struct{ Keys []struct{ Kid, X5t string } }
	if err := json.Unmarshal(get("/.well-known/openid-configuration/jwks", frontEnd).body, &jwks); err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(der)
	x5t := base64.RawURLEncoding.EncodeToString(sum[:])
	if len(jwks.Keys) != 1 || jwks.Keys[0].Kid != thumb || jwks.Keys[0].X5t != x5t {
		t.Errorf("JWKS %+v; want the uploaded certificate alone, kid %s, x5t %s", jwks.Keys, thumb, x5t)
	}

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/connect/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "scope": {"api1"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("myapp", secret)
	resp := binDo(t, frontEnd(req))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if resp.status != http.StatusOK || json.Unmarshal(resp.body, &tok) != nil {
		t.Fatalf("token: %d %s", resp.status, resp.body)
	}
	header, claims := verifyRS256(t, tok.AccessToken, cert)
	if header["kid"] != thumb || header["typ"] != "at+jwt" {
		t.Errorf("token header %v; want kid %s (the thumbprint) and typ at+jwt", header, thumb)
	}
	if claims["iss"] != issuer || claims["client_id"] != "myapp" || claims["aud"] != "https://api.example.com" {
		t.Errorf("token claims %v; want iss %s, client_id myapp, aud https://api.example.com", claims, issuer)
	}

	srv.stop()
	srv.noSecrets(secret, tok.AccessToken, hash)
	if after := treeOutside(t, root, writable...); !slices.Equal(before, after) {
		t.Errorf("files outside the data directory changed (the image's root filesystem is read-only):\nbefore %v\nafter  %v", before, after)
	}
}

// imageUser returns the final stage's numeric USER.
func imageUser(t *testing.T, final dockerStage) (int, int) {
	t.Helper()
	u, g, _ := strings.Cut(final.find("USER")[0].args, ":")
	uid, err1 := strconv.Atoi(u)
	gid, err2 := strconv.Atoi(g)
	if err1 != nil || err2 != nil {
		t.Fatalf("USER %s:%s is not numeric", u, g)
	}
	return uid, gid
}

// treeOutside lists the paths, modes and sizes under root, except the
// given paths (relative to root).
func treeOutside(t *testing.T, root string, except ...string) []string {
	t.Helper()
	var tree []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if slices.Contains(except, rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		tree = append(tree, rel+" "+fi.Mode().String()+" "+strconv.FormatInt(fi.Size(), 10))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// startCmd starts cmd as a binServer (its log waited for, stopped with
// SIGTERM), killed at the end of the test if it still runs.
func startCmd(t *testing.T, cmd *exec.Cmd) *binServer {
	t.Helper()
	s := &binServer{t: t, cmd: cmd, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &s.stdout, &s.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("%s wrote:\n%s%s", strings.Join(cmd.Args, " "), s.stdout.String(), s.out.String())
		}
	})
	return s
}

// verifyRS256 checks a JWT's RS256 signature with the certificate's key and
// returns its header and claims.
func verifyRS256(t *testing.T, token string, cert *x509.Certificate) (map[string]any, map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %d parts", len(parts))
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("the certificate's key is %T; want RSA", cert.PublicKey)
	}
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		t.Fatalf("the token is not signed by the uploaded certificate: %v", err)
	}
	decode := func(s string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	header := decode(parts[0])
	if header["alg"] != "RS256" {
		t.Fatalf("alg %v; want RS256", header["alg"])
	}
	return header, decode(parts[1])
}

// TestKubernetesConfig: the configuration the ConfigMap carries is one
// signet accepts, with the Secret's values as the Deployment passes them
// (deploy/kubernetes checks the manifests themselves).
func TestKubernetesConfig(t *testing.T) {
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, filepath.Join(repoRoot, "deploy/kubernetes/configmap.yaml"))), &cm); err != nil {
		t.Fatal(err)
	}
	bin := binaryTest(t)
	db := postgrestest.New(t, "signet_deploy_")
	dir := t.TempDir()
	binWrite(t, dir, "signet.yaml", cm.Data["signet.yaml"])
	env := binEnv(dir)
	kek := strings.TrimSpace(binRun(t, bin, dir, env, "", "keys", "kek"))
	env = append(env, "SIGNET_KEK="+kek, "SIGNET_POSTGRES_DSN="+db.DSN)
	out := binRun(t, bin, dir, env, "", "config", "check", "--config", "signet.yaml")
	for _, want := range []string{"signing keys  Managed (ES256, RS256)", "first start  signet serve creates /data/ (config check wrote nothing)"} {
		if !strings.Contains(out, want) {
			t.Errorf("config check of the ConfigMap's signet.yaml does not say %q:\n%s", want, out)
		}
	}
}

// TestSystemdUnit checks deploy/systemd/signet.service with systemd's own
// verifier and its security analysis, and that the unit and the
// configuration beside it agree (paths, the credential, the state
// directory), then the configuration with signet config check.
func TestSystemdUnit(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
	}
	bin := binaryTest(t) // parallel from here
	unitText := readFile(t, filepath.Join(repoRoot, "deploy/systemd/signet.service"))
	unit := map[string][]string{}
	for _, line := range strings.Split(unitText, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			unit[k] = append(unit[k], v)
		}
	}
	for k, want := range map[string]string{
		"DynamicUser": "yes", "StateDirectory": "signet", "ConfigurationDirectory": "signet",
		"ProtectSystem": "strict", "NoNewPrivileges": "yes", "PrivateTmp": "yes", "ProtectHome": "yes",
		"CapabilityBoundingSet": "", "LoadCredential": "kek:/etc/signet/kek",
		"ExecStart": "/usr/local/bin/signet serve --config /etc/signet/signet.yaml",
	} {
		if !slices.Equal(unit[k], []string{want}) {
			t.Errorf("%s=%q; want %q", k, unit[k], want)
		}
	}

	// systemd-analyze verify reads the ExecStart binary: this test's.
	dir := t.TempDir()
	path := filepath.Join(dir, "signet.service")
	binWrite(t, dir, "signet.service", strings.ReplaceAll(unitText, "/usr/local/bin/signet", bin))
	if out, err := exec.Command(analyze, "verify", path).CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// The exposure score (0 to 10, lower is safer): 1.2 when written.
	if out, err := exec.Command(analyze, "security", "--offline=yes", "--threshold=20", path).CombinedOutput(); err != nil {
		t.Errorf("systemd-analyze security: the exposure is above 2.0: %v\n%s", err, out)
	}

	// The configuration it names, with the state directory and the
	// credential where the unit puts them (here, under dir).
	config := readFile(t, filepath.Join(repoRoot, "deploy/systemd/signet.yaml"))
	for _, want := range []string{"dataDir: /var/lib/signet\n", "keyEncryptionKeyFile: ${CREDENTIALS_DIRECTORY}/kek\n"} {
		if !strings.Contains(config, want) {
			t.Fatalf("deploy/systemd/signet.yaml lacks %q, where the unit puts it", want)
		}
	}
	env := binEnv(dir)
	creds := filepath.Join(dir, "credentials")
	if err := os.Mkdir(creds, 0o700); err != nil {
		t.Fatal(err)
	}
	binWrite(t, creds, "kek", binRun(t, bin, dir, env, "", "keys", "kek"))
	state := filepath.Join(dir, "state")
	binWrite(t, dir, "signet.yaml", strings.ReplaceAll(config, "/var/lib/signet", state))
	out := binRun(t, bin, dir, append(env, "CREDENTIALS_DIRECTORY="+creds), "", "config", "check", "--config", "signet.yaml")
	if !strings.Contains(out, "signing keys  Managed (ES256, RS256)") || !strings.Contains(out, "signet serve creates "+state) {
		t.Errorf("config check of deploy/systemd/signet.yaml:\n%s", out)
	}
}
