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
	secret, err := a.readSecret(secretSource{
		file: c.secretFile, env: c.secretEnv, fileFlag: "--secret-file", envFlag: "--secret-env",
		prompt: fmt.Sprintf("Secret of API resource %s: ", c.resource),
		none:   "no secret: give --secret-file FILE or --secret-env VAR (stdin is not a terminal, so signet cannot ask)",
	})
	if err != nil {
		return err
	}
	hc := httpClient()
	endpoint, err := discoverEndpoint(ctx, hc, c.issuer, "introspection_endpoint", func(d *discoveryDoc) string { return d.IntrospectionEndpoint }, "")
	if err != nil {
		return err
	}
	form := url.Values{"token": {token}}
	if c.hint != "" {
		form.Set("token_type_hint", c.hint)
	}
	// An API resource authenticates as a client, its name the client_id.
	resp, body, err := postForm(ctx, hc, endpoint, "introspection", form, endpointAuth{id: c.resource, secret: secret, post: c.post})
	if err != nil {
		return err
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
		if ans.Error == "" {
			return fmt.Errorf("introspection endpoint %s answered %s without active", endpoint, resp.Status)
		}
		return refusal("introspection", resp.Status, ans.Error, ans.ErrorDescription)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, body, "", "  "); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, out.String())
	return nil
}
