package postgres_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/signetid/signet/storage/postgres"
	"github.com/signetid/signet/storage/postgres/postgrestest"
)

// admin connects to the test database outside any store, for setting up
// and for what the port does not show.
func admin(t testing.TB) *pgx.Conn { return postgrestest.Admin(t) }

// listenRaw returns a connection of the test's own that listens on the
// schema's notification channel, as a store's listener does, so that a test
// reads every payload, in commit order, uncoalesced: what came before a
// marker it waited for is all that was sent before it.
func listenRaw(t testing.TB, db testDB) *pgx.Conn {
	t.Helper()
	conn := admin(t)
	if _, err := conn.Exec(t.Context(), "LISTEN "+pgx.Identifier{"signet_config_" + db.schema}.Sanitize()); err != nil {
		t.Fatalf("listen: %v", err)
	}
	return conn
}

// wantPayload fails t unless the next notification on conn, waited for 10
// seconds at most, has the payload want.
func wantPayload(t testing.TB, conn *pgx.Conn, want, after string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	n, err := conn.WaitForNotification(ctx)
	if err != nil {
		t.Fatalf("no notification within 10s after %s: %v", after, err)
	}
	if n.Payload != want {
		t.Fatalf("notification %q after %s, want %q (a write before it notified)", n.Payload, after, want)
	}
}

// testDB is one empty schema of the test database, dropped at cleanup, so
// that tests run in parallel without seeing each other.
type testDB struct {
	schema string
	dsn    string // with search_path (the schema) and application_name (the schema too)
}

func newDB(t testing.TB) testDB {
	t.Helper()
	db := postgrestest.New(t, "signet_test_")
	return testDB{schema: db.Schema, dsn: db.DSN}
}

// open opens a store and closes it at cleanup.
func open(t testing.TB, dsn string, opts postgres.Options) *postgres.Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	s, err := postgres.Open(t.Context(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func testLogger(t testing.TB) *slog.Logger {
	if tt, ok := t.(*testing.T); ok {
		return slog.New(slog.NewTextHandler(tt.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.DiscardHandler)
}

// proxy is a TCP proxy in front of the server that a test can take down
// (every connection cut, new ones refused) and bring back on the same
// address, as a database that is lost and returns.
type proxy struct {
	t      testing.TB
	addr   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	hang  bool // accept, but forward nothing
}

func newProxy(t testing.TB, target string) *proxy {
	p := &proxy{t: t, target: target, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns[c] = struct{}{}
			hang := p.hang
			p.mu.Unlock()
			if hang {
				continue // held open, never answered
			}
			go p.forward(c)
		}
	}()
}

func (p *proxy) forward(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[s] = struct{}{}
	p.mu.Unlock()
	go func() { io.Copy(s, c); s.Close(); c.Close() }()
	io.Copy(c, s)
	c.Close()
	s.Close()
}

// down closes the listener and every connection.
func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// up listens again on the same address.
func (p *proxy) up() {
	var ln net.Listener
	var err error
	for range 50 { // the port may linger for a moment
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("proxy up: %v", err)
	}
	p.serve(ln)
}

// setHang makes new connections hang (accepted, never answered).
func (p *proxy) setHang(hang bool) {
	p.mu.Lock()
	p.hang = hang
	p.mu.Unlock()
}

// hostPort returns the host:port of a DSN's first host.
func hostPort(t testing.TB, dsn string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}
