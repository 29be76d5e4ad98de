-- Clients, resources, persisted grants and signing keys (issue 5).
--
-- Times are bigint unix milliseconds (UTC); NULL stands for the zero time (a
-- secret or key that never expires, a grant not consumed). Keys use the "C"
-- collation (see 0001).

CREATE TABLE clients (
    id                       text COLLATE "C" NOT NULL PRIMARY KEY,
    name                     text   NOT NULL,
    grant_types              text[] NOT NULL,
    scopes                   text[] NOT NULL,
    access_token_lifetime_ms bigint NOT NULL,
    jwks                     bytea, -- kept byte for byte, not as jsonb
    jwks_uri                 text   NOT NULL,
    created_at               bigint NOT NULL,
    updated_at               bigint NOT NULL
);

-- Only the hash of a secret is kept, never the secret.
CREATE TABLE client_secrets (
    client_id   text COLLATE "C" NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    id          text COLLATE "C" NOT NULL,
    position    integer NOT NULL,
    hash        text    NOT NULL,
    description text    NOT NULL,
    expires_at  bigint,
    created_at  bigint,
    PRIMARY KEY (client_id, id)
);

CREATE TABLE api_scopes (
    name         text COLLATE "C" NOT NULL PRIMARY KEY,
    display_name text NOT NULL,
    description  text NOT NULL
);

CREATE TABLE api_resources (
    name         text COLLATE "C" NOT NULL PRIMARY KEY,
    display_name text NOT NULL
);

-- A resource's scopes are names, not references to api_scopes.
CREATE TABLE api_resource_scopes (
    resource_name text COLLATE "C" NOT NULL REFERENCES api_resources (name) ON DELETE CASCADE,
    scope         text COLLATE "C" NOT NULL,
    position      integer NOT NULL,
    PRIMARY KEY (resource_name, scope)
);

-- Which resources carry a scope: the audience of a token.
CREATE INDEX api_resource_scopes_scope ON api_resource_scopes (scope);

CREATE TABLE identity_resources (
    name         text COLLATE "C" NOT NULL PRIMARY KEY,
    display_name text NOT NULL,
    description  text NOT NULL
);

CREATE TABLE identity_resource_claims (
    resource_name text COLLATE "C" NOT NULL REFERENCES identity_resources (name) ON DELETE CASCADE,
    claim         text COLLATE "C" NOT NULL,
    position      integer NOT NULL,
    PRIMARY KEY (resource_name, claim)
);

-- Persisted grants, keyed by the hash of their handle (the caller hashes;
-- the handle itself is never stored).
CREATE TABLE grants (
    key         text COLLATE "C" NOT NULL PRIMARY KEY,
    type        text COLLATE "C" NOT NULL,
    subject     text COLLATE "C" NOT NULL,
    client_id   text COLLATE "C" NOT NULL,
    session_id  text COLLATE "C" NOT NULL,
    created_at  bigint NOT NULL,
    expires_at  bigint,
    consumed_at bigint,
    data        bytea
);

CREATE INDEX grants_subject ON grants (subject, created_at);
CREATE INDEX grants_client_id ON grants (client_id, created_at);
CREATE INDEX grants_session_id ON grants (session_id) WHERE session_id <> '';
CREATE INDEX grants_expires_at ON grants (expires_at) WHERE expires_at IS NOT NULL;

-- Managed signing keys; data is encrypted by the caller.
CREATE TABLE signing_keys (
    id           text COLLATE "C" NOT NULL PRIMARY KEY,
    algorithm    text   NOT NULL,
    data         bytea  NOT NULL,
    created_at   bigint NOT NULL,
    activates_at bigint,
    retires_at   bigint,
    expires_at   bigint
);

CREATE INDEX signing_keys_expires_at ON signing_keys (expires_at) WHERE expires_at IS NOT NULL;

-- One row whose version changes in the same transaction as every write to
-- clients, their secrets, scopes and resources, so that an instance caching
-- them polls one number; the same transaction notifies the channel
-- signet_config_<schema> (LISTEN/NOTIFY delivers it at commit), so that
-- instances listening hear of it at once. Triggers do both, so that no write
-- path (nor an operator's SQL) can forget to. txid makes it once per
-- transaction, however many rows the transaction writes.
CREATE TABLE config_version (
    id      integer NOT NULL PRIMARY KEY CHECK (id = 1),
    version bigint  NOT NULL,
    txid    bigint
);
INSERT INTO config_version (id, version) VALUES (1, 0);

-- The channel name is an identifier, at most 63 bytes: a long schema name is
-- replaced by its md5. storage/postgres computes the same name.
CREATE FUNCTION signet_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v       bigint;
    channel text := 'signet_config_' || TG_TABLE_SCHEMA;
BEGIN
    EXECUTE format('UPDATE %I.config_version SET version = version + 1, txid = txid_current()
                    WHERE id = 1 AND txid IS DISTINCT FROM txid_current() RETURNING version', TG_TABLE_SCHEMA)
        INTO v;
    IF v IS NOT NULL THEN
        IF octet_length(channel) > 63 THEN
            channel := 'signet_config_' || md5(TG_TABLE_SCHEMA);
        END IF;
        PERFORM pg_notify(channel, v::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER clients_config_version AFTER INSERT OR UPDATE OR DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION signet_config_changed();
CREATE TRIGGER client_secrets_config_version AFTER INSERT OR UPDATE OR DELETE ON client_secrets
    FOR EACH ROW EXECUTE FUNCTION signet_config_changed();
CREATE TRIGGER api_scopes_config_version AFTER INSERT OR UPDATE OR DELETE ON api_scopes
    FOR EACH ROW EXECUTE FUNCTION signet_config_changed();
CREATE TRIGGER api_resources_config_version AFTER INSERT OR UPDATE OR DELETE ON api_resources
    FOR EACH ROW EXECUTE FUNCTION signet_config_changed();
CREATE TRIGGER api_resource_scopes_config_version AFTER INSERT OR UPDATE OR DELETE ON api_resource_scopes
    FOR EACH ROW EXECUTE FUNCTION signet_config_changed();
CREATE TRIGGER identity_resources_config_version AFTER INSERT OR UPDATE OR DELETE ON identity_resources
    FOR EACH ROW EXECUTE FUNCTION signet_config_changed();
CREATE TRIGGER identity_resource_claims_config_version AFTER INSERT OR UPDATE OR DELETE ON identity_resource_claims
    FOR EACH ROW EXECUTE FUNCTION signet_config_changed();
