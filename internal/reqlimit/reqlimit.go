package reqlimit

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/oauth"
)

// Limits are the bounds; zero values are no bound.
type Limits struct {
	// MaxBodyBytes bounds a request's body.
	MaxBodyBytes int64
	// MaxParams bounds the parameters of the query, and those of an
	// application/x-www-form-urlencoded body.
	MaxParams int
}

// Middleware applies l to every route.
func (l Limits) Middleware(rt endpoint.Route, next http.Handler) http.Handler {
	if l.MaxBodyBytes <= 0 && l.MaxParams <= 0 {
		return next
	}
	refuse := rt.Refuse
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.MaxParams > 0 && CountParams(r.URL.RawQuery) > l.MaxParams {
			refuse(w, r, oauth.Errorf(oauth.InvalidRequest, "the query has more than %d parameters", l.MaxParams))
			return
		}
		if r.ContentLength > 0 && l.MaxBodyBytes > 0 && r.ContentLength > l.MaxBodyBytes {
			refuse(w, r, &oauth.Error{Code: oauth.InvalidRequest, Description: fmt.Sprintf("the request body is over %d bytes", l.MaxBodyBytes), Status: http.StatusRequestEntityTooLarge})
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			if l.MaxBodyBytes > 0 {
				r.Body = http.MaxBytesReader(w, r.Body, l.MaxBodyBytes)
			}
			if l.MaxParams > 0 && isForm(r.Header.Get("Content-Type")) {
				r.Body = &paramCounter{ReadCloser: r.Body, left: l.MaxParams - 1, max: l.MaxParams}
			}
		}
		next.ServeHTTP(w, r)
	})
}

func isForm(contentType string) bool {
	if contentType == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// CountParams is how many parameters a query or form body holds: its
// &-separated parts, empty ones aside (as url.ParseQuery skips them).
func CountParams(q string) int {
	n := 0
	for q != "" {
		var part string
		part, q, _ = strings.Cut(q, "&")
		if part != "" {
			n++
		}
	}
	return n
}

// paramCounter fails the read of a form body once it has more than its
// parameters: it counts the separators, which bounds the parameters from
// above (empty parts count too), so that a body of many tiny parameters is
// refused before it is parsed.
type paramCounter struct {
	io.ReadCloser
	left int
	max  int
}

func (p *paramCounter) Read(b []byte) (int, error) {
	n, err := p.ReadCloser.Read(b)
	for _, c := range b[:n] {
		if c == '&' {
			p.left--
			if p.left < 0 {
				return 0, &oauth.LimitError{Description: fmt.Sprintf("the form body has more than %d parameters", p.max), Status: http.StatusBadRequest}
			}
		}
	}
	return n, err
}
