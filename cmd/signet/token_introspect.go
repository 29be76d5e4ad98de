package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
)

type tokenIntrospectCmd struct {
	issuer, resource, hint string
	secretFile, secretEnv  string
	post                   bool
}

func (a *app) tokenIntrospectCommand() *cobra.Command {
	c := &tokenIntrospectCmd{}
	cmd := &cobra.Command{
		Use:   "introspect TOKEN --issuer URL --resource NAME [flags]",
		Short: "Ask the introspection endpoint whether a token is active, as an API does",
		Long: `Ask the issuer's introspection endpoint (RFC 7662) about TOKEN, as the API
resource NAME: read the discovery document, then post the token,
authenticating with the resource's secret (HTTP Basic, its name and secret
form-encoded first as RFC 6749 section 2.3.1 says, or --post for
client_secret_post). Prints the answer as JSON: {"active": false} for a
token that is expired, revoked, unknown or not for this API, else its
claims (the resource's own scopes only).

TOKEN "-" reads the token from stdin (its first line), which keeps it out of
the process list. The secret comes from --secret-file, --secret-env, or a
prompt when stdin is a terminal; never from a flag value.

Exit codes: 0 an answer was printed (active or not), 1 the server refused
(its OAuth error code and description are shown) or could not be reached,
2 wrong usage.`,
		Example: `  signet token introspect "$TOKEN" --issuer https://auth.example.com --resource https://api.example.com --secret-env API_SECRET
  signet token get ... | signet token introspect - --issuer http://localhost:5000 --resource api1 --secret-file api1.secret`,
		Args: exactArgs(1, "give the token to introspect (or - to read it from stdin): signet token introspect TOKEN --issuer URL --resource NAME"),
		RunE: func(cmd *cobra.Command, args []string) error { return a.tokenIntrospect(cmd.Context(), c, args[0]) },
	}
	fs := cmd.Flags()
	fs.StringVar(&c.issuer, "issuer", "", "the issuer `URL` (its discovery document names the introspection endpoint)")
	fs.StringVar(&c.resource, "resource", "", "the API resource's `NAME`, its client_id at the introspection endpoint")
	fs.StringVar(&c.secretFile, "secret-file", "", "read the resource's secret from `FILE` (its first line)")
	fs.StringVar(&c.secretEnv, "secret-env", "", "read the resource's secret from environment variable `VAR`")
	fs.StringVar(&c.hint, "hint", "", "token_type_hint: access_token or refresh_token (a wrong one changes nothing)")
	fs.BoolVar(&c.post, "post", false, "send the secret in the body (client_secret_post) instead of HTTP Basic")
	return cmd
}

func (a *app) tokenIntrospect(ctx context.Context, c *tokenIntrospectCmd, token string) error {
	if c.issuer == "" || c.resource == "" {
		return usagef("give --issuer URL and --resource NAME")
	}
	if c.secretFile != "" && c.secretEnv != "" {
		return usagef("give only one of --secret-file and --secret-env")
	}
	if token == "-" {
		line, err := bufio.NewReader(io.LimitReader(a.stdin, maxResponseBytes)).ReadString('\n')
		if err != nil && err != io.EOF {
			return err
		}
		token = strings.TrimSpace(line)
	}
	if token == "" {
		return usagef("the token is empty")
	}
	var secret string
	var err error
	switch {
	case c.secretFile != "" || c.secretEnv != "":
		secret, err = a.readPasswordSource(c.secretFile, c.secretEnv, "--secret-file", "--secret-env")
	case a.term.IsTerminal():
		secret, err = a.term.ReadPassword(fmt.Sprintf("Secret of API resource %s: ", c.resource))
	default:
		return usagef("no secret: give --secret-file FILE or --secret-env VAR (stdin is not a terminal, so signet cannot ask)")
	}
	if err != nil {
		return err
	}
	hc := httpClient()
	doc, err := discover(ctx, hc, c.issuer)
	if err != nil {
		return err
	}
	endpoint := doc.IntrospectionEndpoint
	if endpoint == "" {
		return fmt.Errorf("the discovery document of %s names no introspection_endpoint", c.issuer)
	}
	form := url.Values{"token": {token}}
	if c.hint != "" {
		form.Set("token_type_hint", c.hint)
	}
	if c.post {
		form.Set("client_id", c.resource)
		form.Set("client_secret", secret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if !c.post {
		// RFC 6749 §2.3.1: each part form-urlencoded, then Basic; a
		// resource named by a URL has a colon in its name.
		req.SetBasicAuth(url.QueryEscape(c.resource), url.QueryEscape(secret))
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("introspection request to %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("introspection response from %s: %w", endpoint, err)
	}
	var ans struct {
		Active           *bool  `json:"active"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return fmt.Errorf("introspection endpoint %s answered %s with something that is not JSON: %.200q", endpoint, resp.Status, body)
	}
	if resp.StatusCode != http.StatusOK || ans.Error != "" || ans.Active == nil {
		switch {
		case ans.Error == "":
			return fmt.Errorf("introspection endpoint %s answered %s without active", endpoint, resp.Status)
		case ans.ErrorDescription != "":
			return fmt.Errorf("the introspection endpoint refused (%s): %s: %s", resp.Status, ans.Error, ans.ErrorDescription)
		}
		return fmt.Errorf("the introspection endpoint refused (%s): %s", resp.Status, ans.Error)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, body, "", "  "); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, out.String())
	return nil
}
