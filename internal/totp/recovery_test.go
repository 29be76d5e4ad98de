package totp

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

var codeShape = regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$`)

func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	codes, err := NewRecoveryCodes()
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != RecoveryCodeCount {
		t.Fatalf("%d codes", len(codes))
	}
	seen := map[string]bool{}
	hashes := make([]string, len(codes))
	for i, c := range codes {
		if !codeShape.MatchString(c) {
			t.Errorf("code %q is not xxxxx-xxxxx in the unambiguous alphabet", c)
		}
		if seen[c] {
			t.Errorf("code %q twice", c)
		}
		seen[c] = true
		if hashes[i], err = HashRecoveryCode(c); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(hashes[i], strings.ReplaceAll(c, "-", "")) {
			t.Errorf("hash %q contains the code", hashes[i])
		}
	}
	// Each code matches its own hash once; the caller removes it, and then
	// the same code is refused.
	for _, c := range codes {
		i, err := MatchRecoveryCode(hashes, c)
		if err != nil || hashes[i] == "" {
			t.Fatalf("code %q: %d, %v", c, i, err)
		}
		if h, _ := HashRecoveryCode(c); h == hashes[i] {
			t.Error("two hashes of one code are equal: no salt")
		}
		hashes = append(hashes[:i], hashes[i+1:]...)
		if _, err := MatchRecoveryCode(hashes, c); !errors.Is(err, ErrWrongRecoveryCode) {
			t.Errorf("code %q used twice: %v", c, err)
		}
	}
	if len(hashes) != 0 {
		t.Errorf("%d hashes left", len(hashes))
	}
}

func TestRecoveryCodesDiffer(t *testing.T) {
	t.Parallel()
	a, _ := NewRecoveryCodes()
	b, _ := NewRecoveryCodes()
	for _, x := range a {
		for _, y := range b {
			if x == y {
				t.Errorf("code %q in two sets", x)
			}
		}
	}
}

func TestMatchRecoveryCodeInputForms(t *testing.T) {
	t.Parallel()
	h, err := HashRecoveryCode("01abc-defgh")
	if err != nil {
		t.Fatal(err)
	}
	hashes := []string{h}
	for _, in := range []string{"01abc-defgh", "01ABC-DEFGH", "01abcdefgh", " 01abc defgh ", "OIabc-defgh", "olabc-defgh"} {
		if i, err := MatchRecoveryCode(hashes, in); err != nil || i != 0 {
			t.Errorf("%q: %d, %v", in, i, err)
		}
	}
	for _, in := range []string{"", "01abc-defg", "01abc-defghj", "01abc--defgh", "01abu-defgh", "01abc_defgh", "01abc-défgh", strings.Repeat(" ", 100) + "01abc-defgh"} {
		if _, err := MatchRecoveryCode(hashes, in); !errors.Is(err, ErrMalformedRecoveryCode) {
			t.Errorf("%q: %v, want ErrMalformedRecoveryCode", in, err)
		}
	}
	if _, err := MatchRecoveryCode(hashes, "01abc-defgj"); !errors.Is(err, ErrWrongRecoveryCode) {
		t.Errorf("wrong code: %v", err)
	}
	for _, bad := range []string{"", "s256$00$00", "md5$" + strings.Repeat("0", 32) + "$" + strings.Repeat("0", 64), h + "$"} {
		if _, err := MatchRecoveryCode([]string{bad}, "01abc-defgh"); !errors.Is(err, ErrBadRecoveryHash) {
			t.Errorf("stored %q: %v, want ErrBadRecoveryHash", bad, err)
		}
	}
}

// FuzzMatchRecoveryCode: arbitrary input never panics, and is accepted only
// if it normalizes to the stored code.
func FuzzMatchRecoveryCode(f *testing.F) {
	h, err := HashRecoveryCode("7k3qd-x9m2p")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"7k3qd-x9m2p", "7K3QD X9M2P", "7k3qdx9m2p", "7k3qd-x9m2", "", "--", "ＯＩ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		i, err := MatchRecoveryCode([]string{h}, in)
		if err != nil {
			if !errors.Is(err, ErrMalformedRecoveryCode) && !errors.Is(err, ErrWrongRecoveryCode) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		norm := strings.NewReplacer(" ", "", "-", "").Replace(strings.ToLower(in))
		if i != 0 || norm != "7k3qdx9m2p" {
			t.Fatalf("accepted %q", in)
		}
	})
}
