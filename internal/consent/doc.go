// Package consent keeps the consents people asked Signet to remember on the
// consent page ("remember my decision", issue 14): per user and client, the
// scopes granted, so that a later request for no more than those skips the
// page.
//
// A consent is a storage.PersistedGrant of type storage.GrantUserConsent.
// Its key is a hash of the subject and the client id (Key), so that it is
// found without a handle, and one user has at most one consent per client:
// remembering again replaces it. Subject and ClientID are set on the grant,
// so that a user's consents are listed and revoked by filter. Data is the
// granted scopes as versioned JSON.
//
// It imports storage only, and uses its grants' role interface,
// storage.PersistedGrants.
package consent
