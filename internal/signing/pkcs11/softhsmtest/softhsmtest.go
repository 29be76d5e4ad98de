//go:build pkcs11 && cgo

// Package softhsmtest makes key pairs inside a PKCS#11 token for tests
// (SoftHSM2), as an HSM holds them: the private half sensitive and not
// extractable. It is shared by the pkcs11 package's tests and the command's.
package softhsmtest

import (
	"github.com/miekg/pkcs11"
)

// OIDs of the EC curves, DER-encoded as CKA_EC_PARAMS takes them.
var (
	OIDP256 = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}
	OIDP384 = []byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22}
)

// KeyPair is a key pair to make: RSA of RSABits, or (RSABits 0) EC on the
// curve of Curve (an OID above).
type KeyPair struct {
	Label   string
	ID      []byte
	RSABits int
	Curve   []byte
}

// Generate makes k with C_GenerateKeyPair in the token of session s (a
// read-write session, logged in as the user), and returns the handle of
// its public key object.
func Generate(ctx *pkcs11.Ctx, s pkcs11.SessionHandle, k KeyPair) (pkcs11.ObjectHandle, error) {
	pub := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, k.Label),
		pkcs11.NewAttribute(pkcs11.CKA_ID, k.ID),
	}
	priv := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, k.Label),
		pkcs11.NewAttribute(pkcs11.CKA_ID, k.ID),
	}
	var mech *pkcs11.Mechanism
	if k.RSABits > 0 {
		mech = pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN, nil)
		pub = append(pub,
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS_BITS, k.RSABits),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}))
	} else {
		mech = pkcs11.NewMechanism(pkcs11.CKM_EC_KEY_PAIR_GEN, nil)
		pub = append(pub, pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, k.Curve))
	}
	ph, _, err := ctx.GenerateKeyPair(s, []*pkcs11.Mechanism{mech}, pub, priv)
	return ph, err
}
