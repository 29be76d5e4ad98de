-- A client's sign-in settings (issue 14), named as IdentityServer's Client
-- properties. require_pkce and allow_remember_consent default to true, as
-- in IdentityServer: ADD COLUMN gives the rows written before this
-- migration the default, so they read with IdentityServer's defaults.
-- Lifetimes are milliseconds, as access_token_lifetime_ms, 0 for the
-- default; empty enumerations and URIs mean the default and none. The
-- clients triggers of 0002 bump the config version for writes to these
-- columns too.
ALTER TABLE clients ADD COLUMN require_pkce INTEGER NOT NULL DEFAULT 1;
ALTER TABLE clients ADD COLUMN allow_plain_text_pkce INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN require_consent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN allow_remember_consent INTEGER NOT NULL DEFAULT 1;
ALTER TABLE clients ADD COLUMN allow_offline_access INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN always_include_user_claims_in_id_token INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN identity_token_lifetime_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN authorization_code_lifetime_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN absolute_refresh_token_lifetime_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN sliding_refresh_token_lifetime_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN refresh_token_usage TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN refresh_token_expiration TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN client_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN logo_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN allowed_identity_token_signing_algorithms TEXT NOT NULL DEFAULT '[]'; -- JSON array of strings
