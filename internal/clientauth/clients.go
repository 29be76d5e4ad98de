package clientauth

import (
	"context"

	"github.com/signetid/signet/internal/client"
)

// Clients finds clients by id.
type Clients interface {
	// Client returns the client, or an error wrapping client.ErrUnknown.
	Client(ctx context.Context, id string) (*client.Client, error)
}

var _ Clients = client.Static(nil)
