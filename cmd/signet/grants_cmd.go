package main

// signet grants: the persisted grants (refresh tokens, reference access
// tokens, remembered consents, authorization codes) for operators, as
// IdentityServer's persisted grant store and its "grants" page offer them.
// Handles are never shown: the store keeps only their hashes, and the list
// shows the first characters of those at most.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
)

// grantTypeNames are the --type values, and the grant types they select.
var grantTypeNames = []struct{ name, typ string }{
	{"refresh_token", storage.GrantRefreshToken},
	{"reference_token", storage.GrantReferenceToken},
	{"consent", storage.GrantUserConsent},
	{"code", storage.GrantAuthorizationCode},
}

// grantTypeName is how list shows a grant type: the --type name, or the
// stored name for the types --type does not take.
func grantTypeName(typ string) string {
	for _, n := range grantTypeNames {
		if n.typ == typ {
			return n.name
		}
	}
	return typ
}

// revokedTypes are the types revoke deletes without --type, in the order
// it reports them: every type a grant can have.
var revokedTypes = []string{storage.GrantRefreshToken, storage.GrantReferenceToken, storage.GrantUserConsent,
	storage.GrantAuthorizationCode, storage.GrantDeviceCode, storage.GrantAuthorizationRequest}

const grantsHelp = `
--type is refresh_token, reference_token, consent (remembered consents) or
code (authorization codes). --subject is a subject id, or the username of a
user in the database. --client is a client id.

The database is the one the configuration names (storage: sqlite, the
default, in dataDir; or postgres), given by --config FILE or
$SIGNET_CONFIG; with neither, the development defaults: SQLite in
./signet-data/signet.db, as "signet serve" uses. Running servers read
grants and sessions from the database at each request: a revocation
applies at once, on every instance.`

func (a *app) grantsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "grants",
		Short: "List and revoke refresh tokens, reference tokens, consents and codes",
		Long: `List and revoke what the server keeps for its users and clients: refresh
tokens, reference access tokens, remembered consents and authorization
codes (IdentityServer's persisted grants). Handles are never shown: the
database keeps only their hashes.

  signet grants list    the grants the filters select
  signet grants revoke  delete them (with --subject, the user's sessions end too)
` + grantsHelp,
		RunE: runGroup,
	}
	cmd.AddCommand(a.grantsListCommand(), a.grantsRevokeCommand())
	return cmd
}

// grantFilterFlags are the filters of list and revoke.
type grantFilterFlags struct {
	subject, client, typ string
}

func (g *grantFilterFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&g.subject, "subject", "", "only the grants of the user `S` (subject id or username)")
	cmd.Flags().StringVar(&g.client, "client", "", "only the grants of client `ID`")
	cmd.Flags().StringVar(&g.typ, "type", "", "only grants of `TYPE`: refresh_token, reference_token, consent or code")
}

func (g *grantFilterFlags) empty() bool { return g.subject == "" && g.client == "" && g.typ == "" }

// filter makes the storage filter: --type's grant type, and --subject
// resolved to the subject id of the user of the database it names by
// username; otherwise it is taken as a subject id (that of a user removed
// since too).
func (g *grantFilterFlags) filter(ctx context.Context, db storage.Store) (storage.PersistedGrantFilter, error) {
	f := storage.PersistedGrantFilter{ClientID: g.client}
	if g.typ != "" {
		i := slices.IndexFunc(grantTypeNames, func(n struct{ name, typ string }) bool { return n.name == g.typ || n.typ == g.typ })
		if i < 0 {
			return f, usagef("--type %q: give refresh_token, reference_token, consent or code", g.typ)
		}
		f.Type = grantTypeNames[i].typ
	}
	if g.subject != "" {
		f.Subject = g.subject
		u, err := db.FindUserByUsername(ctx, g.subject)
		switch {
		case err == nil:
			f.Subject = u.ID
		case !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrInvalid):
			return f, err
		}
	}
	for _, v := range []struct{ flag, value string }{{"--subject", f.Subject}, {"--client", f.ClientID}} {
		if v.value != "" {
			if err := storage.CheckKey(v.flag, v.value); err != nil {
				return f, badValue("", err)
			}
		}
	}
	return f, nil
}

// grantView is a grant as list shows it: never its key, only the first
// characters of it, which tell grants apart and reveal nothing (the key
// is a hash).
type grantView struct {
	Type      string    `json:"type"`
	ClientID  string    `json:"clientId"`
	Subject   string    `json:"subjectId,omitempty"`
	SessionID string    `json:"sessionId,omitempty"`
	FamilyID  string    `json:"familyId,omitempty"`
	KeyPrefix string    `json:"keyPrefix"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires,omitzero"`
	Consumed  time.Time `json:"consumed,omitzero"`
}

// keyPrefixLen is how much of a key list shows.
const keyPrefixLen = 8

// keyPrefix is the beginning of the hash in key: after a code's time
// prefix, which codes made within the same quarter second share.
func keyPrefix(key string) string {
	h := tokens.KeyHash(key)
	return h[:min(len(h), keyPrefixLen)]
}

func grantViewOf(g storage.PersistedGrant) grantView {
	return grantView{Type: grantTypeName(g.Type), ClientID: g.ClientID, Subject: g.Subject, SessionID: g.SessionID, FamilyID: g.FamilyID,
		KeyPrefix: keyPrefix(g.Key), Created: g.Created.UTC(), Expires: g.Expires.UTC(), Consumed: g.Consumed.UTC()}
}

func (a *app) grantsListCommand() *cobra.Command {
	f := &catalogFlags{}
	g := &grantFilterFlags{}
	cmd := &cobra.Command{
		Use:   "list [--subject S] [--client ID] [--type TYPE]",
		Short: "List the grants the filters select (all without a filter)",
		Long: `List the unexpired grants, oldest first: type, client, subject, session,
when created, when they expire and when they were used (an authorization
code is used once; a rotated refresh token is kept, used, until it
expires). Handles are never shown, only the first characters of the hash
the database keeps of them.
` + grantsHelp + catalogExitCodes,
		Example: "  signet grants list\n  signet grants list --subject alice --type refresh_token\n  signet grants list --client webapp --json",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return a.grantsList(cmd.Context(), f, g) },
	}
	f.register(cmd, true)
	g.register(cmd)
	return cmd
}

func (a *app) grantsList(ctx context.Context, f *catalogFlags, g *grantFilterFlags) error {
	return a.withCatalog(ctx, f.config, func(env *catalogEnv, db storage.Store) error {
		filter, err := g.filter(ctx, db)
		if err != nil {
			return err
		}
		list, err := db.ListGrants(ctx, filter, a.now())
		if err != nil {
			return err
		}
		views := []grantView{}
		for _, gr := range list {
			views = append(views, grantViewOf(gr))
		}
		if f.json {
			return a.printJSON(views)
		}
		fmt.Fprintln(a.stdout, env.header())
		if len(views) == 0 {
			fmt.Fprintln(a.stdout, "No grants.")
			return nil
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TYPE\tCLIENT\tSUBJECT\tSESSION\tCREATED\tEXPIRES\tCONSUMED\tKEY")
		for _, v := range views {
			expires, consumed := "never", "-"
			if !v.Expires.IsZero() {
				expires = v.Expires.Format(timeLayout)
			}
			if !v.Consumed.IsZero() {
				consumed = v.Consumed.Format(timeLayout)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s…\n", v.Type, orDash(v.ClientID), orDash(v.Subject), orDash(v.SessionID),
				v.Created.Format(timeLayout), expires, consumed, v.KeyPrefix)
		}
		return tw.Flush()
	})
}

// grantsRevoked is what revoke did, for --json.
type grantsRevoked struct {
	// Revoked counts the deleted grants by type (list's names).
	Revoked map[string]int `json:"revoked"`
	// FamilyGrants are the grants deleted because they were issued from
	// a revoked refresh token (its code, the reference tokens issued
	// with it).
	FamilyGrants  int `json:"familyGrants"`
	SessionsEnded int `json:"sessionsEnded"`
}

func (r grantsRevoked) total() int {
	n := r.FamilyGrants
	for _, c := range r.Revoked {
		n += c
	}
	return n
}

type grantsRevokeCmd struct {
	flags        catalogFlags
	filter       grantFilterFlags
	yes          bool
	keepSessions bool
}

func (a *app) grantsRevokeCommand() *cobra.Command {
	c := &grantsRevokeCmd{}
	cmd := &cobra.Command{
		Use:   "revoke [--subject S] [--client ID] [--type TYPE] [--yes]",
		Short: "Revoke the grants the filters select; with --subject, end the user's sessions",
		Long: `Delete the grants the filters select (at least one filter is needed),
expired ones included. A revoked refresh token takes with it what was issued
from it: its successors, and the reference access tokens issued with it. A
revoked consent shows the consent page again at the client's next request.
JWT access tokens already issued stay valid until they expire.

With --subject, the user's sessions end too (every browser signs in again),
unless --keep-sessions is given.

It asks before it deletes, on a terminal; elsewhere give --yes.
` + grantsHelp + catalogExitCodes,
		Example: "  signet grants revoke --subject alice --yes\n  signet grants revoke --subject alice --type consent --keep-sessions --yes\n  signet grants revoke --client webapp --type refresh_token --yes",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return a.grantsRevoke(cmd.Context(), c) },
	}
	c.flags.register(cmd, true)
	c.filter.register(cmd)
	cmd.Flags().BoolVar(&c.yes, "yes", false, "revoke without asking")
	cmd.Flags().BoolVar(&c.keepSessions, "keep-sessions", false, "with --subject, leave the user's sessions alone")
	return cmd
}

func (a *app) grantsRevoke(ctx context.Context, c *grantsRevokeCmd) error {
	if c.filter.empty() {
		return usagef("give at least one of --subject, --client and --type: revoke does not delete every grant at once")
	}
	if c.keepSessions && c.filter.subject == "" {
		return usagef("--keep-sessions goes with --subject: only then do sessions end")
	}
	env, err := a.catalogConfig(c.flags.config)
	if err != nil {
		return err
	}
	if err := env.writable(); err != nil {
		return err
	}
	return a.withStore(ctx, env, func(db storage.Store) error {
		filter, err := c.filter.filter(ctx, db)
		if err != nil {
			return err
		}
		what := describeGrantFilter(filter)
		endSessions := filter.Subject != "" && !c.keepSessions
		if endSessions {
			what += " and end the sessions of " + filter.Subject
		}
		if err := a.confirm(c.yes, "revoke "+what); err != nil {
			return err
		}
		out, err := revokeGrants(ctx, db, filter, a.now())
		if err != nil {
			return err
		}
		if endSessions {
			if out.SessionsEnded, err = db.DeleteSessions(ctx, filter.Subject); err != nil {
				return fmt.Errorf("the grants are revoked; ending the sessions of %s failed: %w", filter.Subject, err)
			}
		}
		if c.flags.json {
			return a.printJSON(out)
		}
		var parts []string
		for _, typ := range revokedTypes {
			if n := out.Revoked[grantTypeName(typ)]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, grantTypeName(typ)))
			}
		}
		if out.FamilyGrants > 0 {
			parts = append(parts, fmt.Sprintf("%d issued from the revoked refresh tokens", out.FamilyGrants))
		}
		line := fmt.Sprintf("Revoked %s", plural(out.total(), "grant"))
		if len(parts) > 0 {
			line += " (" + strings.Join(parts, ", ") + ")"
		}
		if endSessions {
			line += fmt.Sprintf("; ended %s", plural(out.SessionsEnded, "session"))
		}
		fmt.Fprintln(a.stdout, line+".")
		return nil
	})
}

// describeGrantFilter says what a filter selects, for the confirmation.
func describeGrantFilter(f storage.PersistedGrantFilter) string {
	what := "the grants"
	if f.Type != "" {
		what = "the " + grantTypeName(f.Type) + " grants"
	}
	if f.Subject != "" {
		what += " of subject " + f.Subject
	}
	if f.ClientID != "" {
		what += " at client " + f.ClientID
	}
	return what
}

// revokeGrants deletes the grants filter selects, type by type to count
// them, and the families of the refresh tokens among them (what was
// issued from them: reference tokens, the code).
func revokeGrants(ctx context.Context, db storage.PersistedGrants, filter storage.PersistedGrantFilter, now time.Time) (grantsRevoked, error) {
	out := grantsRevoked{Revoked: map[string]int{}}
	// The families first: once the refresh tokens are deleted they are not
	// found any more. Expired ones are not listed, and their families
	// expire with them.
	var families []string
	if filter.Type == "" || filter.Type == storage.GrantRefreshToken {
		rf := filter
		rf.Type = storage.GrantRefreshToken
		refresh, err := db.ListGrants(ctx, rf, now)
		if err != nil {
			return out, fmt.Errorf("list the refresh tokens to revoke: %w", err)
		}
		for _, g := range refresh {
			if g.FamilyID != "" && !slices.Contains(families, g.FamilyID) {
				families = append(families, g.FamilyID)
			}
		}
	}
	types := revokedTypes
	if filter.Type != "" {
		types = []string{filter.Type}
	}
	for _, typ := range types {
		f := filter
		f.Type = typ
		n, err := db.DeleteGrants(ctx, f)
		if err != nil {
			return out, fmt.Errorf("revoke the %s grants: %w", grantTypeName(typ), err)
		}
		if n > 0 {
			out.Revoked[grantTypeName(typ)] = n
		}
	}
	for _, family := range families {
		n, err := db.DeleteGrants(ctx, storage.PersistedGrantFilter{FamilyID: family})
		if err != nil {
			return out, fmt.Errorf("revoke what was issued from a revoked refresh token: %w", err)
		}
		out.FamilyGrants += n
	}
	return out, nil
}
