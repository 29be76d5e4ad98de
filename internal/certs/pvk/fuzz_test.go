package pvk

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds Decode and Peek arbitrary files and passwords. Neither may
// panic or modify its input; every error wraps one of the package's
// sentinels; Peek may only fail where Decode fails the same way; and any key
// Decode returns must be valid and survive Encode and Decode unchanged.
//
// Seeds are the openssl-made fixtures with their passwords; crashers found
// are kept in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.pvk"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed fixtures in testdata (run testdata/make-fixtures.sh): %v", err)
	}
	for _, name := range files {
		data := readFixture(f, filepath.Base(name))
		for _, pw := range []string{"", fixturePassword, fixturePasswordUTF8} {
			f.Add(data, []byte(pw))
		}
	}
	sentinels := []error{ErrNotPVK, ErrPasswordRequired, ErrWrongPassword, ErrUnsupportedKey, ErrMalformed}

	f.Fuzz(func(t *testing.T, data, password []byte) {
		orig := bytes.Clone(data)
		key, info, err := Decode(data, password)
		peeked, perr := Peek(data)
		if !bytes.Equal(data, orig) {
			t.Fatal("Decode or Peek modified its input")
		}
		if perr != nil && (err == nil || err.Error() != perr.Error()) {
			t.Fatalf("Peek failed with %q but Decode returned %v", perr, err)
		}
		if err != nil {
			if key != nil {
				t.Fatalf("Decode returned a key and the error %v", err)
			}
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("Decode error %q wraps none of the package's sentinels", err)
		}

		if err := key.Validate(); err != nil {
			t.Fatalf("Decode returned an invalid key: %v", err)
		}
		if info.Bits != key.N.BitLen() {
			t.Fatalf("info.Bits = %d, key is %d bits", info.Bits, key.N.BitLen())
		}
		if peeked.KeySpec != info.KeySpec || peeked.Encrypted() != info.Encrypted() {
			t.Fatalf("Peek = %+v disagrees with Decode = %+v", peeked, info)
		}
		if !info.Encrypted() && peeked.Bits != info.Bits {
			t.Fatalf("Peek.Bits = %d, Decode.Bits = %d", peeked.Bits, info.Bits)
		}

		spec := info.KeySpec
		if spec != KeyExchange {
			spec = Signature
		}
		out, err := Encode(key, EncodeOptions{Password: password, Weak: info.Encryption == RC4Weak && len(password) > 0, KeySpec: spec})
		if err != nil {
			t.Fatalf("Encode refused a key Decode accepted: %v", err)
		}
		again, _, err := Decode(out, password)
		if err != nil {
			t.Fatalf("Decode of Encode's output: %v", err)
		}
		assertSameKey(t, again, key)
	})
}
