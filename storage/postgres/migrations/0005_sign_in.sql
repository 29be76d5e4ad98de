-- What sign-in needs (issue 13): a family id on persisted grants, so that a
-- refresh token used twice revokes every token issued from the same code.
-- '' for none, as subject and session_id.
ALTER TABLE grants ADD COLUMN family_id text COLLATE "C" NOT NULL DEFAULT '';

CREATE INDEX grants_family_id ON grants (family_id) WHERE family_id <> '';
