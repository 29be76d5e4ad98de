package memory_test

import (
	"testing"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
	"github.com/signetid/signet/storage/storagetest"
)

func newStore(t *testing.T) storage.Store {
	s := memory.New(memory.Options{})
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, newStore)
}

func BenchmarkUseOnce(b *testing.B) {
	storagetest.BenchmarkUseOnce(b, func(b *testing.B) storage.Store {
		s := memory.New(memory.Options{})
		b.Cleanup(func() { s.Close() })
		return s
	})
}

func BenchmarkGrants(b *testing.B) {
	storagetest.BenchmarkGrants(b, func(b *testing.B) storage.Store {
		s := memory.New(memory.Options{})
		b.Cleanup(func() { s.Close() })
		return s
	})
}

// TestShared runs the multi-instance suite with one store as both instances:
// memory shares nothing between stores, so this checks the suite itself and
// the store under the suite's races.
func TestShared(t *testing.T) {
	storagetest.RunShared(t, func(t *testing.T) (storage.Store, storage.Store) {
		s := newStore(t)
		return s, s
	})
}
