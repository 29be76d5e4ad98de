-- One row whose version changes in the same transaction as every write to
-- the signing keys, as config_version does for clients and resources, so
-- that a server polls one number to see a key that signet keys rotated,
-- retired or revoked, instead of reading every key (issue 12); the store's
-- NOTIFY after each write makes it sooner. A trigger bumps it for each row
-- written (a statement that writes none, such as a sweep that finds no
-- expired key, leaves it), so that no write path (nor an operator's SQL) can
-- forget to.
CREATE TABLE signing_keys_version (
    id      integer NOT NULL PRIMARY KEY CHECK (id = 1),
    version bigint  NOT NULL
);
INSERT INTO signing_keys_version (id, version) VALUES (1, 0);

CREATE FUNCTION signet_signing_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('UPDATE %I.signing_keys_version SET version = version + 1 WHERE id = 1', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;

CREATE TRIGGER signing_keys_version AFTER INSERT OR UPDATE OR DELETE ON signing_keys
    FOR EACH ROW EXECUTE FUNCTION signet_signing_keys_changed();
