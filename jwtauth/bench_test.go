package jwtauth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
)

// BenchmarkValidate validates a token with a cached key: the whole cost an
// API pays per request. Compare it with BenchmarkVerifyRaw, the signature
// check alone, in the same run:
//
//	go test -run '^$' -bench 'Validate|VerifyRaw' -benchmem ./jwtauth/
func BenchmarkValidate(b *testing.B) {
	iss := "https://issuer.example.com"
	for _, name := range []string{"rsa", "p256"} {
		k := key(name)
		v := staticValidator(b, iss, nil, k)
		tok := sign(b, k, nil, claimsFor(iss))
		b.Run(k.alg, func(b *testing.B) {
			b.ReportAllocs()
			ctx := b.Context()
			for b.Loop() {
				if _, err := v.Validate(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyRaw is only the cryptography of the same tokens: SHA-256
// of the signing input, then rsa.VerifyPKCS1v15 or ecdsa.Verify.
func BenchmarkVerifyRaw(b *testing.B) {
	iss := "https://issuer.example.com"
	for _, name := range []string{"rsa", "p256"} {
		k := key(name)
		tok := sign(b, k, nil, claimsFor(iss))
		dot := strings.LastIndexByte(tok, '.')
		input := []byte(tok[:dot])
		sig, err := base64.RawURLEncoding.DecodeString(tok[dot+1:])
		if err != nil {
			b.Fatal(err)
		}
		b.Run(k.alg, func(b *testing.B) {
			b.ReportAllocs()
			switch pub := k.priv.Public().(type) {
			case *rsa.PublicKey:
				for b.Loop() {
					h := sha256.Sum256(input)
					if rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig) != nil {
						b.Fatal("bad signature")
					}
				}
			case *ecdsa.PublicKey:
				r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
				for b.Loop() {
					h := sha256.Sum256(input)
					if !ecdsa.Verify(pub, h[:], r, s) {
						b.Fatal("bad signature")
					}
				}
			}
		})
	}
}
