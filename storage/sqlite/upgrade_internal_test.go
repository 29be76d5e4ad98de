package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/signetid/signet/storage/storagetest"
)

// A client written by a build whose schema ended at migration 0006 reads,
// after Open applies 0007, with the sign-in settings' defaults; a user
// written then reads, after 0008, as never signed in.
func TestClientWrittenBefore0007(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "signet.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Version >= 7 {
			break
		}
		if _, err := db.ExecContext(ctx, m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, 0)`, m.Version, m.Name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, `
		INSERT INTO clients (id, name, grant_types, scopes, access_token_lifetime_ms, jwks_uri, created_at, updated_at)
		VALUES (?1, 'old', '["client_credentials"]', '["api"]', 0, '', 0, 0)`, storagetest.OldClientID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `
		INSERT INTO users (id, username, username_key, password_hash, email, email_verified, name, disabled,
			failed_logins, created_at, updated_at)
		VALUES (?1, 'old', 'old', '', '', 0, '', 0, 0, 0, 0)`, storagetest.OldUserID); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storagetest.CheckOldClient(t, s)
	storagetest.CheckOldUser(t, s)
}
