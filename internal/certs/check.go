package certs

import (
	"crypto/x509"
	"fmt"
	"time"

	"github.com/signetid/signet/internal/certs/dn"
)

// Severity says whether a finding stops a certificate from signing.
type Severity string

const (
	// Blocker: the credential cannot sign tokens.
	Blocker Severity = "error"
	// Warning: it can sign, but something needs attention.
	Warning Severity = "warning"
)

// Finding is one problem with a credential, with what to do about it.
type Finding struct {
	Severity Severity `json:"severity"`
	// Code is stable, for scripts: no-private-key, key-mismatch, weak-key,
	// unsupported-key, no-digital-signature, expired, not-yet-valid.
	Code    string `json:"code"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// Check judges whether a credential can sign tokens at time now, listing
// every problem found. No Blocker finding means it can.
func Check(cred *Credential, now time.Time) []Finding {
	var fs []Finding
	cert := cred.Certificate
	pub := DescribeKey(cert.PublicKey)
	if cred.Key == nil {
		fs = append(fs, Finding{Blocker, "no-private-key",
			"it holds no private key: a certificate alone (a .cer) can verify tokens but not sign them",
			"point the server at the .pfx, or import the .pfx, not the .cer (signet cert convert makes a .pfx from a .pvk and a .cer)"})
	} else if !KeyMatches(cert, cred.Key) {
		fs = append(fs, Finding{Blocker, "key-mismatch",
			"the private key does not belong to the certificate",
			"pair the certificate with the key that was made with it"})
	}
	switch {
	case pub.Algorithm == "RSA" && pub.Bits < MinRSABits:
		fs = append(fs, Finding{Blocker, "weak-key",
			fmt.Sprintf("its RSA key has %d bits; tokens need at least %d (RFC 7518 §3.3), and APIs reject smaller keys", pub.Bits, MinRSABits),
			"create a new certificate: signet cert create --key rsa:2048 (or ec:P-256)"})
	case SigningAlgorithms(cert.PublicKey) == nil:
		fs = append(fs, Finding{Blocker, "unsupported-key",
			fmt.Sprintf("its %s key cannot sign JWTs with the algorithms Signet allows (RS256, PS256, ES256, ES384, ES512)", pub),
			"create a new certificate: signet cert create --key rsa:2048 (or ec:P-256)"})
	}
	if cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		fs = append(fs, Finding{Blocker, "no-digital-signature",
			"its key usage does not include digitalSignature, so validators that honour key usage refuse its signatures (makecert -sky exchange makes such certificates)",
			"create a signing certificate: signet cert create (it sets digitalSignature, like makecert -sky signature)"})
	}
	switch {
	case now.After(cert.NotAfter):
		fs = append(fs, Finding{Warning, "expired",
			fmt.Sprintf("it expired on %s (%s ago); tokens still validate with it, but validators that check the certificate's dates refuse them", cert.NotAfter.UTC().Format(time.DateTime+" UTC"), Ago(now.Sub(cert.NotAfter))),
			"create a new certificate and roll over to it"})
	case now.Before(cert.NotBefore):
		fs = append(fs, Finding{Warning, "not-yet-valid",
			fmt.Sprintf("it is not valid until %s (in %s)", cert.NotBefore.UTC().Format(time.DateTime+" UTC"), Ago(cert.NotBefore.Sub(now))),
			"wait, or create it with an earlier --not-before"})
	}
	return fs
}

// CanSign reports whether findings contain no Blocker.
func CanSign(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == Blocker {
			return false
		}
	}
	return true
}

// Ago renders a duration the way people say it: "3 days", "5 hours", "2 minutes".
func Ago(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d >= 2*365*24*time.Hour:
		return plural(int(d/(365*24*time.Hour)), "year")
	case d >= 48*time.Hour:
		return plural(int(d/(24*time.Hour)), "day")
	case d >= 2*time.Hour:
		return plural(int(d/time.Hour), "hour")
	case d >= 2*time.Minute:
		return plural(int(d/time.Minute), "minute")
	}
	return plural(int(d/time.Second), "second")
}

// SubjectString formats the certificate's subject as .NET shows it
// ("CN=my-app-auth, O=Contoso, C=US").
func SubjectString(cert *x509.Certificate) string {
	if n, err := dn.FromDER(cert.RawSubject); err == nil {
		return n.String()
	}
	return cert.Subject.String()
}

// IssuerString formats the certificate's issuer like SubjectString.
func IssuerString(cert *x509.Certificate) string {
	if n, err := dn.FromDER(cert.RawIssuer); err == nil {
		return n.String()
	}
	return cert.Issuer.String()
}
