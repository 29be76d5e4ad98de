package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/internal/sqlrow"
)

// pgxQuerier is the pool or a transaction.
type pgxQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// errUpdate carries the error of an update function through write, so that
// it is returned as it is and not mapped.
type errUpdate struct{ err error }

func (e errUpdate) Error() string { return e.err.Error() }

// write runs fn in one transaction on one pooled connection (READ
// COMMITTED; fn locks what it reads and modifies with SELECT ... FOR
// UPDATE). fn must use tx only: waiting for a second connection while this
// one is held could deadlock the pool. When fn fails the transaction is
// rolled back; an error fn returns wrapped in errUpdate is returned as it is,
// any other is mapped.
func (s *Store) write(ctx context.Context, op string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	if err := s.alive(); err != nil {
		return err
	}
	octx, cancel := s.op(ctx)
	defer cancel()
	tx, err := s.pool.Begin(octx)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	defer tx.Rollback(context.Background()) // after Commit, a no-op
	if err := fn(octx, tx); err != nil {
		if u, ok := err.(errUpdate); ok {
			return u.err
		}
		return s.fail(ctx, op, err)
	}
	if err := tx.Commit(octx); err != nil {
		return s.fail(ctx, op, err)
	}
	s.wrote(ctx)
	return nil
}

// lockRow locks the row that query (SELECT 1 ... FOR UPDATE) selects, until
// the transaction ends: ErrNotFound (through errUpdate) if there is none.
// The record is read by a statement after it, which in READ COMMITTED sees
// what the previous holder of the lock committed: a SELECT ... FOR UPDATE
// with a join would re-read only the locked row after the wait, and the
// joined rows (a client's secrets) from before it.
func lockRow(ctx context.Context, tx pgx.Tx, op, query, key string) error {
	var one int
	err := tx.QueryRow(ctx, query, key).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return errUpdate{fmt.Errorf("postgres: %s: %w", op, storage.ErrNotFound)}
	}
	return err
}

// exec runs one statement on a pooled connection and returns the rows it
// affected.
func (s *Store) exec(ctx context.Context, op, query string, args ...any) (int64, error) {
	if err := s.alive(); err != nil {
		return 0, err
	}
	octx, cancel := s.op(ctx)
	defer cancel()
	tag, err := s.pool.Exec(octx, query, args...)
	if err != nil {
		return 0, s.fail(ctx, op, err)
	}
	n := tag.RowsAffected()
	if n > 0 {
		s.wrote(ctx)
	}
	return n, nil
}

// deleteOne runs a DELETE of one row by key: ErrNotFound if there was none.
func (s *Store) deleteOne(ctx context.Context, op, query, key string) error {
	n, err := s.exec(ctx, op, query, key)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("postgres: %s: %w", op, storage.ErrNotFound)
	}
	return nil
}

// query runs a query on a pooled connection and scans every row with scan.
func query[T any](s *Store, ctx context.Context, op string, scan func(pgx.Rows) ([]T, error), sql string, args ...any) ([]T, error) {
	if err := s.alive(); err != nil {
		return nil, err
	}
	octx, cancel := s.op(ctx)
	defer cancel()
	rows, err := s.pool.Query(octx, sql, args...)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	out, err := scan(rows)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return out, nil
}

// ms is t as a column value: unix milliseconds, or NULL for the zero time.
func ms(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	v := t.UnixMilli()
	return &v
}

// blob stores an empty byte slice as NULL, which sqlrow.Bytes reads as nil,
// as the SQLite backend does.
func blob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// list is a text[] value: pgx writes a nil slice as NULL.
func list(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// textArray is a text[] column as sqlrow reads it: empty and NULL are nil.
type textArray struct{ l []string }

func newTextArray() sqlrow.List { return &textArray{} }

func (a *textArray) Dest() any { return &a.l }

func (a *textArray) Read() ([]string, error) {
	if len(a.l) == 0 {
		return nil, nil
	}
	return a.l, nil
}

// update changes the record of kind stored under key in one transaction:
// read reads it and locks its row (FOR UPDATE) until the commit, so that
// concurrent updates queue; kind.Update runs change, once, and checks what
// it made; save writes it back. An error of change or of the check is
// returned as it is.
func update[T any](s *Store, ctx context.Context, kind storage.Kind[T], what, key string,
	read func(ctx context.Context, tx pgx.Tx, op string) (T, error), change func(*T) error,
	save func(ctx context.Context, tx pgx.Tx, v T) error) error {
	if err := storage.CheckKey(kind.Field, key); err != nil {
		return err
	}
	op := fmt.Sprintf("update %s %q", what, key)
	return s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		v, err := read(ctx, tx, op)
		if err != nil {
			return err
		}
		if err := kind.Update(key, &v, change); err != nil {
			return errUpdate{err}
		}
		return save(ctx, tx, v)
	})
}

// lockFirst locks the row of key with lock (SELECT 1 ... FOR UPDATE), then
// reads its record with query, for the records whose lists are in rows of
// their own.
func lockFirst[T any](ctx context.Context, tx pgx.Tx, op, lock, query, key string, scan func(pgx.Rows) ([]T, error)) (T, error) {
	if err := lockRow(ctx, tx, op, lock, key); err != nil {
		var zero T
		return zero, err
	}
	rows, err := tx.Query(ctx, query, key)
	if err != nil {
		var zero T
		return zero, err
	}
	l, err := scan(rows)
	return lockedFirst(op, l, err)
}

// get reads the record of kind stored under key with the statement sql,
// whose one parameter is key.
func get[T any](s *Store, ctx context.Context, kind storage.Kind[T], what, key string, scan func(pgx.Rows) ([]T, error), sql string) (T, error) {
	if err := storage.CheckKey(kind.Field, key); err != nil {
		var zero T
		return zero, err
	}
	op := fmt.Sprintf("get %s %q", what, key)
	l, err := query(s, ctx, op, scan, sql, key)
	return first(op, l, err)
}
