package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/storage"
)

// linkView is a user's link to an external provider account.
type linkView struct {
	Provider  string    `json:"provider"`
	Issuer    string    `json:"issuer"`
	Subject   string    `json:"subject"`
	Created   time.Time `json:"created"`
	LastUsed  time.Time `json:"lastUsed,omitzero"`
	HasTokens bool      `json:"hasSavedTokens"`
}

func (a *app) userLinksCommand() *cobra.Command {
	f := &catalogFlags{}
	var remove bool
	cmd := &cobra.Command{
		Use:   "links USER [--remove ISSUER SUBJECT]",
		Short: "List a user's linked external provider accounts, or remove one",
		Long: `List the accounts at external identity providers linked to a user (by
username or subject id): each is the provider's (issuer, subject) pair, which
signs the user in through that provider. --remove ISSUER SUBJECT removes one
link: that account then signs in as a new user (autoProvision) or not at all.`,
		Example: `  signet user links alice
  signet user links alice --remove https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0 AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ`,
		Args: func(cmd *cobra.Command, args []string) error {
			if remove && len(args) != 3 {
				return fmt.Errorf("give the user, the issuer and the subject: signet user links USER --remove ISSUER SUBJECT")
			}
			if !remove && len(args) != 1 {
				return fmt.Errorf("give the user: signet user links USER")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if remove {
				return a.userLinkRemove(ctx, f, args[0], args[1], args[2])
			}
			return a.userLinks(ctx, f, args[0])
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&remove, "remove", false, "remove the link ISSUER SUBJECT (given after USER)")
	return cmd
}

func linksOf(db storage.Store, where string) (storage.UserLinks, error) {
	l, ok := db.(storage.UserLinks)
	if !ok {
		return nil, fmt.Errorf("the %s does not keep external provider links yet", where)
	}
	return l, nil
}

func (a *app) userLinks(ctx context.Context, f *catalogFlags, ref string) error {
	return a.withCatalog(ctx, f.config, func(env *catalogEnv, db storage.Store) error {
		u, err := env.findUser(ctx, db, ref)
		if err != nil {
			return err
		}
		ls, err := linksOf(db, env.where())
		if err != nil {
			return err
		}
		list, err := ls.ListUserLinks(ctx, u.ID)
		if err != nil {
			return err
		}
		views := []linkView{}
		for _, l := range list {
			views = append(views, linkView{Provider: l.Provider, Issuer: l.Issuer, Subject: l.Subject, Created: l.Created.UTC(), LastUsed: l.LastUsed.UTC(), HasTokens: len(l.Tokens) > 0})
		}
		if f.json {
			return a.printJSON(views)
		}
		if len(views) == 0 {
			fmt.Fprintf(a.stdout, "User %s has no linked provider accounts.\n", u.Username)
			return nil
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PROVIDER\tISSUER\tSUBJECT\tLINKED\tLAST USED\tTOKENS")
		for _, v := range views {
			last := "never"
			if !v.LastUsed.IsZero() {
				last = v.LastUsed.Format(timeLayout)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.Provider, v.Issuer, v.Subject, v.Created.Format(timeLayout), last, map[bool]string{true: "saved", false: "-"}[v.HasTokens])
		}
		return tw.Flush()
	})
}

func (a *app) userLinkRemove(ctx context.Context, f *catalogFlags, ref, issuer, subject string) error {
	return a.withUser(ctx, f.config, ref, func(env *catalogEnv, db storage.Store, u storage.User) error {
		ls, err := linksOf(db, env.where())
		if err != nil {
			return err
		}
		l, err := ls.FindUserLink(ctx, issuer, subject)
		if err != nil || l.UserID != u.ID {
			if err != nil && !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrInvalid) {
				return err
			}
			return fmt.Errorf("user %s has no link to %s %q (signet user links %s lists them)", u.Username, issuer, subject, u.Username)
		}
		if err := ls.DeleteUserLink(ctx, issuer, subject); err != nil {
			return storeError(err, "", "")
		}
		if f.json {
			return a.printJSON(linkView{Provider: l.Provider, Issuer: l.Issuer, Subject: l.Subject, Created: l.Created.UTC(), LastUsed: l.LastUsed.UTC(), HasTokens: len(l.Tokens) > 0})
		}
		fmt.Fprintf(a.stdout, "Removed the link of %s to %s %q (%s).\n", u.Username, issuer, subject, l.Provider)
		return nil
	})
}
