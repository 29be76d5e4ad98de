package upstream

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzParseGitHubToken: any answer of GitHub's token endpoint gives tokens
// with a bearer access token, GitHub's error, or an error of a class; never
// a panic, and never the body's text in an error but for a cleaned error
// code and description.
func FuzzParseGitHubToken(f *testing.F) {
	for _, s := range []struct {
		status int
		body   string
	}{
		{200, `{"access_token":"gho_x","token_type":"bearer","scope":"read:user,user:email"}`},
		{200, `{"access_token":"ghu_x","expires_in":28800,"refresh_token":"ghr_x","refresh_token_expires_in":15897600,"token_type":"bearer","scope":""}`},
		{200, `{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired.","error_uri":"https://docs.github.com"}`},
		{200, `{"access_token":"x","token_type":"mac"}`},
		{200, `access_token=x&token_type=bearer`},
		{400, `{"error":"invalid_request"}`},
		{502, `<html>`},
		{200, `{"access_token":"x","token_type":"bearer","expires_in":"99999999999999999999"}`},
		{200, `[]`}, {200, `null`}, {404, ``},
	} {
		f.Add(s.status, []byte(s.body))
	}
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		toks, err := parseGitHubToken("github", status, body, now)
		var ue *UpstreamError
		switch {
		case err == nil:
			if status != 200 || toks.AccessToken == "" || !strings.EqualFold(toks.tokenType, "bearer") {
				t.Fatalf("accepted HTTP %d %q", status, body)
			}
			if !toks.Expiry.IsZero() && (toks.Expiry.Before(now) || toks.Expiry.After(now.Add(10*365*24*time.Hour))) {
				t.Fatalf("expiry %v", toks.Expiry)
			}
		case errors.As(err, &ue):
			if ue.Code == "" || len(ue.Code) > 64 || len(ue.Description) > maxDescription || !ue.AtTokenEndpoint {
				t.Fatalf("upstream error %+v from %q", ue, body)
			}
		case errors.Is(err, ErrInvalid), errors.Is(err, ErrUnavailable):
		default:
			t.Fatalf("error of no class: %v", err)
		}
	})
}
