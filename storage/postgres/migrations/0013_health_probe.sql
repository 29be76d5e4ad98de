-- One row that an instance writes to check that a write succeeds, while
-- writes fail (a full disk on the server: 53100; a read-only standby:
-- 25006) and no request writes: /readyz turns ready again by itself once
-- it does (issue 18). Instances sharing the database update the same row;
-- they do so only during an outage, at most once a second each.
CREATE TABLE health_probe (
    id        integer PRIMARY KEY CHECK (id = 1),
    probed_at bigint NOT NULL -- Unix milliseconds
);

INSERT INTO health_probe (id, probed_at) VALUES (1, 0);
