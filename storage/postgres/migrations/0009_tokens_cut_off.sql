-- Tokens that can be cut off (issue 15).
--
-- A client's access token type, IdentityServer's AccessTokenType: '' (Jwt,
-- the default, which the rows written before this migration read as) or
-- 'Reference'. The clients trigger of 0002 bumps the config version.
ALTER TABLE clients ADD COLUMN access_token_type text NOT NULL DEFAULT '';

-- How an API resource is answered at the introspection endpoint: '' (JSON)
-- or 'jwt' (RFC 9701), and its public keys for private_key_jwt there.
ALTER TABLE api_resources ADD COLUMN introspection_response text NOT NULL DEFAULT '';
ALTER TABLE api_resources ADD COLUMN jwks bytea;
ALTER TABLE api_resources ADD COLUMN jwks_uri text NOT NULL DEFAULT '';

-- An API resource's secrets (IdentityServer's ApiSecrets), with which it
-- authenticates at the introspection endpoint. Only the hash is kept, as
-- for client secrets.
CREATE TABLE api_resource_secrets (
    resource_name text COLLATE "C" NOT NULL REFERENCES api_resources (name) ON DELETE CASCADE,
    id            text COLLATE "C" NOT NULL,
    position      integer NOT NULL,
    hash          text    NOT NULL,
    description   text    NOT NULL,
    expires_at    bigint,
    created_at    bigint,
    PRIMARY KEY (resource_name, id)
);

CREATE TRIGGER api_resource_secrets_config_version AFTER INSERT OR UPDATE OR DELETE ON api_resource_secrets
    FOR EACH ROW EXECUTE FUNCTION signet_config_changed();
