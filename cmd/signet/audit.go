package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"reflect"
	"sync"

	"github.com/signetid/signet/internal/audit"
	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/storage"
)

// auditSink opens cfg's audit sink: the file, or the database that db
// gives once it is open (nil for no sink).
func auditSink(cfg *config.Config, db *pendingAppender) (audit.Sink, error) {
	switch cfg.Audit.Sink {
	case config.AuditSinkFile:
		size, files := cfg.Audit.Rotation()
		f, err := audit.OpenFile(cfg.Audit.File, size, files)
		if err != nil {
			return nil, fmt.Errorf("audit.file: %w", err)
		}
		return f, nil
	case config.AuditSinkPostgres:
		return audit.NewDatabase(db), nil
	}
	return nil, nil
}

// serverAudit makes serve's audit log: each event a line of the log
// (stderr, in the log's format, at INFO whatever log.level says, so that
// the default level never hides it) unless audit.log is false, and kept
// in audit.sink. db gives the database once serve has opened it.
func (a *app) serverAudit(cfg *config.Config, warn *slog.Logger, db *pendingAppender) (*audit.Log, error) {
	opts := audit.Options{Warn: warn, Exclude: cfg.Audit.Exclude, Now: a.now}
	if cfg.Audit.LogOn() {
		l, err := newLogger(a.stderr, cfg.Log.Format, "info")
		if err != nil {
			return nil, err
		}
		opts.Logger = l
	}
	sink, err := auditSink(cfg, db)
	if err != nil {
		return nil, err
	}
	opts.Sink = sink
	return audit.New(opts)
}

// cliAudit makes the audit log of a command that changes the database
// (signet client, scope, resource, user, provider, keys): its events go
// to audit.sink alone, not to the command's output, each with the
// operating system user and host that ran it (origin). Without a sink it
// is observe.Discard. The sink is opened at the first event, so that a
// command that changes nothing (client list) never touches it. Call the
// close function before closing db.
func (a *app) cliAudit(cfg *config.Config, db storage.Store, warn *slog.Logger) (observe.Observer, func(), error) {
	if cfg.Audit.Sink == "" {
		return observe.Discard, func() {}, nil
	}
	if _, err := audit.New(audit.Options{Exclude: cfg.Audit.Exclude}); err != nil {
		return nil, nil, err
	}
	var (
		once sync.Once
		l    *audit.Log
	)
	open := func() {
		pending := &pendingAppender{ready: make(chan struct{})}
		pending.set(db)
		sink, err := auditSink(cfg, pending)
		if err == nil {
			l, err = audit.New(audit.Options{Sink: sink, Exclude: cfg.Audit.Exclude, Warn: warn, Now: a.now})
		}
		if err != nil {
			warn.Warn("the change is not audited: the audit sink cannot be opened", slog.String("error", err.Error()))
		}
	}
	obs := observe.Func(func(ctx context.Context, e *observe.Event) {
		once.Do(open)
		if l != nil {
			l.Observe(ctx, e)
		}
	})
	closeLog := func() {
		once.Do(func() {}) // no sink opened after this
		if l == nil {
			return
		}
		if err := l.Close(); err != nil {
			warn.Warn("could not close the audit sink", slog.String("error", err.Error()))
		}
	}
	return withOrigin(obs, a.origin()), closeLog, nil
}

// origin are the attributes of a CLI change: who ran it, where.
func (a *app) origin() []slog.Attr {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	attrs := []slog.Attr{slog.String("os_user", name), slog.String("host", host)}
	if sudo, ok := a.lookupEnv("SUDO_USER"); ok && sudo != "" {
		attrs = append(attrs, slog.String("sudo_user", sudo))
	}
	return attrs
}

// withOrigin adds attrs to every event o observes.
func withOrigin(o observe.Observer, attrs []slog.Attr) observe.Observer {
	return observe.Func(func(ctx context.Context, e *observe.Event) {
		ev := *e
		ev.Attrs = append(append(make([]slog.Attr, 0, len(e.Attrs)+len(attrs)), e.Attrs...), attrs...)
		o.Observe(ctx, &ev)
	})
}

// pendingAppender is the database of audit.sink postgres, which serve
// opens after the audit log is made (and may retry): a batch waits for it.
type pendingAppender struct {
	once  sync.Once
	ready chan struct{}
	db    audit.Appender
}

var errNotPostgres = errors.New("audit.sink postgres: the storage is not PostgreSQL")

// set gives the open store.
func (p *pendingAppender) set(s storage.Store) {
	p.once.Do(func() {
		p.db, _ = s.(audit.Appender)
		close(p.ready)
	})
}

func (p *pendingAppender) AppendAuditEvents(ctx context.Context, events []storage.AuditEvent) error {
	select {
	case <-p.ready:
	case <-ctx.Done():
		return fmt.Errorf("audit.sink postgres: the database is not open yet: %w", ctx.Err())
	}
	if p.db == nil {
		return errNotPostgres
	}
	return p.db.AppendAuditEvents(ctx, events)
}

// auditStore reports the changes a CLI command makes to clients, scopes,
// resources, users and providers (client.changed, ...): the record's name,
// added, updated or removed, and for an update the names of the fields
// that changed, never their values.
type auditStore struct {
	storage.Store
	obs        observe.Observer
	closeAudit func()
}

// report tells the observer of a change to name.
func (s auditStore) report(ctx context.Context, event, name, action string, fields []string) {
	attrs := []slog.Attr{slog.String("action", action)}
	if fields != nil {
		attrs = append(attrs, slog.Any("fields", fields))
	}
	s.obs.Observe(ctx, &observe.Event{Name: event, Subject: name, Attrs: attrs})
}

// changedFields are the names of the fields of a struct that differ
// between before and after, but its Updated time.
func changedFields(before, after any) []string {
	b, a := reflect.ValueOf(before), reflect.ValueOf(after)
	fields := []string{}
	for i := range b.NumField() {
		name := b.Type().Field(i).Name
		if name == "Updated" || !b.Type().Field(i).IsExported() {
			continue
		}
		if !reflect.DeepEqual(b.Field(i).Interface(), a.Field(i).Interface()) {
			fields = append(fields, name)
		}
	}
	return fields
}

// update runs an Update of the store with change, reporting the fields it
// changed when it succeeds.
func update[R any](ctx context.Context, s auditStore, event, name string, do func(func(*R) error) error, change func(*R) error) error {
	var fields []string
	err := do(func(r *R) error {
		before := *r
		if err := change(r); err != nil {
			return err
		}
		fields = changedFields(before, *r)
		return nil
	})
	if err == nil {
		s.report(ctx, event, name, "updated", fields)
	}
	return err
}

func (s auditStore) done(ctx context.Context, err error, event, name, action string) error {
	if err == nil {
		s.report(ctx, event, name, action, nil)
	}
	return err
}

func (s auditStore) CreateClient(ctx context.Context, c storage.Client) error {
	return s.done(ctx, s.Store.CreateClient(ctx, c), observe.ClientChanged, c.ID, "added")
}

func (s auditStore) UpdateClient(ctx context.Context, id string, change func(*storage.Client) error) error {
	return update(ctx, s, observe.ClientChanged, id, func(f func(*storage.Client) error) error { return s.Store.UpdateClient(ctx, id, f) }, change)
}

func (s auditStore) DeleteClient(ctx context.Context, id string) error {
	return s.done(ctx, s.Store.DeleteClient(ctx, id), observe.ClientChanged, id, "removed")
}

func (s auditStore) CreateAPIScope(ctx context.Context, sc storage.APIScope) error {
	return s.done(ctx, s.Store.CreateAPIScope(ctx, sc), observe.ScopeChanged, sc.Name, "added")
}

func (s auditStore) UpdateAPIScope(ctx context.Context, name string, change func(*storage.APIScope) error) error {
	return update(ctx, s, observe.ScopeChanged, name, func(f func(*storage.APIScope) error) error { return s.Store.UpdateAPIScope(ctx, name, f) }, change)
}

func (s auditStore) DeleteAPIScope(ctx context.Context, name string) error {
	return s.done(ctx, s.Store.DeleteAPIScope(ctx, name), observe.ScopeChanged, name, "removed")
}

func (s auditStore) CreateAPIResource(ctx context.Context, r storage.APIResource) error {
	return s.done(ctx, s.Store.CreateAPIResource(ctx, r), observe.ResourceChanged, r.Name, "added")
}

func (s auditStore) UpdateAPIResource(ctx context.Context, name string, change func(*storage.APIResource) error) error {
	return update(ctx, s, observe.ResourceChanged, name, func(f func(*storage.APIResource) error) error { return s.Store.UpdateAPIResource(ctx, name, f) }, change)
}

func (s auditStore) DeleteAPIResource(ctx context.Context, name string) error {
	return s.done(ctx, s.Store.DeleteAPIResource(ctx, name), observe.ResourceChanged, name, "removed")
}

func (s auditStore) CreateIdentityResource(ctx context.Context, r storage.IdentityResource) error {
	return s.done(ctx, s.Store.CreateIdentityResource(ctx, r), observe.ResourceChanged, r.Name, "added")
}

func (s auditStore) UpdateIdentityResource(ctx context.Context, name string, change func(*storage.IdentityResource) error) error {
	return update(ctx, s, observe.ResourceChanged, name, func(f func(*storage.IdentityResource) error) error {
		return s.Store.UpdateIdentityResource(ctx, name, f)
	}, change)
}

func (s auditStore) DeleteIdentityResource(ctx context.Context, name string) error {
	return s.done(ctx, s.Store.DeleteIdentityResource(ctx, name), observe.ResourceChanged, name, "removed")
}

func (s auditStore) CreateUser(ctx context.Context, u storage.User) error {
	return s.done(ctx, s.Store.CreateUser(ctx, u), observe.UserChanged, u.ID, "added")
}

func (s auditStore) UpdateUser(ctx context.Context, id string, change func(*storage.User) error) error {
	return update(ctx, s, observe.UserChanged, id, func(f func(*storage.User) error) error { return s.Store.UpdateUser(ctx, id, f) }, change)
}

func (s auditStore) DeleteUser(ctx context.Context, id string) error {
	return s.done(ctx, s.Store.DeleteUser(ctx, id), observe.UserChanged, id, "removed")
}

func (s auditStore) CreateExternalProvider(ctx context.Context, p storage.ExternalProvider) error {
	return s.done(ctx, s.Store.CreateExternalProvider(ctx, p), observe.ProviderChanged, p.Name, "added")
}

func (s auditStore) UpdateExternalProvider(ctx context.Context, name string, change func(*storage.ExternalProvider) error) error {
	return update(ctx, s, observe.ProviderChanged, name, func(f func(*storage.ExternalProvider) error) error {
		return s.Store.UpdateExternalProvider(ctx, name, f)
	}, change)
}

func (s auditStore) DeleteExternalProvider(ctx context.Context, name string) error {
	return s.done(ctx, s.Store.DeleteExternalProvider(ctx, name), observe.ProviderChanged, name, "removed")
}

// Close flushes the audit sink, then closes the store.
func (s auditStore) Close() error {
	s.closeAudit()
	return s.Store.Close()
}
