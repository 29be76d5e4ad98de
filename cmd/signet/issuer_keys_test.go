package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// A private_key_jwt client stored in the database, served by a signet
// whose configuration has no issuer (it had one when the client was
// added): with trustProxy, a forged X-Forwarded-Host makes the issuer, and
// an assertion made for it would be accepted. The real binary logs the
// client at load, refuses its assertion with the answer of any failed
// assertion, and says in its log to set issuer.
func TestBinaryKeyClientWithoutIssuer(t *testing.T) {
	bin := binaryTest(t)
	dir := t.TempDir()
	env := binEnv(dir)
	client := newECClient(t, "keyed")
	binWrite(t, dir, "jwks.json", client.jwks(t))
	common := "allowHttp: true\ndataDir: data\nkey:\n" + indent(fileKey(t, "ec-openssl3.pfx"), "  ") + "\napiScopes:\n  - name: api1\n"
	binWrite(t, dir, "with-issuer.yaml", "issuer: http://auth.signet.test\n"+common)
	binRun(t, bin, dir, env, "", "client", "add", "keyed", "--scope", "api1", "--jwks-file", "jwks.json", "--config", "with-issuer.yaml")

	binWrite(t, dir, "signet.yaml", "listen: 127.0.0.1:0\ntrustProxy: true\n"+common)
	srv := binServe(t, bin, dir, env, "--config", "signet.yaml")
	srv.waitFor(`level=ERROR msg="clients in the database authenticate with private_key_jwt, which needs a configured issuer: [^"]*issuer is set to the URL clients use[^"]*" clients=1 client_ids=keyed`)

	forged := func(r *http.Request) { r.Header.Set("X-Forwarded-Host", "attacker.example") }
	unknown := newECClient(t, "nobody")
	want := binPost(t, srv.url+"/connect/token", assertionForm(unknown.assertion(t, "http://attacker.example")), forged)
	res := binPost(t, srv.url+"/connect/token", assertionForm(client.assertion(t, "http://attacker.example")), forged)
	if res.status != http.StatusUnauthorized || want.status != http.StatusUnauthorized {
		t.Fatalf("the keyed client's assertion for the forged host: %d %s; an unknown client's: %d; want 401 for both", res.status, res.body, want.status)
	}
	var got, unknownBody map[string]string
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(want.body, &unknownBody)
	if got["error"] != "invalid_client" || got["error_description"] != unknownBody["error_description"] {
		t.Errorf("answer %v; want invalid_client with the description an unknown client gets, %q", got, unknownBody["error_description"])
	}
	srv.waitFor(`level=ERROR msg="private_key_jwt refused: no issuer is configured; set issuer to the URL clients use [^"]*" client_id=keyed`)
	if strings.Contains(srv.out.String(), "msg=\"private_key_jwt refused: no issuer is configured; set issuer to the URL clients use (such as https://auth.example.com) and restart\" client_id=nobody") {
		t.Error("an unknown client made the error line")
	}
	srv.stop()
}
