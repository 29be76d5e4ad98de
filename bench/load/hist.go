package main

import (
	"math/bits"
	"time"
)

// A histogram records latencies in microseconds into fixed log-linear
// buckets: exact below 256 µs, then 128 buckets per power of two (under 1%
// error), up to histMax (longer values count as histMax). Each worker owns
// one (about 10 KiB), so recording a request takes no lock and no
// allocation.
type histogram struct {
	counts [histBuckets]uint32
	n      uint64
}

const (
	histSubBits = 7 // 128 sub-buckets per power of two
	histSub     = 1 << histSubBits
	histMaxBits = 27 // 2^27 µs, over two minutes
	histMax     = 1<<histMaxBits - 1
	histBuckets = (histMaxBits - histSubBits + 1) * histSub
)

func histIndex(us uint64) int {
	b := bits.Len64(us)
	if b <= histSubBits+1 {
		return int(us) // 0..255: exact
	}
	shift := b - histSubBits - 1
	return (shift+1)*histSub + int(us>>shift) - histSub
}

// histValue is the middle of bucket i, in microseconds.
func histValue(i int) uint64 {
	if i < 2*histSub {
		return uint64(i)
	}
	shift := i/histSub - 1
	low := uint64(i%histSub+histSub) << shift
	return low + (uint64(1)<<shift)/2
}

func (h *histogram) record(d time.Duration) {
	us := min(max(d.Microseconds(), 0), histMax)
	h.counts[histIndex(uint64(us))]++
	h.n++
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile returns the latency below which a fraction q of the recorded
// values fall (0 when nothing was recorded).
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += uint64(c)
		if seen >= rank {
			return time.Duration(histValue(i)) * time.Microsecond
		}
	}
	return 0
}
