package totp

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Key is a new TOTP secret and the Key URI that carries it to an app.
type Key struct {
	// Secret is base32 without padding; store it (encrypted) with the user
	// and show it, grouped by FormatSecret, for manual entry.
	Secret string
	// URI is the otpauth://totp/ Key URI (Google's Key Uri Format) that the
	// QR code encodes.
	URI string
}

// NewKey makes a 160-bit random secret for account at issuer. issuer is
// what the app shows above the code (the service's name); account tells the
// person which of their accounts it is (the user name or email). Neither
// may be empty, contain a colon (the label's separator) or a control
// character.
func NewKey(issuer, account string) (Key, error) {
	if err := checkLabelPart("issuer", issuer); err != nil {
		return Key{}, err
	}
	if err := checkLabelPart("account", account); err != nil {
		return Key{}, err
	}
	raw := make([]byte, SecretBytes)
	if _, err := rand.Read(raw); err != nil {
		return Key{}, fmt.Errorf("totp: reading random bytes: %w", err)
	}
	secret := b32.EncodeToString(raw)
	return Key{Secret: secret, URI: KeyURI(issuer, account, secret)}, nil
}

// KeyURI is the otpauth:// URI for an existing secret: the label
// "issuer:account" and the issuer parameter (both, as Google's format
// recommends, for apps that read only one), and every parameter spelled
// out although they are the defaults.
func KeyURI(issuer, account, secret string) string {
	label := escape(issuer) + ":" + escape(account)
	return "otpauth://totp/" + label +
		"?secret=" + secret +
		"&issuer=" + escape(issuer) +
		"&algorithm=" + Algorithm +
		"&digits=" + strconv.Itoa(Digits) +
		"&period=" + strconv.Itoa(int(Period.Seconds()))
}

// escape percent-encodes for both the label and a query value. Spaces are
// %20, not '+': some apps show a '+' literally.
func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

func checkLabelPart(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("totp: the %s is empty; give the name the authenticator app should show", what)
	case !utf8.ValidString(s):
		return fmt.Errorf("totp: the %s is not valid UTF-8", what)
	case strings.Contains(s, ":"):
		return fmt.Errorf("totp: the %s %q contains a colon, which the Key URI label uses as its separator", what, s)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return errors.New("totp: the " + what + " contains a control character")
	}
	return nil
}
