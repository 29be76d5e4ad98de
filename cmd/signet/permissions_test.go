package main

import "testing"

func TestDSNHasPassword(t *testing.T) {
	t.Parallel()
	for dsn, want := range map[string]bool{
		"postgres://signet:pw@db:5432/signet":             true,
		"postgres://signet@db:5432/signet?password=pw":    true,
		"postgres://signet@db:5432/signet?sslmode=verify": false,
		"host=db user=signet password=pw dbname=signet":   true,
		"host=db user=signet dbname=signet":               false,
	} {
		if got := dsnHasPassword(dsn); got != want {
			t.Errorf("dsnHasPassword(%q) = %v, want %v", dsn, got, want)
		}
	}
}
