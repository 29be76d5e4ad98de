package config

import (
	"fmt"
	"slices"
	"strings"
)

// Written reports whether the configuration file gives the value at path
// (a path as Pos takes), so that a default taken from elsewhere (such as
// the PORT environment variable) yields to it.
func (c *Config) Written(path string) bool {
	_, ok := c.positions[path]
	return ok
}

// Pos returns where the value at path is in the configuration file. A path
// names fields by their canonical yaml names, whatever the case in the
// file, and list items by index: "issuer", "key.thumbprint",
// "clients[0].secrets[1].hash", "clients[2].jwks.keys[0].n". For a value
// that is not in the file (a missing field), it is the position of the
// nearest enclosing value that is ("clients[0].clientId" falls back to
// "clients[0]"), and at last the file itself, with Line 0.
func (c *Config) Pos(path string) Position {
	for p := path; p != ""; p = parent(p) {
		if pos, ok := c.positions[p]; ok {
			return pos
		}
	}
	return Position{File: c.File}
}

// parent drops the last element of a path: "a.b[1]" -> "a.b" -> "a" -> "".
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// Problemf returns a problem with the value at path, at its position (see
// Pos), for packages that check what the configuration means: a signing key
// source reports a certificate that is not found at the line of
// key.thumbprint with
//
//	errs.Add(cfg.Problemf("key.thumbprint", "no certificate with thumbprint %s in %s", ...))
func (c *Config) Problemf(path, format string, args ...any) Problem {
	return Problem{Pos: c.Pos(path), Path: path, Display: c.displayPath(path), Msg: fmt.Sprintf(format, args...)}
}

// Warnf is Problemf for a warning: something the server starts with, but
// that is probably not what was meant. When the value at path (or under
// it) came from environment variables, the message says which, since the
// file does not show the value.
func (c *Config) Warnf(path, format string, args ...any) Problem {
	p := c.Problemf(path, format, args...)
	if vars := c.envVars(path); path != "" && len(vars) > 0 {
		p.Msg += fmt.Sprintf(" (the value comes from the environment variable %s)", strings.Join(vars, ", "))
	}
	return p
}

// envVars returns the environment variables the values at and under path
// came from, in the order of their paths.
func (c *Config) envVars(path string) []string {
	var paths []string
	for p := range c.env {
		if p == path || strings.HasPrefix(p, path+".") || strings.HasPrefix(p, path+"[") {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var vars []string
	for _, p := range paths {
		for _, v := range c.env[p] {
			if !slices.Contains(vars, v) {
				vars = append(vars, v)
			}
		}
	}
	return vars
}

// Files returns the files the configuration was read from: File, and the
// appsettings.{Environment}.json layered on it, if any.
func (c *Config) Files() []string {
	var files []string
	for _, f := range []string{c.File, c.overlay} {
		if f != "" {
			files = append(files, f)
		}
	}
	return files
}

// DisplayPath is path as the file spells it (IdentityServer:Clients:0:...
// in an ASP.NET Core settings file), or path itself.
func (c *Config) DisplayPath(path string) string {
	if d := c.displayPath(path); d != "" {
		return d
	}
	return path
}

// FromEnv reports whether the value at path came from an environment
// variable (${VAR}) rather than being written in the file.
func (c *Config) FromEnv(path string) bool { return len(c.env[path]) > 0 }

// Warnings returns what loading and validating found that does not stop
// the server (an IdentityServer property Signet ignores, a secret that has
// the shape of a hash), each at its place in the file.
//
// What Load noted about a client that Validate then left out (an
// interactive client of an IdentityServer section, whose RedirectUris
// Signet ignores) is left out with it: one line says the client is not
// loaded.
func (c *Config) Warnings() []Problem {
	var out []Problem
	for _, w := range c.loadWarnings {
		if !c.skippedClientPath(w.Path) {
			out = append(out, w)
		}
	}
	return append(out, c.validateWarnings...)
}

// skippedClientPath reports whether path is inside a client that Validate
// left out.
func (c *Config) skippedClientPath(path string) bool {
	for i := range c.Clients {
		if c.Clients[i].skip == "" {
			continue
		}
		p := fmt.Sprintf("clients[%d]", i)
		if strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[") {
			return true
		}
	}
	return false
}

// Notes returns what is worth a line in the log about how the file was
// read: the ASP.NET Core sections it ignored, the environment's settings
// file layered on it.
func (c *Config) Notes() []string { return c.notes }

// decodeFailed reports whether Load already reported a problem with the
// value at path or one that holds it.
func (c *Config) decodeFailed(path string) bool {
	if len(c.failed) == 0 {
		return false
	}
	for p := path; ; p = parent(p) {
		if c.failed[p] {
			return true
		}
		if p == "" {
			return false
		}
	}
}
