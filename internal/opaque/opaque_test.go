package opaque_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/signetid/signet/internal/opaque"
)

func TestNewValidKey(t *testing.T) {
	t.Parallel()
	var ids [2]string
	for i := range ids {
		var err error
		if ids[i], err = opaque.New(nil); err != nil {
			t.Fatal(err)
		}
	}
	a, b := ids[0], ids[1]
	if raw, err := base64.RawURLEncoding.DecodeString(a); err != nil || len(raw)*8 != 256 || a == b {
		t.Errorf("New = %q, %q: want two different handles of 256 bits", a, b)
	}
	if !opaque.Valid(a) || opaque.Key(a) == a || opaque.Key(a) == opaque.Key(b) {
		t.Errorf("Valid(%q) = %v; Key = %q", a, opaque.Valid(a), opaque.Key(a))
	}
	for _, bad := range []string{"", a[1:], a + "A", a[:opaque.Len-1] + "=", strings.Repeat("A", opaque.Len-1) + "B", strings.Repeat("+", opaque.Len)} {
		if opaque.Valid(bad) {
			t.Errorf("Valid(%q) = true", bad)
		}
	}
	down := errors.New("no entropy")
	if h, err := opaque.New(iotest.ErrReader(down)); !errors.Is(err, down) || h != "" {
		t.Errorf("New on a failing reader = %q, %v", h, err)
	}
}
