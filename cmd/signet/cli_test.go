package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signetid/signet/internal/certs"
)

// What the scripts in testdata/script cannot see: exact exit codes, and the
// interactive side (password prompts, confirmation), through a fake terminal.

// fakeTerminal is a terminal whose behaviour each test chooses.
type fakeTerminal struct {
	isTerminal   func() bool
	readPassword func(prompt string) (string, error)
}

func (f fakeTerminal) IsTerminal() bool                      { return f.isTerminal() }
func (f fakeTerminal) ReadPassword(p string) (string, error) { return f.readPassword(p) }

// ReadLine answers questions from the same script as passwords.
func (f fakeTerminal) ReadLine(p string) (string, error) { return f.readPassword(p) }

// noTerminal is stdin redirected from a file or a pipe: nobody can be asked.
func noTerminal(t *testing.T) fakeTerminal {
	return fakeTerminal{
		isTerminal: func() bool { return false },
		readPassword: func(prompt string) (string, error) {
			t.Errorf("asked %q without a terminal", prompt)
			return "", errors.New("no terminal")
		},
	}
}

// typist is a person at a terminal who types answers, in order, and whose
// screen shows the prompts.
type typist struct {
	t       *testing.T
	mu      sync.Mutex
	answers []string
	prompts []string
}

func newTypist(t *testing.T, answers ...string) *typist {
	return &typist{t: t, answers: answers}
}

func (ty *typist) terminal() fakeTerminal {
	return fakeTerminal{
		isTerminal: func() bool { return true },
		readPassword: func(prompt string) (string, error) {
			ty.mu.Lock()
			defer ty.mu.Unlock()
			ty.prompts = append(ty.prompts, prompt)
			if len(ty.answers) == 0 {
				ty.t.Errorf("asked %q, but the typist has no more answers", prompt)
				return "", io.EOF
			}
			a := ty.answers[0]
			ty.answers = ty.answers[1:]
			return a, nil
		},
	}
}

func (ty *typist) asked() []string {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	return slices.Clone(ty.prompts)
}

// cli is one test's view of signet: its own store, environment and terminal.
type cli struct {
	t     *testing.T
	dir   string
	env   map[string]string
	term  terminal
	stdin string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	dir := t.TempDir()
	return &cli{
		t:    t,
		dir:  dir,
		env:  map[string]string{"SIGNET_CERT_STORE": filepath.Join(dir, "store")},
		term: noTerminal(t),
	}
}

// path names a file in the test's directory.
func (c *cli) path(name string) string { return filepath.Join(c.dir, name) }

func (c *cli) write(name, content string) string {
	c.t.Helper()
	p := c.path(name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		c.t.Fatal(err)
	}
	return p
}

// run runs one command line and returns its exit code and output.
func (c *cli) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	a := &app{
		stdin:  strings.NewReader(c.stdin),
		stdout: &out,
		stderr: &errOut,
		lookupEnv: func(k string) (string, bool) {
			v, ok := c.env[k]
			return v, ok
		},
		term: c.term,
		now:  time.Now,
	}
	code = a.main(c.t.Context(), args)
	return code, out.String(), errOut.String()
}

// mustRun runs a command line that must succeed.
func (c *cli) mustRun(args ...string) string {
	c.t.Helper()
	code, stdout, stderr := c.run(args...)
	if code != exitOK {
		c.t.Fatalf("signet %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

// credentialPassword is the password of the credential of name (in its
// password file).
func credentialPassword(name string) string { return "a long enough password for " + name }

// credential makes a password-protected PFX (fast: an EC key) and its .cer,
// and returns the PFX's path, the password file and the thumbprint.
func (c *cli) credential(name string) (pfx, pwFile, thumb string) {
	c.t.Helper()
	pwFile = c.write(name+"-pw.txt", credentialPassword(name)+"\n")
	pfx = c.path(name + ".pfx")
	c.mustRun("cert", "create", "--subject", "CN="+name, "--key", "ec:P-256", "--out", pfx, "--cer", c.path(name+".cer"), "--password-file", pwFile)
	cred, err := certs.ReadFile(c.path(name+".cer"), nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return pfx, pwFile, certs.Thumbprint(cred.Certificates[0])
}

func assertAbsent(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists (err %v); the refused command should have written nothing", p, err)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(paths[0]))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	pfx, pwFile, thumb := c.credential("app")
	cer := c.path("app.cer")
	garbage := c.write("garbage.pfx", "not a certificate")
	c.mustRun("store", "import", pfx, "--password-file", pwFile)
	out := c.path("out.pfx")

	tests := []struct {
		name string
		args []string
		want int
	}{
		{"version", []string{"version"}, exitOK},
		{"help", []string{"--help"}, exitOK},
		{"cert help", []string{"cert"}, exitOK},
		{"unknown command", []string{"bogus"}, exitUsage},
		{"unknown flag", []string{"--bogus"}, exitUsage},
		{"unknown cert subcommand", []string{"cert", "crate"}, exitUsage},
		{"unknown store subcommand", []string{"store", "lsit"}, exitUsage},
		{"extra argument", []string{"version", "now"}, exitUsage},
		{"password as a flag", []string{"cert", "create", "--subject", "CN=x", "--out", out, "--password", "secret"}, exitUsage},
		{"flag without value", []string{"cert", "create", "--subject"}, exitUsage},
		{"create without subject", []string{"cert", "create", "--out", out, "--no-password", "--insecure"}, exitUsage},
		{"create without out", []string{"cert", "create", "--subject", "CN=x", "--no-password", "--insecure"}, exitUsage},
		{"create with a malformed subject", []string{"cert", "create", "--subject", "my-app", "--out", out, "--no-password", "--insecure"}, exitUsage},
		{"create with rsa:1024", []string{"cert", "create", "--subject", "CN=x", "--key", "rsa:1024", "--out", out, "--no-password", "--insecure"}, exitUsage},
		{"create with a bad key", []string{"cert", "create", "--subject", "CN=x", "--key", "dsa:2048", "--out", out, "--no-password", "--insecure"}, exitUsage},
		{"create with a bad date", []string{"cert", "create", "--subject", "CN=x", "--not-after", "1/1/2040", "--out", out, "--no-password", "--insecure"}, exitUsage},
		{"create ending before it starts", []string{"cert", "create", "--subject", "CN=x", "--not-before", "2030-01-01", "--not-after", "2029-01-01", "--out", out, "--no-password", "--insecure"}, exitUsage},
		{"create ending in the past", []string{"cert", "create", "--subject", "CN=x", "--not-after", "2001-01-01", "--out", out, "--no-password", "--insecure"}, exitUsage},
		{"create with no password and no terminal", []string{"cert", "create", "--subject", "CN=x", "--out", out}, exitUsage},
		{"create with --no-password alone", []string{"cert", "create", "--subject", "CN=x", "--out", out, "--no-password"}, exitUsage},
		{"create with two password sources", []string{"cert", "create", "--subject", "CN=x", "--out", out, "--password-file", pwFile, "--password-env", "PW"}, exitUsage},
		{"create over an existing file", []string{"cert", "create", "--subject", "CN=x", "--out", pfx, "--password-file", pwFile}, exitError},
		{"create with a missing password file", []string{"cert", "create", "--subject", "CN=x", "--out", out, "--password-file", c.path("nope.txt")}, exitError},
		{"inspect without a file", []string{"cert", "inspect"}, exitUsage},
		{"inspect a missing file", []string{"cert", "inspect", c.path("missing.pfx")}, exitError},
		{"inspect garbage", []string{"cert", "inspect", garbage}, exitError},
		{"inspect with a wrong password", []string{"cert", "inspect", pfx, "--password-file", garbage}, exitError},
		{"inspect a protected file without a password", []string{"cert", "inspect", pfx}, exitError},
		{"inspect a .cer, which cannot sign", []string{"cert", "inspect", cer}, exitOK},
		{"convert without input", []string{"cert", "convert", "--out", out}, exitUsage},
		{"convert to an unknown extension", []string{"cert", "convert", pfx, "--out", c.path("x.txt")}, exitUsage},
		{"convert a .cer to a .pfx", []string{"cert", "convert", cer, "--out", out, "--password-file", pwFile}, exitError},
		{"store show a non-thumbprint", []string{"store", "show", "my-app"}, exitUsage},
		{"store show a missing thumbprint", []string{"store", "show", strings.Repeat("0", 40)}, exitError},
		{"store show", []string{"store", "show", thumb}, exitOK},
		{"store with a bad location", []string{"store", "list", "--location", "Elsewhere"}, exitUsage},
		{"store import again", []string{"store", "import", pfx, "--password-file", pwFile}, exitError},
		{"store remove without --yes or a terminal", []string{"store", "remove", thumb}, exitUsage},
		{"doctor without a target", []string{"cert", "doctor"}, exitUsage},
		{"doctor finds it", []string{"cert", "doctor", "--thumbprint", thumb}, exitOK},
		{"doctor finds nothing", []string{"cert", "doctor", "--thumbprint", strings.Repeat("0", 40)}, exitError},
		{"doctor on a .cer", []string{"cert", "doctor", "--file", cer}, exitError},
		{"doctor --json finds nothing", []string{"cert", "doctor", "--json", "--subject", "CN=nobody"}, exitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := c.run(tt.args...)
			if code != tt.want {
				t.Errorf("signet %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(tt.args, " "), code, tt.want, stdout, stderr)
			}
			if code != exitOK && !slices.Contains(tt.args, "doctor") && !strings.HasPrefix(stderr, "signet: ") {
				t.Errorf("a failure should say why on stderr, starting with \"signet: \"; stderr:\n%s", stderr)
			}
		})
	}
	assertAbsent(t, out)
}

func TestCreatePromptsTwiceWithoutEcho(t *testing.T) {
	t.Parallel()
	const pw = "typed at the terminal"
	c := newCLI(t)
	ty := newTypist(t, pw, pw)
	c.term = ty.terminal()
	c.stdin = "something that must not be read\n"
	pfx := c.path("app.pfx")

	code, stdout, stderr := c.run("cert", "create", "--subject", "CN=app", "--key", "ec:P-256", "--out", pfx, "--cer", c.path("app.cer"))
	if code != exitOK {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
	}
	want := []string{"Password for " + pfx + ": ", "Repeat the password: "}
	if got := ty.asked(); !slices.Equal(got, want) {
		t.Errorf("prompts %q, want %q", got, want)
	}
	// The password is read only through the terminal's no-echo read: it is
	// never printed, and plain stdin is left alone.
	if strings.Contains(stdout+stderr, pw) {
		t.Errorf("the password shows in the output:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	if strings.Contains(stdout+stderr, "Password for") {
		t.Errorf("the prompt went to stdout/stderr rather than the terminal")
	}
	if stderr != "" {
		t.Errorf("stderr: %s", stderr)
	}
	if _, err := certs.ReadFile(pfx, certs.StaticPassword(pw)); err != nil {
		t.Errorf("the PFX does not open with the typed password: %v", err)
	}
	if _, err := certs.ReadFile(pfx, certs.StaticPassword("")); !errors.Is(err, certs.ErrWrongPassword) {
		t.Errorf("the PFX opens without the password: %v", err)
	}
	fi, err := os.Stat(pfx)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", pfx, fi.Mode().Perm())
	}
}

func TestCreateRefusesBadTypedPasswords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		answers   []string
		readErr   error
		wantAsked int
		wantErr   string
	}{
		{"mismatch", []string{"one long password", "another long password"}, nil, 2, "signet: the passwords do not match: nothing was written; run the command again\n"},
		{"empty", []string{""}, nil, 1, "signet: the password is empty: type one, or use --no-password --insecure for a file without one\n"},
		{"end of input", nil, io.EOF, 1, "signet: read password: EOF\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newCLI(t)
			var asked []string
			answers := tt.answers
			c.term = fakeTerminal{
				isTerminal: func() bool { return true },
				readPassword: func(prompt string) (string, error) {
					asked = append(asked, prompt)
					if tt.readErr != nil {
						return "", tt.readErr
					}
					a := answers[0]
					answers = answers[1:]
					return a, nil
				},
			}
			pfx, cer := c.path("app.pfx"), c.path("app.cer")
			code, stdout, stderr := c.run("cert", "create", "--subject", "CN=app", "--key", "ec:P-256", "--out", pfx, "--cer", cer)
			if code != exitError {
				t.Errorf("exit %d, want %d", code, exitError)
			}
			if stderr != tt.wantErr {
				t.Errorf("stderr %q, want %q", stderr, tt.wantErr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if len(asked) != tt.wantAsked {
				t.Errorf("asked %q, want %d prompts", asked, tt.wantAsked)
			}
			assertAbsent(t, pfx, cer)
		})
	}
}

func TestCreateShortTypedPasswordWarns(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.term = newTypist(t, "short", "short").terminal()
	pfx := c.path("app.pfx")
	code, _, stderr := c.run("cert", "create", "--subject", "CN=app", "--key", "ec:P-256", "--out", pfx)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "warning: the password has fewer than 12 characters") {
		t.Errorf("no warning for a short password; stderr %q", stderr)
	}
}

func TestCreateWithPasswordSourceDoesNotPrompt(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.term = fakeTerminal{
		isTerminal: func() bool { return true },
		readPassword: func(prompt string) (string, error) {
			t.Errorf("asked %q although --password-env was given", prompt)
			return "", io.EOF
		},
	}
	c.env["PFX_PASSWORD"] = "from the environment"
	pfx := c.path("app.pfx")
	c.mustRun("cert", "create", "--subject", "CN=app", "--key", "ec:P-256", "--out", pfx, "--password-env", "PFX_PASSWORD")
	if _, err := certs.ReadFile(pfx, certs.StaticPassword("from the environment")); err != nil {
		t.Errorf("the PFX does not open with the environment's password: %v", err)
	}
}

func TestInspectPrompts(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	pfx, pwFile, _ := c.credential("app")
	pw := credentialPassword("app")
	clear := c.path("clear.pfx")
	c.mustRun("cert", "convert", pfx, "--in-password-file", pwFile, "--out", clear, "--no-password", "--insecure")
	// typing is c in the subtest t, at a terminal where a typist types
	// answers.
	typing := func(t *testing.T, answers ...string) (*cli, *typist) {
		ty := newTypist(t, answers...)
		c := *c
		c.t, c.term = t, ty.terminal()
		return &c, ty
	}

	t.Run("protected: asked once", func(t *testing.T) {
		c, ty := typing(t, pw)
		stdout := c.mustRun("cert", "inspect", pfx)
		if want := []string{"Password for " + pfx + ": "}; !slices.Equal(ty.asked(), want) {
			t.Errorf("prompts %q, want %q", ty.asked(), want)
		}
		if !strings.Contains(stdout, "Token signing: yes (ES256)") {
			t.Errorf("stdout:\n%s", stdout)
		}
		if strings.Contains(stdout, pw) {
			t.Errorf("the password shows in the output")
		}
	})
	t.Run("protected: wrong password typed", func(t *testing.T) {
		c, ty := typing(t, "not it")
		code, _, stderr := c.run("cert", "inspect", pfx)
		if code != exitError || stderr != "signet: "+pfx+": wrong password\n" {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
		if len(ty.asked()) != 1 {
			t.Errorf("asked %q, want once", ty.asked())
		}
	})
	t.Run("unprotected: not asked", func(t *testing.T) {
		c, ty := typing(t)
		c.mustRun("cert", "inspect", clear)
		if len(ty.asked()) != 0 {
			t.Errorf("asked %q for a file without a password", ty.asked())
		}
	})
	t.Run("certificate: not asked", func(t *testing.T) {
		c, ty := typing(t)
		c.mustRun("cert", "inspect", c.path("app.cer"))
		if len(ty.asked()) != 0 {
			t.Errorf("asked %q for a certificate", ty.asked())
		}
	})
}

func TestConvertPromptsForInputThenOutput(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	pfx, _, _ := c.credential("app")
	in := credentialPassword("app")
	const out = "the new file's password"
	ty := newTypist(t, in, out, out)
	c.term = ty.terminal()
	legacy := c.path("legacy.pfx")
	c.mustRun("cert", "convert", pfx, "--out", legacy, "--legacy")
	want := []string{"Password for " + pfx + ": ", "Password for " + legacy + ": ", "Repeat the password: "}
	if !slices.Equal(ty.asked(), want) {
		t.Errorf("prompts %q, want %q", ty.asked(), want)
	}
	if _, err := certs.ReadFile(legacy, certs.StaticPassword(out)); err != nil {
		t.Errorf("the new PFX does not open with its typed password: %v", err)
	}
}

func TestStoreRemoveConfirms(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	pfx, pwFile, thumb := c.credential("app")
	c.mustRun("store", "import", pfx, "--password-file", pwFile)
	stored := filepath.Join(c.env["SIGNET_CERT_STORE"], "CurrentUser", "My", thumb+".pfx")
	wantPrompt := "Remove " + thumb + " CN=app from CurrentUser/My? Its private key cannot be recovered. Type yes: "

	for _, answer := range []string{"", "no", "y"} {
		ty := newTypist(t, answer)
		c.term = ty.terminal()
		code, stdout, stderr := c.run("store", "remove", thumb)
		if code != exitError || stderr != "signet: not removed\n" || stdout != "" {
			t.Errorf("answer %q: exit %d, stdout %q, stderr %q", answer, code, stdout, stderr)
		}
		if !slices.Equal(ty.asked(), []string{wantPrompt}) {
			t.Errorf("prompts %q, want %q", ty.asked(), wantPrompt)
		}
		if _, err := os.Stat(stored); err != nil {
			t.Errorf("answer %q removed it: %v", answer, err)
		}
	}

	ty := newTypist(t, " YES ")
	c.term = ty.terminal()
	stdout := c.mustRun("store", "remove", thumb)
	if want := "Removed " + thumb + " CN=app from CurrentUser/My\n"; stdout != want {
		t.Errorf("stdout %q, want %q", stdout, want)
	}
	if _, err := os.Stat(stored); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("still stored: %v", err)
	}

	// --yes does not ask.
	c.mustRun("store", "import", pfx, "--password-file", pwFile)
	ty = newTypist(t)
	c.term = ty.terminal()
	c.mustRun("store", "remove", thumb, "--yes")
	if len(ty.asked()) != 0 {
		t.Errorf("asked %q despite --yes", ty.asked())
	}

	// A certificate without a key: the question does not speak of a key.
	c.mustRun("store", "import", c.path("app.cer"))
	ty = newTypist(t, "yes")
	c.term = ty.terminal()
	c.mustRun("store", "remove", thumb)
	if want := []string{"Remove " + thumb + " CN=app from CurrentUser/My? Type yes: "}; !slices.Equal(ty.asked(), want) {
		t.Errorf("prompts %q, want %q", ty.asked(), want)
	}
}

// The environment comes from lookupEnv alone: Azure's settings and the store
// root reach the store through it, never through the process environment.
func TestEnvironmentThroughLookupEnv(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	pfx, pwFile, thumb := c.credential("app")
	azure := c.path("ssl")
	if err := os.Mkdir(azure, 0o700); err != nil {
		t.Fatal(err)
	}
	c.env["WEBSITE_LOAD_CERTIFICATES"] = thumb
	c.env["WEBSITE_PRIVATE_CERTS_PATH"] = azure

	code, _, stderr := c.run("store", "import", pfx, "--password-file", pwFile)
	if code != exitError || !strings.Contains(stderr, "read-only store") || !strings.Contains(stderr, azure) {
		t.Errorf("import on Azure: exit %d, stderr %q", code, stderr)
	}
	stdout := c.mustRun("store", "list")
	if !strings.Contains(stdout, azure+" (Azure App Service, because WEBSITE_LOAD_CERTIFICATES is set)") {
		t.Errorf("store list on Azure:\n%s", stdout)
	}

	delete(c.env, "WEBSITE_LOAD_CERTIFICATES")
	c.mustRun("store", "import", pfx, "--password-file", pwFile)
	if _, err := os.Stat(filepath.Join(c.env["SIGNET_CERT_STORE"], "CurrentUser", "My", thumb+".pfx")); err != nil {
		t.Errorf("not imported under SIGNET_CERT_STORE: %v", err)
	}
}

// A password file written on Windows ends its line with CRLF; the CR is not
// part of the password, and only the first line counts.
func TestPasswordFileLineEndings(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for name, content := range map[string]string{
		"crlf.txt":      "a password from windows\r\n",
		"no-eol.txt":    "a password from windows",
		"two-lines.txt": "a password from windows\nsecond line is ignored\n",
		"notepad.txt":   "\ufeffa password from windows\r\n", // old Notepad's UTF-8 byte order mark
	} {
		pfx := c.path(name + ".pfx")
		c.mustRun("cert", "create", "--subject", "CN=app", "--key", "ec:P-256", "--out", pfx, "--password-file", c.write(name, content))
		if _, err := certs.ReadFile(pfx, certs.StaticPassword("a password from windows")); err != nil {
			t.Errorf("%s: the PFX does not open with the first line's password: %v", name, err)
		}
	}
}

// A "password file" of megabytes is the wrong file: refused without reading it all.
func TestPasswordFileTooBig(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	big := c.write("big.txt", strings.Repeat("x", 100<<10))
	code, _, stderr := c.run("cert", "create", "--subject", "CN=app", "--key", "ec:P-256", "--out", c.path("big.pfx"), "--password-file", big)
	if code != exitError || !strings.Contains(stderr, "is larger than 64 KiB, which no password file is") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
