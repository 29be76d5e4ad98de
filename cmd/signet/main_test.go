package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/signetid/signet/internal/openssltest"
)

// TestMain lets the scripts run "signet" as a command: testscript puts a copy
// of this test binary on their PATH under that name.
func TestMain(m *testing.M) {
	testscript.Main(removeBuilt{m}, map[string]func(){
		"signet": func() { os.Exit(newApp().main(context.Background(), os.Args[1:])) },
	})
}

// removeBuilt removes the binary builtBinary made once every test is done.
type removeBuilt struct{ m *testing.M }

func (r removeBuilt) Run() int {
	code := r.m.Run()
	if builtPath != "" {
		os.RemoveAll(filepath.Dir(builtPath))
	}
	return code
}

// TestScripts runs testdata/script/*.txtar: the commands driven as a user
// would, checked against openssl where interop is the point.
//
// Scripts that need openssl start with "[!openssl] skip". Set
// SIGNET_TEST_REQUIRE_OPENSSL=1 (CI does) to fail instead of skipping when
// openssl is missing.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:                "testdata/script",
		RequireUniqueNames: true,
		Setup: func(env *testscript.Env) error {
			// Nothing a script does may touch the real stores or home.
			env.Setenv("SIGNET_CERT_STORE", filepath.Join(env.WorkDir, "store"))
			env.Setenv("HOME", filepath.Join(env.WorkDir, "home"))
			// A date ten days ahead, for certificates that expire soon.
			env.Setenv("IN_TEN_DAYS", time.Now().UTC().AddDate(0, 0, 10).Format(time.DateOnly))
			return os.MkdirAll(filepath.Join(env.WorkDir, "home"), 0o755)
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "openssl":
				return hasOpenSSL()
			case "root": // chown to another user needs it
				return os.Getuid() == 0, nil
			case "pty": // testscript's ttyin needs one
				f, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
				if err != nil {
					return false, nil
				}
				return true, f.Close()
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mode":        cmdMode,
			"jsonget":     cmdJSONGet,
			"fingerprint": cmdFingerprint,
			"unicode":     cmdUnicode,
			"capture":     cmdCapture,
			"status":      cmdStatus,
			"chown":       cmdChown,
		},
	})
}

// hasOpenSSL reports whether openssl is on PATH; without it, it fails when
// SIGNET_TEST_REQUIRE_OPENSSL=1 so that CI cannot skip the interop checks.
func hasOpenSSL() (bool, error) {
	path, err := openssltest.Path()
	return path != "", err
}

// cmdMode checks a file's permission bits: mode FILE 0600.
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode FILE PERM (e.g. mode my-app-auth.pfx 0600)")
	}
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	got := uint64(fi.Mode().Perm())
	if (got == want) == neg {
		ts.Fatalf("%s has mode %04o; want %s%04o", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// cmdJSONGet reads a field of a JSON file by a dotted path (array elements
// by index) into an environment variable: jsonget FILE certificate.thumbprint VAR.
// FILE may be stdout, the output of the last exec.
func cmdJSONGet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: jsonget FILE PATH VAR")
	}
	var v any
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &v); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	for _, key := range strings.Split(args[1], ".") {
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[key]
			if !ok {
				ts.Fatalf("%s: no field %q at %s", args[0], key, args[1])
			}
			v = next
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(node) {
				ts.Fatalf("%s: no element %q at %s (%d elements)", args[0], key, args[1], len(node))
			}
			v = node[i]
		default:
			ts.Fatalf("%s: %s reaches a %T before %q", args[0], args[1], v, key)
		}
	}
	switch x := v.(type) {
	case string:
		ts.Setenv(args[2], x)
	case map[string]any, []any:
		ts.Fatalf("%s: %s is not a scalar", args[0], args[1])
	default:
		ts.Setenv(args[2], fmt.Sprint(x))
	}
}

var fingerprintLine = regexp.MustCompile(`(?i)fingerprint=([0-9a-f:]+)`)

// cmdFingerprint reads what openssl x509 -fingerprint printed and sets VAR to
// the hex digits without colons: fingerprint stdout VAR.
func cmdFingerprint(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: fingerprint FILE VAR")
	}
	m := fingerprintLine.FindStringSubmatch(ts.ReadFile(args[0]))
	if m == nil {
		ts.Fatalf("%s has no Fingerprint=XX:XX:... line", args[0])
	}
	ts.Setenv(args[1], strings.ReplaceAll(m[1], ":", ""))
}

var unicodeEscape = regexp.MustCompile(`\\u([0-9a-fA-F]{4})`)

// cmdUnicode sets VAR to TEXT with \uXXXX escapes decoded, to write
// invisible characters: unicode TP '\u200e'$THUMB.
func cmdUnicode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: unicode VAR TEXT")
	}
	ts.Setenv(args[0], unicodeEscape.ReplaceAllStringFunc(args[1], func(esc string) string {
		r, _ := strconv.ParseUint(esc[2:], 16, 32)
		return string(rune(r))
	}))
}

// cmdCapture sets VAR to the first group of REGEXP (multi-line mode) in
// FILE, which may be stdout or stderr of the last command:
// capture stdout '^hash: +(\S+)$' HASH.
func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: capture FILE REGEXP VAR")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	m := re.FindStringSubmatch(ts.ReadFile(args[0]))
	if len(m) < 2 {
		ts.Fatalf("%s: nothing matches %s", args[0], args[1])
	}
	ts.Setenv(args[2], m[1])
}

// cmdStatus runs a command and checks its exit code, which ! cannot tell
// apart: status 2 signet config check. Its stdout and stderr are then those
// of the command.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		exit, ok := errors.AsType[*exec.ExitError](err)
		if !ok {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d; want %d", args[1], got, want)
	}
}

// cmdChown gives a file to another user: chown UID FILE (as root).
func cmdChown(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: chown UID FILE")
	}
	uid, err := strconv.Atoi(args[0])
	ts.Check(err)
	ts.Check(os.Chown(ts.MkAbs(args[1]), uid, -1))
}
