package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/catalog"
	"github.com/signetid/signet/internal/clientauth"
	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/discovery"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/expiry"
	"github.com/signetid/signet/internal/grant"
	"github.com/signetid/signet/internal/health"
	"github.com/signetid/signet/internal/introspect"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/outage"
	"github.com/signetid/signet/internal/reqlimit"
	"github.com/signetid/signet/internal/revocation"
	"github.com/signetid/signet/internal/server"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/signing/managed"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/internal/tracing"
	"github.com/signetid/signet/internal/userinfo"
	"github.com/signetid/signet/internal/welcome"
	"github.com/signetid/signet/storage"
)

type serveCmd struct {
	config, listen, logFormat string
	noMigrate                 bool
	ready                     chan<- string // tests: receives the base URL once listening
	// tests: receives the server's routes once it is made.
	routes chan<- []endpoint.Route
	// tests: a SIGHUP, whose outcome is sent back on the channel given.
	reload <-chan chan<- error
	// tests: how often credentials are polled; 0 is keyPollInterval.
	keyPoll time.Duration
	// tests: how often managed keys are synced whatever happens; 0 is
	// managed.DefaultInterval. (They are synced sooner when the store's
	// keys version changes, polled every storage.pollInterval.)
	keyRefresh time.Duration
}

func (a *app) serveCommand() *cobra.Command {
	c := &serveCmd{}
	cmd := &cobra.Command{
		Use:   "serve [--config FILE] [--listen ADDR]",
		Short: "Run the token service",
		Long: `Run the token service: discovery, JWKS, the token endpoint, sign-in,
userinfo, introspection and revocation, signing with the configured key.

The configuration file is --config, else $SIGNET_CONFIG (YAML or JSON;
signet config init writes one to start from, with a new signing
certificate and a client). With neither, signet runs in development mode:
a development signing key and the embedded database in ./signet-data, on
http://localhost:5000, with a development client whose secret is kept in
./signet-data; it prints a curl command that gets a token.

It listens on --listen, else the configuration's listen, else, when the
platform sets $PORT (or $WEBSITES_PORT) as Azure App Service, Cloud Run
and Heroku do, on every interface at that port (0.0.0.0:$PORT), else on
127.0.0.1:5000.

SIGTERM or Ctrl-C stop it gracefully: with shutdown.drainDelay, /readyz
answers 503 for that long while requests are still served; then requests
in flight finish. A second SIGTERM or Ctrl-C stops it at once.

SIGHUP reads the configuration file again and applies its key and
validationKeys sections (the other sections take a restart); with a Managed
key it also syncs the managed keys at once (otherwise a key rotated with
signet keys is seen within storage.pollInterval). A changed
credential file, or a certificate imported into or removed from the store
of a Store key, is applied without a signal, 2 to 4 seconds after the last
write. Either way requests are not disturbed, one log line says what
changed, and a credential that does not load leaves the keys in use in
place, with an error in the log that says why.

For operators: metrics.listen serves Prometheus metrics at /metrics on an
address of its own (off by default); each security-relevant act is an audit
event in the log (logger=audit), and with audit.sink in a file or
PostgreSQL; tracing.endpoint sends OpenTelemetry traces; rateLimits and
limits bound what callers may send (on by default). /healthz answers while
the process runs; /readyz answers 200 only while it can do its work (a
signing key, the database answering, writes succeeding: a full disk or a
read-only database makes it 503 with the reason, until a write succeeds
again). A storage outage is logged when it starts, once a minute while it
lasts, and when it ends, not once per request.

Exit codes: 0 stopped, 1 could not start (every problem of the
configuration and the signing credential is listed), 2 wrong usage.`,
		Example: `  signet serve
  signet config init && signet serve --config signet.yaml
  SIGNET_CONFIG=/etc/signet/signet.yaml signet serve --listen 0.0.0.0:8443`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return a.serve(cmd.Context(), c) },
	}
	cmd.Flags().StringVar(&c.config, "config", "", "configuration `FILE` (default $SIGNET_CONFIG; none: development mode)")
	cmd.Flags().StringVar(&c.listen, "listen", "", "address to listen on, overriding the configuration (e.g. 127.0.0.1:5000)")
	cmd.Flags().StringVar(&c.logFormat, "log-format", "", "log format: text or json (overrides log.format)")
	cmd.Flags().BoolVar(&c.noMigrate, "no-migrate", false, "refuse to start if the database schema is behind, instead of migrating it (then run signet migrate)")
	return cmd
}

// gcPercent and memoryLimit are the garbage collector's settings for
// serve, unless GOGC or GOMEMLIMIT say otherwise. The live heap is small
// (a few MiB: keys, clients, encoded documents) and every request
// allocates a little, so the default GOGC=100 collects very often: at 400
// a token and a JWKS response cost some 5 to 10% less CPU (measured with
// go run ./bench/load, GOGC=100 against the default: see
// docs/benchmarks.md), for some 10 MiB more memory; the soft limit bounds
// what a burst can take. A login storm is such a burst: each argon2id hash
// leaves 19 MiB of garbage, and at 256 MiB the server's peak RSS went past
// 256 MiB (264 MiB, 64 concurrent logins for 30 s); at 192 MiB the garbage
// is collected sooner, while the token path's heap never comes near it.
const (
	gcPercent   = 400
	memoryLimit = 192 << 20
)

// tuneGC applies gcPercent and memoryLimit where the environment does not
// set them.
func (a *app) tuneGC() {
	if v, ok := a.lookupEnv("GOGC"); !ok || v == "" {
		debug.SetGCPercent(gcPercent)
	}
	if v, ok := a.lookupEnv("GOMEMLIMIT"); !ok || v == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

func (a *app) serve(ctx context.Context, c *serveCmd) error {
	// Flags are checked before anything is loaded or written.
	if c.listen != "" {
		if msg := config.CheckListen(c.listen); msg != "" {
			return usagef("--listen: %s", msg)
		}
	}
	if _, err := newLogger(a.stderr, c.logFormat, ""); err != nil {
		return usageError{err}
	}
	// SIGHUP reloads the keys, once serving; until then it waits here
	// rather than end the process, as it would by default.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	cfg, development, loadErr := a.loadConfig(c.config)
	if cfg == nil {
		return loadErr
	}
	// PORT (or WEBSITES_PORT), as a platform sets it, when neither
	// --listen nor listen: says where.
	var portAddr, portVar string
	if c.listen == "" && !cfg.Written("listen") {
		var err error
		if portAddr, portVar, err = portListen(a.lookupEnv); err != nil {
			return err
		}
	}
	a.tuneGC()
	override := func(cfg *config.Config) {
		if c.listen != "" {
			cfg.Listen = c.listen
		} else if portAddr != "" && !cfg.Written("listen") {
			cfg.Listen = portAddr
		}
		if c.logFormat != "" {
			cfg.Log.Format = c.logFormat
		}
	}
	override(cfg)
	// The file's log settings were checked with the rest; defaults for now
	// if they are wrong, since build reports it.
	logger, err := newLogger(a.stderr, cfg.Log.Format, cfg.Log.Level)
	if err != nil {
		logger, _ = newLogger(a.stderr, c.logFormat, "")
	}
	// Before the keys are loaded, so that a change meanwhile is seen.
	watched := a.watchedFingerprints(cfg)
	// Everything the configuration gets wrong is reported before the
	// address is taken, and nothing is written yet: a check build makes
	// neither the development key nor the development client's secret.
	svc, err := a.build(cfg, development, loadErr, logger, true)
	if err != nil {
		return err
	}
	// Then the address, before anything is written: a busy port must not
	// leave a data directory, a development key and secret, or a database
	// behind.
	ln, err := net.Listen("tcp", cfg.Listen)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen on %s: the address is in use, by another server or another signet: stop it, or pick another address with --listen", cfg.Listen)
	} else if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	// Metrics' own address too, for the same reason.
	metricsLn, err := metricsListener(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	if metricsLn != nil {
		// Closed on every return before it is served; then the metrics'
		// server owns it.
		defer metricsLn.Close()
	}
	if portAddr != "" {
		logger.Info("listening on every interface, port from $"+portVar+" (set listen: or --listen to choose the address)", slog.String("addr", cfg.Listen))
	}
	// Closed on every return before Serve; then hs.Serve owns it, and
	// closing it again is harmless.
	defer ln.Close()
	if development || svc.keys.pending != "" {
		// Now the development key and client secret are made (or read):
		// a build again, which costs little (a PEM key; the validation
		// keys of a Development configuration, if any, are read twice).
		if svc, err = a.build(cfg, development, nil, logger, false); err != nil {
			return err
		}
		svc.developmentSignIn(baseURL(cfg.Issuer, ln.Addr(), svc.tls != nil, development))
	}
	for _, n := range svc.notes {
		logger.Info(n)
	}
	for _, w := range svc.warnings {
		logger.Warn(w)
	}

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create the data directory %s: %w", cfg.DataDir, err)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A database that answers late with an error retrying cannot fix (a
	// schema too new, migrations refused) stops the server, as it would
	// have at startup.
	ctx, fail := context.WithCancelCause(ctx)
	defer fail(nil)
	// The catalog serves the file's clients at once and the database's
	// once it is read; the token path reads only the catalog.
	var cat *catalog.Catalog
	// Tracing, off unless configured (then nothing is wrapped); its last
	// spans are sent when serve returns.
	tracer, err := startTracing(ctx, cfg, logger)
	if err != nil {
		return err
	}
	// Storage outages are logged once when they start, summarised once a
	// minute, and once when they end; readiness follows whether writes
	// succeed. The probe writes to the store once it is open.
	var probeStore atomic.Pointer[storage.WriteProber]
	outages := outage.New(outage.Options{Logger: logger, Probe: func(ctx context.Context) error {
		if p := probeStore.Load(); p != nil {
			return (*p).ProbeWrite(ctx)
		}
		return nil
	}})
	defer outages.Close()
	svc.outages = outages
	opts := storeOptions{noMigrate: c.noMigrate, logger: logger, fatal: fail, monitor: outages}
	if tracer != nil {
		defer flushTracing(tracer, logger)
		opts.queryTracer = tracer.Queries()
	}
	// The audit log: made before the database is open (audit.sink
	// postgres waits for it), closed before it, so that the last events
	// are written.
	auditDB := &pendingAppender{ready: make(chan struct{})}
	auditLog, err := a.serverAudit(cfg, logger, auditDB)
	if err != nil {
		return err
	}
	storeReady := make(chan storage.Store, 1)
	db, err := openStoreRetrying(ctx, cfg.Storage, opts, func(s storage.Store) {
		if p, ok := s.(storage.WriteProber); ok {
			probeStore.Store(&p)
		}
		auditDB.set(s)
		storeReady <- s
	})
	if err != nil {
		auditLog.Close()
		return err
	}
	defer db.Close()
	// The outage report stops before the store closes (Close is
	// idempotent): a probe of a closed store is no outage.
	defer outages.Close()
	defer auditLog.Close()
	// Metrics (the metrics section) count from here on, beside the audit
	// log: both observe the acts of the server, the key manager's too.
	svc.metrics = a.newMetrics(cfg, svc, db, metricsLn)
	svc.observer = observe.Multi(auditLog, svc.metrics.observer())
	svc.static.IssuerConfigured = svc.cfg.Issuer != ""
	cat = catalog.New(svc.static, db, logger)
	select {
	case <-storeReady:
		// Reachable at startup: a conflict between the file and the
		// database stops the server, as any configuration error does.
		var conflict *catalog.ConflictError
		if err := cat.Load(ctx); errors.As(err, &conflict) {
			return err
		} else if err != nil {
			logger.Warn("could not read clients and resources from the database; retrying", slog.String("error", err.Error()))
		}
		// A configured user clashing with a database user stops the
		// server, as a client defined in both places does.
		if err := a.syncUsers(ctx, svc.cfg, db, logger); err != nil {
			return err
		}
	default:
		// The database answers later: the users are written then.
		go func() {
			select {
			case <-storeReady:
				if err := a.syncUsers(ctx, svc.cfg, db, logger); err != nil {
					fail(err)
				}
			case <-ctx.Done():
			}
		}()
	}
	go cat.Watch(ctx, cfg.Storage.PollInterval)

	// Managed keys: the first are made (once across instances) before the
	// server listens, since it cannot sign without them.
	var manager *managed.Manager
	// The rotator and a reload of validationKeys both replace the ring's
	// keys: one at a time, each with the other's latest.
	var replaceMu sync.Mutex
	var validation atomic.Pointer[[]*signing.Key]
	validation.Store(&svc.keys.validation)
	// SIGHUP asks the manager for a sync at once.
	syncManaged := make(chan chan<- error)
	if isManaged(cfg.Key) {
		if manager, err = a.newManager(cfg, db, logger, svc.observer); err != nil {
			return err
		}
		if skew, ok := a.clockSkew(ctx, db); ok && !skewOK(skew) {
			logger.Warn("this machine's clock is "+describeSkew(skew)+" the database server's: managed keys are created and rotated by this clock, and tokens dated by it; correct it (NTP)",
				slog.Duration("skew", skew.Round(time.Millisecond)))
		}
		if svc.ring, err = a.managedRing(ctx, manager, svc.keys.validation, svc.retention, logger); err != nil {
			if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
				return cause
			}
			return err
		}
		ring := svc.ring
		go manager.Run(ctx, managed.RunOptions{
			Interval: cmp.Or(c.keyRefresh, managed.DefaultInterval),
			// A key rotated with signet keys on a store that does not
			// notify (SQLite) is seen within the configuration's poll.
			Poll: cfg.Storage.PollInterval,
			Apply: func(keys []*signing.Key) error {
				replaceMu.Lock()
				defer replaceMu.Unlock()
				return ring.Replace(keys, *validation.Load(), manager.Algorithms())
			},
			Requests: syncManaged,
		})
	}

	// The metrics are served on metrics.listen until after the public
	// listener has stopped.
	svc.metrics.listen(logger)
	defer svc.metrics.stop()
	// The keys the server starts with are audited (key.loaded), then
	// those a reload or a rotation brings.
	svc.ring.SetObserver(svc.observer)
	srv, err := a.newServer(svc, db, cat, logger, tracer)
	if err == nil && c.routes != nil {
		c.routes <- srv.Routes()
	}
	if err != nil {
		return err
	}
	if err := a.startProviders(ctx, svc, logger); err != nil {
		return err
	}
	if svc.tls != nil {
		ln = tls.NewListener(ln, svc.tls)
	}
	base := baseURL(cfg.Issuer, ln.Addr(), svc.tls != nil, development)
	a.logStartup(logger, svc, base, ln.Addr().String(), development)
	keys := a.newKeyReloader(cfg, svc, watched, logger, override)
	if manager != nil {
		ring := svc.ring
		keys.replaceValidation = func(v []*signing.Key) error {
			replaceMu.Lock()
			defer replaceMu.Unlock()
			if err := ring.Replace(manager.Keys(), v, manager.Algorithms()); err != nil {
				return err
			}
			validation.Store(&v)
			return nil
		}
		keys.syncManaged = func() error { return requestSync(ctx, syncManaged) }
	}
	go keys.run(ctx, hup, c.reload, cmp.Or(c.keyPoll, keyPollInterval))
	// Certificates and client secrets expiring within keyExpiryWarning:
	// checked now (before the server answers, so the warning is with the
	// startup lines) and every hour, looking at the ring's keys as reloads
	// leave them and at the catalog's clients as the database changes them.
	expiring := &expiry.Watcher{Keys: svc.ring.Configured, Clients: cat.Clients, Window: cfg.KeyExpiryWarning, Logger: logger}
	expiring.Check(a.now())
	expiryTicks := time.NewTicker(expiry.Interval)
	defer expiryTicks.Stop()
	go expiring.Run(ctx, expiryTicks.C)

	go func() {
		j := &storage.Janitor{Cleaner: db, Logger: logger}
		_ = j.Run(ctx)
	}()
	hs := &http.Server{
		Handler:           svc.metrics.handler(srv),
		ReadHeaderTimeout: cfg.Limits.ReadHeaderTimeout,
		ReadTimeout:       cfg.Limits.ReadTimeout,
		WriteTimeout:      cfg.Limits.WriteTimeout,
		IdleTimeout:       cfg.Limits.IdleTimeout,
		MaxHeaderBytes:    cfg.Limits.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	if c.ready != nil {
		c.ready <- base
	}
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	fatal := context.Cause(ctx)
	if errors.Is(fatal, context.Canceled) {
		fatal = nil
	} else {
		logger.Error("stopping: " + fatal.Error())
	}
	// A second Ctrl-C or SIGTERM now ends the process at once.
	stop()
	if d := cfg.Shutdown.DrainDelay; d > 0 && fatal == nil {
		// /readyz fails so that load balancers stop sending requests;
		// those that still come are served until the delay ends.
		svc.draining.Store(true)
		logger.Info("draining: /readyz answers 503 while requests are still served, then shutting down (a second interrupt stops at once)", slog.Duration("drain_delay", d))
		select {
		case <-time.After(d):
		case err := <-served:
			return err
		}
	}
	logger.Info("shutting down: waiting for requests in flight (a second interrupt stops at once)")
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return fatal
}

// portListen is the address to listen on that the platform asks for: all
// interfaces (a platform that sets PORT routes to the container's own
// address, never to its loopback) at $PORT, else at $WEBSITES_PORT (Azure
// App Service), with the name of the variable; "" when neither is set. A
// value that is not a port number is refused, naming the variable.
func portListen(lookupEnv func(string) (string, bool)) (addr, name string, err error) {
	for _, name := range []string{"PORT", "WEBSITES_PORT"} {
		v, ok := lookupEnv(name)
		if !ok || v == "" {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil || n == 0 {
			return "", "", fmt.Errorf("environment variable %s is %q: give a port number from 1 to 65535 (where the platform sends requests), or unset it and set listen: or --listen", name, v)
		}
		return net.JoinHostPort("0.0.0.0", strconv.FormatUint(n, 10)), name, nil
	}
	return "", "", nil
}

// managedSyncWait bounds how long SIGHUP waits for the managed keys' sync
// (the manager may be waiting for the database).
const managedSyncWait = 15 * time.Second

// requestSync asks the manager's Run for a sync at once and returns its
// outcome.
func requestSync(ctx context.Context, requests chan<- chan<- error) error {
	reply := make(chan error, 1)
	timeout := time.NewTimer(managedSyncWait)
	defer timeout.Stop()
	select {
	case requests <- reply:
	case <-ctx.Done():
		return ctx.Err()
	case <-timeout.C:
		return fmt.Errorf("the manager did not take the request within %s (busy with the database?); it syncs at its next poll", managedSyncWait)
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-timeout.C:
		return fmt.Errorf("the sync did not end within %s (the database is slow to answer?); it goes on, and applies the keys when done", managedSyncWait)
	}
}

// newServer mounts the endpoints (discovery and the JWKS, the token
// endpoint, the probes, the welcome page) in a server.
func (a *app) newServer(svc *services, db storage.Store, cat *catalog.Catalog, logger *slog.Logger, tr *tracing.Tracer) (*server.Server, error) {
	// Metrics count the token path's signatures and every route's
	// requests; tracing wraps the signer (outside the count) and the token
	// path's storage and adds a span per request. Either off, nothing of
	// its own is wrapped.
	var (
		signer     tokens.Signer          = svc.metrics.signer(svc.ring)
		replay     clientauth.ReplayCache = db
		grants     tokens.GrantStore      = db
		users      grant.Users            = db
		middleware                        = svc.metrics.middleware()
	)
	if tr != nil {
		st := tr.Store(storageSystem(svc.cfg.Storage.Driver), db)
		signer, replay, grants, users = tr.Signer(svc.metrics.signer(svc.ring)), st, st, st
		// The trace's span is the outer one, so that it holds the time
		// the metrics middleware takes too.
		middleware = append([]endpoint.Middleware{tr.Middleware()}, middleware...)
	}
	auth := &clientauth.Authenticator{
		Clients:    cat,
		Replay:     replay,
		RemoteKeys: &clientauth.RemoteKeys{},
		Now:        a.now,
		Logger:     logger,
		// Without a configured issuer, private_key_jwt is refused.
		IssuerConfigured:        svc.cfg.Issuer != "",
		StrictAssertionAudience: svc.cfg.StrictClientAssertionAudience,
	}
	limiter := a.apiLimiter(svc.cfg, db, logger)
	auth.Limits = limiter
	tok := &tokens.Service{Signer: signer, Resources: cat.Resources, Now: a.now, AccessTokenType: svc.cfg.AccessTokenJwtType, Grants: grants}
	token := grant.New(grant.Options{
		Auth:              auth,
		Tokens:            tok,
		Users:             users,
		IdentityResources: cat.IdentityResources,
		Origins:           cat.AllowedOrigin,
		Logger:            logger,
		Observer:          svc.observer,
	})
	signIn, err := a.signInEndpoints(svc, db, cat, tok, logger)
	if err != nil {
		return nil, err
	}
	hsts := svc.cfg.HSTS
	endpoints := []endpoint.Endpoint{
		discovery.New(discovery.Options{
			Keys:          svc.ring,
			Scopes:        cat.Scopes,
			VaryForwarded: svc.cfg.TrustProxy && svc.cfg.Issuer == "",
		}),
		token,
		&health.Endpoint{
			Keys: svc.ring,
			Ready: func(ctx context.Context) error {
				// Neither the ping nor the probe of a write is a request
				// failed by an outage.
				ctx = endpoint.WithoutRequest(ctx)
				// An outage is logged by the outage report (or, before
				// the database first answered, by the retries), not by
				// each probe.
				if err := db.Ping(ctx); err != nil {
					return &health.NotReadyError{Reason: "the database does not answer", Err: err,
						Reported: errors.Is(err, storage.ErrUnavailable)}
				}
				if err := svc.outages.Ready(ctx); err != nil {
					return &health.NotReadyError{Reason: err.Error(), Reported: true}
				}
				if !cat.Loaded() {
					return &health.NotReadyError{Reason: "clients and resources not read from the database yet"}
				}
				return nil
			},
			Draining: svc.draining.Load,
			Logger:   logger,
		},
		welcome.New(welcome.Options{Keys: svc.ring, Version: versionString(), Development: svc.development,
			ExpiryWarning: svc.cfg.KeyExpiryWarning, Now: a.now}),
	}
	endpoints = append(endpoints, signIn...)
	endpoints = append(endpoints, a.revocationEndpoint(svc, auth, db, cat, logger))
	endpoints = append(endpoints, a.introspectionEndpoint(svc, db, cat, auth, tok, logger))
	return server.New(server.Options{
		Issuer:     svc.cfg.Issuer,
		TrustProxy: svc.cfg.TrustProxy,
		HSTS:       &server.HSTS{MaxAge: hsts.MaxAge, IncludeSubDomains: hsts.IncludeSubDomains, Preload: hsts.Preload},
		Endpoints:  endpoints,
		// Tracing and metrics outermost, so that they see the requests
		// the limits refuse; then the headers, so that a refusal has them.
		Middleware: append(middleware,
			server.PageHeaders,
			server.NoStore(grant.Path, introspect.Path, revocation.Path, userinfo.Path),
			reqlimit.Limits{MaxBodyBytes: int64(svc.cfg.Limits.MaxBodyBytes), MaxParams: svc.cfg.Limits.MaxParams}.Middleware,
			limiter.Middleware,
		),
		Logger: logger,
	}), nil
}

func (a *app) logStartup(logger *slog.Logger, svc *services, base, addr string, development bool) {
	if development {
		logger.Warn("DEVELOPMENT MODE: no configuration file (--config or SIGNET_CONFIG); using a development signing key and client, for development only", slog.String("data_dir", svc.cfg.DataDir))
	}
	for _, k := range svc.ring.Published() {
		role := "published"
		if k == svc.ring.SignerFor(k.Algorithm) {
			role = "signing"
		} else if k.Validation {
			role = "validation"
		}
		logger.Info("key", slog.String("kid", k.ID), slog.String("alg", k.Algorithm), slog.String("role", role),
			slog.String("subject", k.Subject()), slog.String("source", k.Source))
	}
	// addr as well as url: with a configured issuer, url is the public
	// address (a load balancer's), not where this instance listens.
	logger.Info("listening", slog.String("url", base), slog.String("discovery", base+discovery.Path), slog.String("addr", addr))
	if svc.cfg.Issuer == "" {
		// Said once: a token got from localhost and validated against
		// 127.0.0.1 fails its issuer check, which surprises everyone once.
		scheme, port := "http", ""
		if u, err := url.Parse(base); err == nil {
			scheme = u.Scheme
			if p := u.Port(); p != "" {
				port = ":" + p
			}
		}
		logger.Info(fmt.Sprintf("no issuer is configured: each request's issuer, and the iss of the tokens it gets, is the scheme and host it was sent to, so %s://localhost%s and %s://127.0.0.1%s are two issuers; set issuer to the URL clients and APIs use", scheme, port, scheme, port))
	}
	if svc.development != nil {
		curl := welcome.DevelopmentCurl(base+grant.Path, svc.development)
		if strings.EqualFold(svc.cfg.Log.Format, "json") {
			logger.Info("get a token", slog.String("curl", curl))
		} else {
			fmt.Fprintf(a.stderr, "\nGet a token (the development client's secret is read from its file):\n\n  %s\n\n", curl)
		}
		a.logSignIn(logger, svc)
	}
}

// baseURL is where the server can be reached, for the log: the issuer when
// configured, else the listening address (localhost in development).
func baseURL(issuer string, addr net.Addr, tls, development bool) string {
	if issuer != "" {
		return strings.TrimSuffix(issuer, "/")
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	host, port, _ := net.SplitHostPort(addr.String())
	if development || host == "127.0.0.1" || host == "::1" {
		host = "localhost"
	} else if host == "::" || host == "0.0.0.0" || host == "" {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

func newLogger(w interface{ Write([]byte) (int, error) }, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "", "info":
		lv = slog.LevelInfo
	case "debug":
		lv = slog.LevelDebug
	case "warn", "warning":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: use text or json", format)
}
