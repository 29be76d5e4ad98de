package signing

import (
	"cmp"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/certstore"
	"github.com/signetid/signet/internal/safefile"
	"github.com/signetid/signet/internal/signing/pkcs11"
)

// The key types of the configuration's key section.
const (
	TypeDevelopment = "Development"
	TypeFile        = "File"
	TypeStore       = "Store"
	TypePkcs11      = "Pkcs11"
)

// ExpiryWarning is how long before its signing certificate expires the
// server starts warning, unless Loader.ExpiryWarning says otherwise.
const ExpiryWarning = 30 * 24 * time.Hour

// DevelopmentKeyFile is where the development key is kept in the data
// directory unless the key section names a file.
const DevelopmentKeyFile = "development-signing-key.pem"

// Spec says where a credential comes from, as a key section does.
type Spec struct {
	Type                     string
	StoreLocation, StoreName string
	Name, Thumbprint         string
	FilePath, Password       string
	Algorithm                string
	// Pkcs11 says where a Pkcs11 key is.
	Pkcs11 pkcs11.Config
}

// Loader reads credentials.
type Loader struct {
	// DataDir holds the development key.
	DataDir string
	// Env is what the certificate store reads of the environment.
	Env certstore.Env
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NoWrite makes Load write nothing, for checks (signet config check,
	// signet keys list): a development key that does not exist yet is not
	// created, nor its directory; Load returns no key for it, and
	// Loaded.Pending says where signet serve will create it.
	NoWrite bool
	// ExpiryWarning is how long before a signing certificate expires
	// Load warns of it (configuration keyExpiryWarning); 0 means the
	// ExpiryWarning constant.
	ExpiryWarning time.Duration
}

func (l Loader) now() time.Time {
	if l.Now == nil {
		return time.Now()
	}
	return l.Now()
}

// Loaded is what one key section yields.
type Loaded struct {
	// Keys in order of preference for signing (see certstore's order).
	Keys []*Key
	// Warnings are things the operator should know (an expired
	// certificate, the development key, a match that cannot be used).
	Warnings []string
	// Pending, with Loader.NoWrite, is the development key file that does
	// not exist yet and would be created (RSA 2048) when the server starts.
	Pending string
}

// Load reads the credential spec describes. For a signing credential
// (validation false) it refuses anything that cannot sign; a validation key
// needs only its certificate. Errors say what is wrong and what to do.
func (l Loader) Load(spec Spec, validation bool) (*Loaded, error) {
	var out *Loaded
	var err error
	switch strings.ToLower(spec.Type) {
	case "development":
		if validation {
			return nil, errors.New("a validation key cannot be of type Development: use File or Store")
		}
		out, err = l.development(spec)
	case "file":
		out, err = l.file(spec, validation)
	case "store":
		out, err = l.store(spec, validation)
	case "pkcs11":
		out, err = l.hardware(spec, validation)
	default:
		return nil, fmt.Errorf("unknown key type %q: use Development, File, Store or Pkcs11 (Managed keys come from the database)", spec.Type)
	}
	if err != nil {
		return nil, err
	}
	for _, k := range out.Keys {
		k.Validation = validation
		if validation {
			k.Signer = nil
		}
	}
	return out, nil
}

// hardware opens a key in a PKCS#11 token: it signs there and never
// leaves it. A validation key needs only its public key, so its session is
// closed at once.
func (l Loader) hardware(spec Spec, validation bool) (*Loaded, error) {
	hk, err := pkcs11.Open(spec.Pkcs11)
	if err != nil {
		return nil, err
	}
	k, err := newKey(hk.Public(), hk, nil, spec.Algorithm)
	if err != nil {
		hk.Close()
		return nil, fmt.Errorf("%s: %w", hk.Describe(), err)
	}
	k.Source = hk.Describe()
	if validation {
		hk.Close()
	}
	return &Loaded{Keys: []*Key{k}}, nil
}

// development loads the development key, creating it on first start. It is
// kept (0600) so that tokens stay valid across restarts.
func (l Loader) development(spec Spec) (*Loaded, error) {
	path := spec.FilePath
	if path == "" {
		path = filepath.Join(l.DataDir, DevelopmentKeyFile)
	}
	if l.NoWrite {
		if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
			// The key would be RSA 2048: check the algorithm against
			// such a key without making one.
			if _, err := algorithmFor(&rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), developmentKeyBits-1), E: 65537}, spec.Algorithm); err != nil {
				return nil, fmt.Errorf("development key %s: %w", path, err)
			}
			return &Loaded{Pending: path}, nil
		}
	}
	key, created, err := loadOrCreateDevelopmentKey(path)
	if err != nil {
		return nil, err
	}
	k, err := newKey(key.Public(), key, nil, spec.Algorithm)
	if err != nil {
		return nil, fmt.Errorf("development key %s: %w", path, err)
	}
	k.Source = "Development " + path
	verb := "loaded"
	if created {
		verb = "created"
	}
	return &Loaded{Keys: []*Key{k}, Warnings: []string{
		fmt.Sprintf("%s the development signing key %s: for development only; in production set key.type to File or Store", verb, path),
	}}, nil
}

// developmentKeyBits is the size of the development key (RSA).
const developmentKeyBits = 2048

func loadOrCreateDevelopmentKey(path string) (crypto.Signer, bool, error) {
	if data, err := os.ReadFile(path); err == nil {
		c, err := certs.Parse(data, nil)
		if err != nil || c.Key == nil {
			return nil, false, fmt.Errorf("development key %s cannot be read (%v): delete it to have a new one made (tokens signed with it will stop validating)", path, err)
		}
		s, ok := c.Key.(crypto.Signer)
		if !ok {
			return nil, false, fmt.Errorf("development key %s is not a signing key: delete it to have a new one made", path)
		}
		return s, false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("read development key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("create the data directory for the development key: %w", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, developmentKeyBits)
	if err != nil {
		return nil, false, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, false, err
	}
	err = safefile.Write(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), safefile.Private, false)
	if errors.Is(err, safefile.ErrExists) {
		// Another instance made it first: use theirs.
		return loadOrCreateDevelopmentKey(path)
	}
	if err != nil {
		return nil, false, fmt.Errorf("write development key: %w", err)
	}
	return key, true, nil
}

// file loads a .pfx/.p12 or PEM file (a .cer too, for a validation key).
func (l Loader) file(spec Spec, validation bool) (*Loaded, error) {
	if spec.FilePath == "" {
		return nil, errors.New("filePath is empty: name the .pfx (or PEM) file")
	}
	c, err := certs.ReadFile(spec.FilePath, certs.StaticPassword(spec.Password))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s does not exist (a relative filePath is relative to the configuration file's directory)", spec.FilePath)
	case errors.Is(err, certs.ErrWrongPassword) && spec.Password == "":
		return nil, fmt.Errorf("%s is password-protected: set password (e.g. password: ${APP_SigningCertificatePassword})", spec.FilePath)
	case errors.Is(err, certs.ErrWrongPassword):
		return nil, fmt.Errorf("password does not open %s: wrong password; check the password setting (signet cert inspect %s asks for a password and says whether it is right)", spec.FilePath, spec.FilePath)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", spec.FilePath, err)
	}
	cred, err := c.Credential()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.FilePath, err)
	}
	out := &Loaded{}
	k, err := l.credentialKey(cred, spec.Algorithm, validation, out)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.FilePath, err)
	}
	k.Source = "File " + spec.FilePath
	out.Keys = []*Key{k}
	return out, nil
}

// store finds the certificate by thumbprint (which wins) or subject.
func (l Loader) store(spec Spec, validation bool) (*Loaded, error) {
	loc, err := certstore.ParseLocation(orDefault(spec.StoreLocation, "CurrentUser"))
	if err != nil {
		return nil, err
	}
	name, err := certstore.ParseName(orDefault(spec.StoreName, "My"))
	if err != nil {
		return nil, err
	}
	st, err := certstore.Open(loc, name, l.Env)
	if err != nil {
		return nil, err
	}
	var entries []certstore.Entry
	out := &Loaded{}
	switch {
	case spec.Thumbprint != "":
		q, err := certs.ParseThumbprint(spec.Thumbprint)
		if err != nil {
			return nil, err
		}
		if len(q.Removed) > 0 {
			out.Warnings = append(out.Warnings, fmt.Sprintf("the thumbprint has invisible characters that were ignored (%s): remove them from the configuration", certs.DescribeRunes(q.Removed)))
		}
		e, err := st.Find(q)
		if err != nil {
			return nil, err
		}
		if e.Credential == nil {
			return nil, fmt.Errorf("%s: %v", e.Path, e.Err)
		}
		entries = []certstore.Entry{e}
	case spec.Name != "":
		if entries, err = st.FindBySubject(spec.Name, l.now()); err != nil {
			return nil, err
		}
		subjects := map[string]bool{}
		for _, e := range entries {
			subjects[certs.SubjectString(e.Credential.Certificate)] = true
		}
		if len(subjects) > 1 {
			var list []string
			for s := range subjects {
				list = append(list, s)
			}
			slices.Sort(list)
			out.Warnings = append(out.Warnings, fmt.Sprintf("name %q matches certificates of %d different subjects (%s): all are published, and one of them signs; give the whole subject (CN=...) or a thumbprint to choose", spec.Name, len(list), strings.Join(list, "; ")))
		}
	default:
		return nil, errors.New("give thumbprint (or name, the subject) to find the certificate in the store")
	}
	var firstErr error
	for _, e := range entries {
		k, err := l.credentialKey(e.Credential, spec.Algorithm, validation || e.Credential.Key == nil && len(entries) > 1, out)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("%s in %s: %w", e.Thumbprint, st, err)
			}
			if len(entries) > 1 {
				out.Warnings = append(out.Warnings, fmt.Sprintf("%s in %s is not used: %v", e.Thumbprint, st, err))
			}
			continue
		}
		k.Source = "Store " + st.String()
		out.Keys = append(out.Keys, k)
	}
	if !validation && !anySigner(out.Keys) {
		if firstErr != nil {
			return nil, firstErr
		}
		return nil, fmt.Errorf("no certificate matching %q in %s has a private key: import the .pfx, not the .cer", spec.Name, st)
	}
	return out, nil
}

func anySigner(keys []*Key) bool {
	for _, k := range keys {
		if k.Signer != nil {
			return true
		}
	}
	return false
}

// credentialKey checks a credential and makes its Key. For signing, every
// blocker of certs.Check is an error; an expired or not-yet-valid
// certificate is a warning.
func (l Loader) credentialKey(cred *certs.Credential, alg string, publicOnly bool, out *Loaded) (*Key, error) {
	now := l.now()
	for _, f := range certs.Check(cred, now) {
		switch {
		case f.Code == "no-private-key" && publicOnly:
		case f.Severity == certs.Blocker:
			return nil, fmt.Errorf("certificate %s (%s) cannot sign tokens: %s; %s", certs.Thumbprint(cred.Certificate), certs.SubjectString(cred.Certificate), f.Message, f.Fix)
		default:
			out.Warnings = append(out.Warnings, fmt.Sprintf("certificate %s (%s): %s", certs.Thumbprint(cred.Certificate), certs.SubjectString(cred.Certificate), f.Message))
		}
	}
	if left := cred.Certificate.NotAfter.Sub(now); left > 0 && left < cmp.Or(l.ExpiryWarning, ExpiryWarning) && !publicOnly {
		out.Warnings = append(out.Warnings, fmt.Sprintf("certificate %s (%s) expires in %s (%s): create its successor now and put it beside it, so that it is published before it signs",
			certs.Thumbprint(cred.Certificate), certs.SubjectString(cred.Certificate), certs.Ago(left), cred.Certificate.NotAfter.UTC().Format(time.DateOnly)))
	}
	var priv crypto.Signer
	if !publicOnly {
		priv = cred.Key
	}
	k, err := newKey(cred.Certificate.PublicKey, priv, cred.Certificate, alg)
	if err != nil {
		return nil, err
	}
	k.Chain = cred.Chain
	return k, nil
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
