package grant

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/testsupport"
)

// Bounds on what one request can make Signet write, whatever it sends:
// each request value in a log line or an error_description is cut to
// logattr.Max bytes (logattr.MaxText for a reason or error that quotes
// some), so a line stays under maxLogLine and a description under
// maxDescription.
const (
	maxLogLine     = 2 << 10
	maxDescription = 1 << 10
)

// lockedBuffer is a log destination that the endpoint may write while the
// test reads it.
type lockedBuffer = testsupport.LogBuffer

// A client_id of 60 KB (Basic, post, beside an assertion, and as large
// as an assertion's sub can be), a 60 KB scope, grant_type, Content-Type,
// Authorization scheme or kid: every log line and description stays
// bounded, and says the value was cut and how long it was.
func TestRequestValuesBounded(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFixture(t, func(f *fixture, o *Options) {
		o.Logger = logger
		f.auth.Logger = logger
	})
	huge := strings.Repeat("x", 60<<10)
	// An assertion is at most 16 KiB: its sub can be some 10 KiB.
	bigSub := strings.Repeat("s", 10<<10)
	cc := url.Values{"grant_type": {"client_credentials"}}
	claims := func(sub string) map[string]any {
		c := f.goodClaims()
		c["sub"] = sub
		return c
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		mutate []func(*http.Request)
		// logged is what the log must show (of the cut value).
		logged string
		// described is what the description must show ("" when it does
		// not echo the value).
		described string
	}{
		{"basic client_id", cc, []func(*http.Request){basic(huge, "wrong")}, "[cut: 61440 bytes]", ""},
		{"post client_id", with(cc, "client_id", huge[:60<<10-100], "client_secret", "wrong"), nil, "[cut: 61340 bytes]", ""},
		{"assertion sub", assertionForm(f.assertion(claims(bigSub))), nil, "[cut: 10240 bytes]", ""},
		{"assertion sub of 60 KB", assertionForm(f.assertion(claims(huge))), nil, "", ""},
		{"client_id beside an assertion", with(cc, "client_id", huge[:60<<10-1000], "client_assertion_type", oauth.ClientAssertionJWT, "client_assertion", f.assertion(f.goodClaims())), nil, "", "[cut: 60440 bytes]"},
		{"scope", with(cc, "scope", huge[:60<<10-200]), []func(*http.Request){basic("app", f.secret)}, "", "[cut: 61240 bytes]"},
		{"grant_type", url.Values{"grant_type": {huge[:60<<10-100]}}, []func(*http.Request){basic("app", f.secret)}, "", "[cut: 61340 bytes]"},
		{"content type", cc, []func(*http.Request){func(r *http.Request) { r.Header.Set("Content-Type", "text/"+huge) }}, "", "[cut: 61445 bytes]"},
		{"authorization scheme", cc, []func(*http.Request){func(r *http.Request) { r.Header.Set("Authorization", huge+" abc") }}, "", "[cut: 61440 bytes]"},
		{"kid", assertionForm(f.assertion(f.goodClaims(), func(o *jose.SignerOptions) { o.WithHeader("kid", bigSub) })), nil, "[cut: 10240 bytes]", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(logs.String())
			res := f.post(tc.form, tc.mutate...)
			if res.status == http.StatusOK {
				t.Fatalf("accepted: %v", res.body)
			}
			desc, _ := res.body["error_description"].(string)
			if len(desc) > maxDescription {
				t.Errorf("error_description of %d bytes (bound %d): %.200s...", len(desc), maxDescription, desc)
			}
			if tc.described != "" && !strings.Contains(desc, tc.described) {
				t.Errorf("error_description %.300q does not say %q", desc, tc.described)
			}
			out := logs.String()[before:]
			if tc.logged != "" && !strings.Contains(out, tc.logged) {
				t.Errorf("the log does not say %q:\n%.500s", tc.logged, out)
			}
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if len(line) > maxLogLine {
					t.Errorf("a log line of %d bytes (bound %d): %.200s...", len(line), maxLogLine, line)
				}
			}
		})
	}
}
