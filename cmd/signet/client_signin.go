package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/catalog"
	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/storage"
)

// listFlags edit a list of a client: on add, one repeatable flag; on
// update, the list replaced (--NAMEs), or items added and removed
// (--add-NAME, --remove-NAME), as the scopes are.
type listFlags struct {
	name, what        string
	set, add, remove  []string
	setFlag, addFlag  string
	removeFlag, label string
}

func (l *listFlags) register(cmd *cobra.Command, update bool) {
	fs := cmd.Flags()
	if !update {
		l.addFlag = l.name
		fs.StringArrayVar(&l.add, l.name, nil, l.what+" (repeatable)")
		return
	}
	l.setFlag, l.addFlag, l.removeFlag = l.name+"s", "add-"+l.name, "remove-"+l.name
	fs.StringArrayVar(&l.set, l.setFlag, nil, "the "+l.what+"s, replacing them (repeatable; --"+l.setFlag+"= for none)")
	fs.StringArrayVar(&l.add, l.addFlag, nil, "add a "+l.what+" (repeatable)")
	fs.StringArrayVar(&l.remove, l.removeFlag, nil, "remove a "+l.what+" (repeatable)")
}

func (l *listFlags) changed(cmd *cobra.Command) bool {
	return (l.setFlag != "" && cmd.Flags().Changed(l.setFlag)) || len(l.add) > 0 || len(l.remove) > 0
}

// apply edits list as the flags say.
func (l *listFlags) apply(cmd *cobra.Command, owner string, list []string) ([]string, error) {
	if l.setFlag != "" && cmd.Flags().Changed(l.setFlag) {
		if len(l.add) > 0 || len(l.remove) > 0 {
			return nil, usagef("--%s replaces the list: give it, or --%s/--%s, not both", l.setFlag, l.addFlag, l.removeFlag)
		}
		return slices.DeleteFunc(slices.Clone(l.set), func(s string) bool { return s == "" }), nil
	}
	out := slices.Clone(list)
	for _, r := range l.remove {
		i := slices.Index(out, r)
		if i < 0 {
			return nil, fmt.Errorf("%s has no %s %q to remove (it has %s)", owner, l.label, r, orNone(out))
		}
		out = slices.Delete(out, i, i+1)
	}
	for _, a := range l.add {
		if slices.Contains(out, a) {
			if l.setFlag == "" {
				return nil, usagef("--%s %s is given twice", l.addFlag, a)
			}
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// signInFlags are a client's sign-in settings, named as IdentityServer's
// Client properties.
type signInFlags struct {
	redirect, postLogout, cors, algs listFlags

	public, requirePKCE, plainPKCE, consent, remember, offline, userClaims, mfa bool

	idLife, codeLife, absLife, slideLife string
	usage, expiration                    string
	clientURI, logoURI                   string
}

func newSignInFlags() *signInFlags {
	return &signInFlags{
		redirect:   listFlags{name: "redirect-uri", what: "redirect URI (where the browser is sent back with the code)", label: "redirect URI"},
		postLogout: listFlags{name: "post-logout-redirect-uri", what: "post-logout redirect URI", label: "post-logout redirect URI"},
		cors:       listFlags{name: "cors-origin", what: "browser origin that may call the token endpoint (https://app.example.com)", label: "CORS origin"},
		algs:       listFlags{name: "id-token-signing-alg", what: "ID token signing algorithm (RS256, PS256, ES256, ES384, ES512; default RS256)", label: "ID token signing algorithm"},
	}
}

// boolFlags are the boolean settings: flag name, field, default on add.
func (f *signInFlags) boolFlags() []struct {
	name  string
	value *bool
	def   bool
	usage string
} {
	return []struct {
		name  string
		value *bool
		def   bool
		usage string
	}{
		{"public", &f.public, false, "a public client (no secret: SPAs, native apps; IdentityServer's RequireClientSecret false), which must use PKCE"},
		{"require-pkce", &f.requirePKCE, true, "refuse authorization requests without PKCE (default true)"},
		{"allow-plain-text-pkce", &f.plainPKCE, false, "accept code_challenge_method plain (default false: S256 only)"},
		{"require-consent", &f.consent, false, "show the consent page (default false)"},
		{"allow-remember-consent", &f.remember, true, "offer \"remember my decision\" on the consent page (default true)"},
		{"allow-offline-access", &f.offline, false, "allow offline_access: refresh tokens (default false)"},
		{"always-include-user-claims-in-id-token", &f.userClaims, false, "put the user's claims in the ID token too (default false)"},
		{"require-mfa", &f.mfa, false, "users sign in with a second factor (an authenticator app); those without one set it up (default false)"},
	}
}

func (f *signInFlags) register(cmd *cobra.Command, update bool) {
	for _, l := range []*listFlags{&f.redirect, &f.postLogout, &f.cors, &f.algs} {
		l.register(cmd, update)
	}
	fs := cmd.Flags()
	for _, b := range f.boolFlags() {
		fs.BoolVar(b.value, b.name, b.def, b.usage)
	}
	fs.StringVar(&f.idLife, "identity-token-lifetime", "", "ID token lifetime: 5m, 300 (seconds) or default (5m)")
	fs.StringVar(&f.codeLife, "authorization-code-lifetime", "", "authorization code lifetime, at most 10m: 5m, 300 or default (5m)")
	fs.StringVar(&f.absLife, "absolute-refresh-token-lifetime", "", "refresh token lifetime from the login: 720h, seconds, or default (30 days)")
	fs.StringVar(&f.slideLife, "sliding-refresh-token-lifetime", "", "sliding refresh token lifetime: 360h, seconds, or default (15 days)")
	fs.StringVar(&f.usage, "refresh-token-usage", "", "OneTimeOnly (a new refresh token at each use, the default) or ReUse")
	fs.StringVar(&f.expiration, "refresh-token-expiration", "", "Absolute (the default) or Sliding")
	fs.StringVar(&f.clientURI, "client-uri", "", "the application's home page, shown on the consent page (https URL)")
	fs.StringVar(&f.logoURI, "logo-uri", "", "the application's logo, shown on the consent page (https URL)")
}

var signInFlagNames = []string{"public", "require-pkce", "allow-plain-text-pkce", "require-consent", "allow-remember-consent",
	"allow-offline-access", "always-include-user-claims-in-id-token", "require-mfa", "identity-token-lifetime", "authorization-code-lifetime",
	"absolute-refresh-token-lifetime", "sliding-refresh-token-lifetime", "refresh-token-usage", "refresh-token-expiration",
	"client-uri", "logo-uri"}

// changed reports whether any sign-in flag was given.
func (f *signInFlags) changed(cmd *cobra.Command) bool {
	for _, l := range []*listFlags{&f.redirect, &f.postLogout, &f.cors, &f.algs} {
		if l.changed(cmd) {
			return true
		}
	}
	return slices.ContainsFunc(signInFlagNames, cmd.Flags().Changed)
}

// apply writes the flags given into cl: on add (adding) every setting,
// its default when its flag is not given; on update only those given.
func (f *signInFlags) apply(cmd *cobra.Command, cl *storage.Client, adding bool) error {
	changed := cmd.Flags().Changed
	owner := fmt.Sprintf("client %q", cl.ID)
	var err error
	if cl.RedirectURIs, err = f.redirect.apply(cmd, owner, cl.RedirectURIs); err != nil {
		return err
	}
	if cl.PostLogoutRedirectURIs, err = f.postLogout.apply(cmd, owner, cl.PostLogoutRedirectURIs); err != nil {
		return err
	}
	if cl.CORSOrigins, err = f.cors.apply(cmd, owner, cl.CORSOrigins); err != nil {
		return err
	}
	for _, o := range cl.CORSOrigins {
		if msg := config.CheckOrigin(o); msg != "" {
			return usagef("--%s: %s", f.cors.addFlag, msg)
		}
	}
	algs := f.algs
	for _, list := range []*[]string{&algs.set, &algs.add, &algs.remove} {
		for i, a := range *list {
			if a == "" {
				continue
			}
			canonical, err := catalog.CanonicalAlgorithm(a)
			if err != nil {
				return badValue("--"+f.algs.name, err)
			}
			(*list)[i] = canonical
		}
	}
	if cl.AllowedIdentityTokenSigningAlgorithms, err = algs.apply(cmd, owner, cl.AllowedIdentityTokenSigningAlgorithms); err != nil {
		return err
	}
	fields := map[string]*bool{
		"public": &cl.Public, "require-pkce": &cl.RequirePKCE, "allow-plain-text-pkce": &cl.AllowPlainTextPKCE,
		"require-consent": &cl.RequireConsent, "allow-remember-consent": &cl.AllowRememberConsent,
		"allow-offline-access": &cl.AllowOfflineAccess, "always-include-user-claims-in-id-token": &cl.AlwaysIncludeUserClaimsInIdToken,
		"require-mfa": &cl.RequireMfa,
	}
	for _, b := range f.boolFlags() {
		if adding || changed(b.name) {
			*fields[b.name] = *b.value
		}
	}
	for _, l := range []struct {
		flag  string
		value string
		field *time.Duration
		max   time.Duration
	}{
		{"identity-token-lifetime", f.idLife, &cl.IdentityTokenLifetime, 24 * time.Hour},
		{"authorization-code-lifetime", f.codeLife, &cl.AuthorizationCodeLifetime, 10 * time.Minute},
		{"absolute-refresh-token-lifetime", f.absLife, &cl.AbsoluteRefreshTokenLifetime, 0},
		{"sliding-refresh-token-lifetime", f.slideLife, &cl.SlidingRefreshTokenLifetime, 0},
	} {
		if !changed(l.flag) {
			continue
		}
		d, err := parseSignInLifetime(l.flag, l.value, l.max)
		if err != nil {
			return err
		}
		*l.field = d
	}
	if changed("refresh-token-usage") {
		if cl.RefreshTokenUsage, err = catalog.CanonicalRefreshTokenUsage(f.usage); err != nil {
			return badValue("--refresh-token-usage", err)
		}
	}
	if changed("refresh-token-expiration") {
		if cl.RefreshTokenExpiration, err = catalog.CanonicalRefreshTokenExpiration(f.expiration); err != nil {
			return badValue("--refresh-token-expiration", err)
		}
	}
	if changed("client-uri") {
		cl.ClientURI = f.clientURI
	}
	if changed("logo-uri") {
		cl.LogoURI = f.logoURI
	}
	return nil
}

// parseSignInLifetime reads a lifetime flag: default (or 0), whole
// seconds, or a Go duration of whole seconds, positive and at most max
// (0: no bound).
func parseSignInLifetime(flag, s string, max time.Duration) (time.Duration, error) {
	if s == "default" || s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if n, nerr := strconv.ParseInt(s, 10, 64); nerr == nil {
		d, err = time.Duration(n)*time.Second, nil
	}
	switch {
	case err != nil:
		return 0, usagef("--%s %q: give a duration such as 5m or 720h, seconds such as 300, or default", flag, s)
	case d < time.Second || d%time.Second != 0:
		return 0, usagef("--%s %s: give a positive whole number of seconds, or default", flag, s)
	case max > 0 && d > max:
		return 0, usagef("--%s %s: give at most %s", flag, s, max)
	}
	return d, nil
}

// signInLines are what show prints of a client's sign-in settings.
func (v clientView) signInLines() [][2]string {
	yes := func(b bool) string { return strconv.FormatBool(b) }
	life := func(secs int64) string { return (time.Duration(secs) * time.Second).String() }
	return [][2]string{
		{"Public", yes(v.Public)},
		{"Redirect URIs", orNone(v.RedirectURIs)},
		{"Post-logout URIs", orNone(v.PostLogoutRedirectURIs)},
		{"CORS origins", orNone(v.AllowedCorsOrigins)},
		{"Require PKCE", yes(v.RequirePkce) + plainNote(v.AllowPlainTextPkce)},
		{"Consent", fmt.Sprintf("required %s, remember %s", yes(v.RequireConsent), yes(v.AllowRememberConsent))},
		{"Offline access", yes(v.AllowOfflineAccess)},
		{"User claims in ID token", yes(v.AlwaysIncludeUserClaimsInIdToken)},
		{"Require MFA", yes(v.RequireMfa)},
		{"ID token", fmt.Sprintf("%s, %s", life(v.IdentityTokenLifetime), strings.Join(v.AllowedIdentityTokenSigningAlgorithms, " "))},
		{"Code lifetime", life(v.AuthorizationCodeLifetime)},
		{"Refresh tokens", fmt.Sprintf("%s, %s (absolute %s, sliding %s)", v.RefreshTokenUsage, v.RefreshTokenExpiration, life(v.AbsoluteRefreshTokenLifetime), life(v.SlidingRefreshTokenLifetime))},
		{"Client URI", orDash(v.ClientURI)},
		{"Logo URI", orDash(v.LogoURI)},
	}
}

func plainNote(plain bool) string {
	if plain {
		return " (plain allowed)"
	}
	return " (S256)"
}
