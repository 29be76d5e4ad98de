-- When the first of a user's counted failed logins happened (issue 14), so
-- that a lockout follows a number of failures within a window of time, as
-- internal/users decides; NULL for none. Milliseconds since the epoch, as
-- locked_until.
ALTER TABLE users ADD COLUMN failed_since INTEGER;
