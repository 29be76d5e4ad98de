-- Tokens that can be cut off (issue 15).
--
-- A client's access token type, IdentityServer's AccessTokenType: '' (Jwt,
-- the default, which the rows written before this migration read as) or
-- 'Reference'. The clients triggers of 0002 bump the config version.
ALTER TABLE clients ADD COLUMN access_token_type TEXT NOT NULL DEFAULT '';

-- How an API resource is answered at the introspection endpoint: '' (JSON)
-- or 'jwt' (RFC 9701), and its public keys for private_key_jwt there.
ALTER TABLE api_resources ADD COLUMN introspection_response TEXT NOT NULL DEFAULT '';
ALTER TABLE api_resources ADD COLUMN jwks BLOB;
ALTER TABLE api_resources ADD COLUMN jwks_uri TEXT NOT NULL DEFAULT '';

-- An API resource's secrets (IdentityServer's ApiSecrets), with which it
-- authenticates at the introspection endpoint. Only the hash is kept, as
-- for client secrets.
CREATE TABLE api_resource_secrets (
    resource_name TEXT    NOT NULL REFERENCES api_resources (name) ON DELETE CASCADE,
    id            TEXT    NOT NULL,
    position      INTEGER NOT NULL,
    hash          TEXT    NOT NULL,
    description   TEXT    NOT NULL,
    expires_at    INTEGER,
    created_at    INTEGER,
    PRIMARY KEY (resource_name, id)
) WITHOUT ROWID;

CREATE TRIGGER api_resource_secrets_insert_version AFTER INSERT ON api_resource_secrets BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER api_resource_secrets_update_version AFTER UPDATE ON api_resource_secrets BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER api_resource_secrets_delete_version AFTER DELETE ON api_resource_secrets BEGIN UPDATE config_version SET version = version + 1; END;
