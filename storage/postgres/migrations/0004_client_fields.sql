-- What a configuration file's client holds beyond issue 5's columns (issue
-- 13), so that a file client converts to the stored record once. claims is a
-- JSON object kept byte for byte (bytea, not jsonb), as jwks is. The clients
-- trigger of 0002 bumps the config version for writes to these columns too.
ALTER TABLE clients
    ADD COLUMN description               text    NOT NULL DEFAULT '',
    ADD COLUMN disabled                  boolean NOT NULL DEFAULT false,
    ADD COLUMN public                    boolean NOT NULL DEFAULT false,
    ADD COLUMN claims                    bytea,
    ADD COLUMN cors_origins              text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN redirect_uris             text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN post_logout_redirect_uris text[]  NOT NULL DEFAULT '{}';
