// Package grant implements the token endpoint (/connect/token). The
// endpoint runs the steps every grant shares, once: it parses the request
// (Request), authenticates the client (internal/clientauth), checks that
// the client may use the grant type, and hands the request to the Grant
// registered for its grant_type, which fills in only what is its own and
// issues its tokens through internal/tokens. GrantTypes, the list the CLI
// and discovery show, is derived from the registered grants.
//
// The endpoint implements internal/endpoint's contract: its Routes (the
// POST, the CORS preflight of its clients' browser origins, and a 405 for
// every other method) and what it adds to discovery (Describe).
//
// It imports internal/clientauth, internal/tokens, internal/client,
// internal/endpoint and internal/oauth; never internal/server or another
// endpoint package.
package grant
