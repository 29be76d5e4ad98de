// Package outage reports storage outages the way an operator wants them: one
// log line when the database starts failing, a summary at most once a minute
// while it goes on, and one line when it ends, with how long it lasted and
// how many requests it failed; and whether the instance can do its work, for
// /readyz: a write that fails for lack of space, a read-only database, a
// lock held by another process or a database that cannot be reached makes it
// not ready, and a write that succeeds (a request's, or the probe's while no
// request writes) makes it ready again.
//
// The stores tell a Tracker of their calls (it is their storage.Monitor);
// the endpoints answer such a failure with 503 temporarily_unavailable as
// before and log it at debug level only (Level), since the Tracker reports
// the outage.
package outage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/storage"
)

// Defaults for Options.
const (
	DefaultSummaryEvery = time.Minute
	DefaultQuiet        = 5 * time.Second
	DefaultProbeEvery   = time.Second
	probeTimeout        = 2 * time.Second
)

// Options configures New.
type Options struct {
	Logger *slog.Logger
	// Probe, when set, writes to the database (storage.WriteProber): while
	// writes fail it is tried every ProbeEvery, so that the instance turns
	// ready again by itself when no request writes (a load balancer sends
	// none to an instance that is not ready). The store it writes to must
	// tell the Tracker of its outcome, as of any call.
	Probe func(context.Context) error
	// SummaryEvery is how often an outage that goes on is summarised;
	// DefaultSummaryEvery if zero.
	SummaryEvery time.Duration
	// Quiet is how long no call must fail, once writes succeed again, for
	// the outage to be over (so that a database that fails every other
	// call is one outage, not hundreds); DefaultQuiet if zero.
	Quiet time.Duration
	// ProbeEvery is how often Probe is tried while writes fail;
	// DefaultProbeEvery if zero.
	ProbeEvery time.Duration
}

// Tracker follows the outcome of storage calls. It is a storage.Monitor,
// safe for concurrent use; its zero value is not usable (New).
type Tracker struct {
	opts Options
	log  *slog.Logger

	// down: the last write-stopping failure was not followed by a write
	// that succeeded. It is what Wrote reads on every write.
	down atomic.Bool
	// active: an outage is being reported (cur != nil).
	active atomic.Bool
	// failedWrite is when a request last failed for a write-stopping fault
	// (nanoseconds since base, plus one; 0 if none): for Quiet after it, a
	// probe that succeeds does not make the instance ready. Writes may
	// succeed where requests' fail: on a full disk, PostgreSQL updates the
	// probe's one row in its page, but cannot extend the table a request
	// inserts into. It is measured on the monotonic clock, from
	// base: a wall clock stepped back would keep the instance not ready
	// for as long as the step.
	failedWrite atomic.Int64
	base        time.Time

	// probeErrTold: the probe's own error was logged in this outage.
	probeErrTold atomic.Bool

	mu  sync.Mutex
	cur *outage
	// requests are the requests failed by outages since New, by the fault
	// of the failure that marked them (for the metrics).
	requests map[storage.Fault]int64
	// stop ends the reporting goroutine at Close.
	stop chan struct{}
	wg   sync.WaitGroup
}

// outage is one outage being reported.
type outage struct {
	start     time.Time
	fault     storage.Fault // the last failure's
	downFault storage.Fault // the last write-stopping failure's
	// stopped names the end: the last write-stopping fault other than
	// unreachable if there was one (a database made read-only by a
	// failover is reached through cut sessions, and is cut again when it
	// is writable: it is "writable again", which says it is reachable).
	stopped storage.Fault
	// told are the faults the log has named in this outage.
	told        map[storage.Fault]bool
	lastErr     string
	lastFailure time.Time
	up          time.Time // when writes succeeded again after the last write-stopping failure
	// wroteReal: a write other than the probe's succeeded after the last
	// failure. Only then is a write-stopping outage over after Quiet; a
	// probe alone proves less (see failedWrite), and ends it only after
	// SummaryEvery without a failure, so that an instance a load balancer
	// takes out and puts back while the disk stays full is one outage.
	wroteReal   bool
	lastSummary time.Time
	// Requests failed, in all and since the last summary; failed calls
	// (a request may make several, and background work fails too).
	requests, sinceSummary, calls int64
}

var _ storage.Monitor = (*Tracker)(nil)

// New returns a Tracker; Close stops its background work.
func New(opts Options) *Tracker {
	if opts.SummaryEvery <= 0 {
		opts.SummaryEvery = DefaultSummaryEvery
	}
	if opts.Quiet <= 0 {
		opts.Quiet = DefaultQuiet
	}
	if opts.ProbeEvery <= 0 {
		opts.ProbeEvery = DefaultProbeEvery
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Tracker{opts: opts, log: log, stop: make(chan struct{}), base: time.Now(), requests: map[storage.Fault]int64{}}
}

// Close stops the reporting of an outage under way (nothing more is logged)
// and waits for it.
func (t *Tracker) Close() {
	t.mu.Lock()
	select {
	case <-t.stop:
	default:
		close(t.stop)
	}
	t.mu.Unlock()
	t.wg.Wait()
}

// Failed implements storage.Monitor: the first failure starts an outage
// (logged at once), the others are counted.
func (t *Tracker) Failed(ctx context.Context, err error) {
	f := storage.FaultOf(err)
	if f == "" {
		return
	}
	request := endpoint.MarkStorageFailure(ctx)
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.cur
	if o == nil {
		select {
		case <-t.stop:
			return // closed: the server is stopping
		default:
		}
		o = &outage{start: now, lastSummary: now, told: map[storage.Fault]bool{f: true}}
		t.cur = o
		t.active.Store(true)
		t.log.LogAttrs(ctx, slog.LevelError, "storage failing: "+describe(f)+"; requests that need it are answered 503 temporarily_unavailable until it recovers",
			slog.String("fault", string(f)), slog.String("error", err.Error()))
		t.wg.Add(1)
		go t.report(o)
	} else if f.StopsWrites() && f != storage.FaultUnreachable && !o.told[f] {
		// A new problem within the outage (a database reached again, but
		// read-only: a failover to a standby): one line for it at once,
		// not in the next summary.
		o.told[f] = true
		t.log.LogAttrs(ctx, slog.LevelError, "storage failing: now "+describe(f),
			slog.String("fault", string(f)), slog.String("error", err.Error()))
	}
	o.fault, o.lastErr, o.lastFailure = f, err.Error(), now
	o.wroteReal = false
	o.calls++
	if request {
		o.requests++
		o.sinceSummary++
		t.requests[f]++
	}
	if f.StopsWrites() {
		o.downFault = f
		if f != storage.FaultUnreachable || o.stopped == "" {
			o.stopped = f
		}
		o.up = time.Time{}
		t.down.Store(true)
		if request && partial(f) {
			t.failedWrite.Store(int64(now.Sub(t.base)) + 1)
		}
	}
}

// Wrote implements storage.Monitor: a write that committed ends what a
// write-stopping failure started (the probe's, for readiness; a request's
// or background work's, for the outage too). Outside an outage it costs an
// atomic load.
func (t *Tracker) Wrote(ctx context.Context) {
	if !t.active.Load() {
		return
	}
	probe := ctx.Value(probeKey{}) != nil
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.down.Load() {
		t.down.Store(false)
		if t.cur != nil {
			t.cur.up = time.Now()
		}
	}
	if !probe {
		t.failedWrite.Store(0)
		if t.cur != nil {
			t.cur.wroteReal = true
		}
	}
}

// partial reports whether a fault may stop some writes and not others: on
// a full disk a write that fits in pages the database has succeeds (the
// probe's one-row update) while one that needs new pages fails (a
// request's insert); an I/O error may be in one file only. The probe's
// success then proves less than a request's: it makes the instance ready
// only once no request has failed for Quiet, and ends the outage only after
// SummaryEvery without a failure. A read-only, locked or unreachable
// database fails the probe as it fails any write.
func partial(f storage.Fault) bool { return f == storage.FaultFull || f == storage.FaultIO }

// probeKey marks the context of the Tracker's own probe.
type probeKey struct{}

// Stats is what the metrics read of storage outages.
type Stats struct {
	// Outage: an outage is being reported, from its first line to its
	// last.
	Outage bool
	// WritesFailing: writes fail now, as /readyz says.
	WritesFailing bool
	// Requests are the requests failed by outages since the start, by
	// the fault of the failure that marked them.
	Requests map[storage.Fault]int64
}

// Stats returns the outages' state and counts now; a nil Tracker has none.
func (t *Tracker) Stats() Stats {
	if t == nil {
		return Stats{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	st := Stats{Outage: t.cur != nil, WritesFailing: t.down.Load() || t.recentFailure(), Requests: make(map[storage.Fault]int64, len(t.requests))}
	for f, n := range t.requests {
		st.Requests[f] = n
	}
	return st
}

// FaultError says why the instance is not ready: its Error is for anyone
// (/readyz shows it), naming the fault and nothing of the database.
type FaultError struct{ Fault storage.Fault }

func (e *FaultError) Error() string {
	switch e.Fault {
	case storage.FaultFull:
		return "storage full: writes fail"
	case storage.FaultReadOnly:
		return "storage read-only: writes fail"
	case storage.FaultLocked:
		return "storage locked by another process: writes fail"
	case storage.FaultIO:
		return "storage I/O error"
	}
	return "storage " + string(e.Fault)
}

// Is makes a FaultError a storage.ErrUnavailable, so that Level hides it
// as it does a request's failure (/readyz is asked every few seconds).
func (e *FaultError) Is(target error) bool { return target == storage.ErrUnavailable }

// Ready returns a *FaultError while writes fail: a write-stopping failure
// was not followed by a write that succeeded, or a request failed so within
// Quiet. It tries the probe first, so that it answers for now and not
// for the last request that wrote; but the probe's success does not
// outweigh requests that fail now. A nil Tracker is ready.
func (t *Tracker) Ready(ctx context.Context) error {
	if t == nil {
		return nil
	}
	recent := t.recentFailure
	if !t.down.Load() && !recent() {
		return nil
	}
	if t.down.Load() {
		t.probe(ctx)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.down.Load() && !recent() {
		return nil
	}
	f := storage.FaultUnreachable
	if t.cur != nil {
		f = t.cur.downFault
	}
	return &FaultError{Fault: f}
}

// recentFailure reports whether a request failed for a partial fault
// within Quiet (see failedWrite).
func (t *Tracker) recentFailure() bool {
	at := t.failedWrite.Load()
	return at != 0 && time.Since(t.base)-time.Duration(at-1) < t.opts.Quiet
}

// probe tries a write, if there is a probe, on a context of its own: a
// failed probe is not a failure of the request ctx belongs to.
func (t *Tracker) probe(ctx context.Context) {
	if t.opts.Probe == nil {
		return
	}
	pctx, cancel := context.WithTimeout(context.WithValue(endpoint.WithoutRequest(ctx), probeKey{}, true), probeTimeout)
	defer cancel()
	// Its outcome reaches Failed or Wrote through the store; an error that
	// is not the outage's (no privilege on health_probe) means it never
	// will, and is logged once an outage.
	err := t.opts.Probe(pctx)
	if err != nil && !errors.Is(err, storage.ErrUnavailable) && pctx.Err() == nil && t.probeErrTold.CompareAndSwap(false, true) {
		t.log.LogAttrs(ctx, slog.LevelError, "the write probe (an UPDATE of the one row of health_probe) fails for a reason of its own, so /readyz turns ready again only when a request writes: check that signet's database role may update health_probe and that signet migrate has run",
			slog.String("error", err.Error()))
	}
}

// report summarises the outage o at most once every SummaryEvery, probes
// while writes fail (at each tick: one every ProbeEvery), and logs its end
// once it is over (over).
func (t *Tracker) report(o *outage) {
	defer t.wg.Done()
	tick := time.NewTicker(min(t.opts.ProbeEvery, t.opts.Quiet))
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
		}
		if t.down.Load() {
			t.probe(context.Background())
		}
		now := time.Now()
		t.mu.Lock()
		if t.over(o, now) {
			t.end(o, now)
			t.mu.Unlock()
			return
		}
		// A summary while it fails: not while writes succeed again and
		// the end waits for its proof (see over).
		if now.Sub(o.lastSummary) >= t.opts.SummaryEvery && (t.down.Load() || o.lastFailure.After(o.lastSummary)) {
			t.log.LogAttrs(context.Background(), slog.LevelError, fmt.Sprintf("storage still failing after %s: %s; %d requests answered 503 since the last line, %d in all",
				seconds(now.Sub(o.start)), describe(o.fault), o.sinceSummary, o.requests),
				slog.String("fault", string(o.fault)), slog.Int64("requests", o.sinceSummary), slog.Int64("requests_total", o.requests),
				slog.Int64("failed_calls", o.calls), slog.String("error", o.lastErr))
			o.lastSummary, o.sinceSummary = now, 0
		}
		t.mu.Unlock()
	}
}

// over reports whether outage o is over at now; t.mu is held. Writes must
// succeed again, and no call have failed for Quiet; after a partial fault
// (a full disk) that only the probe wrote through since, for SummaryEvery
// (see partial).
func (t *Tracker) over(o *outage, now time.Time) bool {
	if t.down.Load() {
		return false
	}
	quiet := now.Sub(o.lastFailure)
	if partial(o.stopped) && !o.wroteReal {
		return quiet >= max(t.opts.SummaryEvery, t.opts.Quiet)
	}
	return quiet >= t.opts.Quiet
}

// end logs the end of outage o; t.mu is held.
func (t *Tracker) end(o *outage, now time.Time) {
	until := o.up
	if until.IsZero() {
		until = o.lastFailure
	}
	what := "storage answering again"
	switch {
	case o.stopped == storage.FaultUnreachable:
		what = "storage reachable again"
	case o.stopped != "":
		what = "storage writable again"
	}
	fault := o.fault
	if o.stopped != "" {
		fault = o.stopped
	}
	t.log.LogAttrs(context.Background(), slog.LevelInfo, fmt.Sprintf("%s after %s, %d requests answered 503", what, seconds(until.Sub(o.start)), o.requests),
		slog.String("fault", string(fault)), slog.Duration("duration", until.Sub(o.start)), slog.Int64("requests_total", o.requests), slog.Int64("failed_calls", o.calls))
	t.cur = nil
	t.active.Store(false)
	t.probeErrTold.Store(false)
}

// describe says what a fault is, for the log.
func describe(f storage.Fault) string {
	switch f {
	case storage.FaultFull:
		return "the database's disk is full"
	case storage.FaultReadOnly:
		return "the database takes no writes (read-only)"
	case storage.FaultLocked:
		return "another process holds the database's lock"
	case storage.FaultUnreachable:
		return "the database cannot be reached"
	case storage.FaultTimedOut:
		return "the database does not answer in time"
	case storage.FaultOverloaded:
		return "the database is out of connections or memory"
	case storage.FaultConflict:
		return "the database refuses transactions in conflict"
	case storage.FaultIO:
		return "the database file cannot be read or written (I/O error)"
	}
	return "the database is unavailable"
}

// seconds is d rounded to the second, at least one ("45s", "2m3s").
func seconds(d time.Duration) time.Duration {
	return max(d.Round(time.Second), time.Second)
}

// Level is the level to log a request's error at: debug when a storage
// outage caused it (the Tracker reports the outage, once), else level.
func Level(err error, level slog.Level) slog.Level {
	if errors.Is(err, storage.ErrUnavailable) {
		return slog.LevelDebug
	}
	return level
}
