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

// CodeType is the type of the grants that a schema may keep out of its
// subject and session indexes (SQLite's, from migration 0014): the
// authorization codes, most of the grants written.
const CodeType = storage.GrantAuthorizationCode

// Parts returns conditions whose rows together are those f selects, each
// of which one index serves in a schema whose subject and session indexes
// leave authorization codes out (partial, WHERE type <> 'authorization_code')
// and whose codes have an index of their own (WHERE type =
// 'authorization_code'): a filter by subject or session without a type is
// split in two, the codes and the rest, and a filter with a type names the
// index condition it meets, as a constant, since the planner does not look
// at the value bound. The arguments are shared by every part, numbered
// from mark+start as Where numbers them. The parts select disjoint rows, so
// that a UNION ALL of them returns each row once.
func Parts(f storage.PersistedGrantFilter, mark string, start int) ([]string, []any) {
	where, args := Where(f, mark, start)
	if f.Subject == "" && f.SessionID == "" {
		return []string{where}, args
	}
	const codes, others = "type = '" + CodeType + "'", "type <> '" + CodeType + "'"
	switch f.Type {
	case "":
		return []string{where + " AND " + others, where + " AND " + codes}, args
	case CodeType:
		return []string{where + " AND " + codes}, args
	default:
		return []string{where + " AND " + others}, args
	}
}
