package federation

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/signetid/signet/internal/upstream"
)

// RP is a relying party at one upstream: *upstream.Provider or
// *upstream.GitHubProvider.
type RP interface {
	Start(ctx context.Context, o upstream.StartOptions) (string, upstream.Kept, error)
	Finish(ctx context.Context, kept upstream.Kept, query url.Values) (*upstream.Result, error)
}

// CallbackPath is where an upstream sends the browser back for provider
// name: <issuer> + CallbackPath(name) is the redirect URI to register.
func CallbackPath(name string) string { return "/signin/" + name + "/callback" }

// Options are the Registry's.
type Options struct {
	// HTTPClient reaches the upstreams (nil: http.DefaultClient).
	HTTPClient *http.Client
}

// Registry holds the providers and makes their relying parties. Safe for
// concurrent use; Set replaces the providers (a reload).
type Registry struct {
	opts Options
	mu   sync.RWMutex
	list []Settings
	rps  map[string]RP // by name NUL issuer
}

// maxIssuers bounds the relying parties kept per provider (one per issuer
// a request derived from its Host header).
const maxIssuers = 16

// NewRegistry makes an empty registry.
func NewRegistry(opts Options) *Registry { return &Registry{opts: opts, rps: map[string]RP{}} }

// Set replaces the providers; the relying parties are made again on
// demand (their discovery read again).
func (r *Registry) Set(list []Settings) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = list
	r.rps = map[string]RP{}
}

// List returns the providers, in the order given to Set.
func (r *Registry) List() []Settings {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.list
}

// Get returns provider name and its relying party for issuer; false when
// there is no such provider, an error when it cannot be made.
func (r *Registry) Get(issuer, name string) (Settings, RP, bool, error) {
	r.mu.RLock()
	var s *Settings
	for i := range r.list {
		if r.list[i].Name == name {
			s = &r.list[i]
			break
		}
	}
	if s == nil {
		r.mu.RUnlock()
		return Settings{}, nil, false, nil
	}
	key := name + "\x00" + issuer
	rp := r.rps[key]
	st := *s
	r.mu.RUnlock()
	if rp != nil {
		return st, rp, true, nil
	}
	rp, err := Build(&st, strings.TrimSuffix(issuer, "/")+CallbackPath(name), r.opts.HTTPClient)
	if err != nil {
		return st, nil, true, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if got := r.rps[key]; got != nil {
		return st, got, true, nil
	}
	n := 0
	for k := range r.rps {
		if strings.HasPrefix(k, name+"\x00") {
			n++
		}
	}
	if n < maxIssuers {
		r.rps[key] = rp
	}
	return st, rp, true, nil
}

// Build makes the relying party of s with redirectURI.
func Build(s *Settings, redirectURI string, client *http.Client) (RP, error) {
	if p := s.Problems(); len(p) > 0 {
		return nil, fmt.Errorf("provider %q: %s", s.Name, strings.Join(p, "; "))
	}
	cfg := upstream.Config{Name: s.Name, ClientID: s.ClientID, ClientSecret: s.ClientSecret, ClientKey: s.ClientKey, Scopes: s.Scopes, RedirectURI: redirectURI}
	var opts []upstream.Option
	if s.Timeout > 0 {
		opts = append(opts, upstream.Timeout(s.Timeout))
	}
	if client != nil {
		opts = append(opts, upstream.HTTPClient(client))
	}
	switch s.Type {
	case TypeGitHub:
		return upstream.NewGitHub(cfg, opts...)
	case TypeGoogle:
		cfg.Authority = GoogleAuthority
	case TypeEntra:
		instance := EntraInstance
		if s.Authority != "" {
			instance = strings.TrimSuffix(s.Authority, "/")
			opts = append(opts, upstream.EntraMultiTenant())
		}
		cfg.Authority = instance + "/" + s.Tenant + "/v2.0"
	default:
		cfg.Authority = s.Authority
	}
	if loopbackHTTP(cfg.Authority) {
		// Plain http only to this machine: local development and tests,
		// where no network sits between Signet and the provider.
		opts = append(opts, upstream.AllowInsecureLoopback())
	}
	return upstream.New(cfg, opts...)
}

func loopbackHTTP(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}
