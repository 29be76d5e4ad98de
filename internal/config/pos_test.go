package config

import (
	"testing"
	"time"
)

func TestPos(t *testing.T) {
	t.Parallel()
	c, err := Load("testdata/same.yaml", env("TLS_PASSWORD", "", "SIGNING_PASSWORD", "", "MYAPP_SECRET", ""))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		line int
	}{
		{"key", 12},
		{"key.type", 13},
		{"key.password", 15},
		{"validationKeys", 17},
		{"validationKeys[0]", 18},
		{"validationKeys[0].thumbprint", 19},
		{"validationKeys[1].filePath", 21},
		{"apiScopes[1].name", 26},
		{"apiResources[0].scopes[1]", 30},
		{"clients", 31},
		{"clients[0]", 32},
		{"clients[0].secrets", 34},
		{"clients[0].secrets[1].hash", 37},
		{"clients[0].secrets[2].expiration", 40},
		{"clients[1].jwks.keys[0].kid", 50},
		// Not in the file: the nearest enclosing value, then the file.
		{"clients[1].clientName", 44},
		{"clients[1].secrets[0].value", 44},
		{"clients[0].secrets[1].description", 37},
		{"key.thumbprint", 12},
		{"clients[7].clientId", 31},
		{"trustProxy", 4},
		{"nothing", 0},
		{"", 0},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			want := Position{File: "testdata/same.yaml", Line: tt.line}
			if got := c.Pos(tt.path); got != want {
				t.Errorf("Pos(%q) = %v, want %v", tt.path, got, want)
			}
		})
	}
}

func TestPosUsesCanonicalNames(t *testing.T) {
	t.Parallel()
	c, err := Load("testdata/identityserver.json", env("MYAPP_SECRET", "s3cret-that-is-long-enough"))
	if err != nil {
		t.Fatal(err)
	}
	for path, line := range map[string]int{
		"key.type": 5, "key.storeName": 7, "key.name": 8, "apiScopes[0].name": 10,
		"clients[0].clientId": 13, "clients[0].secrets[0].value": 14, "clients[0].allowedScopes[0]": 16,
	} {
		if got := c.Pos(path).Line; got != line {
			t.Errorf("Pos(%q) = line %d, want %d", path, got, line)
		}
	}
	if pos := c.Pos("Key.Type"); pos.Line != 0 {
		t.Errorf("the file's spelling is not a path: %v", pos)
	}
}

func TestProblemf(t *testing.T) {
	t.Parallel()
	c, err := Load("testdata/identityserver.json", env("MYAPP_SECRET", "s3cret-that-is-long-enough"))
	if err != nil {
		t.Fatal(err)
	}
	var errs Errors
	errs.Add(
		c.Problemf("key.name", "no certificate with subject %q in %s/%s", c.Key.Name, c.Key.StoreLocation, c.Key.StoreName),
		c.Problemf("key.thumbprint", "not set, so found by name"),
		c.Problemf("clients[0].secrets[0].value", "too short"),
	)
	want := `testdata/identityserver.json:8: key.name: no certificate with subject "CN=my-app-auth" in LocalMachine/My
testdata/identityserver.json:4: key.thumbprint: not set, so found by name
testdata/identityserver.json:14: clients[0].secrets[0].value: too short`
	if got := errs.Error(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// Err puts them in file order.
	if err := errs.Err(); err.(*Errors).Problems[0].Pos.Line != 4 {
		t.Errorf("not sorted: %v", err)
	}

	var zero Config
	if p := zero.Problemf("key", "x %d", 1); p.String() != "key: x 1" {
		t.Errorf("no file: %q", p.String())
	}
}

// Written tells a value the file gives from one it leaves to its default,
// which Defaults does not blur; a value from ${VAR} is written.
func TestWritten(t *testing.T) {
	t.Parallel()
	c, problems := parseYAMLText(t, "listen: ${ADDR}\nshutdown:\n  drainDelay: 5s\n", env("ADDR", "127.0.0.1:8080"))
	if len(problems) != 0 {
		t.Fatal(problems)
	}
	c.Defaults()
	for path, want := range map[string]bool{"listen": true, "shutdown.drainDelay": true, "shutdown": true, "dataDir": false, "issuer": false} {
		if got := c.Written(path); got != want {
			t.Errorf("Written(%q) = %v; want %v", path, got, want)
		}
	}
	if c.Shutdown.DrainDelay != 5*time.Second {
		t.Errorf("drainDelay %v; want 5s", c.Shutdown.DrainDelay)
	}
	d, _ := parseYAMLText(t, "dataDir: data\n", env())
	d.Defaults()
	if d.Written("listen") || d.Listen != DefaultListen || d.Shutdown.DrainDelay != 0 {
		t.Errorf("no listen: Written %v, %q, drainDelay %v", d.Written("listen"), d.Listen, d.Shutdown.DrainDelay)
	}
}
