package signin_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"
)

// softKey is a software authenticator: the signing side of a CTAP2
// authenticator, in the test. It holds one ES256 credential, makes
// authenticator data (rpIdHash, flags, counter, attested credential data),
// "none" attestation and the client data a browser would add.
type softKey struct {
	key    *ecdsa.PrivateKey
	credID []byte
	// userHandle is what registration stored with the credential; get
	// returns it unless the test changes it.
	userHandle []byte
	counter    uint32
	// uv: the authenticator verified the user; be, bs: backup eligible
	// and backed up (a synced passkey).
	uv, be, bs bool
}

func newSoftKey(t testing.TB) *softKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	return &softKey{key: k, credID: id}
}

var b64 = base64.RawURLEncoding

// A tiny CBOR encoder: what an attestation object and a COSE key need.
func cborHead(major byte, n uint64) []byte {
	switch {
	case n < 24:
		return []byte{major<<5 | byte(n)}
	case n < 1<<8:
		return []byte{major<<5 | 24, byte(n)}
	case n < 1<<16:
		return binary.BigEndian.AppendUint16([]byte{major<<5 | 25}, uint16(n))
	default:
		return binary.BigEndian.AppendUint32([]byte{major<<5 | 26}, uint32(n))
	}
}

func cborInt(v int64) []byte {
	if v < 0 {
		return cborHead(1, uint64(-1-v))
	}
	return cborHead(0, uint64(v))
}

func cborBytes(b []byte) []byte { return append(cborHead(2, uint64(len(b))), b...) }
func cborText(s string) []byte  { return append(cborHead(3, uint64(len(s))), s...) }

// coseKey is the credential's public key as COSE_Key (EC2, ES256, P-256).
func (a *softKey) coseKey() []byte {
	x, y := make([]byte, 32), make([]byte, 32)
	a.key.X.FillBytes(x)
	a.key.Y.FillBytes(y)
	out := cborHead(5, 5)
	out = append(append(out, cborInt(1)...), cborInt(2)...)  // kty: EC2
	out = append(append(out, cborInt(3)...), cborInt(-7)...) // alg: ES256
	out = append(append(out, cborInt(-1)...), cborInt(1)...) // crv: P-256
	out = append(append(out, cborInt(-2)...), cborBytes(x)...)
	return append(append(out, cborInt(-3)...), cborBytes(y)...)
}

// authData is the authenticator data for rpID, with the attested
// credential data when attested.
func (a *softKey) authData(rpID string, attested bool) []byte {
	sum := sha256.Sum256([]byte(rpID))
	flags := byte(0x01) // UP
	if a.uv {
		flags |= 0x04
	}
	if a.be {
		flags |= 0x08
	}
	if a.bs {
		flags |= 0x10
	}
	if attested {
		flags |= 0x40
	}
	out := append(sum[:], flags)
	out = binary.BigEndian.AppendUint32(out, a.counter)
	if attested {
		out = append(out, make([]byte, 16)...) // AAGUID: none
		out = binary.BigEndian.AppendUint16(out, uint16(len(a.credID)))
		out = append(out, a.credID...)
		out = append(out, a.coseKey()...)
	}
	return out
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// creationOptions is what the server's registration options say.
type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"user"`
		ExcludeCredentials []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
		AuthenticatorSelection struct {
			ResidentKey      string `json:"residentKey"`
			UserVerification string `json:"userVerification"`
		} `json:"authenticatorSelection"`
	} `json:"publicKey"`
}

// requestOptions is what the server's sign-in options say.
type requestOptions struct {
	PublicKey struct {
		Challenge        string `json:"challenge"`
		RPID             string `json:"rpId"`
		UserVerification string `json:"userVerification"`
		AllowCredentials []any  `json:"allowCredentials"`
	} `json:"publicKey"`
}

// create answers registration options as a browser would: the
// PublicKeyCredential's JSON, for rpID and origin (the test may pass
// wrong ones).
func (a *softKey) create(t testing.TB, o creationOptions, rpID, origin string) string {
	t.Helper()
	uh, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		t.Fatalf("user.id %q: %v", o.PublicKey.User.ID, err)
	}
	a.userHandle = uh
	att := cborHead(5, 3)
	att = append(append(att, cborText("fmt")...), cborText("none")...)
	att = append(append(att, cborText("attStmt")...), cborHead(5, 0)...)
	att = append(append(att, cborText("authData")...), cborBytes(a.authData(rpID, true))...)
	cred := map[string]any{
		"id": b64.EncodeToString(a.credID), "rawId": b64.EncodeToString(a.credID), "type": "public-key",
		"authenticatorAttachment": "platform",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData("webauthn.create", o.PublicKey.Challenge, origin)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal", "hybrid"},
		},
		"clientExtensionResults": map[string]any{},
	}
	b, _ := json.Marshal(cred)
	return string(b)
}

// get answers sign-in options: an assertion signed with the credential's
// key over authData and the client data's hash.
func (a *softKey) get(t testing.TB, challenge, rpID, origin string) string {
	t.Helper()
	ad := a.authData(rpID, false)
	cd := clientData("webauthn.get", challenge, origin)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	cred := map[string]any{
		"id": b64.EncodeToString(a.credID), "rawId": b64.EncodeToString(a.credID), "type": "public-key",
		"authenticatorAttachment": "platform",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(ad),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(a.userHandle),
		},
		"clientExtensionResults": map[string]any{},
	}
	b, _ := json.Marshal(cred)
	return string(b)
}
