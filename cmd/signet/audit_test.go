package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

type eventLog struct {
	mu  sync.Mutex
	got []string
}

func (l *eventLog) Observe(_ context.Context, e *observe.Event) {
	line := e.Name + " " + e.Subject
	for _, a := range e.Attrs {
		line += " " + a.String()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, line)
}

// The CLI's store reports what it changed: the record, the action, the
// names of the fields an update changed (never their values), and the
// origin of the command; nothing for a change that failed.
func TestAuditStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	log := &eventLog{}
	db := auditStore{Store: memory.New(memory.Options{}), obs: withOrigin(log, (&app{lookupEnv: func(string) (string, bool) { return "", false }}).origin()), closeAudit: func() {}}
	if err := db.CreateClient(ctx, storage.Client{ID: "app", GrantTypes: []string{"client_credentials"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateClient(ctx, "app", func(c *storage.Client) error {
		c.Name = "App"
		c.Secrets = append(c.Secrets, storage.ClientSecret{ID: "s1", Hash: "a-hash-of-the-secret", Created: time.Now()})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteClient(ctx, "nobody"); err == nil {
		t.Fatal("deleted a client that does not exist")
	}
	if err := db.CreateAPIScope(ctx, storage.APIScope{Name: "api1"}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(ctx, storage.User{ID: "u1", Username: "ann", PasswordHash: "$argon2id$hash"}); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateUser(ctx, "u1", func(u *storage.User) error { u.PasswordHash = "$argon2id$other"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteUser(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"client.changed app action=added",
		"client.changed app action=updated fields=[Name Secrets]",
		"scope.changed api1 action=added",
		"user.changed u1 action=added",
		"user.changed u1 action=updated fields=[PasswordHash]",
		"user.changed u1 action=removed",
	}
	if len(log.got) != len(want) {
		t.Fatalf("events:\n%s", strings.Join(log.got, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(log.got[i], w+" os_user=") || !strings.Contains(log.got[i], " host=") {
			t.Errorf("event %q, want %q with os_user and host", log.got[i], w)
		}
		if strings.Contains(log.got[i], "hash") {
			t.Errorf("a value in %q", log.got[i])
		}
	}
}
