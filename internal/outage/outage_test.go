package outage_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/outage"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/storage"
)

// fakeStore is a database whose writes fail with fault while it is set,
// telling its Monitor as the real stores do.
type fakeStore struct {
	mon    storage.Monitor
	fault  atomic.Value // storage.Fault; "" when healthy
	probes atomic.Int64
}

func (s *fakeStore) write(ctx context.Context) error {
	if f, _ := s.fault.Load().(storage.Fault); f != "" {
		err := fmt.Errorf("fake: write: %w", storage.Unavailable(f, errors.New("database or disk is full")))
		s.mon.Failed(ctx, err)
		return err
	}
	s.mon.Wrote(ctx)
	return nil
}

func (s *fakeStore) probe(ctx context.Context) error {
	s.probes.Add(1)
	return s.write(ctx)
}

// logLines is a JSON log kept in memory.
type logLines struct{ testsupport.LogBuffer }

func (l *logLines) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(l.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func newTracker(t *testing.T, opts outage.Options) (*outage.Tracker, *fakeStore, *logLines) {
	logs := &logLines{}
	opts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st := &fakeStore{}
	opts.Probe = st.probe
	tr := outage.New(opts)
	st.mon = tr
	t.Cleanup(tr.Close)
	return tr, st, logs
}

// request is the context of the n-th request, as the server's chain makes
// it.
func request(n int) context.Context {
	return endpoint.WithRequest(context.Background(), "https://id.example", endpoint.ID{Base: "req", Seq: uint64(n)})
}

// A 45-second disk-full period under load is three lines: when it starts,
// none in between (it is shorter than a minute), and when it ends, with
// its length and the requests answered 503 (each counted once, however
// many of its calls failed). Readiness is 503 with the reason while writes
// fail, and ready again at the first write that succeeds.
func TestOneLinePerProblem(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tr, st, logs := newTracker(t, outage.Options{})
		ctx := context.Background()
		if err := tr.Ready(ctx); err != nil {
			t.Fatalf("Ready before any failure = %v", err)
		}
		st.fault.Store(storage.FaultFull)
		n := 0
		for range 45 { // 45 seconds, 500 requests a second
			for range 500 {
				n++
				r := request(n)
				_ = st.write(r)
				_ = st.write(r) // a second failing call of the same request
			}
			time.Sleep(time.Second)
		}
		err := tr.Ready(ctx)
		var fe *outage.FaultError
		if !errors.As(err, &fe) || err.Error() != "storage full: writes fail" {
			t.Fatalf("Ready while the disk is full = %v, want storage full: writes fail", err)
		}
		st.fault.Store(storage.Fault(""))
		if err := st.write(request(n + 1)); err != nil {
			t.Fatal(err)
		}
		if err := tr.Ready(ctx); err != nil {
			t.Fatalf("Ready after a write succeeded = %v", err)
		}
		time.Sleep(outage.DefaultQuiet + 2*time.Second)

		recs := logs.records(t)
		if len(recs) != 2 {
			t.Fatalf("log has %d lines, want 2 (start, end):\n%v", len(recs), recs)
		}
		if recs[0]["level"] != "ERROR" || !strings.HasPrefix(recs[0]["msg"].(string), "storage failing: the database's disk is full") || recs[0]["fault"] != "full" ||
			!strings.Contains(recs[0]["error"].(string), "database or disk is full") {
			t.Errorf("first line = %v", recs[0])
		}
		if want := "storage writable again after 45s, 22500 requests answered 503"; recs[1]["level"] != "INFO" || recs[1]["msg"] != want {
			t.Errorf("last line = %v, want INFO %q", recs[1], want)
		}
	})
}

// An outage that goes on is summarised once a minute with the requests of
// that minute; without any request writing, the probe finds that writes
// succeed again, so readiness and the log recover by themselves.
func TestSummaryAndProbe(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tr, st, logs := newTracker(t, outage.Options{})
		st.fault.Store(storage.FaultReadOnly)
		n := 0
		send := func() {
			for range 10 {
				n++
				_ = st.write(request(n))
			}
		}
		// 200 seconds, 10 requests a second, half a second off the
		// Tracker's ticks.
		send()
		time.Sleep(500 * time.Millisecond)
		for range 199 {
			time.Sleep(time.Second)
			send()
		}
		if err := tr.Ready(context.Background()); err == nil || err.Error() != "storage read-only: writes fail" {
			t.Errorf("Ready = %v, want storage read-only: writes fail", err)
		}
		probes := st.probes.Load()
		if probes < 150 {
			t.Errorf("%d probes in 200 s of a read-only database, want about one a second", probes)
		}
		// No request from now on; the database takes writes again.
		st.fault.Store(storage.Fault(""))
		time.Sleep(2 * time.Second)
		if err := tr.Ready(context.Background()); err != nil {
			t.Errorf("Ready after the probe wrote = %v", err)
		}
		time.Sleep(outage.DefaultQuiet + time.Second)
		recs := logs.records(t)
		var msgs []string
		for _, r := range recs {
			msgs = append(msgs, r["msg"].(string))
		}
		if len(recs) != 5 {
			t.Fatalf("log = %q, want start, 3 summaries, end", msgs)
		}
		for i, want := range []string{
			"storage still failing after 1m0s: the database takes no writes (read-only); 600 requests answered 503 since the last line, 600 in all",
			"storage still failing after 2m0s: the database takes no writes (read-only); 600 requests answered 503 since the last line, 1200 in all",
			"storage still failing after 3m0s: the database takes no writes (read-only); 600 requests answered 503 since the last line, 1800 in all",
		} {
			if msgs[i+1] != want {
				t.Errorf("summary %d = %q, want %q", i+1, msgs[i+1], want)
			}
		}
		if msgs[4] != "storage writable again after 3m20s, 2000 requests answered 503" {
			t.Errorf("end = %q", msgs[4])
		}
	})
}

// A timeout does not make the instance unready (it comes and goes with
// load, and taking the instance out would push its load onto the others),
// but it is reported the same way; a database that fails and answers in
// turn is one outage until it has answered for the quiet period.
func TestTimeoutsAndFlapping(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tr, st, logs := newTracker(t, outage.Options{})
		for i := range 60 { // a minute of failing every other second
			if i%2 == 0 {
				st.fault.Store(storage.FaultTimedOut)
			} else {
				st.fault.Store(storage.FaultFull)
			}
			_ = st.write(request(i))
			st.fault.Store(storage.Fault(""))
			_ = st.write(request(1000 + i))
			if i%2 == 0 {
				if err := tr.Ready(context.Background()); err != nil {
					t.Fatalf("Ready after a timeout = %v, want ready", err)
				}
			}
			time.Sleep(time.Second)
		}
		time.Sleep(outage.DefaultQuiet + time.Second)
		recs := logs.records(t)
		var msgs []string
		for _, r := range recs {
			msgs = append(msgs, r["msg"].(string))
		}
		if len(msgs) != 4 || !strings.HasPrefix(msgs[0], "storage failing: the database does not answer in time") ||
			msgs[1] != "storage failing: now the database's disk is full" ||
			!strings.HasPrefix(msgs[2], "storage still failing after 1m0s") || msgs[3] != "storage writable again after 59s, 60 requests answered 503" {
			t.Errorf("log = %q, want start, the disk full once, one summary, end", msgs)
		}
	})
}

// A failure outside a request (the janitor, a probe) is reported but not
// counted as a request; Level hides a request's storage outage from the
// log at the levels an operator reads.
func TestBackgroundFailuresAndLevel(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		_, st, logs := newTracker(t, outage.Options{})
		st.fault.Store(storage.FaultUnreachable)
		_ = st.write(context.Background())
		_ = st.write(endpoint.WithoutRequest(request(1)))
		st.fault.Store(storage.Fault(""))
		time.Sleep(outage.DefaultQuiet + 2*time.Second)
		recs := logs.records(t)
		if len(recs) != 2 || !strings.HasPrefix(recs[1]["msg"].(string), "storage reachable again after ") || recs[1]["requests_total"] != 0.0 {
			t.Errorf("log = %v", recs)
		}
	})
	unavailable := fmt.Errorf("grant: %w", storage.Unavailable(storage.FaultFull, errors.New("full")))
	if got := outage.Level(unavailable, slog.LevelWarn); got != slog.LevelDebug {
		t.Errorf("Level(storage outage) = %v, want debug", got)
	}
	if got := outage.Level(errors.New("other"), slog.LevelWarn); got != slog.LevelWarn {
		t.Errorf("Level(other) = %v, want warn", got)
	}
}

// On a full disk PostgreSQL's probe, which updates one row in its page,
// succeeds while the requests' inserts, which must extend a table, fail:
// the probe's success does not make the instance ready while requests
// fail, only once none did for Quiet.
func TestProbeDoesNotOutweighFailingRequests(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		st := &fakeStore{}
		var probes atomic.Int64
		tr := outage.New(outage.Options{Probe: func(ctx context.Context) error {
			probes.Add(1)
			st.mon.Wrote(ctx) // the probe's row fits
			return nil
		}})
		st.mon = tr
		defer tr.Close()
		st.fault.Store(storage.FaultFull)
		for i := range 50 { // 5 s, a failing request every 100 ms
			_ = st.write(request(i))
			time.Sleep(100 * time.Millisecond)
			if err := tr.Ready(context.Background()); err == nil || err.Error() != "storage full: writes fail" {
				t.Fatalf("Ready while requests fail for a full disk = %v, want storage full: writes fail", err)
			}
		}
		if probes.Load() == 0 {
			t.Error("no probe")
		}
		// No request fails any more: the probe's success counts once
		// none has for Quiet.
		time.Sleep(time.Second)
		if err := tr.Ready(context.Background()); err == nil {
			t.Errorf("Ready a second after the last failure, the probe writing = nil, want not ready")
		}
		time.Sleep(outage.DefaultQuiet)
		if err := tr.Ready(context.Background()); err != nil {
			t.Errorf("Ready %v after the last failure, the probe writing = %v", outage.DefaultQuiet+time.Second, err)
		}
	})
}

// Readiness that fails for an outage is logged at debug, as the requests
// it fails are: the Tracker reports the outage once, and load balancers
// ask /readyz every few seconds.
func TestFaultErrorLevel(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("not ready: %w", &outage.FaultError{Fault: storage.FaultReadOnly})
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Error("a FaultError is not a storage.ErrUnavailable")
	}
	if got := outage.Level(err, slog.LevelWarn); got != slog.LevelDebug {
		t.Errorf("Level(FaultError) = %v, want debug", got)
	}
}

// A failover: the sessions are cut (unreachable), the database reached is
// read-only, and its sessions are cut again when it is writable. The log
// says at once that it is read-only now (once, however many requests
// fail so), and the end that it is writable again, which says it is
// reachable too.
func TestEndNamedByTheWriteStoppingFault(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		_, st, logs := newTracker(t, outage.Options{})
		for i, f := range []storage.Fault{storage.FaultUnreachable, storage.FaultReadOnly, storage.FaultReadOnly, storage.FaultUnreachable} {
			st.fault.Store(f)
			_ = st.write(request(i))
			time.Sleep(time.Second)
		}
		st.fault.Store(storage.Fault(""))
		_ = st.write(request(9))
		time.Sleep(outage.DefaultQuiet + 2*time.Second)
		recs := logs.records(t)
		if len(recs) != 3 {
			t.Fatalf("log = %v, want start, read-only now, end", recs)
		}
		if msg := recs[1]["msg"].(string); msg != "storage failing: now the database takes no writes (read-only)" || recs[1]["fault"] != "read-only" {
			t.Errorf("second line = %q fault=%v", msg, recs[1]["fault"])
		}
		if msg := recs[2]["msg"].(string); msg != "storage writable again after 4s, 4 requests answered 503" || recs[2]["fault"] != "read-only" {
			t.Errorf("end = %q fault=%v, want storage writable again after 4s, 4 requests answered 503, fault=read-only", msg, recs[2]["fault"])
		}
	})
}
