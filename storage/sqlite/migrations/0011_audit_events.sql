-- The audit log's table (issue 17). Only PostgreSQL writes it today
-- (audit.sink: postgres); SQLite has the same table so that the two
-- dialects keep the same migration numbers, and so that an embedded sink
-- can come without another migration. Never a secret, token, password or
-- assertion in it.
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    time        INTEGER NOT NULL, -- Unix milliseconds
    event       TEXT NOT NULL,
    result      TEXT NOT NULL,
    client_id   TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL DEFAULT '',
    grant_type  TEXT NOT NULL DEFAULT '',
    scopes      TEXT NOT NULL DEFAULT '[]', -- a JSON array of strings
    kid         TEXT NOT NULL DEFAULT '',
    alg         TEXT NOT NULL DEFAULT '',
    remote      TEXT NOT NULL DEFAULT '',
    request_id  TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    attrs       TEXT -- a JSON object, NULL for none
);

CREATE INDEX audit_events_time ON audit_events (time);
CREATE INDEX audit_events_event_time ON audit_events (event, time);
