// Package health serves the probes: /healthz (the process answers) and
// /readyz (it can issue tokens: a signing key, and the dependencies the
// caller checks). Their answers are plain text, never cached, and say no
// more than a reason anyone may read.
//
// It imports internal/endpoint and internal/signing (for the key type of
// its Signer interface), never the server or another endpoint.
package health
