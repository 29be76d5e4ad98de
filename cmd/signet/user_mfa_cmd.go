package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/storage"
)

// userMFACommand is signet user mfa: the help desk's view of a user's
// second factor.
func (a *app) userMFACommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mfa",
		Short: "Manage a user's second factor (two-step sign-in with an authenticator app)",
		Long: `Manage a user's second factor. signet user show says whether it is on and
how many recovery codes are left; users set it up themselves on the account
page (/account).
`,
		RunE: runGroup,
	}
	cmd.AddCommand(a.userMFAResetCommand())
	return cmd
}

// mfaReset is what signet user mfa reset did, for --json.
type mfaReset struct {
	Subject              string `json:"subjectId"`
	Username             string `json:"username"`
	Action               string `json:"action"`
	WasOn                bool   `json:"wasOn"`
	RecoveryCodesRemoved int    `json:"recoveryCodesRemoved"`
	SessionsEnded        int    `json:"sessionsEnded"`
	RefreshTokensDeleted int    `json:"refreshTokensDeleted"`
}

func (a *app) userMFAResetCommand() *cobra.Command {
	f := &catalogFlags{}
	cmd := &cobra.Command{
		Use:   "reset USER",
		Short: "Turn off a user's two-step sign-in: remove their authenticator key and recovery codes",
		Long: `Turn off a user's two-step sign-in, for a person who lost both their phone
and their recovery codes: their TOTP key and recovery codes are removed, so
they sign in with their password alone until they set up an authenticator app
again on the account page (/account). An application that requires a second
factor (requireMfa) asks them to set one up at their next sign-in there.

Check who is asking before you run it: whoever has the password can then
sign in. Their sessions end and their refresh tokens are deleted, as with a
new password: the lost phone may hold one, and those sign-ins passed the
factor that is gone. Set a new password too (signet user passwd) when it may
be known to someone else.

Users of the configuration file's users section can be reset too: the file
does not hold their second factor.
` + userHelp + catalogExitCodes,
		Example: "  signet user mfa reset alice\n  signet user mfa reset alice --json",
		Args:    exactArgs(1, "give the user: signet user mfa reset USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withUser(ctx, f.config, args[0], func(env *catalogEnv, db storage.Store, u storage.User) error {
				r := mfaReset{Subject: u.ID, Username: u.Username, Action: "mfa reset"}
				// errUnchanged: a user without a second factor is not written
				// (its Updated time would say it changed).
				errUnchanged := errors.New("nothing to reset")
				if err := db.UpdateUser(ctx, u.ID, func(s *storage.User) error {
					r.WasOn, r.RecoveryCodesRemoved = len(s.TOTPSecret) > 0, len(s.RecoveryCodes)
					if !r.WasOn && r.RecoveryCodesRemoved == 0 {
						return errUnchanged
					}
					s.TOTPSecret, s.TOTPLastStep, s.RecoveryCodes = nil, 0, nil
					return nil
				}); err != nil && !errors.Is(err, errUnchanged) {
					return storeError(err, "", "")
				}
				if r.WasOn || r.RecoveryCodesRemoved > 0 {
					var c userChange
					if err := a.endUser(ctx, db, u, &c); err != nil {
						return err
					}
					r.SessionsEnded, r.RefreshTokensDeleted = c.SessionsEnded, c.RefreshTokensDeleted
				}
				if f.json {
					return a.printJSON(r)
				}
				if !r.WasOn && r.RecoveryCodesRemoved == 0 {
					fmt.Fprintf(a.stdout, "Two-step sign-in of %s was already off; nothing changed.\n", u.Username)
					return nil
				}
				fmt.Fprintf(a.stdout, "Turned off two-step sign-in of %s: removed the authenticator key and %s; %s.\n", u.Username,
					plural(r.RecoveryCodesRemoved, "recovery code"), userChange{SessionsEnded: r.SessionsEnded, RefreshTokensDeleted: r.RefreshTokensDeleted}.ended())
				fmt.Fprintf(a.stdout, "Next: %s signs in with the password alone, then sets up an authenticator app again on the account page (/account) and saves the new recovery codes; an application that requires a second factor asks them to at their next sign-in there.\n", u.Username)
				return nil
			})
		},
	}
	f.register(cmd, true)
	return cmd
}
