package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signetid/signet/internal/endpoint"
)

// commonCodes are the statuses whose counters a route keeps once resolved
// (at the first request that ends so, so that a status a route never
// answers is no series); a request that ends with another one resolves
// its counter each time.
var commonCodes = [...]int{200, 204, 302, 303, 304, 400, 401, 403, 404, 405, 429, 500, 503}

// Middleware counts the requests of rt and times them, as
// signet_http_requests_total{endpoint,code} and
// signet_http_request_duration_seconds{endpoint}. The endpoint label is
// rt.Path: the subtree's own path for its requests (/signin/), "other" for
// the fallback of the paths no route has, so that a request cannot make a
// label of its own path. The labels are resolved here, once per route, and
// each status's counter at its first request.
func (m *Metrics) Middleware(rt endpoint.Route, next http.Handler) http.Handler {
	label := rt.Path
	if label == "" {
		label = Other
	}
	return &instrumented{next: next, m: m, label: label, duration: m.duration.WithLabelValues(label)}
}

var _ endpoint.Middleware = (*Metrics)(nil).Middleware

type instrumented struct {
	next     http.Handler
	m        *Metrics
	label    string
	duration prometheus.Observer
	codes    [len(commonCodes)]atomic.Pointer[counterRef] // by commonCodes' index
}

// epoch is the origin of the requests' monotonic clock: time.Since(epoch)
// reads the monotonic clock alone, where time.Now reads the wall clock
// too, which was a third of the middleware's cost on a virtual machine.
var epoch = time.Now()

// writers are reused: a request's costs no allocation.
var writers = sync.Pool{New: func() any { return new(statusWriter) }}

func (h *instrumented) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Since(epoch)
	sw := writers.Get().(*statusWriter)
	sw.ResponseWriter, sw.status = w, 0
	h.next.ServeHTTP(sw, r)
	status := sw.status
	*sw = statusWriter{}
	writers.Put(sw)
	if status == 0 {
		// Nothing written: net/http sends 200.
		status = http.StatusOK
	}
	h.duration.Observe((time.Since(epoch) - start).Seconds())
	h.counter(status).Inc()
}

func (h *instrumented) counter(status int) prometheus.Counter {
	for i, c := range commonCodes {
		if c != status {
			continue
		}
		if ref := h.codes[i].Load(); ref != nil {
			return ref.Counter
		}
		// Two first requests may both resolve it: the vector gives them
		// the same child.
		ref := &counterRef{h.m.requests.WithLabelValues(h.label, strconv.Itoa(status))}
		h.codes[i].Store(ref)
		return ref.Counter
	}
	return h.m.requests.WithLabelValues(h.label, strconv.Itoa(status))
}

// statusWriter records the status a handler sends.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	// 1xx are interim; the final status comes after.
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush sends what is buffered, where the writer underneath can.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush() // as http.Flusher: no error to report
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
