-- Guests (contract v3): a person who joins with a nickname only. A guest is a user like any
-- other (their sessions, games, votes and likes are theirs, and history shows their name), with
-- no email and no password until they upgrade in place (`POST /api/auth/upgrade` fills both and
-- clears `guest`, so everything they did stays theirs).
ALTER TABLE users
    ALTER COLUMN email DROP NOT NULL,
    ALTER COLUMN password_hash DROP NOT NULL,
    ADD COLUMN guest BOOLEAN NOT NULL DEFAULT false;

-- An account has both; a guest may have neither.
ALTER TABLE users ADD CONSTRAINT users_account_has_credentials
    CHECK (guest OR (email IS NOT NULL AND password_hash IS NOT NULL));

-- The clean-up of unused guests looks at old guests only.
CREATE INDEX users_guests_created_idx ON users (created_at) WHERE guest;
