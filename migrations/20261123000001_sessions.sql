-- Sessions: one row per token issued (its `jti`). A token is accepted only while its row
-- exists and is not revoked (and its `exp` has not passed), so logging out, "sign out
-- everywhere" and a password change are durable: they survive a Redis restart, which only
-- caches these rows. Rows are pruned some time after their token expired.
CREATE TABLE sessions (
    jti        UUID PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issued_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
-- "Every live session of this user" (revoke all).
CREATE INDEX sessions_user_live ON sessions (user_id) WHERE revoked_at IS NULL;
-- Pruning.
CREATE INDEX sessions_expires_at ON sessions (expires_at);
