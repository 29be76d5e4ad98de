package authorize

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/url"
	"sort"
	"strings"

	"github.com/signetid/signet/internal/oauth"
)

// Response is an authorization response for the client: the parameters
// for its redirect URI, and how they go there.
type Response struct {
	// RedirectURI is the client's, checked by Validate.
	RedirectURI string
	// Mode is ModeQuery (a redirect to Location) or ModeFormPost (the page
	// FormPost makes).
	Mode   string
	Params url.Values
}

// ErrorResponse is the response that tells the client at its redirect URI
// that the request failed with err: error, error_description, state (as
// sent) and iss (RFC 9207). Use it only for a request whose client and
// redirect URI Validate accepted (or that a RedirectError carries).
func (req *Request) ErrorResponse(issuer string, err *oauth.Error) *Response {
	p := url.Values{"error": {err.Code}}
	if err.Description != "" {
		p.Set("error_description", oauth.DescriptionText(err.Description))
	}
	return req.response(issuer, p)
}

// CodeResponse is the successful response: the code, state and iss.
func (req *Request) CodeResponse(issuer, code string) *Response {
	return req.response(issuer, url.Values{"code": {code}})
}

func (req *Request) response(issuer string, p url.Values) *Response {
	if req.State != "" {
		p.Set("state", req.State)
	}
	if issuer != "" {
		p.Set("iss", issuer)
	}
	mode := req.ResponseMode
	if mode != ModeFormPost {
		mode = ModeQuery
	}
	return &Response{RedirectURI: req.RedirectURI, Mode: mode, Params: p}
}

// Location is the redirect URI with the parameters added to its query, the
// query it has kept (RFC 6749 §3.1.2), for a redirect in query mode.
func (r *Response) Location() string {
	sep := "?"
	switch {
	case strings.HasSuffix(r.RedirectURI, "?"):
		sep = ""
	case strings.Contains(r.RedirectURI, "?"):
		sep = "&"
	}
	return r.RedirectURI + sep + r.Params.Encode()
}

// autoSubmit is the one script of the form_post page: constant, so that
// its hash in FormPostCSP lets it run with no nonce and no unsafe-inline.
// Without JavaScript the page shows a button instead.
const autoSubmit = `document.forms[0].submit();`

var autoSubmitHash = func() string {
	h := sha256.Sum256([]byte(autoSubmit))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}()

var formPostPage = template.Must(template.New("form_post").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Signing you in</title>
</head>
<body>
<form method="post" action="{{.Action}}">
{{- range .Fields}}
<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{- end}}
<noscript>
<p>JavaScript is turned off, so press Continue to go back to the application.</p>
<button type="submit">Continue</button>
</noscript>
</form>
<script>` + autoSubmit + `</script>
</body>
</html>
`))

type formField struct{ Name, Value string }

// FormPost is the page of response_mode form_post (OAuth 2.0 Form Post
// Response Mode): a form of the parameters, posted to the redirect URI by
// its script, or by a button without JavaScript. Serve it with FormPostCSP
// as its Content-Security-Policy, Cache-Control no-store and Content-Type
// text/html; charset=utf-8.
func (r *Response) FormPost() ([]byte, error) {
	keys := make([]string, 0, len(r.Params))
	for k := range r.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var fields []formField
	for _, k := range keys {
		for _, v := range r.Params[k] {
			fields = append(fields, formField{k, v})
		}
	}
	var action any = r.RedirectURI
	if s := scheme(r.RedirectURI); s != "http" && s != "https" && s != "" && !unsafeScheme(s) {
		// A native app's private-use scheme (RFC 8252 §7.1), which
		// html/template would otherwise replace: the URI is the client's
		// registered one, and not a script.
		action = template.URL(r.RedirectURI)
	}
	var b bytes.Buffer
	if err := formPostPage.Execute(&b, struct {
		Action any
		Fields []formField
	}{action, fields}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// FormPostCSP is the Content-Security-Policy of the FormPost page: nothing
// loads, its one script runs by its hash, and its form may post only to
// the redirect URI's origin. It has no frame-ancestors: a client renewing
// its tokens silently (prompt=none) runs the request in a hidden iframe,
// and the page has nothing to click on but a noscript button.
func (r *Response) FormPostCSP() string {
	csp := "default-src 'none'; script-src " + autoSubmitHash + "; base-uri 'none'"
	if src := formAction(r.RedirectURI); src != "" {
		csp += "; form-action " + src
	}
	return csp
}

// formAction is the CSP source of the redirect URI's origin (scheme, host
// and port), or "" when it cannot be written as one safely (then the form
// is not restricted).
func formAction(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return ""
	}
	src := u.Scheme + ":"
	if u.Host != "" {
		src += "//" + u.Host
	}
	for _, c := range []byte(src) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(":/.-+[]", c) >= 0
		if !ok {
			return ""
		}
	}
	return src
}

func scheme(uri string) string {
	i := strings.IndexByte(uri, ':')
	if i <= 0 {
		return ""
	}
	return strings.ToLower(uri[:i])
}

func unsafeScheme(s string) bool {
	return s == "javascript" || s == "data" || s == "vbscript" || s == "file" || s == "blob"
}
