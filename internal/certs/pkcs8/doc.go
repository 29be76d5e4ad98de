// Package pkcs8 encrypts and decrypts PKCS#8 private keys: the DER inside an
// "ENCRYPTED PRIVATE KEY" PEM block, an EncryptedPrivateKeyInfo (RFC 5958
// §3). The standard library parses only the unencrypted form
// (x509.ParsePKCS8PrivateKey), so this package sits between the PEM decoder
// and it: Decrypt turns the encrypted DER into the unencrypted DER, Encrypt
// does the reverse, and Describe names the scheme without a password.
//
// It writes one modern scheme, PBES2 (RFC 8018) with PBKDF2-HMAC-SHA256 and
// AES-256-CBC, and reads what OpenSSL, Java and .NET commonly write: PBES2
// with PBKDF2 (HMAC-SHA1, -SHA224, -SHA256, -SHA384 or -SHA512) and AES-CBC
// or DES-EDE3-CBC, and the PKCS#12 scheme pbeWithSHAAnd3-KeyTripleDES-CBC
// (RFC 7292 appendix B and C). Anything else (RC2, RC4, single DES, MD2/MD5,
// scrypt, ...) is refused with ErrUnsupported and an error that names the
// algorithm and the openssl command that re-encrypts the key.
//
// For PKCS#12 (.pfx) files, whose password-based pieces are the same
// schemes, DecryptData decrypts encrypted content (such as the certificates
// of a .pfx) given its algorithm identifier, with no PKCS#8 structure
// around it and a caller-chosen iteration limit. It also reads
// pbeWithSHAAnd128BitRC2-CBC and pbeWithSHAAnd40BitRC2-CBC, which OpenSSL's
// -legacy option and old Windows and Java use for certificates (RC2, of
// RFC 2268, is implemented here: neither the standard library nor
// golang.org/x/crypto exports one). PKCS12MAC computes
// a .pfx file's MAC: the PKCS#12 key derivation with SHA-1 or SHA-2, or
// PBMAC1.
//
// The package owns only the byte transformation. It does not read files or
// prompt for passwords, does not decode PEM, and does not parse the key
// inside: callers pass the plaintext to x509.ParsePKCS8PrivateKey. It imports
// the standard library only, and nothing of Signet's.
package pkcs8
