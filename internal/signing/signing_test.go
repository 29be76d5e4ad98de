package signing

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/certstore"
	"github.com/signetid/signet/internal/testsupport"
)

const fixtures = "../certs/testdata/"

func env(vars map[string]string) certstore.Env {
	return certstore.Env{LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, GOOS: "linux"}
}

// verify checks a token against the ring's own JWKS, as an API would.
func verify(t *testing.T, r *Ring, token string) map[string]any {
	t.Helper()
	body, _ := r.JWKS()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.ES384, jose.ES512})
	if err != nil {
		t.Fatal(err)
	}
	h := parsed.Headers[0]
	if h.ExtraHeaders["typ"] != "at+jwt" {
		t.Errorf("typ %v, want at+jwt", h.ExtraHeaders["typ"])
	}
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q is %d times in the JWKS", h.KeyID, len(keys))
	}
	var claims map[string]any
	if err := parsed.Claims(keys[0].Key, &claims); err != nil {
		t.Fatalf("signature does not verify with the published key: %v", err)
	}
	return claims
}

func sign(t *testing.T, r *Ring) (string, *Key) {
	t.Helper()
	tok, k, err := r.Sign("at+jwt", map[string]any{"sub": "x"})
	if err != nil {
		t.Fatal(err)
	}
	return tok, k
}

func TestDevelopmentKeyPersists(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	l := Loader{DataDir: dir}
	first, err := l.Load(Spec{Type: "development"}, false)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, DevelopmentKeyFile)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", err, fi)
	}
	if !strings.Contains(first.Warnings[0], "created the development signing key") || !strings.Contains(first.Warnings[0], "for development only") {
		t.Errorf("warnings %q", first.Warnings)
	}
	second, err := l.Load(Spec{Type: "Development"}, false)
	if err != nil {
		t.Fatal(err)
	}
	k1, k2 := first.Keys[0], second.Keys[0]
	if k1.ID != k2.ID || k1.Algorithm != "RS256" || k1.Certificate != nil {
		t.Fatalf("kid %s then %s, alg %s", k1.ID, k2.ID, k1.Algorithm)
	}
	// A token signed before a restart validates with the JWKS after it.
	r1, _ := NewRing(first.Keys, nil, RingOptions{})
	r2, _ := NewRing(second.Keys, nil, RingOptions{})
	tok, _ := sign(t, r1)
	verify(t, r2, tok)
}

// TestDevelopmentKeyNoWrite: a check (NoWrite) creates neither the
// development key nor its directory, says where it would be, and still
// refuses an algorithm the key could not use; once the key exists, it is
// loaded as usual.
func TestDevelopmentKeyNoWrite(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	check := Loader{DataDir: dir, NoWrite: true}
	got, err := check.Load(Spec{Type: "Development"}, false)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, DevelopmentKeyFile)
	if got.Pending != path || len(got.Keys) != 0 {
		t.Errorf("Pending %q, %d keys; want %s and none", got.Pending, len(got.Keys), path)
	}
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the check made %s (%v)", dir, err)
	}
	if _, err := check.Load(Spec{Type: "Development", Algorithm: "PS256"}, false); err != nil {
		t.Errorf("PS256 with the RSA development key: %v", err)
	}
	if _, err := check.Load(Spec{Type: "Development", Algorithm: "ES256"}, false); err == nil || !strings.Contains(err.Error(), "ES256") {
		t.Errorf("ES256 with the RSA development key: %v; want it refused", err)
	}
	made, err := Loader{DataDir: dir}.Load(Spec{Type: "Development"}, false)
	if err != nil {
		t.Fatal(err)
	}
	again, err := check.Load(Spec{Type: "Development"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if again.Pending != "" || len(again.Keys) != 1 || again.Keys[0].ID != made.Keys[0].ID {
		t.Errorf("with the key made, a check loads %d key(s), pending %q; want the key itself", len(again.Keys), again.Pending)
	}
}

func TestFileSources(t *testing.T) {
	t.Parallel()
	rsaCert, err := certs.ReadFile(fixtures+"rsa.cer", nil)
	if err != nil {
		t.Fatal(err)
	}
	thumb := certs.Thumbprint(rsaCert.Certificates[0])
	tests := []struct {
		name     string
		spec     Spec
		alg      string
		err      string
		validate bool
	}{
		{name: "modern pfx", spec: Spec{Type: "File", FilePath: fixtures + "rsa-openssl3.pfx", Password: "test-password"}, alg: "RS256"},
		{name: "legacy pfx", spec: Spec{Type: "File", FilePath: fixtures + "rsa-legacy.pfx", Password: "test-password"}, alg: "RS256"},
		{name: "PS256", spec: Spec{Type: "File", FilePath: fixtures + "rsa-openssl3.pfx", Password: "test-password", Algorithm: "ps256"}, alg: "PS256"},
		{name: "pem bundle", spec: Spec{Type: "File", FilePath: fixtures + "rsa-bundle.pem"}, alg: "RS256"},
		{name: "ec pfx", spec: Spec{Type: "File", FilePath: fixtures + "ec-openssl3.pfx", Password: "test-password"}, alg: "ES256"},
		{name: "wrong password", spec: Spec{Type: "File", FilePath: fixtures + "rsa-openssl3.pfx", Password: "nope"}, err: "password does not open " + fixtures + "rsa-openssl3.pfx: wrong password"},
		{name: "no password", spec: Spec{Type: "File", FilePath: fixtures + "rsa-openssl3.pfx"}, err: "is password-protected: set password"},
		{name: "missing", spec: Spec{Type: "File", FilePath: fixtures + "nope.pfx"}, err: "does not exist (a relative filePath is relative to the configuration file's directory)"},
		{name: "cer instead of pfx", spec: Spec{Type: "File", FilePath: fixtures + "rsa.cer"}, err: "cannot sign tokens: it holds no private key"},
		{name: "RSA-1024", spec: Spec{Type: "File", FilePath: fixtures + "rsa1024.pfx", Password: "test-password"}, err: "its RSA key has 1024 bits"},
		{name: "keyEncipherment only", spec: Spec{Type: "File", FilePath: fixtures + "exchange-only.pfx", Password: "test-password"}, err: "does not include digitalSignature"},
		{name: "algorithm that does not fit", spec: Spec{Type: "File", FilePath: fixtures + "rsa-openssl3.pfx", Password: "test-password", Algorithm: "ES256"}, err: "algorithm ES256 does not fit its RSA 2048 key: use RS256 or PS256"},
		{name: "cer as validation key", spec: Spec{Type: "File", FilePath: fixtures + "rsa.cer"}, alg: "RS256", validate: true},
		{name: "development validation key", spec: Spec{Type: "Development"}, validate: true, err: "cannot be of type Development"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Loader{DataDir: t.TempDir()}.Load(tt.spec, tt.validate)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			k := got.Keys[0]
			if k.Algorithm != tt.alg || (k.Signer == nil) != tt.validate || k.Validation != tt.validate {
				t.Fatalf("alg %s, signer %v, validation %v", k.Algorithm, k.Signer != nil, k.Validation)
			}
			if strings.HasPrefix(tt.spec.FilePath, fixtures+"rsa") && k.ID != thumb {
				t.Errorf("kid %s, want the SHA-1 thumbprint %s", k.ID, thumb)
			}
			if tt.validate {
				return
			}
			r, err := NewRing(got.Keys, nil, RingOptions{})
			if err != nil {
				t.Fatal(err)
			}
			tok, _ := sign(t, r)
			verify(t, r, tok)
		})
	}
}

// The JWKS entry of a certificate key: kid and x5t as IdentityServer
// publishes them, x5t#S256, x5c, alg and use.
func TestJWKOfACertificate(t *testing.T) {
	t.Parallel()
	got, err := Loader{}.Load(Spec{Type: "File", FilePath: fixtures + "chain.pfx", Password: "test-password"}, false)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRing(got.Keys, nil, RingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	body, etag := r.JWKS()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 || etag == "" {
		t.Fatalf("%d keys, etag %q", len(set.Keys), etag)
	}
	jwk := set.Keys[0]
	cert := got.Keys[0].Certificate
	s1, s256 := sha1.Sum(cert.Raw), sha256.Sum256(cert.Raw)
	want := map[string]any{
		"kid": certs.Thumbprint(cert), "kty": "RSA", "alg": "RS256", "use": "sig",
		"x5t": base64.RawURLEncoding.EncodeToString(s1[:]), "x5t#S256": base64.RawURLEncoding.EncodeToString(s256[:]),
	}
	for k, v := range want {
		if jwk[k] != v {
			t.Errorf("%s = %v, want %v", k, jwk[k], v)
		}
	}
	x5c, _ := jwk["x5c"].([]any)
	if len(x5c) != 2 || x5c[0] != base64.StdEncoding.EncodeToString(cert.Raw) {
		t.Errorf("x5c %v: want the certificate, then its chain", x5c)
	}
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if _, ok := jwk[private]; ok {
			t.Fatalf("the JWKS publishes private member %q", private)
		}
	}
}

// storeCred imports an EC certificate valid in [from, until) into st.
func storeCred(t *testing.T, st *certstore.Store, subject string, from, until time.Time, withKey bool) *certs.Credential {
	t.Helper()
	cred := testsupport.ECCredential(t, subject, from, until)
	imp := cred
	if !withKey {
		imp = &certs.Credential{Certificate: cred.Certificate}
	}
	if _, err := st.Import(imp, false); err != nil {
		t.Fatal(err)
	}
	return cred
}

func TestStoreByThumbprint(t *testing.T) {
	t.Parallel()
	e := env(map[string]string{"SIGNET_CERT_STORE": t.TempDir()})
	st, _ := certstore.Open(certstore.CurrentUser, "My", e)
	now := time.Now()
	cred := storeCred(t, st, "CN=my-app-auth", now.Add(-time.Hour), now.AddDate(1, 0, 0), true)
	tp := certs.Thumbprint(cred.Certificate)
	got, err := Loader{Env: e}.Load(Spec{Type: "Store", Thumbprint: "\u200e" + strings.ToLower(tp)}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Keys) != 1 || got.Keys[0].ID != tp || got.Keys[0].Source != "Store CurrentUser/My" {
		t.Fatalf("keys %+v", got.Keys)
	}
	if len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], "U+200E") {
		t.Errorf("warnings %q", got.Warnings)
	}
	// Not there, and there without its key.
	_, err = Loader{Env: e}.Load(Spec{Type: "Store", Thumbprint: strings.Repeat("AB", 20)}, false)
	if err == nil || !strings.Contains(err.Error(), "(1 there: "+tp+" CN=my-app-auth)") {
		t.Errorf("not found: %v", err)
	}
	pub := storeCred(t, st, "CN=public", now.Add(-time.Hour), now.AddDate(1, 0, 0), false)
	_, err = Loader{Env: e}.Load(Spec{Type: "Store", Thumbprint: certs.Thumbprint(pub.Certificate)}, false)
	if err == nil || !strings.Contains(err.Error(), "import the .pfx, not the .cer") {
		t.Errorf("certificate without key: %v", err)
	}
}

// By subject: every certificate in its validity window is published, and
// the one that expires first signs, so that the newer one is announced
// before it is used. When the first expires, the next signs, and the
// expired one stays published for the retention.
func TestStoreBySubjectRollsOver(t *testing.T) {
	t.Parallel()
	e := env(map[string]string{"SIGNET_CERT_STORE": t.TempDir()})
	st, _ := certstore.Open(certstore.CurrentUser, "My", e)
	now := time.Now().Truncate(time.Second)
	old := storeCred(t, st, "CN=rollover", now.AddDate(-1, 0, 0), now.AddDate(0, 0, 10), true)
	next := storeCred(t, st, "CN=rollover", now.Add(-time.Hour), now.AddDate(2, 0, 0), true)
	future := storeCred(t, st, "CN=rollover", now.AddDate(0, 0, 5), now.AddDate(3, 0, 0), true)
	clock := now
	tick := func() time.Time { return clock }
	got, err := Loader{Env: e, Now: tick}.Load(Spec{Type: "Store", Name: "CN=rollover"}, false)
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	r, err := NewRing(got.Keys, nil, RingOptions{Retention: time.Hour, Now: tick, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ids := func() []string {
		var out []string
		for _, k := range r.Published() {
			out = append(out, k.ID)
		}
		return out
	}
	tp := func(c *certs.Credential) string { return certs.Thumbprint(c.Certificate) }

	if s := r.Signer(); s.ID != tp(old) {
		t.Fatalf("signer %s, want the one that expires first", s.ID)
	}
	if got := ids(); !slices.Equal(got, []string{tp(old), tp(next)}) {
		t.Fatalf("published %v", got)
	}
	_, etag1 := r.JWKS()

	clock = now.AddDate(0, 0, 6) // future is valid now
	if got := ids(); !slices.Equal(got, []string{tp(old), tp(next), tp(future)}) {
		t.Fatalf("day 6: published %v", got)
	}
	if _, etag2 := r.JWKS(); etag2 == etag1 {
		t.Error("the ETag did not change with the key set")
	}
	clock = now.AddDate(0, 0, 10).Add(30 * time.Minute) // old expired half an hour ago
	if s := r.Signer(); s.ID != tp(next) {
		t.Fatalf("after expiry: signer %s, want the next", s.ID)
	}
	if want := "signing key changed\" from=" + tp(old) + " to=" + tp(next); !strings.Contains(logs.String(), want) {
		t.Errorf("the rollover is not in the log %q", logs.String())
	}
	if got := ids(); !slices.Contains(got, tp(old)) {
		t.Fatalf("the expired key left the JWKS within the retention: %v", got)
	}
	tok, _ := sign(t, r)
	verify(t, r, tok)
	clock = now.AddDate(0, 0, 10).Add(2 * time.Hour)
	if got := ids(); slices.Contains(got, tp(old)) {
		t.Fatalf("the expired key is still published after the retention: %v", got)
	}
}

func TestAzureLayout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data, err := os.ReadFile(fixtures + "rsa-emptypassword.pfx")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := certs.Parse(data, nil)
	tp := certs.Thumbprint(c.Certificates[0])
	if err := os.WriteFile(filepath.Join(dir, tp+".p12"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	allowed := env(map[string]string{"WEBSITE_LOAD_CERTIFICATES": tp, "WEBSITE_PRIVATE_CERTS_PATH": dir})
	got, err := Loader{Env: allowed}.Load(Spec{Type: "Store", Thumbprint: tp}, false)
	if err != nil || got.Keys[0].ID != tp {
		t.Fatalf("allowed: %v", err)
	}
	denied := env(map[string]string{"WEBSITE_LOAD_CERTIFICATES": strings.Repeat("1", 40), "WEBSITE_PRIVATE_CERTS_PATH": dir})
	_, err = Loader{Env: denied}.Load(Spec{Type: "Store", Thumbprint: tp}, false)
	if err == nil || !strings.Contains(err.Error(), "WEBSITE_LOAD_CERTIFICATES") {
		t.Fatalf("denied: %v", err)
	}
}

func TestValidationKeysArePublishedNotUsed(t *testing.T) {
	t.Parallel()
	signing, err := Loader{}.Load(Spec{Type: "File", FilePath: fixtures + "ec-openssl3.pfx", Password: "test-password"}, false)
	if err != nil {
		t.Fatal(err)
	}
	validation, err := Loader{}.Load(Spec{Type: "File", FilePath: fixtures + "rsa-openssl3.pfx", Password: "test-password"}, true)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRing(signing.Keys, validation.Keys, RingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Signer().Algorithm != "ES256" || len(r.Published()) != 2 {
		t.Fatalf("signer %s, %d published", r.Signer().Algorithm, len(r.Published()))
	}
	if !slices.Equal(r.Algorithms(), []string{"ES256", "RS256"}) {
		t.Errorf("algorithms %v", r.Algorithms())
	}
	if validation.Keys[0].Signer != nil {
		t.Error("a validation key kept its private key")
	}
	if _, err := NewRing(validation.Keys, nil, RingOptions{}); err == nil {
		t.Error("a ring of validation keys alone was made")
	}
}

func TestLoadWarnings(t *testing.T) {
	t.Parallel()
	e := env(map[string]string{"SIGNET_CERT_STORE": t.TempDir()})
	st, _ := certstore.Open(certstore.CurrentUser, "My", e)
	now := time.Now()
	storeCred(t, st, "CN=soon, O=A", now.Add(-time.Hour), now.AddDate(0, 0, 12), true)
	storeCred(t, st, "CN=soon-other", now.Add(-time.Hour), now.AddDate(1, 0, 0), true)
	got, err := Loader{Env: e}.Load(Spec{Type: "Store", Name: "soon"}, false)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(got.Warnings, "\n")
	for _, want := range []string{
		"expires in 11 days", "create its successor now",
		`name "soon" matches certificates of 2 different subjects (CN=soon, O=A; CN=soon-other)`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("warnings %q lack %q", text, want)
		}
	}
}
