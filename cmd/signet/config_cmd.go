package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/expiry"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/signing/managed"
	"github.com/signetid/signet/storage"
)

func (a *app) configCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Write a starter configuration, or check one",
		RunE:  runGroup,
	}
	var file string
	check := &cobra.Command{
		Use:   "check [--config FILE]",
		Short: "Validate everything the server would load, the signing credential included",
		Long: `Validate the configuration as "signet serve" would at startup: the file
itself (unknown keys, types, ${VAR} references), clients, scopes and
resources, and the signing and validation keys (found, readable, with a
private key that fits, strong enough). Every problem is listed, with its
file and line, and the same message startup would give.

Exit codes: 0 valid, 1 problems found, 2 wrong usage.`,
		Example: "  signet config check --config signet.yaml\n  SIGNET_CONFIG=signet.yaml signet config check",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return a.configCheck(file) },
	}
	check.Flags().StringVar(&file, "config", "", "configuration `FILE` (default $SIGNET_CONFIG)")
	cmd.AddCommand(a.configInitCommand(), check)
	return cmd
}

func (a *app) configCheck(flag string) error {
	path, err := config.Find(flag, a.lookupEnv)
	if err != nil {
		return err
	}
	if path == "" {
		return usagef("no configuration to check: give --config FILE or set SIGNET_CONFIG (without one, signet serve runs in development mode)")
	}
	svc, _, err := a.loadAndBuild(path)
	if err != nil {
		return err
	}
	cfg := svc.cfg
	for _, n := range svc.notes {
		fmt.Fprintf(a.stderr, "note: %s\n", n)
	}
	for _, w := range svc.warnings {
		fmt.Fprintf(a.stderr, "warning: %s\n", w)
	}
	for _, w := range expiringSecrets(svc.static.Clients, a.now(), cmp.Or(cfg.KeyExpiryWarning, config.DefaultKeyExpiryWarning)) {
		fmt.Fprintf(a.stderr, "warning: %s\n", w)
	}
	if isManaged(cfg.Key) {
		return a.configCheckManaged(svc)
	}
	fmt.Fprintf(a.stdout, "%s is valid.\n", cfg.File)
	if pending := svc.keys.pending; pending != "" {
		fmt.Fprintf(a.stdout, "  signing key  Development (RSA 2048, %s): %s, made by signet serve on first start\n", cmp.Or(cfg.Key.Algorithm, "RS256"), pending)
		if n := len(svc.keys.validation); n > 0 {
			fmt.Fprintf(a.stdout, "  also published  %d key(s)\n", n)
		}
	} else {
		signer := svc.ring.Signer()
		fmt.Fprintf(a.stdout, "  signing key  %s (%s) from %s", signer.ID, signer.Algorithm, signer.Source)
		if sub := signer.Subject(); sub != "" {
			fmt.Fprintf(a.stdout, ", %s, expires %s", sub, signer.NotAfter().UTC().Format("2006-01-02"))
		}
		fmt.Fprintln(a.stdout)
		if n := len(svc.ring.Published()) - 1; n > 0 {
			fmt.Fprintf(a.stdout, "  also published  %d key(s)\n", n)
		}
	}
	a.printCatalogSummary(svc)
	a.printClientKeys(svc)
	a.printFirstStart(cfg, svc.keys.pending)
	return nil
}

// expiringSecrets are the warnings of the file's client secrets that
// expire within window (keyExpiryWarning), by client id: the secret by its
// description or position, never its value or hash. (Those expired already
// are warned about by the build, at their line.) A disabled client's are
// left out, as serve's log leaves them.
func expiringSecrets(clients map[string]storage.Client, now time.Time, window time.Duration) []string {
	var out []string
	for _, id := range sortedStrings(slices.Collect(maps.Keys(clients))) {
		c := clients[id]
		if c.Disabled {
			continue
		}
		for i, s := range c.Secrets {
			state, left := expiry.SecretOf(s.Expires, now, window)
			if state != expiry.Expiring {
				continue
			}
			name := expiry.SecretName(client.Secret{ID: s.ID, Description: s.Description}, i)
			out = append(out, fmt.Sprintf("client %s: its secret %q expires on %s, in %d days (keyExpiryWarning): add its successor to the client's secrets, give it to the client, then remove this one",
				logattr.Cut(id), logattr.Cut(name), s.Expires.UTC().Format(time.DateOnly), int(left/expiry.Day)))
		}
	}
	return out
}

// printCatalogSummary prints the file's clients and scopes, or "none".
func (a *app) printCatalogSummary(svc *services) {
	var ids []string
	for id, c := range svc.static.Clients {
		if c.Disabled {
			id += " (disabled)"
		}
		ids = append(ids, id)
	}
	clients, scopes := "none in the file", "none in the file"
	if len(ids) > 0 {
		clients = fmt.Sprintf("%d (%s)", len(ids), strings.Join(sortedStrings(ids), ", "))
	}
	if len(svc.static.Scopes) > 0 {
		scopes = strings.Join(svc.static.Scopes, ", ")
	}
	fmt.Fprintf(a.stdout, "  clients      %s\n  scopes       %s\n", clients, scopes)
	if n := len(svc.cfg.Users); n > 0 {
		names := make([]string, n)
		for i, u := range svc.cfg.Users {
			names[i] = u.Username
		}
		fmt.Fprintf(a.stdout, "  users        %d (%s), written to the database when signet serve starts\n", n, strings.Join(names, ", "))
	}
}

// printClientKeys says, for each provider of the file that authenticates
// with a client key (private_key_jwt), what to register at the provider:
// the certificate, or the public key.
func (a *app) printClientKeys(svc *services) {
	for _, s := range svc.fileProviders {
		switch {
		case s.ClientKey == nil:
		case s.ClientKey.Certificate() != nil: // the upstream knows it by its certificate
			fmt.Fprintf(a.stdout, "  client key   %s: private_key_jwt, certificate thumbprint %s (register the certificate at the provider)\n", s.Name, thumbprintOf(s.ClientKey))
		default:
			fmt.Fprintf(a.stdout, "  client key   %s: private_key_jwt, %s\n", s.Name, clientKeyText(s.ClientKey.KeyID(), "", s.Name))
		}
	}
}

// printFirstStart says what signet serve would create that does not exist
// yet, since config check creates nothing: the data directory, the
// development key, the SQLite database.
func (a *app) printFirstStart(cfg *config.Config, devKey string) {
	var create []string
	if _, err := os.Stat(cfg.DataDir); errors.Is(err, fs.ErrNotExist) {
		create = append(create, cfg.DataDir+string(filepath.Separator))
	}
	if devKey != "" {
		create = append(create, devKey)
	}
	if cfg.Storage.Driver == config.DriverSQLite {
		if _, err := os.Stat(cfg.Storage.DSN); errors.Is(err, fs.ErrNotExist) {
			create = append(create, cfg.Storage.DSN)
		}
	}
	if len(create) > 0 {
		fmt.Fprintf(a.stdout, "  first start  signet serve creates %s (config check wrote nothing)\n", strings.Join(create, ", "))
	}
}

func sortedStrings(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// configCheckManaged checks a Managed key set: the database answers and
// the key-encryption key opens every key in it. Nothing is written: an
// empty store stays empty (signet serve makes the first keys).
func (a *app) configCheckManaged(svc *services) error {
	cfg := svc.cfg
	logger := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()
	var db storage.Store
	var err error
	if _, statErr := os.Stat(cfg.Storage.DSN); cfg.Storage.Driver != config.DriverSQLite || statErr == nil {
		// An SQLite file that does not exist yet holds no keys; opening it
		// would create it, and a check writes nothing.
		db, err = openStore(ctx, cfg.Storage, storeOptions{logger: logger, noMigrate: true})
		if err != nil && !errors.Is(err, storage.ErrMigrationsPending) {
			return err
		}
	}
	var infos []managed.KeyInfo
	if db != nil {
		defer db.Close()
		m, err := a.newManager(cfg, db, logger, nil)
		if err != nil {
			return err
		}
		if infos, err = m.List(ctx); err != nil {
			return err
		}
	}
	var unreadable []string
	var signing []string
	for _, in := range infos {
		if !in.Readable {
			unreadable = append(unreadable, in.ID+" ("+in.Algorithm+"): "+in.Problem)
		}
		if in.State == managed.Signing {
			signing = append(signing, in.ID+" ("+in.Algorithm+")")
		}
	}
	if len(unreadable) > 0 {
		return fmt.Errorf("key: %d managed key(s) cannot be opened with the configured key-encryption key:\n  %s\nconfigure the key-encryption key they were made with, or re-encrypt them with signet keys rekey", len(unreadable), strings.Join(unreadable, "\n  "))
	}
	fmt.Fprintf(a.stdout, "%s is valid.\n", cfg.File)
	if len(infos) == 0 {
		fmt.Fprintf(a.stdout, "  signing keys  Managed (%s): none yet; signet serve makes the first when it starts\n", strings.Join(cfg.Key.SigningAlgorithms, ", "))
	} else {
		fmt.Fprintf(a.stdout, "  signing keys  Managed: %s; %d key(s) in the %s database\n", strings.Join(signing, ", "), len(infos), cfg.Storage.Driver)
	}
	a.printCatalogSummary(svc)
	a.printFirstStart(cfg, "")
	return nil
}
