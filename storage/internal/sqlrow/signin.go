package sqlrow

import "github.com/signetid/signet/storage"

// UserLinkColumns are the columns of user_links that UserLink reads, in its
// order.
const UserLinkColumns = `issuer, subject, provider, user_id, tokens, created_at, last_used_at`

// UserLink reads a row of UserLinkColumns.
func UserLink(row Row) (storage.UserLink, error) {
	var l storage.UserLink
	var created int64
	var lastUsed *int64
	if err := row.Scan(&l.Issuer, &l.Subject, &l.Provider, &l.UserID, &l.Tokens, &created, &lastUsed); err != nil {
		return storage.UserLink{}, err
	}
	l.Tokens = Bytes(l.Tokens)
	l.Created = Time(&created)
	l.LastUsed = Time(lastUsed)
	return l, nil
}

// PasskeyColumns are the columns of passkeys that Passkey reads, in its
// order.
const PasskeyColumns = `id, user_id, name, public_key, attestation_type, aaguid, sign_count, clone_warning,
	transports, attachment, user_verified, backup_eligible, backup_state, created_at, last_used_at`

// Passkey reads a row of PasskeyColumns; newList makes the adapter's List of
// the transports.
func Passkey(row Row, newList func() List) (storage.Passkey, error) {
	var p storage.Passkey
	var signCount, created int64
	var lastUsed *int64
	transports := newList()
	if err := row.Scan(&p.ID, &p.UserID, &p.Name, &p.PublicKey, &p.AttestationType, &p.AAGUID, &signCount, &p.CloneWarning,
		transports.Dest(), &p.Attachment, &p.UserVerified, &p.BackupEligible, &p.BackupState, &created, &lastUsed); err != nil {
		return storage.Passkey{}, err
	}
	var err error
	if p.Transports, err = transports.Read(); err != nil {
		return storage.Passkey{}, err
	}
	// The column's CHECK keeps it within the uint32 range.
	p.SignCount = uint32(signCount)
	p.PublicKey = Bytes(p.PublicKey)
	p.AAGUID = Bytes(p.AAGUID)
	p.Created = Time(&created)
	p.LastUsed = Time(lastUsed)
	return p, nil
}

// ProviderColumns are the columns of external_providers that Provider
// reads, in its order.
const ProviderColumns = `name, type, settings, created_at, updated_at`

// Provider reads a row of ProviderColumns.
func Provider(row Row) (storage.ExternalProvider, error) {
	var p storage.ExternalProvider
	var created, updated int64
	if err := row.Scan(&p.Name, &p.Type, &p.Settings, &created, &updated); err != nil {
		return storage.ExternalProvider{}, err
	}
	p.Settings = Bytes(p.Settings)
	p.Created = Time(&created)
	p.Updated = Time(&updated)
	return p, nil
}
