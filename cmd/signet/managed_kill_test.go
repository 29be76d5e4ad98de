package main

import (
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// A rotation killed with SIGKILL at any moment (while the new key is being
// made, stored, or its predecessor's dates written) leaves a consistent key
// set: every key opens, each algorithm has exactly one signing key, and the
// server starts and signs with it.
func TestManagedRotationKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL")
	}
	t.Parallel()
	bin := builtBinary(t)
	dir := t.TempDir()
	env := append(binEnv(dir), "SIGNET_KEK="+newKEK(t))
	binWrite(t, dir, "signet.yaml", `dataDir: data
key:
  type: Managed
  keyEncryptionKey: ${SIGNET_KEK}
  signingAlgorithms: [RS256, PS256, ES256]
`)
	// The first keys, then a rotation killed at a random moment, 15 times.
	for _, alg := range []string{"RS256", "PS256", "ES256"} {
		binRun(t, bin, dir, env, "", "keys", "rotate", "--algorithm", alg, "--config", "signet.yaml")
	}
	killed, finished := 0, 0
	for i := range 15 {
		cmd := exec.Command(bin, "keys", "rotate", "--now", "--algorithm", []string{"RS256", "PS256", "ES256"}[i%3], "--config", "signet.yaml")
		cmd.Dir, cmd.Env = dir, env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// RSA key generation and the writes take tens of milliseconds:
		// the kill lands before, during or after them.
		time.Sleep(time.Duration(rand.IntN(120)) * time.Millisecond)
		cmd.Process.Kill()
		if err := cmd.Wait(); err != nil {
			killed++
		} else {
			finished++
		}
		assertConsistentKeys(t, bin, dir, env)
	}
	t.Logf("rotations killed: %d, finished before the kill: %d", killed, finished)
	if killed == 0 {
		t.Error("no rotation was killed: the test proves nothing")
	}

	// The server starts on what is left, and signs with the keys listed.
	binWrite(t, dir, "serve.yaml", `dataDir: data
issuer: http://127.0.0.1
allowHttp: true
key:
  type: Managed
  keyEncryptionKey: ${SIGNET_KEK}
  signingAlgorithms: [RS256, PS256, ES256]
clients:
  - clientId: app
    secrets:
      - value: a-client-secret-long-enough-for-tests
    allowedGrantTypes: [client_credentials]
`)
	srv := binServe(t, bin, dir, env, "--config", "serve.yaml", "--listen", freePort(t))
	defer srv.stop()
	if !strings.Contains(srv.out.String(), "role=signing") || strings.Contains(srv.out.String(), "level=ERROR") {
		t.Errorf("serve after the killed rotations:\n%s", srv.out.String())
	}
}

// assertConsistentKeys checks that every managed key opens and that each
// algorithm has one signing key.
func assertConsistentKeys(t *testing.T, bin, dir string, env []string) {
	t.Helper()
	var keys []keyView
	out := binRun(t, bin, dir, env, "", "keys", "list", "--json", "--config", "signet.yaml")
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatalf("keys list --json: %v\n%s", err, out)
	}
	signing := map[string]int{}
	for _, k := range keys {
		if k.Problem != "" {
			t.Errorf("key %s: %s", k.ID, k.Problem)
		}
		if k.State == "signing" {
			signing[k.Algorithm]++
		}
	}
	for _, alg := range []string{"RS256", "PS256", "ES256"} {
		if signing[alg] != 1 {
			t.Fatalf("%d %s keys sign:\n%s", signing[alg], alg, out)
		}
	}
}
