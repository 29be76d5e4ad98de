// Package browsertest is a browser for the tests of the sign-in pages: it
// keeps cookies, follows redirects within the server and stops at the
// first one elsewhere (a client's redirect URI, where the test reads the
// response), and reads and fills in HTML forms as a browser does. The
// internal/signin tests, the end-to-end tests and the conformance suite
// of cmd/signet use it, so that a form is read one way everywhere.
//
// Only _test.go files import it; it imports none of Signet's packages.
package browsertest

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Browser is a cookie-keeping HTTP client whose failures fail its test.
type Browser struct {
	t testing.TB
	// Client keeps the cookies; a test may wrap its CheckRedirect to check
	// each redirect too, calling the one New set.
	Client *http.Client
	// Host is the server's host[:port]: redirects to it are followed.
	Host string
}

// New is a browser at host (host[:port]) that sends its requests through
// rt (nil for http.DefaultTransport), and fails t on a request that gets
// no response.
func New(t testing.TB, rt http.RoundTripper, host string) *Browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &Browser{t: t, Host: host}
	b.Client = &http.Client{Jar: jar, Transport: rt, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != b.Host || len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

// Page is a response the browser read.
type Page struct {
	Status int
	Header http.Header
	URL    *url.URL // where it was read, after the redirects followed
	Body   string
}

func (p *Page) String() string {
	return fmt.Sprintf("%d at %s (Location %q):\n%s", p.Status, p.URL, p.Header.Get("Location"), Cut(p.Body, 2000))
}

// Cut is s, cut to its first n bytes (with "..." when cut), for a failure
// message.
func Cut(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// Do sends req and reads the response.
func (b *Browser) Do(req *http.Request) *Page {
	b.t.Helper()
	resp, err := b.Client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return &Page{Status: resp.StatusCode, Header: resp.Header, URL: resp.Request.URL, Body: string(body)}
}

// Get opens rawURL.
func (b *Browser) Get(rawURL string) *Page {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.Do(req)
}

// Post posts form to rawURL, with header's fields added.
func (b *Browser) Post(rawURL string, form url.Values, header http.Header) *Page {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	return b.Do(req)
}

// Form is an HTML form of a page.
type Form struct {
	Action, Method string // Method in lower case
	Inputs         []Field
	Buttons        []Field
}

// Field is an input or a button of a form.
type Field struct {
	Name, Value, Type, Autocomplete, ID string
	Checked, Disabled                   bool
	Attrs                               map[string]string // all its attributes, by lower-case name
}

var (
	formRE   = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputRE  = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	buttonRE = regexp.MustCompile(`(?is)<button\b([^>]*)>`)
	attrRE   = regexp.MustCompile(`([a-zA-Z][\w-]*)(?:\s*=\s*"([^"]*)")?`)
)

func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRE.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return m
}

func fieldOf(m map[string]string) Field {
	_, checked := m["checked"]
	_, disabled := m["disabled"]
	return Field{Name: m["name"], Value: m["value"], Type: m["type"], Autocomplete: m["autocomplete"], ID: m["id"],
		Checked: checked, Disabled: disabled, Attrs: m}
}

// Forms reads the forms of an HTML page. It reads Signet's own pages,
// whose attributes are always double-quoted, and is no general HTML
// parser.
func Forms(body string) []Form {
	var out []Form
	for _, fm := range formRE.FindAllStringSubmatch(body, -1) {
		a := attrs(fm[1])
		f := Form{Action: a["action"], Method: strings.ToLower(a["method"])}
		for _, in := range inputRE.FindAllStringSubmatch(fm[2], -1) {
			f.Inputs = append(f.Inputs, fieldOf(attrs(in[1])))
		}
		for _, bt := range buttonRE.FindAllStringSubmatch(fm[2], -1) {
			f.Buttons = append(f.Buttons, fieldOf(attrs(bt[1])))
		}
		out = append(out, f)
	}
	return out
}

// Input is the input named name, or false when the form has none.
func (f Form) Input(name string) (Field, bool) {
	for _, in := range f.Inputs {
		if in.Name == name {
			return in, true
		}
	}
	return Field{}, false
}

// Value is the value of the input name, or "" when the form has none.
func (f Form) Value(name string) string {
	in, _ := f.Input(name)
	return in.Value
}

// Values are what a browser submits with the button name=value ("" for
// none): the named inputs, checkboxes and radio buttons only when ticked,
// disabled ones never; then set, which replaces; with unset removed.
func (f Form) Values(button string, set url.Values, unset ...string) url.Values {
	v := url.Values{}
	for _, in := range f.Inputs {
		if in.Name == "" || in.Disabled || (in.Type == "checkbox" || in.Type == "radio") && !in.Checked {
			continue
		}
		v.Add(in.Name, in.Value)
	}
	if name, value, ok := strings.Cut(button, "="); ok {
		v.Set(name, value)
	}
	for k, vs := range set {
		v[k] = vs
	}
	for _, k := range unset {
		v.Del(k)
	}
	return v
}
