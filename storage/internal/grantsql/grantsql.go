package grantsql

import (
	"fmt"
	"strings"

	"github.com/signetid/signet/storage"
)

// Where returns the condition that f selects, to follow WHERE, and its
// arguments, numbered mark+start, mark+start+1 and so on ($2, $3 or ?2, ?3).
// An empty filter selects every row: "1 = 1" and no arguments.
func Where(f storage.PersistedGrantFilter, mark string, start int) (string, []any) {
	var conds []string
	var args []any
	// partial is set for the columns whose index is partial (WHERE column
	// <> ''): the condition repeats the index's, which the value is known
	// to meet, so that the planner may use it. Neither SQLite nor a
	// PostgreSQL generic plan looks at the bound value to prove it, and
	// without it the grants of a session or a family are found by reading
	// every grant.
	add := func(column, value string, partial bool) {
		if value != "" {
			args = append(args, value)
			cond := fmt.Sprintf("%s = %s%d", column, mark, start+len(args)-1)
			if partial {
				cond += " AND " + column + " <> ''"
			}
			conds = append(conds, cond)
		}
	}
	add("subject", f.Subject, false)
	add("client_id", f.ClientID, false)
	add("session_id", f.SessionID, true)
	add("family_id", f.FamilyID, true)
	add("type", f.Type, false)
	if len(conds) == 0 {
		return "1 = 1", nil
	}
	return strings.Join(conds, " AND "), args
}
