// Package doctor checks, step by step, whether the signing credential a
// server is configured with can be found and used, and says what to do about
// each problem. It reads certificates through internal/certs and stores
// through internal/certstore, and knows nothing of HTTP or configuration.
package doctor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/certstore"
)

// Status is the outcome of one step.
type Status string

// Step outcomes.
const (
	OK   Status = "ok"
	Info Status = "info"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Step is one thing checked.
type Step struct {
	Status  Status   `json:"status"`
	Title   string   `json:"title"`
	Details []string `json:"details,omitempty"`
	Fix     string   `json:"fix,omitempty"`
}

// Report is the whole check.
type Report struct {
	Steps []Step `json:"steps"`
	// Usable is true when a credential that can sign was found.
	Usable bool `json:"usable"`
	// Signing is the credential the server would sign with.
	Signing *Choice `json:"signing,omitempty"`
	// Published are the other matches, which the server would publish in
	// its JWKS without signing with them.
	Published []Choice `json:"published,omitempty"`
}

// Choice names a credential.
type Choice struct {
	Thumbprint string `json:"thumbprint"`
	Subject    string `json:"subject"`
	// SigningAlgorithm is the JWS algorithm it would sign with.
	SigningAlgorithm string `json:"signingAlgorithm,omitempty"`
	Source           string `json:"source"`
	// NotAfter is when its certificate expires; Expiry is "expiring"
	// (within Request.ExpiryWarning) or "expired", else empty.
	NotAfter time.Time `json:"notAfter"`
	Expiry   string    `json:"expiry,omitempty"`
}

// Request is what the server would be configured with.
type Request struct {
	// Exactly one way to find the credential: a thumbprint (which wins over
	// a subject, as in the server), a subject, or a file.
	Thumbprint, Subject, File string
	// Password opens File when it is protected.
	Password certs.Password
	// Algorithm is the configured JWS algorithm ("" for the key's default).
	Algorithm string
	// Location and Name choose the store (default CurrentUser/My).
	Location certstore.Location
	Name     string
	Env      certstore.Env
	Now      time.Time
	// ExpiryWarning flags a signing certificate that expires within it
	// (configuration keyExpiryWarning); 0 flags none before it expires.
	ExpiryWarning time.Duration
}

func (r *Report) add(status Status, title string, details []string, fix string) {
	r.Steps = append(r.Steps, Step{status, title, details, fix})
}

// Check runs the diagnosis.
func Check(req Request) *Report {
	r := &Report{}
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	switch {
	case req.File != "":
		if req.Thumbprint != "" || req.Subject != "" {
			r.add(Info, "A file is configured, so the thumbprint and subject are not used", nil, "")
		}
		checkFile(r, req)
	case req.Thumbprint != "" || req.Subject != "":
		checkStore(r, req)
	default:
		r.add(Fail, "Nothing to check", nil, "give the thumbprint (--thumbprint), the subject (--subject) or the file (--file) the server is configured with")
	}
	if r.Usable {
		expiryStep(r, req)
		r.add(OK, fmt.Sprintf("The server can sign with %s (%s, %s)", r.Signing.Thumbprint, r.Signing.Subject, r.Signing.SigningAlgorithm), nil, "")
	} else {
		r.add(Fail, "No usable signing credential was found", nil, "")
	}
	return r
}

func checkFile(r *Report, req Request) {
	abs, _ := filepath.Abs(req.File)
	fi, err := os.Stat(req.File)
	if err != nil {
		fix := "check the path"
		if errors.Is(err, fs.ErrNotExist) && !filepath.IsAbs(req.File) {
			wd, _ := os.Getwd()
			fix = fmt.Sprintf("a relative path is relative to the working directory (%s); give an absolute path, or start the server where the file is", wd)
		}
		r.add(Fail, fmt.Sprintf("File %s cannot be opened", abs), []string{err.Error()}, fix)
		return
	}
	r.add(OK, fmt.Sprintf("File %s exists (%d bytes)", abs, fi.Size()), nil, "")
	contents, err := certs.ReadFile(req.File, req.Password)
	switch {
	case errors.Is(err, certs.ErrWrongPassword):
		r.add(Fail, "The password does not open the file", nil, "check the configured password (key.password, or --password-file/--password-env here); passwords are case-sensitive")
		return
	case errors.Is(err, certs.ErrPasswordRequired):
		r.add(Fail, "The file is password-protected and no password was given", nil, "give the password: key.password in the configuration, or --password-file/--password-env here")
		return
	case err != nil:
		r.add(Fail, "The file cannot be read as a certificate", []string{err.Error()}, "give a .pfx/.p12 or a PEM file holding the private key and the certificate")
		return
	}
	desc := string(contents.Format)
	if contents.Protection != "" {
		desc += ", protection " + contents.Protection
	}
	r.add(OK, "Read it: "+desc, contents.Notes, "")
	cred, err := contents.Credential()
	if err != nil {
		r.add(Fail, "It does not hold a usable credential", []string{err.Error()}, "")
		return
	}
	if modesMatter && cred.Key != nil && fi.Mode().Perm()&0o077 != 0 {
		r.add(Warn, fmt.Sprintf("The file holds a private key and its mode is %04o: other users may read it", fi.Mode().Perm()), nil, "chmod 600 "+req.File)
	}
	checkCredential(r, cred, "file "+abs, req.Now, true, req.Algorithm)
}

func checkStore(r *Report, req Request) {
	loc, name := req.Location, req.Name
	if loc == "" {
		loc = certstore.CurrentUser
	}
	if name == "" {
		name = "My"
	}
	var query certs.ThumbprintQuery
	if req.Thumbprint != "" {
		q, err := certs.ParseThumbprint(req.Thumbprint)
		if err != nil {
			r.add(Fail, "The thumbprint is not valid", []string{err.Error()}, "copy the 40 hex digits again: signet store list shows them")
			return
		}
		query = q
		if len(q.Removed) > 0 {
			r.add(Warn, fmt.Sprintf("The thumbprint has invisible characters, which were ignored: %s", certs.DescribeRunes(q.Removed)),
				[]string{"The Windows certificate dialog puts U+200E in front of the thumbprint you copy; Signet ignores it, but .NET's X509Store.Find does not."},
				"retype the first characters of the thumbprint, or paste it from signet store list, so that other tools find it too")
		}
		r.add(OK, "Thumbprint "+q.Hex, nil, "")
		if req.Subject != "" {
			r.add(Info, "A thumbprint and a subject are both given: the thumbprint wins, as in the server", nil, "")
		}
	} else {
		r.add(OK, "Subject "+req.Subject, []string{matchRule(req.Subject)}, "")
	}
	st, err := certstore.Open(loc, name, req.Env)
	if err != nil {
		r.add(Fail, "The store cannot be opened", []string{err.Error()}, "")
		return
	}
	if v, ok := lookup(req.Env, "SIGNET_CERT_STORE"); ok && st.Azure == nil {
		r.add(Info, "SIGNET_CERT_STORE="+v+" sets the store root", nil, "")
	}
	if az := st.Azure; az != nil {
		details := []string{fmt.Sprintf("WEBSITE_LOAD_CERTIFICATES=%q", az.Setting), "private certificates are read from " + az.Dir}
		r.add(Info, "Azure App Service: CurrentUser/My is App Service's certificate directory", details, "")
		if len(az.Bad) > 0 {
			r.add(Warn, "WEBSITE_LOAD_CERTIFICATES has entries that are not thumbprints", az.Bad, "list the certificates' SHA-1 thumbprints, comma-separated, or *")
		}
		if !az.All && len(az.Allowed) == 0 {
			r.add(Fail, "WEBSITE_LOAD_CERTIFICATES names no certificate", nil, "set it to the thumbprint of the signing certificate, or to *")
		}
	}
	entries, err := st.List()
	if err != nil {
		r.add(Fail, fmt.Sprintf("Store %s cannot be read", st), []string{err.Error()}, "")
		return
	}
	if _, err := os.Stat(st.Dir); err != nil {
		fix := fmt.Sprintf("import the certificate: signet store import FILE.pfx --location %s --name %s", st.Location, st.Name)
		if st.Azure != nil {
			fix = "App Service writes certificates there only on Linux and only those WEBSITE_LOAD_CERTIFICATES names: upload the certificate in the portal and name its thumbprint"
		}
		r.add(Warn, fmt.Sprintf("Store %s has no directory yet (%s)", st, st.Dir), nil, fix)
	} else {
		var lines []string
		for _, e := range entries {
			line := e.Label()
			if e.Credential != nil && !e.HasKey() {
				line += " (no private key)"
			}
			if !e.Loadable {
				line += " (not named in WEBSITE_LOAD_CERTIFICATES)"
			}
			if e.Err != nil {
				line += ": " + e.Err.Error()
			}
			lines = append(lines, line)
		}
		r.add(OK, fmt.Sprintf("Store %s at %s holds %d certificate(s)", st, st.Dir, len(entries)), lines, "")
		if fi, err := os.Stat(st.Dir); err == nil && modesMatter && fi.Mode().Perm()&0o022 != 0 {
			r.add(Warn, fmt.Sprintf("%s is writable by other users (mode %04o): they could plant a certificate the server would sign with", st.Dir, fi.Mode().Perm()), nil, "chmod 700 "+st.Dir)
		}
	}
	var matches []certstore.Entry
	if req.Thumbprint != "" {
		e, err := st.Find(query)
		if err != nil {
			r.add(Fail, "No loadable certificate matches", []string{err.Error()}, fixFor(err))
			return
		}
		if e.Credential == nil {
			r.add(Fail, fmt.Sprintf("%s cannot be read", e.Path), []string{e.Err.Error()}, "import the certificate again (signet store import FILE.pfx --force)")
			return
		}
		matches = []certstore.Entry{e}
	} else {
		matches, err = st.FindBySubject(req.Subject, req.Now)
		if err != nil {
			r.add(Fail, "No loadable certificate matches", []string{err.Error()}, fixFor(err))
			return
		}
	}
	r.add(OK, fmt.Sprintf("%d certificate(s) match", len(matches)), labels(matches), "")
	for i, m := range matches {
		if modesMatter && m.Mode&0o077 != 0 && m.HasKey() {
			r.add(Warn, fmt.Sprintf("%s holds a private key and its mode is %04o: other users may read it", m.Path, m.Mode), nil, "chmod 600 "+m.Path)
		}
		checkCredential(r, m.Credential, st.String()+" "+m.Path, req.Now, i == 0 || !r.Usable, req.Algorithm)
	}
}

// modesMatter: on Windows, permission bits say nothing about who may read a
// file (ACLs do), so no verdict is drawn from them there.
const modesMatter = runtime.GOOS != "windows"

func matchRule(subject string) string {
	if strings.Contains(subject, "=") {
		return "matched as a whole distinguished name, ignoring case and extra spaces (like FindBySubjectDistinguishedName)"
	}
	return "matched as part of any field of the subject, ignoring case (like FindBySubjectName)"
}

// fixFor is the fix for a failed search; the store's errors already end
// with theirs.
func fixFor(err error) string {
	var nl *certstore.NotLoadedError
	var nf *certstore.NotFoundError
	if errors.As(err, &nl) || errors.As(err, &nf) {
		return ""
	}
	return "import the .pfx into the store: signet store import FILE.pfx (signet cert create makes one)"
}

func labels(es []certstore.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Label())
	}
	return out
}

// checkCredential checks one candidate and records it as the signing
// credential (when it can sign and none was chosen) or as published.
func checkCredential(r *Report, cred *certs.Credential, source string, now time.Time, detailed bool, algorithm string) {
	tp := certs.Thumbprint(cred.Certificate)
	findings := certs.Check(cred, now)
	algs := certs.SigningAlgorithms(cred.Certificate.PublicKey)
	if algorithm = strings.ToUpper(strings.TrimSpace(algorithm)); algorithm != "" && len(algs) > 0 {
		if !slices.Contains(algs, algorithm) {
			findings = append(findings, certs.Finding{Severity: certs.Blocker, Code: "algorithm",
				Message: fmt.Sprintf("the configured algorithm %s does not fit its %s key", algorithm, certs.DescribeKey(cred.Certificate.PublicKey)),
				Fix:     "set algorithm to " + strings.Join(algs, " or ") + ", or leave it out"})
		} else {
			algs = []string{algorithm}
		}
	}
	choice := Choice{Thumbprint: tp, Subject: certs.SubjectString(cred.Certificate), Source: source, NotAfter: cred.Certificate.NotAfter.UTC()}
	canSign := certs.CanSign(findings)
	if canSign {
		choice.SigningAlgorithm = algs[0]
	}
	if detailed || !canSign {
		if cred.Key != nil && certs.KeyMatches(cred.Certificate, cred.Key) {
			r.add(OK, fmt.Sprintf("%s has a private key that matches its certificate (%s)", tp, certs.DescribeKey(cred.Key)), nil, "")
		}
		for _, f := range findings {
			status := Warn
			if f.Severity == certs.Blocker {
				status = Fail
			}
			r.add(status, fmt.Sprintf("%s: %s", tp, f.Message), nil, f.Fix)
		}
	}
	if canSign && r.Signing == nil {
		r.Signing, r.Usable = &choice, true
		return
	}
	r.Published = append(r.Published, choice)
}

func lookup(env certstore.Env, k string) (string, bool) {
	if env.LookupEnv != nil {
		return env.LookupEnv(k)
	}
	return os.LookupEnv(k)
}

// expiryStep flags the signing certificate when it expires within
// req.ExpiryWarning, or marks it expired (certs.Check has said so).
func expiryStep(r *Report, req Request) {
	c := r.Signing
	switch left := c.NotAfter.Sub(req.Now); {
	case left <= 0:
		c.Expiry = "expired"
	case left <= req.ExpiryWarning:
		c.Expiry = "expiring"
		r.add(Warn, fmt.Sprintf("%s expires in %d days (%s), within keyExpiryWarning (%s)", c.Thumbprint, int(left/(24*time.Hour)), c.NotAfter.Format(time.DateOnly), certs.Ago(req.ExpiryWarning)), nil,
			"make its successor now (signet cert create) and put it beside it, so that it is published before it signs")
	}
}
