package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/catalog"
	"github.com/signetid/signet/storage"
)

func (a *app) scopeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scope",
		Short: "Manage the API scopes kept in the database",
		Long: `Manage the API scopes kept in the database, beside the configuration file's
apiScopes. A scope is defined in one place: the file or the database. Clients
may get a scope (signet client update ID --add-scope S), and API resources
group them: a token's aud lists the resources holding its scopes. Scopes
appear in the discovery document's scopes_supported.
` + configHelp,
		RunE: runGroup,
	}
	cmd.AddCommand(a.scopeAddCommand(), a.scopeListCommand(), a.scopeShowCommand(), a.scopeUpdateCommand(), a.scopeRemoveCommand())
	return cmd
}

// ref names a client or resource that uses a scope, and where it is defined.
type ref struct {
	Name   string `json:"name"`
	Source string `json:"source"`
}

// scopeUsers are the clients and resources that list a scope.
type scopeUsers struct {
	Clients   []ref `json:"clients"`
	Resources []ref `json:"resources"`
}

func (u scopeUsers) empty() bool { return len(u.Clients) == 0 && len(u.Resources) == 0 }

// inFile lists users defined by the configuration, which no command changes.
func (u scopeUsers) inFile() []string {
	var out []string
	for _, r := range u.Clients {
		if r.Source != sourceDatabase {
			out = append(out, fmt.Sprintf("client %q", r.Name))
		}
	}
	for _, r := range u.Resources {
		if r.Source != sourceDatabase {
			out = append(out, fmt.Sprintf("resource %q", r.Name))
		}
	}
	return out
}

func (u scopeUsers) String() string {
	var out []string
	for _, r := range u.Clients {
		out = append(out, fmt.Sprintf("client %s (%s)", r.Name, r.Source))
	}
	for _, r := range u.Resources {
		out = append(out, fmt.Sprintf("resource %s (%s)", r.Name, r.Source))
	}
	return strings.Join(out, ", ")
}

func (u scopeUsers) summary() string {
	if u.empty() {
		return "-"
	}
	var parts []string
	if n := len(u.Clients); n > 0 {
		parts = append(parts, plural(n, "client"))
	}
	if n := len(u.Resources); n > 0 {
		parts = append(parts, plural(n, "resource"))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// catalogContents is everything that may use a scope: the database's
// clients and resources, and the configuration's.
type catalogContents struct {
	env       *catalogEnv
	clients   []storage.Client
	resources []storage.APIResource
}

func (e *catalogEnv) contents(ctx context.Context, db storage.Store) (*catalogContents, error) {
	clients, err := db.ListClients(ctx)
	if err != nil {
		return nil, err
	}
	resources, err := db.ListAPIResources(ctx)
	if err != nil {
		return nil, err
	}
	return &catalogContents{env: e, clients: clients, resources: resources}, nil
}

func (c *catalogContents) usersOf(scope string) scopeUsers {
	u := scopeUsers{Clients: []ref{}, Resources: []ref{}}
	for _, cl := range c.env.clients {
		if slices.Contains(cl.Scopes, scope) {
			u.Clients = append(u.Clients, ref{cl.ID, c.env.source()})
		}
	}
	for _, cl := range c.clients {
		if slices.Contains(cl.Scopes, scope) {
			u.Clients = append(u.Clients, ref{cl.ID, sourceDatabase})
		}
	}
	for _, r := range c.env.fileResources() {
		if slices.Contains(r.Scopes, scope) {
			u.Resources = append(u.Resources, ref{r.Name, c.env.source()})
		}
	}
	for _, r := range c.resources {
		if slices.Contains(r.Scopes, scope) {
			u.Resources = append(u.Resources, ref{r.Name, sourceDatabase})
		}
	}
	return u
}

// scopeView is a scope as list, show and --json show it.
type scopeView struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Description string `json:"description"`
	origin
	UsedBy scopeUsers `json:"usedBy"`
}

func (v *scopeView) name() string { return v.Name }

// scopePrinter prints scopes.
var scopePrinter = printer[scopeView, *scopeView]{
	kind: "scope", heading: "SCOPE\tSOURCE\tDISPLAY NAME\tUSED BY",
	columns: func(v scopeView) []string { return []string{v.DisplayName, v.UsedBy.summary()} },
	print:   (*app).printScope,
}

// scopeViewOf is the view of a scope's record: the database's, or the
// configuration's (fileScopes), and who uses it.
func scopeViewOf(s storage.APIScope, users scopeUsers) scopeView {
	return scopeView{Name: s.Name, DisplayName: s.DisplayName, Description: s.Description, origin: origin{Source: sourceDatabase}, UsedBy: users}
}

// view is the view of a scope, with the clients and resources that use it.
func (c *catalogContents) view(s storage.APIScope) scopeView {
	return scopeViewOf(s, c.usersOf(s.Name))
}

func (a *app) printScope(v scopeView) {
	fmt.Fprintf(a.stdout, "Scope %s (%s)\n", v.Name, definedIn(v.Source, v.File))
	f := newFields(a.stdout)
	f.add("Display name", "%s", orDash(v.DisplayName))
	f.add("Description", "%s", orDash(v.Description))
	var clients, resources []string
	for _, r := range v.UsedBy.Clients {
		clients = append(clients, fmt.Sprintf("%s (%s)", r.Name, r.Source))
	}
	for _, r := range v.UsedBy.Resources {
		resources = append(resources, fmt.Sprintf("%s (%s)", r.Name, r.Source))
	}
	f.add("Clients", "%s", orNone(clients))
	f.add("Resources", "%s", orNone(resources))
	f.flush()
}

// --- scope add ---

type scopeAddCmd struct {
	flags                    catalogFlags
	displayName, description string
}

func (a *app) scopeAddCommand() *cobra.Command {
	c := &scopeAddCmd{}
	cmd := &cobra.Command{
		Use:   "add NAME [--display-name D] [--description D]",
		Short: "Add an API scope to the database",
		Long: `Add an API scope to the database. A name is printable ASCII without spaces,
" or \ (RFC 6749), and not a scope of the configuration file. Then give it to
clients (signet client update ID --add-scope NAME) and to an API resource
(signet resource add AUDIENCE --scope NAME), which makes the tokens' aud.
` + configHelp + catalogExitCodes,
		Example: `  signet scope add orders.read --display-name "Read orders"
  signet scope add orders.write --description "Create and change orders" --config signet.yaml`,
		Args: exactArgs(1, "give the scope's name: signet scope add NAME"),
		RunE: func(cmd *cobra.Command, args []string) error { return a.scopeAdd(cmd.Context(), c, args[0]) },
	}
	c.flags.register(cmd, true)
	cmd.Flags().StringVar(&c.displayName, "display-name", "", "the name shown to people")
	cmd.Flags().StringVar(&c.description, "description", "", "what the scope allows")
	return cmd
}

func (a *app) scopeAdd(ctx context.Context, c *scopeAddCmd, name string) error {
	if err := badValue("", catalog.CheckScopeName(name)); err != nil {
		return err
	}
	if err := checkTexts(map[string]string{"--display-name": c.displayName, "--description": c.description}); err != nil {
		return err
	}
	return a.withEdit(ctx, c.flags.config, edit{kind: "scope", name: name, adding: true}, func(env *catalogEnv, db storage.Store) error {
		s := storage.APIScope{Name: name, DisplayName: c.displayName, Description: c.description}
		err := db.CreateAPIScope(ctx, s)
		if err := storeError(err, "", fmt.Sprintf("scope %q already exists in the database: change it with signet scope update %s", name, name)); err != nil {
			return err
		}
		if c.flags.json {
			return a.printJSON(scopeViewOf(s, scopeUsers{Clients: []ref{}, Resources: []ref{}}))
		}
		fmt.Fprintf(a.stdout, "Added scope %s to the %s; %s.\n", name, env.where(), env.pollNote())
		fmt.Fprintf(a.stdout, "Give it to clients (signet client update ID --add-scope %s) and to an API resource (signet resource add AUDIENCE --scope %s).\n", name, name)
		return nil
	})
}

// --- scope list ---

func (a *app) scopeListCommand() *cobra.Command {
	f := &catalogFlags{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the scopes of the database and of the configuration file",
		Long: `List the API scopes: those in the database and those of the configuration
(the file's apiScopes, or the development defaults), each with its source and
the clients and resources that use it. A name defined in both is marked
CONFLICT: signet serve refuses to start until one is removed.
` + configHelp + catalogExitCodes,
		Example: "  signet scope list\n  signet scope list --json --config signet.yaml",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return a.scopeList(cmd.Context(), f) },
	}
	f.register(cmd, true)
	return cmd
}

func (a *app) scopeList(ctx context.Context, f *catalogFlags) error {
	return a.withCatalog(ctx, f.config, func(env *catalogEnv, db storage.Store) error {
		stored, err := db.ListAPIScopes(ctx)
		if err != nil {
			return err
		}
		cc, err := env.contents(ctx, db)
		if err != nil {
			return err
		}
		return scopePrinter.list(a, env, f.json, viewsOf(stored, cc.view), viewsOf(env.fileScopes(), cc.view))
	})
}

// --- scope show ---

func (a *app) scopeShowCommand() *cobra.Command {
	f := &catalogFlags{}
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a scope and the clients and resources that use it",
		Long: `Show an API scope of the database or of the configuration, and the clients
and resources that use it.
` + configHelp + catalogExitCodes,
		Example: "  signet scope show orders.read\n  signet scope show orders.read --json",
		Args:    exactArgs(1, "give the scope's name: signet scope show NAME"),
		RunE:    func(cmd *cobra.Command, args []string) error { return a.scopeShow(cmd.Context(), f, args[0]) },
	}
	f.register(cmd, true)
	return cmd
}

func (a *app) scopeShow(ctx context.Context, f *catalogFlags, name string) error {
	return a.withCatalog(ctx, f.config, func(env *catalogEnv, db storage.Store) error {
		stored, inDB, err := found(db.GetAPIScope(ctx, name))
		if err != nil {
			return err
		}
		cc, err := env.contents(ctx, db)
		if err != nil {
			return err
		}
		s, inFile := env.fileScope(name)
		return scopePrinter.show(a, env, f.json, name, some(cc.view(s), inFile), some(cc.view(stored), inDB))
	})
}

// --- scope update ---

func (a *app) scopeUpdateCommand() *cobra.Command {
	c := &scopeAddCmd{}
	cmd := &cobra.Command{
		Use:   "update NAME [--display-name D] [--description D]",
		Short: "Change a scope of the database",
		Long: `Change the display name or the description of a scope of the database (a
scope's name cannot change: add the new one, move its clients and resources,
remove the old one). Scopes of the configuration file are changed in the
file.
` + configHelp + catalogExitCodes,
		Example: `  signet scope update orders.read --display-name "Read all orders"`,
		Args:    exactArgs(1, "give the scope's name: signet scope update NAME --display-name D"),
		RunE:    func(cmd *cobra.Command, args []string) error { return a.scopeUpdate(cmd, c, args[0]) },
	}
	c.flags.register(cmd, true)
	cmd.Flags().StringVar(&c.displayName, "display-name", "", "the name shown to people")
	cmd.Flags().StringVar(&c.description, "description", "", "what the scope allows")
	return cmd
}

func (a *app) scopeUpdate(cmd *cobra.Command, c *scopeAddCmd, name string) error {
	ctx := cmd.Context()
	setDisplay, setDescription := cmd.Flags().Changed("display-name"), cmd.Flags().Changed("description")
	if !setDisplay && !setDescription {
		return usagef("nothing to change: give --display-name or --description")
	}
	if err := checkTexts(map[string]string{"--display-name": c.displayName, "--description": c.description}); err != nil {
		return err
	}
	return a.withEdit(ctx, c.flags.config, edit{kind: "scope", name: name}, func(env *catalogEnv, db storage.Store) error {
		err := db.UpdateAPIScope(ctx, name, func(s *storage.APIScope) error {
			if setDisplay {
				s.DisplayName = c.displayName
			}
			if setDescription {
				s.Description = c.description
			}
			return nil
		})
		if err := storeError(err, env.missing("scope", name), ""); err != nil {
			return err
		}
		s, err := db.GetAPIScope(ctx, name)
		if err != nil {
			return err
		}
		cc, err := env.contents(ctx, db)
		if err != nil {
			return err
		}
		return scopePrinter.updated(a, env, c.flags.json, cc.view(s))
	})
}

// --- scope remove ---

func (a *app) scopeRemoveCommand() *cobra.Command {
	c := &removeCmd{}
	cmd := &cobra.Command{
		Use:   "remove NAME [--yes] [--force]",
		Short: "Remove a scope from the database",
		Long: `Remove a scope from the database. A scope that clients or resources still
use is refused, with the list of them; --force removes it from the
database's clients and resources too (the configuration file's are never
changed: edit the file). Asks for confirmation on a terminal; elsewhere give
--yes.

Scopes of the configuration file are removed from the file. When the file
and the database both define the name (signet serve refuses to start), this
removes the database's.
` + configHelp + catalogExitCodes,
		Example: "  signet scope remove orders.legacy\n  signet scope remove orders.legacy --force --yes",
		Args:    exactArgs(1, "give the scope's name: signet scope remove NAME"),
		RunE:    func(cmd *cobra.Command, args []string) error { return a.scopeRemove(cmd.Context(), c, args[0]) },
	}
	c.register(cmd)
	cmd.Flags().BoolVar(&c.force, "force", false, "remove the scope from the database's clients and resources that use it, too")
	return cmd
}

func (a *app) scopeRemove(ctx context.Context, c *removeCmd, name string) error {
	return a.removeRecord(ctx, c, removal{
		kind: "scope", name: name,
		get: getter(ctx, name, storage.Store.GetAPIScope),
		del: func(db storage.Store) error { return db.DeleteAPIScope(ctx, name) },
		alsoFrom: func(env *catalogEnv, db storage.Store) (string, func() error, error) {
			cc, err := env.contents(ctx, db)
			if err != nil {
				return "", nil, err
			}
			users := cc.usersOf(name)
			if inCfg := users.inFile(); len(inCfg) > 0 {
				return "", nil, fmt.Errorf("scope %q is used by %s of the configuration %s: remove it there first (--force changes only the database)", name, strings.Join(inCfg, ", "), env.cfg.File)
			}
			if users.empty() {
				return "", nil, nil
			}
			if !c.force {
				return "", nil, fmt.Errorf("scope %q is used by %s: remove it from them first (%s), or give --force to remove it from them too", name, users, users.howToRemove(name))
			}
			return users.String(), func() error { return removeScopeFrom(ctx, db, name, users) }, nil
		},
	})
}

// removeScopeFrom removes a scope from the database's clients and
// resources that use it. Users first: if a removal stops half-way, running
// it again finishes, and no client is left with a scope that no longer
// exists.
func removeScopeFrom(ctx context.Context, db storage.Store, name string, users scopeUsers) error {
	for _, r := range users.Clients {
		err := db.UpdateClient(ctx, r.Name, func(cl *storage.Client) error {
			cl.Scopes = slices.DeleteFunc(slices.Clone(cl.Scopes), func(s string) bool { return s == name })
			return nil
		})
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("remove scope %q from client %q: %w", name, r.Name, err)
		}
	}
	for _, r := range users.Resources {
		err := db.UpdateAPIResource(ctx, r.Name, func(res *storage.APIResource) error {
			res.Scopes = slices.DeleteFunc(slices.Clone(res.Scopes), func(s string) bool { return s == name })
			return nil
		})
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("remove scope %q from resource %q: %w", name, r.Name, err)
		}
	}
	return nil
}

// howToRemove shows the commands that take a scope from its users.
func (u scopeUsers) howToRemove(scope string) string {
	var cmds []string
	for _, r := range u.Clients {
		cmds = append(cmds, fmt.Sprintf("signet client update %s --remove-scope %s", r.Name, scope))
	}
	for _, r := range u.Resources {
		cmds = append(cmds, fmt.Sprintf("signet resource update %s --remove-scope %s", r.Name, scope))
	}
	if len(cmds) > 3 {
		cmds = append(cmds[:3], "...")
	}
	return strings.Join(cmds, "; ")
}
