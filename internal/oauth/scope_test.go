package oauth

import (
	"strings"
	"testing"
)

func TestCheckScopeToken(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"api1", "https://api.example.com/read", "a!#$%&'()*+,-./:;<=>?@[]^_`{|}~"} {
		if err := CheckScopeToken(ok); err != nil {
			t.Errorf("CheckScopeToken(%q) = %v", ok, err)
		}
	}
	for name, want := range map[string]string{
		"":          "empty",
		"a b":       "has a space",
		"a\tb":      "has a space",
		`a"b`:       `has '"'`,
		`a\b`:       `has '\\'`,
		"caf\u00e9": "printable ASCII",
		"a\x7fb":    "printable ASCII",
	} {
		if err := CheckScopeToken(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckScopeToken(%q) = %v, want an error with %q", name, err, want)
		}
	}
}
