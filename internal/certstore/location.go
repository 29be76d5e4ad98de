package certstore

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Location is a StoreLocation: whose store it is.
type Location string

// The two store locations, as .NET names them.
const (
	CurrentUser  Location = "CurrentUser"
	LocalMachine Location = "LocalMachine"
)

// Locations lists every location.
var Locations = []Location{CurrentUser, LocalMachine}

// ParseLocation accepts CurrentUser or LocalMachine in any case.
func ParseLocation(s string) (Location, error) {
	for _, l := range Locations {
		if strings.EqualFold(strings.TrimSpace(s), string(l)) {
			return l, nil
		}
	}
	return "", fmt.Errorf("store location %q: use CurrentUser or LocalMachine", s)
}

// wellKnownNames are the StoreName values of .NET, spelt as .NET spells them.
var wellKnownNames = []string{"My", "Root", "CA", "TrustedPeople", "TrustedPublisher", "AuthRoot", "AddressBook", "Disallowed"}

// ParseName accepts a store name: a well-known StoreName in any case
// (returned in .NET's spelling; "Personal" means My) or another simple name
// of letters, digits, '-' and '_', as Windows allows custom stores.
func ParseName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "Personal") {
		return "My", nil
	}
	for _, n := range wellKnownNames {
		if strings.EqualFold(s, n) {
			return n, nil
		}
	}
	if s == "" || len(s) > 64 {
		return "", fmt.Errorf("store name %q: use My (the personal store), Root, CA, TrustedPeople or another name of letters and digits", s)
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return "", fmt.Errorf("store name %q: only letters, digits, '-' and '_' are allowed (the usual one is My)", s)
		}
	}
	return s, nil
}

// Env is what the store reads from the process environment; tests replace it.
type Env struct {
	// LookupEnv looks up an environment variable; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// HomeDir returns the user's home directory; nil means os.UserHomeDir.
	HomeDir func() (string, error)
	// GOOS is the operating system; empty means runtime.GOOS.
	GOOS string
}

func (e Env) lookup(k string) (string, bool) {
	if e.LookupEnv == nil {
		return os.LookupEnv(k)
	}
	return e.LookupEnv(k)
}

func (e Env) getenv(k string) string {
	v, _ := e.lookup(k)
	return v
}

func (e Env) home() (string, error) {
	if e.HomeDir == nil {
		return os.UserHomeDir()
	}
	return e.HomeDir()
}

func (e Env) goos() string {
	if e.GOOS == "" {
		return runtime.GOOS
	}
	return e.GOOS
}

// Root returns the directory that holds the given location's stores
// (the stores themselves are <root>/<Location>/<Name>).
func Root(loc Location, env Env) (string, error) {
	if v := env.getenv("SIGNET_CERT_STORE"); v != "" {
		return v, nil
	}
	goos := env.goos()
	if loc == LocalMachine {
		switch goos {
		case "windows":
			pd := env.getenv("ProgramData")
			if pd == "" {
				pd = `C:\ProgramData`
			}
			return filepath.Join(pd, "Signet", "CertStore"), nil // refused by Open: see there
		case "darwin":
			return "/Library/Application Support/Signet/CertStore", nil
		}
		return "/var/lib/signet/certstore", nil
	}
	switch goos {
	case "windows":
		// LOCALAPPDATA, not APPDATA: keys must not roam to profile servers.
		if v := env.getenv("LOCALAPPDATA"); v != "" {
			return filepath.Join(v, "Signet", "CertStore"), nil
		}
	case "darwin":
		home, err := env.home()
		if err != nil {
			return "", fmt.Errorf("find the CurrentUser store: %w (set SIGNET_CERT_STORE)", err)
		}
		return filepath.Join(home, "Library", "Application Support", "Signet", "CertStore"), nil
	default:
		if v := env.getenv("XDG_DATA_HOME"); v != "" && filepath.IsAbs(v) {
			return filepath.Join(v, "signet", "certstore"), nil
		}
	}
	home, err := env.home()
	if err != nil {
		return "", fmt.Errorf("find the CurrentUser store: %w (set SIGNET_CERT_STORE)", err)
	}
	return filepath.Join(home, ".local", "share", "signet", "certstore"), nil
}
