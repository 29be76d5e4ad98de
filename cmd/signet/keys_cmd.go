package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/expiry"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/signing/managed"
	"github.com/signetid/signet/storage"
)

func (a *app) keysCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "List the signing keys; rotate, retire and re-encrypt managed keys",
		Long: `List the keys the server signs with and publishes, and manage the keys of
key.type Managed: Signet creates them, keeps them in the database encrypted
under the key-encryption key, announces each in the JWKS propagationTime
before it signs, signs with it for rotationInterval, and keeps it published
retentionDuration after.

The configuration is given by --config FILE or $SIGNET_CONFIG. Development
mode (no configuration) has no managed keys: signet serve makes its
development key once and signs with it until the file is deleted.`,
		RunE: runGroup,
	}
	cmd.AddCommand(a.keysListCommand(), a.keysRotateCommand(), a.keysRetireCommand(), a.keysRekeyCommand(), a.keysKEKCommand())
	return cmd
}

// keysIgnoredSections are what the keys commands do not use.
var keysIgnoredSections = []string{"tls", "listen", "log", "issuer", "trustProxy", "allowHttp", "accessTokenJwtType", "strictClientAssertionAudience", "apiScopes", "apiResources", "clients"}

// registerKeysFlags registers --config (and --json) for a keys command,
// which needs a configuration: there is nothing to manage in development
// mode.
func registerKeysFlags(f *catalogFlags, cmd *cobra.Command, json bool) {
	f.register(cmd, json)
	cmd.Flags().Lookup("config").Usage = "configuration `FILE` (default $SIGNET_CONFIG)"
}

// keysConfig loads the configuration, keeping the problems of the sections
// the keys commands use (key, validationKeys, storage, dataDir). Without
// one, it says that development keys are not managed, and what to do.
func (a *app) keysConfig(flag, what string) (*config.Config, error) {
	path, err := config.Find(flag, a.lookupEnv)
	if err != nil {
		return nil, err
	}
	if path == "" {
		devKey := filepath.Join(config.DefaultDataDir, signing.DevelopmentKeyFile)
		return nil, usagef("%s needs a configuration (--config FILE or SIGNET_CONFIG). Without one, signet serve runs in development mode, whose key is not managed: it makes %s once and signs with it until the file is deleted (signet cert inspect %s shows it). For keys that Signet rotates, configure key.type Managed (signet config init writes a configuration to start from)", what, devKey, devKey)
	}
	cfg, _, err := a.loadConfigFor(path, keysIgnoredSections)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// withManager opens the store and the manager of a Managed configuration.
func (a *app) withManager(ctx context.Context, flag, what string, fn func(cfg *config.Config, m *managed.Manager, db storage.Store) error) error {
	cfg, err := a.keysConfig(flag, what)
	if err != nil {
		return err
	}
	if cfg.Key != nil && cfg.Key.Type == config.KeyDevelopment {
		return fmt.Errorf("%s is for key.type Managed; %s has key.type Development, whose key is not managed: signet serve makes %s once and signs with it until the file is deleted (then tokens it signed stop validating). For keys that Signet rotates, set key.type Managed (see signet keys --help)", what, cfg.File, developmentKeyPath(cfg))
	}
	if !isManaged(cfg.Key) {
		return fmt.Errorf("%s is for key.type Managed; %s has key.type %s, whose keys Signet does not create: roll it over by hand (add the new certificate to validationKeys, wait for caches, swap, remove; see the README)", what, cfg.File, keyType(cfg))
	}
	if cfg.Storage.Driver == config.DriverMemory {
		// A memory store here would be this command's own, empty and
		// gone when it exits: nothing it showed or changed is the server's.
		return fmt.Errorf("%s cannot reach the keys of %s: with storage.driver memory they live only inside the running server; use sqlite or postgres to manage them", what, cfg.File)
	}
	logger := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// Only list reads: it neither migrates the database nor makes keys.
	readOnly := what == "signet keys list"
	db, err := openStore(ctx, cfg.Storage, storeOptions{logger: logger, noMigrate: readOnly})
	if readOnly && errors.Is(err, storage.ErrMigrationsPending) {
		return errNoSchema
	} else if err != nil {
		return err
	}
	defer db.Close()
	// rotate and retire date keys by this machine's clock: refuse a clock
	// that is off; the others only read dates (list shows states by it).
	if skew, ok := a.clockSkew(ctx, db); ok && !skewOK(skew) {
		msg := fmt.Sprintf("this machine's clock is %s the database server's", describeSkew(skew))
		switch what {
		case "signet keys rotate", "signet keys retire":
			return fmt.Errorf("%s: %s dates keys by it, so a key rotated or retired now would start or stop signing %v off; correct this machine's clock (NTP), or run the command on a machine whose clock is right",
				msg, what, absDuration(skew).Round(time.Second))
		default:
			logger.Warn(msg + ": states and times shown are by this machine's clock; correct it (NTP)")
		}
	}
	// What rotate, retire and revoke do is audited (audit.sink).
	obs, closeAudit, err := a.cliAudit(cfg, db, logger)
	if err != nil {
		return err
	}
	defer closeAudit()
	m, err := a.newManager(cfg, db, logger, obs)
	if err != nil {
		return err
	}
	return fn(cfg, m, db)
}

// maxClockSkew is how far this machine's clock may be from the database
// server's before signet keys refuses to date keys by it, and serve warns.
const maxClockSkew = time.Minute

// clockSkew returns how far this machine's clock (a.now, the managed keys'
// clock) is ahead of the database server's, negative when behind; ok is
// false when the store has no clock of its own (SQLite is on this machine)
// or it could not be read.
func (a *app) clockSkew(ctx context.Context, db storage.Store) (skew time.Duration, ok bool) {
	c, ok := db.(storage.Clock)
	if !ok {
		return 0, false
	}
	t0 := a.now()
	at, err := c.DatabaseTime(ctx)
	if err != nil {
		return 0, false
	}
	local := t0.Add(a.now().Sub(t0) / 2) // the middle of the round trip
	return local.Sub(at), true
}

func skewOK(d time.Duration) bool { return absDuration(d) <= maxClockSkew }

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func describeSkew(d time.Duration) string {
	if d > 0 {
		return d.Round(time.Second).String() + " ahead of"
	}
	return (-d).Round(time.Second).String() + " behind"
}

// errNoSchema: the database has no tables yet, so no keys.
var errNoSchema = errors.New("the database has no schema yet")

// developmentKeyPath is where a Development key is kept: its filePath, or
// the data directory's development-signing-key.pem.
func developmentKeyPath(cfg *config.Config) string {
	if cfg.Key != nil && cfg.Key.FilePath != "" {
		return cfg.Key.FilePath
	}
	return filepath.Join(cfg.DataDir, signing.DevelopmentKeyFile)
}

func keyType(cfg *config.Config) string {
	if cfg.Key == nil {
		return "(none)"
	}
	return cfg.Key.Type
}

// --- keys list ---

// keyView is a key as signet keys list shows it.
type keyView struct {
	ID        string `json:"kid"`
	Algorithm string `json:"alg"`
	Source    string `json:"source"`
	// State: announced, signing, retired (Managed); signing, published,
	// validation (static credentials).
	State          string     `json:"state"`
	Created        *time.Time `json:"created,omitempty"`
	SignsFrom      *time.Time `json:"signsFrom,omitempty"`
	SignsUntil     *time.Time `json:"signsUntil,omitempty"`
	PublishedUntil *time.Time `json:"publishedUntil,omitempty"`
	Subject        string     `json:"subject,omitempty"`
	Problem        string     `json:"problem,omitempty"`
	// Expiry is "expiring" (within keyExpiryWarning) or "expired", for a
	// certificate's key.
	Expiry     string `json:"expiry,omitempty"`
	unreadable bool
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func (a *app) keysListCommand() *cobra.Command {
	var f catalogFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the signing and published keys: kid, algorithm, source, state and dates",
		Long: `List every key the server would sign with or publish: kid, algorithm,
source, state and dates. For key.type Managed, the keys in the database:
announced (published, not signing yet), signing, or retired (published, no
longer signing); with the dates they sign from and until and are published
until. For File, Store and Development keys, and validationKeys, what is
loaded now: the signing key, the others published beside it (a newer or
older certificate of the same subject), and the validation keys.

Nothing is written: an empty managed store stays empty (signet serve
creates the first keys).`,
		Example: "  signet keys list --config signet.yaml\n  signet keys list --json",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return a.keysList(cmd.Context(), f) },
	}
	registerKeysFlags(&f, cmd, true)
	return cmd
}

func (a *app) keysList(ctx context.Context, f catalogFlags) error {
	cfg, err := a.keysConfig(f.config, "signet keys list")
	if err != nil {
		return err
	}
	var views []keyView
	// A development key that does not exist yet is not made: list writes
	// nothing.
	keys, problems := a.loadKeys(cfg, nil, !isManaged(cfg.Key), true)
	if err := (&config.Errors{Problems: problems}).Err(); err != nil {
		return err
	}
	// An SQLite file that does not exist yet holds no keys; opening it
	// would create it, and a list writes nothing (as config check).
	_, statErr := os.Stat(cfg.Storage.DSN)
	noFile := cfg.Storage.Driver == config.DriverSQLite && errors.Is(statErr, fs.ErrNotExist)
	if isManaged(cfg.Key) && noFile {
		if _, err := readKEK(cfg.Key); err != nil {
			return err
		}
	} else if isManaged(cfg.Key) {
		err := a.withManager(ctx, f.config, "signet keys list", func(_ *config.Config, m *managed.Manager, _ storage.Store) error {
			infos, err := m.List(ctx)
			if err != nil {
				return err
			}
			for _, in := range infos {
				v := keyView{ID: in.ID, Algorithm: in.Algorithm, Source: "Managed", State: string(in.State),
					Created: timePtr(in.Created), SignsFrom: timePtr(in.SignsFrom), SignsUntil: timePtr(in.SignsUntil),
					PublishedUntil: timePtr(in.PublishedUntil), Problem: in.Problem, unreadable: !in.Readable}
				if !in.Configured {
					v.Problem = strings.TrimPrefix(v.Problem+"; its algorithm is no longer in signingAlgorithms: published, never signs", "; ")
				}
				views = append(views, v)
			}
			return nil
		})
		if errors.Is(err, errNoSchema) {
			err = nil // no keys yet
		}
		if err != nil {
			return err
		}
	} else if keys.pending == "" {
		ring, err := signing.NewRing(keys.signing, nil, signing.RingOptions{Now: a.now})
		if err != nil {
			return fmt.Errorf("key: %w", err)
		}
		published := ring.Published()
		for _, k := range keys.signing {
			state := "loaded, not published"
			switch {
			case slices.Contains(ring.SigningAlgorithms(), k.Algorithm) && ring.SignerFor(k.Algorithm) == k:
				state = "signing"
			case slices.Contains(published, k):
				state = "published"
			}
			views = append(views, staticView(k, state, a.now(), cfg.KeyExpiryWarning))
		}
	}
	for _, k := range keys.validation {
		views = append(views, staticView(k, "validation", a.now(), cfg.KeyExpiryWarning))
	}
	unreadable := 0
	for _, v := range views {
		if v.unreadable {
			unreadable++
		}
	}
	errUnreadable := fmt.Errorf("%d managed key(s) cannot be opened with the configured key-encryption key: configure the one they were encrypted with, or re-encrypt them with signet keys rekey", unreadable)
	if f.json {
		if views == nil {
			views = []keyView{}
		}
		if err := a.printJSON(views); err != nil {
			return err
		}
		if unreadable > 0 {
			// The same exit status as without --json; each key's
			// problem is in its "problem" member.
			return errUnreadable
		}
		return nil
	}
	if keys.pending != "" {
		fmt.Fprintf(a.stderr, "No signing key yet: signet serve creates the development signing key %s when it starts.\n", keys.pending)
	}
	if len(views) == 0 && keys.pending != "" {
		return nil
	}
	if len(views) == 0 {
		fmt.Fprintln(a.stderr, "No keys yet: signet serve creates the first managed keys when it starts.")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KID\tALG\tSTATE\tSIGNS FROM\tSIGNS UNTIL\tPUBLISHED UNTIL\tSOURCE")
	day := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.Format("2006-01-02 15:04")
	}
	for _, v := range views {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Algorithm, v.State, day(v.SignsFrom), day(v.SignsUntil), day(v.PublishedUntil), v.Source)
	}
	tw.Flush()
	for _, v := range views {
		if v.Problem != "" {
			fmt.Fprintf(a.stderr, "%s: %s\n", v.ID, v.Problem)
		}
	}
	if unreadable > 0 {
		return errUnreadable
	}
	return nil
}

// staticView describes a key of a File, Store or Development credential:
// its certificate's dates, if it has one, and whether it expires within
// window (keyExpiryWarning) or has expired.
func staticView(k *signing.Key, state string, now time.Time, window time.Duration) keyView {
	v := keyView{ID: k.ID, Algorithm: k.Algorithm, Source: k.Source, State: state, Subject: k.Subject()}
	if c := k.Certificate; c != nil {
		v.SignsFrom, v.SignsUntil = timePtr(c.NotBefore), timePtr(c.NotAfter)
	}
	var problem string
	switch exp, left := expiry.Of(k, now, window); exp {
	case expiry.Expiring:
		problem = fmt.Sprintf("its certificate expires in %d days (%s): make its successor now (signet cert create) and rotate it in", int(left/expiry.Day), k.NotAfter().UTC().Format(time.DateOnly))
		v.Expiry = exp
	case expiry.Expired:
		problem = fmt.Sprintf("its certificate expired on %s: replace it (signet cert create) and remove it from the configuration", k.NotAfter().UTC().Format(time.DateOnly))
		v.Expiry = exp
	}
	if problem != "" {
		v.Problem = strings.TrimPrefix(v.Problem+"; "+problem, "; ")
	}
	return v
}

// --- keys rotate ---

func (a *app) keysRotateCommand() *cobra.Command {
	var f catalogFlags
	var alg string
	var now bool
	cmd := &cobra.Command{
		Use:   "rotate [--algorithm ALG] [--now]",
		Short: "Start a rotation of the managed keys now",
		Long: `Start a rotation of the managed keys of an algorithm now, instead of at the
end of rotationInterval: a new key is announced in the JWKS at once and
signs after propagationTime, when every API has fetched it. If a successor
is announced already, that one is kept and shown.

--now makes the new key sign at once, without propagation: for a key that
is compromised. APIs that cached the JWKS do not know it yet and refuse its
tokens until they fetch the JWKS again. Other instances start using it
within a second on PostgreSQL (the database notifies them), within
storage.pollInterval (2s by default) on SQLite, and at once after SIGHUP.
Then revoke the compromised key (signet keys retire KID
--revoke), which drops it from the JWKS: the tokens it signed stop
validating.

Every instance sees the change within a second on PostgreSQL, within
storage.pollInterval on SQLite. Run it once, not on every instance.`,
		Example: "  signet keys rotate --config signet.yaml\n  signet keys rotate --algorithm ES256 --now",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withManager(cmd.Context(), f.config, "signet keys rotate", func(cfg *config.Config, m *managed.Manager, db storage.Store) error {
				if alg == "" {
					alg = m.Algorithms()[0]
				}
				if !slices.Contains(m.Algorithms(), strings.ToUpper(alg)) {
					return usagef("--algorithm %s is not in key.signingAlgorithms (%s)", alg, strings.Join(m.Algorithms(), ", "))
				}
				info, err := m.Rotate(cmd.Context(), strings.ToUpper(alg), now)
				if err != nil {
					return err
				}
				if f.json {
					return a.printJSON(infoView(info))
				}
				if info.State == managed.Signing {
					fmt.Fprintf(a.stdout, "Key %s (%s) signs now; every instance uses it %s.\n", info.ID, info.Algorithm, reachesInstances(db, cfg.Storage.PollInterval))
					return nil
				}
				fmt.Fprintf(a.stdout, "Key %s (%s) is announced; it signs from %s.\n", info.ID, info.Algorithm, info.SignsFrom.UTC().Format(time.RFC3339))
				return nil
			})
		},
	}
	registerKeysFlags(&f, cmd, true)
	cmd.Flags().StringVar(&alg, "algorithm", "", "the series to rotate (default: the first of key.signingAlgorithms)")
	cmd.Flags().BoolVar(&now, "now", false, "the new key signs at once, without propagation (a compromised key)")
	return cmd
}

func infoView(in managed.KeyInfo) keyView {
	return keyView{ID: in.ID, Algorithm: in.Algorithm, Source: "Managed", State: string(in.State),
		Created: timePtr(in.Created), SignsFrom: timePtr(in.SignsFrom), SignsUntil: timePtr(in.SignsUntil),
		PublishedUntil: timePtr(in.PublishedUntil), Problem: in.Problem}
}

// --- keys retire ---

func (a *app) keysRetireCommand() *cobra.Command {
	var f catalogFlags
	var yes, revoke bool
	cmd := &cobra.Command{
		Use:   "retire KID [--revoke] [--yes]",
		Short: "Stop a managed key signing now, or revoke it",
		Long: `Stop a managed key signing now. If it is the signing key, its successor
signs at once: the announced one if there is one, else a new key (which APIs
have not fetched yet: they refuse its tokens until they fetch the JWKS
again). The retired key stays published for retentionDuration, so that the
tokens it signed keep validating. An announced key that never signed is
withdrawn from the JWKS (unless it starts signing within a few minutes).

--revoke also drops the key from the JWKS, retired or not: for a
compromised key. Every instance stops publishing it within a second on
PostgreSQL (within storage.pollInterval, 2s by default, on SQLite), and the
tokens it signed stop validating as APIs fetch the JWKS again.

Asks for confirmation on a terminal; elsewhere give --yes.`,
		Example: "  signet keys retire 3q2-7w... --yes --config signet.yaml\n  signet keys retire 3q2-7w... --revoke --yes",
		Args:    exactArgs(1, "give the kid: signet keys retire KID (signet keys list shows them)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withManager(cmd.Context(), f.config, "signet keys retire", func(cfg *config.Config, m *managed.Manager, db storage.Store) error {
				what, op, done := "retire key "+args[0]+": it stops signing now", m.Retire, "is retired"
				if revoke {
					what, op, done = "revoke key "+args[0]+": it leaves the JWKS, and the tokens it signed stop validating", m.Revoke, "is revoked"
				}
				if err := a.confirm(yes, what); err != nil {
					return err
				}
				err := op(cmd.Context(), args[0])
				switch {
				case errors.Is(err, storage.ErrNotFound):
					return fmt.Errorf("no managed key %q (signet keys list shows them)", args[0])
				case errors.Is(err, managed.ErrRetired):
					return fmt.Errorf("key %s is retired already: it stays published until its tokens expire; give --revoke to drop it from the JWKS now (a compromised key)", args[0])
				case err != nil:
					return err
				}
				fmt.Fprintf(a.stdout, "Key %s %s; every instance sees it %s.\n", args[0], done, reachesInstances(db, cfg.Storage.PollInterval))
				return nil
			})
		},
	}
	registerKeysFlags(&f, cmd, false)
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&revoke, "revoke", false, "drop the key from the JWKS too: the tokens it signed stop validating (a compromised key)")
	return cmd
}

// --- keys rekey ---

func (a *app) keysRekeyCommand() *cobra.Command {
	var f catalogFlags
	var oldEnv, oldFile string
	cmd := &cobra.Command{
		Use:   "rekey (--old-kek-env VAR | --old-kek-file FILE)",
		Short: "Re-encrypt the managed keys under the configured key-encryption key",
		Long: `Re-encrypt every managed key under the key-encryption key the configuration
gives now (key.keyEncryptionKey or key.keyEncryptionKeyFile), from the old
one, given by the environment variable --old-kek-env names or the file
--old-kek-file. Nothing is written unless every key opens under the old
or the new key; keys already under the new one are left alone, so it can
be run again.

To change the key-encryption key: make a new one (signet keys kek), put it
in the configuration, run signet keys rekey with the old one, then restart
the servers with the new configuration. Servers that still have the old key
keep signing with the keys they loaded, and log that they cannot read the
re-encrypted ones until they restart.`,
		Example: "  OLD_KEK=... signet keys rekey --old-kek-env OLD_KEK --config signet.yaml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var raw string
			switch {
			case (oldEnv == "") == (oldFile == ""):
				return usagef("give the old key-encryption key: --old-kek-env VAR or --old-kek-file FILE")
			case oldEnv != "":
				v, ok := a.lookupEnv(oldEnv)
				if !ok || v == "" {
					return usagef("--old-kek-env: environment variable %s is not set", oldEnv)
				}
				raw = v
			default:
				data, err := os.ReadFile(oldFile)
				if err != nil {
					return fmt.Errorf("--old-kek-file: %w", err)
				}
				raw = string(data)
			}
			oldKEK, err := config.ParseKeyEncryptionKey(raw)
			if err != nil {
				return fmt.Errorf("the old key-encryption key: %w", err)
			}
			return a.withManager(cmd.Context(), f.config, "signet keys rekey", func(cfg *config.Config, _ *managed.Manager, db storage.Store) error {
				newKEK, err := readKEK(cfg.Key)
				if err != nil {
					return err
				}
				n, err := managed.Rekey(cmd.Context(), db, oldKEK, newKEK)
				if err != nil {
					return err
				}
				if n == 0 {
					fmt.Fprintln(a.stdout, "Every managed key is under the configured key-encryption key already: nothing to do.")
					return nil
				}
				fmt.Fprintf(a.stdout, "Re-encrypted %d managed key(s) under the configured key-encryption key (id %s). Restart the servers with this configuration.\n", n, managed.KEKID(newKEK))
				return nil
			})
		},
	}
	registerKeysFlags(&f, cmd, false)
	cmd.Flags().StringVar(&oldEnv, "old-kek-env", "", "environment variable `VAR` holding the old key-encryption key")
	cmd.Flags().StringVar(&oldFile, "old-kek-file", "", "`FILE` holding the old key-encryption key")
	return cmd
}

// --- keys kek ---

func (a *app) keysKEKCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "kek",
		Short: "Make a new key-encryption key for managed keys",
		Long: `Print a new random key-encryption key (32 bytes, base64) for
key.keyEncryptionKey: keep it in a secret store or an environment variable
(keyEncryptionKey: ${SIGNET_KEK}), or in a file only the server can read
(keyEncryptionKeyFile). Every instance needs the same one; without it, the
managed keys cannot be opened.`,
		Example: "  export SIGNET_KEK=$(signet keys kek)",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			b := make([]byte, managed.KEKSize)
			rand.Read(b)
			fmt.Fprintln(a.stdout, base64.StdEncoding.EncodeToString(b))
			return nil
		},
	}
}

// reachesInstances says how soon running servers see a change to the
// managed keys of db: at once where the database notifies them
// (PostgreSQL), else at their next poll of its keys version, every poll
// (storage.pollInterval).
func reachesInstances(db storage.Store, poll time.Duration) string {
	if _, ok := db.(storage.SigningKeyWatcher); ok {
		return fmt.Sprintf("within a second (the database notifies them; at the latest within storage.pollInterval, %s)", poll)
	}
	return fmt.Sprintf("within storage.pollInterval (%s), or at once after SIGHUP", poll)
}
