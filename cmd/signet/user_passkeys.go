package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/passkey"
	"github.com/signetid/signet/storage"
)

// passkeyView is a passkey as signet user passkeys shows it (never its
// public key).
type passkeyView struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Created      time.Time `json:"created"`
	LastUsed     time.Time `json:"lastUsed,omitzero"`
	Synced       bool      `json:"synced"`
	CloneWarning bool      `json:"cloneWarning"`
	Transports   []string  `json:"transports"`
}

func (a *app) userPasskeysCommand() *cobra.Command {
	f := &catalogFlags{}
	var remove string
	var yes bool
	cmd := &cobra.Command{
		Use:   "passkeys USER [--remove ID [--yes]]",
		Short: "List a user's passkeys, or remove one",
		Long: `List the passkeys a user registered on the account page: id, name, when
it was added and last used, whether it is synced between devices (a backed
up passkey: amr swk) or bound to one device or security key (amr hwk), and
a clone warning (its signature counter went back once, so it may have been
copied; it cannot sign in until it is removed and registered again).

--remove ID removes one passkey (the user can then no longer sign in with
it). It asks first on a terminal; elsewhere give --yes.
` + userHelp + catalogExitCodes,
		Example: "  signet user passkeys alice\n  signet user passkeys alice --json\n  signet user passkeys alice --remove AbC123... --yes",
		Args:    exactArgs(1, "give the user: signet user passkeys USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if remove != "" {
				return a.withUser(ctx, f.config, args[0], func(_ *catalogEnv, db storage.Store, u storage.User) error {
					svc := passkeyService(db)
					if err := a.confirm(yes, fmt.Sprintf("remove passkey %s of user %s", remove, u.Username)); err != nil {
						return err
					}
					if err := svc.Remove(ctx, u.ID, remove); err != nil {
						if errors.Is(err, passkey.ErrNotFound) {
							return fmt.Errorf("user %s has no passkey %q (signet user passkeys %s lists them)", u.Username, remove, u.Username)
						}
						return err
					}
					fmt.Fprintf(a.stdout, "Removed passkey %s of %s.\n", remove, u.Username)
					return nil
				})
			}
			if yes {
				return usagef("--yes goes with --remove ID")
			}
			return a.withCatalog(ctx, f.config, func(env *catalogEnv, db storage.Store) error {
				u, err := env.findUser(ctx, db, args[0])
				if err != nil {
					return err
				}
				return a.listPasskeys(ctx, db, u, f.json)
			})
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&remove, "remove", "", "remove the passkey with this `ID`")
	cmd.Flags().BoolVar(&yes, "yes", false, "remove without asking")
	return cmd
}

// passkeyService is the passkey service over db.
func passkeyService(db storage.Store) *passkey.Service {
	return passkey.New(db, passkey.Options{})
}

func (a *app) listPasskeys(ctx context.Context, db storage.Store, u storage.User, asJSON bool) error {
	list, err := passkeyService(db).List(ctx, u.ID)
	if err != nil {
		return err
	}
	views := []passkeyView{}
	for _, p := range list {
		views = append(views, passkeyView{ID: p.ID, Name: p.Name, Created: p.Created.UTC(), LastUsed: p.LastUsed.UTC(),
			Synced: passkey.Synced(p), CloneWarning: p.CloneWarning, Transports: nonNil(p.Transports)})
	}
	if asJSON {
		return a.printJSON(views)
	}
	if len(views) == 0 {
		fmt.Fprintf(a.stdout, "User %s has no passkeys.\n", u.Username)
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tADDED\tLAST USED\tKIND\tWARNING")
	for _, v := range views {
		last, kind, warning := "never", "device-bound", "-"
		if !v.LastUsed.IsZero() {
			last = v.LastUsed.Format(timeLayout)
		}
		if v.Synced {
			kind = "synced"
		}
		if v.CloneWarning {
			warning = "clone warning: refused"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Name, v.Created.Format(timeLayout), last, kind, warning)
	}
	return tw.Flush()
}
