package main

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binFreePort is a TCP port nothing listens on just now.
func binFreePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// binConfig is a configuration that serves without anything else: a
// Development key over http, no listen.
const binConfig = "dataDir: data\nallowHttp: true\nkey:\n  type: Development\n"

// TestBinaryPort: with nothing that says where to listen, signet serve
// listens on every interface at $PORT (else $WEBSITES_PORT), in
// development mode and with a configuration, and says so; --listen and
// listen: win over it; a PORT that is not a port number is refused before
// anything is written.
func TestBinaryPort(t *testing.T) {
	bin := binaryTest(t)
	fromPort := func(t *testing.T, name string, args ...string) {
		t.Helper()
		dir := t.TempDir()
		if slices.Contains(args, "--config") {
			binWrite(t, dir, "signet.yaml", binConfig)
		}
		port := binFreePort(t)
		srv := binServe(t, bin, dir, append(binEnv(dir), name+"="+port), args...)
		srv.waitFor(`msg="listening on every interface, port from \$` + name + ` .*" addr=0\.0\.0\.0:` + port + `\n`)
		srv.waitFor(`msg=listening url=\S+:` + port + ` .* addr=(0\.0\.0\.0|\[::\]):` + port + `\n`)
		binGet(t, "http://127.0.0.1:"+port+"/healthz", http.StatusOK)
		srv.stop()
	}
	t.Run("PORT in development mode", func(t *testing.T) {
		t.Parallel()
		fromPort(t, "PORT")
	})
	t.Run("WEBSITES_PORT with a configuration", func(t *testing.T) {
		t.Parallel()
		fromPort(t, "WEBSITES_PORT", "--config", "signet.yaml")
	})

	notFromPort := func(t *testing.T, config string, args ...string) {
		t.Helper()
		dir := t.TempDir()
		if config != "" {
			binWrite(t, dir, "signet.yaml", config)
		}
		srv := binServe(t, bin, dir, append(binEnv(dir), "PORT="+binFreePort(t)), args...)
		srv.waitFor(`msg=listening .* addr=127\.0\.0\.1:\d+\n`)
		if strings.Contains(srv.out.String(), "$PORT") {
			t.Errorf("PORT was used though the address was given:\n%s", srv.out.String())
		}
		srv.stop()
	}
	t.Run("--listen wins", func(t *testing.T) {
		t.Parallel()
		notFromPort(t, "", "--listen", "127.0.0.1:0")
	})
	t.Run("listen: wins", func(t *testing.T) {
		t.Parallel()
		notFromPort(t, "listen: 127.0.0.1:0\n"+binConfig, "--config", "signet.yaml")
	})

	for _, bad := range []string{"http", "0", "65536", "-1", "80 ", "0x50"} {
		t.Run("PORT "+strconv.Quote(bad), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			before := binEntries(t, dir)
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "serve")
			cmd.Dir, cmd.Env = dir, append(binEnv(dir), "PORT="+bad)
			out, err := cmd.CombinedOutput()
			if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != exitError {
				t.Fatalf("signet serve with PORT=%q: %v; want exit status 1\n%s", bad, err, out)
			}
			if want := "signet: environment variable PORT is " + strconv.Quote(bad) + ": give a port number from 1 to 65535 (where the platform sends requests), or unset it and set listen: or --listen\n"; string(out) != want {
				t.Errorf("output:\n%s\nwant:\n%s", out, want)
			}
			if after := binEntries(t, dir); !slices.Equal(after, before) {
				t.Errorf("the refused serve left %v behind (before: %v)", after, before)
			}
		})
	}
}

// TestBinaryDrain: with shutdown.drainDelay, SIGTERM makes /readyz 503 at
// once while discovery and /healthz are still served, and the server then
// stops as always, with exit status 0; a second SIGTERM during the drain
// ends the process at once.
func TestBinaryDrain(t *testing.T) {
	bin := binaryTest(t)
	t.Run("drains, then stops", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		// Long enough for the requests below on a loaded machine; the
		// test waits for it once.
		binWrite(t, dir, "signet.yaml", binConfig+"shutdown:\n  drainDelay: 10s\n")
		srv := binServe(t, bin, dir, binEnv(dir), "--config", "signet.yaml", "--listen", "127.0.0.1:0")
		base := "http://" + regexp.MustCompile(`addr=(\S+)\n`).FindStringSubmatch(srv.out.String())[1]
		binGet(t, base+"/readyz", http.StatusOK)
		if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		srv.waitFor(`msg="draining: /readyz answers 503`)
		// 503 from the first request after the log line: the flag is set
		// before it is written.
		if body := binGet(t, base+"/readyz", http.StatusServiceUnavailable); body != "not ready: shutting down\n" {
			t.Errorf("/readyz while draining: %q", body)
		}
		binGet(t, base+"/.well-known/openid-configuration", http.StatusOK)
		binGet(t, base+"/healthz", http.StatusOK)
		if strings.Contains(srv.out.String(), "shutting down: waiting") {
			t.Errorf("the graceful shutdown began before the drain delay ended:\n%s", srv.out.String())
		}
		srv.stopped()
		log := srv.out.String()
		if d, s := strings.Index(log, "draining"), strings.Index(log, "shutting down: waiting"); d < 0 || s < d {
			t.Errorf("the log does not drain, then shut down:\n%s", log)
		}
	})
	t.Run("a second SIGTERM ends the drain", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		binWrite(t, dir, "signet.yaml", binConfig+"shutdown:\n  drainDelay: 5m\n")
		srv := binServe(t, bin, dir, binEnv(dir), "--config", "signet.yaml", "--listen", "127.0.0.1:0")
		if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		srv.waitFor(`msg="draining: /readyz answers 503`)
		if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-srv.exited:
		case <-time.After(25 * time.Second):
			t.Fatal("signet serve still runs 25 s after a second SIGTERM during a 5m drain")
		}
		if strings.Contains(srv.out.String(), "msg=stopped") {
			t.Errorf("a second SIGTERM let the server stop gracefully:\n%s", srv.out.String())
		}
	})
}
