package pkce

import (
	"errors"
	"strings"
	"testing"
)

// RFC 7636 Appendix B.
const (
	rfcVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	rfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", MaxLen)
	for _, tc := range []struct {
		name                        string
		challenge, method, verifier string
		allowPlain                  bool
		wantErr                     string // "" for success
	}{
		{"RFC 7636 Appendix B", rfcChallenge, S256, rfcVerifier, false, ""},
		{"no PKCE at all", "", "", "", false, ""},
		{"downgrade: verifier without challenge", "", "", rfcVerifier, false, "no code_challenge"},
		{"missing verifier", rfcChallenge, S256, "", false, "code_verifier is missing"},
		{"wrong verifier", rfcChallenge, S256, strings.Replace(rfcVerifier, "d", "e", 1), false, "does not match"},
		{"challenge as verifier", rfcChallenge, S256, rfcChallenge, false, "does not match"},
		{"verifier too short", rfcChallenge, S256, rfcVerifier[:42], false, "42 characters"},
		{"verifier too long", rfcChallenge, S256, long + "a", false, "129 characters"},
		{"verifier of 128", long, Plain, long, true, ""},
		{"verifier with a space", rfcChallenge, S256, rfcVerifier[:42] + " ", false, "position 43"},
		{"verifier with a plus", rfcChallenge, S256, "+" + rfcVerifier[1:], false, "position 1"},
		{"plain refused", rfcVerifier, Plain, rfcVerifier, false, "plain is not allowed"},
		{"no method is plain, refused", rfcVerifier, "", rfcVerifier, false, "means plain"},
		{"plain allowed", rfcVerifier, Plain, rfcVerifier, true, ""},
		{"no method is plain, allowed", rfcVerifier, "", rfcVerifier, true, ""},
		{"plain allowed, wrong verifier", rfcVerifier, Plain, rfcChallenge, true, "does not match"},
		{"S256 challenge checked as plain fails", rfcChallenge, Plain, rfcVerifier, true, "does not match"},
		{"unknown method", rfcChallenge, "S512", rfcVerifier, true, `"S512" is not supported`},
		{"method case matters", rfcChallenge, "s256", rfcVerifier, false, `"s256" is not supported`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Verify(tc.challenge, tc.method, tc.verifier, tc.allowPlain)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Verify: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Verify: %v, want an error with %q", err, tc.wantErr)
			}
			if err != nil && tc.verifier != "" && strings.Contains(err.Error(), tc.verifier) {
				t.Errorf("the error %q repeats the verifier", err)
			}
		})
	}
	if err := Verify("", "", rfcVerifier, true); !errors.Is(err, ErrDowngrade) {
		t.Errorf("downgrade: %v, want ErrDowngrade", err)
	}
}

func TestCheckChallenge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name              string
		challenge, method string
		allowPlain        bool
		wantErr           string
	}{
		{"RFC 7636 Appendix B", rfcChallenge, S256, false, ""},
		{"S256 too short", rfcChallenge[:42], S256, false, "42 characters"},
		{"S256 not base64url", "+" + rfcChallenge[1:], S256, false, "not base64url"},
		{"S256 padded", rfcChallenge[:42] + "=", S256, false, "not base64url"},
		{"plain refused", rfcVerifier, Plain, false, "plain is not allowed"},
		{"missing method refused", rfcVerifier, "", false, "means plain"},
		{"plain allowed", rfcVerifier, Plain, true, ""},
		{"plain allowed, too short", "abc", Plain, true, "3 characters"},
		{"unknown method", rfcChallenge, "S384", true, "not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := CheckChallenge(tc.challenge, tc.method, tc.allowPlain)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("CheckChallenge: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("CheckChallenge: %v, want an error with %q", err, tc.wantErr)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(rfcChallenge, S256, rfcVerifier, false)
	f.Add("", "", rfcVerifier, true)
	f.Fuzz(func(t *testing.T, challenge, method, verifier string, allowPlain bool) {
		err := Verify(challenge, method, verifier, allowPlain)
		if err == nil && verifier != "" && CheckVerifier(verifier) != nil {
			t.Fatalf("a verifier of bad syntax passed")
		}
		if err == nil && challenge == "" && verifier != "" {
			t.Fatalf("a downgrade passed")
		}
	})
}
