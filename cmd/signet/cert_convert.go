package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/certs"
)

type certConvertCmd struct {
	// Each input flag needs its own slice: pflag replaces, not appends to,
	// a slice on a flag's first use.
	in, pvk, cer, key []string
	outs              []string
	json              bool
	password          existingPasswordFlags
	opts              outputOptions
}

func (a *app) certConvertCommand() *cobra.Command {
	c := &certConvertCmd{}
	cmd := &cobra.Command{
		Use:   "convert [INPUT...] --out FILE [--out FILE...]",
		Short: "Convert between PVK+CER, PEM and PFX (pvk2pfx, and more)",
		Long: `Convert a signing credential between formats. The inputs (arguments, or
--in, --pvk, --cer and --key, which all mean the same) are read whatever their
format: PKCS#12, PEM, DER certificates and PVK keys. Together they must hold
one private key and the certificate that belongs to it; other certificates
become the chain. Each --out is written in the format its extension names:
  .pfx .p12   PKCS#12: key, certificate and chain (modern, or --legacy)
  .pem        PEM: the key (PKCS#8) followed by the certificates
  .key        PEM: the key alone (PKCS#8)
  .crt        PEM: the certificate and chain
  .cer .der   DER: the certificate
  .pvk        PVK: the RSA key (RC4-128 encrypted)
Files holding the key are encrypted with the output password (--password-file,
--password-env or a prompt) and written 0600; --no-password --insecure writes
them in the clear. Input passwords come from --in-password-file/-env or a
prompt, asked only when an input needs one.

A credential that cannot sign tokens (a key usage without digitalSignature,
as makecert -sky exchange makes) is converted all the same, for other uses,
with a warning that says why it cannot sign.

Exit codes: 0 converted, 1 failed (wrong password, key and certificate do
not match, ...), 2 wrong usage.`,
		Example: `  # pvk2pfx: a PVK and a CER made by makecert become one PFX
  signet cert convert --pvk my-app-auth.pvk --cer my-app-auth.cer --out my-app-auth.pfx
  # PEM key and certificate (nginx, openssl) to PFX
  signet cert convert --key key.pem --cer cert.pem --out my-app-auth.pfx
  # PFX to PEM, and back to PVK + CER
  signet cert convert my-app-auth.pfx --out my-app-auth.pem
  signet cert convert my-app-auth.pfx --out my-app-auth.pvk --out my-app-auth.cer
  # a modern PFX for Windows Server 2016 (legacy encryption), and back
  signet cert convert my-app-auth.pfx --out for-2016.pfx --legacy
  signet cert convert for-2016.pfx --out modern.pfx`,
		RunE: func(cmd *cobra.Command, args []string) error {
			inputs := append(append(append(append(args, c.in...), c.pvk...), c.cer...), c.key...)
			return a.certConvert(c, inputs)
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&c.in, "in", nil, "input `FILE` (repeatable)")
	fs.StringArrayVar(&c.pvk, "pvk", nil, "input PVK private key `FILE`")
	fs.StringArrayVar(&c.cer, "cer", nil, "input certificate `FILE` (DER or PEM)")
	fs.StringArrayVar(&c.key, "key", nil, "input private key `FILE` (PEM or DER)")
	fs.StringArrayVar(&c.outs, "out", nil, "output `FILE`, format by extension (repeatable)")
	fs.BoolVar(&c.opts.legacy, "legacy", false, "write .pfx outputs with legacy encryption (PBE-SHA1-3DES, SHA-1 MAC)")
	fs.BoolVar(&c.opts.force, "force", false, "replace existing files")
	fs.BoolVar(&c.json, "json", false, "print the result as JSON")
	c.password.register(fs, "in-")
	c.opts.password.register(fs)
	return cmd
}

func (a *app) certConvert(c *certConvertCmd, inputs []string) error {
	if len(inputs) == 0 {
		return usagef("no input: give the files to convert, e.g. --pvk my-app-auth.pvk --cer my-app-auth.cer")
	}
	if len(c.outs) == 0 {
		return usagef("no output: give --out FILE (%s)", extensionsHelp)
	}
	var outs []output
	for _, p := range c.outs {
		k, err := kindOf(p)
		if err != nil {
			return err
		}
		outs = append(outs, output{p, k})
	}
	if !c.opts.force {
		var paths []string
		for _, o := range outs {
			paths = append(paths, o.path)
		}
		if err := checkAbsent(paths); err != nil {
			return err
		}
	}
	cred, err := a.readCredential(inputs, c.password)
	if err != nil {
		return err
	}
	written, err := a.writeOutputs(cred, outs, c.opts)
	if err != nil {
		return err
	}
	summary := certs.Summarize(cred, a.now())
	if c.json {
		return a.printJSON(struct {
			Certificate certs.Summary `json:"certificate"`
			Files       []writtenFile `json:"files"`
		}{summary, written})
	}
	fmt.Fprintf(a.stdout, "Converted %s (%s, thumbprint %s).\n", summary.Subject, summary.Key, summary.Thumbprint)
	printFindings(a.stdout, "  ", convertFindings(summary.Findings))
	printWritten(a.stdout, written)
	return nil
}

// convertFindings turns what stops a credential from signing tokens into
// warnings: a converter often makes a file for another use (TLS, an
// encryption certificate), so convert writes it and exits 0, as inspect
// reads such a file and exits 0, and says plainly that it cannot sign.
func convertFindings(findings []certs.Finding) []certs.Finding {
	out := make([]certs.Finding, len(findings))
	for i, f := range findings {
		if f.Severity == certs.Blocker {
			f.Severity = certs.Warning
			f.Message = "written, but it cannot sign tokens: " + f.Message
			f.Fix = "to sign tokens: " + f.Fix
		}
		out[i] = f
	}
	return out
}

// readCredential reads every input and combines them into one credential.
func (a *app) readCredential(inputs []string, pw existingPasswordFlags) (*certs.Credential, error) {
	var parts []*certs.Contents
	for _, in := range inputs {
		c, err := certs.ReadFile(in, a.existingPassword(pw, in))
		if err != nil {
			return nil, readError(in, err)
		}
		parts = append(parts, c)
	}
	return certs.Combine(parts...)
}
