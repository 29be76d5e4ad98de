package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
)

// Options are what a server is made of.
type Options struct {
	// Issuer is fixed when set; otherwise it is derived from each request.
	Issuer string
	// TrustProxy honours X-Forwarded-Proto and X-Forwarded-Host, and a
	// well-formed X-Request-Id as the request's id.
	TrustProxy bool
	// HSTS, when set, is sent on the responses to requests that came over
	// https (with TrustProxy, an X-Forwarded-Proto of https counts), never
	// over plain http.
	HSTS *HSTS
	// Endpoints are mounted in order: their metadata is gathered in this
	// order, and two routes of the same method and path are refused.
	Endpoints []endpoint.Endpoint
	// Middleware wraps every route, the first outermost, inside the
	// chain's request id, issuer and access log.
	Middleware []endpoint.Middleware
	// Logger gets the access log: a line per request at info level
	// (debug for Health routes), and nothing below its level.
	Logger *slog.Logger
}

// Server is the HTTP handler of a token service: the mounted endpoints,
// each route behind the chain.
type Server struct {
	opts Options
	// paths holds each route's handler, wrapped in the chain, by exact
	// path and method: what a request is served by, without pattern
	// matching.
	paths map[string]*pathRoutes
	// subtrees are the paths of Subtree routes (each ends in "/"): a
	// request below one that no exact path has is served by its routes.
	subtrees []string
	// fallback serves the paths no route has, through the chain and the
	// mux (404s, and redirects to clean paths).
	fallback http.Handler
	// issuersHTTP and issuersHTTPS map a valid Host (or X-Forwarded-Host)
	// to its issuer when none is configured; issuersCached bounds them.
	issuersHTTP, issuersHTTPS sync.Map
	issuersCached             atomic.Int32
	// hsts is the Strict-Transport-Security header's value, built once;
	// nil for none.
	hsts []string
	ids  requestIDs
	// routes are the endpoints' routes as mounted, without handlers.
	routes []endpoint.Route
}

// Routes are the routes the endpoints mounted, in order, without their
// handlers (for tests that walk every route).
func (s *Server) Routes() []endpoint.Route { return slices.Clone(s.routes) }

// pathRoutes are the handlers of one path.
type pathRoutes struct {
	// methods are the routes of one method: a few at most, which a scan
	// finds sooner than a map.
	methods []methodHandler
	// any is the route that takes every method, if there is one.
	any http.Handler
	// other answers the methods no route takes (405 with Allow), through
	// the chain of the path's first route.
	other http.Handler
}

type methodHandler struct {
	method  string
	handler http.Handler
}

func (p *pathRoutes) handler(method string) http.Handler {
	for i := range p.methods {
		if p.methods[i].method == method {
			return p.methods[i].handler
		}
	}
	if p.any != nil {
		return p.any
	}
	return p.other
}

// New assembles the server: it gathers every endpoint's metadata, gives it
// to the directories (discovery, the welcome page), and wraps each route in
// the chain once. It panics, as http.ServeMux does, on a route whose path
// is not an absolute literal path or whose method and path another route
// has: the endpoints are wrong, not the configuration.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, paths: map[string]*pathRoutes{}, ids: newRequestIDs()}
	if opts.HSTS != nil {
		s.hsts = []string{opts.HSTS.Header()}
	}

	var meta endpoint.Metadata
	for _, e := range opts.Endpoints {
		e.Describe(&meta)
	}
	meta = compact(meta)
	for _, e := range opts.Endpoints {
		if d, ok := e.(endpoint.Directory); ok {
			d.SetMetadata(meta)
		}
	}

	// The mux holds every route too, unwrapped: it never serves one
	// (each is found in paths first), but it knows which methods a path
	// takes, for its 405s and their Allow header.
	mux := http.NewServeMux()
	first := map[string]endpoint.Route{}
	for _, e := range opts.Endpoints {
		for _, rt := range e.Routes() {
			if rt.Refuse == nil {
				rt.Refuse = endpoint.RefuseText
			}
			if !strings.HasPrefix(rt.Path, "/") || strings.ContainsAny(rt.Path, "{}") || rt.Handler == nil {
				panic(fmt.Sprintf("server: route %s %q: the path must be a literal absolute path, and the handler set", rt.Method, rt.Path))
			}
			if rt.Subtree && !strings.HasSuffix(rt.Path, "/") {
				panic(fmt.Sprintf("server: subtree route %s %q: the path must end in /", rt.Method, rt.Path))
			}
			p := s.paths[rt.Path]
			if rt.Subtree && p == nil {
				s.subtrees = append(s.subtrees, rt.Path)
			}
			if p == nil {
				p = &pathRoutes{}
				s.paths[rt.Path] = p
				first[rt.Path] = rt
			}
			h := s.wrap(rt)
			s.routes = append(s.routes, endpoint.Route{Method: rt.Method, Path: rt.Path, Subtree: rt.Subtree, Kind: rt.Kind})
			if rt.Method == "" {
				if p.any != nil {
					panic(fmt.Sprintf("server: two routes take every method of %q", rt.Path))
				}
				p.any = h
			} else {
				if slices.ContainsFunc(p.methods, func(m methodHandler) bool { return m.method == rt.Method }) {
					panic(fmt.Sprintf("server: two routes for %s %q", rt.Method, rt.Path))
				}
				p.methods = append(p.methods, methodHandler{rt.Method, h})
			}
			pattern := rt.Path
			if strings.HasSuffix(pattern, "/") && !rt.Subtree {
				pattern += "{$}" // exactly the path, not the tree below it
			}
			if rt.Method != "" {
				pattern = rt.Method + " " + pattern
			}
			mux.Handle(pattern, rt.Handler)
		}
	}
	for path, p := range s.paths {
		// A GET route answers HEAD, as the mux's would.
		if i := slices.IndexFunc(p.methods, func(m methodHandler) bool { return m.method == http.MethodGet }); i >= 0 &&
			!slices.ContainsFunc(p.methods, func(m methodHandler) bool { return m.method == http.MethodHead }) {
			p.methods = append(p.methods, methodHandler{http.MethodHead, p.methods[i].handler})
		}
		rt := first[path]
		p.other = s.wrap(endpoint.Route{Path: path, Kind: rt.Kind, Refuse: rt.Refuse, Handler: mux})
	}
	s.fallback = s.wrap(endpoint.Route{Kind: endpoint.API, Refuse: endpoint.RefuseText, Handler: mux})
	return s
}

// compact drops the repeats from the lists of m, keeping the first of
// each: two endpoints may name one claim or auth method.
func compact(m endpoint.Metadata) endpoint.Metadata {
	for _, list := range []*[]string{&m.GrantTypes, &m.ResponseTypes, &m.AuthMethods, &m.AuthSigningAlgs, &m.Claims} {
		var out []string
		for _, v := range *list {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		*list = out
	}
	return m
}

// ServeHTTP hands the request to its route's chain, found by exact path
// and method, or to the fallback's.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := s.paths[r.URL.Path]; p != nil {
		p.handler(r.Method).ServeHTTP(w, r)
		return
	}
	for _, prefix := range s.subtrees {
		if strings.HasPrefix(r.URL.Path, prefix) {
			s.paths[prefix].handler(r.Method).ServeHTTP(w, r)
			return
		}
	}
	s.fallback.ServeHTTP(w, r)
}

// wrap is the chain around one route: rt.Handler inside the Middleware,
// inside the request id, HSTS, the issuer and the access log, built once.
func (s *Server) wrap(rt endpoint.Route) http.Handler {
	next := rt.Handler
	for i := len(s.opts.Middleware) - 1; i >= 0; i-- {
		next = s.opts.Middleware[i](rt, next)
	}
	c := &chain{s: s, next: next, refuse: rt.Refuse, health: rt.Kind == endpoint.Health, level: slog.LevelInfo}
	if c.health {
		// Probes are frequent and dull.
		c.level = slog.LevelDebug
	}
	return c
}

// chain is the one handler every request goes through, in one function
// rather than nested handlers: it gives the request its id, sends HSTS,
// derives the issuer (refusing the request, but for probes, when it cannot
// be derived), puts both in the request's context, and logs the request,
// without its query or body.
type chain struct {
	s      *Server
	next   http.Handler
	refuse func(http.ResponseWriter, *http.Request, *oauth.Error)
	health bool
	level  slog.Level
}

func (c *chain) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := c.s
	// Below the log level (the default warn), a request costs no clock
	// reading, recorder or log record.
	logged := s.opts.Logger.Enabled(r.Context(), c.level)
	var start time.Time
	rec := w
	var status *statusRecorder
	if logged {
		start = time.Now()
		status = &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		rec = status
	}
	if s.hsts != nil && s.overHTTPS(r) {
		w.Header()["Strict-Transport-Security"] = s.hsts
	}
	id := s.ids.of(r, s.opts.TrustProxy)
	iss, err := s.issuer(r)
	r = r.WithContext(endpoint.WithRequest(r.Context(), iss, id))
	if err != nil && !c.health {
		c.refuse(rec, r, oauth.Errorf(oauth.InvalidRequest, "%v", err))
	} else {
		c.next.ServeHTTP(rec, r)
	}
	if logged {
		s.opts.Logger.LogAttrs(r.Context(), c.level, "request",
			logattr.String("method", r.Method), logattr.String("path", r.URL.Path),
			slog.Int("status", status.status), slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr), slog.String("request_id", id.String()))
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
