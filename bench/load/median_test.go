package main

import (
	"testing"
	"time"
)

// The median run is chosen by its share of its own floor, and the range
// covers every run, whatever their order.
func TestMedian(t *testing.T) {
	mk := func(ok uint64, floor float64) *result {
		return &result{ok: ok, elapsed: time.Second, ref: floor}
	}
	a, b, c := mk(1100, 1400), mk(1000, 1100), mk(1280, 1330) // shares 79%, 91%, 96%
	m := median([]*result{c, a, b})
	if m != b {
		t.Fatalf("median is the run of %v/s, want %v/s", m.rate(), b.rate())
	}
	if m.runs != 3 || m.lowRate != 1000 || m.highRate != 1280 {
		t.Errorf("range %v–%v over %d runs, want 1000–1280 over 3", m.lowRate, m.highRate, m.runs)
	}
	if m.lowShare < 0.78 || m.lowShare > 0.79 || m.highShare < 0.96 || m.highShare > 0.97 {
		t.Errorf("shares %v–%v, want 0.79–0.96", m.lowShare, m.highShare)
	}
	if one := median([]*result{mk(5, 0)}); one.runs != 1 || spread(one) != "" {
		t.Errorf("a single run: runs %d, spread %q", one.runs, spread(one))
	}
}
