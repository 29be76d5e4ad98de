package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestResourceSecretCommands: signet resource secret add makes a secret
// the running server accepts at the introspection endpoint, shown by id
// (never its hash) in signet resource show; remove takes it away; the
// file's resources and unknown ids are refused.
func TestResourceSecretCommands(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	cfg := h.config(fileKey(t, "rsa-openssl3.pfx"), fmt.Sprintf("storage:\n  pollInterval: %v\n", catalogPoll))
	srv := h.serve(cfg, "")
	h.cliOn("scope", "add", "orders", "--config", cfg)
	h.cliOn("resource", "add", "https://orders.example.com", "--scope", "orders", "--config", cfg)
	stdout, stderr := h.cliOn("resource", "secret", "add", "https://orders.example.com", "--description", "orders API", "--json", "--config", cfg)
	var added struct {
		Resource, SecretID, Secret, Description string
	}
	if err := json.Unmarshal([]byte(stdout), &added); err != nil || added.Resource != "https://orders.example.com" || len(added.Secret) != 43 ||
		added.SecretID == "" || added.Description != "orders API" {
		t.Fatalf("resource secret add --json: %s (%v)", stdout, err)
	}
	contains(t, "resource secret add's stderr", stderr, "shown once: store it now")
	show, _ := h.cliOn("resource", "show", "https://orders.example.com", "--config", cfg)
	if !strings.Contains(show, added.SecretID) || !strings.Contains(show, "orders API") || strings.Contains(show, "sha256$") || strings.Contains(show, added.Secret) {
		t.Errorf("resource show:\n%s", show)
	}
	introspect := func() int {
		form := url.Values{"token": {"any-token"}}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.base+"/connect/introspect", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape("https://orders.example.com"), url.QueryEscape(added.Secret))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	within(t, catalogBound, "the new secret accepted", func() bool { return introspect() == http.StatusOK })

	// An unknown id, and the file's resource, are refused.
	c := &cli{t: t, dir: h.dir, env: h.env, term: noTerminal(t)}
	if code, _, errOut := c.run("resource", "secret", "remove", "https://orders.example.com", "nope", "--config", cfg); code == exitOK ||
		!strings.Contains(errOut, `has no secret "nope"`) || !strings.Contains(errOut, added.SecretID) {
		t.Errorf("remove an unknown id: exit %d, %s", code, errOut)
	}
	if code, _, errOut := c.run("resource", "secret", "add", "https://api.example.com", "--config", cfg); code == exitOK || !strings.Contains(errOut, "configuration") {
		t.Errorf("add to the file's resource: exit %d, %s", code, errOut)
	}

	_, stderr = h.cliOn("resource", "secret", "remove", "https://orders.example.com", added.SecretID, "--config", cfg)
	contains(t, "resource secret remove's stderr", stderr, "no secret left")
	within(t, catalogBound, "the removed secret refused", func() bool { return introspect() == http.StatusUnauthorized })
}
