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
	return where(f, mark, start, "client_id")
}

// where is Where with the client's column written as client (client_id,
// or +client_id, which SQLite then uses no index for).
func where(f storage.PersistedGrantFilter, mark string, start int, client string) (string, []any) {
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
	add(client, f.ClientID, false)
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
// of which one index serves, for SQLite's schema from migration 0014: its
// subject and session indexes leave authorization codes out (partial,
// WHERE type <> 'authorization_code') and codes have an index of their own
// (grants_codes, WHERE type = 'authorization_code'). A filter by subject
// or session without a type is split in two, the codes and the rest, and a
// filter with a type names the index condition it meets, as a constant,
// since the planner does not look at the value bound. The arguments are
// shared by every part, numbered from mark+start as Where numbers them.
// The parts select disjoint rows (type is never NULL), so that a UNION ALL
// of them returns each row once.
//
// In the codes part the client's column is written +client_id: a user's
// codes at one client are then read from the live codes (grants_codes,
// bounded by the codes' lifetime) rather than from every grant the client
// has (grants_client_id: its refresh tokens of all users, for 30 days),
// which the planner would otherwise choose. A family's index holds codes,
// and stays usable.
func Parts(f storage.PersistedGrantFilter, mark string, start int) ([]string, []any) {
	all, args := Where(f, mark, start)
	if f.Subject == "" && f.SessionID == "" {
		return []string{all}, args
	}
	codesOnly, _ := where(f, mark, start, "+client_id")
	const codes, others = "type = '" + CodeType + "'", "type <> '" + CodeType + "'"
	switch f.Type {
	case "":
		return []string{all + " AND " + others, codesOnly + " AND " + codes}, args
	case CodeType:
		return []string{codesOnly + " AND " + codes}, args
	default:
		return []string{all + " AND " + others}, args
	}
}
