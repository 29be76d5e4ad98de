package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/certstore"
	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/doctor"
)

type certDoctorCmd struct {
	config                    string
	thumbprint, subject, file string
	store                     storeFlags
	password                  existingPasswordFlags
	json                      bool
}

func (a *app) certDoctorCommand() *cobra.Command {
	c := &certDoctorCmd{}
	cmd := &cobra.Command{
		Use:   "doctor (--config FILE | --thumbprint T | --subject DN | --file F) [flags]",
		Short: "Check, step by step, whether the server would find a usable signing credential",
		Long: `Check, step by step, what the server would do with the signing credential it
is configured with: which store and directory are searched (Azure App
Service's included), what is there, what matches, whether each match has a
readable private key that fits its certificate and is strong enough, and
what to do about each problem.

Give the server's configuration (--config, or $SIGNET_CONFIG), whose key
section is checked; or what a key section gives: a thumbprint or a subject
(with --location/--name for the store), or a file (with its password).

Exit codes: 0 a usable signing credential was found, 1 none was, 2 wrong usage.`,
		Example: `  signet cert doctor --config signet.yaml
  signet cert doctor --thumbprint 3A1F...
  signet cert doctor --subject "CN=my-app-auth" --location LocalMachine
  signet cert doctor --file my-app-auth.pfx --password-env APP_SigningCertificatePassword
  WEBSITE_LOAD_CERTIFICATES=3A1F... signet cert doctor --thumbprint 3A1F...`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return a.certDoctor(c) },
	}
	fs := cmd.Flags()
	fs.StringVar(&c.config, "config", "", "check the key section of this configuration `FILE`")
	fs.StringVar(&c.thumbprint, "thumbprint", "", "the certificate's SHA-1 thumbprint, as configured")
	fs.StringVar(&c.subject, "subject", "", "the certificate's subject, as configured (e.g. CN=my-app-auth)")
	fs.StringVar(&c.file, "file", "", "the credential file, as configured (.pfx, .p12 or PEM)")
	c.store.register(fs)
	c.password.register(fs, "")
	fs.BoolVar(&c.json, "json", false, "print the report as JSON")
	return cmd
}

func (a *app) certDoctor(c *certDoctorCmd) error {
	password := a.existingPassword(c.password, c.file)
	algorithm := ""
	window := config.DefaultKeyExpiryWarning
	if c.config != "" || (c.thumbprint == "" && c.subject == "" && c.file == "") {
		if _, ok := a.lookupEnv(config.EnvConfig); ok || c.config != "" {
			k, w, err := a.configKey(c.config)
			if err != nil {
				return err
			}
			window = w
			if !strings.EqualFold(k.Type, "Store") && !strings.EqualFold(k.Type, "File") {
				return usagef("the key section's type is %s: doctor checks File and Store credentials", k.Type)
			}
			c.thumbprint, c.subject, c.file, algorithm = k.Thumbprint, k.Name, "", k.Algorithm
			if strings.EqualFold(k.Type, "File") {
				c.thumbprint, c.subject, c.file = "", "", k.FilePath
				pw, warning, err := keyPassword(k)
				if err != nil {
					return fmt.Errorf("key: %w", err)
				}
				if warning != "" {
					fmt.Fprintf(a.stderr, "warning: key.%s\n", warning)
				}
				password = certs.StaticPassword(pw)
			}
			c.store.location, c.store.name = orDefault(k.StoreLocation, "CurrentUser"), orDefault(k.StoreName, "My")
		}
	}
	loc, err := certstore.ParseLocation(c.store.location)
	if err != nil {
		return usageError{fmt.Errorf("--location: %w", err)}
	}
	name, err := certstore.ParseName(c.store.name)
	if err != nil {
		return usageError{fmt.Errorf("--name: %w", err)}
	}
	if c.thumbprint == "" && c.subject == "" && c.file == "" {
		return usagef("give the server's configuration, --config FILE (or set SIGNET_CONFIG), whose key section is checked; or what that section gives: --thumbprint, --subject or --file")
	}
	report := doctor.Check(doctor.Request{
		Thumbprint: c.thumbprint,
		Subject:    c.subject,
		File:       c.file,
		Password:   password,
		Algorithm:  algorithm,
		Location:   loc,
		Name:       name,
		Env:        a.storeEnv(),
		Now:        a.now(),

		ExpiryWarning: window,
	})
	if c.json {
		if err := a.printJSON(report); err != nil {
			return err
		}
	} else {
		printReport(a, report)
	}
	if !report.Usable {
		return silentError{exitError}
	}
	return nil
}

var statusMarks = map[doctor.Status]string{doctor.OK: "[ok]  ", doctor.Info: "[info]", doctor.Warn: "[warn]", doctor.Fail: "[FAIL]"}

func printReport(a *app, r *doctor.Report) {
	w := a.stdout
	for _, s := range r.Steps {
		fmt.Fprintf(w, "%s %s\n", statusMarks[s.Status], s.Title)
		for _, d := range s.Details {
			fmt.Fprintf(w, "         %s\n", d)
		}
		if s.Fix != "" {
			fmt.Fprintf(w, "         fix: %s\n", s.Fix)
		}
	}
	for _, p := range r.Published {
		if r.Usable {
			fmt.Fprintf(w, "       It would also publish %s (%s) in its JWKS, without signing with it.\n", p.Thumbprint, p.Subject)
		}
	}
}

// configKey reads the key section of the configuration, with the same
// checks as startup for the file itself, and its keyExpiryWarning.
func (a *app) configKey(flag string) (*config.Key, time.Duration, error) {
	path, err := config.Find(flag, a.lookupEnv)
	if err != nil {
		return nil, 0, err
	}
	cfg, err := config.Load(path, a.lookupEnv)
	if cfg == nil {
		return nil, 0, err
	}
	err = config.Join(err, cfg.Validate())
	if cfg.Key == nil {
		err = config.Join(err, cfg.MissingKeyProblem())
	}
	if err != nil {
		return nil, 0, err
	}
	cfg.Defaults()
	return cfg.Key, cfg.KeyExpiryWarning, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
