package config

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	t.Parallel()
	t.Run("zero values", func(t *testing.T) {
		t.Parallel()
		c, ps := parseYAMLText(t, "key: {type: store, name: CN=a}\nvalidationKeys: [{type: File, filePath: /abs/v.pfx}, {type: Store, storeName: Root, storeLocation: LocalMachine, name: b}]\nclients: [{clientId: a}, {clientId: b, accessTokenLifetime: 60}]", nil)
		expectProblems(t, "t.yaml", ps)
		c.File = "conf/signet.yaml"
		c.Defaults()
		want := Config{
			File:    "conf/signet.yaml",
			Listen:  "127.0.0.1:5000",
			DataDir: filepath.Join("conf", "signet-data"),
			Log:     Log{Format: "text", Level: "info"},
			HSTS:    HSTS{MaxAge: 365 * 24 * time.Hour},
			Storage: Storage{Driver: "sqlite", DSN: filepath.Join("conf", "signet-data", "signet.db"), MaxConns: 10,
				ConnectTimeout: 5 * time.Second, StatementTimeout: 5 * time.Second, PollInterval: 2 * time.Second},
			Key: &Key{Type: "store", Name: "CN=a", StoreLocation: "CurrentUser", StoreName: "My"},
			ValidationKeys: []Key{
				{Type: "File", FilePath: "/abs/v.pfx"},
				{Type: "Store", StoreName: "Root", StoreLocation: "LocalMachine", Name: "b"},
			},
			Clients: []Client{{ClientID: "a", AccessTokenLifetime: 3600}, {ClientID: "b", AccessTokenLifetime: 60}},
			Session: Session{CookieSameSite: "Lax", IdleLifetime: 10 * time.Hour, AbsoluteLifetime: 30 * 24 * time.Hour},
			Login:   Login{MaxFailures: 5, FailureWindow: 15 * time.Minute, Lockout: 15 * time.Minute},
			RateLimits: RateLimits{
				TokenPerClient: Rate{Rate: 100, Burst: 200}, TokenPerIP: Rate{Rate: 300, Burst: 600},
				LoginPerIP: Rate{Rate: 1, Burst: 30}, LoginPerUser: Rate{Rate: 0.1, Burst: 10},
				ClientAuthFailures: FailureLimit{MaxFailures: 50, Window: 5 * time.Minute},
			},
			Limits: Limits{
				MaxBodyBytes: 64 << 10, MaxHeaderBytes: 32 << 10, MaxParams: 100,
				ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
				WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
			},

			Metrics:          Metrics{MaxClients: 100},
			KeyExpiryWarning: 30 * 24 * time.Hour,
		}
		c.positions, c.failed, c.resolved = nil, nil, false
		if !reflect.DeepEqual(*c, want) {
			t.Errorf("got  %+v\nwant %+v", *c, want)
		}
	})
	t.Run("relative paths", func(t *testing.T) {
		t.Parallel()
		c := &Config{
			File:           filepath.Join("etc", "signet", "signet.yaml"),
			DataDir:        "data",
			Key:            &Key{Type: "File", FilePath: "keys/signing.pfx", PasswordFile: "keys/signing.password"},
			ValidationKeys: []Key{{Type: "File", FilePath: "old.pem", PasswordFile: "/run/secrets/old"}, {Type: "Store"}},
			TLS:            &TLS{CertFile: "tls.crt", KeyFile: "/etc/ssl/tls.key"},
			Clients:        []Client{{ClientID: "a", Secrets: []Secret{{ValueFile: "a.secret"}, {Value: "v"}}}},
		}
		c.Defaults()
		c.Defaults() // a second time changes nothing
		dir := filepath.Join("etc", "signet")
		for got, want := range map[string]string{
			c.DataDir:                         filepath.Join(dir, "data"),
			c.Key.FilePath:                    filepath.Join(dir, "keys", "signing.pfx"),
			c.ValidationKeys[0].FilePath:      filepath.Join(dir, "old.pem"),
			c.ValidationKeys[1].FilePath:      "",
			c.Key.PasswordFile:                filepath.Join(dir, "keys", "signing.password"),
			c.ValidationKeys[0].PasswordFile:  "/run/secrets/old",
			c.Clients[0].Secrets[0].ValueFile: filepath.Join(dir, "a.secret"),
			c.Clients[0].Secrets[1].ValueFile: "",
			c.TLS.CertFile:                    filepath.Join(dir, "tls.crt"),
			c.TLS.KeyFile:                     "/etc/ssl/tls.key",
		} {
			if got != want {
				t.Errorf("%q, want %q", got, want)
			}
		}
	})
	t.Run("no file", func(t *testing.T) {
		t.Parallel()
		c := &Config{Key: &Key{Type: KeyDevelopment, FilePath: "dev.key"}}
		c.Defaults()
		if c.DataDir != "./signet-data" || c.Key.FilePath != "dev.key" || c.Key.StoreName != "" {
			t.Errorf("config %+v %+v", c, c.Key)
		}
		if err := c.Validate(); err != nil {
			t.Error(err)
		}
	})
}

// hsts.maxAge is a year unless written; 0 written is off, and stays 0.
func TestDefaultsHSTS(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		src  string
		want time.Duration
	}{
		{"", 365 * 24 * time.Hour},
		{"hsts: {includeSubDomains: true}", 365 * 24 * time.Hour},
		{"hsts: {maxAge: 0}", 0},
		{"hsts:\n  maxAge: 0s", 0},
		{"hsts: {maxAge: 1h}", time.Hour},
		{"hsts: {maxAge: 63072000}", 2 * 365 * 24 * time.Hour},
	} {
		c, ps := parseYAMLText(t, tt.src, nil)
		expectProblems(t, "t.yaml", ps)
		if err := c.Validate(); err != nil {
			t.Errorf("%q: %v", tt.src, err)
		}
		c.Defaults()
		c.Defaults()
		if c.HSTS.MaxAge != tt.want {
			t.Errorf("%q: maxAge %v, want %v", tt.src, c.HSTS.MaxAge, tt.want)
		}
	}
	// Built without a file, as development mode does: the default.
	c := &Config{}
	c.Defaults()
	if c.HSTS.MaxAge != 365*24*time.Hour {
		t.Errorf("without a file: maxAge %v", c.HSTS.MaxAge)
	}
}

// TestRateLimitDefaults: a rate not written is its default; 0 written is
// off; a rate written without a burst gets twice the rate, at least 1.
func TestRateLimitDefaults(t *testing.T) {
	t.Parallel()
	c, problems := parseYAMLText(t, `rateLimits:
  tokenPerClient: {rate: 0}
  tokenPerIP: {rate: 50}
  loginPerIP: {rate: 0.2}
  clientAuthFailures: {maxFailures: 0}
`, nil)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	c.Defaults()
	want := RateLimits{
		TokenPerClient:     Rate{},
		TokenPerIP:         Rate{Rate: 50, Burst: 100},
		LoginPerIP:         Rate{Rate: 0.2, Burst: 1},
		LoginPerUser:       DefaultLoginPerUser,
		ClientAuthFailures: FailureLimit{MaxFailures: 0, Window: DefaultClientAuthWindow},
	}
	if c.RateLimits != want {
		t.Errorf("rateLimits %+v\nwant       %+v", c.RateLimits, want)
	}
}
