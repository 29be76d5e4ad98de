package dn_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"
	"time"
)

// tlv builds a DER element with a one-byte tag from its parts.
func tlv(tag byte, parts ...[]byte) []byte {
	content := bytes.Join(parts, nil)
	out := []byte{tag}
	switch n := len(content); {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	return append(out, content...)
}

// atv builds an AttributeTypeAndValue from an OID and an encoded value.
func atv(oid asn1.ObjectIdentifier, value []byte) []byte {
	o, err := asn1.Marshal(oid)
	if err != nil {
		panic(err)
	}
	return tlv(0x30, o, value)
}

// rdn builds a SET of AttributeTypeAndValues, in the order given.
func rdn(atvs ...[]byte) []byte { return tlv(0x31, atvs...) }

// name builds an RDNSequence.
func name(rdns ...[]byte) []byte { return tlv(0x30, rdns...) }

// unhex decodes hex, ignoring spaces.
func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// checkDER decodes der with encoding/asn1, independently of the package, and
// fails the test unless it is an RDNSequence of non-empty SETs whose members
// are sorted as DER requires. It returns the value tags in DER order.
func checkDER(t *testing.T, der []byte) []int {
	t.Helper()
	var rdns []asn1.RawValue
	rest, err := asn1.Unmarshal(der, &rdns)
	if err != nil || len(rest) != 0 {
		t.Fatalf("DER % X is not a SEQUENCE OF: %v (%d bytes left)", der, err, len(rest))
	}
	var tags []int
	for i, r := range rdns {
		if r.Class != asn1.ClassUniversal || r.Tag != asn1.TagSet || !r.IsCompound {
			t.Fatalf("RDN %d is not a SET: % X", i, r.FullBytes)
		}
		var members []asn1.RawValue
		if rest, err := asn1.UnmarshalWithParams(r.FullBytes, &members, "set"); err != nil || len(rest) != 0 {
			t.Fatalf("RDN %d: %v", i, err)
		}
		if len(members) == 0 {
			t.Fatalf("RDN %d is empty", i)
		}
		for j, m := range members {
			if j > 0 && bytes.Compare(members[j-1].FullBytes, m.FullBytes) > 0 {
				t.Errorf("RDN %d: SET members not in DER order: % X before % X", i, members[j-1].FullBytes, m.FullBytes)
			}
			var a struct {
				Type  asn1.ObjectIdentifier
				Value asn1.RawValue
			}
			if rest, err := asn1.Unmarshal(m.FullBytes, &a); err != nil || len(rest) != 0 {
				t.Fatalf("RDN %d attribute %d: %v", i, j, err)
			}
			tags = append(tags, a.Value.Tag)
		}
	}
	return tags
}

// selfSigned returns a DER certificate whose subject and issuer are the
// DER-encoded name subject.
func selfSigned(t *testing.T, subject []byte) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		RawSubject:   subject,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("CreateCertificate with RawSubject % X: %v", subject, err)
	}
	return der
}
