// Package claims maps a signed-in user to the claims of the identity scopes
// granted to a client (issue 14): what userinfo returns and, for a client
// that asks for it, what the ID token carries beside its own claims. It is
// not used yet: no endpoint, configuration key or command reaches it.
//
// Resources holds the identity resources: the built-in ones of OpenID
// Connect Core §5.4 (openid, profile, email, address, phone) and
// offline_access, named, described and claimed as IdentityServer's
// IdentityResources define them so that the consent page shows the same
// words, merged with custom ones (storage.IdentityResource); a custom one
// may not take a built-in name.
//
// Resources.UserInfo and Resources.IDToken read a storage.User: sub always;
// name, email and email_verified from the record's fields; other claims
// from the user's Claims object, only when a granted scope lists them.
// Standard claims get the JSON types §5.1 gives them (booleans, updated_at a
// number, address an object), converting IdentityServer's string forms;
// Decode does that for a whole Claims object. No user claim may replace a
// claim that a token sets itself (Reserved).
//
// It imports storage only, for its records.
package claims
