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
	add := func(column, value string) {
		if value != "" {
			args = append(args, value)
			conds = append(conds, fmt.Sprintf("%s = %s%d", column, mark, start+len(args)-1))
		}
	}
	add("subject", f.Subject)
	add("client_id", f.ClientID)
	add("session_id", f.SessionID)
	add("family_id", f.FamilyID)
	add("type", f.Type)
	if len(conds) == 0 {
		return "1 = 1", nil
	}
	return strings.Join(conds, " AND "), args
}
