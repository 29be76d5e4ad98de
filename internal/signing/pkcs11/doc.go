// Package pkcs11 signs with a private key that lives in a PKCS#11 token (an
// HSM, a cloud HSM, or SoftHSM) and never leaves it. Open finds the token and
// the key and returns a *Key, a crypto.Signer whose Sign runs inside the
// token; internal/signing puts it in the ring like any other signer.
//
// The PKCS#11 binding (github.com/miekg/pkcs11) needs cgo, so the real
// implementation is built only with the pkcs11 build tag and cgo:
//
//	CGO_ENABLED=1 go build -tags pkcs11 ./cmd/signet
//
// Without them, Available is false and Open returns ErrUnavailable, so the
// default build stays cgo-free.
//
// It imports nothing of ours: it knows neither the configuration file nor the
// ring, only a Config.
package pkcs11
