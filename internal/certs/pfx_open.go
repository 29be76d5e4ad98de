package certs

import (
	"crypto"
	"crypto/hmac"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/signetid/signet/internal/certs/pkcs8"
)

// errPFXLayout marks the errors for PKCS#12 files that are well formed but
// laid out in a way go-pkcs12 does not read.
var errPFXLayout = errors.New("the PKCS#12 file is laid out in a way Signet does not read")

// reexport is how to rewrite a PKCS#12 file in the layout every reader
// takes; edit, if not empty, is a step between extracting and exporting.
func reexport(edit string) string {
	if edit != "" {
		edit += ", "
	}
	return "export it again: openssl pkcs12 -in old.pfx -nodes -out all.pem (add -legacy if OpenSSL names an unsupported algorithm), " +
		edit + "then openssl pkcs12 -export -in all.pem -out new.pfx, and delete all.pem, which holds the key unencrypted"
}

func layoutError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errPFXLayout, fmt.Sprintf(format, args...))
}

// checkLayout refuses, before any password is asked for, an authenticated
// safe go-pkcs12 will not read: it takes one or two content items, the
// layout of OpenSSL, Windows, Java and NSS.
func (f *pfxFile) checkLayout() error {
	switch n := len(f.items); {
	case n == 0:
		return errors.New("the PKCS#12 file is empty: it holds no content at all")
	case n > 2:
		return layoutError("it splits its contents into %d parts (authenticated-safe items), and Signet reads one or two, as OpenSSL, Windows and Java write them: %s", n, reexport(""))
	}
	return nil
}

// pfxResult is what go-pkcs12 made of a PKCS#12 file.
type pfxResult struct {
	key   crypto.PrivateKey
	cert  *x509.Certificate
	chain []*x509.Certificate
	// err is go-pkcs12's error, or a layout error in its place.
	err error
}

// pfxPassword is one password as go-pkcs12 derives keys from it.
type pfxPassword struct {
	// utf8 is the password with any invalid UTF-8 byte read as U+FFFD, as
	// go-pkcs12's BMPString conversion reads it.
	utf8 []byte
	// absent is the zero-length password go-pkcs12 tries when the empty
	// one fails the MAC (see pkcs8.DataOptions.AbsentPassword).
	absent bool
}

// pfxPasswords returns the passwords go-pkcs12 may decrypt content with
// when given password: none when it will fail before it decrypts
// anything, that is for a character outside the BMP, or for a password on a
// file without a MAC.
func pfxPasswords(password string, hasMAC bool) []pfxPassword {
	for _, r := range password {
		if r > 0xffff {
			return nil
		}
	}
	if !hasMAC && password != "" {
		return nil
	}
	out := []pfxPassword{{utf8: []byte(string([]rune(password)))}}
	if hasMAC && password == "" {
		out = append(out, pfxPassword{absent: true})
	}
	return out
}

func (p pfxPassword) options(maxIterations int) *pkcs8.DataOptions {
	return &pkcs8.DataOptions{MaxIterations: maxIterations, AbsentPassword: p.absent}
}

// opened is one EncryptedData item decrypted with one password.
type opened struct {
	password pfxPassword
	safe     []byte // the DER SafeContents
}

// open decodes the file with password, but first does what go-pkcs12
// would do with it short of decrypting keys: it decrypts every
// EncryptedData item with each password go-pkcs12 may use, and bounds the
// iteration count of every shrouded key bag inside, as parsePFX did for the
// bags in the clear. Only then may go-pkcs12 run the key derivations the
// file names. An item that no password decrypts, or that holds no
// SafeContents, is one go-pkcs12 fails on too, before any key bag.
//
// When some content is BER, go-pkcs12 cannot read the file, and open hands
// it a DER copy instead (see rebuild).
//
// The error is Signet's refusal; go-pkcs12's own error is in the result.
func (f *pfxFile) open(password string, maxIterations int) (pfxResult, error) {
	hasMAC := len(f.pdu.MacData.Mac.Algorithm.Algorithm) > 0
	passwords := pfxPasswords(password, hasMAC)
	ber := f.ber
	decrypted := make([][]opened, len(f.items))
	var seen bagStats
	var container string
	for i, ci := range f.items {
		if !ci.ContentType.Equal(oidEncryptedData) {
			continue
		}
		alg, ciphertext, constructed, err := parseEncryptedData(ci.Content.Bytes)
		if err != nil {
			continue // go-pkcs12 refuses it before any bag
		}
		ber = ber || constructed
		for _, pw := range passwords {
			if pw.absent && alg.Algorithm.Equal(oidPBES2) {
				// PBES2 takes the password as it is: no bytes are
				// the empty password, already tried.
				for _, o := range decrypted[i] {
					if len(o.password.utf8) == 0 {
						decrypted[i] = append(decrypted[i], opened{pw, o.safe})
						break
					}
				}
				continue
			}
			plain, err := pkcs8.DecryptData(alg, ciphertext, pw.utf8, pw.options(maxIterations))
			if err != nil {
				continue
			}
			var bags []safeBag
			isBER, err := unmarshalBER(plain, &bags)
			if err != nil {
				continue
			}
			safe, err := derOf(plain, isBER)
			if err != nil {
				continue
			}
			stats, err := scanBags(bags, maxIterations)
			if err != nil {
				return pfxResult{}, err
			}
			ber = ber || isBER
			if len(decrypted[i]) == 0 {
				// The first password that opens the item is the one
				// the file was made with, but for a chance in
				// millions; both have been checked.
				seen.add(stats)
				if stats.keys > 0 {
					container = describeAlgorithm(alg)
				}
			}
			decrypted[i] = append(decrypted[i], opened{pw, safe})
		}
	}

	data := f.der
	if ber && len(passwords) > 0 {
		rebuilt, err := f.rebuild(passwords, decrypted, maxIterations)
		if err != nil {
			return pfxResult{err: err}, nil
		}
		data = rebuilt
	}
	var r pfxResult
	r.key, r.cert, r.chain, r.err = safeDecodeChain(data, password)
	if r.err == nil || strings.Contains(r.err.Error(), "private key missing") {
		f.learn(seen, container)
	}
	r.err = f.explain(r.err, seen)
	return r, nil
}

// learn adds to the file's description what the password revealed: a key
// inside encrypted content.
func (f *pfxFile) learn(seen bagStats, container string) {
	if container == "" {
		return
	}
	f.info.KeyContainer = container
	f.info.KeyEncryption = seen.keyEncryption
	if seen.keyEncryption == "not encrypted" {
		f.info.KeyEncryption = keyInsideContent
	}
	f.info.Legacy = f.info.Legacy || seen.keyLegacy
}

// explain turns go-pkcs12's errors for layouts it does not read into
// errors that say what the file holds and how to rewrite it.
func (f *pfxFile) explain(err error, seen bagStats) error {
	if err == nil {
		return nil
	}
	all := f.bags
	all.add(seen)
	switch msg := err.Error(); msg {
	case "pkcs12: expected exactly one key bag":
		keys := "more than one private key"
		if all.keys > 1 {
			keys = fmt.Sprintf("%d private keys", all.keys)
		}
		return layoutError("it holds %s, and Signet reads a file with one key and its certificates: %s", keys, reexport("keep one key and its certificates in all.pem"))
	case "pkcs12: expected exactly one certificate in the certBag":
		certs := "several certificates"
		if all.packed > 1 {
			certs = fmt.Sprintf("%d certificates", all.packed)
		}
		return layoutError("it packs %s into one certificate bag, and Signet reads one certificate per bag, as OpenSSL, Windows and Java write them: %s", certs, reexport(""))
	}
	return err
}

// rebuild, given at least one password, returns a DER copy of a PKCS#12 file that holds BER, for
// go-pkcs12: the MAC covers the BER octets, so rebuild checks it with the
// password go-pkcs12 will find right, converts every level to DER, puts
// the decrypted content in the clear (go-pkcs12 sees the copy only) and
// computes the MAC of the copy with that password. Its errors are those
// go-pkcs12 would give.
func (f *pfxFile) rebuild(passwords []pfxPassword, decrypted [][]opened, maxIterations int) ([]byte, error) {
	mac := f.pdu.MacData
	hasMAC := len(mac.Mac.Algorithm.Algorithm) > 0
	pw := passwords[0]
	if hasMAC {
		found := false
		for _, p := range passwords {
			sum, err := pkcs8.PKCS12MAC(mac.Mac.Algorithm, mac.MacSalt, mac.Iterations, f.auth, p.utf8, p.options(maxIterations))
			if err != nil {
				return nil, fmt.Errorf("pkcs12: %w", err)
			}
			if hmac.Equal(sum, mac.Mac.Digest) {
				pw, found = p, true
				break
			}
		}
		if !found {
			return nil, pkcs12.ErrIncorrectPassword
		}
	}
	items := make([]contentInfo, len(f.items))
	for i, ci := range f.items {
		safe := f.safes[i]
		switch {
		case ci.ContentType.Equal(oidEncryptedData):
			if _, _, _, err := parseEncryptedData(ci.Content.Bytes); err != nil {
				return nil, err
			}
			for _, o := range decrypted[i] {
				if o.password.absent == pw.absent && string(o.password.utf8) == string(pw.utf8) {
					safe = o.safe
				}
			}
			if safe == nil {
				return nil, pkcs12.ErrDecryption
			}
		case !ci.ContentType.Equal(oidData):
			return nil, pkcs12.NotImplementedError("only data and encryptedData content types are supported in authenticated safe")
		}
		octets, err := asn1.Marshal(safe)
		if err != nil {
			return nil, err
		}
		items[i] = contentInfo{ContentType: oidData, Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: octets}}
	}
	auth, err := asn1.Marshal(items)
	if err != nil {
		return nil, err
	}
	octets, err := asn1.Marshal(auth)
	if err != nil {
		return nil, err
	}
	pdu := pfxPDU{Version: 3, AuthSafe: contentInfo{ContentType: oidData, Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: octets}}}
	if hasMAC {
		pdu.MacData = mac
		sum, err := pkcs8.PKCS12MAC(mac.Mac.Algorithm, mac.MacSalt, mac.Iterations, auth, pw.utf8, pw.options(maxIterations))
		if err != nil {
			return nil, fmt.Errorf("pkcs12: %w", err)
		}
		pdu.MacData.Mac.Digest = sum
	}
	return asn1.Marshal(pdu)
}

// encryptedDataBER is EncryptedData (RFC 5652 §8) with its encryptedContent
// as it may come in BER: an implicitly tagged OCTET STRING, which BER may
// split into a constructed [0] of OCTET STRING pieces. A converter cannot
// join those pieces without knowing the type behind the implicit tag.
type encryptedDataBER struct {
	Version              int
	EncryptedContentInfo struct {
		ContentType                asn1.ObjectIdentifier
		ContentEncryptionAlgorithm pkix.AlgorithmIdentifier
		EncryptedContent           asn1.RawValue `asn1:"tag:0,optional"`
	}
}

// parseEncryptedData returns the algorithm and ciphertext of an
// EncryptedData item; constructed reports a ciphertext in pieces, which
// go-pkcs12 reads as none. Its errors are go-pkcs12's for the same input.
func parseEncryptedData(b []byte) (alg pkix.AlgorithmIdentifier, ciphertext []byte, constructed bool, err error) {
	var ed encryptedDataBER
	if _, err := unmarshalBER(b, &ed); err != nil {
		return alg, nil, false, err
	}
	if ed.Version != 0 {
		return alg, nil, false, pkcs12.NotImplementedError("only version 0 of EncryptedData is supported")
	}
	eci := ed.EncryptedContentInfo
	content := eci.EncryptedContent
	if !content.IsCompound {
		return eci.ContentEncryptionAlgorithm, content.Bytes, false, nil
	}
	// Join the pieces as those of a constructed OCTET STRING.
	pieces := make([]byte, 0, len(content.Bytes)+4)
	pieces = append(append(append(pieces, 0x24, 0x80), content.Bytes...), 0, 0)
	whole, err := berToDER(pieces)
	if err != nil {
		return alg, nil, false, err
	}
	var octets []byte
	if err := unmarshalAll(whole, &octets); err != nil {
		return alg, nil, false, err
	}
	return eci.ContentEncryptionAlgorithm, octets, true, nil
}
