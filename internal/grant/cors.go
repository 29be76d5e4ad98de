package grant

import (
	"net/http"
)

var (
	headerVaryOrigin      = []string{"Origin"}
	headerTokenMethods    = []string{"POST"}
	headerTokenHeaders    = []string{"Authorization, Content-Type"}
	headerTokenPreflightS = []string{"600"}
)

// cors lets the browser origins of the clients (their AllowedCorsOrigins,
// as IdentityServer's) call the token endpoint: a preflight from one of
// them is answered, and its requests get its origin back. Any other origin
// gets no CORS header, so the browser keeps the answer from it; requests
// without an Origin (every machine client) pay one map lookup.
func cors(allowed func(origin string) bool, next http.HandlerFunc) http.HandlerFunc {
	if allowed == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if !corsHeaders(allowed, w, r) {
			next(w, r)
			return
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h := w.Header()
			h["Access-Control-Allow-Methods"] = headerTokenMethods
			h["Access-Control-Allow-Headers"] = headerTokenHeaders
			h["Access-Control-Max-Age"] = headerTokenPreflightS
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next(w, r)
	}
}

// corsHeaders sets the headers of a response to a request with an Origin
// (Vary, and Access-Control-Allow-Origin for an allowed one), and reports
// whether the origin is allowed.
func corsHeaders(allowed func(origin string) bool, w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header["Origin"]
	if len(origin) == 0 || allowed == nil {
		return false
	}
	h := w.Header()
	h["Vary"] = headerVaryOrigin
	if len(origin) != 1 || !allowed(origin[0]) {
		return false
	}
	h["Access-Control-Allow-Origin"] = origin[:1:1]
	return true
}
