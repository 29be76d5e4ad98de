package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/opaque"
)

func (a *app) tokenCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Get, decode and verify access tokens",
		Long: `Get an access token from a token service (client_credentials), see what is
in one, and verify it the way an API does.

  signet token get     discovery, then the token endpoint
  signet token decode  header and claims, with times in words; verifies nothing
  signet token verify  signature and claims, saying exactly which check failed
  signet token revoke  revoke a refresh token or reference token (RFC 7009)`,
		RunE: runGroup,
	}
	cmd.AddCommand(a.tokenGetCommand(), a.tokenDecodeCommand(), a.tokenVerifyCommand(), a.tokenRevokeCommand(), a.tokenIntrospectCommand())
	return cmd
}

// httpClient is what signet token uses to reach a token service.
func httpClient() *http.Client { return &http.Client{Timeout: 15 * time.Second} }

// maxResponseBytes bounds what is read from a token service.
const maxResponseBytes = 1 << 20

type tokenGetCmd struct {
	issuer, clientID, scope string
	secretFile, secretEnv   string
	post, json              bool
}

func (a *app) tokenGetCommand() *cobra.Command {
	c := &tokenGetCmd{}
	cmd := &cobra.Command{
		Use:   "get --issuer URL --client-id ID [--scope S] [flags]",
		Short: "Get an access token with client_credentials",
		Long: `Get an access token: read the issuer's discovery document, then ask its
token endpoint with grant_type=client_credentials, authenticating with the
client secret (HTTP Basic, or --post for client_secret_post). Prints the
access token, or the whole response with --json.

The secret comes from --client-secret-file, --client-secret-env, or a prompt
when stdin is a terminal; never from a flag value.

Exit codes: 0 a token was issued, 1 the server refused (its OAuth error code
and description are shown) or could not be reached, 2 wrong usage.`,
		Example: `  signet token get --issuer http://localhost:5000 --client-id myapp --client-secret-env MYAPP_SECRET --scope api1
  TOKEN=$(signet token get --issuer https://auth.example.com --client-id myapp --client-secret-file secret.txt)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return a.tokenGet(cmd.Context(), c) },
	}
	fs := cmd.Flags()
	fs.StringVar(&c.issuer, "issuer", "", "the issuer `URL` (its discovery document names the token endpoint)")
	fs.StringVar(&c.clientID, "client-id", "", "the client `ID`")
	fs.StringVar(&c.secretFile, "client-secret-file", "", "read the client secret from `FILE` (its first line)")
	fs.StringVar(&c.secretEnv, "client-secret-env", "", "read the client secret from environment variable `VAR`")
	fs.StringVar(&c.scope, "scope", "", "the scopes to ask for, space-separated (default: all the client may get)")
	fs.BoolVar(&c.post, "post", false, "send the secret in the body (client_secret_post) instead of HTTP Basic")
	fs.BoolVar(&c.json, "json", false, "print the whole token response as JSON")
	return cmd
}

func (a *app) tokenGet(ctx context.Context, c *tokenGetCmd) error {
	if c.issuer == "" || c.clientID == "" {
		return usagef("give --issuer URL and --client-id ID")
	}
	if c.secretFile != "" && c.secretEnv != "" {
		return usagef("give only one of --client-secret-file and --client-secret-env")
	}
	secret, err := a.readSecret(secretSource{
		file: c.secretFile, env: c.secretEnv, fileFlag: "--client-secret-file", envFlag: "--client-secret-env",
		prompt: fmt.Sprintf("Client secret for %s: ", c.clientID),
		none:   "no client secret: give --client-secret-file FILE or --client-secret-env VAR (stdin is not a terminal, so signet cannot ask)",
	})
	if err != nil {
		return err
	}
	hc := httpClient()
	endpoint, err := discoverEndpoint(ctx, hc, c.issuer, "token_endpoint", func(d *discoveryDoc) string { return d.TokenEndpoint }, "")
	if err != nil {
		return err
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	if c.scope != "" {
		form.Set("scope", c.scope)
	}
	resp, body, err := postForm(ctx, hc, endpoint, "token", form, endpointAuth{id: c.clientID, secret: secret, post: c.post})
	if err != nil {
		return err
	}
	var tr struct {
		AccessToken      string `json:"access_token"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return fmt.Errorf("token endpoint %s answered %s with something that is not JSON: %.200q", endpoint, resp.Status, body)
	}
	if resp.StatusCode != http.StatusOK || tr.Error != "" {
		if tr.Error == "" {
			return fmt.Errorf("token endpoint %s answered %s", endpoint, resp.Status)
		}
		return refusal("token", resp.Status, tr.Error, tr.ErrorDescription)
	}
	if tr.AccessToken == "" {
		return fmt.Errorf("token endpoint %s answered without an access_token", endpoint)
	}
	if c.json {
		var out bytes.Buffer
		if err := json.Indent(&out, body, "", "  "); err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, out.String())
		return nil
	}
	fmt.Fprintln(a.stdout, tr.AccessToken)
	return nil
}

type discoveryDoc struct {
	Issuer        string `json:"issuer"`
	TokenEndpoint string `json:"token_endpoint"`
	// RevocationEndpoint is RFC 8414's revocation_endpoint.
	RevocationEndpoint string `json:"revocation_endpoint"`
	JWKSURI            string `json:"jwks_uri"`
	// IntrospectionEndpoint is for signet token introspect.
	IntrospectionEndpoint string `json:"introspection_endpoint"`
}

func discover(ctx context.Context, hc *http.Client, issuer string) (*discoveryDoc, error) {
	u, err := url.Parse(issuer)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, usagef("--issuer %q is not an absolute URL such as https://auth.example.com", issuer)
	}
	where := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, where, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("discovery: GET %s answered %s: is the issuer right?", where, resp.Status)
	}
	var doc discoveryDoc
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponseBytes)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("discovery: %s is not a discovery document: %v", where, err)
	}
	if doc.Issuer != issuer {
		return nil, fmt.Errorf("discovery: %s says its issuer is %q, not %q: give --issuer exactly as the server names itself", where, doc.Issuer, issuer)
	}
	return &doc, nil
}

// readToken reads a token from the argument, or from stdin for "-" or no
// argument.
func (a *app) readToken(args []string) (string, error) {
	var s string
	if len(args) == 1 && args[0] != "-" {
		s = args[0]
	} else {
		if len(args) == 0 && a.term.IsTerminal() {
			return "", usagef("give the token as an argument, or - to read it from stdin")
		}
		data, err := io.ReadAll(io.LimitReader(a.stdin, maxResponseBytes+1))
		if err != nil {
			return "", err
		}
		if len(data) > maxResponseBytes {
			return "", fmt.Errorf("the input is over %d KiB: a token is a few KiB", maxResponseBytes>>10)
		}
		s = string(data)
	}
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "Bearer "), "bearer ")
	if s == "" {
		return "", usagef("the token is empty")
	}
	return s, nil
}

// decodedToken is a JWS in compact form, split and decoded, not verified.
type decodedToken struct {
	Header    json.RawMessage `json:"header"`
	Payload   json.RawMessage `json:"payload"`
	Signature string          `json:"signature"`
	Verified  bool            `json:"verified"`
}

func decodeToken(s string) (*decodedToken, error) {
	parts := strings.Split(s, ".")
	switch len(parts) {
	case 3:
	case 5:
		return nil, errors.New("this is an encrypted token (JWE, five parts): it cannot be read without the decryption key")
	case 1:
		if opaque.Valid(s) {
			return nil, errors.New("this is an opaque handle, such as a reference access token (accessTokenType Reference): it holds no claims; an API learns them from the introspection endpoint")
		}
		fallthrough
	default:
		return nil, fmt.Errorf("a JWT has three parts separated by dots; this has %d", len(parts))
	}
	var out decodedToken
	for i, dst := range []*json.RawMessage{&out.Header, &out.Payload} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return nil, fmt.Errorf("the %s is not base64url: %v", []string{"header", "payload"}[i], err)
		}
		if !json.Valid(raw) || raw[0] != '{' {
			return nil, fmt.Errorf("the %s is not a JSON object", []string{"header", "payload"}[i])
		}
		*dst = raw
	}
	if _, err := base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
		return nil, fmt.Errorf("the signature is not base64url: %v", err)
	}
	out.Signature = parts[2]
	return &out, nil
}

type tokenDecodeCmd struct{ json bool }

func (a *app) tokenDecodeCommand() *cobra.Command {
	c := &tokenDecodeCmd{}
	cmd := &cobra.Command{
		Use:   "decode [TOKEN | -]",
		Short: "Show a token's header and claims (verifies nothing)",
		Long: `Show what a JWT holds: its header, its claims with iat, nbf and exp as UTC
times and in words ("expires in 54 minutes", "expired 3 hours ago"), and its
signature part. Nothing is verified: anybody can write a token that decodes;
signet token verify checks one.

The token is the argument, or stdin for - or no argument (a leading
"Bearer " is ignored).`,
		Example: "  signet token decode eyJhbGciOi...\n  signet token get ... | signet token decode",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.readToken(args)
			if err != nil {
				return err
			}
			return a.tokenDecode(c, s)
		},
	}
	cmd.Flags().BoolVar(&c.json, "json", false, "print header, payload and signature as JSON")
	return cmd
}

func (a *app) tokenDecode(c *tokenDecodeCmd, s string) error {
	t, err := decodeToken(s)
	if err != nil {
		return err
	}
	if c.json {
		return a.printJSON(t)
	}
	w := a.stdout
	fmt.Fprintln(w, "NOT VERIFIED: this shows what the token says, not whether it is true.")
	fmt.Fprintln(w, "\nHeader")
	writeIndented(w, t.Header)
	fmt.Fprintln(w, "\nPayload")
	writeIndented(w, t.Payload)
	var claims map[string]any
	_ = json.Unmarshal(t.Payload, &claims)
	now := a.now()
	first := true
	for _, name := range []string{"iat", "nbf", "exp"} {
		n, ok := claims[name].(float64)
		if !ok {
			continue
		}
		if first {
			fmt.Fprintln(w, "\nTimes")
			first = false
		}
		at := time.Unix(int64(n), 0).UTC()
		fmt.Fprintf(w, "  %s  %s  (%s)\n", name, at.Format(timeLayout), timeInWords(name, at, now))
	}
	sig, _ := base64.RawURLEncoding.DecodeString(t.Signature)
	fmt.Fprintf(w, "\nSignature (%d bytes)\n  %s\n", len(sig), t.Signature)
	return nil
}

func writeIndented(w io.Writer, raw json.RawMessage) {
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "  ", "  "); err != nil {
		fmt.Fprintf(w, "  %s\n", raw)
		return
	}
	fmt.Fprintf(w, "  %s\n", out.String())
}

// timeInWords says how a token time relates to now: "expires in 54
// minutes", "expired 3 hours ago", "issued 2 minutes ago", "valid from ...".
func timeInWords(claim string, at, now time.Time) string {
	d := at.Sub(now)
	if d > -2*time.Second && d < 2*time.Second {
		switch claim {
		case "exp":
			return "expires now"
		case "nbf":
			return "valid from now"
		}
		return "issued just now"
	}
	switch claim {
	case "exp":
		if d <= 0 {
			return "expired " + certs.Ago(-d) + " ago"
		}
		return "expires in " + certs.Ago(d)
	case "nbf":
		if d > 0 {
			return "not valid for another " + certs.Ago(d)
		}
		return "valid since " + certs.Ago(-d) + " ago"
	}
	if d > 0 {
		return "issued in the future, " + certs.Ago(d) + " from now"
	}
	return "issued " + certs.Ago(-d) + " ago"
}
