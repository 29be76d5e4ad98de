package storage

// Kind is what a backend needs to know of a kind of record kept by a key to
// check an update of one: what names the key in errors, how to read it from
// a record, and the check of create.
type Kind[T any] struct {
	Field string // names the key: "client id"
	Key   func(T) string
	Check func(T) error
}

// The kinds of record whose Update method takes an update function and
// changes nothing but what it changes. Sessions are not among them: an
// update keeps their subject and Created too (memory, sqlite and postgres
// check those themselves).
var (
	ClientKind           = Kind[Client]{"client id", func(c Client) string { return c.ID }, CheckClient}
	APIScopeKind         = Kind[APIScope]{"scope name", func(s APIScope) string { return s.Name }, CheckAPIScope}
	APIResourceKind      = Kind[APIResource]{"resource name", func(r APIResource) string { return r.Name }, CheckAPIResource}
	IdentityResourceKind = Kind[IdentityResource]{"identity resource name", func(r IdentityResource) string { return r.Name }, CheckIdentityResource}
	SigningKeyKind       = Kind[SigningKey]{"signing key id", func(k SigningKey) string { return k.ID }, CheckSigningKey}
	UserKind             = Kind[User]{"user id", func(u User) string { return u.ID }, CheckUser}
	ExternalProviderKind = Kind[ExternalProvider]{"provider name", func(p ExternalProvider) string { return p.Name }, CheckExternalProvider}
	PasskeyKind          = Kind[Passkey]{"passkey id", func(p Passkey) string { return p.ID }, CheckPasskey}
	// UserLinkKind's key joins issuer and subject with a NUL, which no key
	// holds, so that two pairs never make one key.
	UserLinkKind = Kind[UserLink]{"link", func(l UserLink) string { return UserLinkKey(l.Issuer, l.Subject) }, CheckUserLink}
)

// Update runs update on v, the stored record of key, and checks what it made
// as every backend must before writing it back, in the transaction of the
// update: an error of update is returned as it is, a changed key is refused
// (CheckSameKey), and the record must pass the check of create.
func (k Kind[T]) Update(key string, v *T, update func(*T) error) error {
	if err := update(v); err != nil {
		return err
	}
	if err := CheckSameKey(k.Field, key, k.Key(*v)); err != nil {
		return err
	}
	return k.Check(*v)
}

// UserLinkKey is the one-string key of a link's (issuer, subject) pair, for
// UserLinkKind.
func UserLinkKey(issuer, subject string) string { return issuer + "\x00" + subject }
