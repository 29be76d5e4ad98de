-- Authorization codes are most of the grants written: one per sign-in,
-- redeemed within seconds and gone after their lifetime. Each index a code
-- enters costs the pages its entry lands on at every commit, and the
-- subject and session indexes put each code at a place of its own (a
-- user's, a session's), so that a commit of thirty codes wrote some sixty
-- pages for them alone. Codes now stay out of those two indexes; the few
-- queries that look for codes by user or session (a user revoking a
-- client's access, signet grants, signet user remove) read the live codes
-- through grants_codes instead, whose entries, in the order codes expire,
-- land on the index's last page. Queries must name the type condition of
-- the index they use (see storage/internal/grantsql): SQLite uses a partial
-- index only for a query whose condition contains the index's.
DROP INDEX grants_subject;
CREATE INDEX grants_subject ON grants (subject, created_at) WHERE type <> 'authorization_code';

DROP INDEX grants_session_id;
CREATE INDEX grants_session_id ON grants (session_id) WHERE session_id <> '' AND type <> 'authorization_code';

CREATE INDEX grants_codes ON grants (expires_at) WHERE type = 'authorization_code';
