package grantsql_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/internal/grantsql"
)

func TestWhere(t *testing.T) {
	tests := []struct {
		name  string
		f     storage.PersistedGrantFilter
		mark  string
		start int
		where string
		args  []any
	}{
		{name: "empty", f: storage.PersistedGrantFilter{}, mark: "$", start: 1, where: "1 = 1"},
		{name: "postgres", f: storage.PersistedGrantFilter{Subject: "s", Type: "t"}, mark: "$", start: 2,
			where: "subject = $2 AND type = $3", args: []any{"s", "t"}},
		{name: "sqlite all", f: storage.PersistedGrantFilter{Subject: "s", ClientID: "c", SessionID: "x", FamilyID: "f", Type: "t"}, mark: "?", start: 1,
			where: "subject = ?1 AND client_id = ?2 AND session_id = ?3 AND session_id <> '' AND family_id = ?4 AND family_id <> '' AND type = ?5", args: []any{"s", "c", "x", "f", "t"}},
		{name: "family", f: storage.PersistedGrantFilter{FamilyID: "f"}, mark: "$", start: 1,
			where: "family_id = $1 AND family_id <> ''", args: []any{"f"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			where, args := grantsql.Where(tt.f, tt.mark, tt.start)
			if where != tt.where || fmt.Sprint(args) != fmt.Sprint(tt.args) || len(args) != len(tt.args) {
				t.Errorf("Where = %q %v, want %q %v", where, args, tt.where, tt.args)
			}
		})
	}
}

// A filter by user or session is split into the codes and the rest, and a
// filter with a type names the condition of the index it can use; other
// filters stay whole.
func TestParts(t *testing.T) {
	code := storage.GrantAuthorizationCode
	tests := []struct {
		name  string
		f     storage.PersistedGrantFilter
		parts []string
	}{
		{"family", storage.PersistedGrantFilter{FamilyID: "f"}, []string{"family_id = ?1 AND family_id <> ''"}},
		{"client", storage.PersistedGrantFilter{ClientID: "c", Type: code}, []string{"client_id = ?1 AND type = ?2"}},
		{"subject", storage.PersistedGrantFilter{Subject: "u"}, []string{
			"subject = ?1 AND type <> 'authorization_code'", "subject = ?1 AND type = 'authorization_code'"}},
		{"session, codes", storage.PersistedGrantFilter{SessionID: "s", Type: code}, []string{
			"session_id = ?1 AND session_id <> '' AND type = ?2 AND type = 'authorization_code'"}},
		{"subject and client", storage.PersistedGrantFilter{Subject: "u", ClientID: "c"}, []string{
			"subject = ?1 AND client_id = ?2 AND type <> 'authorization_code'", "subject = ?1 AND +client_id = ?2 AND type = 'authorization_code'"}},
		{"subject, refresh", storage.PersistedGrantFilter{Subject: "u", Type: storage.GrantRefreshToken}, []string{
			"subject = ?1 AND type = ?2 AND type <> 'authorization_code'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, args := grantsql.Parts(tt.f, "?", 1)
			where, wantArgs := grantsql.Where(tt.f, "?", 1)
			if fmt.Sprint(parts) != fmt.Sprint(tt.parts) || fmt.Sprint(args) != fmt.Sprint(wantArgs) {
				t.Errorf("Parts = %q %v, want %q %v", parts, args, tt.parts, wantArgs)
			}
			for _, p := range parts {
				if !strings.HasPrefix(strings.Replace(p, "+client_id", "client_id", 1), where) {
					t.Errorf("part %q does not begin with the filter's condition %q", p, where)
				}
			}
		})
	}
}
