-- The audit log (issue 17), with audit.sink: postgres: one row per
-- security-relevant act (a token issued or refused, a client that failed
-- to authenticate, a key rotated, a login, a consent, a logout, a change
-- made through the CLI). Rows are only ever appended, in batches, by the
-- server's audit writer; never a secret, token, password or assertion.
-- Nothing deletes them: keeping and pruning them is the operator's policy.
CREATE TABLE audit_events (
    id          bigserial PRIMARY KEY,
    time        bigint NOT NULL, -- Unix milliseconds
    event       text   NOT NULL,
    result      text   NOT NULL,
    client_id   text   NOT NULL DEFAULT '',
    subject     text   NOT NULL DEFAULT '',
    grant_type  text   NOT NULL DEFAULT '',
    scopes      text[] NOT NULL DEFAULT '{}',
    kid         text   NOT NULL DEFAULT '',
    alg         text   NOT NULL DEFAULT '',
    remote      text   NOT NULL DEFAULT '',
    request_id  text   NOT NULL DEFAULT '',
    detail      text   NOT NULL DEFAULT '',
    attrs       jsonb  -- the event's own attributes, NULL for none
);

CREATE INDEX audit_events_time ON audit_events (time);
CREATE INDEX audit_events_event_time ON audit_events (event, time);
