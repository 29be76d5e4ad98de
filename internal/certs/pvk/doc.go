// Package pvk reads and writes Microsoft PVK private key files, the format that
// makecert, pvk2pfx and "openssl rsa -outform PVK" use.
//
// # What it owns
//
// The PVK container and the CryptoAPI PRIVATEKEYBLOB inside it, for RSA keys:
//
//   - the 24-byte file header (magic 0xB0B5F11E, key spec, encrypted flag,
//     salt and blob lengths), read by [Peek] without a password;
//   - RC4 encryption keyed by SHA-1(salt || password), in its 128-bit
//     ("strong") and 40-bit ("weak") forms (OpenSSL's -pvk-strong and
//     -pvk-weak);
//   - conversion between the blob's little-endian integers and a validated
//     [crypto/rsa.PrivateKey], in [Decode] and [Encode].
//
// DSA ("DSS2") blobs are recognised and refused with [ErrUnsupportedKey]:
// Signet signs tokens with RSA only. Public-key-only blobs are refused too.
//
// # What it does not do
//
// It does not read or write files, prompt for passwords, import keys into a
// Windows key store, or decide what a key is used for. Callers pass bytes in
// and get bytes or a key back.
//
// It must import only the standard library, never another Signet package, so
// that any package (internal/certs, cmd/signet's cert command) may use it.
//
// # Compatibility
//
// Interoperability with OpenSSL 3 (crypto/pem/pvkfmt.c) is tested both ways
// when the openssl tool is installed. The password is hashed as the raw bytes
// given, with no terminating NUL and no character set conversion, which is what
// OpenSSL does. Other tools may hash a different encoding of a non-ASCII
// password, so ASCII passwords are the portable choice. RC4 and SHA-1 are weak:
// PVK encryption protects a key in transit, not at rest. Prefer PKCS#8 or
// PKCS#12 where the other side allows it.
//
// OpenSSL records a key's exact modulus size (1023 for a 1023-bit key);
// CryptoAPI documents it as a multiple of 8, so Encode rounds it up. The
// component sizes are the same either way, and Decode reads both.
package pvk
