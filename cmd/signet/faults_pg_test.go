package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/signetid/signet/storage/postgres/postgrestest"
)

// Storage outages of `signet serve` on PostgreSQL as an operator meets them
// (issue 18): a database that takes no writes while its connections work, a
// full disk, a server stopped and started again. Each under load of
// private_key_jwt token requests, which write a jti each. Throughout,
// requests that need the database get 503 temporarily_unavailable with
// Retry-After, never a 500; /readyz says why the instance is not ready; the
// log has one line when the outage starts and one when it ends, with how
// many requests it failed, and none per request at WARN or above; and the
// server recovers by itself.

// pgOutageLoad is the load of these tests: private_key_jwt token requests,
// four at a time, each writing a jti.
func pgOutageLoad(t *testing.T, srv *instance, client *ecClient) *faultLoad {
	t.Helper()
	load := newFaultLoad()
	ctx := t.Context()
	load.run("private_key_jwt", 4, func() faultResult {
		return srv.faultPost(ctx, assertionForm(client.assertion(t, srv.base)))
	})
	return load
}

// pgUnavailable reports whether r is the 503 of a request that needs the
// database while it fails.
func pgUnavailable(r faultResult) bool {
	return r.err == nil && r.status == 503 && r.code == "temporarily_unavailable" && r.retryAfter != ""
}

// pgGranted reports whether r is a token.
func pgGranted(r faultResult) bool { return r.err == nil && r.status == 200 }

// pgTally checks that every result of the load is a token or the 503 of an
// outage, none slower than faultRequestBound, and returns how many were
// 503s.
func pgTally(t *testing.T, results map[string][]faultResult) (unavailable int) {
	t.Helper()
	for kind, rs := range results {
		phases := map[string][2]int{}
		var slowest time.Duration
		bad := 0
		for _, r := range rs {
			p := phases[r.phase]
			slowest = max(slowest, r.took)
			switch {
			case pgGranted(r):
				p[0]++
			case pgUnavailable(r):
				p[1]++
				unavailable++
			default:
				if bad++; bad <= 5 {
					t.Errorf("%s: %v, Retry-After %q; want 200, or 503 temporarily_unavailable with Retry-After", kind, r, r.retryAfter)
				}
			}
			if r.took > faultRequestBound {
				t.Errorf("%s: %v, more than %v", kind, r, faultRequestBound)
			}
			phases[r.phase] = p
		}
		if bad > 5 {
			t.Errorf("%s: %d results neither 200 nor 503 temporarily_unavailable", kind, bad)
		}
		t.Logf("%s: %d requests, slowest %v; by phase (200, 503): %v", kind, len(rs), slowest.Round(time.Millisecond), phases)
	}
	return unavailable
}

// pgLogLines returns the lines of logs that contain every one of wants.
func pgLogLines(logs string, wants ...string) []string {
	var out []string
	for l := range strings.Lines(logs) {
		ok := true
		for _, w := range wants {
			ok = ok && strings.Contains(l, w)
		}
		if ok {
			out = append(out, strings.TrimRight(l, "\n"))
		}
	}
	return out
}

// pgLogInt reads the integer attribute key of a text log line.
func pgLogInt(t *testing.T, line, key string) int {
	t.Helper()
	m := regexp.MustCompile(`(?:^| )` + regexp.QuoteMeta(key) + `=(\d+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no %s in the log line %s", key, line)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// pgOutageStarts are the lines that start an outage (outage.Tracker), not
// those that name a new fault within one ("storage failing: now ...").
func pgOutageStarts(logs string) []string {
	var out []string
	for _, l := range pgLogLines(logs, "level=ERROR", `msg="storage failing: `) {
		if !strings.Contains(l, `msg="storage failing: now `) {
			out = append(out, l)
		}
	}
	return out
}

// pgCheckLogQuiet checks that no request failed by the outage was logged at
// WARN or above: the Tracker reports the outage, once.
func pgCheckLogQuiet(t *testing.T, logs string) {
	t.Helper()
	for _, level := range []string{"level=WARN", "level=ERROR"} {
		if lines := pgLogLines(logs, level, "request failed"); len(lines) > 0 {
			t.Errorf("%d requests logged at %s (the first: %s); want them at DEBUG, the outage logged once", len(lines), level, lines[0])
		}
		// Nor each /readyz that answered 503 (a load balancer asks
		// every few seconds).
		if lines := pgLogLines(logs, level, `msg="not ready"`); len(lines) > 0 {
			t.Errorf("%d /readyz answers logged at %s (the first: %s); want them at DEBUG, the outage logged once", len(lines), level, lines[0])
		}
	}
	// What else the outage made the server say, for the record.
	for _, l := range pgLogLines(logs, "level=WARN") {
		t.Logf("WARN logged: %s", l)
	}
	for _, l := range pgLogLines(logs, "level=ERROR") {
		t.Logf("ERROR logged: %s", l)
	}
}

// pgAwaitEnd waits, under the load, for the line that ends the outage: it
// comes once no call failed for outage.DefaultQuiet.
func pgAwaitEnd(t *testing.T, srv *instance) {
	t.Helper()
	within(t, 15*time.Second, "the outage's end logged", func() bool {
		return len(pgLogLines(srv.logs.String(), `msg="storage `, ` again after `)) > 0
	})
}

// pgCheckEnd checks the one line that ends the outage, starting with
// what, and checks that it counts at least the 503s the load heard (and
// extra ones the test heard).
func pgCheckEnd(t *testing.T, srv *instance, what string, unavailable int) {
	t.Helper()
	logs := srv.logs.String()
	ends := pgLogLines(logs, `msg="`+what+" after ")
	if len(ends) == 0 {
		t.Fatalf("no line %q; the outage's end:\n%s", what, strings.Join(pgLogLines(logs, " again after "), "\n"))
	}
	if len(ends) != 1 {
		t.Errorf("%d lines %q, want one:\n%s", len(ends), what, strings.Join(ends, "\n"))
	}
	end := ends[0]
	t.Logf("the end of the outage logged: %s", end)
	if !strings.Contains(end, "level=INFO") {
		t.Errorf("the end of the outage is not logged at INFO: %s", end)
	}
	total := pgLogInt(t, end, "requests_total")
	if !strings.Contains(end, fmt.Sprintf(", %d requests answered 503", total)) {
		t.Errorf("the end line's message does not say the %d requests answered 503: %s", total, end)
	}
	if total < unavailable {
		t.Errorf("the end line counts %d requests answered 503; the test heard %d", total, unavailable)
	}
	if starts := pgOutageStarts(logs); len(starts) != 1 {
		t.Errorf("%d outages started, want one:\n%s", len(starts), strings.Join(starts, "\n"))
	}
}

// pgExec runs statements on a connection of its own to dsn.
func pgExec(t *testing.T, dsn string, stmts ...string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// newPGOwnDatabase makes a database of its own on the test server, dropped
// at cleanup: ALTER DATABASE then changes nothing of the other tests (a
// newPGDB is a schema of the shared test database). Its sessions carry its
// name as application_name, so that pgDB.terminate cuts them.
func newPGOwnDatabase(t *testing.T) pgDB {
	t.Helper()
	base := postgrestest.BaseDSN(t)
	b := make([]byte, 8)
	rand.Read(b)
	name := "signet_fault_" + hex.EncodeToString(b)
	if err := pgExec(t, base, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if err := pgExec(t, base, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return pgDB{schema: name, dsn: postgrestest.WithParams(t, u.String(), map[string]string{"application_name": name})}
}

// pgServe serves the private_key_jwt client on PostgreSQL at dsn, and
// waits until it is ready and grants a token.
func pgServe(t *testing.T, dsn string) (*instance, *ecClient) {
	t.Helper()
	h := newHost(t)
	client := newECClient(t, "jwt-app")
	srv := h.serve(h.config(fileKey(t, "ec-openssl3.pfx"), client.configYAML("    jwks: "+client.jwks(t))+faultStorage(dsn, "")), "")
	within(t, 10*time.Second, "/readyz 200", func() bool {
		status, _ := srv.faultGet("/readyz")
		return status == 200
	})
	if res := srv.faultPost(t.Context(), assertionForm(client.assertion(t, srv.base))); !pgGranted(res) {
		t.Fatalf("private_key_jwt before the outage: %v\nlog:\n%s", res, srv.logs)
	}
	return srv, client
}

// pgAwaitReady waits until /readyz answers 200 by itself.
func pgAwaitReady(t *testing.T, srv *instance, bound time.Duration) {
	t.Helper()
	within(t, bound, "/readyz 200 again", func() bool {
		status, _ := srv.faultGet("/readyz")
		return status == 200
	})
}

// pgAwaitNotReady waits until /readyz answers 503 with body.
func pgAwaitNotReady(t *testing.T, srv *instance, body string) {
	t.Helper()
	start := time.Now()
	for {
		status, b := srv.faultGet("/readyz")
		if status == 503 && b == body+"\n" {
			t.Logf("/readyz 503 %q after %v", body, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("/readyz: %d %q; want 503 %q within 10s; the outage logged:\n%s", status, b, body, strings.Join(pgLogLines(srv.logs.String(), "storage "), "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A database that takes no writes while its connections work, as a
// standby after a failover (SQLSTATE 25006): token requests hear 503
// temporarily_unavailable, /readyz says the storage is read-only, the log
// says so once; when it takes writes again, the instance is ready again by
// itself and the log says so once, with the count of requests failed.
//
// The pool takes up the database's setting on new connections: in
// "connections recycled" it replaces them every half second by itself
// (pool_max_conn_lifetime), so that no call fails but for the setting; in
// "sessions cut" they are terminated, as an administrator would, and the
// calls in flight on them fail as unreachable first.
func TestFaultPGReadOnly(t *testing.T) {
	t.Parallel()
	t.Run("connections recycled", func(t *testing.T) {
		t.Parallel()
		testFaultPGReadOnly(t, false)
	})
	t.Run("sessions cut", func(t *testing.T) {
		t.Parallel()
		testFaultPGReadOnly(t, true)
	})
}

func testFaultPGReadOnly(t *testing.T, cut bool) {
	db := newPGOwnDatabase(t)
	dsn := db.dsn
	if !cut {
		dsn = postgrestest.WithParams(t, dsn, map[string]string{"pool_max_conn_lifetime": "500ms"})
	}
	srv, client := pgServe(t, dsn)
	base := postgrestest.BaseDSN(t)
	load := pgOutageLoad(t, srv, client)
	load.await(t, "", 3, pgGranted)
	// The pool takes up the setting on its new connections.
	renew := func() {
		if cut {
			t.Logf("terminated %d sessions", db.terminate(t))
		}
	}

	load.enter("1 read-only")
	if err := pgExec(t, base, "ALTER DATABASE "+db.schema+" SET default_transaction_read_only = on"); err != nil {
		t.Fatal(err)
	}
	renew()
	pgAwaitNotReady(t, srv, "not ready: storage read-only: writes fail")
	// Long enough for one line per request to show: 40 requests failed.
	load.await(t, "1 read-only", 40, pgUnavailable)
	res := srv.faultPost(t.Context(), assertionForm(client.assertion(t, srv.base)))
	faultUnavailable(t, "private_key_jwt with the database read-only", res)
	starts := pgOutageStarts(srv.logs.String())
	if len(starts) != 1 {
		t.Errorf("%d outages started, want one:\n%s", len(starts), strings.Join(starts, "\n"))
	} else {
		t.Logf("the outage logged: %s", starts[0])
		if cut && strings.Contains(starts[0], "fault=unreachable") {
			// The Tracker names an outage by its first failure, a call
			// on a cut session; then, at once, the read-only database.
			t.Logf("the outage is named by a call on a cut session; then the read-only database")
			now := pgLogLines(srv.logs.String(), "level=ERROR", `msg="storage failing: now the database takes no writes (read-only)"`, "fault=read-only")
			if len(now) != 1 {
				t.Errorf("the log names the read-only database %d times after the cut sessions, want once:\n%s", len(now), srv.logs)
			}
		} else {
			contains(t, "the outage's line", starts[0], "fault=read-only", "takes no writes (read-only)", "503 temporarily_unavailable")
		}
	}

	load.enter("2 writable")
	if err := pgExec(t, base, "ALTER DATABASE "+db.schema+" RESET default_transaction_read_only"); err != nil {
		t.Fatal(err)
	}
	renew()
	pgAwaitReady(t, srv, 10*time.Second)
	load.await(t, "2 writable", 3, pgGranted)
	// The end is logged once no call failed for outage.DefaultQuiet: wait
	// for it under the load.
	pgAwaitEnd(t, srv)
	unavailable := pgTally(t, load.finish()) + 1
	// Writable again, even when the last calls that failed were on the
	// sessions cut to end the read-only period.
	pgCheckEnd(t, srv, "storage writable again", unavailable)
	if ends := pgLogLines(srv.logs.String(), `msg="storage writable again after `); len(ends) > 0 {
		contains(t, "the end of the outage", ends[0], "fault=read-only")
	}
	pgCheckLogQuiet(t, srv.logs.String())
}

// pgRoot skips the test unless it runs as root with the postgres user of a
// local PostgreSQL server, and returns that user.
func pgRoot(t *testing.T) *user.User {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: it mounts a file system and runs PostgreSQL as the postgres user")
	}
	pg, err := user.Lookup("postgres")
	if err != nil {
		t.Skipf("no postgres user to run PostgreSQL as: %v", err)
	}
	return pg
}

// pgRun runs a command, failing the test with its output if it fails.
func pgRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// A full disk on the database server (SQLSTATE 53100): the jti table moved
// to a tablespace on a tmpfs of 64 KiB, filled by the load. Token requests
// hear 503 temporarily_unavailable, /readyz says the storage is full, the
// log says so once; when the file system grows, the instance is ready again
// by itself under the load and the log says so once.
func TestFaultPGDiskFull(t *testing.T) {
	t.Parallel()
	pg := pgRoot(t)
	base := postgrestest.BaseDSN(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		t.Skipf("the PostgreSQL server of %s is on %s: a tablespace must be on its machine", envPostgresDSN, h)
	}
	var dataDir string
	if err := postgrestest.Admin(t).QueryRow(t.Context(), "SHOW data_directory").Scan(&dataDir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err != nil {
		t.Skipf("the PostgreSQL server's data directory %s is not on this machine (%v): a tablespace must be", dataDir, err)
	}

	db := newPGDB(t)
	// The tablespace's file system: 64 KiB, the postgres user's.
	dir, err := os.MkdirTemp("", "signet-full-")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k,mode=0700,uid="+pg.Uid+",gid="+pg.Gid, "signet-full", dir).CombinedOutput(); err != nil {
		os.Remove(dir)
		t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
	}
	space := "signet_full_" + strings.TrimPrefix(db.schema, "signet_cmd_")
	// The tables written: the jtis, and the probe's row.
	tables := []string{db.schema + ".client_assertion_jtis", db.schema + ".health_probe"}
	// Cleanup, after the server stopped (registered before it started):
	// the table back, the tablespace dropped, then the file system.
	t.Cleanup(func() {
		if err := pgExec(t, base, "ALTER TABLE IF EXISTS "+tables[0]+" SET TABLESPACE pg_default",
			"ALTER TABLE IF EXISTS "+tables[1]+" SET TABLESPACE pg_default", "DROP TABLESPACE IF EXISTS "+space); err != nil {
			t.Errorf("drop the tablespace: %v", err)
		}
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
		os.Remove(dir)
	})
	if err := pgExec(t, base, "CREATE TABLESPACE "+space+" LOCATION '"+dir+"'"); err != nil {
		t.Skipf("cannot create a tablespace on a tmpfs: %v", err)
	}

	srv, client := pgServe(t, db.dsn)
	if err := pgExec(t, base, "ALTER TABLE "+tables[0]+" SET TABLESPACE "+space, "ALTER TABLE "+tables[1]+" SET TABLESPACE "+space); err != nil {
		t.Fatal(err)
	}
	load := pgOutageLoad(t, srv, client)
	load.await(t, "", 3, pgGranted)

	// The load fills the file system.
	load.enter("1 full")
	load.await(t, "1 full", 1, pgUnavailable)
	contains(t, "the log", srv.logs.String(), "could not extend file", "SQLSTATE 53100")
	pgAwaitNotReady(t, srv, "not ready: storage full: writes fail")
	load.await(t, "1 full", 40, pgUnavailable)
	// No single request is sure to fail: an insert may still find room in
	// a page the table has (the load heard some 200s among the 503s).
	logs := srv.logs.String()
	starts := pgOutageStarts(logs)
	if len(starts) != 1 {
		t.Errorf("%d outages started, want one:\n%s", len(starts), strings.Join(starts, "\n"))
	} else {
		t.Logf("the outage logged: %s", starts[0])
		contains(t, "the outage's line", starts[0], "fault=full", "disk is full", "503 temporarily_unavailable")
	}

	// Space again.
	load.enter("2 space")
	pgRun(t, "mount", "-o", "remount,size=8m", dir)
	pgAwaitReady(t, srv, 10*time.Second)
	load.await(t, "2 space", 3, pgGranted)
	pgAwaitEnd(t, srv)
	unavailable := pgTally(t, load.finish())
	pgCheckEnd(t, srv, "storage writable again", unavailable)
	pgCheckLogQuiet(t, srv.logs.String())
}

// pgInstance is a PostgreSQL server of the test's own, which it may stop.
type pgInstance struct {
	t              *testing.T
	bin, dir, data string
	port           string
	pg             *user.User
}

// newPGInstance initialises and starts a PostgreSQL server on a free port of
// 127.0.0.1, trusting local connections, stopped at cleanup; or skips the
// test when it cannot (not root, no PostgreSQL binaries).
func newPGInstance(t *testing.T) *pgInstance {
	t.Helper()
	pg := pgRoot(t)
	initdbs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(initdbs) == 0 {
		t.Skip("no /usr/lib/postgresql/*/bin/initdb to run a PostgreSQL server of the test's own")
	}
	dir, err := os.MkdirTemp("", "signet-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(freePort(t))
	p := &pgInstance{t: t, bin: filepath.Dir(initdbs[len(initdbs)-1]), dir: dir, data: filepath.Join(dir, "data"), port: port, pg: pg}
	p.as("initdb", "-D", p.data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
	p.start()
	t.Cleanup(func() {
		out, err := p.ctl("stop", "-m", "immediate")
		if err != nil && !strings.Contains(out, "Is server running?") {
			t.Errorf("pg_ctl stop: %v\n%s", err, out)
		}
	})
	return p
}

// as runs a PostgreSQL program as the postgres user.
func (p *pgInstance) as(prog string, args ...string) string {
	p.t.Helper()
	return pgRun(p.t, "runuser", append([]string{"-u", p.pg.Username, "--", filepath.Join(p.bin, prog)}, args...)...)
}

func (p *pgInstance) ctl(args ...string) (string, error) {
	args = append([]string{"-u", p.pg.Username, "--", filepath.Join(p.bin, "pg_ctl"), "-D", p.data, "-w", "-t", "30"}, args...)
	out, err := exec.Command("runuser", args...).CombinedOutput()
	return string(out), err
}

// start starts the server and waits until it accepts connections.
func (p *pgInstance) start() {
	p.t.Helper()
	if out, err := p.ctl("start", "-l", filepath.Join(p.dir, "log"),
		"-o", "-p "+p.port+" -k "+p.dir+" -c listen_addresses=127.0.0.1 -c fsync=off"); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "log"))
		p.t.Fatalf("pg_ctl start: %v\n%s\nserver log:\n%s", err, out, log)
	}
}

// stop stops the server as an administrator would: sessions ended, new
// connections refused.
func (p *pgInstance) stop() {
	p.t.Helper()
	if out, err := p.ctl("stop", "-m", "fast"); err != nil {
		p.t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

// dsn is the server's postgres database.
func (p *pgInstance) dsn() string {
	return "postgres://postgres@127.0.0.1:" + p.port + "/postgres?sslmode=disable&application_name=signet"
}

// PostgreSQL stopped under load and started again a few seconds later:
// token requests hear 503 temporarily_unavailable at once, /readyz 503, the
// log says once that the database cannot be reached (not once per request)
// and once that it is reachable again, with the count of requests failed;
// the instance recovers by itself.
func TestFaultPGStopped(t *testing.T) {
	t.Parallel()
	pgi := newPGInstance(t)
	srv, client := pgServe(t, pgi.dsn())
	load := pgOutageLoad(t, srv, client)
	load.await(t, "", 3, pgGranted)
	// The config listener connected before the database stops (else it
	// says, rightly, that it never connected: a second warning).
	within(t, 10*time.Second, "the config listener connected", func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, pgi.dsn())
		if err != nil {
			return false
		}
		defer conn.Close(ctx)
		var n int
		err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'signet listener'`).Scan(&n)
		return err == nil && n > 0
	})

	load.enter("1 stopped")
	pgi.stop()
	stopped := time.Now()
	// The ping of /readyz fails before the Tracker is asked.
	pgAwaitNotReady(t, srv, "not ready: the database does not answer")
	// Stopped for a few seconds: 40 requests failed, and more.
	load.await(t, "1 stopped", 40, pgUnavailable)
	time.Sleep(3*time.Second - time.Since(stopped))
	res := srv.faultPost(t.Context(), assertionForm(client.assertion(t, srv.base)))
	faultUnavailable(t, "private_key_jwt with the database stopped", res)
	logs := srv.logs.String()
	starts := pgOutageStarts(logs)
	if len(starts) != 1 {
		t.Errorf("%d outages started, want one:\n%s", len(starts), strings.Join(starts, "\n"))
	} else {
		t.Logf("the outage logged: %s", starts[0])
		contains(t, "the outage's line", starts[0], "fault=unreachable", "cannot be reached", "503 temporarily_unavailable")
	}

	load.enter("2 started")
	pgi.start()
	pgAwaitReady(t, srv, 15*time.Second)
	load.await(t, "2 started", 3, pgGranted)
	pgAwaitEnd(t, srv)
	unavailable := pgTally(t, load.finish()) + 1
	pgCheckEnd(t, srv, "storage reachable again", unavailable)
	pgCheckLogQuiet(t, srv.logs.String())
	// The config listener lost its connection once, and says so once, not
	// at each retry.
	if lines := pgLogLines(srv.logs.String(), "level=WARN", "config listener"); len(lines) != 1 {
		t.Errorf("%d warnings of the config listener, want one (it lost its connection once):\n%s", len(lines), strings.Join(lines, "\n"))
	}
}
