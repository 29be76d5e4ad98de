package certstore

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// NotFoundError says what was searched, what the store holds, and where
// else a match exists.
type NotFoundError struct {
	// Query is "thumbprint 1A2B..." or "subject CN=...".
	Query string
	// Store is the store searched.
	Store *Store
	// Present lists the store's certificates ("THUMBPRINT CN=...").
	Present []string
	// Elsewhere lists the other stores holding a match ("LocalMachine/My").
	Elsewhere []string
	// Similar lists subjects that share the query's CN, when a whole
	// distinguished name did not match.
	Similar []string
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "no certificate with %s in %s (%s)", e.Query, e.Store, e.Store.Where())
	switch len(e.Present) {
	case 0:
		b.WriteString("; the store is empty")
	default:
		fmt.Fprintf(&b, " (%d there: %s)", len(e.Present), strings.Join(e.Present, "; "))
	}
	if len(e.Similar) > 0 {
		fmt.Fprintf(&b, "; a name with \"=\" must match the whole subject: did you mean %q?", e.Similar[0])
	} else if len(e.Elsewhere) > 0 {
		fmt.Fprintf(&b, "; it is in %s: set storeLocation and storeName to match, or import it into %s", strings.Join(e.Elsewhere, ", "), e.Store)
	} else if e.Store.Azure != nil {
		b.WriteString("; upload it to the App Service (Certificates) and name its thumbprint in WEBSITE_LOAD_CERTIFICATES")
	} else {
		fmt.Fprintf(&b, "; import it with: signet store import FILE.pfx --location %s --name %s", e.Store.Location, e.Store.Name)
	}
	return b.String()
}

func (s *Store) notFound(query string, entries []Entry, match func(*x509.Certificate) bool) *NotFoundError {
	e := &NotFoundError{Query: query, Store: s}
	for _, en := range entries {
		e.Present = append(e.Present, en.Label())
	}
	for _, other := range s.siblings() {
		list, err := other.List()
		if err != nil {
			continue
		}
		for _, en := range list {
			if en.Credential != nil && match(en.Credential.Certificate) {
				e.Elsewhere = append(e.Elsewhere, other.String()+" ("+other.Dir+")")
				break
			}
		}
	}
	return e
}

// siblings are the other stores that exist on disk, in both locations.
func (s *Store) siblings() []*Store {
	var out []*Store
	for _, loc := range Locations {
		root, err := Root(loc, s.env)
		if err != nil {
			continue
		}
		dirs, _ := os.ReadDir(filepath.Join(root, string(loc)))
		names := []string{}
		for _, d := range dirs {
			if d.IsDir() {
				names = append(names, d.Name())
			}
		}
		if loc == CurrentUser && s.Azure != nil {
			names = append(names, "My") // the Signet store beneath Azure's
		}
		for _, name := range names {
			o, err := Open(loc, name, s.env)
			if err != nil || (o.Location == s.Location && o.Name == s.Name && o.Dir == s.Dir) {
				continue
			}
			if o.Location == CurrentUser && o.Name == "My" && s.Azure != nil && o.Azure != nil {
				o = &Store{Location: CurrentUser, Name: "My", Dir: filepath.Join(root, string(loc), "My"), env: s.env}
				if o.Dir == s.Dir {
					continue
				}
			}
			out = append(out, o)
		}
	}
	return dedupe(out)
}

func dedupe(stores []*Store) []*Store {
	seen := map[string]bool{}
	var out []*Store
	for _, s := range stores {
		if !seen[s.Dir] {
			seen[s.Dir] = true
			out = append(out, s)
		}
	}
	return out
}
