package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/signetid/signet/internal/catalog"
	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/federation"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/outage"
	"github.com/signetid/signet/internal/safefile"
	"github.com/signetid/signet/internal/secret"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/signing/pkcs11"
	"github.com/signetid/signet/internal/welcome"
	"github.com/signetid/signet/storage"
)

// Development mode: what `signet serve` runs with no configuration.
const (
	devClientID   = "signet-dev"
	devScope      = "dev-api"
	devSecretFile = "development-client-secret"
	devListen     = "127.0.0.1:5000"
)

// services is what a configuration builds: everything the server needs but
// the listener and the storage.
type services struct {
	cfg         *config.Config
	development *welcome.Development // set when there is no configuration file
	devKey      bool                 // the development signing key is in use
	ring        *signing.Ring
	// keys are what the ring was made of, for a reload to compare with.
	keys *loadedKeys
	// retention is how long a retired key stays published: the longest
	// token lifetime of the file's clients.
	retention time.Duration
	warnings  []string
	// notes are for the log at info: how the configuration was read.
	notes []string
	// static is what the file defines; the catalog adds the database's.
	static catalog.Static
	tls    *tls.Config
	// providers keeps the external identity providers current (set by
	// signInEndpoints).
	providers *federation.Loader
	// fileProviders are the configuration's external providers, checked.
	fileProviders []federation.Settings
	// draining is set on SIGTERM for shutdown.drainDelay: /readyz answers
	// 503 while everything else is still served.
	draining atomic.Bool
	// metrics are counted and served when the configuration asks (set by
	// serve; nil: off).
	metrics *serveMetrics
	// observer is told of the acts of the server (the audit log); nil
	// (observe.Discard) until serve sets it.
	observer observe.Observer
	// outages reports storage outages and whether writes succeed, for
	// /readyz (set by serve; nil: ready as far as it knows).
	outages *outage.Tracker
}

// loadConfig reads the configuration named by --config or SIGNET_CONFIG;
// with none, it returns the development configuration. Problems in the file
// come back with the configuration, as far as it could be read, so that
// build can add its own: every problem is reported at once.
func (a *app) loadConfig(flag string) (*config.Config, bool, error) {
	path, err := config.Find(flag, a.lookupEnv)
	if err != nil {
		return nil, false, err
	}
	if path == "" {
		cfg := &config.Config{
			Listen:       devListen,
			Key:          &config.Key{Type: signing.TypeDevelopment},
			APIScopes:    []config.APIScope{{Name: devScope, DisplayName: "Development API"}},
			APIResources: []config.APIResource{{Name: devScope, Scopes: []string{devScope}}},
		}
		cfg.Defaults()
		return cfg, true, nil
	}
	cfg, err := config.Load(path, a.lookupEnv)
	if cfg == nil {
		return nil, false, err
	}
	// Report the file's problems and the rules' problems together.
	err = config.Join(err, cfg.Validate())
	if cfg.Key == nil {
		err = config.Join(err, cfg.MissingKeyProblem())
	}
	cfg.Defaults()
	return cfg, false, err
}

// loadAndBuild is what serve and config check share: the configuration
// and the services it makes, with every problem of both in one error.
func (a *app) loadAndBuild(flag string) (*services, bool, error) {
	cfg, development, err := a.loadConfig(flag)
	if cfg == nil {
		return nil, development, err
	}
	svc, err := a.build(cfg, development, err, nil, true)
	return svc, development, err
}

// build turns a configuration into services, reporting every problem at
// its place in the file, together with loadErr's. Sections loadErr already
// finds fault with are skipped, so that one mistake is reported once. A
// check (config check, and serve before it has its address) writes
// nothing: a development key that does not exist yet is not made, and the
// services have no ring (keys.pending says where serve will make it); in
// development mode the development client (whose secret file is made on
// first start) is left out.
func (a *app) build(cfg *config.Config, development bool, loadErr error, logger *slog.Logger, check bool) (*services, error) {
	s := &services{cfg: cfg, static: catalog.Static{Clients: map[string]storage.Client{}}}
	var problems []config.Problem
	add := func(path string, err error) {
		problems = append(problems, cfg.Problemf(path, "%v", err))
	}
	var known *config.Errors
	errors.As(loadErr, &known)
	faulty := func(prefix string) bool {
		if known == nil {
			return loadErr != nil
		}
		for _, p := range known.Problems {
			if p.Path == prefix || strings.HasPrefix(p.Path, prefix+".") || strings.HasPrefix(p.Path, prefix+"[") {
				return true
			}
		}
		return false
	}
	var devSecretFile string
	if development && !check {
		secretFile, err := developmentSecret(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		devSecretFile = secretFile
		s.development = &welcome.Development{ClientID: devClientID, Scope: devScope, SecretFile: secretFile, DataDir: filepath.Dir(secretFile)}
		data, err := os.ReadFile(secretFile)
		if err != nil {
			return nil, fmt.Errorf("read the development client secret: %w", err)
		}
		cfg.Clients = []config.Client{{
			ClientID: devClientID, ClientName: "Development client",
			Secrets:           []config.Secret{{Value: strings.TrimSpace(string(data))}},
			AllowedGrantTypes: []string{"client_credentials"}, AllowedScopes: []string{devScope},
		}}
		user, signIn, err := developmentUser(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		cfg.Users = []config.User{user}
		s.development.SignIn = signIn
	}
	s.devKey = cfg.Key != nil && strings.EqualFold(cfg.Key.Type, signing.TypeDevelopment)
	for _, w := range cfg.Warnings() {
		s.warnings = append(s.warnings, w.String())
	}
	s.notes = cfg.Notes()

	// Clients first: the longest token lifetime is how long an expired
	// certificate stays published.
	maxLifetime := time.Hour
	apiScopes := make(map[string]bool)
	for _, sc := range cfg.APIScopes {
		if sc.IsEnabled() {
			apiScopes[sc.Name] = true
		}
	}
	identityScopes := fileIdentityScopes(cfg)
	clients := clientBuild{now: a.now()}
	for i := range cfg.Clients {
		c := &cfg.Clients[i]
		path := fmt.Sprintf("clients[%d]", i)
		if faulty(path) || c.Skipped() != "" {
			continue
		}
		found := len(clients.problems)
		rec := servedByFile(fileRecord(cfg, path, c, &clients), apiScopes, identityScopes)
		if len(clients.problems) == found {
			// What the catalog will make of it: the checks above are
			// FromRecord's, at their place in the file.
			if _, err := client.FromRecord(rec); err != nil {
				add(path, err)
			}
		}
		maxLifetime = max(maxLifetime, rec.AccessTokenLifetime)
		s.static.Clients[c.ClientID] = rec
	}
	problems = append(problems, clients.problems...)
	s.warnings = append(s.warnings, clients.warnings...)
	userProblems, userWarnings := checkUsers(cfg, faulty)
	problems = append(problems, userProblems...)
	s.warnings = append(s.warnings, userWarnings...)

	// The keys.
	// Managed keys come from the database, once serve has opened it; here
	// only their key-encryption key is checked.
	keys, keyProblems := a.loadKeys(cfg, faulty, !isManaged(cfg.Key), check)
	problems = append(problems, keyProblems...)
	s.warnings = append(s.warnings, keys.warnings...)
	s.keys = keys
	s.retention = maxLifetime
	if isManaged(cfg.Key) && !faulty("key") {
		if cfg.Storage.Driver == config.DriverMemory {
			s.warnings = append(s.warnings, cfg.Warnf("storage.driver", "Managed keys with storage.driver memory are lost when signet stops: each start makes new ones, and tokens signed before no longer validate; use sqlite or postgres").String())
		}
		if _, err := readKEK(cfg.Key); err != nil {
			add("key", err)
		} else if f := cfg.Key.KeyEncryptionKeyFile; f != "" {
			if info, err := os.Stat(f); err == nil && info.Mode().Perm()&0o077 != 0 && runtime.GOOS != "windows" {
				s.warnings = append(s.warnings, cfg.Warnf("key.keyEncryptionKeyFile", "%s can be read by other users (mode %#o): whoever reads it and the database has the signing keys; chmod 600 it", f, info.Mode().Perm()).String())
			}
		}
	}
	if keys.signing != nil {
		ring, err := signing.NewRing(keys.signing, keys.validation, signing.RingOptions{Retention: maxLifetime, Now: a.now, Logger: logger})
		if err != nil {
			add("key", err)
		}
		s.ring = ring
	}

	problems = append(problems, signInProblems(cfg, s.signingAlgorithms(), faulty)...)

	// Scopes and resources: the enabled ones.
	s.static.ScopeTexts = make(map[string]catalog.ScopeInfo)
	for _, sc := range cfg.APIScopes {
		if sc.IsEnabled() {
			s.static.Scopes = append(s.static.Scopes, sc.Name)
			s.static.ScopeTexts[sc.Name] = catalog.ScopeInfo{Name: sc.Name, DisplayName: sc.DisplayName, Description: sc.Description, Required: sc.Required, Emphasize: sc.Emphasize}
		}
	}
	if !faulty("ui") {
		var ui *config.Errors
		if errors.As(cfg.UIProblems(), &ui) {
			problems = append(problems, ui.Problems...)
		}
	}
	providers, providerProblems := fileProviders(cfg, faulty)
	s.fileProviders = providers
	problems = append(problems, providerProblems...)
	identity, identityProblems, identityWarnings := fileIdentityResources(cfg, faulty)
	s.static.IdentityResources = identity
	problems = append(problems, identityProblems...)
	s.warnings = append(s.warnings, identityWarnings...)
	resources := clientBuild{now: a.now()}
	for i := range cfg.APIResources {
		if r := &cfg.APIResources[i]; r.IsEnabled() && !faulty(resourcePath(i)) {
			s.static.Resources = append(s.static.Resources, fileResourceRecord(cfg, resourcePath(i), r, &resources))
		}
	}
	problems = append(problems, resources.problems...)
	s.warnings = append(s.warnings, resources.warnings...)

	if cfg.TLS != nil && !faulty("tls") {
		tc, err := loadTLS(cfg.TLS)
		if err != nil {
			add("tls", err)
		}
		s.tls = tc
	} else if cfg.TLS == nil && cfg.Key != nil && !s.devKey && cfg.Issuer == "" && !cfg.TrustProxy && !cfg.AllowHTTP {
		problems = append(problems, cfg.Problemf("issuer", "with no issuer, no tls and no trustProxy, the issuer would be plain http://%s: configure tls, or set issuer to the https URL clients use (behind a TLS proxy, with trustProxy: true), or set allowHttp: true for a test setup", cfg.Listen))
	}
	if err := config.Join(loadErr, (&config.Errors{Problems: problems}).Err()); err != nil {
		return nil, err
	}
	s.warnings = append(s.warnings, a.permissionWarnings(cfg, development, devSecretFile)...)
	return s, nil
}

// loadedKeys is what the key sections yield.
type loadedKeys struct {
	// signing is nil when the key section is missing or faulty, or was
	// not loaded.
	signing    []*signing.Key
	validation []*signing.Key
	warnings   []string
	// pending is the development key that a check found missing: serve
	// makes it.
	pending string
}

// loadKeys loads the credentials of the key section (unless withSigning
// is false) and of validationKeys, skipping the sections skip names (nil:
// none), and reports each failure at its place in the file. With noWrite,
// a development key that does not exist yet is not made (out.pending).
func (a *app) loadKeys(cfg *config.Config, skip func(path string) bool, withSigning, noWrite bool) (*loadedKeys, []config.Problem) {
	if skip == nil {
		skip = func(string) bool { return false }
	}
	out := &loadedKeys{}
	var problems []config.Problem
	loader := a.keyLoader(cfg)
	loader.NoWrite = noWrite
	if withSigning && cfg.Key != nil && !skip("key") {
		if spec, warning, err := loadSpec(cfg.Key); err != nil {
			problems = append(problems, cfg.Problemf("key", "%v", err))
		} else if got, err := loader.Load(spec, false); err != nil {
			problems = append(problems, cfg.Problemf("key", "%v", err))
		} else {
			out.signing = got.Keys
			if warning != "" {
				out.warnings = append(out.warnings, warnAt(cfg, "key.passwordFile", warning))
			}
			for _, w := range got.Warnings {
				out.warnings = append(out.warnings, warnAt(cfg, keyValuePath("key", cfg.Key), w))
			}
			out.pending = got.Pending
		}
	}
	for i, vk := range cfg.ValidationKeys {
		path := fmt.Sprintf("validationKeys[%d]", i)
		if skip(path) {
			continue
		}
		spec, warning, err := loadSpec(&vk)
		var got *signing.Loaded
		if err == nil {
			got, err = loader.Load(spec, true)
		}
		if err != nil {
			problems = append(problems, cfg.Problemf(path, "%v", err))
			continue
		}
		if warning != "" {
			out.warnings = append(out.warnings, warnAt(cfg, path+".passwordFile", warning))
		}
		for _, w := range got.Warnings {
			out.warnings = append(out.warnings, warnAt(cfg, keyValuePath(path, &vk), w))
		}
		out.validation = append(out.validation, got.Keys...)
	}
	return out, problems
}

func (a *app) keyLoader(cfg *config.Config) signing.Loader {
	return signing.Loader{DataDir: cfg.DataDir, Env: a.storeEnv(), Now: a.now, ExpiryWarning: cfg.KeyExpiryWarning}
}

func specOf(k *config.Key) signing.Spec {
	return signing.Spec{Type: k.Type, StoreLocation: k.StoreLocation, StoreName: k.StoreName, Name: k.Name,
		Thumbprint: k.Thumbprint, FilePath: k.FilePath, Password: k.Password, Algorithm: k.Algorithm}
}

// loadSpec is specOf with what must be read first: the passwordFile, and
// a Pkcs11 key's PIN file and id. The warning, if any, is about the
// password file's permissions.
func loadSpec(k *config.Key) (spec signing.Spec, warning string, err error) {
	spec = specOf(k)
	if spec.Password, warning, err = keyPassword(k); err != nil {
		return spec, "", err
	}
	if k.Type != config.KeyPkcs11 {
		return spec, warning, nil
	}
	p := pkcs11.Config{Module: k.Module, TokenLabel: k.TokenLabel, Slot: k.Slot, KeyLabel: k.KeyLabel, PIN: k.Pin}
	if k.KeyID != "" {
		id, err := pkcs11.ParseID(k.KeyID)
		if err != nil {
			return spec, "", err
		}
		p.KeyID = id
	}
	if k.PinFile != "" {
		pin, _, err := readSecretFile(k.PinFile, "pinFile", "the token's user PIN")
		if err != nil {
			return spec, "", err
		}
		p.PIN = pin
	}
	spec.Pkcs11 = p
	return spec, warning, nil
}

// developmentSecret returns the file holding the development client's
// secret, creating both on first start (0600), so that the secret outlives
// restarts and never has to be printed.
func developmentSecret(dataDir string) (string, error) {
	path, err := filepath.Abs(filepath.Join(dataDir, devSecretFile))
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil && strings.TrimSpace(string(data)) != "":
		return path, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("read the development client secret %s: %w (delete the file to have a new secret made)", path, err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("create the data directory %s: %w", dataDir, err)
	}
	// A blank file holds no secret to keep: replace it.
	overwrite := err == nil
	err = safefile.Write(path, []byte(secret.Generate()+"\n"), safefile.Private, overwrite)
	if err != nil && !errors.Is(err, safefile.ErrExists) {
		return "", fmt.Errorf("write the development client secret %s: %w", path, err)
	}
	return path, nil
}

// loadTLS reads the server's own certificate: a PEM chain with a PEM key,
// or a PFX (or one PEM holding both) with its password.
func loadTLS(t *config.TLS) (*tls.Config, error) {
	inputs := []string{t.CertFile}
	if t.KeyFile != "" {
		inputs = append(inputs, t.KeyFile)
	}
	var parts []*certs.Contents
	for _, in := range inputs {
		c, err := certs.ReadFile(in, certs.StaticPassword(t.Password))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", in, err)
		}
		parts = append(parts, c)
	}
	cred, err := certs.Combine(parts...)
	if err != nil {
		return nil, err
	}
	if cred.Key == nil {
		return nil, fmt.Errorf("%s holds no private key: give keyFile, or a .pfx with its key", t.CertFile)
	}
	chain := [][]byte{cred.Certificate.Raw}
	for _, c := range cred.Chain {
		chain = append(chain, c.Raw)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: chain, PrivateKey: cred.Key, Leaf: cred.Certificate}},
	}, nil
}

// warnAt places a warning of another package (the key loader's) at path in
// the file, saying where its value came from; with no file (development
// mode) it is the warning alone.
func warnAt(cfg *config.Config, path, warning string) string {
	if cfg.File == "" {
		return warning
	}
	return cfg.Warnf(path, "%s", warning).String()
}

// keyValuePath is the path of the value that names a key's credential
// (its file, thumbprint or subject), which a warning about the credential
// is about.
func keyValuePath(path string, k *config.Key) string {
	switch {
	case k.Type == config.KeyFile && k.FilePath != "":
		return path + ".filePath"
	case k.Type == config.KeyStore && k.Thumbprint != "":
		return path + ".thumbprint"
	case k.Type == config.KeyStore && k.Name != "":
		return path + ".name"
	}
	return path
}
