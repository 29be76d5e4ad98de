package grant

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/internal/secret"
)

// ErrUnknownClient is returned by Clients for an id it does not know.
var ErrUnknownClient = errors.New("unknown client")

// ErrDisabledClient is returned by Clients for a disabled client: to the
// client it is an unknown one (errors.Is(err, ErrUnknownClient)); the log
// says why.
var ErrDisabledClient = fmt.Errorf("%w: it is disabled (enabled: false)", ErrUnknownClient)

// Client is a client as the token path needs it: in memory, its secrets
// hashed.
type Client struct {
	ID   string
	Name string
	// Secrets are the hashed secrets; any one that has not expired works.
	Secrets []Secret
	// GrantTypes are the allowed grant types.
	GrantTypes []string
	// Scopes are the scopes the client may be granted; a request without
	// scope gets all of them.
	Scopes []string
	// AccessTokenLifetime is how long its access tokens live.
	AccessTokenLifetime time.Duration
	// Keys (or KeysURI) are the public keys of private_key_jwt.
	Keys    *jose.JSONWebKeySet
	KeysURI string
	// Disabled clients are refused as unknown ones are (IdentityServer's
	// Enabled: false).
	Disabled bool
	// Claims are the client's own claims for its access tokens, as a JSON
	// object ({"client_tenant":"contoso"}), encoded once; nil for none.
	Claims []byte
	// CORSOrigins may call the token endpoint from a browser.
	CORSOrigins []string
}

// Secret is one hashed client secret.
type Secret struct {
	Hash secret.Hashed
	// Expires is when it stops working; zero for never.
	Expires time.Time
}

// AllowsGrant reports whether the client may use grant type gt.
func (c *Client) AllowsGrant(gt string) bool { return slices.Contains(c.GrantTypes, gt) }

// usesKeys reports whether the client authenticates with private_key_jwt.
func (c *Client) usesKeys() bool { return c.Keys != nil || c.KeysURI != "" }

// Clients finds clients by id.
type Clients interface {
	// Client returns the client, or an error wrapping ErrUnknownClient.
	Client(ctx context.Context, id string) (*Client, error)
}

// StaticClients is a Clients held in memory, as the configuration file's
// clients are: the token path reads no file or database for them.
type StaticClients map[string]*Client

// Client implements Clients.
func (s StaticClients) Client(_ context.Context, id string) (*Client, error) {
	if c, ok := s[id]; ok {
		if c.Disabled {
			return nil, ErrDisabledClient
		}
		return c, nil
	}
	return nil, ErrUnknownClient
}

var _ Clients = StaticClients(nil)
