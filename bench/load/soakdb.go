package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The soak's database: a dedicated one, made afresh for each run, so that
// the tests others run against the same PostgreSQL server keep their
// schemas, and so that every token in it is this run's.

// soakDSN returns dsn with its database replaced by name.
func soakDSN(dsn, name string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return "", fmt.Errorf("-postgres %q: want a URL postgres://user@host:port/db?...", dsn)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// freshDatabase drops name (closing its sessions) and creates it again,
// through dsn's database.
func freshDatabase(ctx context.Context, dsn, name string) error {
	if !validDBName(name) {
		return fmt.Errorf("-db %q: letters, digits and _ only", name)
	}
	// Dropping a database waits for a checkpoint, which takes a while on a
	// disk that other tests keep busy.
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redactDSN(dsn), err)
	}
	defer conn.Close(context.Background())
	for _, q := range []string{"DROP DATABASE IF EXISTS " + name + " WITH (FORCE)", "CREATE DATABASE " + name} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

func validDBName(name string) bool {
	if name == "" || len(name) > 63 {
		return false
	}
	for i, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// redactDSN is dsn without its password, for messages.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(the DSN)"
	}
	return u.Redacted()
}

// cluster is a Debian PostgreSQL cluster, as pg_lsclusters lists it.
type cluster struct {
	version, name string
	port          int
}

// parseClusters reads pg_lsclusters' output:
//
//	Ver Cluster Port Status Owner    Data directory              Log file
//	15  main    5432 online postgres /var/lib/postgresql/15/main /var/log/...
func parseClusters(out string) []cluster {
	var cs []cluster
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || f[0] == "Ver" {
			continue
		}
		port, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		cs = append(cs, cluster{version: f[0], name: f[1], port: port})
	}
	return cs
}

// clusterCommands returns the commands that stop and start the cluster
// listening on dsn's port, with pg_ctlcluster (Debian, Ubuntu); an error
// says to give -db-stop and -db-start where there is none.
func clusterCommands(ctx context.Context, dsn string) (stop, start string, err error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", "", err
	}
	port := 5432
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return "", "", err
		}
	}
	if h := u.Hostname(); h != "" {
		if ip := net.ParseIP(h); h != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return "", "", fmt.Errorf("PostgreSQL at %s is not on this machine: give -db-stop and -db-start", h)
		}
	}
	if _, err := exec.LookPath("pg_ctlcluster"); err != nil {
		return "", "", fmt.Errorf("no pg_ctlcluster here: give -db-stop and -db-start (commands that stop and start PostgreSQL)")
	}
	out, err := exec.CommandContext(ctx, "pg_lsclusters").Output()
	if err != nil {
		return "", "", fmt.Errorf("pg_lsclusters: %w: give -db-stop and -db-start", err)
	}
	for _, c := range parseClusters(string(out)) {
		if c.port == port {
			// -m fast: a smart stop would wait for Signet's pool (and
			// everybody else's sessions) to go, which they never do.
			return fmt.Sprintf("pg_ctlcluster %s %s stop -m fast", c.version, c.name), fmt.Sprintf("pg_ctlcluster %s %s start", c.version, c.name), nil
		}
	}
	return "", "", fmt.Errorf("pg_lsclusters lists no cluster on port %d: give -db-stop and -db-start", port)
}

// shell runs command with sh -c and returns its output.
func shell(ctx context.Context, command string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}
