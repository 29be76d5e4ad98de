package jwtauth

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Middleware requires a valid access token on every request: it reads
// "Authorization: Bearer <token>" (the scheme in any case), validates the
// token with Options.RequiredScopes, puts the claims into the request's
// context (ClaimsFromContext) and calls next. Otherwise it answers as RFC
// 6750 §3 says, with a small JSON body {"error", "error_description"} and
// Cache-Control: no-store:
//
//   - no credentials, or another scheme: 401 with "WWW-Authenticate: Bearer"
//     and no error code (RFC 6750 §3.1);
//   - two Authorization headers, or Bearer without a token: 400
//     invalid_request;
//   - an invalid token: 401 with `Bearer error="invalid_token",
//     error_description="..."`, the description saying what failed;
//   - a missing scope: 403 with `Bearer error="insufficient_scope",
//     scope="..."`;
//   - the issuer's keys unavailable, or a reference token that could not be
//     introspected (Options.Introspection): 503 with Retry-After, since the
//     token may be fine (the cause goes to the Logger, not to the client).
//
// A reference token is judged as a JWT is: inactive is 401 invalid_token,
// a missing scope 403, and the claims in the context have the same fields.
//
// Tokens are never logged; refusals are logged at Debug level.
func (v *Validator) Middleware(next http.Handler) http.Handler { return v.handler(next, nil) }

// RequireScopes returns a middleware that requires scopes on top of
// Options.RequiredScopes, for one route:
//
//	mux.Handle("POST /orders", v.RequireScopes("orders.write")(createOrder))
//
// Inside Middleware of the same Validator it checks only the scopes, on the
// claims already in the context; on its own it validates the token as
// Middleware does. A token without the scopes gets 403 insufficient_scope.
func (v *Validator) RequireScopes(scopes ...string) func(http.Handler) http.Handler {
	scopes = slices.Clone(scopes)
	return func(next http.Handler) http.Handler { return v.handler(next, scopes) }
}

// validated is what the middleware puts into the context: the claims, and
// which Validator checked them.
type validated struct {
	v *Validator
	c *Claims
}

func (v *Validator) handler(next http.Handler, extra []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if done, ok := r.Context().Value(claimsKey{}).(validated); ok && done.v == v {
			if err := missingScope(done.c, v.cfg.required, extra); err != nil {
				v.refuse(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		token, status, problem := bearerToken(r)
		switch status {
		case http.StatusUnauthorized:
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeBody(w, status, "", problem)
			return
		case http.StatusBadRequest:
			w.Header().Set("WWW-Authenticate", challenge("invalid_request", problem, nil))
			writeBody(w, status, "invalid_request", problem)
			return
		}
		claims, err := v.validate(r.Context(), token, extra)
		if err != nil {
			v.refuse(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withValidated(r.Context(), validated{v, claims})))
	})
}

// bearerToken reads the token from the Authorization header; status is 0
// when there is one.
func bearerToken(r *http.Request) (token string, status int, problem string) {
	values := r.Header.Values("Authorization")
	switch {
	case len(values) == 0:
		return "", http.StatusUnauthorized, "this API requires a Bearer token in the Authorization header"
	case len(values) > 1:
		return "", http.StatusBadRequest, "the request has more than one Authorization header"
	}
	scheme, rest, _ := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", http.StatusUnauthorized, "the Authorization header does not use the Bearer scheme, which this API requires"
	}
	token = strings.Trim(rest, " ")
	if token == "" {
		return "", http.StatusBadRequest, "the Authorization header has the Bearer scheme but no token"
	}
	return token, 0, ""
}

func (v *Validator) refuse(w http.ResponseWriter, r *http.Request, err *ValidationError) {
	log := v.cfg.log
	switch {
	case errors.Is(err, ErrKeysUnavailable):
		log.LogAttrs(r.Context(), slog.LevelWarn, "jwtauth: cannot check a token: keys unavailable",
			slog.String("error", err.Error()), slog.String("method", r.Method), slog.String("path", r.URL.Path))
		w.Header().Set("Retry-After", strconv.Itoa(v.retryAfter()))
		writeBody(w, http.StatusServiceUnavailable, "temporarily_unavailable",
			"this API cannot check tokens now: its token service's keys are unavailable; try again later")
		return
	case errors.Is(err, ErrIntrospectionFailed):
		log.LogAttrs(r.Context(), slog.LevelWarn, "jwtauth: cannot check a token: introspection failed",
			slog.String("error", err.Error()), slog.String("method", r.Method), slog.String("path", r.URL.Path))
		w.Header().Set("Retry-After", strconv.Itoa(introspectionRetryAfter))
		writeBody(w, http.StatusServiceUnavailable, "temporarily_unavailable",
			"this API cannot check tokens now: its token service's introspection endpoint is unavailable; try again later")
		return
	case errors.Is(err, ErrInsufficientScope):
		w.Header().Set("WWW-Authenticate", challenge("insufficient_scope", err.Error(), err.Scopes))
		writeBody(w, http.StatusForbidden, "insufficient_scope", err.Error())
	default:
		w.Header().Set("WWW-Authenticate", challenge("invalid_token", err.Error(), nil))
		writeBody(w, http.StatusUnauthorized, "invalid_token", err.Error())
	}
	log.LogAttrs(r.Context(), slog.LevelDebug, "jwtauth: token refused", slog.String("reason", err.Reason.Error()),
		slog.String("error", err.Error()), slog.String("method", r.Method), slog.String("path", r.URL.Path))
}

// challenge builds a WWW-Authenticate value (RFC 6750 §3).
func challenge(code, description string, scopes []string) string {
	var b strings.Builder
	b.WriteString(`Bearer error="`)
	b.WriteString(code)
	b.WriteString(`", error_description="`)
	b.WriteString(headerSafe(description))
	b.WriteByte('"')
	if len(scopes) > 0 {
		b.WriteString(`, scope="`)
		b.WriteString(headerSafe(strings.Join(scopes, " ")))
		b.WriteByte('"')
	}
	return b.String()
}

// headerSafe keeps only the characters RFC 6750 §3 allows in
// error_description (%x20-21 / %x23-5B / %x5D-7E): a double quote becomes a
// single one, a backslash a slash, anything else a question mark; and it
// bounds the length.
func headerSafe(s string) string {
	const limit = 400
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < limit; i++ {
		switch c := s[i]; {
		case c == '"':
			b.WriteByte('\'')
		case c == '\\':
			b.WriteByte('/')
		case c < 0x20 || c > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// writeBody writes {"error": code, "error_description": description}; the
// error member is left out when code is empty (no credentials: RFC 6750
// §3.1 wants no error code then).
func writeBody(w http.ResponseWriter, status int, code, description string) {
	body, _ := json.Marshal(struct {
		Error       string `json:"error,omitempty"`
		Description string `json:"error_description"`
	}{code, description})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
