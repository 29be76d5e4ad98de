package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/signetid/signet/internal/grant"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/certs/dn"
	"github.com/signetid/signet/internal/safefile"
	"github.com/signetid/signet/internal/secret"
	"github.com/signetid/signet/internal/welcome"
)

// What signet config init writes beside the configuration, and what the
// configuration defines.
const (
	initPFX          = "signing.pfx"
	initPFXPassword  = "signing.pfx.password"
	initSubject      = "CN=signet-signing"
	initKey          = "rsa:2048" // RS256: what every validator accepts
	initScope        = "api1"
	initResource     = "https://api.example.com"
	initClientID     = "myapp"
	initClientSecret = initClientID + ".secret"
)

type configInitCmd struct {
	out   string
	force bool
}

func (a *app) configInitCommand() *cobra.Command {
	c := &configInitCmd{}
	cmd := &cobra.Command{
		Use:   "init [--out signet.yaml] [--force]",
		Short: "Write a commented starter configuration, with a new signing certificate and client secret",
		Long: `Write a commented starter configuration that signet config check and
signet serve accept as it is, with no environment variable, and beside it
(in the same directory) what it refers to:

  signing.pfx           a new self-signed signing certificate (RSA 2048,
                        RS256, valid 2 years) and its private key, mode 0600
  signing.pfx.password  the PFX's random password, mode 0600
  myapp.secret          the random secret of the client myapp, mode 0600

The configuration defines one API scope (api1) and one client (myapp); its
issuer is a commented line to fill in. It listens on 127.0.0.1:5000 over
plain http (allowHttp), which only this machine can reach; its comments say
what to change for production: the issuer, https, the certificate store.

The client secret is printed once. No existing file is replaced without
--force.

Exit codes: 0 written, 1 failed (nothing is left half-written), 2 wrong usage.`,
		Example: `  signet config init
  signet config init --out /etc/signet/signet.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return a.configInit(c) },
	}
	cmd.Flags().StringVar(&c.out, "out", "signet.yaml", "the configuration `FILE` to write (.yaml); the other files go in its directory")
	cmd.Flags().BoolVar(&c.force, "force", false, "replace existing files (the old certificate and secret are lost: tokens they signed stop validating)")
	return cmd
}

// initFile is one file config init writes.
type initFile struct {
	path, what string
	data       []byte
	mode       fs.FileMode
}

func (a *app) configInit(c *configInitCmd) error {
	switch strings.ToLower(filepath.Ext(c.out)) {
	case ".yaml", ".yml":
	default:
		return usagef("--out %s: config init writes YAML; give a .yaml file", c.out)
	}
	dir := filepath.Dir(c.out)
	paths := []string{filepath.Join(dir, initPFX), filepath.Join(dir, initPFXPassword), filepath.Join(dir, initClientSecret), c.out}
	if err := checkDirs(paths); err != nil {
		return err
	}
	if !c.force {
		var existing []string
		for _, p := range paths {
			if _, err := os.Lstat(p); err == nil {
				existing = append(existing, p)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("check %s: %w", p, err)
			}
		}
		if len(existing) > 0 {
			verb := "already exists"
			if len(existing) > 1 {
				verb = "already exist"
			}
			return fmt.Errorf("%s %s: nothing was written. Choose another --out directory, or add --force to replace them (a new certificate and client secret replace the old ones: tokens signed with the old key stop validating, and the old secret stops working)", strings.Join(existing, ", "), verb)
		}
	}

	spec, err := certs.ParseKeySpec(initKey)
	if err != nil {
		return err
	}
	subject, err := dn.Parse(initSubject)
	if err != nil {
		return err
	}
	key, err := spec.Generate(rand.Reader)
	if err != nil {
		return fmt.Errorf("generate %s key: %w", spec, err)
	}
	cert, err := certs.SelfSign(key, certs.SelfSignedOptions{Subject: subject, Now: a.now})
	if err != nil {
		return err
	}
	password := secret.Generate()
	pfx, err := certs.EncodePFX(&certs.Credential{Certificate: cert, Key: key}, password, certs.PFXModern)
	if err != nil {
		return err
	}
	clientSecret := secret.Generate()
	thumbprint := certs.Thumbprint(cert)
	// The configuration last, so that it never names a file that is not
	// there.
	files := []initFile{
		{paths[0], fmt.Sprintf("the signing certificate %s and its private key (PKCS#12, %s, expires %s)", initSubject, certs.DescribeKey(key), cert.NotAfter.UTC().Format(time.DateOnly)), pfx, safefile.Private},
		{paths[1], "the PFX's password", []byte(password + "\n"), safefile.Private},
		{paths[2], "the secret of client " + initClientID, []byte(clientSecret + "\n"), safefile.Private},
		{paths[3], "the configuration", []byte(starterConfig(a.now(), c.out, thumbprint, cert.NotAfter)), safefile.Public},
	}
	if err := writeAll(files, c.force); err != nil {
		return err
	}

	w := a.stdout
	fmt.Fprintln(w, "Wrote a starter configuration and the files it refers to:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// The configuration first: it is what the others are for.
	for _, f := range append(files[len(files)-1:], files[:len(files)-1]...) {
		fmt.Fprintf(tw, "  %s\t%s, mode %04o\n", f.path, f.what, f.mode)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nThe secret of client %s, shown this once (%s holds it for the server):\n  %s\n", initClientID, paths[2], clientSecret)
	secretFile, err := filepath.Abs(paths[2])
	if err != nil {
		secretFile = paths[2]
	}
	curl := welcome.DevelopmentCurl("http://localhost:5000"+grant.Path, &welcome.Development{ClientID: initClientID, Scope: initScope, SecretFile: secretFile})
	fmt.Fprintf(w, "\nNext\n  signet config check --config %s\n  signet serve --config %s\n  %s\n", c.out, c.out, curl)
	fmt.Fprintf(w, "\nIt serves plain http on 127.0.0.1 only; before production, read the comments in %s (issuer, https, the certificate store).\n", c.out)
	return nil
}

// writeAll writes files in order, each atomically; if one fails, those
// this run created are removed, so that nothing is left half-written.
func writeAll(files []initFile, overwrite bool) error {
	existed := map[string]bool{}
	for _, f := range files {
		if _, err := os.Lstat(f.path); err == nil {
			existed[f.path] = true
		}
	}
	var written []string
	for _, f := range files {
		if err := safefile.Write(f.path, f.data, f.mode, overwrite); err != nil {
			var kept []string
			for _, p := range written {
				if existed[p] || os.Remove(p) != nil {
					kept = append(kept, p)
				}
			}
			if len(kept) > 0 {
				return fmt.Errorf("%w (already replaced: %s)", existsError(err), strings.Join(kept, ", "))
			}
			return fmt.Errorf("%w (nothing was written)", existsError(err))
		}
		written = append(written, f.path)
	}
	return nil
}

// starterConfig is the configuration config init writes: every line it
// sets, and what to change for production, explained.
func starterConfig(now time.Time, out, thumbprint string, notAfter time.Time) string {
	r := strings.NewReplacer(
		"{{DATE}}", now.UTC().Format(time.DateOnly),
		"{{OUT}}", filepath.Base(out),
		"{{THUMBPRINT}}", thumbprint,
		"{{NOTAFTER}}", notAfter.UTC().Format(time.DateOnly),
		"{{PFX}}", initPFX,
		"{{PFXPASSWORD}}", initPFXPassword,
		"{{SUBJECT}}", initSubject,
		"{{SCOPE}}", initScope,
		"{{RESOURCE}}", initResource,
		"{{CLIENT}}", initClientID,
		"{{SECRET}}", initClientSecret,
	)
	return r.Replace(starterTemplate)
}

const starterTemplate = `# Signet configuration, written by signet config init on {{DATE}}.
#
#   signet config check --config {{OUT}}   checks it, writing nothing
#   signet serve --config {{OUT}}          serves it on http://localhost:5000
#
# It works as it is, on this machine, over plain http; "Before production"
# at the end says what to change. Relative paths are relative to this
# file's directory; ${NAME} in a value is replaced with the environment
# variable NAME. The README describes every setting.

# The issuer: the iss claim of every token, and the URL of the discovery
# document that APIs and clients are configured with. Without it, it is
# taken from each request's Host (such as http://localhost:5000). In
# production, set it to the https URL clients use:
# issuer: https://auth.example.com

# The address to listen on. 127.0.0.1 accepts connections from this machine
# only; 0.0.0.0:5000 (or :5000) would accept them from the network.
listen: 127.0.0.1:5000

# Plain http is allowed so that this starter runs without a TLS
# certificate. That is safe only because listen above accepts connections
# from this machine alone: over http, client secrets and tokens cross the
# network in the clear. Before anything else connects, serve https (see
# "Before production") and remove this line.
allowHttp: true

# The embedded database (SQLite) is kept in dataDir, ./signet-data next to
# this file unless set here; signet serve creates it.
# dataDir: ./signet-data

# The signing key: a new self-signed certificate, {{SUBJECT}} (RSA 2048,
# signs RS256, valid until {{NOTAFTER}}), in {{PFX}}, whose password is in
# {{PFXPASSWORD}}. Both are readable by you alone (mode 0600): keep them so,
# and out of version control. Its SHA-1 thumbprint, which is also the kid
# that tokens name:
#   {{THUMBPRINT}}
# In production the certificate store keeps the key out of this directory;
# as the user the server runs as:
#   signet store import {{PFX}} --password-file {{PFXPASSWORD}}
# then replace this section with
#   key:
#     type: Store
#     thumbprint: {{THUMBPRINT}}
# (signet cert doctor --config {{OUT}} checks it). For keys that Signet
# makes and rotates itself, see type: Managed in signet keys --help.
key:
  type: File
  filePath: {{PFX}}
  passwordFile: {{PFXPASSWORD}}

# The scopes clients may ask for.
apiScopes:
  - name: {{SCOPE}}

# The APIs. A token's audience (aud) is the name of each API that holds one
# of its scopes: rename it to the audience your API checks.
apiResources:
  - name: {{RESOURCE}}
    scopes: [{{SCOPE}}]

# The applications that may get tokens. The secret of {{CLIENT}} is in
# {{SECRET}} (mode 0600; hashed when loaded), and was printed once by
# signet config init. Another one: signet secret generate; put the secret
# in a file (valueFile) or its hash here (hash: sha256$...).
clients:
  - clientId: {{CLIENT}}
    secrets:
      - valueFile: {{SECRET}}
    allowedGrantTypes: [client_credentials]
    allowedScopes: [{{SCOPE}}]
    # accessTokenLifetime: 3600      # seconds, up to 86400

# Before production:
#  - issuer: set it, above, to the https URL clients and APIs use;
#  - https: a tls section (certFile and keyFile, or a .pfx with password),
#    or a proxy in front that terminates TLS; then remove allowHttp;
#  - listen: the address the proxy or the clients reach;
#  - the key: the certificate store (above), Managed keys, or an HSM
#    (type: Pkcs11);
#  - several instances share a PostgreSQL database:
#      storage: {driver: postgres, dsn: "postgres://signet:${PGPASSWORD}@db:5432/signet"}
#  - and run signet config check --config {{OUT}} after each change.
`
