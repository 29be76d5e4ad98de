// Package dn parses, formats, encodes and compares X.509 distinguished names
// (the subject and issuer of a certificate) in the forms people type into
// makecert, .NET, Windows and OpenSSL:
//
//	CN=my-app-auth, O=Contoso\, Ltd, OU=Identity, C=US
//	CN=my-app-auth; O="Contoso, Ltd"; OU=Identity; C=US
//	OID.2.5.4.3=my-app-auth + UID=app42, DC=contoso, DC=com
//
// It owns the text syntax (RFC 4514 plus the RFC 1779 and Windows variants),
// the DER encoding that goes into x509.Certificate.RawSubject, the decoding of
// a certificate's RawSubject or RawIssuer, and the loose comparison used to
// find a certificate by subject.
//
// A Name is kept in DER order (most significant RDN first, C before CN), which
// is the reverse of the order in which the string form is written. String
// writes the .NET X500DistinguishedName.Name form ("CN=a, O=b, C=US", with
// " + " inside multi-valued RDNs and Windows-style quoting), and Parse reads
// back everything String writes.
//
// Values read from DER keep their original encoding: FromDER(der).DER()
// returns der again when der was valid DER (SET members sorted), so an issuer
// name copied from a parent certificate stays byte-for-byte identical.
//
// The package uses only the standard library and imports nothing else of
// Signet's; the rest of internal/certs may import it, it must not import them.
package dn
