package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var index = regexp.MustCompile(`\[\d+\]`)

// fieldPaths maps each field of the configuration ("Key.filePath") to the
// paths it has in a file ("key.filePath", "validationKeys[].filePath").
func fieldPaths() map[string][]string {
	m := make(map[string][]string)
	var walk func(t reflect.Type, at string)
	walk = func(t reflect.Type, at string) {
		for _, f := range fieldsOf(t) {
			p := join(at, f.name)
			m[t.Name()+"."+f.name] = append(m[t.Name()+"."+f.name], p)
			ft := t.Field(f.index).Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				if ft.Kind() == reflect.Slice {
					p += "[]"
				}
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != timeType {
				walk(ft, p)
			}
		}
	}
	walk(configType, "")
	return m
}

// TestExample loads the commented example that the README copies.
func TestExample(t *testing.T) {
	t.Parallel()
	lookup := env(
		"APP_SigningCertificateThumbprint", "\u200e6E5B2C8F0A1D3E4F5061728394A5B6C7D8E9F0A1",
		"APP_PreviousCertificatePassword", "old-password",
		"MYAPP_SECRET", "FF5iJznjuCv7GNgB1mLsZP6ANNBS3EBYEnJQvc8oTLk",
		"SIGNET_KEK", "B2Zk1n5mO7tKJ0c9mZ3b1GzR8hQvXy4sWl6aPqE2dUo=",
		"ENTRA_CLIENT_SECRET", "entra-secret-from-the-app-registration",
		"PARTNER_KEY_PASSWORD", "partner-pfx-password",
	)
	c, err := Load("../../examples/signet.yaml", lookup)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Defaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}

	// Every field of every type is set somewhere in the example (the Key
	// fields in key or in validationKeys), except tls.password, which does
	// not go with keyFile, a user's plain password, which is for development
	// (commented out beside passwordHash), and the Key fields of other key
	// types than those shown (Managed, Pkcs11, ...), which must be there
	// commented out.
	raw, err := os.ReadFile("../../examples/signet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	shown := make(map[string]bool)
	for path := range c.positions {
		shown[index.ReplaceAllString(path, "[]")] = true
	}
	for field, paths := range fieldPaths() {
		if field == "TLS.password" || field == "User.password" && regexp.MustCompile(`(?m)^\s*#\s*password:`).Match(raw) ||
			field == "Config.keyEncryptionKeyFile" && regexp.MustCompile(`(?m)^#\s*keyEncryptionKeyFile:`).Match(raw) {
			continue
		}
		if name, ok := strings.CutPrefix(field, "Key."); ok && regexp.MustCompile(`(?m)^\s*#\s*`+name+`:`).Match(raw) {
			continue
		}
		if !slices.ContainsFunc(paths, func(p string) bool { return shown[p] }) {
			t.Errorf("the example does not show %s (%s)", field, strings.Join(paths, " or "))
		}
	}

	if c.Key.Thumbprint != lookup2(lookup, "APP_SigningCertificateThumbprint") || c.Clients[0].Secrets[0].Value == "" {
		t.Errorf("variables not replaced: %+v", c.Key)
	}
	if want := filepath.Join("..", "..", "examples", "previous-signing.pfx"); c.ValidationKeys[0].FilePath != want {
		t.Errorf("validationKeys[0].filePath = %q, want %q", c.ValidationKeys[0].FilePath, want)
	}
	if c.Clients[2].AccessTokenLifetime != 900 || c.Clients[3].AccessTokenLifetime != 3600 {
		t.Errorf("lifetimes %d %d", c.Clients[2].AccessTokenLifetime, c.Clients[3].AccessTokenLifetime)
	}
}

func lookup2(f func(string) (string, bool), k string) string {
	v, _ := f(k)
	return v
}
