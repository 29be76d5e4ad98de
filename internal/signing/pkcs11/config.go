package pkcs11

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrUnavailable is returned by Open in a build without PKCS#11 support.
var ErrUnavailable = errors.New("this signet was built without PKCS#11 support: build it with cgo and -tags pkcs11 " +
	"(CGO_ENABLED=1 go build -tags pkcs11 ./cmd/signet; needs a C compiler)")

// Config says where the key is.
type Config struct {
	// Module is the path of the token's PKCS#11 library, e.g.
	// /usr/lib/softhsm/libsofthsm2.so.
	Module string
	// TokenLabel and Slot pick the token: by label, by slot ID, or both
	// (then they must agree). At least one is required.
	TokenLabel string
	Slot       *int
	// KeyLabel (CKA_LABEL) and KeyID (CKA_ID) pick the private key; at
	// least one is required, and together they must match one key.
	KeyLabel string
	KeyID    []byte
	// PIN is the user PIN. It is never logged or put in an error.
	PIN string
}

// ParseID decodes a key id (CKA_ID) written in hex, as pkcs11-tool and
// softhsm2-util print it: any case, with or without a 0x prefix, colons or
// spaces ("01", "0xA1B2", "a1:b2").
func ParseID(s string) ([]byte, error) {
	t := strings.NewReplacer(":", "", " ", "").Replace(strings.TrimSpace(s))
	t = strings.TrimPrefix(strings.TrimPrefix(t, "0x"), "0X")
	b, err := hex.DecodeString(t)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("key id %q is not hex: give the CKA_ID in hex, e.g. 01 or a1b2c3", s)
	}
	return b, nil
}

// String describes the configuration without the PIN.
func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "module %s", c.Module)
	if c.TokenLabel != "" {
		fmt.Fprintf(&b, " token %q", c.TokenLabel)
	}
	if c.Slot != nil {
		fmt.Fprintf(&b, " slot %d", *c.Slot)
	}
	if c.KeyLabel != "" {
		fmt.Fprintf(&b, " key %q", c.KeyLabel)
	}
	if len(c.KeyID) > 0 {
		fmt.Fprintf(&b, " id %s", hex.EncodeToString(c.KeyID))
	}
	if c.PIN != "" {
		b.WriteString(" pin (redacted)")
	}
	return b.String()
}

// GoString is String, so that %#v does not print the PIN either.
func (c Config) GoString() string { return "pkcs11.Config{" + c.String() + "}" }
