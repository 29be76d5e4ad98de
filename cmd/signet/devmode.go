package main

// Development mode's sign-in (issue 14): a development user whose random
// password is kept in the data directory like the development client's
// secret, and the development client's authorization code flow to a page
// of Signet's own (welcome.CallbackPath) that shows the code and the curl
// that exchanges it.

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/safefile"
	"github.com/signetid/signet/internal/signin"
	"github.com/signetid/signet/internal/welcome"
)

// The development user, named as IdentityServer's quickstart TestUsers.
const (
	devUsername     = "alice"
	devUserSubject  = "signet-dev-alice"
	devPasswordFile = "development-user-password"
	// devSignInScopes are what the printed sign-in URL asks for, beside
	// the development API scope.
	devSignInScopes = "openid profile email offline_access"
)

// randomText is n random bytes in base64url.
func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// developmentPassword returns the path and content of the development
// user's password file in dataDir: made once (0600, 128 random bits, 22
// characters), then read at every start, so that the password a developer
// noted keeps working.
func developmentPassword(dataDir string) (path, password string, err error) {
	if path, err = filepath.Abs(filepath.Join(dataDir, devPasswordFile)); err != nil {
		return "", "", err
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil && strings.TrimSpace(string(data)) != "":
		return path, strings.TrimSpace(string(data)), nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return "", "", fmt.Errorf("read the development user's password %s: %w (delete the file to have a new password made)", path, err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", "", fmt.Errorf("create the data directory %s: %w", dataDir, err)
	}
	password = randomText(16)
	// A blank file holds no password to keep: replace it.
	err = safefile.Write(path, []byte(password+"\n"), safefile.Private, err == nil)
	if errors.Is(err, safefile.ErrExists) {
		// Another signet made it meanwhile: use theirs.
		return developmentPassword(dataDir)
	}
	if err != nil {
		return "", "", fmt.Errorf("write the development user's password %s: %w", path, err)
	}
	return path, password, nil
}

// developmentUser is the development user, for cfg.Users (serve writes it
// to the database as it writes a configured user), and the sign-in the
// welcome pages show, without its bases (developmentSignIn adds them once
// the address is known). The PKCE verifier and state are new at every
// start and kept in memory only.
func developmentUser(dataDir string) (config.User, *welcome.DevelopmentSignIn, error) {
	path, password, err := developmentPassword(dataDir)
	if err != nil {
		return config.User{}, nil, err
	}
	u := config.User{SubjectID: devUserSubject, Username: devUsername, Password: password,
		Claims: config.UserClaims{
			{Type: "name", Value: "Alice Smith"}, {Type: "given_name", Value: "Alice"}, {Type: "family_name", Value: "Smith"},
			{Type: "email", Value: "alice@example.com"}, {Type: "email_verified", Value: true},
			{Type: "website", Value: "https://alice.example.com"},
		}}
	signIn := &welcome.DevelopmentSignIn{
		Username: devUsername, PasswordFile: path,
		Scope: devSignInScopes + " " + devScope,
		State: randomText(16),
		// 32 bytes: a 43-character verifier, as RFC 7636 §4.1 recommends.
		CodeVerifier: randomText(32),
	}
	return u, signIn, nil
}

// developmentSignIn completes the development sign-in once the listening
// base URL is known (http://localhost:PORT in development): the callback at
// it, and at the same port on 127.0.0.1 and [::1], becomes the development
// client's redirect URIs, so that the URI the browser is sent back to
// matches one exactly whichever loopback name the developer opened the
// welcome page with (the issuer is each request's host in development).
// The client also gets authorization_code beside client_credentials,
// offline access, and the identity scopes.
func (s *services) developmentSignIn(base string) {
	d := s.development
	if d == nil || d.SignIn == nil {
		return
	}
	d.SignIn.Bases = loopbackBases(base)
	rec, ok := s.static.Clients[devClientID]
	if !ok {
		return
	}
	rec.GrantTypes = appendMissing(slices.Clone(rec.GrantTypes), config.GrantClientCredentials, "authorization_code")
	rec.Scopes = appendMissing(slices.Clone(rec.Scopes), strings.Fields(devSignInScopes)...)
	rec.RedirectURIs = d.SignIn.RedirectURIs()
	rec.AllowOfflineAccess = true
	rec.RequirePKCE = true
	s.static.Clients[devClientID] = rec
}

// loopbackBases is base first, then the same scheme and port on the other
// loopback names.
func loopbackBases(base string) []string {
	out := []string{strings.TrimSuffix(base, "/")}
	u, err := url.Parse(base)
	if err != nil || u.Port() == "" {
		return out
	}
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		b := u.Scheme + "://" + net.JoinHostPort(host, u.Port())
		if !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out
}

func appendMissing(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

// logSignIn prints how to sign in as the development user: the authorize
// URL (PKCE S256, its verifier kept for the callback page) and where the
// password is.
func (a *app) logSignIn(logger *slog.Logger, svc *services) {
	d := svc.development
	if d == nil || d.SignIn == nil || len(d.SignIn.Bases) == 0 {
		return
	}
	signIn := d.AuthorizeURL(d.SignIn.Bases[0], authorizePath)
	if strings.EqualFold(svc.cfg.Log.Format, "json") {
		logger.Info("sign in", "url", signIn, "username", d.SignIn.Username, "password_file", d.SignIn.PasswordFile,
			"redirect_uri", d.SignIn.RedirectURI(d.SignIn.Bases[0]))
		return
	}
	fmt.Fprintf(a.stderr, "Sign in as %s (password: cat %s) by opening in a browser:\n\n  %s\n\nThe browser comes back to %s, which shows the code and the curl that exchanges it.\n\n",
		d.SignIn.Username, d.SignIn.PasswordFile, signIn, d.SignIn.RedirectURI(d.SignIn.Bases[0]))
}

// authorizePath is the authorization endpoint's path (IdentityServer's).
const authorizePath = signin.AuthorizePath
