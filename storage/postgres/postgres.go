package postgres

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/signetid/signet/storage"
)

var (
	_ storage.Store             = (*Store)(nil)
	_ storage.ConfigWatcher     = (*Store)(nil)
	_ storage.SigningKeyWatcher = (*Store)(nil)
	_ storage.Clock             = (*Store)(nil)
	_ storage.WriteProber       = (*Store)(nil)
)

// Defaults for Options.
const (
	DefaultMaxConns         = 10
	DefaultConnectTimeout   = 5 * time.Second
	DefaultStatementTimeout = 5 * time.Second
)

// Options configures Open. The zero value is the production default.
type Options struct {
	// MaxConns is the size of the connection pool; DefaultMaxConns if zero.
	// Calls beyond it wait for a free connection.
	MaxConns int32
	// MinConns connections are kept open even when idle; none if zero.
	MinConns int32

	// ConnectTimeout bounds making one connection; DefaultConnectTimeout if
	// zero.
	ConnectTimeout time.Duration
	// StatementTimeout is the session's statement_timeout: the server
	// cancels a statement that runs longer, lock waits included;
	// DefaultStatementTimeout if zero, none if negative.
	StatementTimeout time.Duration
	// RequestTimeout bounds one call on the client side, from waiting for a
	// pooled connection to the last row, so that a server that stopped
	// answering (a network partition) cannot hang a request. Zero means
	// ConnectTimeout + StatementTimeout; negative, none (the caller's
	// context only).
	RequestTimeout time.Duration

	// MaxConnLifetime and MaxConnIdleTime retire pooled connections (pgx's
	// defaults, an hour and 30 minutes, if zero).
	MaxConnLifetime time.Duration
	MaxConnIdleTime time.Duration

	// QueryTracer, when set, is told of every statement (tracing's spans);
	// it must not record the arguments.
	QueryTracer pgx.QueryTracer

	// NoMigrate makes Open refuse a database whose schema is behind this
	// build (storage.ErrMigrationsPending) instead of migrating it
	// (`serve --no-migrate`).
	NoMigrate bool
	// ForMigration opens the database without applying or checking
	// migrations, for `signet migrate` and `signet migrate status`: only
	// Migrate, Status, Ping and Close may be used until Migrate succeeds.
	ForMigration bool

	// Now is the clock that decides whether a record has expired and stamps
	// applied migrations and client times; time.Now if nil.
	Now func() time.Time

	// Logger receives a line per applied migration and the listener's
	// reconnections; nothing is logged if nil.
	Logger *slog.Logger

	// Monitor hears of every call that fails for the database being
	// unavailable, and of every write that commits; none if nil.
	Monitor storage.Monitor
}

// Store is a storage.Store in one PostgreSQL database. It is safe for
// concurrent use.
type Store struct {
	pool    *pgxpool.Pool
	listen  *pgx.ConnConfig // for WatchConfig's own connection
	target  string          // host:port/database as user, for messages
	schema  string          // where the tables are: current_schema()
	timeout time.Duration   // RequestTimeout; 0 for none
	connect time.Duration
	now     func() time.Time
	log     *slog.Logger
	mon     storage.Monitor

	closed atomic.Bool
	stop   context.CancelFunc // stops background work
	bg     context.Context
	wg     sync.WaitGroup

	watchMu sync.Mutex
	watch   *watcher
}

// Open connects to the database that dsn names (a postgres:// URL or
// key=value pairs, as libpq takes them), checks that it answers within
// opts.ConnectTimeout, and applies pending migrations unless opts.NoMigrate
// or opts.ForMigration. A database written by a newer build is refused with
// storage.ErrSchemaTooNew.
//
// A server that cannot be reached is an error that wraps
// storage.ErrUnavailable and names the host, port, database and user (never
// the password); the caller may retry with backoff.
//
// The tables live in the first existing schema of the search_path (the
// search_path parameter of the dsn, or the server's default).
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse dsn: %w", err)
	}
	s := &Store{now: opts.Now, log: opts.Logger, mon: opts.Monitor}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	cc := cfg.ConnConfig
	s.target = fmt.Sprintf("%s:%d/%s as %s", cc.Host, cc.Port, cc.Database, cc.User)

	cfg.MaxConns = opts.MaxConns
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	cfg.MinConns = min(opts.MinConns, cfg.MaxConns)
	s.connect = opts.ConnectTimeout
	if s.connect <= 0 {
		s.connect = DefaultConnectTimeout
	}
	cc.ConnectTimeout = s.connect
	// A pooled connection idle for a while is pinged before use; a dead one
	// (the server restarted) is then replaced rather than failing the call.
	cfg.PingTimeout = s.connect
	stmt := opts.StatementTimeout
	if stmt == 0 {
		stmt = DefaultStatementTimeout
	}
	if stmt > 0 {
		cc.RuntimeParams["statement_timeout"] = strconv.FormatInt(stmt.Milliseconds(), 10)
	} else {
		stmt = 0
	}
	if cc.RuntimeParams["application_name"] == "" {
		cc.RuntimeParams["application_name"] = "signet"
	}
	switch {
	case opts.RequestTimeout > 0:
		s.timeout = opts.RequestTimeout
	case opts.RequestTimeout == 0 && stmt > 0:
		s.timeout = s.connect + stmt
	}
	if opts.MaxConnLifetime > 0 {
		cfg.MaxConnLifetime = opts.MaxConnLifetime
	}
	if opts.MaxConnIdleTime > 0 {
		cfg.MaxConnIdleTime = opts.MaxConnIdleTime
	}
	cc.Tracer = opts.QueryTracer
	s.listen = cc.Copy()
	s.listen.RuntimeParams["application_name"] = cc.RuntimeParams["application_name"] + " listener"

	s.bg, s.stop = context.WithCancel(context.Background())
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		s.stop()
		return nil, fmt.Errorf("postgres: open %s: %w", s.target, err)
	}
	if err := s.open(ctx, opts); err != nil {
		s.stop()
		s.pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", s.target, err)
	}
	return s, nil
}

func (s *Store) open(ctx context.Context, opts Options) error {
	// The first connection: bounded, so that a server that is down or
	// unreachable is an error soon rather than a hang.
	cctx, cancel := context.WithTimeout(ctx, s.connect+time.Second)
	defer cancel()
	var schema *string
	if err := s.pool.QueryRow(cctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		if ctx.Err() == nil && cctx.Err() != nil {
			err = fmt.Errorf("no answer within %v: %w", s.connect+time.Second, err)
		}
		return mapErr(err)
	}
	if schema == nil {
		return errors.New("no schema of the search_path exists; create one, or set search_path to one that exists")
	}
	s.schema = *schema
	if opts.ForMigration {
		return nil
	}
	_, err := s.migrate(ctx, opts.NoMigrate)
	return err
}

// channel is the NOTIFY channel of the schema's configuration changes, as
// the trigger of migration 0002 names it, and of its signing key changes
// (payload keysPayload).
func (s *Store) channel() string {
	c := "signet_config_" + s.schema
	if len(c) > 63 {
		sum := md5.Sum([]byte(s.schema))
		c = "signet_config_" + hex.EncodeToString(sum[:])
	}
	return c
}

// op bounds a call by the RequestTimeout.
func (s *Store) op(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.timeout)
}

// alive returns ErrClosed after Close.
func (s *Store) alive() error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	return nil
}

// fail wraps err from the driver for op: ErrClosed if the store was closed
// meanwhile; the caller's own cancellation as it is (with context.Canceled);
// else mapped to the storage sentinels.
func (s *Store) fail(ctx context.Context, op string, err error) error {
	if s.closed.Load() {
		return fmt.Errorf("postgres: %s: %w", op, storage.ErrClosed)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		if !errors.Is(err, context.Canceled) {
			err = fmt.Errorf("%w: %w", context.Canceled, err)
		}
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	err = fmt.Errorf("postgres: %s: %w", op, mapErr(err))
	if s.mon != nil && errors.Is(err, storage.ErrUnavailable) {
		s.mon.Failed(ctx, err)
	}
	return err
}

// wrote tells the Monitor that a write committed.
func (s *Store) wrote(ctx context.Context) {
	if s.mon != nil {
		s.mon.Wrote(ctx)
	}
}

// ProbeWrite implements storage.WriteProber: it updates the one row of
// health_probe, as any write would.
func (s *Store) ProbeWrite(ctx context.Context) error {
	n, err := s.exec(ctx, "probe a write", `UPDATE health_probe SET probed_at = $1 WHERE id = 1`, s.now().UnixMilli())
	if err == nil && n != 1 {
		// Nothing written, nothing heard by the Monitor: say why.
		return errors.New("postgres: probe a write: health_probe has no row (migration 0013 inserts it): insert (1, 0) again")
	}
	return err
}

// Ping implements storage.Pinger: one round trip on a pooled connection.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.alive(); err != nil {
		return err
	}
	octx, cancel := s.op(ctx)
	defer cancel()
	var one int
	if err := s.pool.QueryRow(octx, `SELECT 1`).Scan(&one); err != nil {
		return s.fail(ctx, "ping", err)
	}
	return nil
}

// Close stops the listener and closes the pool, after the calls in flight
// have returned their connections. It is safe to call more than once.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	s.stop()
	// WatchConfig starts goroutines under watchMu after checking closed:
	// once this lock is taken, none starts any more.
	s.watchMu.Lock()
	w := s.watch
	s.watchMu.Unlock()
	s.wg.Wait()
	if w != nil {
		w.closeAll()
	}
	s.pool.Close()
	return nil
}

// PoolStats returns the state of the connection pool ("main"), for the
// metrics. Errors counts the acquisitions cancelled (a request's context
// ended, or its timeout, while it waited for a connection).
func (s *Store) PoolStats() []storage.PoolStats {
	st := s.pool.Stat()
	return []storage.PoolStats{{Pool: "main", InUse: int(st.AcquiredConns()), Idle: int(st.IdleConns()), Max: int(st.MaxConns()),
		Waits: st.EmptyAcquireCount(), WaitTime: st.EmptyAcquireWaitTime(), Errors: st.CanceledAcquireCount()}}
}
