-- The replay cache of RFC 7523 client assertions (private_key_jwt): a jti is
-- refused for a client while its row exists with expires_at in the future.
-- jti is not a secret, so it is stored as is. Lengths are bounded by the port
-- (storage.MaxKeyLen), not here: SQLite's length() counts characters.
CREATE TABLE client_assertion_jtis (
    client_id  TEXT    NOT NULL,
    jti        TEXT    NOT NULL,
    expires_at INTEGER NOT NULL, -- unix milliseconds, UTC
    PRIMARY KEY (client_id, jti)
) WITHOUT ROWID;

-- DeleteExpired scans by expiry.
CREATE INDEX client_assertion_jtis_expires_at ON client_assertion_jtis (expires_at);
