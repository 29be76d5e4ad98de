// Package reqlimit bounds what one request may send beyond what net/http's
// server bounds itself (header size, timeouts): the size of its body and
// the number of its parameters, in the query and in a form body. It is an
// endpoint.Middleware for every route; a request over a bound is refused
// through the route's Refuse (invalid_request; 413 for a body), or, for a
// body, fails the endpoint's read of it with an error oauth.ReadBody
// reports as such.
//
// It imports internal/endpoint and internal/oauth.
package reqlimit
