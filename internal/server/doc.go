// Package server assembles Signet's HTTP side from the endpoint packages
// (internal/endpoint is the contract they implement), and does nothing
// else: no endpoint's protocol lives here.
//
// New gathers what each endpoint describes of itself into one
// endpoint.Metadata (which discovery and the welcome page list), then wraps
// every route in one chain, once, when the server is made: a request id, HSTS
// over https, the issuer (configured, or derived from the request's host and
// refused when it is not a host; carried in the request's context), the
// access log, and the Middleware hooks (metrics, rate limits, page headers),
// which see the route they wrap. A request finds its wrapped route by exact
// path and method in a map, without pattern matching; what no route takes
// goes through the same chain to an http.ServeMux holding every route, for
// its 404s, 405s (with Allow) and redirects to clean paths.
//
// Two Middleware of its own set headers before the route's handler, which
// may replace them: PageHeaders (a Content-Security-Policy with
// frame-ancestors 'none', nosniff, no-referrer) on Page routes, and NoStore
// (Cache-Control no-store, Pragma no-cache) on the API paths it is given,
// so that redirects, 405s and preflights carry them too.
//
// It imports internal/endpoint, never an endpoint package: cmd/signet
// chooses what to mount.
package server
