package sqlite

import (
	"slices"
	"strings"
	"testing"

	"github.com/signetid/signet/storage"
)

// The grants of a session or of a family (a refresh token reused revokes
// its family) are found through their partial indexes, not by reading every
// grant: SQLite uses a partial index only when the query's condition
// implies the index's condition (family_id not empty), which family_id = ?1
// alone does not: SQLite does not look at the value bound. Codes are not
// in the subject and session indexes (migration 0014): a filter by user or
// session finds them through grants_codes, and never reads every grant.
func TestGrantFilterUsesIndex(t *testing.T) {
	s, err := Open(t.Context(), Memory, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	code, refresh := storage.GrantAuthorizationCode, storage.GrantRefreshToken
	for _, tt := range []struct {
		filter  storage.PersistedGrantFilter
		indexes []string
	}{
		{storage.PersistedGrantFilter{FamilyID: "f"}, []string{"grants_family_id"}},
		{storage.PersistedGrantFilter{FamilyID: "f", ClientID: "c"}, nil},
		{storage.PersistedGrantFilter{SessionID: "s"}, []string{"grants_session_id", "grants_codes"}},
		{storage.PersistedGrantFilter{Subject: "u"}, []string{"grants_subject", "grants_codes"}},
		{storage.PersistedGrantFilter{Subject: "u", Type: refresh}, []string{"grants_subject"}},
		{storage.PersistedGrantFilter{Subject: "u", Type: code}, []string{"grants_codes"}},
		// Not the client's index: that would read every grant of the
		// client, its refresh tokens of all users.
		{storage.PersistedGrantFilter{Subject: "u", ClientID: "c", Type: code}, []string{"grants_codes"}},
		{storage.PersistedGrantFilter{SessionID: "s", ClientID: "c", Type: code}, []string{"grants_codes"}},
		{storage.PersistedGrantFilter{Subject: "u", ClientID: "c"}, []string{"grants_subject", "grants_codes"}},
		{storage.PersistedGrantFilter{Subject: "u", FamilyID: "f"}, []string{"grants_family_id"}},
		{storage.PersistedGrantFilter{Subject: "u", ClientID: "c", Type: storage.GrantUserConsent}, []string{"grants_subject"}},
		{storage.PersistedGrantFilter{ClientID: "c"}, []string{"grants_client_id"}},
	} {
		list, largs := listGrants(tt.filter)
		del, dargs := deleteGrants(tt.filter)
		for _, q := range []struct {
			query string
			args  []any
		}{{list, append([]any{int64(0)}, largs...)}, {del, dargs}} {
			plan := queryPlan(t, s, q.query, q.args...)
			got := strings.Join(plan, "; ")
			for _, step := range plan {
				if strings.HasPrefix(step, "SCAN grants") && !strings.Contains(step, "INDEX") {
					t.Errorf("%+v: %s: plan %q reads every grant", tt.filter, q.query, got)
				}
			}
			for _, index := range tt.indexes {
				if !strings.Contains(got, "INDEX "+index) {
					t.Errorf("%+v: %s: plan %q, want one using %s", tt.filter, q.query, got, index)
				}
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
		if got := strings.Join(queryPlan(t, s, tt.query, "u"), "; "); !strings.Contains(got, "INDEX "+tt.index) {
			t.Errorf("%s: plan %q, want one using %s", tt.query, got, tt.index)
		}
	}
}

// The code created in its session and the code consumed with its user's
// state read the session and the user by their primary keys: the check
// costs a lookup, never a scan.
func TestUserGrantUsesKeys(t *testing.T) {
	s, err := Open(t.Context(), Memory, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tt := range []struct {
		query string
		args  []any
		steps []string
	}{
		{insertGrantInSession, append(grantArgs(storage.PersistedGrant{Key: "k", SessionID: "s"}), int64(0)),
			[]string{"SEARCH sessions EXISTS USING INDEX sqlite_autoindex_sessions_1 (id=?)"}},
		{consumeUserGrant, []any{"k", int64(0)}, []string{
			"SEARCH grants USING INDEX sqlite_autoindex_grants_1 (key=?)",
			"SEARCH users USING INDEX sqlite_autoindex_users_1 (id=?)",
		}},
	} {
		plan := queryPlan(t, s, tt.query, tt.args...)
		got := strings.Join(plan, "; ")
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN") {
				t.Errorf("%s: plan %q reads a whole table", tt.query, got)
			}
		}
		for _, step := range tt.steps {
			if !slices.Contains(plan, step) {
				t.Errorf("%s: plan %q, want the step %q", tt.query, got, step)
			}
		}
	}
	// Those indexes are the primary keys.
	for table, index := range map[string]string{"sessions": "sqlite_autoindex_sessions_1", "users": "sqlite_autoindex_users_1"} {
		var origin string
		if err := s.w.QueryRowContext(t.Context(), `SELECT origin FROM pragma_index_list(?1) WHERE name = ?2`, table, index).Scan(&origin); err != nil || origin != "pk" {
			t.Errorf("index %s of %s: origin %q, %v; want pk", index, table, origin, err)
		}
	}
}

// queryPlan returns the details of the steps of query's plan.
func queryPlan(t *testing.T, s *Store, query string, args ...any) []string {
	t.Helper()
	rows, err := s.w.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}
