// Package signing turns configured credentials into the keys that sign and
// validate tokens: it loads them from their sources (Development, File,
// Store, Pkcs11; Managed keys come from the subpackage managed), picks the
// one that signs per algorithm, publishes all of them as a JWKS, and signs
// JWTs.
//
// The signer of a Key is a crypto.Signer (sign a digest, give the public
// key) with the Key's Algorithm: an in-memory key, a PKCS#11 token
// (subpackage pkcs11), or any remote key service that implements those
// two methods, without a change to the token path.
//
// This is the key path of docs/architecture.md: sources are read at
// startup (and on reload, or by the managed rotator), and the Ring they
// make is what the token path uses: its JWKS bytes are encoded once per
// change, keys are swapped atomically (Replace), and signing reads no file.
//
// A Ring given an internal/observe Observer (SetObserver) reports each key
// it takes in (key.loaded).
//
// It builds on internal/certs, internal/certstore and internal/observe,
// and knows nothing of HTTP or of the configuration file's shape.
package signing
