package main

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/certs/pvk"
	"github.com/signetid/signet/internal/safefile"
)

// outputKind is what a written file holds, chosen by its extension.
type outputKind int

const (
	outPFX     outputKind = iota // .pfx .p12: key, certificate and chain
	outPEM                       // .pem: key, certificate and chain
	outKeyPEM                    // .key: the key alone, PEM
	outCertPEM                   // .crt: certificate and chain, PEM
	outCertDER                   // .cer .der: the certificate, DER
	outPVK                       // .pvk: the RSA key, PVK
)

const extensionsHelp = ".pfx/.p12 (PKCS#12), .pem (key and certificates), .key (key, PEM), .crt (certificates, PEM), .cer/.der (certificate, DER), .pvk (RSA key, PVK)"

func kindOf(path string) (outputKind, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".pfx", ".p12":
		return outPFX, nil
	case ".pem":
		return outPEM, nil
	case ".key":
		return outKeyPEM, nil
	case ".crt":
		return outCertPEM, nil
	case ".cer", ".der":
		return outCertDER, nil
	case ".pvk":
		return outPVK, nil
	}
	return 0, usagef("cannot tell what to write to %s from its extension: use %s", path, extensionsHelp)
}

func (k outputKind) hasKey() bool { return k == outPFX || k == outPEM || k == outKeyPEM || k == outPVK }

// output is one file to write.
type output struct {
	path string
	kind outputKind
}

// writtenFile describes a file written, for people and --json.
type writtenFile struct {
	Path     string `json:"path"`
	Format   string `json:"format"`
	Contents string `json:"contents"`
	// Protection says how the private key is protected; empty for public files.
	Protection string `json:"protection,omitempty"`
	Mode       string `json:"mode"`
}

// outputOptions are the choices shared by every command that writes files.
type outputOptions struct {
	legacy   bool
	force    bool
	password newPasswordFlags
}

// writeOutputs encodes cred into every output and writes them. It checks
// every path and gets the password before writing anything, so a refused
// command leaves nothing behind.
func (a *app) writeOutputs(cred *certs.Credential, outs []output, opts outputOptions) ([]writtenFile, error) {
	needKey, hasPFX := false, false
	seen := map[string]bool{}
	var paths []string
	for _, o := range outs {
		abs, _ := filepath.Abs(o.path)
		if seen[abs] {
			return nil, usagef("%s is given twice as an output", o.path)
		}
		seen[abs] = true
		paths = append(paths, o.path)
		if o.kind.hasKey() {
			needKey = true
			if cred.Key == nil {
				return nil, fmt.Errorf("cannot write %s: it would hold the private key, and there is none, only a certificate (give the .pfx or the key file too; a store entry imported from a .cer has no key)", o.path)
			}
		}
		if o.kind == outPFX {
			hasPFX = true
		}
		if o.kind == outPVK {
			if _, ok := cred.Key.(*rsa.PrivateKey); !ok {
				return nil, usagef("cannot write %s: PVK holds only RSA keys and this key is %s; write a .pfx or .pem instead", o.path, certs.DescribeKey(cred.Key))
			}
		}
	}
	if opts.legacy && !hasPFX {
		return nil, usagef("--legacy applies to .pfx/.p12 outputs, and none is given")
	}
	if len(outs) == 0 {
		return nil, usagef("nothing to write: give --out FILE (%s)", extensionsHelp)
	}
	if err := checkDirs(paths); err != nil {
		return nil, err
	}
	if !opts.force {
		if err := checkAbsent(paths); err != nil {
			return nil, err
		}
	}
	var password string
	if needKey {
		var err error
		if password, err = a.newPassword(opts.password, describePaths(outs)); err != nil {
			return nil, err
		}
	} else if opts.password.file != "" || opts.password.env != "" || opts.password.noPassword {
		return nil, usagef("no output holds a private key, so no password is needed")
	}
	type encoded struct {
		data []byte
		file writtenFile
		mode fs.FileMode
	}
	var files []encoded
	for _, o := range outs {
		data, wf, err := encodeOutput(cred, o, password, opts.legacy)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.path, err)
		}
		mode := safefile.Public
		if o.kind.hasKey() {
			mode = safefile.Private
		}
		wf.Mode = fmt.Sprintf("%04o", mode)
		files = append(files, encoded{data, wf, mode})
	}
	// Remember what existed, so that a failure part way removes only what
	// this run created and never what --force was about to replace.
	existed := map[string]bool{}
	for _, f := range files {
		if _, err := os.Lstat(f.file.Path); err == nil {
			existed[f.file.Path] = true
		}
	}
	var written []writtenFile
	for _, f := range files {
		if err := safefile.Write(f.file.Path, f.data, f.mode, opts.force); err != nil {
			var kept []writtenFile
			for _, w := range written {
				if existed[w.Path] || os.Remove(w.Path) != nil {
					kept = append(kept, w)
				}
			}
			if len(kept) > 0 {
				return nil, fmt.Errorf("%w (already replaced: %s)", existsError(err), joinPaths(kept))
			}
			return nil, fmt.Errorf("%w (nothing was written)", existsError(err))
		}
		written = append(written, f.file)
	}
	return written, nil
}

func encodeOutput(cred *certs.Credential, o output, password string, legacy bool) ([]byte, writtenFile, error) {
	wf := writtenFile{Path: o.path}
	protection := "not encrypted"
	switch o.kind {
	case outPFX:
		enc := certs.PFXModern
		if legacy {
			enc = certs.PFXLegacy
		}
		data, err := certs.EncodePFX(cred, password, enc)
		wf.Format, wf.Contents = "PKCS#12", "private key and certificate"
		if len(cred.Chain) > 0 {
			wf.Contents += fmt.Sprintf(" and %d chain certificate(s)", len(cred.Chain))
		}
		wf.Protection = enc.String()
		if password == "" {
			wf.Protection = "empty password (" + wf.Protection + ")"
		}
		return data, wf, err
	case outPEM, outKeyPEM:
		key, err := certs.EncodeKeyPEM(cred, password)
		if err != nil {
			return nil, wf, err
		}
		wf.Format, wf.Contents = "PEM", "private key (PKCS#8)"
		if password != "" {
			protection = "PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC)"
		}
		wf.Protection = protection
		if o.kind == outKeyPEM {
			return key, wf, nil
		}
		wf.Contents += " and certificate"
		return append(key, certs.EncodeCertPEM(append([]*x509.Certificate{cred.Certificate}, cred.Chain...)...)...), wf, nil
	case outCertPEM:
		wf.Format, wf.Contents = "PEM", "certificate"
		if len(cred.Chain) > 0 {
			wf.Contents += fmt.Sprintf(" and %d chain certificate(s)", len(cred.Chain))
		}
		return certs.EncodeCertPEM(append([]*x509.Certificate{cred.Certificate}, cred.Chain...)...), wf, nil
	case outCertDER:
		wf.Format, wf.Contents = "DER", "certificate"
		return cred.Certificate.Raw, wf, nil
	case outPVK:
		data, err := pvk.Encode(cred.Key.(*rsa.PrivateKey), pvk.EncodeOptions{Password: []byte(password), KeySpec: pvk.Signature})
		wf.Format, wf.Contents = "PVK", "RSA private key"
		if password != "" {
			protection = pvk.RC4Strong.String()
		}
		wf.Protection = protection
		return data, wf, err
	}
	return nil, wf, errors.New("unknown output kind")
}

func existsError(err error) error {
	var pe *fs.PathError
	if errors.Is(err, safefile.ErrExists) && errors.As(err, &pe) {
		return fmt.Errorf("%s already exists: choose another name, or add --force to replace it", pe.Path)
	}
	return err
}

func describePaths(outs []output) string {
	var names []string
	for _, o := range outs {
		if o.kind.hasKey() {
			names = append(names, o.path)
		}
	}
	return strings.Join(names, " and ")
}

func joinPaths(files []writtenFile) string {
	var names []string
	for _, f := range files {
		names = append(names, f.Path)
	}
	return strings.Join(names, ", ")
}

// checkDirs refuses outputs whose directory does not exist, before any key
// is made or file written.
func checkDirs(paths []string) error {
	for _, p := range paths {
		dir := filepath.Dir(p)
		fi, err := os.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("cannot write %s: directory %s does not exist; create it first", p, dir)
		case err != nil:
			return fmt.Errorf("cannot write %s: %w", p, err)
		case !fi.IsDir():
			return fmt.Errorf("cannot write %s: %s is not a directory", p, dir)
		}
	}
	return nil
}

func checkAbsent(paths []string) error {
	if err := safefile.CheckAbsent(paths...); err != nil {
		return existsError(err)
	}
	return nil
}
