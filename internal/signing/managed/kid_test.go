package managed_test

import (
	"strings"
	"testing"
)

// A kid never starts with "-": it is typed on command lines (signet keys
// retire KID), where it would read as a flag. Thumbprints start with "-"
// one time in 64, so 300 keys would show one nearly always (99%).
func TestKidNeverLooksLikeAFlag(t *testing.T) {
	t.Parallel()
	clk := newClock()
	kek := newKEK(t)
	for range 300 {
		m := newManager(t, memStore(clk), options(t, clk, kek, "ES256"))
		keys, err := m.Sync(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if strings.HasPrefix(k.ID, "-") {
				t.Fatalf("kid %s starts with -", k.ID)
			}
		}
	}
}
