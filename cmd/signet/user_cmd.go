package main

// signet user: the people who sign in, kept in the database (issue 14).
// Passwords are read from a prompt, a file or stdin, never from a flag
// value (flags show in `ps` and in shell history), and only their argon2id
// hashes are stored or shown.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/claims"
	"github.com/signetid/signet/internal/consent"
	"github.com/signetid/signet/internal/users"
	"github.com/signetid/signet/storage"
)

const userHelp = `
A USER argument is a username (compared case-insensitively) or a subject id.

The database is the one the configuration names (storage: sqlite, the
default, in dataDir; or postgres), given by --config FILE or
$SIGNET_CONFIG; with neither, the development defaults: SQLite in
./signet-data/signet.db, as "signet serve" uses. Migrations are applied as
serve applies them. Running servers read users at each sign-in: a change
applies at once.`

func (a *app) userCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage the users who sign in, kept in the database",
		Long: `Manage the people who sign in with a username and a password, kept in the
database. Passwords are read from a prompt (typed twice, not shown), from a
file (--password-file) or from stdin (--password-stdin), never from a flag
value; only their argon2id hashes are stored, and never shown.

A password change, a disable and a removal end the user's sessions and
delete their refresh tokens at once.

Users of the configuration file's users section are written to the database
by signet serve at every start: change them in the file.
` + userHelp,
		RunE: runGroup,
	}
	consents := &cobra.Command{
		Use:   "consents USER",
		Short: "List the consents a user asked to remember, per client",
		Args:  exactArgs(1, "give the user: signet user consents USER"),
	}
	cf := &catalogFlags{}
	cf.register(consents, true)
	consents.RunE = func(cmd *cobra.Command, args []string) error { return a.userConsents(cmd.Context(), cf, args[0]) }
	consents.AddCommand(a.userConsentRevokeCommand())
	cmd.AddCommand(a.userAddCommand(), a.userListCommand(), a.userShowCommand(), a.userUpdateCommand(),
		a.userPasswdCommand(), a.userEnableCommand(false), a.userEnableCommand(true), a.userRemoveCommand(),
		a.userHashCommand(), consents, a.userMFACommand(), a.userPasskeysCommand(), a.userLinksCommand())
	return cmd
}

// --- passwords ---

// userPasswordFlags say where a user's new password comes from.
type userPasswordFlags struct {
	file  string
	stdin bool
}

func (p *userPasswordFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.file, "password-file", "", "read the password from `FILE` (its first line)")
	cmd.Flags().BoolVar(&p.stdin, "password-stdin", false, "read the password from stdin (its first line)")
}

// minUserPassword is the length under which a new password gets a
// warning: NIST SP 800-63B's minimum for a password chosen by a person.
const minUserPassword = 8

// read returns the new password: from the file, stdin, or a prompt asked
// twice. what names whose password it is.
func (a *app) readUserPassword(p userPasswordFlags, what string) (string, error) {
	var pw string
	switch {
	case p.file != "" && p.stdin:
		return "", usagef("give only one of --password-file and --password-stdin")
	case p.file != "":
		var err error
		if pw, err = a.readPasswordSource(p.file, "", "--password-file", ""); err != nil {
			return "", err
		}
	case p.stdin:
		line, err := bufio.NewReader(io.LimitReader(a.stdin, maxPasswordFile)).ReadString('\n')
		if err != nil && err != io.EOF {
			return "", fmt.Errorf("--password-stdin: %w", err)
		}
		pw = strings.TrimPrefix(strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), "\ufeff")
		if pw == "" {
			return "", usagef("--password-stdin: the first line of stdin is empty; write the password there")
		}
	case !a.term.IsTerminal():
		return "", usagef("no password for %s: give --password-file FILE or --password-stdin (stdin is not a terminal, so signet cannot ask)", what)
	default:
		var err error
		if pw, err = a.askNewPassword(what, "nothing was changed; run the command again and type one", "nothing was changed"); err != nil {
			return "", err
		}
	}
	if len([]rune(pw)) < minUserPassword {
		fmt.Fprintf(a.stderr, "warning: the password has fewer than %d characters, which is easy to guess\n", minUserPassword)
	}
	return pw, nil
}

// --- views ---

// userView is a user as list, show and --json show it: never the hash.
type userView struct {
	Subject       string          `json:"subjectId"`
	Username      string          `json:"username"`
	Name          string          `json:"name,omitempty"`
	Email         string          `json:"email,omitempty"`
	EmailVerified bool            `json:"emailVerified"`
	Claims        json.RawMessage `json:"claims,omitempty"`
	Enabled       bool            `json:"enabled"`
	// Password is "argon2id m=19456,t=2,p=1", "none", or why it is
	// unusable: the parameters, never the hash.
	Password     string    `json:"password"`
	FailedLogins int       `json:"failedLogins"`
	LockedUntil  time.Time `json:"lockedUntil,omitzero"`
	// LastLogin is the last successful sign-in; absent for never, as
	// lockedUntil is for none.
	LastLogin time.Time `json:"lastLogin,omitzero"`
	// TOTP says two-step sign-in with an authenticator app is on;
	// RecoveryCodes is how many unused recovery codes are left.
	TOTP          bool      `json:"totp"`
	RecoveryCodes int       `json:"recoveryCodes"`
	Created       time.Time `json:"created,omitzero"`
	Updated       time.Time `json:"updated,omitzero"`
}

func userViewOf(u storage.User) userView {
	v := userView{Subject: u.ID, Username: u.Username, Name: u.Name, Email: u.Email, EmailVerified: u.EmailVerified,
		Enabled: !u.Disabled, Password: passwordInfo(u.PasswordHash), FailedLogins: u.FailedLogins,
		LockedUntil: u.LockedUntil.UTC(), LastLogin: u.LastLogin.UTC(), Created: u.Created.UTC(), Updated: u.Updated.UTC(),
		TOTP: len(u.TOTPSecret) > 0, RecoveryCodes: len(u.RecoveryCodes)}
	if u.LockedUntil.IsZero() {
		v.LockedUntil = time.Time{}
	}
	if len(u.Claims) > 0 {
		v.Claims = json.RawMessage(u.Claims)
	}
	return v
}

// passwordInfo describes a stored hash by its parameters.
func passwordInfo(hash string) string {
	if hash == "" {
		return "none"
	}
	h, err := users.Parse(hash)
	if err != nil {
		return "unusable (the stored hash is malformed: set a new password with signet user passwd)"
	}
	s := fmt.Sprintf("argon2id m=%d,t=%d,p=%d", h.Memory, h.Time, h.Parallelism)
	if h.Memory < users.DefaultParams.Memory || h.Time < users.DefaultParams.Time {
		s += " (weaker than the default: upgraded at the next sign-in)"
	}
	return s
}

func (v userView) status(now time.Time) string {
	switch {
	case !v.Enabled:
		return "disabled"
	case v.LockedUntil.After(now):
		return "locked out"
	case v.Password == "none":
		return "no password"
	}
	return "enabled"
}

func (a *app) printUser(v userView) {
	fmt.Fprintf(a.stdout, "User %s\n", v.Username)
	f := newFields(a.stdout)
	f.add("Subject", "%s", v.Subject)
	f.add("Name", "%s", orDash(v.Name))
	email := orDash(v.Email)
	if v.Email != "" {
		email += map[bool]string{true: " (verified)", false: " (not verified)"}[v.EmailVerified]
	}
	f.add("Email", "%s", email)
	if len(v.Claims) > 0 {
		f.add("Claims", "%s", v.Claims)
	}
	f.add("Status", "%s", v.status(a.now()))
	f.add("Password", "%s", v.Password)
	if v.FailedLogins > 0 {
		f.add("Failed sign-ins", "%d", v.FailedLogins)
	}
	if v.LockedUntil.After(a.now()) {
		f.add("Locked until", "%s", v.LockedUntil.Format(timeLayout))
	}
	lastLogin := "never"
	if !v.LastLogin.IsZero() {
		lastLogin = v.LastLogin.Format(timeLayout)
	}
	f.add("Last login", "%s", lastLogin)
	if v.TOTP {
		f.add("Two-step sign-in", "on (authenticator app), %s left", plural(v.RecoveryCodes, "recovery code"))
	} else {
		f.add("Two-step sign-in", "off")
	}
	if !v.Created.IsZero() {
		f.add("Created", "%s", v.Created.Format(timeLayout))
		f.add("Updated", "%s", v.Updated.Format(timeLayout))
	}
	f.flush()
}

// --- lookups ---

// findUser finds a user by username, then by subject id.
func (e *catalogEnv) findUser(ctx context.Context, db storage.Store, ref string) (storage.User, error) {
	u, err := db.FindUserByUsername(ctx, ref)
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrInvalid) {
		u, err = db.GetUser(ctx, ref)
	}
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrInvalid) {
		return u, fmt.Errorf("no user %q (by username or subject id) in the %s (signet user list shows the users)", ref, e.where())
	}
	return u, err
}

// configured refuses to change a user of the configuration file: serve
// writes it back at the next start.
func (e *catalogEnv) configured(u storage.User) error {
	if e.development && u.ID == devUserSubject {
		return fmt.Errorf("user %q is the development user, which signet serve writes to the database at every start in development mode: it cannot be changed (its password is in %s); add a user of your own with signet user add",
			u.Username, filepath.Join(e.cfg.DataDir, devPasswordFile))
	}
	for _, cu := range e.cfg.Users {
		if cu.SubjectID == u.ID {
			return fmt.Errorf("user %q is defined in the configuration file %s (users), which signet serve writes to the database at every start: change it in the file", u.Username, e.cfg.File)
		}
	}
	return nil
}

// usernameTaken is the message for a username another user has.
func usernameTaken(username string) string {
	return fmt.Sprintf("the username %q is taken: another user has it or one that differs only in case or Unicode form (usernames are compared case-insensitively); pick another, or see that user with signet user show %s", username, username)
}

// userChange is what passwd, disable, enable and remove did, for --json.
type userChange struct {
	Subject              string `json:"subjectId"`
	Username             string `json:"username"`
	Action               string `json:"action"`
	SessionsEnded        int    `json:"sessionsEnded"`
	RefreshTokensDeleted int    `json:"refreshTokensDeleted"`
	// OtherGrantsDeleted: consents, codes, pending requests (remove).
	OtherGrantsDeleted int `json:"otherGrantsDeleted,omitempty"`
}

func (c userChange) ended() string {
	return fmt.Sprintf("ended %s and deleted %s", plural(c.SessionsEnded, "session"), plural(c.RefreshTokensDeleted, "refresh token"))
}

// print writes c as JSON, or text for people.
func (a *app) printChange(asJSON bool, c userChange, text string) error {
	if asJSON {
		return a.printJSON(c)
	}
	fmt.Fprintln(a.stdout, text)
	return nil
}

// endUser ends the user's sessions and deletes their refresh tokens, so
// that a changed password or a disable takes effect at once, and counts
// them in c.
func (a *app) endUser(ctx context.Context, db storage.Store, u storage.User, c *userChange) error {
	sessions, err := db.DeleteSessions(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("end the sessions of %s: %w", u.Username, err)
	}
	refresh, err := db.DeleteGrants(ctx, storage.PersistedGrantFilter{Subject: u.ID, Type: storage.GrantRefreshToken})
	if err != nil {
		return fmt.Errorf("delete the refresh tokens of %s: %w", u.Username, err)
	}
	c.SessionsEnded, c.RefreshTokensDeleted = sessions, refresh
	return nil
}

// newSubject is an opaque subject id: 128 random bits, base64url. It says
// nothing of the person (no username or email), so that it never has to
// change when they do.
func newSubject() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// --- claims ---

// claimFlags are a user's custom claims: --claim type=value, repeatable.
// A type given more than once gets an array of its values.
type claimFlags struct {
	phone  string
	claims []string
	remove []string
}

func (c *claimFlags) register(cmd *cobra.Command, update bool) {
	cmd.Flags().StringVar(&c.phone, "phone", "", "the phone_number claim")
	cmd.Flags().StringArrayVar(&c.claims, "claim", nil, "a claim as `TYPE=VALUE` (repeatable; a type given twice gets both values), such as given_name=Alice")
	if update {
		cmd.Flags().StringArrayVar(&c.remove, "remove-claim", nil, "remove the claim `TYPE` (repeatable)")
	}
}

// fieldClaims are the claims a user record holds as fields, set by flags
// of their own.
var fieldClaims = map[string]string{"sub": "--subject", "name": "--name", "email": "--email", "email_verified": "--email-verified",
	"preferred_username": "--username (preferred_username is the username)"}

// apply changes the claims object raw by the flags, and checks the result
// as userinfo will read it (claims.Decode).
func (c claimFlags) apply(raw []byte, phoneGiven bool) ([]byte, error) {
	m := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("the user's stored claims are not a JSON object: %w", err)
		}
	}
	for _, t := range c.remove {
		if _, ok := m[t]; !ok {
			return nil, usagef("--remove-claim %s: the user has no such claim", t)
		}
		delete(m, t)
	}
	if phoneGiven {
		if c.phone == "" {
			delete(m, "phone_number")
		} else {
			m["phone_number"] = c.phone
		}
	}
	set := map[string][]string{}
	var order []string
	for _, kv := range c.claims {
		t, val, ok := strings.Cut(kv, "=")
		t = strings.TrimSpace(t)
		switch {
		case !ok || t == "":
			return nil, usagef("--claim %q: write TYPE=VALUE, such as --claim given_name=Alice", kv)
		case fieldClaims[t] != "":
			return nil, usagef("--claim %s: give it with %s", t, fieldClaims[t])
		case claims.Reserved(t):
			return nil, usagef("--claim %s: tokens set this claim themselves; a user cannot carry it", t)
		}
		if _, seen := set[t]; !seen {
			order = append(order, t)
		}
		set[t] = append(set[t], val)
	}
	for _, t := range order {
		if vals := set[t]; len(vals) == 1 {
			m[t] = vals[0]
		} else {
			m[t] = vals
		}
	}
	if len(m) == 0 {
		return nil, nil
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if _, err := claims.Decode(data); err != nil {
		return nil, usagef("--claim: %v", err)
	}
	return data, nil
}

// --- add ---

type userAddCmd struct {
	flags         catalogFlags
	username      string
	subject       string
	name, email   string
	emailVerified bool
	claims        claimFlags
	password      userPasswordFlags
	noPassword    bool
}

func (a *app) userAddCommand() *cobra.Command {
	c := &userAddCmd{}
	cmd := &cobra.Command{
		Use:   "add --username NAME [--subject ID] [--name N] [--email E [--email-verified]] [--claim T=V ...] [--password-file F | --password-stdin]",
		Short: "Add a user to the database, and print their subject id",
		Long: `Add a user. The password is asked twice (not shown), or read from
--password-file or --password-stdin; only its argon2id hash is kept. The
subject id (the sub of their tokens) is random unless --subject gives one;
it is printed, alone on stdout, so that SUB=$(signet user add ...) keeps it.

Usernames are unique, compared case-insensitively (Alice and ALICE are one).
` + userHelp + catalogExitCodes,
		Example: `  signet user add --username alice --name "Alice Smith" --email alice@example.com --email-verified
  printf '%s\n' "$PW" | signet user add --username bob --password-stdin --claim given_name=Bob
  signet user add --username carol --password-file carol.txt --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return a.userAdd(cmd.Context(), c) },
	}
	c.flags.register(cmd, true)
	fs := cmd.Flags()
	fs.StringVar(&c.username, "username", "", "what the user types to sign in (required)")
	fs.StringVar(&c.subject, "subject", "", "the subject id (sub) of the user's tokens (default: a random one)")
	fs.StringVar(&c.name, "name", "", "the user's full name (name claim)")
	fs.StringVar(&c.email, "email", "", "the email claim")
	fs.BoolVar(&c.emailVerified, "email-verified", false, "the email address is verified (email_verified claim)")
	fs.BoolVar(&c.noPassword, "no-password", false, "add the user without a password (they cannot sign in until signet user passwd)")
	c.claims.register(cmd, false)
	c.password.register(cmd)
	return cmd
}

func (a *app) userAdd(ctx context.Context, c *userAddCmd) error {
	if strings.TrimSpace(c.username) == "" {
		return usagef("give the username: signet user add --username NAME")
	}
	if c.username != strings.TrimSpace(c.username) {
		return usagef("--username %q starts or ends with a space, which no one would type: remove it", c.username)
	}
	subject := c.subject
	if subject == "" {
		subject = newSubject()
	}
	if err := badValue("--subject", storage.CheckKey("subject id", subject)); err != nil {
		return err
	}
	if err := badValue("--username", storage.CheckKey("username", c.username)); err != nil {
		return err
	}
	if err := checkTexts(map[string]string{"--name": c.name, "--email": c.email}); err != nil {
		return err
	}
	if c.emailVerified && c.email == "" {
		return usagef("--email-verified needs --email")
	}
	claimsJSON, err := c.claims.apply(nil, c.claims.phone != "")
	if err != nil {
		return err
	}
	env, err := a.catalogConfig(c.flags.config)
	if err != nil {
		return err
	}
	if err := env.writable(); err != nil {
		return err
	}
	var hash string
	if c.noPassword {
		if c.password.file != "" || c.password.stdin {
			return usagef("--no-password and a password: give one of them")
		}
	} else {
		pw, err := a.readUserPassword(c.password, c.username)
		if err != nil {
			return err
		}
		hash = users.Hash(pw)
	}
	return a.withStore(ctx, env, func(db storage.Store) error {
		u := storage.User{ID: subject, Username: c.username, PasswordHash: hash, Name: c.name, Email: c.email,
			EmailVerified: c.emailVerified, Claims: claimsJSON}
		err := db.CreateUser(ctx, u)
		if errors.Is(err, storage.ErrAlreadyExists) {
			if _, gerr := db.GetUser(ctx, subject); gerr == nil {
				return fmt.Errorf("a user with subject id %q exists already: pick another --subject, or leave it out for a random one", subject)
			}
			return errors.New(usernameTaken(c.username))
		}
		if err := storeError(err, "", ""); err != nil {
			return err
		}
		stored, err := db.GetUser(ctx, subject)
		if err != nil {
			return err
		}
		if c.flags.json {
			if err := a.printJSON(userViewOf(stored)); err != nil {
				return err
			}
		} else {
			fmt.Fprintln(a.stdout, subject)
		}
		fmt.Fprintf(a.stderr, "Added user %s (subject %s) to the %s.\n", c.username, subject, env.where())
		return nil
	})
}

// --- list ---

func (a *app) userListCommand() *cobra.Command {
	f := &catalogFlags{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the users of the database",
		Long: `List the users, by subject id: username, name, email and status (enabled,
disabled, locked out, no password).
` + userHelp + catalogExitCodes,
		Example: "  signet user list\n  signet user list --json",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return a.userList(cmd.Context(), f) },
	}
	f.register(cmd, true)
	return cmd
}

// userPage is how many users one ListUsers call returns.
const userPage = storage.MaxPageLen

func (a *app) userList(ctx context.Context, f *catalogFlags) error {
	return a.withCatalog(ctx, f.config, func(env *catalogEnv, db storage.Store) error {
		views := []userView{}
		after := ""
		for {
			page, err := db.ListUsers(ctx, after, userPage)
			if err != nil {
				return err
			}
			for _, u := range page {
				views = append(views, userViewOf(u))
			}
			if len(page) < userPage {
				break
			}
			after = page[len(page)-1].ID
		}
		if f.json {
			return a.printJSON(views)
		}
		fmt.Fprintln(a.stdout, env.header())
		if len(views) == 0 {
			fmt.Fprintln(a.stdout, "No users: signet user add --username NAME adds one.")
			return nil
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SUBJECT\tUSERNAME\tNAME\tEMAIL\tSTATUS")
		now := a.now()
		for _, v := range views {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.Subject, v.Username, orDash(v.Name), orDash(v.Email), v.status(now))
		}
		return tw.Flush()
	})
}

// --- show ---

func (a *app) userShowCommand() *cobra.Command {
	f := &catalogFlags{}
	cmd := &cobra.Command{
		Use:   "show USER",
		Short: "Show a user: claims, status, and the parameters of their password hash (never the hash)",
		Long: `Show a user: subject id, username, claims, status (disabled, locked out),
failed sign-ins, the last successful sign-in ("never" if none; lastLogin in
--json, absent if none), whether two-step sign-in (TOTP) is on and how many
recovery codes are left, and the argon2id parameters of their password hash.
The hash itself is never shown.
` + userHelp + catalogExitCodes,
		Example: "  signet user show alice\n  signet user show alice --json",
		Args:    exactArgs(1, "give the user: signet user show USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCatalog(cmd.Context(), f.config, func(env *catalogEnv, db storage.Store) error {
				u, err := env.findUser(cmd.Context(), db, args[0])
				if err != nil {
					return err
				}
				if f.json {
					return a.printJSON(userViewOf(u))
				}
				a.printUser(userViewOf(u))
				return nil
			})
		},
	}
	f.register(cmd, true)
	return cmd
}

// withUser loads the configuration, refuses a memory database, finds the
// user and runs fn.
func (a *app) withUser(ctx context.Context, flag, ref string, fn func(*catalogEnv, storage.Store, storage.User) error) error {
	env, err := a.catalogConfig(flag)
	if err != nil {
		return err
	}
	if err := env.writable(); err != nil {
		return err
	}
	return a.withStore(ctx, env, func(db storage.Store) error {
		u, err := env.findUser(ctx, db, ref)
		if err != nil {
			return err
		}
		return fn(env, db, u)
	})
}

// withChangeableUser is withUser for a change to the user: it refuses a
// user that signet serve writes back at start (configured).
func (a *app) withChangeableUser(ctx context.Context, flag, ref string, fn func(*catalogEnv, storage.Store, storage.User) error) error {
	return a.withUser(ctx, flag, ref, func(env *catalogEnv, db storage.Store, u storage.User) error {
		if err := env.configured(u); err != nil {
			return err
		}
		return fn(env, db, u)
	})
}

// --- update ---

type userUpdateCmd struct {
	flags         catalogFlags
	username      string
	name, email   string
	emailVerified bool
	claims        claimFlags
}

func (a *app) userUpdateCommand() *cobra.Command {
	c := &userUpdateCmd{}
	cmd := &cobra.Command{
		Use:   "update USER [--username U] [--name N] [--email E] [--email-verified=BOOL] [--phone P] [--claim T=V ...] [--remove-claim T ...]",
		Short: "Change a user's username or claims",
		Long: `Change a user; what is not given stays as it is. --claim sets a claim
(replacing its value), --remove-claim removes one; an empty --name, --email or
--phone removes that claim. The change is made in one transaction. The
password is changed with signet user passwd.
` + userHelp + catalogExitCodes,
		Example: `  signet user update alice --email alice@example.org --email-verified
  signet user update alice --username alice.smith --claim family_name=Smith`,
		Args: exactArgs(1, "give the user: signet user update USER"),
		RunE: func(cmd *cobra.Command, args []string) error { return a.userUpdate(cmd, c, args[0]) },
	}
	c.flags.register(cmd, true)
	fs := cmd.Flags()
	fs.StringVar(&c.username, "username", "", "a new username")
	fs.StringVar(&c.name, "name", "", "the user's full name (name claim)")
	fs.StringVar(&c.email, "email", "", "the email claim (a new address is not verified unless --email-verified)")
	fs.BoolVar(&c.emailVerified, "email-verified", false, "whether the email address is verified")
	c.claims.register(cmd, true)
	return cmd
}

func (a *app) userUpdate(cmd *cobra.Command, c *userUpdateCmd, ref string) error {
	ctx := cmd.Context()
	changed := cmd.Flags().Changed
	if !slices.ContainsFunc([]string{"username", "name", "email", "email-verified", "phone", "claim", "remove-claim"}, changed) {
		return usagef("nothing to change: give --username, --name, --email, --email-verified, --phone, --claim or --remove-claim")
	}
	if changed("username") {
		if err := badValue("--username", storage.CheckKey("username", c.username)); err != nil {
			return err
		}
	}
	if err := checkTexts(map[string]string{"--name": c.name, "--email": c.email}); err != nil {
		return err
	}
	return a.withChangeableUser(ctx, c.flags.config, ref, func(env *catalogEnv, db storage.Store, u storage.User) error {
		err := db.UpdateUser(ctx, u.ID, func(u *storage.User) error {
			if changed("username") {
				u.Username = c.username
			}
			if changed("name") {
				u.Name = c.name
			}
			if changed("email") {
				if c.email != u.Email && !changed("email-verified") {
					u.EmailVerified = false
				}
				u.Email = c.email
			}
			if changed("email-verified") {
				u.EmailVerified = c.emailVerified
			}
			if u.EmailVerified && u.Email == "" {
				return usagef("--email-verified: the user has no email address; give --email too")
			}
			data, err := c.claims.apply(u.Claims, changed("phone"))
			if err != nil {
				return err
			}
			u.Claims = data
			return nil
		})
		if errors.Is(err, storage.ErrAlreadyExists) {
			return errors.New(usernameTaken(c.username))
		}
		if err := storeError(err, "", ""); err != nil {
			return err
		}
		stored, err := db.GetUser(ctx, u.ID)
		if err != nil {
			return err
		}
		if c.flags.json {
			return a.printJSON(userViewOf(stored))
		}
		fmt.Fprintf(a.stdout, "Updated user %s (subject %s) in the %s.\n", stored.Username, stored.ID, env.where())
		return nil
	})
}

// --- passwd, disable, enable ---

func (a *app) userPasswdCommand() *cobra.Command {
	f := &catalogFlags{}
	var p userPasswordFlags
	cmd := &cobra.Command{
		Use:   "passwd USER [--password-file F | --password-stdin]",
		Short: "Set a user's password, ending their sessions and refresh tokens",
		Long: `Set a user's password: asked twice (not shown), or read from
--password-file or --password-stdin. Their sessions end and their refresh
tokens are deleted, so that whoever knew the old password is signed out
everywhere; a lockout is lifted.
` + userHelp + catalogExitCodes,
		Example: "  signet user passwd alice\n  signet user passwd alice --password-file new.txt",
		Args:    exactArgs(1, "give the user: signet user passwd USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withChangeableUser(ctx, f.config, args[0], func(env *catalogEnv, db storage.Store, u storage.User) error {
				pw, err := a.readUserPassword(p, u.Username)
				if err != nil {
					return err
				}
				hash := users.Hash(pw)
				if err := db.UpdateUser(ctx, u.ID, func(u *storage.User) error {
					u.PasswordHash = hash
					u.FailedLogins, u.FailedSince, u.LockedUntil = 0, time.Time{}, time.Time{}
					return nil
				}); err != nil {
					return storeError(err, "", "")
				}
				c := userChange{Subject: u.ID, Username: u.Username, Action: "passwd"}
				if err := a.endUser(ctx, db, u, &c); err != nil {
					return err
				}
				return a.printChange(f.json, c, fmt.Sprintf("Set the password of %s; %s.", u.Username, c.ended()))
			})
		},
	}
	f.register(cmd, true)
	p.register(cmd)
	return cmd
}

func (a *app) userEnableCommand(disable bool) *cobra.Command {
	f := &catalogFlags{}
	verb, short := "enable", "Let a disabled user sign in again"
	if disable {
		verb, short = "disable", "Stop a user signing in, ending their sessions and refresh tokens"
	}
	cmd := &cobra.Command{
		Use:   verb + " USER",
		Short: short,
		Long: short + `. A disabled user keeps their record
and consents; signet user enable lets them sign in again.
` + userHelp + catalogExitCodes,
		Args: exactArgs(1, "give the user: signet user "+verb+" USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withChangeableUser(ctx, f.config, args[0], func(env *catalogEnv, db storage.Store, u storage.User) error {
				if err := db.UpdateUser(ctx, u.ID, func(u *storage.User) error {
					u.Disabled = disable
					return nil
				}); err != nil {
					return storeError(err, "", "")
				}
				c := userChange{Subject: u.ID, Username: u.Username, Action: verb}
				if !disable {
					return a.printChange(f.json, c, fmt.Sprintf("Enabled user %s.", u.Username))
				}
				if err := a.endUser(ctx, db, u, &c); err != nil {
					return err
				}
				return a.printChange(f.json, c, fmt.Sprintf("Disabled user %s; %s.", u.Username, c.ended()))
			})
		},
	}
	f.register(cmd, true)
	return cmd
}

// --- remove ---

func (a *app) userRemoveCommand() *cobra.Command {
	f := &catalogFlags{}
	var yes bool
	cmd := &cobra.Command{
		Use:   "remove USER [--yes]",
		Short: "Remove a user, their sessions, refresh tokens and consents",
		Long: `Remove a user from the database with everything kept for them: sessions,
refresh tokens, remembered consents. Access tokens already issued stay valid
until they expire. It asks first on a terminal; elsewhere give --yes.
` + userHelp + catalogExitCodes,
		Example: "  signet user remove alice\n  signet user remove alice --yes",
		Args:    exactArgs(1, "give the user: signet user remove USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withChangeableUser(ctx, f.config, args[0], func(env *catalogEnv, db storage.Store, u storage.User) error {
				if err := a.confirm(yes, fmt.Sprintf("remove user %s (subject %s) and end their sessions", u.Username, u.ID)); err != nil {
					return err
				}
				c := userChange{Subject: u.ID, Username: u.Username, Action: "remove"}
				if err := a.endUser(ctx, db, u, &c); err != nil {
					return err
				}
				// Consents, codes, pending requests: nothing of the user
				// outlives them.
				rest, err := db.DeleteGrants(ctx, storage.PersistedGrantFilter{Subject: u.ID})
				if err != nil {
					return fmt.Errorf("delete the grants of %s: %w", u.Username, err)
				}
				if err := storeError(db.DeleteUser(ctx, u.ID), "", ""); err != nil {
					return err
				}
				c.OtherGrantsDeleted = rest
				return a.printChange(f.json, c, fmt.Sprintf("Removed user %s (subject %s); %s, and %s.", u.Username, u.ID, c.ended(), plural(rest, "other grant")))
			})
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&yes, "yes", false, "remove without asking")
	return cmd
}

// --- hash ---

func (a *app) userHashCommand() *cobra.Command {
	var p userPasswordFlags
	cmd := &cobra.Command{
		Use:   "hash [--password-file F | --password-stdin]",
		Short: "Print the argon2id hash of a password, for the configuration's passwordHash",
		Long: `Print the argon2id hash of a password (PHC string format, OWASP's
parameters: m=19456, t=2, p=1), for a user of the configuration file:

  users:
    - subjectId: "1"
      username: alice
      passwordHash: $argon2id$v=19$m=19456,t=2,p=1$...

The password is asked twice (not shown), or read from --password-file or
--password-stdin. Each call uses a new salt, so the hash differs each time.`,
		Example: "  signet user hash\n  printf '%s\\n' \"$PW\" | signet user hash --password-stdin",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := a.readUserPassword(p, "the hash")
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, users.Hash(pw))
			return nil
		},
	}
	p.register(cmd)
	return cmd
}

// --- consents ---

type consentView struct {
	ClientID string    `json:"clientId"`
	Scopes   []string  `json:"scopes"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires,omitzero"`
}

func (a *app) userConsents(ctx context.Context, f *catalogFlags, ref string) error {
	return a.withCatalog(ctx, f.config, func(env *catalogEnv, db storage.Store) error {
		u, err := env.findUser(ctx, db, ref)
		if err != nil {
			return err
		}
		list, err := consent.New(db, a.now).List(ctx, u.ID)
		if err != nil {
			return err
		}
		views := []consentView{}
		for _, c := range list {
			views = append(views, consentView{ClientID: c.ClientID, Scopes: nonNil(c.Scopes), Created: c.Created.UTC(), Expires: c.Expires.UTC()})
		}
		if f.json {
			return a.printJSON(views)
		}
		if len(views) == 0 {
			fmt.Fprintf(a.stdout, "User %s has no remembered consents.\n", u.Username)
			return nil
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CLIENT\tSCOPES\tGIVEN\tEXPIRES")
		for _, v := range views {
			expires := "never"
			if !v.Expires.IsZero() {
				expires = v.Expires.Format(timeLayout)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.ClientID, strings.Join(v.Scopes, " "), v.Created.Format(timeLayout), expires)
		}
		return tw.Flush()
	})
}

func (a *app) userConsentRevokeCommand() *cobra.Command {
	f := &catalogFlags{}
	cmd := &cobra.Command{
		Use:   "revoke USER CLIENT",
		Short: "Forget a user's consent at a client: the consent page shows again",
		Args:  exactArgs(2, "give the user and the client: signet user consents revoke USER CLIENT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withUser(ctx, f.config, args[0], func(env *catalogEnv, db storage.Store, u storage.User) error {
				ok, err := consent.New(db, a.now).Revoke(ctx, u.ID, args[1])
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("user %s has no remembered consent at client %q (signet user consents %s lists them)", u.Username, args[1], u.Username)
				}
				fmt.Fprintf(a.stdout, "Revoked the consent of %s at %s: the consent page shows at its next request.\n", u.Username, args[1])
				return nil
			})
		},
	}
	f.register(cmd, false)
	return cmd
}
