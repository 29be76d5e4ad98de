package pkcs11

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestConfigHidesPIN(t *testing.T) {
	slot := 3
	c := Config{Module: "/m.so", TokenLabel: "t", Slot: &slot, KeyLabel: "k", KeyID: []byte{1, 2}, PIN: "hunter2"}
	for _, s := range []string{c.String(), fmt.Sprintf("%v %+v %#v %s", c, c, c, c)} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("%q shows the PIN", s)
		}
	}
	if want := `module /m.so token "t" slot 3 key "k" id 0102 pin (redacted)`; c.String() != want {
		t.Errorf("String() = %q, want %q", c.String(), want)
	}
}

func TestUnavailable(t *testing.T) {
	if Available {
		t.Skip("built with PKCS#11 support")
	}
	if os.Getenv("SIGNET_TEST_REQUIRE_SOFTHSM") == "1" {
		// Without cgo (no C compiler) the tag alone gives this build, and
		// the SoftHSM tests would silently not be compiled.
		t.Fatal("SIGNET_TEST_REQUIRE_SOFTHSM=1 but this test was built without PKCS#11 support: " +
			"run it with -tags pkcs11 and cgo (CGO_ENABLED=1 and a C compiler)")
	}
	k, err := Open(Config{Module: "/usr/lib/softhsm/libsofthsm2.so", TokenLabel: "t", KeyLabel: "k", PIN: "p"})
	if k != nil || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open = %v, %v; want ErrUnavailable", k, err)
	}
	if !strings.Contains(err.Error(), "-tags pkcs11") {
		t.Errorf("error %q does not say how to build", err)
	}
}

func TestParseID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // hex; "" for an error
	}{
		{"01", "01"},
		{"0xA1B2", "a1b2"},
		{"a1:b2:C3", "a1b2c3"},
		{" de ad ", "dead"},
		{"", ""},
		{"0x", ""},
		{"xyz", ""},
		{"abc", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			b, err := ParseID(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("ParseID(%q) = %x, want an error", tc.in, b)
				}
				return
			}
			if err != nil || fmt.Sprintf("%x", b) != tc.want {
				t.Fatalf("ParseID(%q) = %x, %v; want %s", tc.in, b, err, tc.want)
			}
		})
	}
}
