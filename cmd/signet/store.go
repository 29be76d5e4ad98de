package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/certstore"
)

func (a *app) storeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Keep signing certificates in a certificate store (CurrentUser/My, ...)",
		Long: `Keep signing certificates in a certificate store modelled on the Windows one:
a location (CurrentUser or LocalMachine) and a name (My, the personal store,
by default). The server finds certificates there by thumbprint or subject,
as IdentityServer does with X509Store.

Where: <root>/<Location>/<Name>/<THUMBPRINT>.pfx (password-less, 0600, in a
0700 directory; <THUMBPRINT>.cer for a certificate without its key). The root
is $SIGNET_CERT_STORE if set; otherwise ~/.local/share/signet/certstore for
CurrentUser and /var/lib/signet/certstore for LocalMachine.

On Azure App Service (WEBSITE_LOAD_CERTIFICATES set), CurrentUser/My is
/var/ssl/private (or $WEBSITE_PRIVATE_CERTS_PATH), read-only, and only the
thumbprints WEBSITE_LOAD_CERTIFICATES names can be loaded.

Exit codes: 0 done, 1 failed (not found, already there, ...), 2 wrong usage.`,
		RunE: runGroup,
	}
	cmd.AddCommand(a.storeImportCommand(), a.storeListCommand(), a.storeShowCommand(), a.storeRemoveCommand(), a.storeExportCommand())
	return cmd
}

type storeFlags struct{ location, name string }

func (s *storeFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.location, "location", "CurrentUser", "store location: CurrentUser or LocalMachine")
	fs.StringVar(&s.name, "name", "My", "store name: My, Root, CA, TrustedPeople, ...")
}

func (a *app) openStore(s storeFlags) (*certstore.Store, error) {
	loc, err := certstore.ParseLocation(s.location)
	if err != nil {
		return nil, usageError{fmt.Errorf("--location: %w", err)}
	}
	name, err := certstore.ParseName(s.name)
	if err != nil {
		return nil, usageError{fmt.Errorf("--name: %w", err)}
	}
	return certstore.Open(loc, name, a.storeEnv())
}

// parseThumbprintArg cleans a pasted thumbprint, and says when it dropped
// invisible characters: other tools (.NET's X509Store.Find) do not.
func (a *app) parseThumbprintArg(s string) (certs.ThumbprintQuery, error) {
	q, err := certs.ParseThumbprint(s)
	if err != nil {
		return q, usageError{err}
	}
	if len(q.Removed) > 0 {
		fmt.Fprintf(a.stderr, "note: ignored invisible characters in the thumbprint (%s), as pasted from the Windows certificate dialog; other tools may not ignore them\n", certs.DescribeRunes(q.Removed))
	}
	return q, nil
}

// findInStore finds a readable certificate by a thumbprint as pasted.
func (a *app) findInStore(flags storeFlags, thumbprint string) (*certstore.Store, certstore.Entry, error) {
	q, err := a.parseThumbprintArg(thumbprint)
	if err != nil {
		return nil, certstore.Entry{}, err
	}
	st, err := a.openStore(flags)
	if err != nil {
		return nil, certstore.Entry{}, err
	}
	e, err := st.Find(q)
	if err != nil {
		return nil, certstore.Entry{}, err
	}
	if e.Credential == nil {
		return nil, certstore.Entry{}, fmt.Errorf("%s: %v", e.Path, e.Err)
	}
	return st, e, nil
}

// storeEntryJSON is one store entry for --json.
type storeEntryJSON struct {
	Store       string         `json:"store"`
	Path        string         `json:"path"`
	Thumbprint  string         `json:"thumbprint"`
	Loadable    bool           `json:"loadable"`
	Error       string         `json:"error,omitempty"`
	Certificate *certs.Summary `json:"certificate,omitempty"`
}

func (a *app) entryJSON(st *certstore.Store, e certstore.Entry) storeEntryJSON {
	j := storeEntryJSON{Store: st.String(), Path: e.Path, Thumbprint: e.Thumbprint, Loadable: e.Loadable}
	if e.Err != nil {
		j.Error = e.Err.Error()
	}
	if e.Credential != nil {
		s := certs.Summarize(e.Credential, a.now())
		j.Certificate = &s
	}
	return j
}

type storeImportCmd struct {
	store    storeFlags
	password existingPasswordFlags
	force    bool
	json     bool
}

func (a *app) storeImportCommand() *cobra.Command {
	c := &storeImportCmd{}
	cmd := &cobra.Command{
		Use:   "import FILE [FILE...]",
		Short: "Import a certificate (with its private key, from a .pfx) into a store",
		Long: `Import a certificate into a store. Give the .pfx (or a PEM holding key and
certificate, or a .pvk and its .cer): the private key is what lets the server
sign. A certificate alone (.cer) can be imported too, for publishing and
validating only; signet says so, because that is the mistake that ends in
"certificate does not have a private key".`,
		Example: `  signet store import my-app-auth.pfx --password-file pw.txt
  signet store import my-app-auth.pfx --location LocalMachine
  signet store import my-app-auth.pvk my-app-auth.cer`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("give the file to import: signet store import FILE.pfx")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return a.storeImport(c, args) },
	}
	c.store.register(cmd.Flags())
	c.password.register(cmd.Flags(), "")
	cmd.Flags().BoolVar(&c.force, "force", false, "replace the certificate if the store has it already")
	cmd.Flags().BoolVar(&c.json, "json", false, "print the result as JSON")
	return cmd
}

func (a *app) storeImport(c *storeImportCmd, files []string) error {
	st, err := a.openStore(c.store)
	if err != nil {
		return err
	}
	cred, err := a.readCredential(files, c.password)
	if err != nil {
		return err
	}
	e, err := st.Import(cred, c.force)
	if err != nil {
		return err
	}
	if c.json {
		return a.printJSON(a.entryJSON(st, e))
	}
	fmt.Fprintf(a.stdout, "Imported %s into %s\n  %s\n", e.Label(), st, e.Path)
	if !e.HasKey() {
		fmt.Fprintf(a.stdout, "warning: %s has no private key: the server can publish it and validate with it, but not sign with it.\n  To sign, import the .pfx (with its key), not the .cer.\n", e.Thumbprint)
	}
	summary := certs.Summarize(cred, a.now())
	for _, f := range summary.Findings {
		if f.Code != "no-private-key" {
			printFindings(a.stdout, "", []certs.Finding{f})
		}
	}
	fmt.Fprintf(a.stdout, "\nCheck it: signet cert doctor --thumbprint %s --location %s --name %s\n", e.Thumbprint, st.Location, st.Name)
	return nil
}

type storeListCmd struct {
	store storeFlags
	json  bool
}

func (a *app) storeListCommand() *cobra.Command {
	c := &storeListCmd{}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the certificates in a store",
		Example: "  signet store list\n  signet store list --location LocalMachine --name My --json",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return a.storeList(c) },
	}
	c.store.register(cmd.Flags())
	cmd.Flags().BoolVar(&c.json, "json", false, "print the result as JSON")
	return cmd
}

func (a *app) storeList(c *storeListCmd) error {
	st, err := a.openStore(c.store)
	if err != nil {
		return err
	}
	entries, err := st.List()
	if err != nil {
		return err
	}
	if c.json {
		out := []storeEntryJSON{}
		for _, e := range entries {
			out = append(out, a.entryJSON(st, e))
		}
		return a.printJSON(out)
	}
	fmt.Fprintf(a.stdout, "%s: %s\n", st, st.Where())
	if st.Azure != nil {
		fmt.Fprintf(a.stdout, "WEBSITE_LOAD_CERTIFICATES=%s\n", st.Azure.Setting)
		for _, b := range st.Azure.Bad {
			fmt.Fprintf(a.stdout, "warning: WEBSITE_LOAD_CERTIFICATES: %s\n", b)
		}
	}
	if len(entries) == 0 {
		fmt.Fprintln(a.stdout, "No certificates.")
		return nil
	}
	now := a.now()
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "THUMBPRINT\tSUBJECT\tNOT AFTER\tKEY\tPRIVATE KEY")
	for _, e := range entries {
		if e.Credential == nil {
			fmt.Fprintf(tw, "%s\t(unreadable: %v)\t\t\t\n", e.Thumbprint, e.Err)
			continue
		}
		cert := e.Credential.Certificate
		notAfter := cert.NotAfter.UTC().Format("2006-01-02")
		if now.After(cert.NotAfter) {
			notAfter += " (expired)"
		}
		hasKey := "no"
		if e.HasKey() {
			hasKey = "yes"
		}
		if !e.Loadable {
			hasKey += " (not in WEBSITE_LOAD_CERTIFICATES)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Thumbprint, certs.SubjectString(cert), notAfter, certs.DescribeKey(cert.PublicKey), hasKey)
	}
	return tw.Flush()
}

type storeShowCmd struct {
	store storeFlags
	json  bool
}

func (a *app) storeShowCommand() *cobra.Command {
	c := &storeShowCmd{}
	cmd := &cobra.Command{
		Use:   "show THUMBPRINT",
		Short: "Show one certificate of a store and whether it can sign tokens",
		Long: `Show one certificate of a store. The thumbprint may be pasted as the
certificate dialog shows it: case, spaces, colons and invisible characters
(such as U+200E) are ignored.`,
		Example: `  signet store show 3A1F...`,
		Args:    exactArgs(1, "give the thumbprint: signet store show THUMBPRINT"),
		RunE:    func(cmd *cobra.Command, args []string) error { return a.storeShow(c, args[0]) },
	}
	c.store.register(cmd.Flags())
	cmd.Flags().BoolVar(&c.json, "json", false, "print the result as JSON")
	return cmd
}

func (a *app) storeShow(c *storeShowCmd, thumbprint string) error {
	st, e, err := a.findInStore(c.store, thumbprint)
	if err != nil {
		return err
	}
	if c.json {
		return a.printJSON(a.entryJSON(st, e))
	}
	now := a.now()
	s := certs.Summarize(e.Credential, now)
	fmt.Fprintf(a.stdout, "%s in %s\n  %s\n\n", e.Thumbprint, st, e.Path)
	printSummary(a.stdout, s, now)
	printVerdict(a.stdout, s.CanSign, s.SigningAlgorithms, s.Findings)
	return nil
}

type storeRemoveCmd struct {
	store storeFlags
	yes   bool
}

func (a *app) storeRemoveCommand() *cobra.Command {
	c := &storeRemoveCmd{}
	cmd := &cobra.Command{
		Use:   "remove THUMBPRINT",
		Short: "Remove a certificate (and its private key) from a store",
		Long: `Remove a certificate from a store. Its private key is deleted with it and
cannot be recovered: export it first (signet store export) if you may need it.
Asks for confirmation on a terminal; elsewhere give --yes.`,
		Example: `  signet store remove 3A1F... --yes`,
		Args:    exactArgs(1, "give the thumbprint: signet store remove THUMBPRINT"),
		RunE:    func(cmd *cobra.Command, args []string) error { return a.storeRemove(c, args[0]) },
	}
	c.store.register(cmd.Flags())
	cmd.Flags().BoolVar(&c.yes, "yes", false, "do not ask for confirmation")
	return cmd
}

func (a *app) storeRemove(c *storeRemoveCmd, thumbprint string) error {
	st, e, err := a.findInStore(c.store, thumbprint)
	if err != nil {
		return err
	}
	if !c.yes {
		loss, warning := "deletes its private key for good", " Its private key cannot be recovered."
		if !e.HasKey() {
			loss, warning = "deletes it (it has no private key)", ""
		}
		if !a.term.IsTerminal() {
			return usagef("removing %s from %s %s: add --yes to confirm (stdin is not a terminal, so signet cannot ask)", e.Label(), st, loss)
		}
		answer, err := a.term.ReadLine(fmt.Sprintf("Remove %s from %s?%s Type yes: ", e.Label(), st, warning))
		if err != nil {
			return err
		}
		if !strings.EqualFold(strings.TrimSpace(answer), "yes") {
			return fmt.Errorf("not removed")
		}
	}
	q, _ := certs.ParseThumbprint(e.Thumbprint)
	if _, err := st.Remove(q); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Removed %s from %s\n", e.Label(), st)
	return nil
}

type storeExportCmd struct {
	store storeFlags
	outs  []string
	json  bool
	opts  outputOptions
}

func (a *app) storeExportCommand() *cobra.Command {
	c := &storeExportCmd{}
	cmd := &cobra.Command{
		Use:   "export THUMBPRINT --out FILE [--out FILE...]",
		Short: "Export a certificate from a store, with its key, to a PFX or other file",
		Long: `Export a certificate from a store. Each --out is written in the format its
extension names (` + extensionsHelp + `).
Files holding the private key are encrypted with a password (--password-file,
--password-env or a prompt) and written 0600.`,
		Example: `  signet store export 3A1F... --out my-app-auth.pfx --password-file pw.txt
  signet store export 3A1F... --out for-2016.pfx --legacy
  signet store export 3A1F... --out my-app-auth.cer`,
		Args: exactArgs(1, "give the thumbprint: signet store export THUMBPRINT --out FILE.pfx"),
		RunE: func(cmd *cobra.Command, args []string) error { return a.storeExport(c, args[0]) },
	}
	c.store.register(cmd.Flags())
	fs := cmd.Flags()
	fs.StringArrayVar(&c.outs, "out", nil, "output `FILE`, format by extension (repeatable)")
	fs.BoolVar(&c.opts.legacy, "legacy", false, "write .pfx outputs with legacy encryption (PBE-SHA1-3DES, SHA-1 MAC)")
	fs.BoolVar(&c.opts.force, "force", false, "replace existing files")
	fs.BoolVar(&c.json, "json", false, "print the result as JSON")
	c.opts.password.register(fs)
	return cmd
}

func (a *app) storeExport(c *storeExportCmd, thumbprint string) error {
	if len(c.outs) == 0 {
		return usagef("no output: give --out FILE.pfx")
	}
	var outs []output
	for _, p := range c.outs {
		k, err := kindOf(p)
		if err != nil {
			return err
		}
		outs = append(outs, output{p, k})
	}
	st, e, err := a.findInStore(c.store, thumbprint)
	if err != nil {
		return err
	}
	written, err := a.writeOutputs(e.Credential, outs, c.opts)
	if err != nil {
		return err
	}
	if c.json {
		return a.printJSON(struct {
			Certificate certs.Summary `json:"certificate"`
			Files       []writtenFile `json:"files"`
		}{certs.Summarize(e.Credential, a.now()), written})
	}
	fmt.Fprintf(a.stdout, "Exported %s from %s.\n", e.Label(), st)
	printWritten(a.stdout, written)
	return nil
}
