package totp

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// rfcSecret is the SHA-1 seed of RFC 4226 Appendix D and RFC 6238
// Appendix B, and rfcSecretB32 the same bytes as Verify takes them.
const (
	rfcSecret    = "12345678901234567890"
	rfcSecretB32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
)

func TestHOTPRFC4226AppendixD(t *testing.T) {
	t.Parallel()
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for count, w := range want {
		if got := hotp([]byte(rfcSecret), uint64(count), 6); got != w {
			t.Errorf("HOTP count %d = %s, want %s", count, got, w)
		}
	}
}

func TestTOTPRFC6238AppendixB(t *testing.T) {
	t.Parallel()
	// The SHA-1 rows: the RFC prints 8 digits.
	rows := []struct {
		unix int64
		step int64
		code string
	}{
		{59, 0x1, "94287082"},
		{1111111109, 0x23523EC, "07081804"},
		{1111111111, 0x23523ED, "14050471"},
		{1234567890, 0x273EF07, "89005924"},
		{2000000000, 0x3F940AA, "69279037"},
		{20000000000, 0x27BC86AA, "65353130"},
	}
	for _, r := range rows {
		now := time.Unix(r.unix, 0).UTC()
		if s := Step(now); s != r.step {
			t.Errorf("Step(%d) = %#x, want %#x", r.unix, s, r.step)
		}
		if got := hotp([]byte(rfcSecret), uint64(Step(now)), 8); got != r.code {
			t.Errorf("TOTP(%d) = %s, want %s", r.unix, got, r.code)
		}
		// The 6-digit code is the low six digits, and Verify takes it.
		six := r.code[2:]
		if got, err := Code(rfcSecretB32, now); err != nil || got != six {
			t.Errorf("Code(%d) = %q, %v, want %s", r.unix, got, err, six)
		}
		step, err := Verify(rfcSecretB32, six, now, 0)
		if err != nil || step != r.step {
			t.Errorf("Verify(%d, %s) = %d, %v, want %d", r.unix, six, step, err, r.step)
		}
	}
}

func TestStepFloorsBefore1970(t *testing.T) {
	t.Parallel()
	if s := Step(time.Unix(-1, 0)); s != -1 {
		t.Errorf("Step(-1s) = %d, want -1", s)
	}
	if _, err := Code(rfcSecretB32, time.Unix(-1, 0)); err == nil {
		t.Error("Code before 1970 succeeded")
	}
	if _, err := Verify(rfcSecretB32, "000000", time.Unix(-100, 0), 0); !errors.Is(err, ErrWrongCode) {
		t.Errorf("Verify before 1970 = %v, want ErrWrongCode", err)
	}
}

func TestVerifyWindow(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 3, 0, 10, 0, time.UTC)
	cur := Step(now)
	for _, d := range []int64{-2, -1, 0, 1, 2} {
		at := time.Unix((cur+d)*30, 0)
		code, err := Code(rfcSecretB32, at)
		if err != nil {
			t.Fatal(err)
		}
		step, err := Verify(rfcSecretB32, code, now, 0)
		switch d {
		case -1, 0, 1:
			if err != nil || step != cur+d {
				t.Errorf("step %+d: Verify = %d, %v, want %d accepted", d, step, err, cur+d)
			}
		default:
			if !errors.Is(err, ErrWrongCode) {
				t.Errorf("step %+d: Verify = %d, %v, want ErrWrongCode", d, step, err)
			}
		}
	}
	// The window edges are step boundaries: the last second of the step
	// after next is still outside, the first second of the next step in.
	code, _ := Code(rfcSecretB32, now)
	if _, err := Verify(rfcSecretB32, code, time.Unix((cur+2)*30-1, 0), 0); err != nil {
		t.Errorf("code of step s at the last second of s+1: %v", err)
	}
	if _, err := Verify(rfcSecretB32, code, time.Unix((cur+2)*30, 0), 0); !errors.Is(err, ErrWrongCode) {
		t.Errorf("code of step s at the first second of s+2: %v, want ErrWrongCode", err)
	}
}

func TestVerifyRefusesReuse(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 3, 0, 10, 0, time.UTC)
	code, _ := Code(rfcSecretB32, now)
	step, err := Verify(rfcSecretB32, code, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The same code again, now and 30 s later while it is still in the window.
	for _, at := range []time.Time{now, now.Add(Period)} {
		if _, err := Verify(rfcSecretB32, code, at, step); !errors.Is(err, ErrReusedCode) {
			t.Errorf("reuse at %v: %v, want ErrReusedCode", at, err)
		}
	}
	// An older code that was never used is refused too once a later one was:
	// the step, not the code, is what is remembered.
	older, _ := Code(rfcSecretB32, now.Add(-Period))
	if _, err := Verify(rfcSecretB32, older, now, step); !errors.Is(err, ErrReusedCode) {
		t.Errorf("older step after a newer one: %v, want ErrReusedCode", err)
	}
	// The next code is accepted.
	next, _ := Code(rfcSecretB32, now.Add(Period))
	if s, err := Verify(rfcSecretB32, next, now.Add(Period), step); err != nil || s != step+1 {
		t.Errorf("next code: %d, %v", s, err)
	}
}

func TestVerifyCodeFormats(t *testing.T) {
	t.Parallel()
	now := time.Unix(1234567890, 0)
	// 89005924 in RFC 6238 is 005924 in six digits.
	for _, in := range []string{"005924", "005 924", " 005924 ", "0 0 5 9 2 4", "005  924"} {
		if _, err := Verify(rfcSecretB32, in, now, 0); err != nil {
			t.Errorf("Verify(%q) = %v, want accepted", in, err)
		}
	}
	malformed := []string{
		"", "      ", "05924", "0059240", "005-924", "005\t924", "005924\n", "OO5924",
		"５924", "00592a", "+05924", "-05924", "005924" + strings.Repeat(" ", 40), "\x00005924",
	}
	for _, in := range malformed {
		if _, err := Verify(rfcSecretB32, in, now, 0); !errors.Is(err, ErrMalformedCode) {
			t.Errorf("Verify(%q) = %v, want ErrMalformedCode", in, err)
		}
	}
	if _, err := Verify(rfcSecretB32, "005925", now, 0); !errors.Is(err, ErrWrongCode) {
		t.Errorf("wrong code: %v, want ErrWrongCode", err)
	}
}

func TestVerifyRefusesBadSecrets(t *testing.T) {
	t.Parallel()
	now := time.Unix(1234567890, 0)
	for _, s := range []string{
		"",
		"GEZDGNBVGY3TQOJQ",                   // 80 bits: under RFC 4226's 128
		"gezdgnbvgy3tqojqgezdgnbvgy3tqojq",   // lower case: not what NewKey writes
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ=",  // padded
		"GEZD GNBV GY3T QOJQ GEZD GNBV GY3T", // spaces
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1",   // 1 is not base32
	} {
		if _, err := Verify(s, "005924", now, 0); !errors.Is(err, ErrBadSecret) {
			t.Errorf("secret %q: %v, want ErrBadSecret", s, err)
		}
	}
}

func TestFormatSecret(t *testing.T) {
	t.Parallel()
	if got := FormatSecret("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"); got != "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP" {
		t.Errorf("FormatSecret = %q", got)
	}
	if got := FormatSecret("ABCDEF"); got != "ABCD EF" {
		t.Errorf("FormatSecret = %q", got)
	}
}

// FuzzVerify feeds arbitrary input as the code, time and last step: it must
// never panic, and anything accepted must be six digits once spaces are
// dropped, the code of the returned step, within one step of now and after
// lastUsedStep.
func FuzzVerify(f *testing.F) {
	f.Add("287082", int64(59), int64(0))
	f.Add("287 082", int64(59), int64(0))
	f.Add("005924", int64(1234567890), int64(0x273EF06))
	f.Add("005924", int64(1234567890), int64(0x273EF07))
	f.Add("0059245", int64(1234567890), int64(0))
	f.Add("", int64(-1), int64(-5))
	f.Add("９９９９９９", int64(0), int64(0))
	f.Fuzz(func(t *testing.T, code string, unix, last int64) {
		now := time.Unix(unix, 0)
		step, err := Verify(rfcSecretB32, code, now, last)
		if err != nil {
			if !errors.Is(err, ErrMalformedCode) && !errors.Is(err, ErrWrongCode) && !errors.Is(err, ErrReusedCode) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		digits := strings.ReplaceAll(code, " ", "")
		if len(digits) != Digits || strings.Trim(digits, "0123456789") != "" {
			t.Fatalf("accepted %q", code)
		}
		cur := Step(now)
		if step <= last || step < cur-Skew || step > cur+Skew {
			t.Fatalf("accepted step %d at %d with last %d", step, cur, last)
		}
		if want := hotp([]byte(rfcSecret), uint64(step), Digits); want != digits {
			t.Fatalf("accepted %q for step %d whose code is %s", code, step, want)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	key, err := NewKey("Signet", "alice@example.com")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	code, _ := Code(key.Secret, now)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(key.Secret, code, now, 0); err != nil {
			b.Fatal(err)
		}
	}
}
