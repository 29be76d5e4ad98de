package storage

import (
	"context"
	"time"
)

// Passkey is a WebAuthn credential a user registered (issue 16): what
// github.com/go-webauthn/webauthn needs to verify a sign-in with it, and
// what the account page shows.
type Passkey struct {
	// ID is the credential id in base64url without padding: the key.
	ID string
	// UserID is the user's id; it cannot change.
	UserID string
	// Name is what the user calls it ("YubiKey", "Phone"), free text.
	Name string
	// PublicKey is the credential's COSE public key.
	PublicKey []byte
	// AttestationType is the attestation's format ("none", "packed", ...).
	AttestationType string
	// AAGUID identifies the authenticator's model (16 bytes, or empty).
	AAGUID []byte
	// SignCount is the authenticator's signature counter as last seen.
	SignCount uint32
	// CloneWarning is set when a sign-in showed a counter that went back
	// (WebAuthn §6.1.1: the authenticator may be cloned).
	CloneWarning bool
	// Transports are the authenticator's transports (usb, nfc, ble,
	// internal, hybrid), as the browser reported them.
	Transports []string
	// Attachment is "platform" or "cross-platform", "" if unknown.
	Attachment string
	// UserVerified, BackupEligible and BackupState are the flags of the
	// authenticator data, as last seen.
	UserVerified, BackupEligible, BackupState bool
	// Created is set by the store; LastUsed is the caller's, zero for
	// never.
	Created, LastUsed time.Time
}

// Passkeys keeps users' passkeys, by credential id.
//
// Every method checks its arguments first and refuses bad ones with
// ErrInvalid. Writes do not change the ConfigVersion.
type Passkeys interface {
	// CreatePasskey adds a passkey (checked by CheckPasskey);
	// ErrAlreadyExists if its id is taken (by any user), ErrNotFound if
	// its user does not exist. The store sets Created.
	CreatePasskey(ctx context.Context, p Passkey) error
	// GetPasskey returns a passkey; ErrNotFound if there is none.
	GetPasskey(ctx context.Context, id string) (Passkey, error)
	// ListPasskeys returns the user's passkeys, oldest first (by Created,
	// then by id in byte order); none for an unknown user.
	ListPasskeys(ctx context.Context, userID string) ([]Passkey, error)
	// UpdatePasskey reads the passkey, lets update change it, and writes
	// it back in one transaction, as UpdateUser does: a sign-in's counter
	// and flags, a new name. The id and user cannot change (ErrInvalid);
	// Created is kept. ErrNotFound if there is no such passkey.
	UpdatePasskey(ctx context.Context, id string, update func(*Passkey) error) error
	// DeletePasskey removes a passkey; ErrNotFound if there is none.
	DeletePasskey(ctx context.Context, id string) error
}
