-- What sign-in needs (issue 13): a family id on persisted grants, users and
-- sessions.
--
-- The family id is shared by the grants one grant led to, so that a refresh
-- token used twice revokes every token issued from the same code; '' for
-- none, as subject and session_id.
ALTER TABLE grants ADD COLUMN family_id text COLLATE "C" NOT NULL DEFAULT '';

CREATE INDEX grants_family_id ON grants (family_id) WHERE family_id <> '';

-- Users change at run time (failed logins, lockouts): no config_version
-- trigger. username_key is the username as storage.NormalizeUsername
-- compares it (Go computes it, so that every backend folds alike), unique.
CREATE TABLE users (
    id             text COLLATE "C" NOT NULL PRIMARY KEY,
    username       text    NOT NULL,
    username_key   text COLLATE "C" NOT NULL UNIQUE,
    password_hash  text    NOT NULL,
    email          text    NOT NULL,
    email_verified boolean NOT NULL,
    name           text    NOT NULL,
    claims         bytea, -- a JSON object kept byte for byte, not as jsonb
    disabled       boolean NOT NULL,
    failed_logins  integer NOT NULL,
    locked_until   bigint,
    created_at     bigint  NOT NULL,
    updated_at     bigint  NOT NULL
);

-- Sessions, keyed by the hash of the cookie's handle (the caller hashes; the
-- handle itself is never stored). No config_version trigger either.
CREATE TABLE sessions (
    id         text COLLATE "C" NOT NULL PRIMARY KEY,
    subject    text COLLATE "C" NOT NULL,
    auth_time  bigint NOT NULL,
    amr        text[] NOT NULL,
    idp        text COLLATE "C" NOT NULL,
    clients    text[] NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
);

CREATE INDEX sessions_subject ON sessions (subject, created_at);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
