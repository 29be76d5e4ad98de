package main

import (
	"math"
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	prev := -1
	for us := uint64(0); us <= histMax; us += 1 + us/1000 {
		i := histIndex(us)
		if i < prev {
			t.Fatalf("histIndex(%d) = %d, below %d: not monotonic", us, i, prev)
		}
		prev = i
		if i >= histBuckets {
			t.Fatalf("histIndex(%d) = %d, out of range", us, i)
		}
		if v := histValue(i); math.Abs(float64(v)-float64(us)) > float64(us)/100+1 {
			t.Fatalf("histValue(histIndex(%d)) = %d: more than 1%% off", us, v)
		}
	}
	var h histogram
	h.record(time.Hour) // clamped, not out of range
	if got := h.quantile(1); got < time.Minute {
		t.Errorf("an hour recorded as %v", got)
	}
}

func TestHistogramQuantile(t *testing.T) {
	tests := []struct {
		name string
		q    float64
		want time.Duration
	}{
		{"p50", 0.50, 500 * time.Microsecond},
		{"p90", 0.90, 900 * time.Microsecond},
		{"p99", 0.99, 990 * time.Microsecond},
	}
	var h histogram
	for us := 1; us <= 1000; us++ {
		h.record(time.Duration(us) * time.Microsecond)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.quantile(tt.q)
			if d := got - tt.want; d < -10*time.Microsecond || d > 10*time.Microsecond {
				t.Errorf("quantile(%v) = %v, want about %v", tt.q, got, tt.want)
			}
		})
	}
}
