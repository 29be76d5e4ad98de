package oauth

import (
	"fmt"
	"strings"
	"unicode"
)

// CheckScopeToken applies RFC 6749's scope-token syntax (section 3.3):
// printable ASCII except space, " and \. It is the one scope-name rule, of
// the configuration file and of signet scope alike.
func CheckScopeToken(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("a scope name is empty")
	case strings.ContainsFunc(name, unicode.IsSpace):
		return fmt.Errorf("scope %q has a space: scopes are separated by spaces in token requests, so a name cannot have one", name)
	}
	for _, r := range name {
		if r < 0x21 || r > 0x7E || r == '"' || r == '\\' {
			return fmt.Errorf("scope %q has %q: a scope name is printable ASCII without space, \" or \\ (RFC 6749, section 3.3)", name, r)
		}
	}
	return nil
}
