-- Clients, resources, persisted grants and signing keys (issue 5).
--
-- Times are INTEGER unix milliseconds (UTC); NULL stands for the zero time
-- (a secret or key that never expires, a grant not consumed). Lists of names
-- that are only ever read with their parent (a client's grant types and
-- scopes) are JSON arrays; those that other rows may be looked up by get
-- tables of their own, ordered by position.

CREATE TABLE clients (
    id                       TEXT    NOT NULL PRIMARY KEY,
    name                     TEXT    NOT NULL,
    grant_types              TEXT    NOT NULL, -- JSON array of strings
    scopes                   TEXT    NOT NULL, -- JSON array of strings
    access_token_lifetime_ms INTEGER NOT NULL,
    jwks                     BLOB,
    jwks_uri                 TEXT    NOT NULL,
    created_at               INTEGER NOT NULL,
    updated_at               INTEGER NOT NULL
);

-- Only the hash of a secret is kept, never the secret.
CREATE TABLE client_secrets (
    client_id   TEXT    NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    id          TEXT    NOT NULL,
    position    INTEGER NOT NULL,
    hash        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    expires_at  INTEGER,
    created_at  INTEGER,
    PRIMARY KEY (client_id, id)
) WITHOUT ROWID;

CREATE TABLE api_scopes (
    name         TEXT NOT NULL PRIMARY KEY,
    display_name TEXT NOT NULL,
    description  TEXT NOT NULL
);

CREATE TABLE api_resources (
    name         TEXT NOT NULL PRIMARY KEY,
    display_name TEXT NOT NULL
);

CREATE TABLE api_resource_scopes (
    resource_name TEXT    NOT NULL REFERENCES api_resources (name) ON DELETE CASCADE,
    scope         TEXT    NOT NULL,
    position      INTEGER NOT NULL,
    PRIMARY KEY (resource_name, scope)
) WITHOUT ROWID;

-- Which resources carry a scope: the audience of a token.
CREATE INDEX api_resource_scopes_scope ON api_resource_scopes (scope);

CREATE TABLE identity_resources (
    name         TEXT NOT NULL PRIMARY KEY,
    display_name TEXT NOT NULL,
    description  TEXT NOT NULL
);

CREATE TABLE identity_resource_claims (
    resource_name TEXT    NOT NULL REFERENCES identity_resources (name) ON DELETE CASCADE,
    claim         TEXT    NOT NULL,
    position      INTEGER NOT NULL,
    PRIMARY KEY (resource_name, claim)
) WITHOUT ROWID;

-- Persisted grants, keyed by the hash of their handle (the caller hashes;
-- the handle itself is never stored).
CREATE TABLE grants (
    key         TEXT    NOT NULL PRIMARY KEY,
    type        TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    client_id   TEXT    NOT NULL,
    session_id  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    consumed_at INTEGER,
    data        BLOB
);

CREATE INDEX grants_subject ON grants (subject, created_at);
CREATE INDEX grants_client_id ON grants (client_id, created_at);
CREATE INDEX grants_session_id ON grants (session_id) WHERE session_id <> '';
CREATE INDEX grants_expires_at ON grants (expires_at) WHERE expires_at IS NOT NULL;

-- Managed signing keys; data is encrypted by the caller.
CREATE TABLE signing_keys (
    id           TEXT    NOT NULL PRIMARY KEY,
    algorithm    TEXT    NOT NULL,
    data         BLOB,
    created_at   INTEGER NOT NULL,
    activates_at INTEGER,
    retires_at   INTEGER,
    expires_at   INTEGER
);

CREATE INDEX signing_keys_expires_at ON signing_keys (expires_at) WHERE expires_at IS NOT NULL;

-- One row whose version changes in the same transaction as every write to
-- clients, their secrets, scopes and resources, so that an instance caching
-- them polls one number. Triggers bump it, so that no write path (nor an
-- operator's SQL) can forget to.
CREATE TABLE config_version (
    id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 0);

CREATE TRIGGER clients_insert_version AFTER INSERT ON clients BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER clients_update_version AFTER UPDATE ON clients BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER clients_delete_version AFTER DELETE ON clients BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER client_secrets_insert_version AFTER INSERT ON client_secrets BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER client_secrets_update_version AFTER UPDATE ON client_secrets BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER client_secrets_delete_version AFTER DELETE ON client_secrets BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER api_scopes_insert_version AFTER INSERT ON api_scopes BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER api_scopes_update_version AFTER UPDATE ON api_scopes BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER api_scopes_delete_version AFTER DELETE ON api_scopes BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER api_resources_insert_version AFTER INSERT ON api_resources BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER api_resources_update_version AFTER UPDATE ON api_resources BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER api_resources_delete_version AFTER DELETE ON api_resources BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER api_resource_scopes_insert_version AFTER INSERT ON api_resource_scopes BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER api_resource_scopes_update_version AFTER UPDATE ON api_resource_scopes BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER api_resource_scopes_delete_version AFTER DELETE ON api_resource_scopes BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER identity_resources_insert_version AFTER INSERT ON identity_resources BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER identity_resources_update_version AFTER UPDATE ON identity_resources BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER identity_resources_delete_version AFTER DELETE ON identity_resources BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER identity_resource_claims_insert_version AFTER INSERT ON identity_resource_claims BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER identity_resource_claims_update_version AFTER UPDATE ON identity_resource_claims BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER identity_resource_claims_delete_version AFTER DELETE ON identity_resource_claims BEGIN UPDATE config_version SET version = version + 1; END;
