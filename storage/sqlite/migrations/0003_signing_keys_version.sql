-- One row whose version changes in the same transaction as every write to
-- the signing keys, as config_version does for clients and resources, so
-- that a server polls one number to see a key that signet keys rotated,
-- retired or revoked, instead of reading every key (issue 12). Triggers
-- bump it, so that no write path (nor an operator's SQL) can forget to.
CREATE TABLE signing_keys_version (
    id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO signing_keys_version (id, version) VALUES (1, 0);

CREATE TRIGGER signing_keys_insert_version AFTER INSERT ON signing_keys BEGIN UPDATE signing_keys_version SET version = version + 1; END;
CREATE TRIGGER signing_keys_update_version AFTER UPDATE ON signing_keys BEGIN UPDATE signing_keys_version SET version = version + 1; END;
CREATE TRIGGER signing_keys_delete_version AFTER DELETE ON signing_keys BEGIN UPDATE signing_keys_version SET version = version + 1; END;
