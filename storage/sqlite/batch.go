package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/signetid/signet/storage"
)

// batcher commits the small writes of concurrent callers together: a code
// stored at one authorization, a code redeemed at another's token request.
// SQLite has one writer, and the cost of a commit is mostly per
// transaction, not per row: the WAL frames of every page the transaction
// touched (the table and each of the grants' indexes) are checksummed and
// written at each commit. Under load one transaction carrying thirty codes
// writes about the pages one code does; alone, a write costs what it did.
//
// There is no goroutine of its own: the caller that finds no commit under
// way leads, commits its write and whatever queued meanwhile, then hands
// the lead to the first writer that queued during that commit. Each caller
// thus waits for at most the commit in progress and its own.
//
// Each write runs in the shared transaction as it would alone. A write
// that fails on its own statement (a duplicate key, a code already
// consumed) leaves the transaction to the others, as SQLite rolls back
// only that statement; any other failure rolls the batch back, and its
// writes are then tried again one transaction each, so that one bad write
// never fails the others. The caller's result is given only after the
// commit: a write reported done is committed.
type batcher struct {
	mu    sync.Mutex
	busy  bool // a leader is committing
	queue []*batchOp
}

type batchOp struct {
	ctx context.Context
	// run does the write in tx and returns its error, wrapped by s.fail
	// (mapErr's sentinels decide whether the transaction survived it).
	run func(tx *sql.Tx) error
	err error
	// lead, when the op is woken with it, is the batch its goroutine is to
	// commit next.
	lead []*batchOp
	wake chan struct{}
}

// batchTimeout bounds a batch's transaction: the busy timeout of a write
// lock held by another process, and the commit itself.
func (s *Store) batchTimeout() time.Duration { return s.busy + 5*time.Second }

// batch runs the write run in a transaction shared with concurrent writes
// and returns its error once the transaction committed or failed.
func (s *Store) batch(ctx context.Context, op string, run func(tx *sql.Tx) error) error {
	if err := s.alive(); err != nil {
		return err
	}
	o := &batchOp{ctx: ctx, run: run, wake: make(chan struct{}, 1)}
	b := &s.batcher
	b.mu.Lock()
	if b.busy {
		b.queue = append(b.queue, o)
		b.mu.Unlock()
		// Not selecting on ctx: the leader skips a write whose context is
		// done, and its transaction is bounded by batchTimeout, so this
		// wait ends; and a caller must not return while its write may
		// still commit.
		<-o.wake
		if o.lead == nil {
			return o.err
		}
	} else {
		b.busy = true
		b.mu.Unlock()
		o.lead = []*batchOp{o}
	}
	s.commitBatch(op, o.lead, o)
	b.mu.Lock()
	next := b.queue
	b.queue = nil
	if len(next) == 0 {
		b.busy = false
	}
	b.mu.Unlock()
	if len(next) > 0 {
		next[0].lead = next
		next[0].wake <- struct{}{}
	}
	return o.err
}

// commitBatch runs ops in one transaction, sets each op's err, and wakes
// each but self.
func (s *Store) commitBatch(op string, ops []*batchOp, self *batchOp) {
	defer func() {
		for _, o := range ops {
			if o != self {
				o.wake <- struct{}{}
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), s.batchTimeout())
	defer cancel()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		s.failAll(op, ops, err)
		return
	}
	for _, o := range ops {
		if o.err = o.ctx.Err(); o.err != nil {
			continue
		}
		if o.err = o.run(tx); o.err != nil && !statementOnly(o.err) {
			tx.Rollback()
			s.commitEach(op, ops)
			return
		}
	}
	if err := tx.Commit(); err != nil {
		s.failAll(op, ops, err)
		return
	}
	// Only a write that changed something is evidence that writes
	// succeed: an empty transaction commits on a full disk too.
	for _, o := range ops {
		if o.err == nil {
			s.wrote(o.ctx)
		}
	}
}

// failAll gives err, of the batch's transaction, to each op that has no
// error of its own yet, as fail does, telling the Monitor with each op's
// context: each is a caller whose write failed.
func (s *Store) failAll(op string, ops []*batchOp, err error) {
	for _, o := range ops {
		if o.err == nil {
			o.err = s.fail(o.ctx, op, err)
		}
	}
}

// commitEach runs each op of a batch that failed in a transaction of its
// own.
func (s *Store) commitEach(op string, ops []*batchOp) {
	for _, o := range ops {
		if o.err = o.ctx.Err(); o.err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(o.ctx, s.batchTimeout())
		o.err = s.write(ctx, op, o.run)
		cancel()
	}
}

// statementOnly reports whether err, of a write in a transaction, undid
// only that write's statement and left the transaction usable: a
// constraint (a duplicate key, a missing row referred to) or a result the
// write decided itself (nothing to change, already consumed).
func statementOnly(err error) bool {
	return errors.Is(err, storage.ErrAlreadyExists) || errors.Is(err, storage.ErrNotFound) ||
		errors.Is(err, storage.ErrConsumed)
}
