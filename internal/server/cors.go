package server

import (
	"net/http"
)

var (
	headerVaryOrigin      = []string{"Origin"}
	headerTokenMethods    = []string{"POST"}
	headerTokenHeaders    = []string{"Authorization, Content-Type"}
	headerTokenPreflightS = []string{"600"}
)

// tokenCORS lets the browser origins of the clients (their
// AllowedCorsOrigins, as IdentityServer's) call the token endpoint: a
// preflight from one of them is answered, and its requests get its origin
// back. Any other origin gets no CORS header, so the browser keeps the
// answer from it; requests without an Origin (every machine client) pay
// one map lookup.
func (s *Server) tokenCORS(next http.Handler) http.HandlerFunc {
	allowed := s.opts.TokenOrigin
	if allowed == nil {
		return next.ServeHTTP
	}
	return func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header["Origin"]
		if len(origin) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h["Vary"] = headerVaryOrigin
		if len(origin) != 1 || !allowed(origin[0]) {
			next.ServeHTTP(w, r)
			return
		}
		h["Access-Control-Allow-Origin"] = origin[:1:1]
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h["Access-Control-Allow-Methods"] = headerTokenMethods
			h["Access-Control-Allow-Headers"] = headerTokenHeaders
			h["Access-Control-Max-Age"] = headerTokenPreflightS
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	}
}
