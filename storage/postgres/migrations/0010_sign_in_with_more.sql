-- Signing in with more (issue 16): external identity providers, passkeys
-- and a second factor.
--
-- A client that makes its users sign in with a second factor. The clients
-- trigger of 0002 bumps the config version for writes to it too; the rows
-- written before this migration read as not requiring one.
ALTER TABLE clients ADD COLUMN require_mfa boolean NOT NULL DEFAULT false;

-- A user's authenticator-app key (sealed by the caller), the last TOTP step
-- accepted (0 for none) and the hashes of the unused recovery codes. The
-- rows written before read as a user without a second factor.
ALTER TABLE users
    ADD COLUMN totp_secret    bytea,
    ADD COLUMN totp_last_step bigint NOT NULL DEFAULT 0,
    ADD COLUMN recovery_codes text[] NOT NULL DEFAULT '{}';

-- Links between local users and their accounts at external providers,
-- keyed by the provider's (issuer, subject), never by an email address.
-- They change at run time (each sign-in's last_used_at): no config_version
-- trigger. A user's links go with the user.
CREATE TABLE user_links (
    issuer       text COLLATE "C" NOT NULL,
    subject      text COLLATE "C" NOT NULL,
    provider     text   NOT NULL,
    user_id      text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tokens       bytea, -- sealed by the caller, NULL for none
    created_at   bigint NOT NULL,
    last_used_at bigint,
    PRIMARY KEY (issuer, subject)
);

CREATE INDEX user_links_user_id ON user_links (user_id);

-- Users' passkeys (WebAuthn credentials), keyed by the credential id. Run
-- time data too (each sign-in's counter): no config_version trigger.
-- sign_count is the authenticator's uint32 counter, which integer cannot
-- hold: a bigint kept within the uint32 range.
CREATE TABLE passkeys (
    id               text COLLATE "C" NOT NULL PRIMARY KEY,
    user_id          text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name             text    NOT NULL,
    public_key       bytea   NOT NULL,
    attestation_type text    NOT NULL,
    aaguid           bytea,
    sign_count       bigint  NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
    clone_warning    boolean NOT NULL,
    transports       text[]  NOT NULL,
    attachment       text    NOT NULL,
    user_verified    boolean NOT NULL,
    backup_eligible  boolean NOT NULL,
    backup_state     boolean NOT NULL,
    created_at       bigint  NOT NULL,
    last_used_at     bigint
);

CREATE INDEX passkeys_user_id ON passkeys (user_id);

-- External identity providers kept in the database. They are
-- configuration, as clients: every write bumps the config version and
-- notifies the instances listening (signet_config_changed of 0002), so
-- that every instance reloads them.
CREATE TABLE external_providers (
    name       text COLLATE "C" NOT NULL PRIMARY KEY,
    type       text   NOT NULL,
    settings   bytea  NOT NULL, -- a JSON object kept byte for byte, not as jsonb
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);

CREATE TRIGGER external_providers_config_version AFTER INSERT OR UPDATE OR DELETE ON external_providers
    FOR EACH ROW EXECUTE FUNCTION signet_config_changed();
