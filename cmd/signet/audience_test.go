package main

import (
	"strings"
	"testing"
)

// strictClientAssertionAudience: true reaches the token endpoint: the
// issuer is accepted as aud, the token endpoint's URL refused with the
// expected aud in the description.
func TestStrictClientAssertionAudience(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	client := newECClient(t, "jwt-app")
	config := h.config(fileKey(t, "ec-openssl3.pfx"), client.configYAML("    jwks: "+client.jwks(t))+"strictClientAssertionAudience: true\n")
	inst := h.serve(config, "")
	status, body := inst.post(assertionForm(client.assertion(t, inst.base)))
	if desc, _ := body["error_description"].(string); status != 401 || !strings.Contains(desc, "must be the issuer '"+inst.base+"' (strictClientAssertionAudience is set") {
		t.Errorf("token endpoint as aud: %d %v", status, body)
	}
	assertion, err := instAssertion(client, inst.base)
	if err != nil {
		t.Fatal(err)
	}
	if status, body := inst.post(assertionForm(assertion)); status != 200 {
		t.Errorf("issuer as aud: %d %v\nlog:\n%s", status, body, inst.logs)
	}
}
