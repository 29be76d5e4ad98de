package sealed

import (
	"bytes"
	"errors"
	"testing"
)

// fuzzKEK and the envelope made with it and a fixed nonce are the only
// input FuzzOpen may accept.
var (
	fuzzKEK = bytes.Repeat([]byte{7}, KEKSize)
	fuzzKID = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
	fuzzAlg = "ES256"
)

func fuzzEnvelope(t testing.TB) []byte {
	data, err := sealWith(bytes.NewReader(make([]byte, nonceSize)), fuzzKEK, fuzzKID, fuzzAlg, []byte("a PKCS#8 key"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// FuzzOpen: Open never panics, and accepts nothing but the envelope
// sealed for that kid and algorithm (any change to the data, the kid or the
// algorithm is refused, with ErrOtherKEK or ErrCorrupt).
func FuzzOpen(f *testing.F) {
	good := fuzzEnvelope(f)
	f.Add(good, fuzzKID, fuzzAlg)
	f.Add(good, fuzzKID+"x", fuzzAlg)
	f.Add(good, fuzzKID, "ES384")
	f.Add(good[:headerLen], fuzzKID, fuzzAlg)
	f.Add([]byte("SGK1"), "", "")
	f.Add([]byte{}, fuzzKID, fuzzAlg)
	flipped := bytes.Clone(good)
	flipped[headerLen] ^= 1
	f.Add(flipped, fuzzKID, fuzzAlg)
	f.Fuzz(func(t *testing.T, data []byte, kid, alg string) {
		plain, err := Open(fuzzKEK, kid, alg, data)
		if err != nil {
			if !errors.Is(err, ErrOtherKEK) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("open error wraps neither ErrOtherKEK nor ErrCorrupt: %v", err)
			}
			return
		}
		if !bytes.Equal(data, good) || kid != fuzzKID || alg != fuzzAlg {
			t.Fatalf("open accepted a changed envelope (kid %q, alg %q, %x)", kid, alg, data)
		}
		if string(plain) != "a PKCS#8 key" {
			t.Fatalf("open returned %q", plain)
		}
	})
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	kek := bytes.Repeat([]byte{1}, KEKSize)
	data, err := Seal(kek, "kid", "RS256", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("secret")) {
		t.Fatal("plaintext in the envelope")
	}
	if got, err := Open(kek, "kid", "RS256", data); err != nil || string(got) != "secret" {
		t.Fatalf("open = %q, %v", got, err)
	}
	other := bytes.Repeat([]byte{2}, KEKSize)
	if _, err := Open(other, "kid", "RS256", data); !errors.Is(err, ErrOtherKEK) {
		t.Fatalf("open with another KEK = %v, want ErrOtherKEK", err)
	}
	for _, c := range []struct{ kid, alg string }{{"kid", "PS256"}, {"ki", "dRS256"}, {"other", "RS256"}} {
		if _, err := Open(kek, c.kid, c.alg, data); !errors.Is(err, ErrCorrupt) {
			t.Errorf("open for %s/%s = %v, want ErrCorrupt", c.kid, c.alg, err)
		}
	}
	if id := KEKID(kek); len(id) != 2*kekIDSize {
		t.Errorf("KEKID = %q", id)
	}
}
