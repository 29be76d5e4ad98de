// Package federation holds the external identity providers people sign in
// with (issue 16): their settings, from the configuration file and from
// the database (signet provider), checked by one set of rules, and a
// Registry that turns them into internal/upstream relying parties for an
// issuer (the callback URL at the upstream is <issuer>/signin/<name>/callback,
// so a server that derives its issuer from the Host header gets one
// relying party per issuer, each with its own cached discovery and keys).
//
// The presets need only a client id and secret: google
// (https://accounts.google.com), entra (https://login.microsoftonline.com/
// <tenant>/v2.0, tenant a tenant id, organizations or common; the
// multi-tenant issuer checked per tenant by internal/upstream) and github.
//
// A database provider's client secret is sealed under the key-encryption
// key (internal/sealed), bound to the provider's name.
//
// A client key (private_key_jwt) is sealed the same way under its own
// purpose, read by internal/certs from a PEM or PKCS#12 file.
//
// It imports internal/upstream, internal/sealed, internal/certs and storage; never an
// endpoint package, the server or an adapter.
package federation
