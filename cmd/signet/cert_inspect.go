package main

import (
	"crypto"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/certs"
)

type certInspectCmd struct {
	password existingPasswordFlags
	json     bool
}

func (a *app) certInspectCommand() *cobra.Command {
	c := &certInspectCmd{}
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Show what a certificate or key file holds and whether it can sign tokens",
		Long: `Show what a certificate or key file holds: subject, issuer, validity, serial,
key, thumbprints, key usage, whether it holds a private key that matches the
certificate, and whether it can serve as a token-signing credential; when it
cannot, why and what to do.

Reads .pfx/.p12 (PKCS#12), .cer/.der/.crt (DER or PEM), .pem (certificates
and PKCS#1, PKCS#8, SEC1 or encrypted keys) and .pvk, recognised by content.
A password is asked for (or read from --password-file/--password-env) only
when the file needs one.

Exit codes: 0 the file was read (whether or not it can sign), 1 it could not
be read (missing, malformed, wrong password), 2 wrong usage.`,
		Example: `  signet cert inspect my-app-auth.pfx --password-file pw.txt
  signet cert inspect my-app-auth.cer
  signet cert inspect my-app-auth.pvk --json`,
		Args: exactArgs(1, "give the file to inspect: signet cert inspect FILE"),
		RunE: func(cmd *cobra.Command, args []string) error { return a.certInspect(c, args[0]) },
	}
	c.password.register(cmd.Flags(), "")
	cmd.Flags().BoolVar(&c.json, "json", false, "print the result as JSON")
	return cmd
}

// inspection is inspect's result, for --json.
type inspection struct {
	File        string         `json:"file"`
	Format      certs.Format   `json:"format"`
	Encrypted   bool           `json:"encrypted"`
	Protection  string         `json:"protection,omitempty"`
	Certificate *certs.Summary `json:"certificate"`
	Chain       []chainEntry   `json:"chain,omitempty"`
	PrivateKey  *certs.KeyInfo `json:"privateKey"`
	KeyMatches  bool           `json:"keyMatchesCertificate"`
	CanSign     bool           `json:"canSign"`
	// DevelopmentOnly: a bare key (no certificate), which signs only as
	// key.type Development.
	DevelopmentOnly   bool            `json:"developmentOnly,omitempty"`
	SigningAlgorithms []string        `json:"signingAlgorithms,omitempty"`
	Findings          []certs.Finding `json:"findings"`
	Notes             []string        `json:"notes,omitempty"`
}

type chainEntry struct {
	Subject    string    `json:"subject"`
	Issuer     string    `json:"issuer"`
	Thumbprint string    `json:"thumbprint"`
	NotAfter   time.Time `json:"notAfter"`
}

func (a *app) certInspect(c *certInspectCmd, path string) error {
	contents, err := certs.ReadFile(path, a.existingPassword(c.password, path))
	if err != nil {
		return readError(path, err)
	}
	now := a.now()
	r := inspection{
		File:       path,
		Format:     contents.Format,
		Encrypted:  contents.Encrypted,
		Protection: contents.Protection,
		Notes:      contents.Notes,
		Findings:   []certs.Finding{},
	}
	if contents.Key != nil {
		info := certs.DescribeKey(contents.Key)
		r.PrivateKey = &info
	}
	cred, err := contents.Credential()
	if err != nil && len(contents.Certificates) > 0 {
		// The key fits none of the certificates: describe the first
		// certificate anyway, and let Check report the mismatch.
		cred = &certs.Credential{Certificate: contents.Certificates[0], Chain: contents.Certificates[1:]}
		if s, ok := contents.Key.(crypto.Signer); ok {
			cred.Key = s
		}
	}
	switch {
	case cred != nil:
		s := certs.Summarize(cred, now)
		r.Certificate = &s
		r.KeyMatches = cred.Key != nil && certs.KeyMatches(cred.Certificate, cred.Key)
		r.CanSign, r.Findings = s.CanSign, s.Findings
		if r.CanSign {
			r.SigningAlgorithms = s.SigningAlgorithms
		}
		for _, ch := range cred.Chain {
			r.Chain = append(r.Chain, chainEntry{certs.SubjectString(ch), certs.IssuerString(ch), certs.Thumbprint(ch), ch.NotAfter.UTC()})
		}
	case contents.Key != nil && !contents.Encrypted && certs.SigningAlgorithms(contents.Key) != nil:
		// A bare key signs as key.type Development does (the development
		// key is one): its public key is published as a JWK, with no
		// certificate. File and Store need the certificate.
		r.CanSign, r.DevelopmentOnly = true, true
		r.SigningAlgorithms = certs.SigningAlgorithms(contents.Key)
		r.Findings = append(r.Findings, certs.Finding{Severity: certs.Warning, Code: "no-certificate",
			Message: "it holds a private key but no certificate: Signet signs with a bare key like this one only as key.type Development (signet serve's development-signing-key.pem is one), for development; key.type File needs the certificate too",
			Fix:     fmt.Sprintf("for production, create a certificate: signet cert create; or combine this key with its certificate: signet cert convert --key %s --cer CERT.cer --out CREDENTIAL.pfx", path)})
	case contents.Key != nil:
		r.Findings = append(r.Findings, certs.Finding{Severity: certs.Blocker, Code: "no-certificate",
			Message: "it holds a private key but no certificate; a signing credential needs both (the certificate is what APIs are given)",
			Fix:     fmt.Sprintf("combine it with its certificate: signet cert convert --pvk %s --cer CERT.cer --out CREDENTIAL.pfx (or --key for a PEM key)", path)})
	default:
		r.Findings = append(r.Findings, certs.Finding{Severity: certs.Blocker, Code: "no-private-key",
			Message: "it holds certificates but no private key, so it can verify tokens but not sign them",
			Fix:     "export the certificate again with its private key (in Windows: Export, Yes, export the private key), or use the .pfx it came from"})
	}
	if c.json {
		return a.printJSON(r)
	}
	w := a.stdout
	fmt.Fprintf(w, "%s: %s", path, r.Format)
	if r.Protection != "" {
		fmt.Fprintf(w, ", protection %s", r.Protection)
	}
	fmt.Fprintln(w)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	fmt.Fprintln(w)
	if r.Certificate != nil {
		printSummary(w, *r.Certificate, now)
		if len(r.Chain) > 0 {
			fmt.Fprintf(w, "  Chain: %d more certificate(s)\n", len(r.Chain))
			for _, ch := range r.Chain {
				fmt.Fprintf(w, "    %s  %s (issuer %s, until %s)\n", ch.Thumbprint, ch.Subject, ch.Issuer, ch.NotAfter.Format(timeLayout))
			}
		}
	} else if r.PrivateKey != nil {
		fmt.Fprintf(w, "  Private key  %s\n", r.PrivateKey)
		fmt.Fprintln(w, "  Certificate  none")
	}
	if r.DevelopmentOnly {
		fmt.Fprintf(w, "\nToken signing: yes (%s), as a development key only\n", strings.Join(r.SigningAlgorithms, ", "))
		printFindings(w, "  ", r.Findings)
		return nil
	}
	printVerdict(w, r.CanSign, r.SigningAlgorithms, r.Findings)
	return nil
}

// readError explains a file that could not be read.
func readError(path string, err error) error {
	switch {
	case errors.Is(err, certs.ErrWrongPassword):
		return fmt.Errorf("%s: wrong password", path)
	case errors.Is(err, certs.ErrPasswordRequired):
		var pr passwordRequiredError
		if errors.As(err, &pr) {
			return err
		}
		return fmt.Errorf("%s is password-protected: give --password-file FILE or --password-env VAR", path)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s does not exist (working directory %s)", path, workingDir())
	}
	var usage usageError
	if errors.As(err, &usage) {
		return err
	}
	return fmt.Errorf("%s: %w", path, err)
}

// exactArgs is cobra.ExactArgs with a message that says what to give.
func exactArgs(n int, hint string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s (got %d arguments)", hint, len(args))
		}
		return nil
	}
}

func workingDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "unknown"
	}
	return wd
}
