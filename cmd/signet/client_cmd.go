package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/catalog"
	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/expiry"
	"github.com/signetid/signet/internal/grant"
	"github.com/signetid/signet/internal/secret"
	"github.com/signetid/signet/storage"
)

func (a *app) clientCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "client",
		Short: "Manage the clients kept in the database",
		Long: `Manage the clients kept in the database, beside those of the configuration
file. A client id is defined in one place: the file or the database. The
commands refuse to add to the database an id the file defines, and to change
a file's client (edit the file); signet serve refuses to start when both
define one.

Secrets are kept hashed: a new secret is printed once, when it is made.
` + configHelp,
		RunE: runGroup,
	}
	secrets := &cobra.Command{
		Use:   "secret",
		Short: "Add and remove the secrets of a client in the database",
		RunE:  runGroup,
	}
	secrets.AddCommand(a.clientSecretAddCommand(), a.clientSecretRemoveCommand())
	cmd.AddCommand(a.clientAddCommand(), a.clientListCommand(), a.clientShowCommand(), a.clientUpdateCommand(), a.clientRemoveCommand(), secrets)
	return cmd
}

// keyFlags are a client's (or an API resource's) public keys for
// private_key_jwt.
type keyFlags struct {
	jwksFile, jwksURI string
	noKeys            bool
}

// register adds the key flags to cmd; whose is "client" or "resource".
func (k *keyFlags) register(cmd *cobra.Command, update bool, whose string) {
	cmd.Flags().StringVar(&k.jwksFile, "jwks-file", "", "the "+whose+"'s public keys for private_key_jwt: a JSON Web Key Set `FILE`")
	cmd.Flags().StringVar(&k.jwksURI, "jwks-uri", "", "where the server fetches the "+whose+"'s public keys for private_key_jwt (https `URL`)")
	if update {
		cmd.Flags().BoolVar(&k.noKeys, "no-keys", false, "remove the "+whose+"'s keys (jwks or jwksUri)")
	}
}

// keysChange is what keyFlags ask for.
type keysChange struct {
	given bool // the keys change (or are set on add)
	jwks  []byte
	uri   string
}

func (k keysChange) any() bool { return len(k.jwks) > 0 || k.uri != "" }

// read checks the key flags and reads the key set file.
func (k keyFlags) read() (keysChange, error) {
	n := 0
	for _, given := range []bool{k.jwksFile != "", k.jwksURI != "", k.noKeys} {
		if given {
			n++
		}
	}
	if n > 1 {
		return keysChange{}, usagef("--jwks-file, --jwks-uri and --no-keys are exclusive: keys, or where to fetch them, or none")
	}
	switch {
	case k.noKeys:
		return keysChange{given: true}, nil
	case k.jwksURI != "":
		return keysChange{given: true, uri: k.jwksURI}, nil
	case k.jwksFile == "":
		return keysChange{}, nil
	}
	data, err := readJWKSFile(k.jwksFile)
	if err != nil {
		return keysChange{}, err
	}
	return keysChange{given: true, jwks: data}, nil
}

// readJWKSFile reads a client's JSON Web Key Set and checks it as the token
// endpoint will (client.ParseKeys: public signing keys only).
func readJWKSFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--jwks-file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, storage.MaxDataLen+1))
	if err != nil {
		return nil, fmt.Errorf("--jwks-file %s: %w", path, err)
	}
	if len(data) > storage.MaxDataLen {
		return nil, fmt.Errorf("--jwks-file %s: over %d KiB; a key set of public keys is a few KiB", path, storage.MaxDataLen>>10)
	}
	data = bytes.TrimSpace(data)
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("--jwks-file %s is not a JSON Web Key Set (a JSON object with keys): %v", path, err)
	}
	if _, single := probe["kty"]; single {
		return nil, fmt.Errorf(`--jwks-file %s holds one key, not a key set: write it as {"keys": [ {...} ]}`, path)
	}
	if _, err := client.ParseKeys(data); err != nil {
		return nil, fmt.Errorf("--jwks-file %s: %w", path, err)
	}
	return data, nil
}

// checkKeys checks keys against the configuration: a jwksUri is https (http
// only with allowHttp), and keys need a configured issuer.
func (e *catalogEnv) checkKeys(id string, k keysChange) error { return e.checkKeysOf("client", id, k) }

// checkKeysOf is checkKeys for a client or a resource (kind).
func (e *catalogEnv) checkKeysOf(kind, id string, k keysChange) error {
	if k.uri != "" {
		if msg := config.CheckURL(k.uri, e.cfg.AllowHTTP); msg != "" {
			return fmt.Errorf("--jwks-uri: %s", msg)
		}
	}
	if k.any() && e.cfg.Issuer == "" {
		why := "the assertion's audience must be this server's configured URL, not one taken from the request's Host header, or an assertion made for another server would be accepted"
		if e.development {
			return fmt.Errorf("%s %q authenticates with private_key_jwt, which needs a configured issuer, and the development defaults have none (%s): give --config FILE with issuer set to the URL clients use", kind, id, why)
		}
		return fmt.Errorf("%s %q authenticates with private_key_jwt, which needs issuer set in %s (signet serve refuses such a %s without one: %s): set issuer to the URL clients use, such as https://auth.example.com", kind, id, e.cfg.File, kind, why)
	}
	return nil
}

// clientView is a client as list, show and --json show it: never a hash.
type clientView struct {
	ClientID   string `json:"clientId"`
	ClientName string `json:"clientName"`
	origin
	AllowedGrantTypes []string `json:"allowedGrantTypes"`
	AllowedScopes     []string `json:"allowedScopes"`
	// AccessTokenLifetime in seconds, the default filled in.
	AccessTokenLifetime int64 `json:"accessTokenLifetime"`
	// AccessTokenType is Jwt (the default filled in) or Reference.
	AccessTokenType string          `json:"accessTokenType"`
	JWKS            json.RawMessage `json:"jwks,omitempty"`
	JWKSURI         string          `json:"jwksUri,omitempty"`

	// The sign-in settings, with IdentityServer's names; lifetimes in
	// seconds and the defaults filled in.
	Public                                bool     `json:"public"`
	RedirectURIs                          []string `json:"redirectUris"`
	PostLogoutRedirectURIs                []string `json:"postLogoutRedirectUris"`
	AllowedCorsOrigins                    []string `json:"allowedCorsOrigins"`
	RequirePkce                           bool     `json:"requirePkce"`
	AllowPlainTextPkce                    bool     `json:"allowPlainTextPkce"`
	RequireConsent                        bool     `json:"requireConsent"`
	AllowRememberConsent                  bool     `json:"allowRememberConsent"`
	AllowOfflineAccess                    bool     `json:"allowOfflineAccess"`
	AlwaysIncludeUserClaimsInIdToken      bool     `json:"alwaysIncludeUserClaimsInIdToken"`
	RequireMfa                            bool     `json:"requireMfa"`
	IdentityTokenLifetime                 int64    `json:"identityTokenLifetime"`
	AuthorizationCodeLifetime             int64    `json:"authorizationCodeLifetime"`
	RefreshTokenUsage                     string   `json:"refreshTokenUsage"`
	RefreshTokenExpiration                string   `json:"refreshTokenExpiration"`
	AbsoluteRefreshTokenLifetime          int64    `json:"absoluteRefreshTokenLifetime"`
	SlidingRefreshTokenLifetime           int64    `json:"slidingRefreshTokenLifetime"`
	ClientURI                             string   `json:"clientUri,omitempty"`
	LogoURI                               string   `json:"logoUri,omitempty"`
	AllowedIdentityTokenSigningAlgorithms []string `json:"allowedIdentityTokenSigningAlgorithms"`

	Secrets []secretView `json:"secrets"`
	Created time.Time    `json:"created,omitzero"`
	Updated time.Time    `json:"updated,omitzero"`
	// defaultLifetime: AccessTokenLifetime is the default, not set.
	defaultLifetime bool
}

type secretView struct {
	// ID names a database secret; the file's have none.
	ID          string    `json:"id,omitempty"`
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created,omitzero"`
	Expires     time.Time `json:"expires,omitzero"`
	Expired     bool      `json:"expired,omitempty"`
	// Expiring: it expires within keyExpiryWarning (not yet expired).
	Expiring bool `json:"expiring,omitempty"`
}

// printSecrets lists the secrets of signet client show and signet resource
// show, below the fields; nothing when there are none. "(expired)" where
// the view says so, "(expires in N days)" for one expiring within
// keyExpiryWarning (clientViewOf sets Expired and Expiring; resources
// leave them false).
func (a *app) printSecrets(secrets []secretView) {
	if len(secrets) == 0 {
		return
	}
	fmt.Fprintln(a.stdout, "  Secrets")
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "    ID\tCREATED\tEXPIRES\tDESCRIPTION")
	for _, s := range secrets {
		id, created, expires := s.ID, "-", "never"
		if id == "" {
			id = "-"
		}
		if !s.Created.IsZero() {
			created = s.Created.Format(timeLayout)
		}
		if !s.Expires.IsZero() {
			expires = s.Expires.Format(timeLayout)
			switch {
			case s.Expired:
				expires += " (expired)"
			case s.Expiring:
				expires += fmt.Sprintf(" (expires in %d days)", int(s.Expires.Sub(a.now())/expiry.Day))
			}
		}
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", id, created, expires, s.Description)
	}
	tw.Flush()
}

func (v *clientView) name() string { return v.ClientID }

// clientPrinter prints clients.
var clientPrinter = printer[clientView, *clientView]{
	kind: "client", heading: "CLIENT ID\tSOURCE\tNAME\tSCOPES\tAUTHENTICATION",
	columns: func(v clientView) []string {
		return []string{v.ClientName, strings.Join(v.AllowedScopes, " "), v.authentication()}
	},
	print: (*app).printClient,
}

// clientViewOf is the view of a client's record: the database's, or the
// file's (fileRecord), at now; window is keyExpiryWarning, within which a
// secret is flagged as expiring.
func clientViewOf(c storage.Client, now time.Time, window time.Duration) clientView {
	v := clientView{
		ClientID: c.ID, ClientName: c.Name, origin: origin{Source: sourceDatabase},
		AllowedGrantTypes: nonNil(c.GrantTypes), AllowedScopes: nonNil(c.Scopes),
		AccessTokenLifetime: int64(c.AccessTokenLifetime / time.Second),
		AccessTokenType:     cmp.Or(c.AccessTokenType, storage.AccessTokenJwt),
		JWKSURI:             c.JWKSURI, Secrets: []secretView{},
		Created: c.Created.UTC(), Updated: c.Updated.UTC(),
	}
	if v.AccessTokenLifetime == 0 {
		v.AccessTokenLifetime, v.defaultLifetime = config.DefaultAccessTokenLifetime, true
	}
	secs := func(d, def time.Duration) int64 { return int64(cmp.Or(d, def) / time.Second) }
	v.Public, v.RedirectURIs, v.PostLogoutRedirectURIs, v.AllowedCorsOrigins = c.Public, nonNil(c.RedirectURIs), nonNil(c.PostLogoutRedirectURIs), nonNil(c.CORSOrigins)
	v.RequirePkce, v.AllowPlainTextPkce, v.RequireConsent, v.AllowRememberConsent = c.RequirePKCE, c.AllowPlainTextPKCE, c.RequireConsent, c.AllowRememberConsent
	v.AllowOfflineAccess, v.AlwaysIncludeUserClaimsInIdToken, v.RequireMfa = c.AllowOfflineAccess, c.AlwaysIncludeUserClaimsInIdToken, c.RequireMfa
	v.IdentityTokenLifetime = secs(c.IdentityTokenLifetime, client.DefaultIdentityTokenLifetime)
	v.AuthorizationCodeLifetime = secs(c.AuthorizationCodeLifetime, client.DefaultAuthorizationCodeLifetime)
	v.AbsoluteRefreshTokenLifetime = secs(c.AbsoluteRefreshTokenLifetime, client.DefaultAbsoluteRefreshTokenLifetime)
	v.SlidingRefreshTokenLifetime = secs(c.SlidingRefreshTokenLifetime, client.DefaultSlidingRefreshTokenLifetime)
	v.RefreshTokenUsage = cmp.Or(c.RefreshTokenUsage, storage.RefreshTokenOneTimeOnly)
	v.RefreshTokenExpiration = cmp.Or(c.RefreshTokenExpiration, storage.RefreshTokenAbsolute)
	v.ClientURI, v.LogoURI = c.ClientURI, c.LogoURI
	v.AllowedIdentityTokenSigningAlgorithms = c.AllowedIdentityTokenSigningAlgorithms
	if len(v.AllowedIdentityTokenSigningAlgorithms) == 0 {
		v.AllowedIdentityTokenSigningAlgorithms = []string{config.DefaultSigningAlgorithm}
	}
	if len(c.JWKS) > 0 {
		v.JWKS = json.RawMessage(c.JWKS)
	}
	for _, s := range c.Secrets {
		state, _ := expiry.SecretOf(s.Expires, now, window)
		v.Secrets = append(v.Secrets, secretView{ID: s.ID, Description: s.Description, Created: s.Created.UTC(), Expires: s.Expires.UTC(),
			Expired: !catalog.ActiveSecret(s, now), Expiring: state == expiry.Expiring})
	}
	return v
}

// authentication says how a client authenticates, for list.
func (v clientView) authentication() string {
	var ways []string
	active, expired, expiring := 0, 0, 0
	for _, s := range v.Secrets {
		switch {
		case s.Expired:
			expired++
		case s.Expiring:
			expiring++
			active++
		default:
			active++
		}
	}
	var soon string
	if expiring > 0 {
		soon = fmt.Sprintf(" (%d expiring)", expiring)
	}
	switch {
	case active == 1:
		ways = append(ways, "1 secret"+soon)
	case active > 1:
		ways = append(ways, fmt.Sprintf("%d secrets%s", active, soon))
	}
	if expired > 0 {
		ways = append(ways, fmt.Sprintf("%d expired", expired))
	}
	if len(v.JWKS) > 0 {
		ways = append(ways, "jwks")
	}
	if v.JWKSURI != "" {
		ways = append(ways, "jwksUri")
	}
	if active == 0 && len(v.JWKS) == 0 && v.JWKSURI == "" {
		ways = append([]string{"none"}, ways...)
	}
	return strings.Join(ways, ", ")
}

func (a *app) printClient(v clientView) {
	fmt.Fprintf(a.stdout, "Client %s (%s)\n", v.ClientID, definedIn(v.Source, v.File))
	f := newFields(a.stdout)
	f.add("Name", "%s", orDash(v.ClientName))
	f.add("Grant types", "%s", strings.Join(v.AllowedGrantTypes, " "))
	f.add("Scopes", "%s", orNone(v.AllowedScopes))
	lifetime := (time.Duration(v.AccessTokenLifetime) * time.Second).String()
	if v.defaultLifetime {
		lifetime += " (default)"
	}
	f.add("Token lifetime", "%s", lifetime)
	f.add("Token type", "%s", v.AccessTokenType)
	addKeys(f, v.JWKS, v.JWKSURI)
	for _, l := range v.signInLines() {
		f.add(l[0], "%s", l[1])
	}
	if !v.Created.IsZero() {
		f.add("Created", "%s", v.Created.Format(timeLayout))
		f.add("Updated", "%s", v.Updated.Format(timeLayout))
	}
	if len(v.Secrets) == 0 {
		f.add("Secrets", "none")
	}
	f.flush()
	a.printSecrets(v.Secrets)
}

// --- client add ---

type clientAddCmd struct {
	flags      catalogFlags
	name       string
	grantTypes []string
	scopes     []string
	lifetime   string
	tokenType  string
	keys       keyFlags
	noSecret   bool
	signIn     *signInFlags
}

func (a *app) clientAddCommand() *cobra.Command {
	c := &clientAddCmd{signIn: newSignInFlags()}
	cmd := &cobra.Command{
		Use:   "add ID [--scope S ...] [--name N] [--grant-type T ...] [--lifetime D] [--access-token-type jwt|reference] [--jwks-file F | --jwks-uri URL] [--no-secret]",
		Short: "Add a client to the database, and print its new secret once",
		Long: `Add a client to the database. Everything is checked before anything is
written: the id (no spaces; not a client of the configuration file), the grant
types (this version: ` + strings.Join(grant.GrantTypes, ", ") + `), the scopes (each defined in
the file's apiScopes or by signet scope add), and the keys.

Unless it has keys (--jwks-file or --jwks-uri: private_key_jwt) or
--no-secret is given, a new secret is made, and only its hash is stored. The
secret is printed ONCE, and it is the only thing written to stdout, so that
SECRET=$(signet client add ...) captures it; what was done goes to stderr.
With --json, stdout is a JSON object whose "secret" field holds it. Store it
now: it cannot be shown again (signet client secret add makes another).

A client with keys needs issuer in the configuration (signet serve refuses
private_key_jwt without one).

--access-token-type reference gives the client reference tokens: an opaque
handle instead of a JWT, whose claims stay in the database, so that revoking
it takes effect at once; its APIs check it at the introspection endpoint.
` + configHelp + catalogExitCodes,
		Example: `  signet client add orders-worker --scope orders.read --config signet.yaml
  SECRET=$(signet client add billing --name "Billing" --scope invoices --lifetime 15m)
  signet client add partner --scope orders.read --jwks-file partner-jwks.json
  signet client add partner --scope orders.read --jwks-uri https://partner.example.com/jwks.json
  signet client add reporting --scope reports --json
  signet client add payments --scope payments --access-token-type reference`,
		Args: exactArgs(1, "give the client id: signet client add ID --scope SCOPE"),
		RunE: func(cmd *cobra.Command, args []string) error { return a.clientAdd(cmd, c, args[0]) },
	}
	c.flags.register(cmd, true)
	fs := cmd.Flags()
	fs.StringVar(&c.name, "name", "", "the client's display name")
	fs.StringArrayVar(&c.grantTypes, "grant-type", nil, "an allowed grant type (repeatable; default client_credentials)")
	fs.StringArrayVar(&c.scopes, "scope", nil, "a scope the client may get (repeatable)")
	fs.StringVar(&c.lifetime, "lifetime", "", "access token lifetime: 1h, 15m, 3600 (seconds) or default (1h)")
	fs.StringVar(&c.tokenType, "access-token-type", "", accessTokenTypeUsage)
	c.keys.register(cmd, false, "client")
	fs.BoolVar(&c.noSecret, "no-secret", false, "make no secret (add one later with signet client secret add)")
	c.signIn.register(cmd, false)
	return cmd
}

func (a *app) clientAdd(cmd *cobra.Command, c *clientAddCmd, id string) error {
	ctx := cmd.Context()
	if err := badValue("", catalog.CheckClientID(id)); err != nil {
		return err
	}
	grantTypes := c.grantTypes
	if len(grantTypes) == 0 {
		grantTypes = []string{config.GrantClientCredentials}
	}
	if err := badValue("--grant-type", catalog.CheckGrantTypes(grantTypes)); err != nil {
		return err
	}
	if err := badValue("--scope", catalog.CheckScopeNames(c.scopes)); err != nil {
		return err
	}
	var lifetime time.Duration
	if c.lifetime != "" {
		var err error
		if lifetime, err = parseLifetime(c.lifetime); err != nil {
			return err
		}
	}
	tokenType, err := catalog.CanonicalAccessTokenType(c.tokenType)
	if err != nil {
		return badValue("--access-token-type", err)
	}
	keys, err := c.keys.read()
	if err != nil {
		return err
	}
	cl := storage.Client{ID: id, Name: c.name, GrantTypes: grantTypes, Scopes: c.scopes,
		AccessTokenLifetime: lifetime, AccessTokenType: tokenType, JWKS: keys.jwks, JWKSURI: keys.uri}
	if err := c.signIn.apply(cmd, &cl, true); err != nil {
		return err
	}
	if cl.Public && (keys.any()) {
		return usagef("--public: a public client has no secret and no keys; leave out --jwks-file and --jwks-uri")
	}
	check := func(env *catalogEnv) error {
		if err := badValue("", catalog.CheckSignIn(cl, env.allowHTTP())); err != nil {
			return err
		}
		return env.checkKeys(id, keys)
	}
	return a.withEdit(ctx, c.flags.config, edit{kind: "client", name: id, adding: true, check: check}, func(env *catalogEnv, db storage.Store) error {
		known, err := env.knownClientScopes(ctx, db)
		if err != nil {
			return err
		}
		if err := catalog.CheckScopesKnown(c.scopes, known); err != nil {
			return err
		}
		var plain string
		if !c.noSecret && !keys.any() && !cl.Public {
			plain = secret.Generate()
			if _, err := catalog.AddSecret(&cl, secret.Hash(plain), "", a.now().UTC(), time.Time{}); err != nil {
				return err
			}
		}
		err = db.CreateClient(ctx, cl)
		if err := storeError(err, "", fmt.Sprintf("client %q already exists in the database: change it with signet client update %s, or remove it first (signet client remove %s)", id, id, id)); err != nil {
			return err
		}
		stored, err := db.GetClient(ctx, id)
		if err != nil {
			return err
		}
		view := clientViewOf(stored, a.now(), env.expiryWindow())
		if c.flags.json {
			out := struct {
				Client   clientView `json:"client"`
				SecretID string     `json:"secretId,omitempty"`
				Secret   string     `json:"secret,omitempty"`
			}{Client: view, Secret: plain}
			if plain != "" {
				out.SecretID = cl.Secrets[0].ID
			}
			if err := a.printJSON(out); err != nil {
				return err
			}
		} else if plain != "" {
			fmt.Fprintln(a.stdout, plain)
		}
		fmt.Fprintf(a.stderr, "Added client %s to the %s; %s.\n", id, env.where(), env.pollNote())
		switch {
		case plain != "":
			fmt.Fprintf(a.stderr, "Its secret (id %s) is shown once: store it now. Signet keeps only its hash; signet client secret add %s makes another.\n", cl.Secrets[0].ID, id)
		case cl.Public:
			fmt.Fprintf(a.stderr, "It is a public client: it has no secret, and uses PKCE.\n")
		case !keys.any():
			fmt.Fprintf(a.stderr, "It has no secret and no keys, so it cannot get tokens yet: signet client secret add %s makes a secret.\n", id)
		}
		return nil
	})
}

// accessTokenTypeUsage is the help of --access-token-type.
const accessTokenTypeUsage = "the access token type: jwt (self-contained JWTs, the default) or reference (opaque handles that can be revoked; APIs introspect them)"

// --- client list ---

func (a *app) clientListCommand() *cobra.Command {
	f := &catalogFlags{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the clients of the database and of the configuration file",
		Long: `List the clients: those in the database and, with a configuration file,
those it defines, each marked with its source (database, file, or development
for the development defaults). An id defined in both is marked CONFLICT:
signet serve refuses to start until one of them is removed.
` + configHelp + catalogExitCodes,
		Example: "  signet client list --config signet.yaml\n  signet client list --json",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return a.clientList(cmd.Context(), f) },
	}
	f.register(cmd, true)
	return cmd
}

func (a *app) clientList(ctx context.Context, f *catalogFlags) error {
	return a.withCatalog(ctx, f.config, func(env *catalogEnv, db storage.Store) error {
		stored, err := db.ListClients(ctx)
		if err != nil {
			return err
		}
		now := a.now()
		view := func(c storage.Client) clientView { return clientViewOf(c, now, env.expiryWindow()) }
		return clientPrinter.list(a, env, f.json, viewsOf(stored, view), viewsOf(env.clients, view))
	})
}

// --- client show ---

func (a *app) clientShowCommand() *cobra.Command {
	f := &catalogFlags{}
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a client: scopes, keys, and its secrets by id (never a hash)",
		Long: `Show a client of the database or of the configuration file: its grant types,
scopes, token lifetime, keys, and its secrets by id, description, creation
and expiry. Secrets are never shown: only their hashes are kept.
` + configHelp + catalogExitCodes,
		Example: "  signet client show orders-worker\n  signet client show orders-worker --json",
		Args:    exactArgs(1, "give the client id: signet client show ID"),
		RunE:    func(cmd *cobra.Command, args []string) error { return a.clientShow(cmd.Context(), f, args[0]) },
	}
	f.register(cmd, true)
	return cmd
}

func (a *app) clientShow(ctx context.Context, f *catalogFlags, id string) error {
	return a.withCatalog(ctx, f.config, func(env *catalogEnv, db storage.Store) error {
		stored, inDB, err := found(db.GetClient(ctx, id))
		if err != nil {
			return err
		}
		fc, inFile := env.fileClient(id)
		return clientPrinter.show(a, env, f.json, id, some(clientViewOf(fc, a.now(), env.expiryWindow()), inFile), some(clientViewOf(stored, a.now(), env.expiryWindow()), inDB))
	})
}

// --- client update ---

type clientUpdateCmd struct {
	flags                   catalogFlags
	name                    string
	grantTypes              []string
	scopes                  []string
	addScopes, removeScopes []string
	lifetime                string
	tokenType               string
	keys                    keyFlags
	force                   bool
	signIn                  *signInFlags
}

func (a *app) clientUpdateCommand() *cobra.Command {
	c := &clientUpdateCmd{signIn: newSignInFlags()}
	cmd := &cobra.Command{
		Use:   "update ID [--name N] [--grant-types T,...] [--scopes S,... | --add-scope S --remove-scope S] [--lifetime D] [--access-token-type jwt|reference] [--jwks-file F | --jwks-uri URL | --no-keys]",
		Short: "Change a client of the database",
		Long: `Change a client of the database; what is not given stays as it is. The new
values are checked as signet client add checks them: scopes added must be
defined, keys need the configuration's issuer. The change is made in one
transaction, so concurrent changes are not lost.

A change that leaves the client no way to authenticate (--no-keys on a
client without an unexpired secret) is refused unless --force is given.

A change of --access-token-type applies to the tokens issued from then on:
tokens already issued stay what they are until they expire.

Clients of the configuration file are changed in the file.
` + configHelp + catalogExitCodes,
		Example: `  signet client update orders-worker --add-scope orders.write
  signet client update payments --access-token-type reference
  signet client update orders-worker --scopes orders.read,invoices --lifetime 30m
  signet client update partner --jwks-file partner-jwks-2027.json`,
		Args: exactArgs(1, "give the client id: signet client update ID --add-scope SCOPE"),
		RunE: func(cmd *cobra.Command, args []string) error { return a.clientUpdate(cmd, c, args[0]) },
	}
	c.flags.register(cmd, true)
	fs := cmd.Flags()
	fs.StringVar(&c.name, "name", "", "the client's display name")
	fs.StringSliceVar(&c.grantTypes, "grant-types", nil, "the allowed grant types, replacing them (comma-separated)")
	fs.StringSliceVar(&c.scopes, "scopes", nil, "the scopes, replacing them (comma-separated)")
	fs.StringArrayVar(&c.addScopes, "add-scope", nil, "add a scope (repeatable)")
	fs.StringArrayVar(&c.removeScopes, "remove-scope", nil, "remove a scope (repeatable)")
	fs.StringVar(&c.lifetime, "lifetime", "", "access token lifetime: 1h, 15m, 3600 (seconds) or default (1h)")
	fs.StringVar(&c.tokenType, "access-token-type", "", accessTokenTypeUsage)
	c.keys.register(cmd, true, "client")
	fs.BoolVar(&c.force, "force", false, "allow a change that leaves the client no way to authenticate")
	c.signIn.register(cmd, true)
	return cmd
}

func (a *app) clientUpdate(cmd *cobra.Command, c *clientUpdateCmd, id string) error {
	ctx := cmd.Context()
	changed := cmd.Flags().Changed
	setName, setGrants, setScopes, setLifetime := changed("name"), changed("grant-types"), changed("scopes"), changed("lifetime")
	setType := changed("access-token-type")
	keys, err := c.keys.read()
	if err != nil {
		return err
	}
	if !setName && !setGrants && !setScopes && !setLifetime && !setType && !keys.given && len(c.addScopes) == 0 && len(c.removeScopes) == 0 && !c.signIn.changed(cmd) {
		return usagef("nothing to change: give --name, --grant-types, --scopes, --add-scope, --remove-scope, --lifetime, --access-token-type, --jwks-file, --jwks-uri, --no-keys or a sign-in setting such as --add-redirect-uri (see signet client update --help)")
	}
	var tokenType string
	if setType {
		if tokenType, err = catalog.CanonicalAccessTokenType(c.tokenType); err != nil {
			return badValue("--access-token-type", err)
		}
	}
	if setGrants {
		if err := badValue("--grant-types", catalog.CheckGrantTypes(c.grantTypes)); err != nil {
			return err
		}
	}
	if err := checkScopeEdits(c.scopes, setScopes, c.addScopes, c.removeScopes); err != nil {
		return err
	}
	var lifetime time.Duration
	if setLifetime {
		if lifetime, err = parseLifetime(c.lifetime); err != nil {
			return err
		}
	}
	check := func(env *catalogEnv) error { return env.checkKeys(id, keys) }
	return a.withEdit(ctx, c.flags.config, edit{kind: "client", name: id, check: check}, func(env *catalogEnv, db storage.Store) error {
		known, err := env.knownClientScopes(ctx, db)
		if err != nil {
			return err
		}
		now := a.now()
		var dangling []string
		err = db.UpdateClient(ctx, id, func(cl *storage.Client) error {
			before := *cl
			if setName {
				cl.Name = c.name
			}
			if setGrants {
				cl.GrantTypes = c.grantTypes
			}
			if setScopes {
				cl.Scopes = c.scopes
			} else {
				scopes, err := catalog.EditScopes(fmt.Sprintf("client %q", id), cl.Scopes, c.addScopes, c.removeScopes)
				if err != nil {
					return err
				}
				cl.Scopes = scopes
			}
			var err error
			if dangling, err = catalog.CheckScopeChange(before.Scopes, cl.Scopes, known); err != nil {
				return err
			}
			if setLifetime {
				cl.AccessTokenLifetime = lifetime
			}
			if setType {
				cl.AccessTokenType = tokenType
			}
			if keys.given {
				cl.JWKS, cl.JWKSURI = keys.jwks, keys.uri
			}
			if err := c.signIn.apply(cmd, cl, false); err != nil {
				return err
			}
			if err := catalog.CheckSignIn(*cl, env.allowHTTP()); err != nil {
				return err
			}
			if cl.Public {
				return nil // authenticates with its client_id alone
			}
			if c.force {
				return nil
			}
			if err := catalog.CheckAuthenticates(before, *cl, now); err != nil {
				return fmt.Errorf("%w, or give --force", err)
			}
			return nil
		})
		if err := storeError(err, env.missing("client", id), ""); err != nil {
			return err
		}
		for _, s := range dangling {
			fmt.Fprintf(a.stderr, "warning: client %q lists scope %q, which is not defined: remove it with --remove-scope %s, or define it (signet scope add %s)\n", id, s, s, s)
		}
		stored, err := db.GetClient(ctx, id)
		if err != nil {
			return err
		}
		return clientPrinter.updated(a, env, c.flags.json, clientViewOf(stored, a.now(), env.expiryWindow()))
	})
}

// --- client remove ---

func (a *app) clientRemoveCommand() *cobra.Command {
	c := &removeCmd{}
	cmd := &cobra.Command{
		Use:   "remove ID [--yes]",
		Short: "Remove a client from the database",
		Long: `Remove a client from the database: running servers refuse it within
storage.pollInterval, and tokens it holds stay valid until they expire.
Asks for confirmation on a terminal; elsewhere give --yes.

Clients of the configuration file are removed from the file. When the file
and the database both define the id (signet serve refuses to start), this
removes the database's.
` + configHelp + catalogExitCodes,
		Example: "  signet client remove orders-worker\n  signet client remove orders-worker --yes --config signet.yaml",
		Args:    exactArgs(1, "give the client id: signet client remove ID"),
		RunE:    func(cmd *cobra.Command, args []string) error { return a.clientRemove(cmd.Context(), c, args[0]) },
	}
	c.register(cmd)
	return cmd
}

func (a *app) clientRemove(ctx context.Context, c *removeCmd, id string) error {
	return a.removeRecord(ctx, c, removal{
		kind: "client", name: id,
		effect: "it can get no more tokens",
		get:    getter(ctx, id, storage.Store.GetClient),
		del:    func(db storage.Store) error { return db.DeleteClient(ctx, id) },
	})
}

// --- client secret add ---

type secretAddCmd struct {
	flags       catalogFlags
	description string
	expires     string
}

func (a *app) clientSecretAddCommand() *cobra.Command {
	c := &secretAddCmd{}
	cmd := &cobra.Command{
		Use:   "add ID [--description D] [--expires DATE]",
		Short: "Make a new secret for a client of the database, and print it once",
		Long: `Make a new secret for a client of the database (256 random bits) and store
its hash. The secret is printed ONCE, alone on stdout, so that
SECRET=$(signet client secret add ...) captures it; its id and what was done
go to stderr. With --json, stdout is a JSON object with the secret and its id.
Store it now: it cannot be shown again.

The client's other secrets keep working: to rotate, add a secret, give it to
the application, then remove the old one (signet client secret remove).
--expires is a date (YYYY-MM-DD, midnight UTC) or an RFC 3339 time.

Secrets of the configuration file's clients are in the file: signet secret
generate makes one and its hash.
` + configHelp + catalogExitCodes,
		Example: `  signet client secret add orders-worker --description "CI, 2027" --expires 2027-12-31
  SECRET=$(signet client secret add orders-worker)`,
		Args: exactArgs(1, "give the client id: signet client secret add ID"),
		RunE: func(cmd *cobra.Command, args []string) error { return a.clientSecretAdd(cmd.Context(), c, args[0]) },
	}
	c.flags.register(cmd, true)
	cmd.Flags().StringVar(&c.description, "description", "", "what the secret is for, shown by signet client show")
	cmd.Flags().StringVar(&c.expires, "expires", "", "when the secret stops working: YYYY-MM-DD (midnight UTC) or RFC 3339")
	return cmd
}

func (a *app) clientSecretAdd(ctx context.Context, c *secretAddCmd, id string) error {
	return a.secretAdd(ctx, c, secretOwner{
		kind: "client", label: "client", name: id,
		inFile:   func(env *catalogEnv) bool { _, ok := env.fileClient(id); return ok },
		fileHint: "signet secret generate makes a secret and the hash to put there",
		missing: func(env *catalogEnv) string {
			return fmt.Sprintf("no client %q in the %s (signet client list shows the clients; signet client add %s adds it)", id, env.where(), id)
		},
		add: secretAdder(id, storage.Store.UpdateClient, catalog.AddSecret),
		json: func(s secretJSON) any {
			return struct {
				ClientID string `json:"clientId"`
				secretJSON
			}{id, s}
		},
	})
}

// secretOwner is a client or an API resource of the database that signet
// client secret add or signet resource secret add gives a secret:
// secretAdd is the same for both but for these.
type secretOwner struct {
	kind  string // the catalog's kind, for its messages: "client", "resource"
	label string // what the output calls it: "client", "API resource"
	name  string
	// inFile reports whether the configuration file defines it, where
	// signet cannot add a secret; fileHint says what to do instead.
	inFile   func(env *catalogEnv) bool
	fileHint string
	// missing is the error when the database has none by that name.
	missing func(env *catalogEnv) string
	// add stores a new secret (its hash) and returns it.
	add func(ctx context.Context, db storage.Store, hash, description string, created, expires time.Time) (storage.ClientSecret, error)
	// json is the --json output: the owner's name, then the secret.
	json func(secretJSON) any
}

// secretAdder is secretOwner.add for the record name of the database,
// which update changes and addTo gives the secret (catalog.AddSecret,
// catalog.AddResourceSecret).
func secretAdder[R any](name string, update func(storage.Store, context.Context, string, func(*R) error) error,
	addTo func(*R, string, string, time.Time, time.Time) (storage.ClientSecret, error),
) func(context.Context, storage.Store, string, string, time.Time, time.Time) (storage.ClientSecret, error) {
	return func(ctx context.Context, db storage.Store, hash, description string, created, expires time.Time) (storage.ClientSecret, error) {
		var added storage.ClientSecret
		err := update(db, ctx, name, func(r *R) error {
			var err error
			added, err = addTo(r, hash, description, created, expires)
			return err
		})
		return added, err
	}
}

// secretJSON is the secret in the --json output of signet client secret
// add and signet resource secret add, after the owner's name.
type secretJSON struct {
	SecretID    string    `json:"secretId"`
	Secret      string    `json:"secret"`
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires,omitzero"`
}

// secretAdd makes a secret, stores its hash for o, and prints it once.
func (a *app) secretAdd(ctx context.Context, c *secretAddCmd, o secretOwner) error {
	now := a.now().UTC()
	var expires time.Time
	if c.expires != "" {
		var err error
		if expires, err = parseExpires(c.expires, now); err != nil {
			return err
		}
	}
	if err := checkTexts(map[string]string{"--description": c.description}); err != nil {
		return err
	}
	env, err := a.catalogConfig(c.flags.config)
	if err != nil {
		return err
	}
	if o.inFile(env) {
		return fmt.Errorf("%w (%s)", env.definedThere(o.kind, o.name), o.fileHint)
	}
	if err := env.writable(); err != nil {
		return err
	}
	plain := secret.Generate()
	hash := secret.Hash(plain)
	return a.withStore(ctx, env, func(db storage.Store) error {
		added, err := o.add(ctx, db, hash, c.description, now, expires)
		if err := storeError(err, o.missing(env), ""); err != nil {
			return err
		}
		if c.flags.json {
			if err := a.printJSON(o.json(secretJSON{added.ID, plain, added.Description, added.Created, added.Expires})); err != nil {
				return err
			}
		} else {
			fmt.Fprintln(a.stdout, plain)
		}
		until := "it does not expire"
		if !expires.IsZero() {
			until = "it expires " + expires.Format(timeLayout)
		}
		fmt.Fprintf(a.stderr, "Added secret %s to %s %s (%s); %s.\nThe secret is shown once: store it now. Signet keeps only its hash.\n", added.ID, o.label, o.name, until, env.pollNote())
		return nil
	})
}

// --- client secret remove ---

func (a *app) clientSecretRemoveCommand() *cobra.Command {
	c := &removeCmd{}
	cmd := &cobra.Command{
		Use:   "remove ID SECRET_ID [--force]",
		Short: "Remove a secret of a client of the database",
		Long: `Remove one secret of a client of the database, by the id signet client show
lists. Applications using it get no more tokens with it once running servers
see the change (within storage.pollInterval).

Removing the last way the client authenticates (its only unexpired secret,
with no keys) is refused unless --force is given: the client could get no
more tokens. Add the new secret first.
` + configHelp + catalogExitCodes,
		Example: "  signet client secret remove orders-worker 3f9a1c2e",
		Args:    exactArgs(2, "give the client id and the secret's id: signet client secret remove ID SECRET_ID (signet client show ID lists the ids)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.clientSecretRemove(cmd.Context(), c, args[0], args[1])
		},
	}
	c.flags.register(cmd, false)
	cmd.Flags().BoolVar(&c.force, "force", false, "remove the client's last way to authenticate too")
	return cmd
}

func (a *app) clientSecretRemove(ctx context.Context, c *removeCmd, id, secretID string) error {
	return a.withEdit(ctx, c.flags.config, edit{kind: "client", name: id}, func(env *catalogEnv, db storage.Store) error {
		now := a.now()
		err := db.UpdateClient(ctx, id, func(cl *storage.Client) error {
			err := catalog.RemoveSecret(cl, secretID, now, c.force)
			if lockout := (*catalog.LockoutError)(nil); errors.As(err, &lockout) {
				return fmt.Errorf("%w, or give --force to remove it anyway", err)
			}
			return err
		})
		if err := storeError(err, env.missing("client", id), ""); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "Removed secret %s of client %s; %s.\n", secretID, id, env.pollNote())
		return nil
	})
}

// addKeys adds the Keys line of a client's or a resource's private_key_jwt
// keys.
func addKeys(f *fields, jwks json.RawMessage, uri string) {
	switch {
	case len(jwks) > 0:
		keys, err := client.ParseKeys(jwks)
		if err != nil {
			f.add("Keys", "jwks, unusable: %v", err)
			return
		}
		var kids []string
		for _, k := range keys.Keys {
			kids = append(kids, fmt.Sprintf("%s %s", k.KeyID, k.Algorithm))
		}
		f.add("Keys", "jwks: %d (%s)", len(keys.Keys), strings.Join(kids, ", "))
	case uri != "":
		f.add("Keys", "jwksUri %s", uri)
	default:
		f.add("Keys", "none")
	}
}
