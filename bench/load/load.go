package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
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
	firstErr            string
	elapsed             time.Duration
	hist                histogram
	serverCPU, selfCPU  time.Duration
	otherCPU            time.Duration // every other process on the machine; -1: unknown
	peakRSS             int64         // 0: unknown
	peakOwn             bool          // peakRSS is this run's own (VmHWM was reset)
	logLines            int           // lines the server logged during the run
	sent                uint64        // requests sent, warm-up included
	// floor is the in-process signing rate measured just before and just
	// after this run (their mean), for token runs: on a shared machine
	// whose speed drifts, the ratio compares like with like.
	floor float64
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
	sent uint64
	err  string
}

// Generators: which client the workers use.
const (
	genRaw     = "raw"
	genNetHTTP = "nethttp"
)

// run drives ep at conc concurrent requests (each worker one keep-alive
// connection) for warmup, then measures for dur: rate, latency of the
// successful requests, errors, and the CPU time of the server and of this
// process over the measured part.
func run(ctx context.Context, t target, ep endpoint, gen string, conc int, warmup, dur time.Duration) (*result, error) {
	tr := &http.Transport{
		MaxIdleConns:        conc,
		MaxIdleConnsPerHost: conc,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()

	// No request outlives the run by more than this.
	ctx, cancel := context.WithTimeout(ctx, warmup+dur+30*time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()

	raw, err := rawRequest(t.base, ep)
	if err != nil {
		return nil, err
	}
	workers := make([]*worker, conc)
	for i := range workers {
		switch gen {
		case genRaw:
			c := &rawConn{addr: strings.TrimPrefix(t.base, "http://"), req: raw, deadline: deadline}
			defer c.close()
			workers[i] = &worker{d: c}
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
			workers[i] = &worker{d: d}
		}
	}

	start := time.Now()
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(dur)

	// At the start of the measured part: the CPU counters and the peak RSS.
	type mark struct {
		server, self, busy time.Duration
		peakOwn            bool
	}
	marked := make(chan mark, 1)
	go func() {
		select {
		case <-time.After(time.Until(measureFrom)):
		case <-ctx.Done():
		}
		var m mark
		m.server, _ = procCPU(t.pid)
		m.self = selfCPU()
		m.busy, _ = machineBusy()
		m.peakOwn = resetPeak(t.pid)
		marked <- m
	}()

	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() { w.loop(ep.want, measureFrom, end) })
	}
	wg.Wait()
	stopped := time.Now()
	serverCPU, _ := procCPU(t.pid)
	self := selfCPU()
	busy, busyErr := machineBusy()
	_, hwm, _ := procMem(t.pid)
	m := <-marked

	r := &result{
		endpoint:  ep.name,
		conc:      conc,
		elapsed:   stopped.Sub(measureFrom),
		serverCPU: serverCPU - m.server,
		selfCPU:   self - m.self,
		peakRSS:   hwm,
		peakOwn:   m.peakOwn,
		otherCPU:  -1,
	}
	if busyErr == nil && m.busy > 0 {
		r.otherCPU = max(busy-m.busy-r.serverCPU-r.selfCPU, 0)
	}
	for _, w := range workers {
		r.hist.merge(&w.hist)
		r.ok += w.ok
		r.errs += w.errs
		r.sent += w.sent
		if r.firstErr == "" {
			r.firstErr = w.err
		}
	}
	return r, nil
}

// loop sends requests until end; those that start at or after measureFrom
// are counted.
func (w *worker) loop(want int, measureFrom, end time.Time) {
	for {
		t0 := time.Now()
		if !t0.Before(end) {
			return
		}
		status, err := w.d.do()
		w.sent++
		if t0.Before(measureFrom) {
			if err != nil {
				time.Sleep(time.Millisecond) // do not spin on a refused connection
			}
			continue
		}
		switch {
		case err != nil:
			w.errs++
			if w.err == "" {
				w.err = err.Error()
			}
			time.Sleep(time.Millisecond)
		case status != want:
			w.errs++
			if w.err == "" {
				w.err = fmt.Sprintf("status %d", status)
			}
		default:
			w.hist.record(time.Since(t0))
			w.ok++
		}
	}
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
