-- Failed client authentications per client address, as PostgreSQL's
-- 0012 has them for the instances that share it. SQLite serves one
-- instance, which counts them in memory: the table keeps the two schemas
-- alike and stays empty.
CREATE TABLE client_auth_failures (
    key          TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    failures     INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
