package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/signetid/signet/internal/audit"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/postgres"
	"github.com/signetid/signet/storage/postgres/postgrestest"
)

var issued = observe.Event{
	Name: observe.TokenIssued, Client: "billing", GrantType: "client_credentials",
	Scopes: []string{"api.read", "api.write"}, KeyID: "K1", Alg: "ES256", Remote: "192.0.2.1:4000",
	Attrs: []slog.Attr{slog.String("auth", "client_secret_basic")},
}

func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(s) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// The log lines carry logger=audit, event and the event's fields, at INFO
// even when the logger given is at INFO and the server's own is at WARN;
// an excluded event is not written; an unknown exclusion is refused.
func TestLog(t *testing.T) {
	t.Parallel()
	var buf testsupport.LogBuffer
	l, err := audit.New(audit.Options{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), Exclude: []string{observe.Logout}})
	if err != nil {
		t.Fatal(err)
	}
	l.Observe(t.Context(), &issued)
	l.Observe(t.Context(), &observe.Event{Name: observe.Logout, Subject: "alice"})
	l.Observe(t.Context(), &observe.Event{Name: observe.LoginFailed, Result: "invalid_credentials", Subject: "bob"})
	lines := jsonLines(t, buf.String())
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	for k, want := range map[string]any{
		"level": "INFO", "logger": "audit", "event": "token.issued", "result": "success", "client": "billing",
		"grant_type": "client_credentials", "scopes": "api.read api.write", "kid": "K1", "alg": "ES256",
		"remote": "192.0.2.1:4000", "auth": "client_secret_basic",
	} {
		if lines[0][k] != want {
			t.Errorf("%s = %v, want %v", k, lines[0][k], want)
		}
	}
	if _, ok := lines[0]["subject"]; ok {
		t.Error("an empty subject was written")
	}
	if lines[1]["event"] != "login.failed" || lines[1]["result"] != "invalid_credentials" || lines[1]["subject"] != "bob" {
		t.Errorf("second line: %v", lines[1])
	}
	if _, err := audit.New(audit.Options{Exclude: []string{"token.isued"}}); err == nil || !strings.Contains(err.Error(), `"token.isued"`) {
		t.Errorf("unknown exclusion: %v", err)
	}
}

// A long value sent by a client is cut, in the log and in the sink.
func TestBounded(t *testing.T) {
	t.Parallel()
	var buf testsupport.LogBuffer
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	f, err := audit.OpenFile(path, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.New(audit.Options{Logger: slog.New(slog.NewTextHandler(&buf, nil)), Sink: f})
	if err != nil {
		t.Fatal(err)
	}
	l.Observe(t.Context(), &observe.Event{Name: observe.ClientAuthFailed, Result: "invalid_client", Client: strings.Repeat("x", 50_000)})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if len(buf.String()) > 2000 || len(data) > 2000 || !strings.Contains(string(data), "[cut: 50000 bytes]") {
		t.Errorf("log %d bytes, file %d bytes:\n%s", len(buf.String()), len(data), data)
	}
}

// The file sink writes JSON lines, 0600, rotates by size and keeps
// maxFiles rotated files; every event written is in exactly one file.
func TestFileRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	f, err := audit.OpenFile(path, 1000, 2)
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.New(audit.Options{Sink: f})
	if err != nil {
		t.Fatal(err)
	}
	const n = 60
	for i := range n {
		e := issued
		e.Subject = "s" + strings.Repeat("0", 3) + string(rune('A'+i%26)) + string(rune('a'+i/26))
		l.Observe(t.Context(), &e)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".3"); err == nil {
		t.Error("a third rotated file was kept with maxFiles 2")
	}
	seen := 0
	for _, p := range []string{path, path + ".1", path + ".2"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v", p, st.Mode().Perm())
		}
		if st.Size() > 1000 {
			t.Errorf("%s: %d bytes, more than maxSize", p, st.Size())
		}
		data, _ := os.ReadFile(p)
		for _, m := range jsonLines(t, string(data)) {
			if m["event"] != "token.issued" || m["kid"] != "K1" || m["time"] == nil {
				t.Errorf("%s: line %v", p, m)
			}
			seen++
		}
	}
	// Each line is about 250 bytes, so 3 files of 1000 hold the last 9 to 12.
	if seen < 9 || seen > 12 {
		t.Errorf("%d lines kept in 3 files of 1000 bytes", seen)
	}
	// Reopened, the file is appended to, not truncated.
	before, _ := os.ReadFile(path)
	f2, err := audit.OpenFile(path, 1<<20, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := f2.Write(t.Context(), []audit.Record{{Event: "logout", Result: "success"}}); err != nil {
		t.Fatal(err)
	}
	f2.Close()
	after, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(after), string(before)) || len(after) <= len(before) {
		t.Error("reopening the file did not append")
	}
}

// blocked is a sink whose Write waits until released.
type blocked struct {
	started chan struct{}
	release chan struct{}
	mu      sync.Mutex
	got     int
	once    sync.Once
}

func (b *blocked) Write(_ context.Context, batch []audit.Record) error {
	b.once.Do(func() { close(b.started) })
	<-b.release
	b.mu.Lock()
	b.got += len(batch)
	b.mu.Unlock()
	return nil
}

func (*blocked) Close() error { return nil }

// A sink that does not keep up never blocks Observe: a full buffer drops
// events, counts them and warns once per write.
func TestFullBufferDrops(t *testing.T) {
	t.Parallel()
	var warn testsupport.LogBuffer
	sink := &blocked{started: make(chan struct{}), release: make(chan struct{})}
	l, err := audit.New(audit.Options{Sink: sink, Buffer: 4, Warn: slog.New(slog.NewTextHandler(&warn, nil))})
	if err != nil {
		t.Fatal(err)
	}
	l.Observe(t.Context(), &issued)
	<-sink.started // the writer holds the first event and waits
	for range 10 {
		l.Observe(t.Context(), &issued)
	}
	if l.Dropped() != 6 {
		t.Errorf("Dropped = %d, want 6 (a buffer of 4)", l.Dropped())
	}
	close(sink.release)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if sink.got != 5 {
		t.Errorf("the sink got %d events, want 5", sink.got)
	}
	if !strings.Contains(warn.String(), "level=WARN") || !strings.Contains(warn.String(), "dropped=6") {
		t.Errorf("warning: %q", warn.String())
	}
}

type failing struct{}

func (failing) Write(context.Context, []audit.Record) error { return errors.New("disk full") }
func (failing) Close() error                                { return nil }

func TestSinkFailureWarns(t *testing.T) {
	t.Parallel()
	var warn testsupport.LogBuffer
	l, _ := audit.New(audit.Options{Sink: failing{}, Warn: slog.New(slog.NewTextHandler(&warn, nil))})
	for range 5 {
		l.Observe(t.Context(), &issued)
	}
	l.Close()
	if l.Dropped() != 5 || !strings.Contains(warn.String(), "disk full") {
		t.Errorf("Dropped = %d, warning %q", l.Dropped(), warn.String())
	}
}

// The database sink appends to audit_events in PostgreSQL.
func TestDatabase(t *testing.T) {
	t.Parallel()
	db := postgrestest.New(t, "audit_")
	store, err := postgres.Open(t.Context(), db.DSN, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	l, err := audit.New(audit.Options{Sink: audit.NewDatabase(store), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	l.Observe(t.Context(), &issued)
	l.Observe(t.Context(), &observe.Event{Name: observe.ClientChanged, Subject: "app", Attrs: []slog.Attr{slog.String("os_user", "root"), slog.Any("fields", []string{"secrets"})}})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), `SELECT time, event, result, client_id, subject, scopes, kid, alg, remote, coalesce(attrs::text, '') FROM audit_events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var ms int64
		var event, result, client, subject, kid, alg, remote, attrs string
		var scopes []string
		if err := rows.Scan(&ms, &event, &result, &client, &subject, &scopes, &kid, &alg, &remote, &attrs); err != nil {
			t.Fatal(err)
		}
		if ms != now.UnixMilli() {
			t.Errorf("time %d, want %d", ms, now.UnixMilli())
		}
		got = append(got, strings.Join([]string{event, result, client, subject, strings.Join(scopes, ","), kid, alg, remote, attrs}, "|"))
	}
	want := []string{
		`token.issued|success|billing||api.read,api.write|K1|ES256|192.0.2.1:4000|{"auth": "client_secret_basic"}`,
		`client.changed|success||app|||||{"fields": ["secrets"], "os_user": "root"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// outageSink is the database sink during a storage outage, then after it.
type outageSink struct {
	mu     sync.Mutex
	down   bool
	writes int
}

func (s *outageSink) Write(_ context.Context, r []audit.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.down {
		return fmt.Errorf("postgres: append audit events: %w", storage.Unavailable(storage.FaultUnreachable, errors.New("connection refused")))
	}
	return nil
}

func (s *outageSink) Close() error { return nil }

func (s *outageSink) set(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// During a storage outage the sink fails at every batch, which under light
// load is every event: the events lost are told once when it starts and
// once when it ends (at most once a minute), not once a batch.
func TestSinkOutageWarnsOnce(t *testing.T) {
	t.Parallel()
	var warn testsupport.LogBuffer
	sink := &outageSink{down: true}
	l, _ := audit.New(audit.Options{Sink: sink, Warn: slog.New(slog.NewTextHandler(&warn, nil))})
	for i := range 50 {
		l.Observe(t.Context(), &issued)
		if i%10 == 0 {
			time.Sleep(5 * time.Millisecond) // separate batches
		}
	}
	for l.Dropped() < 50 {
		time.Sleep(time.Millisecond)
	}
	sink.set(false)
	l.Observe(t.Context(), &issued)
	l.Close()
	lines := strings.Count(warn.String(), "audit events lost")
	if sink.writes < 3 || lines != 2 || !strings.Contains(warn.String(), "told at most once a minute") ||
		!strings.Contains(warn.String(), "database was unavailable") {
		t.Errorf("%d writes; %d lines:\n%s", sink.writes, lines, warn.String())
	}
}
