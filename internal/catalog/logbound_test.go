package catalog

import (
	"strings"
	"testing"
)

// A database client that cannot be used is logged with its id (at most
// 512 bytes, the storage's limit) and the error (which quotes its key's
// kid, of 30 KB here) cut: the line stays under 2 KiB.
func TestUnusableClientLogBounded(t *testing.T) {
	t.Parallel()
	bad := dbClient(strings.Repeat("b", 512))
	bad.JWKS = []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"` + strings.Repeat("k", 30<<10) + `"}]}`)
	db := dbWith(t, bad)
	var logs strings.Builder
	mustLoad(t, New(Static{}, db, newTextLogger(&logs)))
	out := strings.TrimSpace(logs.String())
	if !strings.Contains(out, "...[cut: 512 bytes]") || strings.Count(out, "[cut: ") != 2 {
		t.Errorf("the id and the error are not both cut and marked:\n%.300s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 2<<10 {
			t.Errorf("a log line of %d bytes: %.200s...", len(line), line)
		}
	}
}
