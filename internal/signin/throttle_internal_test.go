package signin

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func TestThrottle(t *testing.T) {
	t.Parallel()
	th, err := newThrottle(ThrottleOptions{MaxFailures: 3, Window: time.Minute, MaxAddresses: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if until := th.blocked("a", t0); !until.IsZero() {
			t.Fatalf("blocked after %d failures", i)
		}
		th.fail("a", t0.Add(time.Duration(i)*time.Second))
	}
	if until := th.blocked("a", t0.Add(3*time.Second)); !until.Equal(t0.Add(time.Minute)) {
		t.Errorf("blocked until %v, want the window's end", until)
	}
	if until := th.blocked("b", t0); !until.IsZero() {
		t.Error("another address blocked")
	}
	if until := th.blocked("a", t0.Add(time.Minute)); !until.IsZero() {
		t.Error("still blocked after the window")
	}
	// A failure after the window starts a new one.
	th.fail("c", t0)
	th.fail("c", t0.Add(2*time.Minute))
	th.fail("c", t0.Add(2*time.Minute))
	if until := th.blocked("c", t0.Add(2*time.Minute)); !until.IsZero() {
		t.Error("failures of an ended window counted")
	}
}

// TestThrottleBounded: however many addresses fail, at most MaxAddresses
// are remembered, and a blocked address stays blocked while newer ones
// arrive only if it is not the oldest.
func TestThrottleBounded(t *testing.T) {
	t.Parallel()
	th, err := newThrottle(ThrottleOptions{MaxFailures: 1, Window: time.Hour, MaxAddresses: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10000 {
		th.fail(fmt.Sprintf("10.0.%d.%d", i/256, i%256), t0.Add(time.Duration(i)*time.Millisecond))
	}
	if n := len(th.m); n > 100 {
		t.Errorf("%d addresses remembered, want at most 100", n)
	}
	if th.blocked("10.0.39.15", t0.Add(10*time.Second)).IsZero() {
		t.Error("the latest address is not blocked")
	}
	if _, err := newThrottle(ThrottleOptions{MaxFailures: -1}); err == nil {
		t.Error("negative options accepted")
	}
}

func TestAddrKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"192.0.2.1":                 "192.0.2.1",
		"::ffff:192.0.2.1":          "192.0.2.1",
		"2001:db8:1:2:3:4:5:6":      "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1%eth0": "2001:db8:1:2::/64",
		"not an address":            "not an address",
	} {
		if got := addrKey(in); got != want {
			t.Errorf("addrKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkThrottle(b *testing.B) {
	th, err := newThrottle(ThrottleOptions{})
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		addr := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		th.blocked(addr, t0)
		th.fail(addr, t0)
		i++
	}
}
