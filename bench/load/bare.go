package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"time"
)

// The JWKS reference is a bare net/http server, this program run again
// with bareEnv naming a file: it answers every request with that file's
// bytes as application/json, and nothing else (no routing, CORS, caching
// headers or logging). The same generator drives it at the same
// concurrency, in slices between the server's, so that the ratio shows
// what Signet's handling costs beyond net/http's on this machine.
const bareEnv = "SIGNET_BENCH_BARE_BODY"

// bareMain serves as the bare server when bareEnv is set, and returns
// false otherwise.
func bareMain() bool {
	file := os.Getenv(bareEnv)
	if file == "" {
		return false
	}
	body, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load: bare server:", err)
		os.Exit(1)
	}
	debug.SetGCPercent(400) // as signet serve runs
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "load: bare server:", err)
		os.Exit(1)
	}
	fmt.Println(l.Addr().String()) // the parent reads the address
	json := []string{"application/json"}
	err = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Type"] = json
		_, _ = w.Write(body)
	}))
	fmt.Fprintln(os.Stderr, "load: bare server:", err)
	os.Exit(1)
	return true
}

// bareServer is a running bare server.
type bareServer struct {
	cmd    *exec.Cmd
	target target
}

// startBare starts a bare server answering with body.
func startBare(ctx context.Context, dir string, body []byte) (*bareServer, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "bare-body.json")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), bareEnv+"="+file)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = childAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b := &bareServer{cmd: cmd}
	addr := make(chan string, 1)
	go func() {
		buf := make([]byte, 64)
		n, _ := out.Read(buf)
		addr <- string(buf[:n])
	}()
	select {
	case a := <-addr:
		if a == "" {
			b.stop()
			return nil, fmt.Errorf("the bare net/http server did not start")
		}
		b.target = target{base: "http://" + trimNewline(a), pid: cmd.Process.Pid}
	case <-time.After(10 * time.Second):
		b.stop()
		return nil, fmt.Errorf("the bare net/http server did not start in 10s")
	case <-ctx.Done():
		b.stop()
		return nil, ctx.Err()
	}
	return b, nil
}

func trimNewline(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}

func (b *bareServer) stop() {
	_ = b.cmd.Process.Kill()
	_ = b.cmd.Wait()
}

// bareRef drives a bare server as a reference: its own workers, paused
// between samples.
type bareRef struct {
	l   *load
	pid int
}

// newBareRef connects conc workers to b and warms them up for warmup.
func newBareRef(ctx context.Context, b *bareServer, ep endpoint, gen string, conc int, warmup time.Duration) (*bareRef, error) {
	l, err := newLoad(ctx, b.target, ep, gen, conc)
	if err != nil {
		return nil, err
	}
	l.counting.Store(true) // samples count what they add
	l.start(ep.want)
	select {
	case <-time.After(warmup):
	case <-ctx.Done():
	}
	l.pause()
	return &bareRef{l: l, pid: b.target.pid}, nil
}

func (r *bareRef) sample(ctx context.Context, d time.Duration) (refSample, error) {
	ok0 := r.l.okCount()
	cpu0, _ := procCPU(r.pid)
	self0 := selfCPU()
	t0 := time.Now()
	r.l.resume()
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
	r.l.pause()
	s := refSample{n: r.l.okCount() - ok0, dur: time.Since(t0), selfCPU: selfCPU() - self0}
	cpu, _ := procCPU(r.pid)
	s.cpu, s.procCPU = cpu-cpu0, cpu-cpu0
	return s, ctx.Err()
}

func (r *bareRef) close() { r.l.close() }
