package signin_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/signetid/signet/internal/signin"
)

// FuzzPasskeyLoginFinish sends arbitrary answers to a sign-in ceremony
// under way (so that they reach protocol.ParseCredentialRequestResponseBody
// and the checks after it): never a server error, never a sign-in.
func FuzzPasskeyLoginFinish(f *testing.F) {
	key := newSoftKey(f)
	key.userHandle = []byte("0123456789abcdef0123456789abcdef")
	f.Add(key.get(f, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "localhost", "http://localhost"))
	f.Add(`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"","signature":"","userHandle":"AA"}}`)
	f.Add(`{"type":"public-key","response":{}}`)
	f.Add("")
	p := newPasskeyEnv(f, false)
	f.Fuzz(func(t *testing.T, answer string) {
		b := p.browserFor(t)
		id, token, _ := loginPage(t, b)
		loginOptions(t, b, id, token)
		pg := finishLogin(b, id, token, answer)
		if pg.Status >= 500 || pg.Header.Get("Location") != "" || pg.Status != http.StatusBadRequest {
			t.Fatalf("status %d (Location %q) for %q", pg.Status, pg.Header.Get("Location"), answer)
		}
	})
}

// FuzzPasskeyRegisterFinish sends arbitrary answers to a registration
// ceremony under way (protocol.ParseCredentialCreationResponseBody, the
// attestation object's CBOR, the COSE key): never a server error, never a
// passkey stored.
func FuzzPasskeyRegisterFinish(f *testing.F) {
	key := newSoftKey(f)
	var o creationOptions
	o.PublicKey.Challenge = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	o.PublicKey.User.ID = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	f.Add(key.create(f, o, "localhost", "http://localhost"))
	f.Add(`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`)
	f.Add(`{"type":"public-key","response":{"attestationObject":"o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YUA"}}`)
	f.Add("")
	p := newPasskeyEnv(f, false)
	signedIn := p.browserFor(f)
	signedIn.signIn()
	v := p.passkeysView(f, signedIn, "u-alice")
	f.Fuzz(func(t *testing.T, answer string) {
		b := p.browserFor(t)
		b.Client.Jar = signedIn.Client.Jar
		var opts creationOptions
		jsonOf(t, b.post(signin.PasskeyRegisterOptionsPath, url.Values{"token": {v.Token}, "name": {"fuzz"}}, nil), http.StatusOK, &opts)
		pg := b.post(signin.PasskeyRegisterFinishPath, url.Values{"token": {v.Token}, "credential": {answer}}, nil)
		if pg.Status != http.StatusBadRequest {
			t.Fatalf("status %d for %q:\n%s", pg.Status, answer, cut(pg.Body))
		}
	})
}
