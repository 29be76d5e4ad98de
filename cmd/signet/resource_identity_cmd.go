package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/catalog"
	"github.com/signetid/signet/storage"
)

// resourceIdentityCommand manages the custom identity resources of the
// database: the OpenID Connect scopes that stand for user claims, beside
// the built-in ones and the configuration file's identityResources.
func (a *app) resourceIdentityCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "identity",
		Short: "Manage the identity resources (scopes of user claims) kept in the database",
		Long: `Manage the custom identity resources kept in the database, beside the
configuration file's identityResources. An identity resource is an OpenID
Connect scope that stands for user claims: a client allowed it gets those
claims of the user who signs in (at userinfo, and in the ID token with
alwaysIncludeUserClaimsInIdToken). openid, profile, email, address, phone and
offline_access are built in, and cannot be added or changed. A name is
defined in one place: the file or the database, and is not an API scope's.
` + configHelp,
		RunE: runGroup,
	}
	cmd.AddCommand(a.identityAddCommand(), a.identityListCommand(), a.identityShowCommand(), a.identityUpdateCommand(), a.identityRemoveCommand())
	return cmd
}

// identityView is an identity resource as list, show and --json show it.
type identityView struct {
	Name        string   `json:"name"`
	DisplayName string   `json:"displayName"`
	Description string   `json:"description"`
	UserClaims  []string `json:"userClaims"`
	origin
}

func (v *identityView) name() string { return v.Name }

var identityPrinter = printer[identityView, *identityView]{
	kind: kindIdentity, heading: "IDENTITY RESOURCE\tSOURCE\tDISPLAY NAME\tCLAIMS",
	columns: func(v identityView) []string { return []string{v.DisplayName, strings.Join(v.UserClaims, " ")} },
	print:   (*app).printIdentity,
}

func (a *app) printIdentity(v identityView) {
	fmt.Fprintf(a.stdout, "Identity resource %s (%s)\n", v.Name, definedIn(v.Source, v.File))
	f := newFields(a.stdout)
	f.add("Display name", "%s", orDash(v.DisplayName))
	f.add("Description", "%s", orDash(v.Description))
	f.add("Claims", "%s", orNone(v.UserClaims))
	f.flush()
}

func identityViewOf(r storage.IdentityResource) identityView {
	return identityView{Name: r.Name, DisplayName: r.DisplayName, Description: r.Description, UserClaims: nonNil(r.Claims), origin: origin{Source: sourceDatabase}}
}

// fileIdentityResourceRecords are the configuration's custom identity
// resources, as records (those with a built-in name are the built-in ones).
func (e *catalogEnv) fileIdentityResourceRecords() []storage.IdentityResource {
	custom, _, _ := fileIdentityResources(e.cfg, func(string) bool { return false })
	out := make([]storage.IdentityResource, len(custom))
	for i, r := range custom {
		out[i] = r.IdentityResource
	}
	return out
}

func (e *catalogEnv) fileIdentityResource(name string) (storage.IdentityResource, bool) {
	return named(e.fileIdentityResourceRecords(), name, func(r storage.IdentityResource) string { return r.Name })
}

// --- resource identity add ---

type identityAddCmd struct {
	flags                    catalogFlags
	displayName, description string
	claims                   []string
}

func (a *app) identityAddCommand() *cobra.Command {
	c := &identityAddCmd{}
	cmd := &cobra.Command{
		Use:   "add NAME --claim C [--claim C ...] [--display-name D] [--description D]",
		Short: "Add an identity resource to the database",
		Long: `Add a custom identity resource to the database: NAME is the scope a client
asks for, and each --claim a user claim it grants. NAME is not built in,
not an API scope, and not an identity resource of the configuration file;
no claim is one a token sets itself (sub, iss, aud, ...).
` + configHelp + catalogExitCodes,
		Example: `  signet resource identity add employee --claim employee_id --claim department --display-name "Your employee record"`,
		Args:    exactArgs(1, "give the identity resource's name (its scope): signet resource identity add NAME --claim CLAIM"),
		RunE:    func(cmd *cobra.Command, args []string) error { return a.identityAdd(cmd.Context(), c, args[0]) },
	}
	c.flags.register(cmd, true)
	fs := cmd.Flags()
	fs.StringArrayVar(&c.claims, "claim", nil, "a user claim the scope grants (repeatable; at least one)")
	fs.StringVar(&c.displayName, "display-name", "", "the name the consent page shows")
	fs.StringVar(&c.description, "description", "", "what the consent page says of it")
	return cmd
}

func (a *app) identityAdd(ctx context.Context, c *identityAddCmd, name string) error {
	if len(c.claims) == 0 {
		return usagef("give the claims the scope grants: --claim C (repeatable)")
	}
	if err := checkTexts(map[string]string{"--display-name": c.displayName, "--description": c.description}); err != nil {
		return err
	}
	r := storage.IdentityResource{Name: name, DisplayName: c.displayName, Description: c.description, Claims: c.claims}
	return a.withEdit(ctx, c.flags.config, edit{kind: kindIdentity, name: name, adding: true}, func(env *catalogEnv, db storage.Store) error {
		api, err := env.knownScopes(ctx, db)
		if err != nil {
			return err
		}
		if err := badValue("", catalog.CheckIdentityResource(r, api)); err != nil {
			return err
		}
		err = db.CreateIdentityResource(ctx, r)
		if err := storeError(err, "", fmt.Sprintf("identity resource %q already exists in the database: change it with signet resource identity update %s", name, name)); err != nil {
			return err
		}
		return identityPrinter.added(a, env, c.flags.json, identityViewOf(r), "claims "+strings.Join(c.claims, ", "))
	})
}

// --- resource identity list and show ---

func (a *app) identityListCommand() *cobra.Command {
	f := &catalogFlags{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the custom identity resources of the database and of the configuration file",
		Long: `List the custom identity resources: those in the database and those of the
configuration, each with its source and claims (the built-in ones are not
listed). A name defined in both is marked CONFLICT: signet serve refuses to
start until one is removed.
` + configHelp + catalogExitCodes,
		Example: "  signet resource identity list\n  signet resource identity list --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return listRecords(cmd.Context(), a, f, identityPrinter, identityViewOf, storage.Store.ListIdentityResources, (*catalogEnv).fileIdentityResourceRecords)
		},
	}
	f.register(cmd, true)
	return cmd
}

func (a *app) identityShowCommand() *cobra.Command {
	f := &catalogFlags{}
	cmd := &cobra.Command{
		Use:     "show NAME",
		Short:   "Show a custom identity resource and its claims",
		Long:    "Show a custom identity resource of the database or of the configuration.\n" + configHelp + catalogExitCodes,
		Example: "  signet resource identity show employee --json",
		Args:    exactArgs(1, "give the identity resource's name: signet resource identity show NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return showRecord(cmd.Context(), a, f, identityPrinter, identityViewOf, args[0], storage.Store.GetIdentityResource, (*catalogEnv).fileIdentityResource)
		},
	}
	f.register(cmd, true)
	return cmd
}

// --- resource identity update ---

type identityUpdateCmd struct {
	flags                    catalogFlags
	displayName, description string
	claims                   []string
	addClaims, removeClaims  []string
}

func (a *app) identityUpdateCommand() *cobra.Command {
	c := &identityUpdateCmd{}
	cmd := &cobra.Command{
		Use:   "update NAME [--display-name D] [--description D] [--claims C,... | --add-claim C --remove-claim C]",
		Short: "Change an identity resource of the database",
		Long: `Change a custom identity resource of the database; what is not given stays
as it is. Those of the configuration file are changed in the file.
` + configHelp + catalogExitCodes,
		Example: `  signet resource identity update employee --add-claim cost_center`,
		Args:    exactArgs(1, "give the identity resource's name: signet resource identity update NAME --add-claim CLAIM"),
		RunE:    func(cmd *cobra.Command, args []string) error { return a.identityUpdate(cmd, c, args[0]) },
	}
	c.flags.register(cmd, true)
	fs := cmd.Flags()
	fs.StringVar(&c.displayName, "display-name", "", "the name the consent page shows")
	fs.StringVar(&c.description, "description", "", "what the consent page says of it")
	fs.StringSliceVar(&c.claims, "claims", nil, "the claims, replacing them (comma-separated)")
	fs.StringArrayVar(&c.addClaims, "add-claim", nil, "add a claim (repeatable)")
	fs.StringArrayVar(&c.removeClaims, "remove-claim", nil, "remove a claim (repeatable)")
	return cmd
}

func (a *app) identityUpdate(cmd *cobra.Command, c *identityUpdateCmd, name string) error {
	ctx := cmd.Context()
	changed := cmd.Flags().Changed
	setDisplay, setDescription, setClaims := changed("display-name"), changed("description"), changed("claims")
	if !setDisplay && !setDescription && !setClaims && len(c.addClaims) == 0 && len(c.removeClaims) == 0 {
		return usagef("nothing to change: give --display-name, --description, --claims, --add-claim or --remove-claim")
	}
	if setClaims && (len(c.addClaims) > 0 || len(c.removeClaims) > 0) {
		return usagef("--claims replaces the list: give it, or --add-claim/--remove-claim, not both")
	}
	if err := checkTexts(map[string]string{"--display-name": c.displayName, "--description": c.description}); err != nil {
		return err
	}
	return a.withEdit(ctx, c.flags.config, edit{kind: kindIdentity, name: name}, func(env *catalogEnv, db storage.Store) error {
		api, err := env.knownScopes(ctx, db)
		if err != nil {
			return err
		}
		err = db.UpdateIdentityResource(ctx, name, func(r *storage.IdentityResource) error {
			if setDisplay {
				r.DisplayName = c.displayName
			}
			if setDescription {
				r.Description = c.description
			}
			if setClaims {
				r.Claims = c.claims
			} else {
				list := &listFlags{label: "claim", addFlag: "add-claim", removeFlag: "remove-claim", setFlag: "claims", add: c.addClaims, remove: c.removeClaims}
				claims, err := list.apply(cmd, fmt.Sprintf("identity resource %q", name), r.Claims)
				if err != nil {
					return err
				}
				r.Claims = claims
			}
			if len(r.Claims) == 0 {
				return fmt.Errorf("the change leaves identity resource %q no claim: it keeps at least one (signet resource identity remove %s removes it)", name, name)
			}
			return catalog.CheckIdentityResource(*r, api)
		})
		if err := storeError(err, env.missing(kindIdentity, name), ""); err != nil {
			return err
		}
		r, err := db.GetIdentityResource(ctx, name)
		if err != nil {
			return err
		}
		return identityPrinter.updated(a, env, c.flags.json, identityViewOf(r))
	})
}

// --- resource identity remove ---

func (a *app) identityRemoveCommand() *cobra.Command {
	c := &removeCmd{}
	cmd := &cobra.Command{
		Use:   "remove NAME [--yes]",
		Short: "Remove an identity resource from the database",
		Long: `Remove a custom identity resource from the database: clients allowed it no
longer get its claims. Asks for confirmation on a terminal; elsewhere give
--yes.
` + configHelp + catalogExitCodes,
		Example: "  signet resource identity remove employee --yes",
		Args:    exactArgs(1, "give the identity resource's name: signet resource identity remove NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, name := cmd.Context(), args[0]
			return a.removeRecord(ctx, c, removal{
				kind: kindIdentity, name: name,
				effect: "clients allowed it no longer get its claims",
				get:    getter(ctx, name, storage.Store.GetIdentityResource),
				del:    func(db storage.Store) error { return db.DeleteIdentityResource(ctx, name) },
			})
		},
	}
	c.register(cmd)
	return cmd
}
