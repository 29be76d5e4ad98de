package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/catalog"
	"github.com/signetid/signet/storage"
)

// resourceSecretCommand is signet resource secret: the secrets an API
// resource of the database authenticates with at the introspection
// endpoint (IdentityServer's ApiSecrets), as signet client secret does a
// client's.
func (a *app) resourceSecretCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret",
		Short: "Add and remove the secrets of an API resource in the database",
		Long: `Add and remove the secrets an API resource of the database authenticates
with at the introspection endpoint (/connect/introspect; IdentityServer's
ApiSecrets). The resource's name is its client_id there. Secrets are kept
hashed: a new secret is printed once, when it is made.
` + configHelp,
		RunE: runGroup,
	}
	cmd.AddCommand(a.resourceSecretAddCommand(), a.resourceSecretRemoveCommand())
	return cmd
}

func (a *app) resourceSecretAddCommand() *cobra.Command {
	c := &secretAddCmd{}
	cmd := &cobra.Command{
		Use:   "add NAME [--description D] [--expires DATE]",
		Short: "Make a new secret for an API resource of the database, and print it once",
		Long: `Make a new secret for an API resource of the database (256 random bits) and
store its hash. The API sends it, with the resource's name as client_id, to
introspect tokens. The secret is printed ONCE, alone on stdout, so that
SECRET=$(signet resource secret add ...) captures it; its id and what was
done go to stderr. With --json, stdout is a JSON object with the secret and
its id. Store it now: it cannot be shown again.

The resource's other secrets keep working: to rotate, add a secret, give it
to the API, then remove the old one (signet resource secret remove).
--expires is a date (YYYY-MM-DD, midnight UTC) or an RFC 3339 time.

Secrets of the configuration file's resources are in the file (secrets, or
IdentityServer's apiSecrets): signet secret generate makes one and its hash.
` + configHelp + catalogExitCodes,
		Example: `  signet resource secret add https://orders.example.com --description "orders API, 2027"
  SECRET=$(signet resource secret add billing-api --expires 2027-12-31)`,
		Args: exactArgs(1, "give the resource's name: signet resource secret add NAME"),
		RunE: func(cmd *cobra.Command, args []string) error { return a.resourceSecretAdd(cmd.Context(), c, args[0]) },
	}
	c.flags.register(cmd, true)
	cmd.Flags().StringVar(&c.description, "description", "", "what the secret is for, shown by signet resource show")
	cmd.Flags().StringVar(&c.expires, "expires", "", "when the secret stops working: YYYY-MM-DD (midnight UTC) or RFC 3339")
	return cmd
}

func (a *app) resourceSecretAdd(ctx context.Context, c *secretAddCmd, name string) error {
	return a.secretAdd(ctx, c, secretOwner{
		kind: "resource", label: "API resource", name: name,
		inFile:   func(env *catalogEnv) bool { _, ok := env.fileResource(name); return ok },
		fileHint: "signet secret generate makes a secret and the hash to put in its secrets",
		missing:  func(env *catalogEnv) string { return env.missing("resource", name) },
		add:      secretAdder(name, storage.Store.UpdateAPIResource, catalog.AddResourceSecret),
		json: func(s secretJSON) any {
			return struct {
				Resource string `json:"resource"`
				secretJSON
			}{name, s}
		},
	})
}

func (a *app) resourceSecretRemoveCommand() *cobra.Command {
	c := &removeCmd{}
	cmd := &cobra.Command{
		Use:   "remove NAME SECRET_ID",
		Short: "Remove a secret of an API resource of the database",
		Long: `Remove one secret of an API resource of the database, by the id signet
resource show lists. The API can no longer introspect tokens with it once
running servers see the change (within storage.pollInterval).
` + configHelp + catalogExitCodes,
		Example: "  signet resource secret remove https://orders.example.com 3f9a1c2e",
		Args:    exactArgs(2, "give the resource's name and the secret's id: signet resource secret remove NAME SECRET_ID (signet resource show NAME lists the ids)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.resourceSecretRemove(cmd.Context(), c, args[0], args[1])
		},
	}
	c.flags.register(cmd, false)
	return cmd
}

func (a *app) resourceSecretRemove(ctx context.Context, c *removeCmd, name, secretID string) error {
	return a.withEdit(ctx, c.flags.config, edit{kind: "resource", name: name}, func(env *catalogEnv, db storage.Store) error {
		left := 0
		err := db.UpdateAPIResource(ctx, name, func(r *storage.APIResource) error {
			if err := catalog.RemoveResourceSecret(r, secretID); err != nil {
				return err
			}
			left = len(r.Secrets)
			return nil
		})
		if err := storeError(err, env.missing("resource", name), ""); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "Removed secret %s of API resource %s; %s.\n", secretID, name, env.pollNote())
		if left == 0 {
			fmt.Fprintf(a.stderr, "API resource %s has no secret left: it cannot introspect tokens with a secret (signet resource secret add %s makes one).\n", name, name)
		}
		return nil
	})
}
