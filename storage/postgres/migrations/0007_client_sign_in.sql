-- A client's sign-in settings (issue 14), named as IdentityServer's Client
-- properties. require_pkce and allow_remember_consent default to true, as
-- in IdentityServer: ADD COLUMN gives the rows written before this
-- migration the default, so they read with IdentityServer's defaults.
-- Lifetimes are milliseconds, as access_token_lifetime_ms, 0 for the
-- default; empty enumerations and URIs mean the default and none. The
-- clients trigger of 0002 bumps the config version for writes to these
-- columns too.
ALTER TABLE clients
    ADD COLUMN require_pkce                              boolean NOT NULL DEFAULT true,
    ADD COLUMN allow_plain_text_pkce                     boolean NOT NULL DEFAULT false,
    ADD COLUMN require_consent                           boolean NOT NULL DEFAULT false,
    ADD COLUMN allow_remember_consent                    boolean NOT NULL DEFAULT true,
    ADD COLUMN allow_offline_access                      boolean NOT NULL DEFAULT false,
    ADD COLUMN always_include_user_claims_in_id_token    boolean NOT NULL DEFAULT false,
    ADD COLUMN identity_token_lifetime_ms                bigint  NOT NULL DEFAULT 0,
    ADD COLUMN authorization_code_lifetime_ms            bigint  NOT NULL DEFAULT 0,
    ADD COLUMN absolute_refresh_token_lifetime_ms        bigint  NOT NULL DEFAULT 0,
    ADD COLUMN sliding_refresh_token_lifetime_ms         bigint  NOT NULL DEFAULT 0,
    ADD COLUMN refresh_token_usage                       text    NOT NULL DEFAULT '',
    ADD COLUMN refresh_token_expiration                  text    NOT NULL DEFAULT '',
    ADD COLUMN client_uri                                text    NOT NULL DEFAULT '',
    ADD COLUMN logo_uri                                  text    NOT NULL DEFAULT '',
    ADD COLUMN allowed_identity_token_signing_algorithms text[]  NOT NULL DEFAULT '{}';
