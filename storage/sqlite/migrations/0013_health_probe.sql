-- One row that the server writes to check that a write succeeds, while
-- writes fail (a full disk, a read-only file) and no request writes: /readyz
-- turns ready again by itself once it does (issue 18).
CREATE TABLE health_probe (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    probed_at INTEGER NOT NULL -- Unix milliseconds
);

INSERT INTO health_probe (id, probed_at) VALUES (1, 0);
