package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/federation"
	"github.com/signetid/signet/internal/upstream"
	"github.com/signetid/signet/storage"
)

func (a *app) providerCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "provider",
		Short: "Manage the external identity providers kept in the database",
		Long: `Manage the external identity providers people sign in with (Microsoft Entra
ID, Google, GitHub, any OpenID provider), kept in the database beside the
configuration file's externalProviders. A provider is defined in one place:
the file or the database. Register Signet at the provider with the redirect
URI <issuer>/signin/<name>/callback (signet provider show NAME prints it).
The client secret, or the client key of private_key_jwt, is kept encrypted
under the key-encryption key (keyEncryptionKey; with SQLite,
dataDir/secrets.kek by default).
` + configHelp,
		RunE: runGroup,
	}
	cmd.AddCommand(a.providerAddCommand(false), a.providerListCommand(), a.providerShowCommand(), a.providerAddCommand(true), a.providerRemoveCommand())
	return cmd
}

// providerStore is a store that keeps providers.
type providerStore interface {
	storage.Store
	storage.ExternalProviders
}

func providersOf(db storage.Store, where string) (providerStore, error) {
	ps, ok := db.(providerStore)
	if !ok {
		return nil, fmt.Errorf("the %s does not keep external providers yet: define them in the configuration file's externalProviders", where)
	}
	return ps, nil
}

// providerFlags are add's and update's.
type providerFlags struct {
	catalogFlags
	typ, displayName, authority, tenant, clientID string
	secretFile                                    string
	secretStdin                                   bool
	keyFile, keyPasswordEnv                       string
	scopes, mappings                              []string
	autoProvision, saveTokens                     bool
	timeout                                       time.Duration
}

func (a *app) providerAddCommand(update bool) *cobra.Command {
	f := &providerFlags{}
	use, short := "add NAME --type T --client-id ID [--client-secret-file F | --client-secret-stdin | --client-key-file F] [flags]", "Add an external identity provider to the database"
	if update {
		use, short = "update NAME [flags]", "Change an external identity provider of the database (only the flags given)"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long: short + `. NAME is letters, digits, '.', '_' and '-': the
callback is <issuer>/signin/NAME/callback, and acr_values=idp:NAME sends a
sign-in straight to it. Types: oidc (needs --authority, the issuer URL),
entra (needs --tenant: the directory id, organizations or common), google,
github. The client secret is read from a file or from stdin, never from a
flag. Instead of a secret, --client-key-file authenticates Signet with a
signed assertion (private_key_jwt; types oidc and entra): a PEM private key
(PKCS#8, PKCS#1 or SEC1), a PEM with the key and its certificate, or a
.pfx/.p12 whose password is in the environment variable named by
--client-key-password-env. RSA 2048+ or EC P-256/P-384; entra needs the
certificate. The key is stored encrypted, never printed; signet provider
show NAME --jwks prints the public key to register at the provider.
` + configHelp + catalogExitCodes,
		Example: `  signet provider add entra --type entra --tenant organizations --client-id 7f3c... \
      --client-secret-file entra.secret --display-name "Microsoft" --auto-provision
  printf '%s\n' "$GOOGLE_SECRET" | signet provider add google --type google --client-id 1234.apps.googleusercontent.com --client-secret-stdin
  signet provider update entra --display-name "Contoso account"
  PARTNER_PFX_PASSWORD=... signet provider add partner --type oidc --authority https://login.partner.example \
      --client-id signet --client-key-file partner.pfx --client-key-password-env PARTNER_PFX_PASSWORD`,
		Args: exactArgs(1, "give the provider's name"),
		RunE: func(cmd *cobra.Command, args []string) error { return a.providerSave(cmd, f, args[0], update) },
	}
	f.register(cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&f.typ, "type", "", "oidc, entra, google or github")
	fl.StringVar(&f.displayName, "display-name", "", "the login page's button text")
	fl.StringVar(&f.authority, "authority", "", "oidc: the issuer URL; entra: the cloud instance (default https://login.microsoftonline.com)")
	fl.StringVar(&f.tenant, "tenant", "", "entra: the directory (tenant) id, organizations or common")
	fl.StringVar(&f.clientID, "client-id", "", "Signet's application (client) id at the provider")
	fl.StringVar(&f.secretFile, "client-secret-file", "", "a `FILE` holding the client secret")
	fl.BoolVar(&f.secretStdin, "client-secret-stdin", false, "read the client secret from the first line of stdin")
	fl.StringVar(&f.keyFile, "client-key-file", "", "private_key_jwt: a `FILE` holding the client key (PEM, or .pfx/.p12); replaces the secret")
	fl.StringVar(&f.keyPasswordEnv, "client-key-password-env", "", "the environment `VARIABLE` holding --client-key-file's password")
	fl.StringArrayVar(&f.scopes, "scope", nil, "a scope to ask for (repeat; replaces the default)")
	fl.StringArrayVar(&f.mappings, "claim-mapping", nil, "LOCAL=UPSTREAM: copy the provider's claim UPSTREAM to the new user's LOCAL (repeat)")
	fl.BoolVar(&f.autoProvision, "auto-provision", false, "make a local user at a person's first sign-in")
	fl.BoolVar(&f.saveTokens, "save-tokens", false, "keep the provider's tokens, encrypted")
	fl.DurationVar(&f.timeout, "timeout", 0, "bound on each call to the provider (default 10s)")
	return cmd
}

func (a *app) providerSave(cmd *cobra.Command, f *providerFlags, name string, update bool) error {
	ctx := cmd.Context()
	if p := federation.CheckName(name); p != "" {
		return errors.New(p)
	}
	if f.secretFile != "" && f.secretStdin {
		return errors.New("give --client-secret-file or --client-secret-stdin, not both")
	}
	if f.keyFile != "" && (f.secretFile != "" || f.secretStdin) {
		return errors.New("give a client secret (--client-secret-file, --client-secret-stdin) or a client key (--client-key-file), not both")
	}
	if f.keyPasswordEnv != "" && f.keyFile == "" {
		return errors.New("--client-key-password-env opens --client-key-file, which is missing")
	}
	var key *upstream.ClientKey
	if f.keyFile != "" {
		password := ""
		if f.keyPasswordEnv != "" {
			v, ok := a.lookupEnv(f.keyPasswordEnv)
			if !ok || v == "" {
				return fmt.Errorf("--client-key-password-env: environment variable %s is not set", f.keyPasswordEnv)
			}
			password = v
		}
		k, err := readClientKey(f.keyFile, password, "--client-key-file")
		if err != nil {
			return err
		}
		key = k
	}
	secret := ""
	switch {
	case f.secretFile != "":
		v, _, err := readSecretFile(f.secretFile, "--client-secret-file", "the client secret")
		if err != nil {
			return err
		}
		secret = v
	case f.secretStdin:
		line, err := bufio.NewReader(io.LimitReader(a.stdin, 8<<10)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read the client secret from stdin: %w", err)
		}
		if secret = strings.TrimRight(line, "\r\n"); secret == "" {
			return errors.New("--client-secret-stdin: stdin is empty; write the secret on its first line")
		}
	}
	mappings := map[string]string{}
	for _, m := range f.mappings {
		local, up, ok := strings.Cut(m, "=")
		if !ok {
			return fmt.Errorf("--claim-mapping %q: write LOCAL=UPSTREAM, such as department=extension_department", m)
		}
		mappings[local] = up
	}
	changed := cmd.Flags().Changed
	return a.withCatalog(ctx, f.config, func(env *catalogEnv, db storage.Store) error {
		if slices.ContainsFunc(env.cfg.ExternalProviders, func(p config.ExternalProvider) bool { return p.Name == name }) {
			return fmt.Errorf("provider %q is defined in the configuration file %s: change it there (or give another name)", name, env.cfg.File)
		}
		if err := env.writable(); err != nil {
			return err
		}
		ps, err := providersOf(db, env.where())
		if err != nil {
			return err
		}
		kek, kekErr := secretsKEK(env.cfg)
		apply := func(s *federation.Settings) error {
			set := func(flag string, dst *string, v string) {
				if changed(flag) {
					*dst = v
				}
			}
			set("type", &s.Type, f.typ)
			set("display-name", &s.DisplayName, f.displayName)
			set("authority", &s.Authority, f.authority)
			set("tenant", &s.Tenant, f.tenant)
			set("client-id", &s.ClientID, f.clientID)
			// A new credential replaces the other kind.
			if secret != "" {
				s.ClientSecret, s.ClientKey = secret, nil
			}
			if key != nil {
				s.ClientKey, s.ClientSecret = key, ""
			}
			if changed("scope") {
				s.Scopes = f.scopes
			}
			if changed("claim-mapping") {
				s.ClaimMappings = mappings
			}
			if changed("auto-provision") {
				s.AutoProvision = f.autoProvision
			}
			if changed("save-tokens") {
				s.SaveTokens = f.saveTokens
			}
			if changed("timeout") {
				s.Timeout = f.timeout
			}
			if p := s.Problems(); len(p) > 0 {
				return fmt.Errorf("provider %q: %s", name, strings.Join(p, "; "))
			}
			if (s.ClientSecret != "" || s.ClientKey != nil) && kekErr != nil {
				return kekErr
			}
			return nil
		}
		if !update {
			s := federation.Settings{Name: name}
			if err := apply(&s); err != nil {
				return err
			}
			rec, err := s.Record(kek)
			if err != nil {
				return err
			}
			if err := storeError(ps.CreateExternalProvider(ctx, rec), "", fmt.Sprintf("provider %q already exists in the database: change it with signet provider update %s", name, name)); err != nil {
				return err
			}
			return a.providerDone(f.json, env, s, "Added")
		}
		var out federation.Settings
		err = ps.UpdateExternalProvider(ctx, name, func(rec *storage.ExternalProvider) error {
			if len(rec.Settings) > 0 && (strings.Contains(string(rec.Settings), `"clientSecretSealed"`) || strings.Contains(string(rec.Settings), `"clientKeySealed"`)) && kekErr != nil {
				return kekErr
			}
			s, err := federation.FromRecord(*rec, kek)
			if err != nil {
				return err
			}
			if err := apply(&s); err != nil {
				return err
			}
			next, err := s.Record(kek)
			if err != nil {
				return err
			}
			rec.Type, rec.Settings = next.Type, next.Settings
			out = s
			return nil
		})
		if err := storeError(err, fmt.Sprintf("no provider %q in the %s (signet provider list shows them)", name, env.where()), ""); err != nil {
			return err
		}
		return a.providerDone(f.json, env, out, "Changed")
	})
}

func (a *app) providerDone(json bool, env *catalogEnv, s federation.Settings, verb string) error {
	s.Source = sourceDatabase
	if json {
		return a.printJSON(providerViewOf(env, s))
	}
	fmt.Fprintf(a.stdout, "%s provider %s in the %s; %s.\n", verb, s.Name, env.where(), env.pollNote())
	fmt.Fprintf(a.stdout, "Its redirect URI at the provider: %s\n", redirectURIOf(env, s.Name))
	if s.ClientKey != nil {
		fmt.Fprintf(a.stdout, "Client authentication private_key_jwt: %s\n", clientKeyText(s.ClientKey.KeyID(), thumbprintOf(s.ClientKey), s.Name))
	}
	return nil
}

// providerView is what list, show and --json print; never the secret.
type providerView struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Source      string `json:"source"`
	DisplayName string `json:"displayName,omitempty"`
	Authority   string `json:"authority,omitempty"`
	Tenant      string `json:"tenant,omitempty"`
	ClientID    string `json:"clientId"`
	HasSecret   bool   `json:"hasClientSecret"`
	// ClientAuth is how Signet authenticates at the provider's token
	// endpoint: client_secret, private_key_jwt or none (a public client).
	ClientAuth string `json:"clientAuthentication"`
	// ClientKeyID, ClientCertThumbprint and ClientJWK describe the client
	// key of private_key_jwt: its kid (RFC 7638 thumbprint), its
	// certificate's SHA-1 thumbprint, its public JWK (for a file's key
	// that cannot be read, ClientKeyID says why).
	ClientKeyID          string            `json:"clientKeyId,omitempty"`
	ClientCertThumbprint string            `json:"clientCertificateThumbprint,omitempty"`
	ClientJWK            json.RawMessage   `json:"clientPublicJwk,omitempty"`
	Scopes               []string          `json:"scopes"`
	ClaimMappings        map[string]string `json:"claimMappings"`
	AutoProvision        bool              `json:"autoProvision"`
	SaveTokens           bool              `json:"saveTokens"`
	RedirectURI          string            `json:"redirectUri"`
}

func providerViewOf(env *catalogEnv, s federation.Settings) providerView {
	m := s.ClaimMappings
	if m == nil {
		m = map[string]string{}
	}
	v := providerView{Name: s.Name, Type: s.Type, Source: s.Source, DisplayName: s.DisplayName, Authority: s.Authority, Tenant: s.Tenant,
		ClientID: s.ClientID, HasSecret: s.ClientSecret != "" || len(s.SealedClientSecret) > 0, Scopes: nonNil(s.Scopes), ClaimMappings: m,
		AutoProvision: s.AutoProvision, SaveTokens: s.SaveTokens, RedirectURI: redirectURIOf(env, s.Name), ClientAuth: "none"}
	if v.HasSecret {
		v.ClientAuth = "client_secret"
	}
	// A database provider's key is described by what is stored beside its
	// sealed key; a file's, or one just added, by the key itself.
	v.ClientKeyID, v.ClientCertThumbprint, v.ClientJWK = s.ClientKeyID, s.ClientCertThumbprint, s.ClientPublicJWK
	if k := s.ClientKey; k != nil {
		v.ClientKeyID, v.ClientCertThumbprint = k.KeyID(), thumbprintOf(k)
		v.ClientJWK, _ = k.PublicJWK()
	}
	if v.ClientKeyID != "" || len(s.SealedClientKey) > 0 {
		v.ClientAuth = "private_key_jwt"
	}
	return v
}

// thumbprintOf is the SHA-1 thumbprint of k's certificate (as Entra and
// Windows show it), or "" for a bare key.
func thumbprintOf(k *upstream.ClientKey) string {
	if c := k.Certificate(); c != nil {
		return certs.Thumbprint(c)
	}
	return ""
}

// clientKeyText says what the client key is and what to register at the
// provider.
func clientKeyText(kid, thumbprint, name string) string {
	if thumbprint != "" {
		return fmt.Sprintf("key %s, certificate thumbprint %s (register the certificate at the provider)", kid, thumbprint)
	}
	return fmt.Sprintf("key %s (register its public key at the provider: signet provider show %s --jwks)", kid, name)
}

// redirectURIOf is the provider's callback at the configured issuer, or
// its path when the issuer comes from each request's Host.
func redirectURIOf(env *catalogEnv, name string) string {
	if env.cfg.Issuer == "" {
		return "<issuer>" + federation.CallbackPath(name)
	}
	return strings.TrimSuffix(env.cfg.Issuer, "/") + federation.CallbackPath(name)
}

// allProviders are the file's providers and the database's (without
// opening their secrets).
func allProviders(ctx context.Context, env *catalogEnv, db storage.Store) ([]federation.Settings, error) {
	var out []federation.Settings
	for _, p := range env.cfg.ExternalProviders {
		s := federation.Settings{Name: p.Name, Type: p.Type, DisplayName: p.DisplayName, Authority: p.Authority, Tenant: p.Tenant,
			ClientID: p.ClientID, ClientSecret: p.ClientSecret + p.ClientSecretFile, Scopes: p.Scopes, ClaimMappings: p.ClaimMappingStrings(),
			AutoProvision: p.AutoProvision, SaveTokens: p.SaveTokens, Source: sourceFile}
		if p.ClientKeyFile != "" {
			// Read to say what to register; a fault is shown, not fatal
			// (config check reports it at its line).
			k, err := readClientKey(p.ClientKeyFile, p.ClientKeyPassword, "clientKeyFile")
			s.ClientKey = k
			if err != nil {
				s.ClientKeyID = "(unreadable: " + err.Error() + ")"
			}
		}
		out = append(out, s)
	}
	ps, ok := db.(providerStore)
	if !ok {
		return out, nil
	}
	recs, err := ps.ListExternalProviders(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		s, err := federation.Describe(r) // the secret stays sealed
		if err != nil {
			return nil, err
		}
		s.Source = sourceDatabase
		out = append(out, s)
	}
	return out, nil
}

func (a *app) providerListCommand() *cobra.Command {
	f := &catalogFlags{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the external identity providers: the configuration file's and the database's",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withCatalog(ctx, f.config, func(env *catalogEnv, db storage.Store) error {
				list, err := allProviders(ctx, env, db)
				if err != nil {
					return err
				}
				views := []providerView{}
				for _, s := range list {
					views = append(views, providerViewOf(env, s))
				}
				if f.json {
					return a.printJSON(views)
				}
				fmt.Fprintln(a.stdout, env.header())
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tTYPE\tSOURCE\tDISPLAY NAME\tAUTO-PROVISION\tREDIRECT URI")
				for _, v := range views {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\n", v.Name, v.Type, v.Source, orDash(v.DisplayName), v.AutoProvision, v.RedirectURI)
				}
				return tw.Flush()
			})
		},
	}
	f.register(cmd, true)
	return cmd
}

func (a *app) providerShowCommand() *cobra.Command {
	f := &catalogFlags{}
	var jwks bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show an external identity provider, with the redirect URI to register at it",
		Long: `Show an external identity provider, with the redirect URI to register at
it. With a client key (private_key_jwt), it shows the key's kid and its
certificate's thumbprint; --jwks prints its public key as a JWK set, to
register at the provider (the private key is never printed).
` + configHelp,
		Args: exactArgs(1, "give the provider's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withCatalog(ctx, f.config, func(env *catalogEnv, db storage.Store) error {
				list, err := allProviders(ctx, env, db)
				if err != nil {
					return err
				}
				i := slices.IndexFunc(list, func(s federation.Settings) bool { return s.Name == args[0] })
				if i < 0 {
					return fmt.Errorf("no provider %q in the configuration file or the %s (signet provider list shows them)", args[0], env.where())
				}
				v := providerViewOf(env, list[i])
				if jwks {
					if len(v.ClientJWK) == 0 && v.ClientAuth == "private_key_jwt" {
						return fmt.Errorf("provider %q: its client key is %s", v.Name, v.ClientKeyID)
					}
					if len(v.ClientJWK) == 0 {
						return fmt.Errorf("provider %q has no client key (private_key_jwt): --jwks prints the public key of one", v.Name)
					}
					return a.printJSON(map[string][]json.RawMessage{"keys": {v.ClientJWK}})
				}
				if f.json {
					return a.printJSON(v)
				}
				fmt.Fprintf(a.stdout, "Provider %s (%s)\n", v.Name, v.Source)
				fl := newFields(a.stdout)
				fl.add("Type", "%s", v.Type)
				fl.add("Display name", "%s", orDash(v.DisplayName))
				fl.add("Authority", "%s", orDash(v.Authority))
				fl.add("Tenant", "%s", orDash(v.Tenant))
				fl.add("Client id", "%s", v.ClientID)
				switch {
				case v.ClientAuth == "private_key_jwt" && v.ClientCertThumbprint != "":
					fl.add("Client authentication", "private_key_jwt (key %s, certificate thumbprint %s)", v.ClientKeyID, v.ClientCertThumbprint)
				case v.ClientAuth == "private_key_jwt":
					fl.add("Client authentication", "private_key_jwt (key %s; signet provider show %s --jwks prints its public key)", v.ClientKeyID, v.Name)
				default:
					fl.add("Client secret", "%s", map[bool]string{true: "set (not shown)", false: "none"}[v.HasSecret])
				}
				fl.add("Scopes", "%s", orNone(v.Scopes))
				var ms []string
				for k, up := range v.ClaimMappings {
					ms = append(ms, k+"="+up)
				}
				slices.Sort(ms)
				fl.add("Claim mappings", "%s", orNone(ms))
				fl.add("Auto-provision", "%v", v.AutoProvision)
				fl.add("Save tokens", "%v", v.SaveTokens)
				fl.add("Redirect URI", "%s", v.RedirectURI)
				fl.flush()
				return nil
			})
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&jwks, "jwks", false, "print the client key's public key as a JWK set {\"keys\": [...]}")
	return cmd
}

func (a *app) providerRemoveCommand() *cobra.Command {
	f := &catalogFlags{}
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove an external identity provider from the database (its users' links stay)",
		Args:  exactArgs(1, "give the provider's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withCatalog(ctx, f.config, func(env *catalogEnv, db storage.Store) error {
				if slices.ContainsFunc(env.cfg.ExternalProviders, func(p config.ExternalProvider) bool { return p.Name == args[0] }) {
					return fmt.Errorf("provider %q is defined in the configuration file %s: delete it there", args[0], env.cfg.File)
				}
				if err := env.writable(); err != nil {
					return err
				}
				ps, err := providersOf(db, env.where())
				if err != nil {
					return err
				}
				if err := storeError(ps.DeleteExternalProvider(ctx, args[0]), fmt.Sprintf("no provider %q in the %s (signet provider list shows them)", args[0], env.where()), ""); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Removed provider %s from the %s; %s. Links made through it stay (signet user links USER).\n", args[0], env.where(), env.pollNote())
				return nil
			})
		},
	}
	f.register(cmd, false)
	return cmd
}
