-- When a user last signed in successfully (issue 14: "created / last-login
-- times"), as internal/users records it with the sign-in's other changes;
-- NULL for never, which the users written before this migration read as.
-- Milliseconds since the epoch, as locked_until.
ALTER TABLE users ADD COLUMN last_login bigint;
