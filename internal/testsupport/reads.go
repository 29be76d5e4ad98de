package testsupport

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/signetid/signet/storage"
)

// ReadCounter is a storage.Store that counts the reads of sessions and
// users, for tests that check a path does not read them.
type ReadCounter struct {
	storage.Store
	Sessions, Users atomic.Int64
}

// GetSession counts the read, then reads.
func (s *ReadCounter) GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error) {
	s.Sessions.Add(1)
	return s.Store.GetSession(ctx, id, now)
}

// GetUser counts the read, then reads.
func (s *ReadCounter) GetUser(ctx context.Context, id string) (storage.User, error) {
	s.Users.Add(1)
	return s.Store.GetUser(ctx, id)
}
