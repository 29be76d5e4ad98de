package certstore

import (
	"fmt"
	"strings"

	"github.com/signetid/signet/internal/certs"
)

// DefaultAzurePrivateCertsPath is where App Service on Linux writes the
// private certificates named in WEBSITE_LOAD_CERTIFICATES.
const DefaultAzurePrivateCertsPath = "/var/ssl/private"

// Azure is what App Service's settings say about loadable certificates.
type Azure struct {
	// Setting is WEBSITE_LOAD_CERTIFICATES as found.
	Setting string
	// All is true for "*".
	All bool
	// Allowed holds the thumbprints named, cleaned.
	Allowed []string
	// Bad holds the entries that are not thumbprints, with why.
	Bad []string
	// Dir is the directory of private certificates.
	Dir string
}

// AzureFromEnv returns App Service's certificate settings, or nil when
// WEBSITE_LOAD_CERTIFICATES is not set (not on App Service, or no
// certificate is to be loaded).
func AzureFromEnv(env Env) *Azure {
	setting, ok := env.lookup("WEBSITE_LOAD_CERTIFICATES")
	if !ok {
		return nil
	}
	a := &Azure{Setting: setting, Dir: env.getenv("WEBSITE_PRIVATE_CERTS_PATH")}
	if a.Dir == "" {
		a.Dir = DefaultAzurePrivateCertsPath
	}
	for _, item := range strings.Split(setting, ",") {
		item = strings.TrimSpace(item)
		switch {
		case item == "":
		case item == "*":
			a.All = true
		default:
			q, err := certs.ParseThumbprint(item)
			if err != nil || q.IsSHA256() {
				a.Bad = append(a.Bad, fmt.Sprintf("%q is not a SHA-1 thumbprint", item))
				continue
			}
			a.Allowed = append(a.Allowed, q.Hex)
		}
	}
	return a
}

// Allows reports whether the setting lets the certificate be loaded.
func (a *Azure) Allows(thumbprint string) bool {
	if a.All {
		return true
	}
	for _, t := range a.Allowed {
		if t == thumbprint {
			return true
		}
	}
	return false
}

// NotLoadedError is returned when a certificate is in Azure's directory but
// WEBSITE_LOAD_CERTIFICATES does not name it.
type NotLoadedError struct {
	Thumbprint string
	Azure      *Azure
}

func (e *NotLoadedError) Error() string {
	return fmt.Sprintf("certificate %s is in %s, but WEBSITE_LOAD_CERTIFICATES (%q) does not name it: add %s to the App Service setting WEBSITE_LOAD_CERTIFICATES (comma-separated, or * for all) and restart the app",
		e.Thumbprint, e.Azure.Dir, e.Azure.Setting, e.Thumbprint)
}
