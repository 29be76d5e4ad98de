// Package certs owns signing certificates as files: it creates self-signed
// certificates, reads and writes PKCS#12 (.pfx/.p12), PEM, DER and PVK, computes
// thumbprints the way Windows and .NET show them, and judges whether a
// certificate and key can sign tokens.
//
// It knows nothing of HTTP, configuration or storage; the certificate store
// (internal/certstore) and the server's key sources build on it. Its
// subpackages hold the parsers that have no home in the standard library:
// dn (distinguished names), pvk (Microsoft PVK) and pkcs8 (encrypted PKCS#8).
package certs
