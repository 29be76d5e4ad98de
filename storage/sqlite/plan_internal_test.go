package sqlite

import (
	"strings"
	"testing"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/internal/grantsql"
)

// The grants of a session or of a family (a refresh token reused revokes
// its family) are found through their partial indexes, not by reading every
// grant: SQLite uses a partial index only when the query's condition
// implies the index's condition (family_id not empty), which family_id = ?1
// alone does not: SQLite does not look at the value bound.
func TestGrantFilterUsesIndex(t *testing.T) {
	s, err := Open(t.Context(), Memory, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tt := range []struct {
		filter storage.PersistedGrantFilter
		index  string
	}{
		{storage.PersistedGrantFilter{FamilyID: "f"}, "grants_family_id"},
		{storage.PersistedGrantFilter{SessionID: "s"}, "grants_session_id"},
	} {
		where, args := grantsql.Where(tt.filter, "?", 1)
		for _, q := range []string{`SELECT key FROM grants WHERE ` + where, `DELETE FROM grants WHERE ` + where} {
			rows, err := s.w.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+q, args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			if got := strings.Join(plan, "; "); !strings.Contains(got, "INDEX "+tt.index) {
				t.Errorf("%s: plan %q, want one using %s", q, got, tt.index)
			}
		}
	}
}

// A user's links and passkeys are found by their user_id indexes: listing
// them, and deleting them with the user (ON DELETE CASCADE looks them up
// by user_id too).
func TestUserRecordsUseIndex(t *testing.T) {
	s, err := Open(t.Context(), Memory, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tt := range []struct{ query, index string }{
		{`SELECT issuer FROM user_links WHERE user_id = ?1 ORDER BY created_at, issuer, subject`, "user_links_user_id"},
		{`DELETE FROM user_links WHERE user_id = ?1`, "user_links_user_id"},
		{`SELECT id FROM passkeys WHERE user_id = ?1 ORDER BY created_at, id`, "passkeys_user_id"},
		{`DELETE FROM passkeys WHERE user_id = ?1`, "passkeys_user_id"},
	} {
		rows, err := s.w.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+tt.query, "u")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if got := strings.Join(plan, "; "); !strings.Contains(got, "INDEX "+tt.index) {
			t.Errorf("%s: plan %q, want one using %s", tt.query, got, tt.index)
		}
	}
}
