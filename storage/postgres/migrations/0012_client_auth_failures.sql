-- Failed client authentications per client address (issue 17), shared by
-- the instances: past rateLimits.clientAuthFailures.maxFailures in a window,
-- an address is refused. A row is written only when an authentication
-- fails; the window's start and count come back, and each instance keeps
-- them in memory, so that a success reads nothing. expires_at (the window's
-- end) lets DeleteExpired remove the rows of windows that ended.
CREATE TABLE client_auth_failures (
    key          text COLLATE "C" PRIMARY KEY,
    window_start bigint  NOT NULL, -- Unix milliseconds
    failures     integer NOT NULL,
    expires_at   bigint  NOT NULL  -- Unix milliseconds
);

CREATE INDEX client_auth_failures_expires_at ON client_auth_failures (expires_at);
