package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// What signet token get, revoke and introspect share: each reads a secret,
// finds its endpoint in the issuer's discovery document, posts a form
// authenticated as a client (or an API resource, which authenticates as
// one) and reads the answer's OAuth error.

// secretSource is where a command reads the secret it authenticates with.
type secretSource struct {
	file, env         string // the flags' values
	fileFlag, envFlag string // the flags' names, for errors
	prompt            string // the terminal prompt
	none              string // the usage error when neither flag is given and stdin is no terminal
}

// readSecret reads the secret from the file or environment variable the
// flags name, else from a prompt when stdin is a terminal; never from a
// flag value, which the process list shows.
func (a *app) readSecret(s secretSource) (string, error) {
	switch {
	case s.file != "" || s.env != "":
		return a.readPasswordSource(s.file, s.env, s.fileFlag, s.envFlag)
	case a.term.IsTerminal():
		return a.term.ReadPassword(s.prompt)
	}
	return "", usagef("%s", s.none)
}

// discoverEndpoint reads the issuer's discovery document and returns the
// endpoint pick takes from it. name is the endpoint's metadata name and
// meaning what its absence means (may be ""), for the error when the
// document has none.
func discoverEndpoint(ctx context.Context, hc *http.Client, issuer, name string, pick func(*discoveryDoc) string, meaning string) (string, error) {
	doc, err := discover(ctx, hc, issuer)
	if err != nil {
		return "", err
	}
	if endpoint := pick(doc); endpoint != "" {
		return endpoint, nil
	}
	if meaning != "" {
		return "", fmt.Errorf("the discovery document of %s names no %s: %s", issuer, name, meaning)
	}
	return "", fmt.Errorf("the discovery document of %s names no %s", issuer, name)
}

// endpointAuth is how a command authenticates at an endpoint, as a client.
type endpointAuth struct {
	id, secret string
	// post sends both in the form (client_secret_post) instead of HTTP
	// Basic.
	post bool
	// public sends the client_id alone, in the form: a public client.
	public bool
}

// postForm posts form to endpoint, authenticated as auth says and asking
// for JSON, and returns the response with its body (at most
// maxResponseBytes). what names the request in errors: "token",
// "revocation", "introspection".
func postForm(ctx context.Context, hc *http.Client, endpoint, what string, form url.Values, auth endpointAuth) (*http.Response, []byte, error) {
	if auth.public || auth.post {
		form.Set("client_id", auth.id)
	}
	if auth.post {
		form.Set("client_secret", auth.secret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if !auth.public && !auth.post {
		// RFC 6749 §2.3.1: each part form-urlencoded, then Basic; an API
		// resource named by a URL has a colon in its name.
		req.SetBasicAuth(url.QueryEscape(auth.id), url.QueryEscape(auth.secret))
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s request to %s: %w", what, endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, nil, fmt.Errorf("%s response from %s: %w", what, endpoint, err)
	}
	return resp, body, nil
}

// refusal is the error for an endpoint's OAuth error answer (RFC 6749
// §5.2): its status, code and description, if any.
func refusal(what, status, code, description string) error {
	if description != "" {
		return fmt.Errorf("the %s endpoint refused (%s): %s: %s", what, status, code, description)
	}
	return fmt.Errorf("the %s endpoint refused (%s): %s", what, status, code)
}
