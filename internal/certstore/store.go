package certstore

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/certs/dn"
	"github.com/signetid/signet/internal/safefile"
)

// ErrReadOnly is returned when writing to Azure App Service's directory.
var ErrReadOnly = errors.New("read-only store")

// Store is one StoreLocation/StoreName.
type Store struct {
	Location Location
	Name     string
	// Dir holds the certificate files.
	Dir string
	// Azure is set when this store is App Service's certificate directory.
	Azure *Azure
	env   Env
}

// Open returns the store at loc/name. It does not create anything: a store
// that was never written to is empty.
func Open(loc Location, name string, env Env) (*Store, error) {
	loc, err := ParseLocation(string(loc))
	if err != nil {
		return nil, err
	}
	if name, err = ParseName(name); err != nil {
		return nil, err
	}
	s := &Store{Location: loc, Name: name, env: env}
	if loc == CurrentUser && name == "My" {
		if az := AzureFromEnv(env); az != nil {
			if env.goos() != "linux" {
				return nil, fmt.Errorf("WEBSITE_LOAD_CERTIFICATES is set, but App Service writes certificates as files (in %s) only on Linux; on Windows it loads them into the Windows certificate store, which Signet does not read: run Signet on a Linux App Service, or unset WEBSITE_LOAD_CERTIFICATES to use Signet's own store", az.Dir)
			}
			s.Azure, s.Dir = az, az.Dir
			return s, nil
		}
	}
	if loc == LocalMachine && env.goos() == "windows" {
		// Signet protects stored keys with file permissions, and on Windows
		// %ProgramData% lets every user read; it does not set ACLs.
		return nil, errors.New("the LocalMachine store is not supported on Windows: its folder under %ProgramData% is readable by every user, and Signet does not set Windows ACLs; use CurrentUser (under %LOCALAPPDATA%, yours alone)")
	}
	root, err := Root(loc, env)
	if err != nil {
		return nil, err
	}
	s.Dir = filepath.Join(root, string(loc), name)
	return s, nil
}

// String names the store the way IdentityServer's configuration does:
// "CurrentUser/My".
func (s *Store) String() string { return string(s.Location) + "/" + s.Name }

// Where says where the store's files are, for messages.
func (s *Store) Where() string {
	if s.Azure != nil {
		return fmt.Sprintf("%s (Azure App Service, because WEBSITE_LOAD_CERTIFICATES is set)", s.Dir)
	}
	return s.Dir
}

// Entry is one certificate in a store.
type Entry struct {
	Thumbprint string
	Path       string
	// Credential is nil when the file could not be read; Err says why.
	Credential *certs.Credential
	Err        error
	// Loadable is false when Azure's WEBSITE_LOAD_CERTIFICATES does not name it.
	Loadable bool
	// Mode is the file's permission bits.
	Mode fs.FileMode
}

// HasKey reports whether the entry holds a private key.
func (e Entry) HasKey() bool { return e.Credential != nil && e.Credential.Key != nil }

// Label is "THUMBPRINT CN=subject" for lists in messages.
func (e Entry) Label() string {
	if e.Credential == nil {
		return e.Thumbprint + " (unreadable)"
	}
	return e.Thumbprint + " " + certs.SubjectString(e.Credential.Certificate)
}

// List reads every certificate in the store, sorted by thumbprint. A file
// that cannot be read is listed with its error rather than failing the list.
func (s *Store) List() ([]Entry, error) {
	files, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read store %s at %s: %w", s, s.Dir, err)
	}
	var entries []Entry
	for _, f := range files {
		ext := strings.ToLower(filepath.Ext(f.Name()))
		if f.IsDir() || (ext != ".pfx" && ext != ".p12" && ext != ".cer") {
			continue
		}
		path := filepath.Join(s.Dir, f.Name())
		if !f.Type().IsRegular() {
			// A symlink could point anywhere, and a FIFO would block the read.
			entries = append(entries, Entry{Path: path, Thumbprint: strings.ToUpper(strings.TrimSuffix(f.Name(), filepath.Ext(f.Name()))),
				Err: fmt.Errorf("%s is not a regular file (a link, pipe or device): the store reads only regular files; remove it", path)})
			continue
		}
		entries = append(entries, s.read(path))
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Thumbprint < entries[j].Thumbprint })
	return entries, nil
}

func (s *Store) read(path string) Entry {
	e := Entry{Path: path, Loadable: true}
	e.Thumbprint = strings.ToUpper(strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)))
	if fi, err := os.Stat(path); err == nil {
		e.Mode = fi.Mode().Perm()
	}
	c, err := certs.ReadFile(path, certs.StaticPassword(""))
	if err == nil {
		e.Credential, err = c.Credential()
	}
	switch {
	case errors.Is(err, certs.ErrWrongPassword):
		e.Err = errors.New("it is protected with a password, but store files have none: import it again with signet store import")
	case err != nil:
		e.Err = err
	default:
		e.Thumbprint = certs.Thumbprint(e.Credential.Certificate)
	}
	if s.Azure != nil {
		e.Loadable = s.Azure.Allows(e.Thumbprint)
	}
	return e
}

// Find returns the certificate with the given thumbprint. It fails with a
// *NotFoundError that lists what the store holds and where else the
// thumbprint is, or with a *NotLoadedError on Azure. A file that cannot be
// read is found by its name and returned with Credential nil and Err set,
// so that it can be removed or replaced.
func (s *Store) Find(q certs.ThumbprintQuery) (Entry, error) {
	entries, err := s.List()
	if err != nil {
		return Entry{}, err
	}
	for _, e := range entries {
		switch {
		case e.Credential != nil && q.Matches(e.Credential.Certificate):
		case e.Credential == nil && e.Thumbprint == q.Hex:
		default:
			continue
		}
		if !e.Loadable {
			return e, &NotLoadedError{Thumbprint: e.Thumbprint, Azure: s.Azure}
		}
		return e, nil
	}
	return Entry{}, s.notFound("thumbprint "+q.Hex, entries, func(c *x509.Certificate) bool { return q.Matches(c) })
}

// FindBySubject returns every loadable certificate whose subject matches, in
// the documented order as of now (the first is the one to sign with). A name with "="
// is a distinguished name compared as a whole ("CN=my-app-auth" matches
// "CN=my-app-auth" but not "CN=my-app-auth, O=Contoso"), ignoring case and
// extra spaces, like X509FindType.FindBySubjectDistinguishedName; a name
// without is a case-insensitive substring of any part of the subject, like
// FindBySubjectName.
func (s *Store) FindBySubject(name string, now time.Time) ([]Entry, error) {
	match, err := SubjectMatcher(name)
	if err != nil {
		return nil, err
	}
	entries, err := s.List()
	if err != nil {
		return nil, err
	}
	var found []Entry
	var hidden []string
	for _, e := range entries {
		if e.Credential == nil || !match(e.Credential.Certificate) {
			continue
		}
		if !e.Loadable {
			hidden = append(hidden, e.Thumbprint)
			continue
		}
		found = append(found, e)
	}
	if len(found) == 0 && len(hidden) > 0 {
		return nil, &NotLoadedError{Thumbprint: strings.Join(hidden, ","), Azure: s.Azure}
	}
	if len(found) == 0 {
		nf := s.notFound("subject "+name, entries, match)
		nf.Similar = similarSubjects(name, entries)
		return nil, nf
	}
	SortForSigning(found, now)
	return found, nil
}

// SubjectMatcher returns the test FindBySubject applies for name.
func SubjectMatcher(name string) (func(*x509.Certificate) bool, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, errors.New("subject name is empty: give it as CN=name")
	}
	if strings.Contains(name, "=") {
		want, err := dn.Parse(name)
		if err != nil {
			return nil, fmt.Errorf("subject %q: %w", name, err)
		}
		return func(c *x509.Certificate) bool {
			got, err := dn.FromDER(c.RawSubject)
			return err == nil && got.Equal(want)
		}, nil
	}
	needle := strings.ToLower(name)
	return func(c *x509.Certificate) bool {
		got, err := dn.FromDER(c.RawSubject)
		if err != nil {
			return false
		}
		for _, rdn := range got {
			for _, a := range rdn {
				if strings.Contains(strings.ToLower(a.Value), needle) {
					return true
				}
			}
		}
		return false
	}, nil
}

// SortForSigning orders entries as the package documentation says.
func SortForSigning(entries []Entry, now time.Time) {
	class := func(c *x509.Certificate) int {
		switch {
		case now.Before(c.NotBefore):
			return 1
		case now.After(c.NotAfter):
			return 2
		}
		return 0
	}
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if a.HasKey() != b.HasKey() {
			return a.HasKey()
		}
		ca, cb := a.Credential.Certificate, b.Credential.Certificate
		if class(ca) != class(cb) {
			return class(ca) < class(cb)
		}
		switch class(ca) {
		case 0:
			if !ca.NotAfter.Equal(cb.NotAfter) {
				return ca.NotAfter.Before(cb.NotAfter)
			}
			if !ca.NotBefore.Equal(cb.NotBefore) {
				return ca.NotBefore.Before(cb.NotBefore)
			}
		case 1:
			if !ca.NotBefore.Equal(cb.NotBefore) {
				return ca.NotBefore.Before(cb.NotBefore)
			}
		case 2:
			if !ca.NotAfter.Equal(cb.NotAfter) {
				return ca.NotAfter.After(cb.NotAfter)
			}
		}
		return a.Thumbprint < b.Thumbprint
	})
}

// Import adds a credential. A credential with a private key is stored as
// <THUMBPRINT>.pfx and replaces a certificate-only entry of the same
// certificate; one without is stored as <THUMBPRINT>.cer. An existing entry
// is replaced only with overwrite.
func (s *Store) Import(cred *certs.Credential, overwrite bool) (Entry, error) {
	if s.Azure != nil {
		return Entry{}, fmt.Errorf("%w: %s is App Service's certificate directory %s (WEBSITE_LOAD_CERTIFICATES is set); upload the certificate in the Azure portal (Certificates, then Bring your own certificates) instead", ErrReadOnly, s, s.Dir)
	}
	if cred.Key != nil && !certs.KeyMatches(cred.Certificate, cred.Key) {
		return Entry{}, errors.New("the private key does not belong to the certificate")
	}
	tp := certs.Thumbprint(cred.Certificate)
	pfxPath := filepath.Join(s.Dir, tp+".pfx")
	cerPath := filepath.Join(s.Dir, tp+".cer")
	if err := s.mkdir(); err != nil {
		return Entry{}, err
	}
	var err error
	if cred.Key != nil {
		var data []byte
		if data, err = certs.EncodePFX(cred, "", certs.PFXModern); err != nil {
			return Entry{}, err
		}
		if err = safefile.Write(pfxPath, data, safefile.Private, overwrite); err != nil {
			return Entry{}, s.existsErr(err, tp)
		}
		if err := os.Remove(cerPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return Entry{}, err
		}
		return s.read(pfxPath), nil
	}
	if _, err := os.Stat(pfxPath); err == nil {
		// Even with overwrite: a certificate must never silently replace
		// the private key it belongs to.
		return Entry{}, fmt.Errorf("%s is already in %s with its private key, so the certificate alone adds nothing; to drop the key on purpose, remove the entry first (signet store remove)", tp, s)
	}
	if err = safefile.Write(cerPath, cred.Certificate.Raw, safefile.Private, overwrite); err != nil {
		return Entry{}, s.existsErr(err, tp)
	}
	return s.read(cerPath), nil
}

func (s *Store) existsErr(err error, tp string) error {
	if errors.Is(err, safefile.ErrExists) {
		return fmt.Errorf("%s is already in %s: use --force to replace it", tp, s)
	}
	return err
}

func (s *Store) mkdir() error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("create store %s at %s: %w", s, s.Dir, err)
	}
	// Keys go only into a real directory of the user's own: not through a
	// symbolic link that may lead into a shared one, and not into a
	// directory someone else controls.
	fi, err := os.Lstat(s.Dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("store %s: %s is a symbolic link or not a directory; Signet writes private keys only into a real directory: replace it with one, or set SIGNET_CERT_STORE", s, s.Dir)
	}
	if owner, ok := ownedByCurrentUser(fi); !ok {
		return fmt.Errorf("store %s: %s belongs to %s, not to you: private keys are written only into your own directory; fix its owner, or set SIGNET_CERT_STORE", s, s.Dir, owner)
	}
	// MkdirAll leaves an existing directory's mode alone, and the umask may
	// have widened a new one; the store's own directory is the owner's alone.
	return os.Chmod(s.Dir, 0o700)
}

// Remove deletes the certificate with the given thumbprint (and its key).
func (s *Store) Remove(q certs.ThumbprintQuery) (Entry, error) {
	if s.Azure != nil {
		return Entry{}, fmt.Errorf("%w: %s is App Service's certificate directory %s; remove the certificate in the Azure portal, or drop it from WEBSITE_LOAD_CERTIFICATES", ErrReadOnly, s, s.Dir)
	}
	e, err := s.Find(q)
	if err != nil {
		return Entry{}, err
	}
	if err := os.Remove(e.Path); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// similarSubjects finds the subjects a distinguished-name query probably
// meant: those sharing its CN, when the whole name did not match.
func similarSubjects(name string, entries []Entry) []string {
	want, err := dn.Parse(name)
	if err != nil || !strings.Contains(name, "=") {
		return nil
	}
	cns := want.Get(dn.CommonName)
	var out []string
	for _, e := range entries {
		if e.Credential == nil {
			continue
		}
		got, err := dn.FromDER(e.Credential.Certificate.RawSubject)
		if err != nil {
			continue
		}
		for _, have := range got.Get(dn.CommonName) {
			for _, cn := range cns {
				if strings.EqualFold(strings.TrimSpace(have), strings.TrimSpace(cn)) {
					out = append(out, got.String())
				}
			}
		}
	}
	return out
}
