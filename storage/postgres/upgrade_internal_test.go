package postgres

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/signetid/signet/storage/postgres/postgrestest"
	"github.com/signetid/signet/storage/storagetest"
)

// A client written by a build whose schema ended at migration 0006 reads,
// after Open applies 0007, with the sign-in settings' defaults; a user
// written then reads, after 0008, as never signed in.
func TestClientWrittenBefore0007(t *testing.T) {
	t.Parallel()
	db := postgrestest.New(t, "upgrade_")
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, createMigrationsTable); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Version >= 7 {
			break
		}
		if _, err := conn.Exec(ctx, m.SQL, pgx.QueryExecModeSimpleProtocol); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)`, m.Version, m.Name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, `
		INSERT INTO clients (id, name, grant_types, scopes, access_token_lifetime_ms, jwks_uri, created_at, updated_at)
		VALUES ($1, 'old', '{client_credentials}', '{api}', 0, '', 0, 0)`, storagetest.OldClientID); err != nil {
		t.Fatal(err)
	}

	if _, err := conn.Exec(ctx, `
		INSERT INTO users (id, username, username_key, password_hash, email, email_verified, name, disabled,
			failed_logins, created_at, updated_at)
		VALUES ($1, 'old', 'old', '', '', false, '', false, 0, 0, 0)`, storagetest.OldUserID); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, db.DSN, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storagetest.CheckOldClient(t, s)
	storagetest.CheckOldUser(t, s)
}
