-- What sign-in needs (issue 13): a family id on persisted grants, users and
-- sessions.
--
-- The family id is shared by the grants one grant led to, so that a refresh
-- token used twice revokes every token issued from the same code; '' for
-- none, as subject and session_id.
ALTER TABLE grants ADD COLUMN family_id TEXT NOT NULL DEFAULT '';

CREATE INDEX grants_family_id ON grants (family_id) WHERE family_id <> '';

-- Users change at run time (failed logins, lockouts): no config_version
-- trigger. username_key is the username as storage.NormalizeUsername
-- compares it (Go computes it: SQLite's lower() folds ASCII only), unique.
CREATE TABLE users (
    id             TEXT    NOT NULL PRIMARY KEY,
    username       TEXT    NOT NULL,
    username_key   TEXT    NOT NULL UNIQUE,
    password_hash  TEXT    NOT NULL,
    email          TEXT    NOT NULL,
    email_verified INTEGER NOT NULL,
    name           TEXT    NOT NULL,
    claims         BLOB, -- a JSON object kept byte for byte
    disabled       INTEGER NOT NULL,
    failed_logins  INTEGER NOT NULL,
    locked_until   INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

-- Sessions, keyed by the hash of the cookie's handle (the caller hashes; the
-- handle itself is never stored). No config_version trigger either.
CREATE TABLE sessions (
    id         TEXT    NOT NULL PRIMARY KEY,
    subject    TEXT    NOT NULL,
    auth_time  INTEGER NOT NULL,
    amr        TEXT    NOT NULL, -- JSON array of strings
    idp        TEXT    NOT NULL,
    clients    TEXT    NOT NULL, -- JSON array of strings
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE INDEX sessions_subject ON sessions (subject, created_at);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
