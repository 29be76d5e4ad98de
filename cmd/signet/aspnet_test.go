package main

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// identityServerHash is what IdentityServer's "secret".Sha256() and
// .Sha512() make: standard base64 of the digest of the UTF-8 secret.
func identityServerHash(secret string, sha512Hash bool) string {
	if sha512Hash {
		sum := sha512.Sum512([]byte(secret))
		return base64.StdEncoding.EncodeToString(sum[:])
	}
	sum := sha256.Sum256([]byte(secret))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// TestIdentityServerAppSettings moves an IdentityServer host to Signet as
// its documentation's appsettings.json has it: the certificate in the
// store found by subject (the Key section of the ASP.NET templates), the
// quickstart's machine client with "secret".Sha256(), a client with a
// SHA-512 hash, client claims and a .NET expiration date, a disabled
// client, the quickstart's interactive client (not served by this
// version), ASP.NET's own sections beside them, and
// appsettings.Staging.json layered on top by ASPNETCORE_ENVIRONMENT. The
// real binary checks and serves it; golang.org/x/oauth2 gets tokens with
// the plain secrets, and go-oidc verifies them.
func TestIdentityServerAppSettings(t *testing.T) {
	bin := binaryTest(t)
	dir := t.TempDir()
	env := append(binEnv(dir), "ASPNETCORE_ENVIRONMENT=Staging")
	binWrite(t, dir, "pw.txt", "correct-horse-battery-staple\n")
	binRun(t, bin, dir, env, "", "cert", "create", "--subject", "CN=my-app-auth", "--out", "auth.pfx", "--password-file", "pw.txt")
	binRun(t, bin, dir, env, "", "store", "import", "auth.pfx", "--password-file", "pw.txt")

	const m2mSecret = "8b1d0c8e-2f5a-4a0e-9d7c-3e6f1a2b4c5d"
	addr := freePort(t)
	issuer := "http://" + addr
	binWrite(t, dir, "appsettings.json", `{
  "Logging": {
    "LogLevel": { "Default": "Information", "Microsoft.AspNetCore": "Warning" }
  },
  "AllowedHosts": "*",
  "ConnectionStrings": {
    "ConfigurationDb": "Server=(localdb)\\mssqllocaldb;Database=IdentityServer;Trusted_Connection=True"
  },
  "IdentityServer": {
    "IssuerUri": "`+issuer+`",
    "Key": { "Type": "Store", "StoreLocation": "CurrentUser", "StoreName": "My", "Name": "CN=my-app-auth" },
    "IdentityResources": [
      { "Name": "openid", "UserClaims": [ "sub" ] },
      { "Name": "profile", "UserClaims": [ "name", "website" ] }
    ],
    "ApiScopes": [ { "Name": "api1", "DisplayName": "My API" }, { "Name": "api2" } ],
    "ApiResources": [
      { "Name": "https://api.example.com", "Scopes": [ "api1", "api2" ], "UserClaims": [ "role" ] }
    ],
    "Clients": [
      {
        "ClientId": "client",
        "ClientSecrets": [ { "Value": "`+identityServerHash("secret", false)+`" } ],
        "AllowedGrantTypes": [ "client_credentials" ],
        "AllowedScopes": [ "api1" ]
      },
      {
        "ClientId": "m2m",
        "ClientName": "Machine to machine",
        "ClientSecrets": [ { "Value": "`+identityServerHash(m2mSecret, true)+`", "Type": "SharedSecret", "Expiration": "2099-12-31T00:00:00" } ],
        "AllowedGrantTypes": [ "client_credentials" ],
        "AllowedScopes": [ "api1", "api2" ],
        "AccessTokenLifetime": 3600,
        "AccessTokenType": "Jwt",
        "Claims": [
          { "Type": "tenant", "Value": "contoso" },
          { "Type": "role", "Value": "reader" },
          { "Type": "role", "Value": "writer" },
          { "Type": "tier", "Value": "3", "ValueType": "http://www.w3.org/2001/XMLSchema#integer" }
        ],
        "AllowedCorsOrigins": [ "https://app.example.com" ],
        "RequirePkce": true,
        "AllowOfflineAccess": false
      },
      {
        "ClientId": "retired",
        "Enabled": false,
        "AllowedCorsOrigins": [ "https://retired.example.com" ],
        "ClientSecrets": [ { "Value": "`+identityServerHash("secret", false)+`" } ],
        "AllowedGrantTypes": [ "client_credentials" ],
        "AllowedScopes": [ "api1" ]
      },
      {
        "ClientId": "interactive",
        "ClientSecrets": [ { "Value": "`+identityServerHash("secret", false)+`" } ],
        "AllowedGrantTypes": [ "authorization_code" ],
        "RedirectUris": [ "https://localhost:44300/signin-oidc" ],
        "PostLogoutRedirectUris": [ "https://localhost:44300/signout-callback-oidc" ],
        "AllowOfflineAccess": true,
        "AllowedScopes": [ "openid", "profile", "api1" ]
      }
    ]
  },
  "Signet": {
    "listen": "`+addr+`",
    "allowHttp": true
  }
}
`)
	// The environment's file: the m2m client's tokens live 15 minutes on
	// staging (Clients:1 merges with the base file's Clients:1).
	binWrite(t, dir, "appsettings.Staging.json", `{
  "IdentityServer": { "Clients": [ {}, { "AccessTokenLifetime": 900 } ] }
}`)

	check := exec.Command(bin, "config", "check", "--config", "appsettings.json")
	check.Dir, check.Env = dir, env
	out, err := check.CombinedOutput()
	if err != nil {
		t.Fatalf("config check: %v\n%s", err, out)
	}
	for _, want := range []string{
		"appsettings.json is valid.",
		"from Store CurrentUser/My, CN=my-app-auth",
		"clients      4 (client, interactive, m2m, retired (disabled))",
		"note: appsettings.json: read the IdentityServer and Signet sections; ignored the other top-level sections, which belong to ASP.NET Core or the application: Logging, AllowedHosts, ConnectionStrings",
		"note: read appsettings.json with appsettings.Staging.json layered on it (ASPNETCORE_ENVIRONMENT=Staging), as ASP.NET Core does",
		`warning: appsettings.json:23: IdentityServer:Clients:0:ClientSecrets:0:Value: this is the hash of "secret", a secret from IdentityServer's samples that anyone can guess`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("config check does not say\n\t%s\nit says:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "RedirectUris") || strings.Contains(string(out), "AllowOfflineAccess") {
		t.Errorf("config check warns about the interactive client's settings, which Signet reads:\n%s", out)
	}

	srv := binServe(t, bin, dir, env, "--config", "appsettings.json")
	srv.waitFor(`level=INFO msg="appsettings.json: read the IdentityServer and Signet sections; ignored the other top-level sections`)
	provider, err := oidc.NewProvider(t.Context(), issuer)
	if err != nil {
		t.Fatal(err)
	}
	verifier := provider.Verifier(&oidc.Config{SkipClientIDCheck: true})

	// The quickstart's client, with the secret whose hash the file holds.
	quick := clientcredentials.Config{ClientID: "client", ClientSecret: "secret", TokenURL: provider.Endpoint().TokenURL, AuthStyle: oauth2.AuthStyleInHeader}
	tok, err := quick.Token(t.Context())
	if err != nil {
		t.Fatalf("token for the quickstart client: %v", err)
	}
	idt, err := verifier.Verify(t.Context(), tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	var plain map[string]any
	if err := idt.Claims(&plain); err != nil {
		t.Fatal(err)
	}
	if plain["client_id"] != "client" || plain["scope"] != "api1" || plain["aud"] != "https://api.example.com" {
		t.Errorf("claims %v", plain)
	}

	// The SHA-512 client, posting its secret: its claims, prefixed with
	// client_, two roles as an array, the tier as a number, and the
	// lifetime of the environment's file.
	m2m := clientcredentials.Config{ClientID: "m2m", ClientSecret: m2mSecret, TokenURL: provider.Endpoint().TokenURL, AuthStyle: oauth2.AuthStyleInParams}
	tok, err = m2m.Token(t.Context())
	if err != nil {
		t.Fatalf("token for m2m: %v", err)
	}
	if idt, err = verifier.Verify(t.Context(), tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	roles, _ := json.Marshal(claims["client_role"])
	if claims["client_tenant"] != "contoso" || string(roles) != `["reader","writer"]` || claims["client_tier"] != 3.0 ||
		claims["scope"] != "api1 api2" || claims["exp"].(float64)-claims["iat"].(float64) != 900 {
		t.Errorf("m2m claims %v", claims)
	}

	// The disabled client is refused as unknown clients are; the
	// interactive one is known, and may not use client_credentials.
	resp := binPost(t, issuer+"/connect/token", url.Values{"grant_type": {"client_credentials"}}, func(r *http.Request) { r.SetBasicAuth("retired", "secret") })
	if resp.status != http.StatusUnauthorized || !strings.Contains(string(resp.body), `"error":"invalid_client"`) {
		t.Errorf("retired: %d %s; want 401 invalid_client", resp.status, resp.body)
	}
	resp = binPost(t, issuer+"/connect/token", url.Values{"grant_type": {"client_credentials"}}, func(r *http.Request) { r.SetBasicAuth("interactive", "secret") })
	if resp.status != http.StatusBadRequest || !strings.Contains(string(resp.body), `"error":"unauthorized_client"`) {
		t.Errorf("interactive: %d %s; want 400 unauthorized_client", resp.status, resp.body)
	}
	// Browsers: the m2m client's origin may call the token endpoint, the
	// disabled client's may not.
	for origin, allowed := range map[string]bool{"https://app.example.com": true, "https://retired.example.com": false} {
		req, err := http.NewRequest(http.MethodOptions, issuer+"/connect/token", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp := binDo(t, req)
		if got := resp.header.Get("Access-Control-Allow-Origin"); (got == origin) != allowed || (resp.status == http.StatusNoContent) != allowed {
			t.Errorf("preflight from %s: %d, Access-Control-Allow-Origin %q", origin, resp.status, got)
		}
	}

	// The log tells the operator which was which.
	srv.waitFor(`msg="client authentication failed" client_id=retired reason="unknown client: it is disabled \(enabled: false\)"`)
	srv.noSecrets(m2mSecret, tok.AccessToken)
	srv.stop()
}
