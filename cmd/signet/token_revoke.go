package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

type tokenRevokeCmd struct {
	issuer, clientID      string
	secretFile, secretEnv string
	hint                  string
	public, post          bool
}

func (a *app) tokenRevokeCommand() *cobra.Command {
	c := &tokenRevokeCmd{}
	cmd := &cobra.Command{
		Use:   "revoke [TOKEN | -] --issuer URL --client ID [flags]",
		Short: "Revoke a refresh token or reference access token (RFC 7009)",
		Long: `Revoke a token the client holds: read the issuer's discovery document, then
post the token to its revocation_endpoint, authenticating as the client the
token was issued to (HTTP Basic, --post for client_secret_post, or --public
for a public client, which sends its client_id alone). Revoking a refresh
token revokes what was issued from it too: its successors and the reference
access tokens issued with it. JWT access tokens cannot be revoked: they stay
valid until they expire.

The token is the argument, or stdin for - or no argument. The secret comes
from --client-secret-file, --client-secret-env, or a prompt when stdin is a
terminal; never from a flag value.

As RFC 7009 says, the server answers the same to a token it does not know,
or one of another client (which it leaves alone), as to a token it revoked:
"revoked" means that the token, if it was this client's, no longer works.

Exit codes: 0 the server took the revocation, 1 it refused (its OAuth error
code and description are shown) or could not be reached, 2 wrong usage.`,
		Example: `  signet token revoke "$REFRESH_TOKEN" --issuer https://auth.example.com --client webapp --client-secret-env WEBAPP_SECRET
  echo "$REFRESH_TOKEN" | signet token revoke - --issuer http://localhost:5000 --client spa --public`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if c.issuer == "" || c.clientID == "" {
				return usagef("give --issuer URL and --client ID")
			}
			token, err := a.readToken(args)
			if err != nil {
				return err
			}
			return a.tokenRevoke(cmd.Context(), c, token)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&c.issuer, "issuer", "", "the issuer `URL` (its discovery document names the revocation endpoint)")
	fs.StringVar(&c.clientID, "client", "", "the client `ID` the token was issued to")
	fs.StringVar(&c.clientID, "client-id", "", "the same as --client, as signet token get names it")
	_ = fs.MarkHidden("client-id")
	fs.StringVar(&c.secretFile, "client-secret-file", "", "read the client secret from `FILE` (its first line)")
	fs.StringVar(&c.secretEnv, "client-secret-env", "", "read the client secret from environment variable `VAR`")
	fs.BoolVar(&c.public, "public", false, "the client is public: send its client_id alone, no secret")
	fs.BoolVar(&c.post, "post", false, "send the secret in the body (client_secret_post) instead of HTTP Basic")
	fs.StringVar(&c.hint, "hint", "", "token_type_hint: `TYPE` refresh_token or access_token (the server looks for both anyway)")
	return cmd
}

func (a *app) tokenRevoke(ctx context.Context, c *tokenRevokeCmd, token string) error {
	switch {
	case c.secretFile != "" && c.secretEnv != "":
		return usagef("give only one of --client-secret-file and --client-secret-env")
	case c.public && (c.secretFile != "" || c.secretEnv != "" || c.post):
		return usagef("--public sends no secret: leave out --client-secret-file, --client-secret-env and --post")
	case c.hint != "" && c.hint != "refresh_token" && c.hint != "access_token":
		return usagef("--hint %q: give refresh_token or access_token", c.hint)
	}
	var secret string
	if !c.public {
		var err error
		secret, err = a.readSecret(secretSource{
			file: c.secretFile, env: c.secretEnv, fileFlag: "--client-secret-file", envFlag: "--client-secret-env",
			prompt: fmt.Sprintf("Client secret for %s: ", c.clientID),
			none:   "no client secret: give --client-secret-file FILE or --client-secret-env VAR, or --public for a public client (stdin is not a terminal, so signet cannot ask)",
		})
		if err != nil {
			return err
		}
	}
	hc := httpClient()
	endpoint, err := discoverEndpoint(ctx, hc, c.issuer, "revocation_endpoint", func(d *discoveryDoc) string { return d.RevocationEndpoint }, "the server does not revoke tokens")
	if err != nil {
		return err
	}
	form := url.Values{"token": {token}}
	if c.hint != "" {
		form.Set("token_type_hint", c.hint)
	}
	resp, body, err := postForm(ctx, hc, endpoint, "revocation", form, endpointAuth{id: c.clientID, secret: secret, post: c.post, public: c.public})
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusOK {
		fmt.Fprintln(a.stdout, "Revoked: the token, if it was issued to "+c.clientID+", no longer works.")
		return nil
	}
	var e struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		return fmt.Errorf("revocation endpoint %s answered %s", endpoint, resp.Status)
	}
	return refusal("revocation", resp.Status, e.Error, e.ErrorDescription)
}
