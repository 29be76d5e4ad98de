package storagetest

import (
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// BenchmarkUseOnce measures ReplayCache.UseOnce, the one storage call on the
// token path (private_key_jwt): a fresh jti from one goroutine ("Serial") and
// from GOMAXPROCS*4 goroutines ("Parallel"), and a replay that is refused
// ("Replay"). newStore returns an empty store closed by its b.Cleanup.
func BenchmarkUseOnce(b *testing.B, newStore func(b *testing.B) storage.Store) {
	b.Run("Serial", func(b *testing.B) {
		s := newStore(b)
		ctx := b.Context()
		exp := time.Now().Add(time.Hour)
		i := 0
		for b.Loop() {
			i++
			if err := s.UseOnce(ctx, "bench-client", "jti-"+strconv.Itoa(i), exp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		s := newStore(b)
		ctx := b.Context()
		exp := time.Now().Add(time.Hour)
		var next atomic.Int64
		b.SetParallelism(4)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				jti := "jti-" + strconv.FormatInt(next.Add(1), 10)
				if err := s.UseOnce(ctx, "bench-client", jti, exp); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("Replay", func(b *testing.B) {
		s := newStore(b)
		ctx := b.Context()
		exp := time.Now().Add(time.Hour)
		if err := s.UseOnce(ctx, "bench-client", "jti", exp); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := s.UseOnce(ctx, "bench-client", "jti", exp); !errors.Is(err, storage.ErrAlreadyExists) {
				b.Fatal(err)
			}
		}
	})
}
