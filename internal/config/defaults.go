package config

import (
	"path/filepath"
	"strings"
	"time"
)

// Default values that Defaults fills in.
const (
	DefaultListen              = "127.0.0.1:5000"
	DefaultDataDir             = "./signet-data"
	DefaultStoreLocation       = "CurrentUser"
	DefaultStoreName           = "My"
	DefaultLogFormat           = "text"
	DefaultLogLevel            = "info"
	DefaultAccessTokenLifetime = 3600
	// DefaultHSTSMaxAge is hsts.maxAge when not written: a year, what
	// hstspreload.org asks for.
	DefaultHSTSMaxAge = 365 * 24 * time.Hour
	// DefaultKeyExpiryWarning is keyExpiryWarning when not written.
	DefaultKeyExpiryWarning = 30 * 24 * time.Hour
	// DefaultMetricsMaxClients is metrics.maxClients when not written.
	DefaultMetricsMaxClients = 100
)

// Defaults of the session and login sections.
const (
	DefaultCookieSameSite          = SameSiteLax
	DefaultSessionIdleLifetime     = 10 * time.Hour
	DefaultSessionAbsoluteLifetime = 30 * 24 * time.Hour
	DefaultLoginMaxFailures        = 5
	DefaultLoginFailureWindow      = 15 * time.Minute
	DefaultLoginLockout            = 15 * time.Minute
)

// Defaults of the audit section.
const (
	// DefaultAuditMaxSize is audit.maxSize, in megabytes.
	DefaultAuditMaxSize  = 100
	DefaultAuditMaxFiles = 5
)

// Defaults of the rateLimits and limits sections.
var (
	DefaultTokenPerClient = Rate{Rate: 100, Burst: 200}
	DefaultTokenPerIP     = Rate{Rate: 300, Burst: 600}
	DefaultLoginPerIP     = Rate{Rate: 1, Burst: 30}
	DefaultLoginPerUser   = Rate{Rate: 0.1, Burst: 10}
)

const (
	DefaultClientAuthMaxFailures = 50
	DefaultClientAuthWindow      = 5 * time.Minute
	DefaultMaxBodyBytes          = 64 << 10
	DefaultMaxHeaderBytes        = 32 << 10
	DefaultMaxParams             = 100
	DefaultReadHeaderTimeout     = 10 * time.Second
	DefaultReadTimeout           = 30 * time.Second
	DefaultWriteTimeout          = 30 * time.Second
	DefaultIdleTimeout           = 2 * time.Minute
)

// Defaults of a Managed key, as Duende IdentityServer's automatic key
// management.
const (
	DefaultPropagationTime   = 14 * 24 * time.Hour
	DefaultRotationInterval  = 90 * 24 * time.Hour
	DefaultRetentionDuration = 14 * 24 * time.Hour
)

// DefaultSigningAlgorithm is a Managed key's series when signingAlgorithms
// is not given.
const DefaultSigningAlgorithm = "RS256"

// Defaults fills in the zero values that have a default: listen, dataDir,
// the log format and level, hsts.maxAge unless written (0 written is off),
// a Store key's storeLocation and storeName, each client's
// accessTokenLifetime, the session and login sections, metrics.maxClients and keyExpiryWarning. A client's
// sign-in lifetimes stay zero, which the record reads as their defaults.
//
// It also resolves relative paths against the directory of the
// configuration file (File) rather than the working directory, so that a
// configuration means the same whatever directory the server starts in:
// dataDir, the filePath and passwordFile of key and of each validation key,
// key.keyEncryptionKeyFile, key.pinFile, key.module, each client secret's
// valueFile, ui.logo, ui.stylesheet and ui.templatesDir, and tls.certFile
// and tls.keyFile. With no File, paths stay relative to the
// working directory. Calling Defaults again changes nothing.
func (c *Config) Defaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.Log.Format == "" {
		c.Log.Format = DefaultLogFormat
	}
	if c.Log.Level == "" {
		c.Log.Level = DefaultLogLevel
	}
	c.HSTS.MaxAge = c.hstsMaxAge()
	st := &c.Storage
	if st.Driver == "" {
		st.Driver = DriverSQLite
	}
	if st.MaxConns == 0 {
		st.MaxConns = 10
	}
	if st.ConnectTimeout == 0 {
		st.ConnectTimeout = 5 * time.Second
	}
	if st.StatementTimeout == 0 {
		st.StatementTimeout = 5 * time.Second
	}
	if st.PollInterval == 0 {
		st.PollInterval = 2 * time.Second
	}
	if c.Session.CookieSameSite == "" {
		c.Session.CookieSameSite = DefaultCookieSameSite
	}
	if c.Session.IdleLifetime == 0 {
		c.Session.IdleLifetime = DefaultSessionIdleLifetime
	}
	if c.Session.AbsoluteLifetime == 0 {
		c.Session.AbsoluteLifetime = DefaultSessionAbsoluteLifetime
	}
	if c.Login.MaxFailures == 0 {
		c.Login.MaxFailures = DefaultLoginMaxFailures
	}
	if c.Login.FailureWindow == 0 {
		c.Login.FailureWindow = DefaultLoginFailureWindow
	}
	if c.Login.Lockout == 0 {
		c.Login.Lockout = DefaultLoginLockout
	}
	if c.Metrics.MaxClients == 0 {
		c.Metrics.MaxClients = DefaultMetricsMaxClients
	}
	if c.KeyExpiryWarning == 0 {
		c.KeyExpiryWarning = DefaultKeyExpiryWarning
	}
	c.rateDefaults()
	c.limitDefaults()
	if c.Key != nil {
		storeDefaults(c.Key)
	}
	for i := range c.ValidationKeys {
		storeDefaults(&c.ValidationKeys[i])
	}
	for i := range c.Clients {
		if c.Clients[i].AccessTokenLifetime == 0 {
			c.Clients[i].AccessTokenLifetime = DefaultAccessTokenLifetime
		}
	}
	if !c.resolved {
		c.resolved = true
		c.DataDir = c.resolve(c.DataDir)
		if c.Storage.Driver == DriverSQLite {
			if c.Storage.DSN == "" {
				c.Storage.DSN = filepath.Join(c.DataDir, "signet.db")
			} else {
				c.Storage.DSN = c.resolve(c.Storage.DSN)
			}
		}
		c.KeyEncryptionKeyFile = c.resolve(c.KeyEncryptionKeyFile)
		c.Audit.File = c.resolve(c.Audit.File)
		if c.Key != nil {
			c.Key.FilePath = c.resolve(c.Key.FilePath)
			c.Key.PasswordFile = c.resolve(c.Key.PasswordFile)
			c.Key.KeyEncryptionKeyFile = c.resolve(c.Key.KeyEncryptionKeyFile)
			c.Key.PinFile = c.resolve(c.Key.PinFile)
			c.Key.Module = c.resolve(c.Key.Module)
		}
		for i := range c.ValidationKeys {
			k := &c.ValidationKeys[i]
			k.FilePath = c.resolve(k.FilePath)
			k.PasswordFile = c.resolve(k.PasswordFile)
		}
		for i := range c.Clients {
			for j := range c.Clients[i].Secrets {
				s := &c.Clients[i].Secrets[j]
				s.ValueFile = c.resolve(s.ValueFile)
			}
		}
		for i := range c.ExternalProviders {
			p := &c.ExternalProviders[i]
			p.ClientSecretFile = c.resolve(p.ClientSecretFile)
			p.ClientKeyFile = c.resolve(p.ClientKeyFile)
		}
		c.UI.Logo = c.resolve(c.UI.Logo)
		c.UI.Stylesheet = c.resolve(c.UI.Stylesheet)
		c.UI.TemplatesDir = c.resolve(c.UI.TemplatesDir)
		if c.TLS != nil {
			c.TLS.CertFile = c.resolve(c.TLS.CertFile)
			c.TLS.KeyFile = c.resolve(c.TLS.KeyFile)
		}
	}
}

// hstsMaxAge is hsts.maxAge, or its default when it is not written: 0
// written means off.
func (c *Config) hstsMaxAge() time.Duration {
	if _, written := c.positions["hsts.maxAge"]; c.HSTS.MaxAge == 0 && !written {
		return DefaultHSTSMaxAge
	}
	return c.HSTS.MaxAge
}

// rateDefaults fills in each rate not written, and the burst of a rate
// written without one; a rate of 0 written stays off.
func (c *Config) rateDefaults() {
	rl := &c.RateLimits
	for _, r := range []struct {
		path string
		rate *Rate
		def  Rate
	}{
		{"rateLimits.tokenPerClient", &rl.TokenPerClient, DefaultTokenPerClient},
		{"rateLimits.tokenPerIP", &rl.TokenPerIP, DefaultTokenPerIP},
		{"rateLimits.loginPerIP", &rl.LoginPerIP, DefaultLoginPerIP},
		{"rateLimits.loginPerUser", &rl.LoginPerUser, DefaultLoginPerUser},
	} {
		if _, written := c.positions[r.path+".rate"]; !written && r.rate.Rate == 0 {
			r.rate.Rate = r.def.Rate
			if r.rate.Burst == 0 {
				r.rate.Burst = r.def.Burst
			}
		}
		if r.rate.Rate > 0 && r.rate.Burst == 0 {
			r.rate.Burst = max(1, int(2*r.rate.Rate))
		}
	}
	f := &rl.ClientAuthFailures
	if _, written := c.positions["rateLimits.clientAuthFailures.maxFailures"]; !written && f.MaxFailures == 0 {
		f.MaxFailures = DefaultClientAuthMaxFailures
	}
	if f.Window == 0 {
		f.Window = DefaultClientAuthWindow
	}
}

func (c *Config) limitDefaults() {
	l := &c.Limits
	for _, v := range []struct {
		p   *int
		def int
	}{{&l.MaxBodyBytes, DefaultMaxBodyBytes}, {&l.MaxHeaderBytes, DefaultMaxHeaderBytes}, {&l.MaxParams, DefaultMaxParams}} {
		if *v.p == 0 {
			*v.p = v.def
		}
	}
	for _, v := range []struct {
		p   *time.Duration
		def time.Duration
	}{{&l.ReadHeaderTimeout, DefaultReadHeaderTimeout}, {&l.ReadTimeout, DefaultReadTimeout}, {&l.WriteTimeout, DefaultWriteTimeout}, {&l.IdleTimeout, DefaultIdleTimeout}} {
		if *v.p == 0 {
			*v.p = v.def
		}
	}
}

func storeDefaults(k *Key) {
	if strings.EqualFold(k.Type, KeyManaged) {
		if len(k.SigningAlgorithms) == 0 {
			k.SigningAlgorithms = []string{DefaultSigningAlgorithm}
		}
		if k.PropagationTime == 0 {
			k.PropagationTime = DefaultPropagationTime
		}
		if k.RotationInterval == 0 {
			k.RotationInterval = DefaultRotationInterval
		}
		if k.RetentionDuration == 0 {
			k.RetentionDuration = DefaultRetentionDuration
		}
	}
	if strings.EqualFold(k.Type, KeyStore) {
		if k.StoreLocation == "" {
			k.StoreLocation = DefaultStoreLocation
		}
		if k.StoreName == "" {
			k.StoreName = DefaultStoreName
		}
	}
}

// resolve makes a relative path relative to the configuration file's
// directory. "" stays "".
func (c *Config) resolve(path string) string {
	if path == "" || c.File == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(filepath.Dir(c.File), path)
}
