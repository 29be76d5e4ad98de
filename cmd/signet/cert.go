package main

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/certs/dn"
)

func (a *app) certCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cert",
		Short: "Create, convert, inspect and check signing certificates",
		Long: `Create, convert, inspect and check signing certificates, on any OS.

signet cert create does what makecert and pvk2pfx do on Windows, in one step;
signet cert convert turns PVK+CER, PEM and PFX into each other;
signet cert inspect says what a file holds and whether it can sign tokens;
signet cert doctor checks what the server would load.`,
		RunE: runGroup,
	}
	cmd.AddCommand(a.certCreateCommand(), a.certInspectCommand(), a.certConvertCommand(), a.certDoctorCommand())
	return cmd
}

type certCreateCmd struct {
	subject, notBefore, notAfter, key string
	out, cer, pem                     string
	json                              bool
	opts                              outputOptions
}

func (a *app) certCreateCommand() *cobra.Command {
	c := &certCreateCmd{}
	cmd := &cobra.Command{
		Use:   "create --subject DN --out FILE.pfx [flags]",
		Short: "Create a self-signed token-signing certificate and its PFX (makecert + pvk2pfx)",
		Long: `Create a self-signed certificate for signing tokens, with a new private key,
and write it as a password-protected PKCS#12 file (.pfx).

The certificate has KeyUsage digitalSignature (makecert's -sky signature),
a random serial number, and a SHA-256 signature for RSA (the curve's hash for
ECDSA). It is valid from now for 2 years unless --not-before/--not-after say
otherwise; dates are YYYY-MM-DD (midnight UTC) or RFC 3339.

The PFX is encrypted the modern way (AES-256-CBC, PBKDF2, HMAC-SHA256 MAC),
as OpenSSL 3 and .NET 5+ write it. --legacy writes PBE-SHA1-3DES with a SHA-1
MAC instead, for Windows Server 2016, .NET Framework and other old importers.

The password comes from --password-file, --password-env, or a prompt when
stdin is a terminal; never from a flag value. Files holding the private key
are written 0600, and no existing file is replaced without --force.

Exit codes: 0 created, 1 failed (nothing is left half-written), 2 wrong usage.`,
		Example: `  signet cert create --subject "CN=my-app-auth" --not-before 2021-01-01 --not-after 2040-01-01 \
      --key rsa:2048 --out my-app-auth.pfx --cer my-app-auth.cer
  signet cert create --subject "CN=my-app-auth, O=Contoso, C=US" --key ec:P-256 \
      --out my-app-auth.pfx --password-file pw.txt --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return a.certCreate(c) },
	}
	fs := cmd.Flags()
	fs.StringVar(&c.subject, "subject", "", "distinguished name, e.g. \"CN=my-app-auth, O=Contoso, C=US\" (required)")
	fs.StringVar(&c.notBefore, "not-before", "", "start of validity, YYYY-MM-DD or RFC 3339 (default now)")
	fs.StringVar(&c.notAfter, "not-after", "", "end of validity, YYYY-MM-DD or RFC 3339 (default 2 years after the start)")
	fs.StringVar(&c.key, "key", "rsa:2048", "key type: "+strings.Join(certs.KeySpecs, ", "))
	fs.StringVar(&c.out, "out", "", "write the key and certificate to `FILE` (.pfx; or "+extensionsHelp+")")
	fs.StringVar(&c.cer, "cer", "", "also write the certificate to `FILE` in DER (.cer)")
	fs.StringVar(&c.pem, "pem", "", "also write the certificate to `FILE` in PEM")
	fs.BoolVar(&c.opts.legacy, "legacy", false, "write a legacy PFX (PBE-SHA1-3DES, SHA-1 MAC) for old importers")
	fs.BoolVar(&c.opts.force, "force", false, "replace existing files")
	fs.BoolVar(&c.json, "json", false, "print the result as JSON")
	c.opts.password.register(fs)
	return cmd
}

func (a *app) certCreate(c *certCreateCmd) error {
	if c.subject == "" {
		return usagef("--subject is required, e.g. --subject \"CN=my-app-auth\"")
	}
	if c.out == "" {
		return usagef("--out is required: the .pfx file that will hold the new private key")
	}
	subject, err := dn.Parse(c.subject)
	if err == nil {
		err = subject.CheckStrings()
	}
	if err != nil {
		return usageError{fmt.Errorf("--subject: %w", err)}
	}
	spec, err := certs.ParseKeySpec(c.key)
	if err != nil {
		return usageError{fmt.Errorf("--key: %w", err)}
	}
	notBefore, err := parseDate("--not-before", c.notBefore)
	if err != nil {
		return err
	}
	notAfter, err := parseDate("--not-after", c.notAfter)
	if err != nil {
		return err
	}
	start := notBefore
	if start.IsZero() {
		start = a.now()
	}
	if !notAfter.IsZero() && !notAfter.After(start) {
		return usagef("--not-after %s is not after the start of validity (%s): give a later --not-after", notAfter.UTC().Format(time.DateOnly), start.UTC().Format(time.DateOnly))
	}
	outs := []output{}
	kind, err := kindOf(c.out)
	if err != nil {
		return err
	}
	if !kind.hasKey() {
		return usagef("--out %s would not hold the private key: use a .pfx (or .pem, .key, .pvk) file", c.out)
	}
	outs = append(outs, output{c.out, kind})
	if c.cer != "" {
		outs = append(outs, output{c.cer, outCertDER})
	}
	if c.pem != "" {
		outs = append(outs, output{c.pem, outCertPEM})
	}
	// Check the command line fully before the slow part, key generation.
	if err := a.preflight(outs, c.opts); err != nil {
		return err
	}
	key, err := spec.Generate(rand.Reader)
	if err != nil {
		return fmt.Errorf("generate %s key: %w", spec, err)
	}
	cert, err := certs.SelfSign(key, certs.SelfSignedOptions{Subject: subject, NotBefore: notBefore, NotAfter: notAfter, Now: a.now})
	if err != nil {
		return err
	}
	cred := &certs.Credential{Certificate: cert, Key: key}
	written, err := a.writeOutputs(cred, outs, c.opts)
	if err != nil {
		return err
	}
	now := a.now()
	summary := certs.Summarize(cred, now)
	if c.json {
		return a.printJSON(struct {
			Certificate certs.Summary `json:"certificate"`
			Files       []writtenFile `json:"files"`
		}{summary, written})
	}
	fmt.Fprintln(a.stdout, "Created a self-signed certificate for signing tokens.")
	fmt.Fprintln(a.stdout)
	printSummary(a.stdout, summary, now)
	printFindings(a.stdout, "  ", summary.Findings)
	printWritten(a.stdout, written)
	fmt.Fprintf(a.stdout, "\nNext\n  signet store import %s%s\n  signet cert doctor --thumbprint %s\n", c.out, passwordHint(c.opts.password), summary.Thumbprint)
	return nil
}

// preflight refuses early what writeOutputs would refuse late.
func (a *app) preflight(outs []output, opts outputOptions) error {
	p := opts.password
	if p.noPassword && !p.insecure {
		return usagef("--no-password writes the private key unprotected: add --insecure to confirm that this is what you want")
	}
	var paths []string
	for _, o := range outs {
		paths = append(paths, o.path)
	}
	if err := checkDirs(paths); err != nil {
		return err
	}
	if !opts.force {
		if err := checkAbsent(paths); err != nil {
			return err
		}
	}
	if p.file == "" && p.env == "" && !p.noPassword && !a.term.IsTerminal() {
		return usagef("no password for %s: give --password-file FILE or --password-env VAR (stdin is not a terminal, so signet cannot ask); for a file without a password, --no-password --insecure", describePaths(outs))
	}
	return nil
}

// parseDate reads YYYY-MM-DD (midnight UTC) or RFC 3339.
func parseDate(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("%s %q: write the date as YYYY-MM-DD (e.g. 2040-01-01) or RFC 3339 (2040-01-01T00:00:00Z)", flag, s)
}

// passwordHint repeats how the password was given, for a command to copy.
func passwordHint(p newPasswordFlags) string {
	switch {
	case p.file != "":
		return " --password-file " + p.file
	case p.env != "":
		return " --password-env " + p.env
	}
	return ""
}
