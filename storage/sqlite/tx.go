package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/internal/sqlrow"
)

// queryer is the read pool, the writer, or a transaction on either.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// alive returns ErrClosed after Close.
func (s *Store) alive() error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	return nil
}

// write runs fn in one transaction on the single write connection, begun
// IMMEDIATE (the writer's _txlock), so that a read-modify-write in fn sees no
// other writer between its read and its write. fn's error is returned as it
// is (fn wraps driver errors with s.fail); the transaction is then rolled
// back.
func (s *Store) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	if err := s.alive(); err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.fail(ctx, op, err)
	}
	s.wrote(ctx)
	return nil
}

// exec runs one statement on the writer and returns the rows it affected.
func (s *Store) exec(ctx context.Context, op, query string, args ...any) (int64, error) {
	if err := s.alive(); err != nil {
		return 0, err
	}
	res, err := s.w.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, s.fail(ctx, op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.fail(ctx, op, err)
	}
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
		return notFound(op)
	}
	return nil
}

// queryAll runs a query on the read pool and scans every row with scan.
func queryAll[T any](s *Store, ctx context.Context, op string, scan func(sqlrow.Row) (T, error), query string, args ...any) ([]T, error) {
	if err := s.alive(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.fail(ctx, op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return out, nil
}

// notFound is the error of a write that found no row for key.
func notFound(op string) error {
	return fmt.Errorf("sqlite: %s: %w", op, storage.ErrNotFound)
}

// ms is t as a column value: unix milliseconds, or NULL for the zero time.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// blob keeps an empty byte slice and nil apart from each other no more than
// the other backends do: both are stored as NULL and read back as nil.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// jsonList encodes a list of names as a JSON array ("[]" for none).
func jsonList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l) // strings always marshal
	return string(b)
}

// jsonColumn is a column written by jsonList, as sqlrow reads it.
type jsonColumn struct{ s string }

func newJSONList() sqlrow.List { return &jsonColumn{} }

func (c *jsonColumn) Dest() any { return &c.s }

// Read decodes the list; none is nil.
func (c *jsonColumn) Read() ([]string, error) {
	var l []string
	if err := json.Unmarshal([]byte(c.s), &l); err != nil {
		return nil, fmt.Errorf("decode list %q: %w", c.s, err)
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l, nil
}

// update changes the record of kind stored under key in one write
// transaction: read reads it, kind.Update runs change and checks what it
// made, and save writes it back. An error of change or of the check is
// returned as it is; one of read or save is the store's, named "update
// what key".
func update[T any](s *Store, ctx context.Context, kind storage.Kind[T], what, key string,
	read func(tx *sql.Tx) (T, error), change func(*T) error, save func(tx *sql.Tx, v T) error) error {
	if err := storage.CheckKey(kind.Field, key); err != nil {
		return err
	}
	op := fmt.Sprintf("update %s %q", what, key)
	return s.write(ctx, op, func(tx *sql.Tx) error {
		v, err := read(tx)
		if err != nil {
			return s.fail(ctx, op, err)
		}
		if err := kind.Update(key, &v, change); err != nil {
			return err
		}
		if err := save(tx, v); err != nil {
			return s.fail(ctx, op, err)
		}
		return nil
	})
}

// get reads the record of kind stored under key with read, which uses the
// read pool; an error of read is the store's, named "get what key".
func get[T any](s *Store, ctx context.Context, kind storage.Kind[T], what, key string, read func() (T, error)) (T, error) {
	var zero T
	if err := storage.CheckKey(kind.Field, key); err != nil {
		return zero, err
	}
	if err := s.alive(); err != nil {
		return zero, err
	}
	v, err := read()
	if err != nil {
		return zero, s.fail(ctx, fmt.Sprintf("get %s %q", what, key), err)
	}
	return v, nil
}
