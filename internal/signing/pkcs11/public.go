//go:build pkcs11 && cgo

package pkcs11

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/miekg/pkcs11"
)

// minRSABits is the smallest RSA key Open accepts.
const minRSABits = 2048

var curves = []struct {
	oid   asn1.ObjectIdentifier
	curve elliptic.Curve
}{
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}, elliptic.P256()},
	{asn1.ObjectIdentifier{1, 3, 132, 0, 34}, elliptic.P384()},
	{asn1.ObjectIdentifier{1, 3, 132, 0, 35}, elliptic.P521()},
}

// publicKey reads the public half of the private key: for RSA from the
// private key object's modulus and exponent (public attributes, readable
// even when the key is sensitive), for EC from the public key object with the
// same id (or, without an id, the same label).
func publicKey(m *module, s pkcs11.SessionHandle, priv keyRef) (crypto.PublicKey, error) {
	switch priv.keyType {
	case pkcs11.CKK_RSA:
		pub, err := rsaPublic(m, s, priv.handle)
		if err != nil {
			// Some tokens hide them on the private key: try the public one.
			pubs, ferr := matchingPublic(m, s, priv)
			if ferr != nil || len(pubs) == 0 {
				return nil, fmt.Errorf("read the RSA public key: %w", err)
			}
			pub, err = rsaPublic(m, s, pubs[0])
			if err != nil {
				return nil, fmt.Errorf("read the RSA public key: %w", err)
			}
		}
		return pub, nil
	case pkcs11.CKK_EC:
		attrs, err := m.ctx.GetAttributeValue(s, priv.handle, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, nil)})
		if err != nil {
			return nil, fmt.Errorf("read the EC key's curve: %w", err)
		}
		curve, err := ecCurve(attrs[0].Value)
		if err != nil {
			return nil, err
		}
		pubs, err := matchingPublic(m, s, priv)
		if err != nil {
			return nil, fmt.Errorf("find the EC public key: %w", err)
		}
		for _, h := range pubs {
			attrs, err := m.ctx.GetAttributeValue(s, h, []*pkcs11.Attribute{
				pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, nil),
				pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, nil),
			})
			if err != nil || len(attrs) != 2 {
				continue
			}
			if c, err := ecCurve(attrs[0].Value); err != nil || c != curve {
				continue
			}
			if pub, err := ecPoint(curve, attrs[1].Value); err == nil {
				return pub, nil
			}
		}
		return nil, errors.New("no public key object for this EC key: the token needs the public key too, with the same id (CKA_ID) as the private key")
	}
	return nil, fmt.Errorf("key type 0x%x is not supported: use an RSA key (2048 bits or more) or an EC key (P-256, P-384 or P-521)", priv.keyType)
}

// matchingPublic finds the public key objects with the private key's id, or,
// when it has none, its label.
func matchingPublic(m *module, s pkcs11.SessionHandle, priv keyRef) ([]pkcs11.ObjectHandle, error) {
	template := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, priv.keyType),
	}
	switch {
	case len(priv.id) > 0:
		template = append(template, pkcs11.NewAttribute(pkcs11.CKA_ID, priv.id))
	case priv.label != "":
		template = append(template, pkcs11.NewAttribute(pkcs11.CKA_LABEL, priv.label))
	default:
		return nil, nil
	}
	return findObjects(m, s, template)
}

func rsaPublic(m *module, s pkcs11.SessionHandle, h pkcs11.ObjectHandle) (*rsa.PublicKey, error) {
	attrs, err := m.ctx.GetAttributeValue(s, h, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_MODULUS, nil),
		pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, nil),
	})
	if err != nil {
		return nil, err
	}
	var n, e *big.Int
	for _, a := range attrs {
		switch a.Type {
		case pkcs11.CKA_MODULUS:
			n = new(big.Int).SetBytes(a.Value)
		case pkcs11.CKA_PUBLIC_EXPONENT:
			e = new(big.Int).SetBytes(a.Value)
		}
	}
	if n == nil || e == nil || n.Sign() == 0 || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 {
		return nil, errors.New("the modulus or public exponent is missing or invalid")
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}

// ecCurve decodes CKA_EC_PARAMS: a named curve's OID.
func ecCurve(params []byte) (elliptic.Curve, error) {
	var oid asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(params, &oid); err != nil || len(rest) > 0 {
		return nil, errors.New("the EC key's curve (CKA_EC_PARAMS) is not a named curve: use P-256, P-384 or P-521")
	}
	for _, c := range curves {
		if c.oid.Equal(oid) {
			return c.curve, nil
		}
	}
	return nil, fmt.Errorf("the EC key's curve %s is not supported: use P-256, P-384 or P-521", oid)
}

// ecPoint decodes CKA_EC_POINT: an uncompressed point in a DER OCTET STRING
// (or, from some older tokens, bare).
func ecPoint(curve elliptic.Curve, v []byte) (*ecdsa.PublicKey, error) {
	var inner []byte
	if rest, err := asn1.Unmarshal(v, &inner); err == nil && len(rest) == 0 {
		v = inner
	}
	size := (curve.Params().BitSize + 7) / 8
	if len(v) != 1+2*size || v[0] != 4 {
		return nil, errors.New("the EC public key is not an uncompressed point")
	}
	pub := &ecdsa.PublicKey{
		Curve: curve,
		X:     new(big.Int).SetBytes(v[1 : 1+size]),
		Y:     new(big.Int).SetBytes(v[1+size:]),
	}
	// Let crypto/ecdh check that the point is on the curve.
	if _, err := pub.ECDH(); err != nil {
		return nil, fmt.Errorf("the EC public key is invalid: %w", err)
	}
	return pub, nil
}
