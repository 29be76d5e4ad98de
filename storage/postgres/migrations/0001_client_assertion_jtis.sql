-- The replay cache of RFC 7523 client assertions (private_key_jwt): a jti is
-- refused for a client while its row exists with expires_at in the future.
-- jti is not a secret, so it is stored as is.
--
-- Every key column uses the "C" collation: equality is byte for byte (as in
-- the other backends) and ORDER BY is by code point, as Go sorts strings,
-- whatever the database's default collation.
--
-- Times are bigint unix milliseconds (UTC), the precision of the storage port,
-- as in the SQLite schema; to_timestamp(expires_at / 1000.0) shows one.
CREATE TABLE client_assertion_jtis (
    client_id  text COLLATE "C" NOT NULL,
    jti        text COLLATE "C" NOT NULL,
    expires_at bigint           NOT NULL,
    PRIMARY KEY (client_id, jti)
);

-- DeleteExpired scans by expiry.
CREATE INDEX client_assertion_jtis_expires_at ON client_assertion_jtis (expires_at);
