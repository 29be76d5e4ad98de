-- Signing in with more (issue 16): external identity providers, passkeys
-- and a second factor.
--
-- A client that makes its users sign in with a second factor. The clients
-- triggers of 0002 bump the config version for writes to it too; the rows
-- written before this migration read as not requiring one.
ALTER TABLE clients ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0;

-- A user's authenticator-app key (sealed by the caller), the last TOTP step
-- accepted (0 for none) and the hashes of the unused recovery codes (a JSON
-- array of strings). The rows written before read as a user without a
-- second factor.
ALTER TABLE users ADD COLUMN totp_secret BLOB;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN recovery_codes TEXT NOT NULL DEFAULT '[]';

-- Links between local users and their accounts at external providers,
-- keyed by the provider's (issuer, subject), never by an email address.
-- They change at run time (each sign-in's last_used_at): no config_version
-- trigger. A user's links go with the user (ON DELETE CASCADE: the
-- connections have foreign_keys on).
CREATE TABLE user_links (
    issuer       TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    provider     TEXT    NOT NULL,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tokens       BLOB, -- sealed by the caller, NULL for none
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    PRIMARY KEY (issuer, subject)
) WITHOUT ROWID;

CREATE INDEX user_links_user_id ON user_links (user_id);

-- Users' passkeys (WebAuthn credentials), keyed by the credential id. Run
-- time data too (each sign-in's counter): no config_version trigger.
-- sign_count is the authenticator's uint32 counter; the CHECK keeps what Go
-- reads back within its range.
CREATE TABLE passkeys (
    id               TEXT    NOT NULL PRIMARY KEY,
    user_id          TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    public_key       BLOB    NOT NULL,
    attestation_type TEXT    NOT NULL,
    aaguid           BLOB,
    sign_count       INTEGER NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
    clone_warning    INTEGER NOT NULL,
    transports       TEXT    NOT NULL, -- JSON array of strings
    attachment       TEXT    NOT NULL,
    user_verified    INTEGER NOT NULL,
    backup_eligible  INTEGER NOT NULL,
    backup_state     INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    last_used_at     INTEGER
);

CREATE INDEX passkeys_user_id ON passkeys (user_id);

-- External identity providers kept in the database. They are
-- configuration, as clients: every write bumps the config version, so that
-- every instance reloads them.
CREATE TABLE external_providers (
    name       TEXT    NOT NULL PRIMARY KEY,
    type       TEXT    NOT NULL,
    settings   BLOB    NOT NULL, -- a JSON object kept byte for byte
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER external_providers_insert_version AFTER INSERT ON external_providers BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER external_providers_update_version AFTER UPDATE ON external_providers BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER external_providers_delete_version AFTER DELETE ON external_providers BEGIN UPDATE config_version SET version = version + 1; END;
