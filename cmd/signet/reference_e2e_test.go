package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/signetid/signet/internal/opaque"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage/sqlite"
)

// TestBinaryReferenceTokens: a client of the configuration file with
// accessTokenType: Reference, and one of the database made with signet
// client add --access-token-type reference, get opaque 43-character access
// tokens from client_credentials through golang.org/x/oauth2's
// clientcredentials, each stored in the database only by its hash with its
// claims; a JWT client beside them still gets JWTs. The log holds no
// token.
func TestBinaryReferenceTokens(t *testing.T) {
	bin := binaryTest(t)
	dir := t.TempDir()
	ctx := t.Context()
	env := binEnv(dir)
	const fileSecret = "a-secret-of-the-reference-client"
	binWrite(t, dir, "signet.yaml", `dataDir: data
allowHttp: true
key: {type: Development}
`+resourcesYAML+`clients:
  - clientId: ref
    secrets: [{value: `+fileSecret+`}]
    allowedGrantTypes: [client_credentials]
    allowedScopes: [api1, api2]
    accessTokenLifetime: 600
    accessTokenType: reference
  - clientId: jwtapp
    secrets: [{value: `+fileSecret+`}]
    allowedGrantTypes: [client_credentials]
    allowedScopes: [api1]
`)
	dbSecret := strings.TrimSpace(binRun(t, bin, dir, env, "", "client", "add", "dbref", "--scope", "api1", "--access-token-type", "Reference", "--config", "signet.yaml"))
	show := binRun(t, bin, dir, env, "", "client", "show", "dbref", "--config", "signet.yaml")
	if !strings.Contains(show, "Token type") || !strings.Contains(show, "Reference") {
		t.Errorf("signet client show dbref:\n%s", show)
	}
	if show := binRun(t, bin, dir, env, "", "client", "show", "ref", "--config", "signet.yaml", "--json"); !strings.Contains(show, `"accessTokenType": "Reference"`) {
		t.Errorf("signet client show ref --json:\n%s", show)
	}

	srv := binServe(t, bin, dir, env, "--config", "signet.yaml", "--listen", "127.0.0.1:0")
	tokenURL := srv.url + "/connect/token"
	db, err := sqlite.Open(ctx, filepath.Join(dir, "data", "signet.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lookup := &tokens.Service{Grants: db}

	var handles []string
	for _, tc := range []struct {
		id, secret string
		lifetime   time.Duration
		scope      string
		style      oauth2.AuthStyle
	}{
		{"ref", fileSecret, 10 * time.Minute, "api1 api2", oauth2.AuthStyleInHeader},
		{"dbref", dbSecret, time.Hour, "api1", oauth2.AuthStyleInParams},
	} {
		cc := clientcredentials.Config{ClientID: tc.id, ClientSecret: tc.secret, TokenURL: tokenURL, AuthStyle: tc.style}
		tok, err := cc.Token(ctx)
		if err != nil {
			t.Fatalf("%s: clientcredentials: %v", tc.id, err)
		}
		if len(tok.AccessToken) != 43 || !opaque.Valid(tok.AccessToken) || tok.TokenType != "Bearer" {
			t.Fatalf("%s: access token %q type %q; want an opaque 43-character handle, Bearer", tc.id, tok.AccessToken, tok.TokenType)
		}
		if got := time.Until(tok.Expiry).Round(time.Minute); got != tc.lifetime {
			t.Errorf("%s: the token expires in %v; want %v", tc.id, got, tc.lifetime)
		}
		ref, err := lookup.LookupReference(ctx, tok.AccessToken, time.Now())
		if err != nil {
			t.Fatalf("%s: the token is not in the database: %v", tc.id, err)
		}
		if ref.ClientID != tc.id || ref.Subject != "" || strings.Join(ref.Scopes, " ") != tc.scope ||
			!strings.Contains(string(ref.Claims), `"iss":"`+srv.url+`"`) || !strings.Contains(string(ref.Claims), `"sub":"`+tc.id+`"`) {
			t.Errorf("%s: stored %+v\n%s", tc.id, ref, ref.Claims)
		}
		handles = append(handles, tok.AccessToken)
	}
	jwt, err := (&clientcredentials.Config{ClientID: "jwtapp", ClientSecret: fileSecret, TokenURL: tokenURL}).Token(ctx)
	if err != nil || strings.Count(jwt.AccessToken, ".") != 2 {
		t.Fatalf("a JWT client: %v, %v; want a JWT", jwt, err)
	}
	srv.stop()
	srv.noSecrets(append(handles, fileSecret, dbSecret)...)
}
