package signin_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

// noSessions is a store whose disk filled up: sessions cannot be written.
type noSessions struct{ storage.Store }

func (noSessions) CreateSession(context.Context, storage.Session) error {
	return fmt.Errorf("sqlite: create session: %w", storage.Unavailable(storage.FaultFull, fmt.Errorf("database or disk is full (13)")))
}

// A sign-in whose session cannot be stored for a storage outage shows a
// page that asks to try again in a moment, 503 with Retry-After, not the
// 500 of a bug; the request is logged at debug level only (the outage
// report names the outage once).
func TestSignInStorageOutage(t *testing.T) {
	t.Parallel()
	clk := testsupport.NewClock(start)
	e := newEnv(t, noSessions{memory.New(memory.Options{Now: clk.Now})}, clk, nil)
	b := e.browser()
	p := b.login(b.authorize(newAuthReq("quiet", "openid")), "alice", alicePass)
	if p.Status != http.StatusServiceUnavailable || p.Header.Get("Retry-After") == "" ||
		!strings.Contains(p.Body, "Try again in a moment") || strings.Contains(p.Body, "Something went wrong") {
		t.Fatalf("sign-in with sessions unwritable: %v", p)
	}
	logged := false
	for l := range strings.Lines(e.log.String()) {
		if strings.Contains(l, "start the session") {
			logged = true
			if !strings.Contains(l, "level=DEBUG") {
				t.Errorf("the outage is logged for the request above debug level: %s", l)
			}
		}
	}
	if !logged {
		t.Errorf("the failed request is not in the debug log:\n%s", e.log)
	}
}
