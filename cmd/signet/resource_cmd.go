package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/catalog"
	"github.com/signetid/signet/storage"
)

func (a *app) resourceCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "resource",
		Short: "Manage the API resources kept in the database",
		Long: `Manage the API resources kept in the database, beside the configuration
file's apiResources. An API resource is an API: its name is the audience
(aud) of the tokens that carry one of its scopes. A name is defined in one
place: the file or the database.
` + configHelp,
		RunE: runGroup,
	}
	cmd.AddCommand(a.resourceAddCommand(), a.resourceListCommand(), a.resourceShowCommand(), a.resourceUpdateCommand(), a.resourceRemoveCommand(), a.resourceIdentityCommand(), a.resourceSecretCommand())
	return cmd
}

// resourceView is a resource as list, show and --json show it.
type resourceView struct {
	Name        string   `json:"name"`
	DisplayName string   `json:"displayName"`
	Scopes      []string `json:"scopes"`
	// Secrets (by id, never a hash) and how it is answered, for the
	// introspection endpoint; left out when it has none.
	Secrets               []secretView `json:"secrets,omitempty"`
	IntrospectionResponse string       `json:"introspectionResponse,omitempty"`
	// JWKS or JWKSURI are its keys for private_key_jwt there.
	JWKS    json.RawMessage `json:"jwks,omitempty"`
	JWKSURI string          `json:"jwksUri,omitempty"`
	origin
}

func (v *resourceView) name() string { return v.Name }

// resourcePrinter prints resources.
var resourcePrinter = printer[resourceView, *resourceView]{
	kind: "resource", heading: "RESOURCE\tSOURCE\tDISPLAY NAME\tSCOPES",
	columns: func(v resourceView) []string { return []string{v.DisplayName, strings.Join(v.Scopes, " ")} },
	print:   (*app).printResource,
}

func (a *app) printResource(v resourceView) {
	fmt.Fprintf(a.stdout, "Resource %s (%s)\n", v.Name, definedIn(v.Source, v.File))
	f := newFields(a.stdout)
	f.add("Display name", "%s", orDash(v.DisplayName))
	f.add("Scopes", "%s", orNone(v.Scopes))
	if v.IntrospectionResponse != "" {
		f.add("Introspection", "answered as %s", v.IntrospectionResponse)
	}
	if len(v.JWKS) > 0 || v.JWKSURI != "" {
		addKeys(f, v.JWKS, v.JWKSURI)
	}
	f.flush()
	a.printSecrets(v.Secrets)
}

// resourceViewOf is the view of a resource's record: the database's, or
// the configuration's (fileResources).
func resourceViewOf(r storage.APIResource) resourceView {
	v := resourceView{Name: r.Name, DisplayName: r.DisplayName, Scopes: nonNil(r.Scopes), IntrospectionResponse: r.IntrospectionResponse,
		JWKS: r.JWKS, JWKSURI: r.JWKSURI, origin: origin{Source: sourceDatabase}}
	for _, s := range r.Secrets {
		v.Secrets = append(v.Secrets, secretView{ID: s.ID, Description: s.Description, Created: s.Created.UTC(), Expires: s.Expires.UTC()})
	}
	return v
}

// --- resource add ---

type resourceAddCmd struct {
	flags       catalogFlags
	displayName string
	scopes      []string
	keys        keyFlags
	// introspection is --introspection-response: json or jwt.
	introspection string
}

// introspectionFlag registers --introspection-response.
func introspectionFlag(cmd *cobra.Command, v *string) {
	cmd.Flags().StringVar(v, "introspection-response", "", "how the introspection endpoint answers the resource: json, or jwt (signed, RFC 9701) unless it asks for JSON alone")
}

// introspectionResponse is the stored value of --introspection-response.
func introspectionResponse(v string) (string, error) {
	switch strings.ToLower(v) {
	case "", "json":
		return storage.IntrospectionJSON, nil
	case "jwt":
		return storage.IntrospectionJWT, nil
	}
	return "", usagef("--introspection-response is json or jwt, not %q", v)
}

func (a *app) resourceAddCommand() *cobra.Command {
	c := &resourceAddCmd{}
	cmd := &cobra.Command{
		Use:   "add NAME --scope S [--scope S ...] [--display-name D] [--jwks-file F | --jwks-uri U] [--introspection-response json|jwt]",
		Short: "Add an API resource to the database",
		Long: `Add an API resource to the database. NAME is the audience its tokens carry,
such as https://api.example.com (no spaces), and not a resource of the
configuration file. Each scope must be defined (the file's apiScopes, or
signet scope add); a token with one of them lists NAME in its aud.

At the introspection endpoint the resource authenticates with NAME as its
client_id and a secret (signet resource secret add), or with private_key_jwt
and the keys of --jwks-file or --jwks-uri (which need issuer configured).
` + configHelp + catalogExitCodes,
		Example: `  signet resource add https://orders.example.com --scope orders.read --scope orders.write
  signet resource add billing-api --scope invoices --display-name "Billing API" --json
  signet resource add https://orders.example.com --scope orders.read --jwks-uri https://orders.example.com/jwks`,
		Args: exactArgs(1, "give the resource's name (its audience): signet resource add NAME --scope SCOPE"),
		RunE: func(cmd *cobra.Command, args []string) error { return a.resourceAdd(cmd.Context(), c, args[0]) },
	}
	c.flags.register(cmd, true)
	cmd.Flags().StringArrayVar(&c.scopes, "scope", nil, "a scope of the resource (repeatable; at least one)")
	cmd.Flags().StringVar(&c.displayName, "display-name", "", "the name shown to people")
	c.keys.register(cmd, false, "resource")
	introspectionFlag(cmd, &c.introspection)
	return cmd
}

func (a *app) resourceAdd(ctx context.Context, c *resourceAddCmd, name string) error {
	if err := badValue("", catalog.CheckResourceName(name)); err != nil {
		return err
	}
	if len(c.scopes) == 0 {
		return usagef("give the resource's scopes: --scope S (repeatable); a token with one of them gets %s in its aud", name)
	}
	if err := badValue("--scope", catalog.CheckScopeNames(c.scopes)); err != nil {
		return err
	}
	if err := checkTexts(map[string]string{"--display-name": c.displayName}); err != nil {
		return err
	}
	keys, err := c.keys.read()
	if err != nil {
		return err
	}
	response, err := introspectionResponse(c.introspection)
	if err != nil {
		return err
	}
	return a.withEdit(ctx, c.flags.config, edit{kind: "resource", name: name, adding: true}, func(env *catalogEnv, db storage.Store) error {
		if err := env.checkKeysOf("resource", name, keys); err != nil {
			return err
		}
		known, err := env.knownScopes(ctx, db)
		if err != nil {
			return err
		}
		if err := catalog.CheckScopesKnown(c.scopes, known); err != nil {
			return err
		}
		r := storage.APIResource{Name: name, DisplayName: c.displayName, Scopes: c.scopes,
			JWKS: keys.jwks, JWKSURI: keys.uri, IntrospectionResponse: response}
		err = db.CreateAPIResource(ctx, r)
		if err := storeError(err, "", fmt.Sprintf("resource %q already exists in the database: change it with signet resource update %s", name, name)); err != nil {
			return err
		}
		return resourcePrinter.added(a, env, c.flags.json, resourceViewOf(r), "scopes "+strings.Join(c.scopes, ", "))
	})
}

// --- resource list ---

func (a *app) resourceListCommand() *cobra.Command {
	f := &catalogFlags{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the API resources of the database and of the configuration file",
		Long: `List the API resources: those in the database and those of the
configuration, each with its source and scopes. A name defined in both is
marked CONFLICT: signet serve refuses to start until one is removed.
` + configHelp + catalogExitCodes,
		Example: "  signet resource list\n  signet resource list --json",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return a.resourceList(cmd.Context(), f) },
	}
	f.register(cmd, true)
	return cmd
}

func (a *app) resourceList(ctx context.Context, f *catalogFlags) error {
	return listRecords(ctx, a, f, resourcePrinter, resourceViewOf, storage.Store.ListAPIResources, (*catalogEnv).fileResources)
}

// --- resource show ---

func (a *app) resourceShowCommand() *cobra.Command {
	f := &catalogFlags{}
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show an API resource and its scopes",
		Long: `Show an API resource of the database or of the configuration.
` + configHelp + catalogExitCodes,
		Example: "  signet resource show https://orders.example.com\n  signet resource show https://orders.example.com --json",
		Args:    exactArgs(1, "give the resource's name: signet resource show NAME"),
		RunE:    func(cmd *cobra.Command, args []string) error { return a.resourceShow(cmd.Context(), f, args[0]) },
	}
	f.register(cmd, true)
	return cmd
}

func (a *app) resourceShow(ctx context.Context, f *catalogFlags, name string) error {
	return showRecord(ctx, a, f, resourcePrinter, resourceViewOf, name, storage.Store.GetAPIResource, (*catalogEnv).fileResource)
}

// --- resource update ---

type resourceUpdateCmd struct {
	flags                   catalogFlags
	displayName             string
	scopes                  []string
	addScopes, removeScopes []string
	keys                    keyFlags
	introspection           string
}

func (a *app) resourceUpdateCommand() *cobra.Command {
	c := &resourceUpdateCmd{}
	cmd := &cobra.Command{
		Use:   "update NAME [--display-name D] [--scopes S,... | --add-scope S --remove-scope S] [--jwks-file F | --jwks-uri U | --no-keys] [--introspection-response json|jwt]",
		Short: "Change an API resource of the database",
		Long: `Change an API resource of the database; what is not given stays as it is.
Scopes added must be defined, and a resource keeps at least one scope
(remove the resource instead). The name cannot change: add the new resource
and remove the old one. Resources of the configuration file are changed in
the file.
` + configHelp + catalogExitCodes,
		Example: `  signet resource update https://orders.example.com --add-scope orders.admin
  signet resource update https://orders.example.com --scopes orders.read,orders.write`,
		Args: exactArgs(1, "give the resource's name: signet resource update NAME --add-scope SCOPE"),
		RunE: func(cmd *cobra.Command, args []string) error { return a.resourceUpdate(cmd, c, args[0]) },
	}
	c.flags.register(cmd, true)
	fs := cmd.Flags()
	fs.StringVar(&c.displayName, "display-name", "", "the name shown to people")
	fs.StringSliceVar(&c.scopes, "scopes", nil, "the scopes, replacing them (comma-separated)")
	fs.StringArrayVar(&c.addScopes, "add-scope", nil, "add a scope (repeatable)")
	fs.StringArrayVar(&c.removeScopes, "remove-scope", nil, "remove a scope (repeatable)")
	c.keys.register(cmd, true, "resource")
	introspectionFlag(cmd, &c.introspection)
	return cmd
}

func (a *app) resourceUpdate(cmd *cobra.Command, c *resourceUpdateCmd, name string) error {
	ctx := cmd.Context()
	setDisplay, setScopes := cmd.Flags().Changed("display-name"), cmd.Flags().Changed("scopes")
	setResponse := cmd.Flags().Changed("introspection-response")
	keys, err := c.keys.read()
	if err != nil {
		return err
	}
	if !setDisplay && !setScopes && len(c.addScopes) == 0 && len(c.removeScopes) == 0 && !keys.given && !setResponse {
		return usagef("nothing to change: give --display-name, --scopes, --add-scope, --remove-scope, --jwks-file, --jwks-uri, --no-keys or --introspection-response")
	}
	response, err := introspectionResponse(c.introspection)
	if err != nil {
		return err
	}
	if err := checkScopeEdits(c.scopes, setScopes, c.addScopes, c.removeScopes); err != nil {
		return err
	}
	if setScopes && len(c.scopes) == 0 {
		return usagef("--scopes is empty: a resource keeps at least one scope (signet resource remove %s removes it)", name)
	}
	if err := checkTexts(map[string]string{"--display-name": c.displayName}); err != nil {
		return err
	}
	return a.withEdit(ctx, c.flags.config, edit{kind: "resource", name: name}, func(env *catalogEnv, db storage.Store) error {
		if err := env.checkKeysOf("resource", name, keys); err != nil {
			return err
		}
		known, err := env.knownScopes(ctx, db)
		if err != nil {
			return err
		}
		err = db.UpdateAPIResource(ctx, name, func(r *storage.APIResource) error {
			before := r.Scopes
			if setDisplay {
				r.DisplayName = c.displayName
			}
			if keys.given {
				r.JWKS, r.JWKSURI = keys.jwks, keys.uri
			}
			if setResponse {
				r.IntrospectionResponse = response
			}
			if setScopes {
				r.Scopes = c.scopes
			} else {
				scopes, err := catalog.EditScopes(fmt.Sprintf("resource %q", name), r.Scopes, c.addScopes, c.removeScopes)
				if err != nil {
					return err
				}
				r.Scopes = scopes
			}
			if err := catalog.CheckResourceScopes(name, r.Scopes); err != nil {
				return err
			}
			_, err := catalog.CheckScopeChange(before, r.Scopes, known)
			return err
		})
		if err := storeError(err, env.missing("resource", name), ""); err != nil {
			return err
		}
		r, err := db.GetAPIResource(ctx, name)
		if err != nil {
			return err
		}
		return resourcePrinter.updated(a, env, c.flags.json, resourceViewOf(r))
	})
}

// --- resource remove ---

func (a *app) resourceRemoveCommand() *cobra.Command {
	c := &removeCmd{}
	cmd := &cobra.Command{
		Use:   "remove NAME [--yes]",
		Short: "Remove an API resource from the database",
		Long: `Remove an API resource from the database: new tokens no longer list it in
their aud (their scopes stay). Asks for confirmation on a terminal;
elsewhere give --yes.

Resources of the configuration file are removed from the file. When the
file and the database both define the name (signet serve refuses to start),
this removes the database's.
` + configHelp + catalogExitCodes,
		Example: "  signet resource remove https://orders.example.com --yes",
		Args:    exactArgs(1, "give the resource's name: signet resource remove NAME"),
		RunE:    func(cmd *cobra.Command, args []string) error { return a.resourceRemove(cmd.Context(), c, args[0]) },
	}
	c.register(cmd)
	return cmd
}

func (a *app) resourceRemove(ctx context.Context, c *removeCmd, name string) error {
	return a.removeRecord(ctx, c, removal{
		kind: "resource", name: name,
		effect: "new tokens no longer name it in their aud",
		get:    getter(ctx, name, storage.Store.GetAPIResource),
		del:    func(db storage.Store) error { return db.DeleteAPIResource(ctx, name) },
	})
}
