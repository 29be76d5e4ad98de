package server

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"
	"time"
)

var templateFuncs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02")
	},
}

type welcomeKey struct {
	ID, Algorithm, Subject, Role, Source string
	Thumbprint                           string
	Expires                              time.Time
}

type welcomePage struct {
	Issuer      string
	Version     string
	Endpoints   []struct{ Name, URL string }
	Keys        []welcomeKey
	Development *Development
	Curl        string
}

// serveWelcome shows what this server is: issuer, endpoints, the keys it
// publishes (never private material), and, in development, how to get a
// token.
func (s *Server) serveWelcome(w http.ResponseWriter, r *http.Request) {
	issuer := s.Issuer(r)
	base := strings.TrimSuffix(issuer, "/")
	p := welcomePage{Issuer: issuer, Version: s.opts.Version, Development: s.opts.Development}
	p.Endpoints = []struct{ Name, URL string }{
		{"Discovery", base + PathDiscovery},
		{"JWKS", base + PathJWKS},
		{"Token", base + PathToken},
	}
	signer := s.opts.Ring.Signer()
	for _, k := range s.opts.Ring.Published() {
		role := "published"
		switch {
		case k == signer:
			role = "signing"
		case k.Validation:
			role = "validation"
		}
		wk := welcomeKey{ID: k.ID, Algorithm: k.Algorithm, Subject: k.Subject(), Role: role, Source: k.Source, Expires: k.NotAfter()}
		if k.Certificate != nil {
			wk.Thumbprint = k.ID
		}
		p.Keys = append(p.Keys, wk)
	}
	if d := s.opts.Development; d != nil {
		p.Curl = DevelopmentCurl(base, d)
	}
	var buf bytes.Buffer
	if err := s.welcome.Execute(&buf, p); err != nil {
		http.Error(w, "the welcome page failed to render", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// DevelopmentCurl is the command that gets a token from a development
// server. It reads the secret from its file rather than showing it, so that
// the secret is in no log and on no page. Every value in it is quoted for a
// POSIX shell: the URL comes from the request's Host in development mode,
// and an IPv6 literal's brackets are a glob pattern to the shell (zsh
// refuses the command when nothing matches).
func DevelopmentCurl(base string, d *Development) string {
	return "curl -s -u " + shellQuote(d.ClientID) + `:"$(cat ` + shellQuote(d.SecretFile) + `)" -d grant_type=client_credentials -d scope=` + shellQuote(d.Scope) + " " + shellQuote(base+PathToken)
}

// shellQuote returns s as one word of a POSIX shell: as it is when it holds
// only characters no shell gives a meaning to, else in single quotes, in
// which nothing is special but the quote itself: each is written as a
// closing quote, an escaped quote and an opening quote.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
