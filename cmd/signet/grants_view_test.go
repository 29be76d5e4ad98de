package main

import (
	"strings"
	"testing"

	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
)

// signet grants list shows the beginning of the hash of a key, not a
// code's time prefix, which the codes of the same quarter second share.
func TestGrantViewKeyPrefix(t *testing.T) {
	t.Parallel()
	handle := strings.Repeat("A", 42) + "E"
	code := tokens.HandleKey(storage.GrantAuthorizationCode, "06H50O0600"+handle)
	refresh := tokens.HandleKey(storage.GrantRefreshToken, handle)
	for _, tt := range []struct{ key, want string }{
		{code, code[10:18]},
		{refresh, refresh[:8]},
		{"short", "short"},
	} {
		if got := grantViewOf(storage.PersistedGrant{Key: tt.key}).KeyPrefix; got != tt.want {
			t.Errorf("KeyPrefix of %q = %q, want %q", tt.key, got, tt.want)
		}
	}
	if len(code) != 53 || strings.HasPrefix(code[10:], "06H50O0600") {
		t.Fatalf("code key %q: want a time prefix then the hash", code)
	}
}
