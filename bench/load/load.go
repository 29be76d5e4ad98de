package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// An endpoint is one request, sent again and again.
type endpoint struct {
	name   string
	method string
	path   string
	header http.Header
	body   []byte
	want   int // the status that counts as success
	// flow, for the sign-in modes, makes each worker's doer instead of
	// one request sent again and again (method, path, header and body
	// are unused then).
	flow flow
	// wholePeak measures the peak RSS from the start of the warm-up
	// rather than of the measured part: for the login storm, whose
	// target is the peak of the whole storm.
	wholePeak bool
	// timeout bounds each request of a flow; one without an answer in
	// that time counts as hung.
	timeout time.Duration
}

// A target is where the load goes: the server's base URL and process.
type target struct {
	base string
	pid  int
}

// A result is one measured run.
type result struct {
	alg, endpoint, note string
	conc                int
	ok, errs            uint64
	hung                uint64 // of errs: no answer within the request timeout
	// warmErrs (warmHung of them hung) failed during the warm-up, which
	// the rates leave out but the login storm's verdict does not.
	warmErrs, warmHung uint64
	firstErr           string
	elapsed            time.Duration
	hist               histogram
	serverCPU, selfCPU time.Duration
	otherCPU           time.Duration // every other process on the machine; -1: unknown
	peakRSS            int64         // 0: unknown
	peakOwn            bool          // peakRSS is this run's own (VmHWM was reset)
	logLines           int           // lines the server logged during the run
	sent               uint64        // requests sent, warm-up included
	// ref is the rate of the run's reference (the in-process signing rate
	// of the same key for tokens, a bare net/http server for JWKS),
	// measured in refSlices slices interleaved with the run's own: on a
	// machine whose speed drifts, the ratio compares like with like.
	// refCPU is the reference's CPU seconds per 1,000 operations.
	ref       float64
	refCPU    float64
	refSlices int
	// runs is how many runs this one is the median of; lowRate..highRate
	// (and lowShare..highShare of their floors) their range.
	runs                int
	lowRate, highRate   float64
	lowShare, highShare float64
}

func (r *result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ok) / r.elapsed.Seconds()
}

// perThousand returns CPU seconds per 1,000 successful requests.
func (r *result) perThousand(cpu time.Duration) float64 {
	if r.ok == 0 {
		return 0
	}
	return cpu.Seconds() * 1000 / float64(r.ok)
}

// resettableBody is a request body that can be sent again: Close does
// nothing, and each request rewinds it.
type resettableBody struct{ bytes.Reader }

func (*resettableBody) Close() error { return nil }

// A doer sends the run's request once and returns the status.
type doer interface{ do() (int, error) }

// httpDoer sends through net/http: one reused request on a shared
// transport that keeps a connection per worker.
type httpDoer struct {
	tr   *http.Transport
	req  *http.Request
	body *resettableBody
	raw  []byte
}

func (d *httpDoer) do() (int, error) {
	if d.body != nil {
		d.body.Reset(d.raw)
	}
	resp, err := d.tr.RoundTrip(d.req)
	if err != nil {
		return 0, err
	}
	// Read the body to the end so that the connection is reused.
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// worker is one connection's loop and its own counters.
type worker struct {
	d    doer
	hist histogram
	ok   uint64
	errs uint64
	hung uint64
	sent uint64
	err  string

	warmErrs, warmHung uint64
}

// Generators: which client the workers use.
const (
	genRaw     = "raw"
	genNetHTTP = "nethttp"
)

// A reference is what a run is compared with, measured in slices between
// slices of the run so that both see the same moments of a machine whose
// speed drifts: the in-process signing rate of the server's key for the
// token endpoint, a bare net/http server for JWKS.
type reference interface {
	sample(ctx context.Context, d time.Duration) (refSample, error)
}

// refSample is one slice of a reference: n operations in dur, costing cpu
// (of the process that did them).
type refSample struct {
	n       uint64
	dur     time.Duration
	cpu     time.Duration
	selfCPU time.Duration // what the slice cost this process (subtracted from the generator's CPU)
	procCPU time.Duration // what it cost another process (a bare server), not a neighbour's load
}

// run drives ep at conc concurrent requests (each worker one keep-alive
// connection) for warmup, then measures for dur: rate, latency of the
// successful requests, errors, and the CPU time of the server and of this
// process over the measured part. With a reference, the measured part is
// cut into slices of slice, each followed by a slice of half that of the
// reference while the load is paused (nothing in flight).
func run(ctx context.Context, t target, ep endpoint, gen string, conc int, warmup, dur time.Duration, ref reference, slice time.Duration) (*result, error) {
	// No request outlives the run by more than this.
	ctx, cancel := context.WithTimeout(ctx, 2*(warmup+dur)+30*time.Second)
	defer cancel()
	l, err := newLoad(ctx, t, ep, gen, conc)
	if err != nil {
		return nil, err
	}
	defer l.close()

	var peakOwn bool
	if ep.wholePeak {
		peakOwn = resetPeak(t.pid)
	}
	l.start(ep.want)
	select {
	case <-time.After(warmup):
	case <-ctx.Done():
	}
	// The measured part starts with nothing in flight, so that no request
	// of the warm-up is served on its time, and counts every request sent
	// from then on: the CPU counters and the peak RSS are read here.
	l.pause()
	l.counting.Store(true)
	serverCPU0, _ := procCPU(t.pid)
	self0 := selfCPU()
	busy0, _ := machineBusy()
	if !ep.wholePeak {
		peakOwn = resetPeak(t.pid)
	}

	r := &result{endpoint: ep.name, conc: conc, peakOwn: peakOwn, otherCPU: -1}
	if ref == nil {
		slice = dur
	}
	// Slices of load, each ended by a pause (nothing in flight, so the
	// counts are complete) and followed by a slice of the reference; the
	// last one is not resumed.
	var total refSample
	for {
		t0 := time.Now()
		l.resume()
		select {
		case <-time.After(min(slice, dur-r.elapsed)):
		case <-ctx.Done():
		}
		l.pause()
		r.elapsed += time.Since(t0)
		if ref != nil {
			s, err := ref.sample(ctx, slice/2)
			if err != nil {
				return nil, err
			}
			total.n, total.dur, total.cpu = total.n+s.n, total.dur+s.dur, total.cpu+s.cpu
			total.selfCPU, total.procCPU = total.selfCPU+s.selfCPU, total.procCPU+s.procCPU
			r.refSlices++
		}
		if r.elapsed >= dur || ctx.Err() != nil {
			break
		}
	}
	if total.dur > 0 && total.n > 0 {
		r.ref = float64(total.n) / total.dur.Seconds()
		r.refCPU = total.cpu.Seconds() * 1000 / float64(total.n)
	}
	refSelf, refProc := total.selfCPU, total.procCPU
	l.stop() // paused: the workers end without another request
	serverCPU, _ := procCPU(t.pid)
	self := selfCPU()
	busy, busyErr := machineBusy()
	_, r.peakRSS, _ = procMem(t.pid)
	r.serverCPU = serverCPU - serverCPU0
	r.selfCPU = self - self0 - refSelf
	if busyErr == nil && busy0 > 0 {
		r.otherCPU = max(busy-busy0-r.serverCPU-(self-self0)-refProc, 0)
	}
	l.collect(r)
	return r, nil
}

// A load is conc workers sending one request again and again, which can be
// paused (and then has nothing in flight) and resumed.
type load struct {
	workers  []*worker
	wg       sync.WaitGroup
	inflight atomic.Int64
	paused   atomic.Bool
	stopped  atomic.Bool
	counting atomic.Bool                   // requests sent now count (the warm-up is over)
	resumed  atomic.Pointer[chan struct{}] // closed at resume
	closers  []func()
}

func newLoad(ctx context.Context, t target, ep endpoint, gen string, conc int) (*load, error) {
	if ep.flow != nil {
		return newFlowLoad(ctx, t, ep, gen, conc)
	}
	deadline, _ := ctx.Deadline()
	raw, err := rawRequest(t.base, ep)
	if err != nil {
		return nil, err
	}
	l := &load{workers: make([]*worker, conc)}
	var tr *http.Transport
	if gen != genRaw {
		tr = &http.Transport{
			MaxIdleConns:        conc,
			MaxIdleConnsPerHost: conc,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		}
		l.closers = append(l.closers, tr.CloseIdleConnections)
	}
	for i := range l.workers {
		switch gen {
		case genRaw:
			c := &rawConn{addr: strings.TrimPrefix(t.base, "http://"), req: raw, deadline: deadline}
			l.closers = append(l.closers, c.close)
			l.workers[i] = &worker{d: c}
		default:
			d := &httpDoer{tr: tr, raw: ep.body}
			var body io.Reader
			if ep.body != nil {
				d.body = &resettableBody{}
				body = d.body
			}
			req, err := http.NewRequestWithContext(ctx, ep.method, t.base+ep.path, body)
			if err != nil {
				return nil, err
			}
			for k, v := range ep.header {
				req.Header[k] = v
			}
			req.ContentLength = int64(len(ep.body))
			d.req = req
			l.workers[i] = &worker{d: d}
		}
	}
	return l, nil
}

// setupLogins bounds the workers made at once: the authcode flow signs
// each one in, and the server computes only a few password hashes at a
// time (GOMAXPROCS), so 64 logins at once would wait in its line, each
// as long as the whole line, and on a busy machine past the request
// timeout: that is the login storm's business, not the setup's.
const setupLogins = 4

// newFlowLoad makes the workers of a sign-in mode, each with its own
// connection and its doer made by ep.flow, setupLogins at a time.
func newFlowLoad(ctx context.Context, t target, ep endpoint, gen string, conc int) (*load, error) {
	deadline, _ := ctx.Deadline()
	l := &load{workers: make([]*worker, conc)}
	errs := make([]error, conc)
	var wg sync.WaitGroup
	sem := make(chan struct{}, setupLogins)
	for i := range l.workers {
		c := newFlowClient(t.base, gen, ep.timeout, deadline)
		l.closers = append(l.closers, c.close)
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			d, err := ep.flow.newDoer(ctx, c, i)
			if err != nil {
				errs[i] = fmt.Errorf("worker %d: %w", i, err)
				return
			}
			l.workers[i] = &worker{d: d}
		})
	}
	wg.Wait()
	var first error
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
			first = cmp.Or(first, err)
		}
	}
	if first != nil {
		l.close()
		if failed > 1 {
			return nil, fmt.Errorf("%w (and %d more workers failed)", first, failed-1)
		}
		return nil, first
	}
	return l, nil
}

// start starts the workers; the requests they send while l.counting is
// set are counted.
func (l *load) start(want int) {
	for _, w := range l.workers {
		l.wg.Go(func() { w.loop(l, want) })
	}
}

// enter is called before each request: it waits while the load is paused,
// and reports false once it is stopped.
func (l *load) enter() bool {
	for {
		if l.stopped.Load() {
			return false
		}
		// In flight first, then the check: pause sets paused first, then
		// waits for nothing in flight, so one of the two sees the other.
		l.inflight.Add(1)
		if !l.paused.Load() {
			return true
		}
		l.inflight.Add(-1)
		if ch := l.resumed.Load(); ch != nil && l.paused.Load() {
			<-*ch
		}
	}
}

func (l *load) leave() { l.inflight.Add(-1) }

// pause stops new requests and waits until none is in flight.
func (l *load) pause() {
	ch := make(chan struct{})
	l.resumed.Store(&ch)
	l.paused.Store(true)
	for l.inflight.Load() > 0 {
		time.Sleep(100 * time.Microsecond)
	}
}

func (l *load) resume() {
	l.paused.Store(false)
	if ch := l.resumed.Load(); ch != nil {
		close(*ch)
		l.resumed.Store(nil)
	}
}

// stop ends the workers' loops and waits for their last requests.
func (l *load) stop() {
	l.stopped.Store(true)
	if l.paused.Load() {
		l.resume()
	}
	l.wg.Wait()
}

func (l *load) close() {
	l.stop()
	for _, c := range l.closers {
		c()
	}
}

// collect adds the workers' counts and latencies to r.
func (l *load) collect(r *result) {
	for _, w := range l.workers {
		r.hist.merge(&w.hist)
		r.ok += w.ok
		r.errs += w.errs
		r.hung += w.hung
		r.warmErrs += w.warmErrs
		r.warmHung += w.warmHung
		r.sent += w.sent
		if r.firstErr == "" {
			r.firstErr = w.err
		}
	}
}

// loop sends requests until the load stops; those sent while l.counting
// is set are counted.
func (w *worker) loop(l *load, want int) {
	for l.enter() {
		counted := l.counting.Load()
		t0 := time.Now()
		status, err := w.d.do()
		w.sent++
		switch {
		case !counted:
			if err != nil || status != want {
				w.warmErrs++
				if errors.Is(err, errHung) {
					w.warmHung++
				}
				if w.err == "" {
					w.err = fmt.Sprintf("during the warm-up: %v (status %d)", err, status)
				}
			}
		case err != nil:
			w.errs++
			if errors.Is(err, errHung) {
				w.hung++
			}
			if w.err == "" {
				w.err = err.Error()
			}
		case status != want:
			w.errs++
			if w.err == "" {
				w.err = fmt.Sprintf("status %d", status)
			}
		default:
			w.hist.record(time.Since(t0))
			w.ok++
		}
		// Counted before leaving: once a pause sees nothing in flight, the
		// counts are complete.
		l.leave()
		if err != nil {
			time.Sleep(time.Millisecond) // do not spin on a refused connection
		}
	}
}

// okCount is the successful requests so far; call it while paused.
func (l *load) okCount() uint64 {
	var n uint64
	for _, w := range l.workers {
		n += w.ok
	}
	return n
}

// check sends ep once and returns the response body, or an error that says
// what came back instead of the expected status.
func check(ctx context.Context, base string, ep endpoint) ([]byte, error) {
	var body io.Reader
	if ep.body != nil {
		body = bytes.NewReader(ep.body)
	}
	req, err := http.NewRequestWithContext(ctx, ep.method, base+ep.path, body)
	if err != nil {
		return nil, err
	}
	for k, v := range ep.header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != ep.want {
		return nil, fmt.Errorf("%s %s: status %d, want %d: %s", ep.method, ep.path, resp.StatusCode, ep.want, strings.TrimSpace(string(b)))
	}
	return b, nil
}

// fetchETag returns the ETag of ep's response.
func fetchETag(ctx context.Context, base string, ep endpoint) (string, error) {
	req, err := http.NewRequestWithContext(ctx, ep.method, base+ep.path, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	etag := resp.Header.Get("ETag")
	if etag == "" {
		return "", fmt.Errorf("%s %s: no ETag", ep.method, ep.path)
	}
	return etag, nil
}
