package outage_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/signetid/signet/internal/outage"
	"github.com/signetid/signet/storage"
)

// On a full PostgreSQL disk the probe's one-row update succeeds while the
// requests' inserts fail (TestProbeDoesNotOutweighFailingRequests). A load
// balancer takes the instance out when /readyz says 503, and back when it
// says 200: with a check every 10 s, the instance is out for 10 s, long
// enough for the Quiet period to pass with no request, and the Tracker
// logs "writable again" while the disk is still full, then a new outage at
// the next request. One problem, one start line: this test wants one.
func TestProbeSuccessDoesNotEndAnOutageRequestsStillHave(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		logs := &logLines{}
		st := &fakeStore{}
		tr := outage.New(outage.Options{
			Logger: newJSONLogger(logs),
			Probe: func(ctx context.Context) error {
				st.mon.Wrote(ctx) // the probe's row fits in its page
				return nil
			},
		})
		st.mon = tr
		defer tr.Close()
		st.fault.Store(storage.FaultFull) // for the whole test
		var n atomic.Int64
		inRotation := true
		for range 6 { // a minute: the load balancer checks every 10 s
			for range 100 {
				if inRotation {
					_ = st.write(request(int(n.Add(1))))
				}
				time.Sleep(100 * time.Millisecond)
			}
			inRotation = tr.Ready(context.Background()) == nil
		}
		var starts, ends []string
		for _, r := range logs.records(t) {
			msg := r["msg"].(string)
			switch {
			case strings.HasPrefix(msg, "storage failing"):
				starts = append(starts, msg)
			case strings.Contains(msg, " again after "):
				ends = append(ends, msg)
			}
		}
		if len(starts) != 1 || len(ends) != 0 {
			t.Errorf("a minute of a full disk logged %d starts and %d ends (%q), want one start and no end", len(starts), len(ends), ends)
		}
	})
}

func newJSONLogger(l *logLines) *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// A probe that fails for a reason other than the outage (the serving role
// may not update health_probe when migrations ran as another role: 42501)
// can never make the instance ready; behind a load balancer, which sends no
// request to an instance that is not ready, nothing else will. The reason
// must be in the log, not dropped.
func TestProbeErrorOtherThanTheOutageIsLogged(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		logs := &logLines{}
		st := &fakeStore{}
		tr := outage.New(outage.Options{
			Logger: newJSONLogger(logs),
			Probe: func(ctx context.Context) error {
				return errors.New("postgres: probe a write: ERROR: permission denied for table health_probe (SQLSTATE 42501)")
			},
		})
		st.mon = tr
		defer tr.Close()
		st.fault.Store(storage.FaultFull)
		_ = st.write(request(1))
		st.fault.Store(storage.Fault(""))
		time.Sleep(time.Minute) // no request: the load balancer took the instance out
		if err := tr.Ready(context.Background()); err == nil {
			t.Fatal("ready without a write")
		}
		told := 0
		for _, r := range logs.records(t) {
			if strings.Contains(fmt.Sprint(r), "permission denied") {
				told++
			}
		}
		if told != 1 {
			t.Errorf("the probe's own failure is in the log %d times, want once:\n%v", told, logs.records(t))
		}
	})
}
