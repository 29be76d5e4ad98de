package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/testsupport/browsertest"
)

// The OpenID Foundation's Basic OP and Config OP certification plans
// (oidcc-basic-certification-test-plan, oidcc-config-certification-test-plan),
// and the Basic plan again with response_mode=form_post (the form-post
// plan), one subtest per module, named after it. Each does what the
// conformance suite's module does and asserts what it asserts
// (openid-certification/conformance-suite, src/main/java/net/openid/
// conformance/openid/OIDCC*.java and the conditions they call): the test is
// the relying party and the suite's browser, which keeps cookies, reads and
// submits the real login and consent pages, and stops at the redirect to
// the relying party (or reads the form that form_post would submit). The
// suite's modules send no PKCE (but the PKCE one), so their clients set
// requirePkce: false; client_secret_basic, but for
// oidcc-server-client-secret-post. What the suite only warns about is
// logged.

const (
	confRedirect = "https://rp.example.com/cb"
	confSecret   = "rp-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
	confUser     = "alice"
	confPassword = "alice-conformance-password"
	confSubject  = "248289761001"
)

// confYAML is the configuration: an RS256 key (what a client that
// registered no algorithm gets), the suite's two clients and a user with
// every standard claim.
func confYAML(t *testing.T) string {
	client := func(id string) string {
		return `  - clientId: ` + id + `
    clientName: Conformance ` + id + `
    secrets:
      - value: ` + confSecret + `
    allowedGrantTypes: [authorization_code, refresh_token]
    allowedScopes: [openid, profile, email, address, phone, offline_access]
    redirectUris: [` + confRedirect + `]
    requirePkce: false
    allowOfflineAccess: true
`
	}
	return testRateLimits + `allowHttp: true
dataDir: data
key:
` + indent(fileKey(t, "rsa-openssl3.pfx"), "  ") + `
clients:
` + client("rp") + client("rp2") + `users:
  - subjectId: "` + confSubject + `"
    username: ` + confUser + `
    password: ` + confPassword + `
    # IdentityServer's TestUser claims, every value a string, as pasted
    # from a Config.cs: Signet gives them their JSON types.
    claims:
      - {type: name, value: Alice Liddell}
      - {type: given_name, value: Alice}
      - {type: family_name, value: Liddell}
      - {type: middle_name, value: Pleasance}
      - {type: nickname, value: Al}
      - {type: profile, value: "https://alice.example.com/"}
      - {type: picture, value: "https://alice.example.com/me.png"}
      - {type: website, value: "https://alice.example.com/blog"}
      - {type: gender, value: female}
      - {type: birthdate, value: "1852-05-04"}
      - {type: zoneinfo, value: Europe/London}
      - {type: locale, value: en-GB}
      - {type: updated_at, value: "1700000000"}
      - {type: email, value: alice@example.com}
      - {type: email_verified, value: "true", valueType: "http://www.w3.org/2001/XMLSchema#boolean"}
      - {type: phone_number, value: "+44 1865 270000"}
      - {type: phone_number_verified, value: "false"}
      - type: address
        value: '{"street_address": "Christ Church", "locality": "Oxford", "postal_code": "OX1 1DP", "country": "GB"}'
        valueType: json
`
}

// confServer is the one server every module runs against.
type confServer struct {
	inst     *instance
	clk      *testsupport.Clock
	provider *oidc.Provider
	meta     map[string]any
}

func TestConformance(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	clk := testsupport.NewClock(time.Now().Truncate(time.Second))
	h.now = clk.Now
	s := &confServer{inst: h.serve(h.write("signet.yaml", confYAML(t)), ""), clk: clk}
	ctx := oidc.ClientContext(t.Context(), http.DefaultClient)
	p, err := oidc.NewProvider(ctx, s.inst.base)
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	s.provider = p
	if err := p.Claims(&s.meta); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", s.inst.logs)
		}
	})

	// The Config plan.
	t.Run("oidcc-discovery-endpoint-verification", func(t *testing.T) {
		t.Parallel()
		s.discovery(t)
	})
	// The Basic plan, then the same with response_mode=form_post.
	s.basicPlan(t, "")
	t.Run("form_post", func(t *testing.T) {
		t.Parallel()
		s.basicPlan(t, "form_post")
	})
}

// basicPlan runs the Basic plan's modules in mode ("" for the default
// response mode, or form_post).
func (s *confServer) basicPlan(t *testing.T, mode string) {
	module := func(name string, f func(op *opTest)) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(s.op(t, mode))
		})
	}

	module("oidcc-server", func(op *opTest) {
		res := op.happyFlow(op.request("openid"), op.basic("rp"))
		// EnsureIdTokenDoesNotContainName (a warning): user claims go to
		// userinfo, unless the client asks for them in the ID token.
		if _, ok := res.claims["name"]; ok {
			op.t.Errorf("the ID token has name; it belongs in userinfo")
		}
	})
	module("oidcc-response-type-missing", func(op *opTest) {
		req := op.request("openid")
		req.Del("response_type")
		// An error page (no redirect), or invalid_request or
		// unsupported_response_type at the redirect URI.
		p := op.b.authorize(req)
		if cb, ok := op.callback(p); ok {
			op.authorizationError(cb, req, "invalid_request", "unsupported_response_type")
			return
		}
		op.errorPage(p)
	})
	module("oidcc-idtoken-signature", func(op *opTest) {
		res := op.happyFlow(op.request("openid"), op.basic("rp"))
		// ValidateIdTokenSignature, ...UsingKid: signed (not none), by the
		// published key its kid names, with an algorithm discovery lists.
		alg := res.header.Algorithm
		if alg == "none" || !slices.Contains(stringsOf(s.meta["id_token_signing_alg_values_supported"]), alg) {
			op.t.Errorf("ID token alg %q: not one of id_token_signing_alg_values_supported %v", alg, s.meta["id_token_signing_alg_values_supported"])
		}
		if alg != "RS256" {
			op.t.Errorf("ID token alg %q, want RS256 for a client that registered none (OpenID Connect Core §2)", alg)
		}
	})
	module("oidcc-idtoken-unsigned", func(op *opTest) {
		op.t.Skip("alg none is not offered: id_token_signing_alg_values_supported has no none, and the suite skips the module then")
	})
	module("oidcc-userinfo-get", func(op *opTest) {
		res := op.happyFlow(op.request("openid"), op.basic("rp"))
		op.userinfo(res, "get")
	})
	module("oidcc-userinfo-post-header", func(op *opTest) {
		res := op.happyFlow(op.request("openid"), op.basic("rp"))
		op.userinfo(res, "post-header")
	})
	module("oidcc-userinfo-post-body", func(op *opTest) {
		res := op.happyFlow(op.request("openid"), op.basic("rp"))
		op.userinfo(res, "post-body")
	})
	module("oidcc-ensure-request-without-nonce-succeeds-for-code-flow", func(op *opTest) {
		req := op.request("openid")
		req.Del("nonce")
		res := op.happyFlow(req, op.basic("rp"))
		if _, ok := res.claims["nonce"]; ok {
			op.t.Errorf("the ID token has a nonce, but the request had none: %v", res.claims["nonce"])
		}
	})
	scopeModule := func(name, scope string, claims ...string) {
		module(name, func(op *opTest) {
			// OIDCCCheckScopesSupportedContainScopeTest: the suite skips
			// the module for a scope discovery does not list.
			for _, sc := range strings.Fields(scope) {
				if !slices.Contains(stringsOf(s.meta["scopes_supported"]), sc) {
					op.t.Errorf("scopes_supported %v has no %s", s.meta["scopes_supported"], sc)
				}
			}
			res := op.happyFlow(op.request(scope), op.basic("rp"))
			// The scope must be granted (the token response's scope, when
			// given, names it) and its claims returned (a warning in the
			// suite when they are not; the user has them all).
			if sc, ok := res.token["scope"].(string); ok {
				for _, want := range strings.Fields(scope) {
					if !slices.Contains(strings.Fields(sc), want) {
						op.t.Errorf("scope %q not granted: token response scope %q", want, sc)
					}
				}
			}
			info := op.userinfo(res, "get")
			for _, c := range claims {
				if _, ok := info[c]; !ok {
					op.t.Errorf("userinfo has no %s for scope %s: %v", c, scope, info)
				}
			}
		})
	}
	profile := []string{"name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"}
	scopeModule("oidcc-scope-profile", "openid profile", profile...)
	scopeModule("oidcc-scope-email", "openid email", "email", "email_verified")
	scopeModule("oidcc-scope-address", "openid address", "address")
	scopeModule("oidcc-scope-phone", "openid phone", "phone_number", "phone_number_verified")
	scopeModule("oidcc-scope-all", "openid profile email address phone", append(profile, "email", "email_verified", "address", "phone_number", "phone_number_verified")...)
	scopeModule("oidcc-ensure-other-scope-order-succeeds", "email openid", "email")
	module("oidcc-alternate-happy-flow", func(op *opTest) {
		// oidcc-scope-email with the scope reversed and the query's
		// parameters in another order (RFC 6749 §3.3: order does not
		// matter).
		req := op.request("email openid")
		keys := []string{"state", "scope", "redirect_uri", "nonce", "response_type", "response_mode", "client_id"}
		var q []string
		for _, k := range keys {
			if req.Has(k) {
				q = append(q, url.QueryEscape(k)+"="+url.QueryEscape(req.Get(k)))
			}
		}
		p := op.b.get("/connect/authorize?" + strings.Join(q, "&"))
		res := op.finish(req, op.b.interact(p, wantAny), op.basic("rp"))
		if info := op.userinfo(res, "get"); info["email"] == nil {
			op.t.Errorf("userinfo has no email for scope email openid: %v", info)
		}
	})
	extraParam := func(name string, params ...string) {
		module(name, func(op *opTest) {
			req := op.request("openid")
			for i := 0; i+1 < len(params); i += 2 {
				req.Set(params[i], params[i+1])
			}
			op.happyFlow(req, op.basic("rp"))
		})
	}
	extraParam("oidcc-display-page", "display", "page")
	extraParam("oidcc-display-popup", "display", "popup")
	extraParam("oidcc-ensure-request-with-unknown-parameter-succeeds", "extra", "foobar")
	extraParam("oidcc-ui-locales", "ui_locales", "se")
	extraParam("oidcc-claims-locales", "claims_locales", "se")
	// ValidateIdTokenACRClaimAgainstRequest: acr_values are voluntary
	// here, so an acr in the ID token need not be one of them.
	extraParam("oidcc-ensure-request-with-acr-values-succeeds", "acr_values", "1 2")

	module("oidcc-prompt-login", func(op *opTest) {
		first := op.happyFlow(op.request("openid"), op.basic("rp"))
		// auth_time is in seconds: a second login in the same second has
		// the same one.
		s.clk.Advance(2 * time.Second)
		req := op.request("openid")
		req.Set("prompt", "login")
		second := op.flow(req, op.basic("rp"), wantLogin)
		// CheckIdTokenAuthTimeClaimsDifferIfPresent.
		if authTime(op.t, first) == authTime(op.t, second) {
			op.t.Errorf("prompt=login: auth_time %v both times; the second login is a new authentication", first.claims["auth_time"])
		}
	})
	module("oidcc-prompt-none-not-logged-in", func(op *opTest) {
		req := op.request("openid")
		req.Set("state", strings.Repeat("s", 128)) // the suite's long state, returned unchanged
		req.Set("prompt", "none")
		cb, ok := op.callback(op.b.authorize(req))
		if !ok {
			op.t.Fatal("prompt=none without a session did not return to the client")
		}
		// CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface.
		op.authorizationError(cb, req, "login_required", "interaction_required", "account_selection_required", "consent_required")
	})
	sameAuthTwice := func(name, firstMaxAge string, second func(req url.Values, first *flowResult)) {
		module(name, func(op *opTest) {
			req := op.request("openid")
			if firstMaxAge != "" {
				req.Set("max_age", firstMaxAge)
			}
			first := op.happyFlow(req, op.basic("rp"))
			s.clk.Advance(time.Second)
			req = op.request("openid")
			second(req, first)
			res := op.flow(req, op.basic("rp"), wantNoLogin)
			// CheckIdTokenAuthTimeClaimsSameIfPresent,
			// CheckIdTokenSubConsistentForSecondAuthorization.
			if authTime(op.t, first) != authTime(op.t, res) {
				op.t.Errorf("auth_time %v then %v: the same authentication", first.claims["auth_time"], res.claims["auth_time"])
			}
			if first.claims["sub"] != res.claims["sub"] {
				op.t.Errorf("sub %v then %v", first.claims["sub"], res.claims["sub"])
			}
		})
	}
	sameAuthTwice("oidcc-prompt-none-logged-in", "", func(req url.Values, _ *flowResult) { req.Set("prompt", "none") })
	// The first request has max_age=15000, so that auth_time must be in
	// both ID tokens (CheckIdTokenAuthTimeClaimPresentDueToMaxAge).
	sameAuthTwice("oidcc-max-age-10000", "15000", func(req url.Values, _ *flowResult) { req.Set("max_age", "10000") })
	sameAuthTwice("oidcc-id-token-hint", "", func(req url.Values, first *flowResult) {
		req.Set("prompt", "none")
		req.Set("id_token_hint", first.rawIDToken)
	})
	module("oidcc-max-age-1", func(op *opTest) {
		first := op.happyFlow(op.request("openid"), op.basic("rp"))
		s.clk.Advance(2 * time.Second) // WaitFor2Seconds
		req := op.request("openid")
		req.Set("max_age", "1")
		second := op.flow(req, op.basic("rp"), wantLogin) // ExpectSecondLoginPage
		// CheckIdTokenAuthTimeClaimPresentDueToMaxAge,
		// CheckSecondIdTokenAuthTimeIsLaterIfPresent,
		// CheckIdTokenAuthTimeIsRecentIfPresent.
		at := authTime(op.t, second)
		if at <= authTime(op.t, first) {
			op.t.Errorf("max_age=1: auth_time %d is not later than the first login's %d", at, authTime(op.t, first))
		}
		if d := s.clk.Now().Sub(time.Unix(at, 0)); d < 0 || d > 5*time.Minute {
			op.t.Errorf("max_age=1: auth_time %d is not recent (now %d)", at, s.clk.Now().Unix())
		}
	})
	module("oidcc-login-hint", func(op *opTest) {
		req := op.request("openid")
		req.Set("login_hint", confUser)
		p := op.b.authorize(req)
		if p.URL.Path != "/account/login" {
			op.t.Fatalf("at %s, want the login page", p.URL)
		}
		if f := onlyConfForm(op.t, p); f.Value("username") != confUser {
			op.t.Errorf("login_hint=%s: the username field has %q", confUser, f.Value("username"))
		}
		op.finish(req, op.b.interact(p, wantLogin), op.basic("rp"))
	})
	codeReuse := func(name string, wait time.Duration) {
		module(name, func(op *opTest) {
			req := op.request("openid")
			cb := op.authorizeOK(req, wantAny)
			auth := op.basic("rp")
			res := op.exchange(req, cb, auth)
			if wait > 0 {
				s.clk.Advance(wait) // WaitFor30Seconds
			}
			status, header, body := op.tokenRequest(auth, url.Values{"grant_type": {"authorization_code"}, "code": {cb.Get("code")}, "redirect_uri": {confRedirect}})
			op.tokenError(status, header, body, "invalid_grant")
			if wait > 0 {
				// CallProtectedResourceWithBearerTokenExpectingError is a
				// warning: Signet's access tokens are JWTs, valid until
				// they expire; the refresh tokens of the first exchange
				// are what the reuse revokes.
				if code, _ := op.userinfoStatus(res.accessToken); code == http.StatusOK {
					op.t.Logf("suite warning (RFC 6749 §4.1.2 SHOULD): the first exchange's access token still works at userinfo after the code was reused")
				}
			}
		})
	}
	codeReuse("oidcc-codereuse", 0)
	codeReuse("oidcc-codereuse-30seconds", 30*time.Second)
	module("oidcc-ensure-registered-redirect-uri", func(op *opTest) {
		req := op.request("openid")
		req.Set("redirect_uri", "https://rp.example.com/cb/"+fmt.Sprint(time.Now().UnixNano()))
		op.errorPage(op.b.authorize(req)) // ExpectRedirectUriErrorPage
	})
	module("oidcc-ensure-post-request-succeeds", func(op *opTest) {
		req := op.request("openid")
		p := op.b.post("/connect/authorize", req)
		op.finish(req, op.b.interact(p, wantAny), op.basic("rp"))
	})
	module("oidcc-server-client-secret-post", func(op *opTest) {
		op.happyFlow(op.request("openid"), op.post("rp"))
	})
	module("oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported", func(op *opTest) {
		req := op.request("openid")
		obj := unsignedRequestObject(req, s.inst.base)
		// by reference: the suite serves the object; any URL will do,
		// since Signet fetches none.
		q := url.Values{"client_id": {"rp"}, "response_type": {"code"}, "scope": {"openid"}, "redirect_uri": {confRedirect},
			"request_uri": {"https://rp.example.com/request/" + obj[:8]}}
		if mode != "" {
			q.Set("response_mode", mode)
		}
		cb, ok := op.callback(op.b.authorize(q))
		if !ok {
			op.t.Fatal("request_uri: no response at the redirect URI")
		}
		// request_uri_not_supported lets the suite skip the rest; state
		// was only in the object, so it is not expected back.
		if cb.Get("error") != "request_uri_not_supported" {
			op.t.Fatalf("request_uri: got %v, want request_uri_not_supported (request_uri_parameter_supported is false)", cb)
		}
		op.errorCommon(cb)
	})
	module("oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported", func(op *opTest) {
		req := op.request("openid")
		q := url.Values{"client_id": {"rp"}, "response_type": {"code"}, "scope": {"openid"}, "redirect_uri": {confRedirect},
			"request": {unsignedRequestObject(req, s.inst.base)}}
		if mode != "" {
			q.Set("response_mode", mode)
		}
		cb, ok := op.callback(op.b.authorize(q))
		if !ok {
			op.t.Fatal("request: no response at the redirect URI")
		}
		if cb.Get("error") != "request_not_supported" {
			op.t.Fatalf("request: got %v, want request_not_supported (request_parameter_supported is false)", cb)
		}
		op.errorCommon(cb)
	})
	module("oidcc-claims-essential", func(op *opTest) {
		req := op.request("openid")
		req.Set("claims", `{"userinfo":{"name":{"essential":true}}}`)
		res := op.happyFlow(req, op.basic("rp"))
		info := op.userinfo(res, "get")
		// EnsureUserInfoContainsName is a warning: claims_parameter_supported
		// is false, so only the scopes decide; openid alone has no name.
		if _, ok := info["name"]; !ok {
			op.t.Logf("suite warning: userinfo has no name (the claims parameter is accepted, not applied)")
		}
		if _, ok := res.claims["name"]; ok {
			op.t.Errorf("the ID token has name; it was asked for in userinfo")
		}
	})
	module("oidcc-ensure-request-object-with-redirect-uri", func(op *opTest) {
		req := op.request("openid")
		obj := unsignedRequestObject(req, s.inst.base)
		q := url.Values{"client_id": {"rp"}, "response_type": {"code"}, "scope": {"openid"},
			"redirect_uri": {"https://rp.example.com/invalid"}, "request": {obj}}
		if mode != "" {
			q.Set("response_mode", mode)
		}
		// Signet does not read request objects, so the redirect_uri is the
		// unregistered one: an error page, never a redirect (to either).
		op.errorPage(op.b.authorize(q))
	})
	module("oidcc-refresh-token", func(op *opTest) {
		var refreshTokens []string
		for _, id := range []string{"rp", "rp2"} {
			req := op.request("openid offline_access")
			// AddPromptConsentToAuthorizationEndpointRequestIfScopeContainsOfflineAccess
			req.Set("prompt", "consent")
			res := op.flow(req, op.basic(id), wantConsent)
			if res.refreshToken == "" {
				op.t.Fatalf("%s: no refresh token for offline_access with allowOfflineAccess", id)
			}
			// AddScopeToTokenEndpointRequest for the first client only.
			scope := "openid offline_access"
			if id == "rp2" {
				scope = ""
			}
			refreshTokens = append(refreshTokens, op.refresh(res, op.basic(id), scope))
		}
		// RefreshTokenRequestExpectingErrorSteps: rp2's refresh token,
		// presented by rp.
		status, header, body := op.tokenRequest(op.basic("rp"), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshTokens[1]}})
		op.tokenError(status, header, body, "invalid_grant")
	})
	module("oidcc-ensure-request-with-valid-pkce-succeeds", func(op *opTest) {
		req := op.request("openid")
		verifier := oauth2.GenerateVerifier()
		req.Set("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))
		req.Set("code_challenge_method", "S256")
		cb := op.authorizeOK(req, wantAny)
		op.exchangeWith(req, cb, op.basic("rp"), url.Values{"code_verifier": {verifier}})
	})
}

// stringsOf reads a JSON array of strings.
func stringsOf(v any) []string {
	a, _ := v.([]any)
	out := make([]string, 0, len(a))
	for _, e := range a {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// unsignedRequestObject is req as an unsigned request object (alg none),
// with iss and aud as the suite adds them.
func unsignedRequestObject(req url.Values, aud string) string {
	claims := map[string]any{"iss": req.Get("client_id"), "aud": aud}
	for k := range req {
		claims[k] = req.Get(k)
	}
	head, _ := json.Marshal(map[string]string{"alg": "none"})
	body, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	return enc(head) + "." + enc(body) + "."
}

// discovery is oidcc-discovery-endpoint-verification.
func (s *confServer) discovery(t *testing.T) {
	resp, err := http.Get(s.inst.base + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	// EnsureDiscoveryEndpointResponseStatusCodeIs200,
	// CheckDiscoveryEndpointReturnedJsonContentType.
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery: %s", resp.Status)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		t.Errorf("discovery Content-Type %q", resp.Header.Get("Content-Type"))
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("discovery is not a JSON object: %v", err)
	}
	str := func(k string) string { v, _ := m[k].(string); return v }
	// OIDCCCheckDiscEndpointResponseTypesSupported: code, for the Basic
	// profile.
	if !slices.Contains(stringsOf(m["response_types_supported"]), "code") {
		t.Errorf("response_types_supported %v has no code", m["response_types_supported"])
	}
	// CheckDiscEndpointIssuer, CheckDiscEndpointIssuerIsValidUrl.
	iss, err := url.Parse(str("issuer"))
	if str("issuer") != s.inst.base || err != nil || iss.RawQuery != "" || iss.Fragment != "" {
		t.Errorf("issuer %q, want %q, a URL without query or fragment", str("issuer"), s.inst.base)
	}
	// CheckDiscEndpointSubjectTypesSupported.
	st := stringsOf(m["subject_types_supported"])
	if len(st) == 0 {
		t.Errorf("subject_types_supported %v", m["subject_types_supported"])
	}
	for _, v := range st {
		if v != "public" && v != "pairwise" {
			t.Errorf("subject_types_supported has %q", v)
		}
	}
	// OIDCCCheckDiscEndpointIdTokenSigningAlgValuesSupported: RS256 in
	// it, none not needed.
	if !slices.Contains(stringsOf(m["id_token_signing_alg_values_supported"]), "RS256") {
		t.Errorf("id_token_signing_alg_values_supported %v has no RS256", m["id_token_signing_alg_values_supported"])
	}
	// The endpoints: authorization, token, userinfo, jwks_uri; no
	// registration endpoint. CheckDiscEndpointAllEndpointsAreHttps holds
	// for an https issuer; this one is plain http, so every endpoint is
	// checked to be under the issuer, in its scheme.
	for _, k := range []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint"} {
		if !strings.HasPrefix(str(k), s.inst.base+"/") {
			t.Errorf("%s %q is not under the issuer", k, str(k))
		}
	}
	for k, v := range m {
		if e, ok := v.(string); ok && strings.HasSuffix(k, "_endpoint") && !strings.HasPrefix(e, s.inst.base+"/") {
			t.Errorf("%s %q is not under the issuer", k, e)
		}
	}
	if _, ok := m["registration_endpoint"]; ok {
		t.Errorf("registration_endpoint listed, but Signet has no dynamic registration")
	}
	// CheckJwksUri, FetchServerKeys, ValidateServerJWKs,
	// EnsureServerJwksDoesNotContainPrivateOrSymmetricKeys.
	// AbstractValidateJWKs: kty, the public members in unpadded base64url
	// (go-jose, reading the set, checks that an x5c matches the key).
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(s.inst.get("/.well-known/openid-configuration/jwks"), &raw); err != nil {
		t.Fatalf("the JWKS: %v", err)
	}
	b64url := regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	for _, k := range raw.Keys {
		members := map[string][]string{"RSA": {"n", "e"}, "EC": {"x", "y"}}[fmt.Sprint(k["kty"])]
		if members == nil {
			t.Errorf("JWKS key %v: kty %v", k["kid"], k["kty"])
		}
		for _, m := range members {
			if v, _ := k[m].(string); !b64url.MatchString(v) {
				t.Errorf("JWKS key %v: %s %q is not unpadded base64url", k["kid"], m, v)
			}
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := k[private]; ok {
				t.Errorf("JWKS key %v has the private member %s", k["kid"], private)
			}
		}
	}
	set := s.inst.jwks()
	if len(set.Keys) == 0 {
		t.Fatal("the JWKS is empty")
	}
	kids := map[string]bool{}
	for _, k := range set.Keys {
		if !k.IsPublic() || !k.Valid() {
			t.Errorf("JWKS key %q is not a valid public key", k.KeyID)
		}
		if k.KeyID == "" || kids[k.KeyID] {
			t.Errorf("JWKS key id %q empty or repeated", k.KeyID)
		}
		kids[k.KeyID] = true
	}
	// request and request_uri parameters: false, so the suite skips the
	// request object modules when Signet says request_not_supported.
	for _, k := range []string{"request_parameter_supported", "request_uri_parameter_supported", "claims_parameter_supported"} {
		if v, ok := m[k]; ok && v != false {
			t.Errorf("%s = %v, want false", k, v)
		}
	}
	if _, ok := m["request_object_signing_alg_values_supported"]; ok {
		t.Errorf("request_object_signing_alg_values_supported listed, but request objects are not read")
	}
	// OIDCCCheckDiscEndpointClaimsSupported (a warning): present, with sub.
	if !slices.Contains(stringsOf(m["claims_supported"]), "sub") {
		t.Errorf("claims_supported %v has no sub", m["claims_supported"])
	}
	// OIDCCCheckDiscEndpointGrantTypesSupported: a non-empty array.
	if gt := stringsOf(m["grant_types_supported"]); !slices.Contains(gt, "authorization_code") || !slices.Contains(gt, "refresh_token") {
		t.Errorf("grant_types_supported %v", m["grant_types_supported"])
	}
	// CheckDiscEndpointScopesSupportedContainsOpenId, ...Syntax (RFC 6749
	// §3.3 scope-token).
	scopes := stringsOf(m["scopes_supported"])
	if !slices.Contains(scopes, "openid") {
		t.Errorf("scopes_supported %v has no openid", scopes)
	}
	scopeToken := regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+$`)
	for _, sc := range scopes {
		if !scopeToken.MatchString(sc) {
			t.Errorf("scopes_supported has %q, not a scope-token", sc)
		}
	}
	// CheckDiscEndpointLocalesSyntax: BCP 47 tags, if listed.
	for _, k := range []string{"ui_locales_supported", "claims_locales_supported"} {
		for _, l := range stringsOf(m[k]) {
			if !regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`).MatchString(l) {
				t.Errorf("%s has %q", k, l)
			}
		}
	}
	// EnsureServerConfigurationCodeChallengeMethodsSupportedIsAnArray.
	if _, ok := m["code_challenge_methods_supported"].([]any); !ok {
		t.Errorf("code_challenge_methods_supported %v is not an array", m["code_challenge_methods_supported"])
	}
	// EnsureServerConfigurationSupportsClientSecretBasic, ...Post.
	for _, want := range []string{"client_secret_basic", "client_secret_post"} {
		if !slices.Contains(stringsOf(m["token_endpoint_auth_methods_supported"]), want) {
			t.Errorf("token_endpoint_auth_methods_supported %v has no %s", m["token_endpoint_auth_methods_supported"], want)
		}
	}
	// form_post for the form-post plan; RFC 9207's iss.
	if !slices.Contains(stringsOf(m["response_modes_supported"]), "form_post") {
		t.Errorf("response_modes_supported %v has no form_post", m["response_modes_supported"])
	}
	if m["authorization_response_iss_parameter_supported"] != true {
		t.Errorf("authorization_response_iss_parameter_supported %v", m["authorization_response_iss_parameter_supported"])
	}
}

// opTest is one module's run: the suite's browser and relying party.
type opTest struct {
	t    *testing.T
	s    *confServer
	mode string
	b    *confBrowser
}

func (s *confServer) op(t *testing.T, mode string) *opTest {
	return &opTest{t: t, s: s, mode: mode, b: newConfBrowser(t, s.inst.base)}
}

// request is the suite's authorization request: response_type code,
// state and nonce random, scope as given.
func (op *opTest) request(scope string) url.Values {
	q := url.Values{
		"client_id": {"rp"}, "response_type": {"code"}, "scope": {scope}, "redirect_uri": {confRedirect},
		"state": {oauth2.GenerateVerifier()[:20]}, "nonce": {oauth2.GenerateVerifier()[:20]},
	}
	if op.mode != "" {
		q.Set("response_mode", op.mode)
	}
	return q
}

// clientAuth is how the relying party authenticates at the token endpoint.
type clientAuth struct {
	id   string
	post bool
}

func (op *opTest) basic(id string) clientAuth { return clientAuth{id: id} }
func (op *opTest) post(id string) clientAuth  { return clientAuth{id: id, post: true} }

// interaction is what the browser must meet on the way to the client.
type interaction int

const (
	wantAny     interaction = iota // whatever the server asks (log in, consent)
	wantLogin                      // a login page must be shown
	wantNoLogin                    // no page at all: the session answers
	wantConsent                    // a consent page must be shown
)

// flowResult is what a successful flow gives the relying party.
type flowResult struct {
	token        map[string]any
	accessToken  string
	refreshToken string
	rawIDToken   string
	idToken      *oidc.IDToken
	claims       map[string]any
	header       jose.Header
}

// happyFlow is the suite's flow: authorize (logging in and consenting as
// needed), the code at the token endpoint, the ID token checked.
func (op *opTest) happyFlow(req url.Values, auth clientAuth) *flowResult {
	return op.flow(req, auth, wantAny)
}

func (op *opTest) flow(req url.Values, auth clientAuth, want interaction) *flowResult {
	op.t.Helper()
	req.Set("client_id", auth.id)
	return op.exchange(req, op.authorizeOK(req, want), auth)
}

// finish completes a flow whose authorization response p delivers.
func (op *opTest) finish(req url.Values, p *confPage, auth clientAuth) *flowResult {
	op.t.Helper()
	cb := op.response(p)
	op.authorizationOK(cb, req)
	return op.exchange(req, cb, auth)
}

// authorizeOK sends req through the browser and returns the successful
// authorization response.
func (op *opTest) authorizeOK(req url.Values, want interaction) url.Values {
	op.t.Helper()
	cb := op.response(op.b.interact(op.b.authorize(req), want))
	op.authorizationOK(cb, req)
	return cb
}

// authorizationOK is onAuthorizationCallbackResponse of a success:
// CheckMatchingCallbackParameters, ValidateIssIfPresentInAuthorizationResponse,
// CheckIfAuthorizationEndpointError, CheckStateInAuthorizationResponse,
// ExtractAuthorizationCodeFromAuthorizationResponse, and (oidcc-server)
// EnsureMinimumAuthorizationCodeLength and ...Entropy.
func (op *opTest) authorizationOK(cb, req url.Values) {
	op.t.Helper()
	if e := cb.Get("error"); e != "" {
		op.t.Fatalf("authorization error %s: %s", e, cb.Get("error_description"))
	}
	if cb.Get("state") != req.Get("state") {
		op.t.Errorf("state %q, want %q as sent", cb.Get("state"), req.Get("state"))
	}
	if iss := cb.Get("iss"); iss != "" && iss != op.s.inst.base {
		op.t.Errorf("iss %q, want the issuer %q (RFC 9207)", iss, op.s.inst.base)
	}
	code := cb.Get("code")
	// 256 random bits, base64url: at least 43 characters.
	if len(code) < 43 {
		op.t.Errorf("code %q: shorter than 256 bits", code)
	}
	for _, k := range []string{"id_token", "access_token"} {
		if cb.Has(k) {
			op.t.Errorf("response_type=code returned %s at the authorization endpoint", k)
		}
	}
}

// errorCommon is performGenericAuthorizationEndpointErrorResponseValidation
// without the state (some errors come before it is read).
func (op *opTest) errorCommon(cb url.Values) {
	op.t.Helper()
	if iss := cb.Get("iss"); iss != "" && iss != op.s.inst.base {
		op.t.Errorf("error response iss %q, want %q", iss, op.s.inst.base)
	}
	if cb.Has("code") {
		op.t.Errorf("an error response with a code: %v", cb)
	}
	for k := range cb {
		if !slices.Contains([]string{"error", "error_description", "error_uri", "state", "iss", "session_state"}, k) {
			op.t.Errorf("unexpected parameter %q in the error response (a warning in the suite)", k)
		}
	}
	checkErrorText(op.t, "error_description", cb.Get("error_description"))
	if u := cb.Get("error_uri"); u != "" {
		if _, err := url.ParseRequestURI(u); err != nil {
			op.t.Errorf("error_uri %q: %v", u, err)
		}
	}
}

// authorizationError checks an authorization error response: state back,
// and an error among want.
func (op *opTest) authorizationError(cb, req url.Values, want ...string) {
	op.t.Helper()
	if !slices.Contains(want, cb.Get("error")) {
		op.t.Errorf("error %q (%s), want one of %v", cb.Get("error"), cb.Get("error_description"), want)
	}
	if s := req.Get("state"); s != "" && cb.Get("state") != s {
		op.t.Errorf("error response state %q, want %q", cb.Get("state"), s)
	}
	op.errorCommon(cb)
}

// checkErrorText is ValidateErrorDescriptionFrom...ResponseError: RFC 6749
// §4.1.2.1 and §5.2 allow only %x20-21 / %x23-5B / %x5D-7E (no quote, no
// backslash, ASCII).
func checkErrorText(t *testing.T, name, s string) {
	t.Helper()
	for _, r := range s {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			t.Errorf("%s %q has %q, which RFC 6749 does not allow there", name, s, r)
			return
		}
	}
}

// errorPage is Expect...ErrorPage: the server shows an error and does not
// send the browser anywhere (least of all to the client).
func (op *opTest) errorPage(p *confPage) {
	op.t.Helper()
	if loc := p.Header.Get("Location"); loc != "" {
		op.t.Fatalf("redirected to %s; want an error page", loc)
	}
	if p.Status < 400 {
		op.t.Errorf("error page status %d", p.Status)
	}
	if fs := browsertest.Forms(p.Body); len(fs) > 0 && strings.HasPrefix(fs[0].Action, "https://rp.example.com") {
		op.t.Fatalf("the error page posts to the client: %s", fs[0].Action)
	}
	if !strings.Contains(strings.ToLower(p.Body), "redirect") && !strings.Contains(p.Body, "response_type") {
		op.t.Errorf("the error page does not say what is wrong:\n%s", cutBody(p.Body))
	}
}

// response is callback, which must find the response.
func (op *opTest) response(p *confPage) url.Values {
	op.t.Helper()
	cb, ok := op.callback(p)
	if !ok {
		op.t.Fatalf("no authorization response at %s (status %d):\n%s", p.URL, p.Status, cutBody(p.Body))
	}
	return cb
}

// callback reads the authorization response that p delivers to the
// client: a redirect's query, or the form that form_post submits. For
// form_post it also checks CheckCallbackHttpMethodIsPost and
// RejectAuthCodeInUrlQuery / RejectErrorInUrlQuery.
func (op *opTest) callback(p *confPage) (url.Values, bool) {
	op.t.Helper()
	if loc := p.Header.Get("Location"); loc != "" && strings.HasPrefix(loc, confRedirect) {
		u, err := url.Parse(loc)
		if err != nil {
			op.t.Fatal(err)
		}
		if u.Fragment != "" {
			op.t.Errorf("response in the fragment: %s", loc)
		}
		if op.mode == "form_post" {
			op.t.Errorf("response_mode=form_post answered by a redirect: %s", loc)
		}
		if got := u.Scheme + "://" + u.Host + u.Path; got != confRedirect {
			op.t.Errorf("redirected to %s, want %s", got, confRedirect)
		}
		return u.Query(), true
	}
	for _, f := range browsertest.Forms(p.Body) {
		if f.Action == confRedirect {
			if f.Method != "post" {
				op.t.Errorf("form_post form method %q", f.Method)
			}
			if op.mode != "form_post" {
				op.t.Errorf("a form_post response to a request in the default (query) mode")
			}
			if p.Status != http.StatusOK {
				op.t.Errorf("form_post page status %d", p.Status)
			}
			op.checkAutoSubmit(p)
			return f.Values("", nil), true
		}
	}
	return nil, false
}

// checkAutoSubmit checks that a browser would submit the form_post page
// by itself, as the suite's browser waits for it to: its Content-Security-
// Policy lets the page's one script run (by its hash) and its form post to
// the redirect URI's origin.
func (op *opTest) checkAutoSubmit(p *confPage) {
	op.t.Helper()
	csp := p.Header.Get("Content-Security-Policy")
	scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(p.Body, -1)
	if len(scripts) != 1 {
		op.t.Fatalf("form_post page has %d inline scripts, want the one that submits it", len(scripts))
	}
	sum := sha256.Sum256([]byte(scripts[0][1]))
	if hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, "script-src "+hash) {
		op.t.Errorf("form_post CSP %q does not allow its script (%s): a browser would not submit the form", csp, hash)
	}
	if !regexp.MustCompile(`form-action [^;]*https://rp\.example\.com(;|$| )`).MatchString(csp) && strings.Contains(csp, "form-action") {
		op.t.Errorf("form_post CSP %q does not let the form post to %s", csp, confRedirect)
	}
	if strings.Contains(csp, "unsafe-inline") {
		op.t.Errorf("form_post CSP %q has unsafe-inline", csp)
	}
}

// exchange redeems the code of cb (CreateTokenEndpointRequestForAuthorizationCodeGrant,
// CallTokenEndpoint and what follows) and checks the ID token.
func (op *opTest) exchange(req, cb url.Values, auth clientAuth) *flowResult {
	return op.exchangeWith(req, cb, auth, nil)
}

func (op *opTest) exchangeWith(req, cb url.Values, auth clientAuth, extra url.Values) *flowResult {
	op.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {cb.Get("code")}, "redirect_uri": {req.Get("redirect_uri")}}
	for k, v := range extra {
		form[k] = v
	}
	status, header, body := op.tokenRequest(auth, form)
	res := op.tokenOK(status, header, body)
	op.checkIDToken(res, auth.id, req.Get("nonce"), cb.Get("code"))
	return res
}

// tokenRequest posts form to the token endpoint, authenticated as auth.
func (op *opTest) tokenRequest(auth clientAuth, form url.Values) (int, http.Header, map[string]any) {
	op.t.Helper()
	if auth.post {
		form.Set("client_id", auth.id)
		form.Set("client_secret", confSecret)
	}
	r, err := http.NewRequestWithContext(op.t.Context(), http.MethodPost, op.s.inst.base+"/connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		op.t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !auth.post {
		// RFC 6749 §2.3.1: each form-encoded, as the suite does.
		r.SetBasicAuth(url.QueryEscape(auth.id), url.QueryEscape(confSecret))
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		op.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &m); err != nil {
		op.t.Fatalf("token response (%s) is not JSON: %v\n%s", resp.Status, err, raw)
	}
	return resp.StatusCode, resp.Header, m
}

// tokenOK is CheckIfTokenEndpointResponseError, CheckForAccessTokenValue,
// ValidateExpiresIn, CheckTokenEndpointCacheHeaders, CheckTokenTypeIsBearer,
// EnsureAccessTokenContainsAllowedCharactersOnly, and the refresh token's
// length and characters when there is one.
func (op *opTest) tokenOK(status int, header http.Header, m map[string]any) *flowResult {
	op.t.Helper()
	if status != http.StatusOK {
		op.t.Fatalf("token endpoint %d: %v", status, m)
	}
	if mt, _, _ := mime.ParseMediaType(header.Get("Content-Type")); mt != "application/json" {
		op.t.Errorf("token response Content-Type %q", header.Get("Content-Type"))
	}
	// The strictest version of the condition wants both.
	if cc := header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		op.t.Errorf("token response Cache-Control %q, want no-store", cc)
	}
	if p := header.Get("Pragma"); p != "no-cache" {
		op.t.Errorf("token response Pragma %q, want no-cache", p)
	}
	res := &flowResult{token: m}
	res.accessToken, _ = m["access_token"].(string)
	res.refreshToken, _ = m["refresh_token"].(string)
	res.rawIDToken, _ = m["id_token"].(string)
	if res.accessToken == "" {
		op.t.Fatalf("no access_token: %v", m)
	}
	if tt, _ := m["token_type"].(string); !strings.EqualFold(tt, "Bearer") {
		op.t.Errorf("token_type %q", tt)
	}
	if e, ok := m["expires_in"]; ok {
		if n, num := e.(float64); !num || n <= 0 {
			op.t.Errorf("expires_in %#v, want a positive number", e)
		}
	}
	vschar := regexp.MustCompile(`^[\x20-\x7E]+$`)
	if !vschar.MatchString(res.accessToken) {
		op.t.Errorf("access_token has characters RFC 6749 §A.12 does not allow")
	}
	if res.refreshToken != "" && (!vschar.MatchString(res.refreshToken) || len(res.refreshToken) < 43) {
		op.t.Errorf("refresh_token %d characters, or characters RFC 6749 §A.17 does not allow", len(res.refreshToken))
	}
	return res
}

// tokenError is AbstractOIDCCAuthCodeReuse.checkResponse (and the refresh
// token's expecting-error steps): 400, JSON, the error code, and a
// description in RFC 6749's characters.
func (op *opTest) tokenError(status int, header http.Header, m map[string]any, want string) {
	op.t.Helper()
	if status != http.StatusBadRequest {
		op.t.Errorf("token endpoint status %d, want 400: %v", status, m)
	}
	if mt, _, _ := mime.ParseMediaType(header.Get("Content-Type")); mt != "application/json" {
		op.t.Errorf("token error Content-Type %q", header.Get("Content-Type"))
	}
	if m["error"] != want {
		op.t.Errorf("token error %v (%v), want %s", m["error"], m["error_description"], want)
	}
	d, _ := m["error_description"].(string)
	checkErrorText(op.t, "error_description", d)
}

// checkIDToken is PerformStandardIdTokenChecks on the token endpoint's ID
// token: go-oidc verifies the signature (by the kid's key), iss, aud and
// exp; then iat, sub, nonce, azp, auth_time, at_hash and c_hash.
func (op *opTest) checkIDToken(res *flowResult, clientID, nonce, code string) {
	op.t.Helper()
	if res.rawIDToken == "" {
		op.t.Fatalf("no id_token for scope openid: %v", res.token)
	}
	ctx := oidc.ClientContext(op.t.Context(), http.DefaultClient)
	v := op.s.provider.Verifier(&oidc.Config{ClientID: clientID, Now: op.s.clk.Now})
	idt, err := v.Verify(ctx, res.rawIDToken)
	if err != nil {
		op.t.Fatalf("go-oidc does not verify the ID token: %v", err)
	}
	res.idToken = idt
	if err := idt.Claims(&res.claims); err != nil {
		op.t.Fatal(err)
	}
	parsed, err := jose.ParseSigned(res.rawIDToken, []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.ES384, jose.ES512})
	if err != nil {
		op.t.Fatal(err)
	}
	res.header = parsed.Signatures[0].Protected
	// ValidateIdTokenSignatureUsingKid: the kid names a published key.
	if res.header.KeyID == "" {
		op.t.Errorf("the ID token has no kid")
	} else if set := op.s.inst.jwks(); len(set.Key(res.header.KeyID)) == 0 {
		op.t.Errorf("the ID token's kid %q is not in the JWKS", res.header.KeyID)
	}
	c := res.claims
	// ValidateIdTokenStandardClaims, EnsureIdTokenUpdatedAtValid: the
	// claims have the types OpenID Connect Core §2 and §5.1 give them.
	checkStandardClaims(op.t, c)
	for k, v := range c {
		var ok bool
		switch k {
		case "exp", "iat", "nbf", "auth_time":
			_, ok = v.(float64)
		case "nonce", "acr", "azp", "sid", "at_hash", "c_hash", "iss":
			_, ok = v.(string)
		case "amr":
			ok = len(stringsOf(v)) > 0 && len(stringsOf(v)) == len(v.([]any))
		case "aud":
			_, ok = v.(string)
			ok = ok || len(stringsOf(v)) > 0
		default:
			ok = true
		}
		if !ok {
			op.t.Errorf("ID token %s = %#v: not the type OpenID Connect Core §2 gives it", k, v)
		}
	}
	// ValidateIdToken: iat not in the future (5 minutes' skew).
	iat, ok := c["iat"].(float64)
	if !ok || time.Unix(int64(iat), 0).After(op.s.clk.Now().Add(5*time.Minute)) {
		op.t.Errorf("iat %v missing or in the future", c["iat"])
	}
	// CheckForSubjectInIdToken.
	if c["sub"] != confSubject {
		op.t.Errorf("sub %v, want %s", c["sub"], confSubject)
	}
	// ValidateIdTokenNonce.
	if nonce != "" && idt.Nonce != nonce {
		op.t.Errorf("nonce %q, want %q", idt.Nonce, nonce)
	}
	// azp: required with several audiences, and the client when present.
	if azp, ok := c["azp"]; ok && azp != clientID {
		op.t.Errorf("azp %v, want %s", azp, clientID)
	}
	if len(idt.Audience) != 1 {
		if c["azp"] != clientID {
			op.t.Errorf("aud %v with several audiences and azp %v", idt.Audience, c["azp"])
		}
	}
	// auth_time: Signet always sends it (max_age needs it).
	if _, ok := c["auth_time"].(float64); !ok {
		op.t.Errorf("auth_time %v missing", c["auth_time"])
	}
	// ValidateAtHash, ValidateCHash: optional here, right when present.
	if _, ok := c["at_hash"]; ok {
		if err := idt.VerifyAccessToken(res.accessToken); err != nil {
			op.t.Errorf("at_hash: %v", err)
		}
	}
	if ch, ok := c["c_hash"].(string); ok && code != "" {
		if want := leftHalfHash(code); ch != want {
			op.t.Errorf("c_hash %q, want %q", ch, want)
		}
	}
}

// leftHalfHash is c_hash of an RS256 ID token (OpenID Connect Core
// §3.3.2.11): the left half of the SHA-256 of the value, base64url.
func leftHalfHash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// authTime reads auth_time of a flow's ID token.
func authTime(t *testing.T, res *flowResult) int64 {
	t.Helper()
	f, ok := res.claims["auth_time"].(float64)
	if !ok {
		t.Fatalf("no auth_time: %v", res.claims)
	}
	return int64(f)
}

// userinfo calls the userinfo endpoint as the suite's module does (get,
// post-header or post-body) and returns the claims:
// CallUserInfoEndpointWithBearerToken, EnsureUserInfoContainsSub (the
// ID token's sub).
func (op *opTest) userinfo(res *flowResult, how string) map[string]any {
	op.t.Helper()
	var r *http.Request
	endpoint := op.s.meta["userinfo_endpoint"].(string)
	switch how {
	case "get":
		r, _ = http.NewRequestWithContext(op.t.Context(), http.MethodGet, endpoint, nil)
		r.Header.Set("Authorization", "Bearer "+res.accessToken)
	case "post-header":
		r, _ = http.NewRequestWithContext(op.t.Context(), http.MethodPost, endpoint, nil)
		r.Header.Set("Authorization", "Bearer "+res.accessToken)
	case "post-body":
		r, _ = http.NewRequestWithContext(op.t.Context(), http.MethodPost, endpoint, strings.NewReader(url.Values{"access_token": {res.accessToken}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		op.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		op.t.Fatalf("userinfo (%s): %s %s\n%s", how, resp.Status, resp.Header.Get("WWW-Authenticate"), raw)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		op.t.Errorf("userinfo Content-Type %q", resp.Header.Get("Content-Type"))
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		op.t.Fatalf("userinfo is not JSON: %v", err)
	}
	if m["sub"] != res.claims["sub"] {
		op.t.Errorf("userinfo sub %v, ID token sub %v", m["sub"], res.claims["sub"])
	}
	checkStandardClaims(op.t, m)
	return m
}

// checkStandardClaims (of userinfo or an ID token) is ValidateUserInfoStandardClaims,
// EnsureUserInfoBirthDateValid and EnsureUserInfoUpdatedAtValid: the
// standard claims of OpenID Connect Core §5.1 have their JSON types.
func checkStandardClaims(t *testing.T, m map[string]any) {
	t.Helper()
	for k, v := range m {
		var ok bool
		switch k {
		case "email_verified", "phone_number_verified":
			_, ok = v.(bool)
		case "updated_at":
			_, ok = v.(float64)
		case "address":
			var a map[string]any
			if a, ok = v.(map[string]any); ok {
				for ak, av := range a {
					if _, s := av.(string); !s {
						t.Errorf("address.%s is %T, want a string", ak, av)
					}
				}
			}
		case "birthdate":
			var b string
			b, ok = v.(string)
			ok = ok && regexp.MustCompile(`^(\d{4}|\d{4}-\d{2}-\d{2})$`).MatchString(b)
		case "sub", "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username",
			"profile", "picture", "website", "email", "gender", "zoneinfo", "locale", "phone_number":
			_, ok = v.(string)
		default:
			ok = true
		}
		if !ok {
			t.Errorf("%s = %#v: not the type OpenID Connect Core §5.1 gives it", k, v)
		}
	}
}

// userinfoStatus is a GET of userinfo with token.
func (op *opTest) userinfoStatus(token string) (int, string) {
	r, _ := http.NewRequestWithContext(op.t.Context(), http.MethodGet, op.s.meta["userinfo_endpoint"].(string), nil)
	r.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		op.t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
}

// refresh is RefreshTokenRequestSteps: a second later (so that iat
// differs), the refresh token with the same scope; the new tokens checked
// and the new ID token compared with the first (OpenID Connect Core
// §12.2). It returns the refresh token to use next.
func (op *opTest) refresh(first *flowResult, auth clientAuth, scope string) string {
	op.t.Helper()
	op.s.clk.Advance(time.Second) // WaitForOneSecond
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.refreshToken}}
	if scope != "" {
		form.Set("scope", scope)
	}
	status, header, body := op.tokenRequest(auth, form)
	res := op.tokenOK(status, header, body)
	if res.accessToken == first.accessToken {
		op.t.Errorf("the refreshed access token is the first one")
	}
	if res.rawIDToken != "" {
		// CompareIdTokenClaims: iss, sub, aud, azp and auth_time the same,
		// iat later, no nonce (or the same).
		op.checkIDToken(res, auth.id, "", "")
		a, b := first.claims, res.claims
		for _, k := range []string{"iss", "sub", "auth_time", "azp"} {
			if fmt.Sprint(a[k]) != fmt.Sprint(b[k]) {
				op.t.Errorf("refreshed ID token %s %v, first %v", k, b[k], a[k])
			}
		}
		if !slices.Equal(first.idToken.Audience, res.idToken.Audience) {
			op.t.Errorf("refreshed ID token aud %v, first %v", res.idToken.Audience, first.idToken.Audience)
		}
		if !res.idToken.IssuedAt.After(first.idToken.IssuedAt) {
			op.t.Errorf("refreshed ID token iat %v, not after the first's %v", res.idToken.IssuedAt, first.idToken.IssuedAt)
		}
		if n, ok := b["nonce"]; ok && n != a["nonce"] {
			op.t.Errorf("refreshed ID token nonce %v, first %v", n, a["nonce"])
		}
	}
	if res.refreshToken == "" {
		return first.refreshToken // kept: the server need not rotate
	}
	return res.refreshToken
}

// confBrowser is the suite's browser: cookies kept, redirects followed
// within the server, stopped at the first one elsewhere (the client).
type confBrowser struct {
	*browsertest.Browser
	t    *testing.T
	base string
}

func newConfBrowser(t *testing.T, base string) *confBrowser {
	u, _ := url.Parse(base)
	b := &confBrowser{Browser: browsertest.New(t, nil, u.Host), t: t, base: base}
	follow := b.Client.CheckRedirect
	b.Client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		// A browser repeats a POST on 307 and 308: after a form (login,
		// consent, a POSTed authorization request) the server must say
		// 303 (or 302), so that the next page is a GET.
		if prev := via[len(via)-1]; prev.Method == http.MethodPost && req.Response != nil &&
			(req.Response.StatusCode == http.StatusTemporaryRedirect || req.Response.StatusCode == http.StatusPermanentRedirect) {
			t.Errorf("POST %s answered %d: a browser would POST again to %s", prev.URL.Path, req.Response.StatusCode, req.URL)
		}
		return follow(req, via)
	}
	return b
}

type confPage = browsertest.Page

func cutBody(s string) string { return browsertest.Cut(s, 2000) }

func (b *confBrowser) authorize(q url.Values) *confPage {
	b.t.Helper()
	return b.get("/connect/authorize?" + q.Encode())
}

func (b *confBrowser) get(pathAndQuery string) *confPage {
	b.t.Helper()
	return b.Get(b.base + pathAndQuery)
}

func (b *confBrowser) post(path string, form url.Values) *confPage {
	b.t.Helper()
	target := path
	if strings.HasPrefix(path, "/") {
		target = b.base + path
	}
	return b.Post(target, form, nil)
}

// interact goes through the pages from p to the client as a user: logs
// in on the login page, allows on the consent page, and returns the
// page that delivers the authorization response. want says which pages
// must (or must not) be met.
func (b *confBrowser) interact(p *confPage, want interaction) *confPage {
	b.t.Helper()
	logins, consents := 0, 0
	for range 5 {
		if _, ok := callbackQuiet(p); ok {
			switch {
			case want == wantLogin && logins == 0:
				b.t.Errorf("no login page was shown")
			case want == wantNoLogin && logins+consents > 0:
				b.t.Errorf("%d login and %d consent pages shown; want none", logins, consents)
			case want == wantConsent && consents == 0:
				b.t.Errorf("no consent page was shown")
			}
			return p
		}
		switch p.URL.Path {
		case "/account/login":
			logins++
			f := onlyConfForm(b.t, p)
			p = b.post(f.Action, f.Values("decision=login", url.Values{"username": {confUser}, "password": {confPassword}}))
		case "/consent":
			consents++
			f := onlyConfForm(b.t, p)
			p = b.post(f.Action, f.Values("decision=allow", nil))
		default:
			b.t.Fatalf("at %s (status %d), neither a sign-in page nor the client:\n%s", p.URL, p.Status, cutBody(p.Body))
		}
	}
	b.t.Fatalf("still not at the client after 5 pages: at %s", p.URL)
	return nil
}

// callbackQuiet is callback without its checks.
func callbackQuiet(p *confPage) (url.Values, bool) {
	if loc := p.Header.Get("Location"); loc != "" && strings.HasPrefix(loc, confRedirect) {
		u, err := url.Parse(loc)
		if err != nil {
			return nil, false
		}
		return u.Query(), true
	}
	for _, f := range browsertest.Forms(p.Body) {
		if f.Action == confRedirect {
			return f.Values("", nil), true
		}
	}
	return nil, false
}

func onlyConfForm(t *testing.T, p *confPage) browsertest.Form {
	t.Helper()
	fs := browsertest.Forms(p.Body)
	if len(fs) != 1 {
		t.Fatalf("%d forms at %s, want 1:\n%s", len(fs), p.URL, cutBody(p.Body))
	}
	return fs[0]
}
