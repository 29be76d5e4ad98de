-- What a configuration file's client holds beyond issue 5's columns (issue
-- 13), so that a file client converts to the stored record once. Lists are
-- JSON arrays, as grant_types and scopes are; claims is a JSON object kept
-- byte for byte (BLOB), as jwks is. The clients triggers of 0002 bump the
-- config version for writes to these columns too.
ALTER TABLE clients ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN public INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN claims BLOB;
ALTER TABLE clients ADD COLUMN cors_origins TEXT NOT NULL DEFAULT '[]'; -- JSON array of strings
ALTER TABLE clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '[]'; -- JSON array of strings
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]'; -- JSON array of strings
