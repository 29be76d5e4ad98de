package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/certstore"
	"github.com/signetid/signet/internal/doctor"
)

type certDoctorCmd struct {
	thumbprint, subject, file string
	store                     storeFlags
	password                  existingPasswordFlags
	json                      bool
}

func (a *app) certDoctorCommand() *cobra.Command {
	c := &certDoctorCmd{}
	cmd := &cobra.Command{
		Use:   "doctor (--thumbprint T | --subject DN | --file F) [flags]",
		Short: "Check, step by step, whether the server would find a usable signing credential",
		Long: `Check, step by step, what the server would do with the signing credential it
is configured with: which store and directory are searched (Azure App
Service's included), what is there, what matches, whether each match has a
readable private key that fits its certificate and is strong enough, and
what to do about each problem.

Give what the server's key section gives: a thumbprint or a subject (with
--location/--name for the store), or a file (with its password).

Exit codes: 0 a usable signing credential was found, 1 none was, 2 wrong usage.`,
		Example: `  signet cert doctor --thumbprint 3A1F...
  signet cert doctor --subject "CN=my-app-auth" --location LocalMachine
  signet cert doctor --file my-app-auth.pfx --password-env APP_SigningCertificatePassword
  WEBSITE_LOAD_CERTIFICATES=3A1F... signet cert doctor --thumbprint 3A1F...`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return a.certDoctor(c) },
	}
	fs := cmd.Flags()
	fs.StringVar(&c.thumbprint, "thumbprint", "", "the certificate's SHA-1 thumbprint, as configured")
	fs.StringVar(&c.subject, "subject", "", "the certificate's subject, as configured (e.g. CN=my-app-auth)")
	fs.StringVar(&c.file, "file", "", "the credential file, as configured (.pfx, .p12 or PEM)")
	c.store.register(fs)
	c.password.register(fs, "")
	fs.BoolVar(&c.json, "json", false, "print the report as JSON")
	return cmd
}

func (a *app) certDoctor(c *certDoctorCmd) error {
	loc, err := certstore.ParseLocation(c.store.location)
	if err != nil {
		return usageError{fmt.Errorf("--location: %w", err)}
	}
	name, err := certstore.ParseName(c.store.name)
	if err != nil {
		return usageError{fmt.Errorf("--name: %w", err)}
	}
	if c.thumbprint == "" && c.subject == "" && c.file == "" {
		return usagef("give what the server is configured with: --thumbprint, --subject or --file")
	}
	report := doctor.Check(doctor.Request{
		Thumbprint: c.thumbprint,
		Subject:    c.subject,
		File:       c.file,
		Password:   a.existingPassword(c.password, c.file),
		Location:   loc,
		Name:       name,
		Env:        a.storeEnv(),
		Now:        a.now(),
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
