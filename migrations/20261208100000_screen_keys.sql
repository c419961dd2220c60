-- The big screen (contract v3): a room's screen link carries a key; only its SHA-256 is kept,
-- so a read of this table cannot open anyone's screen. NULL: no screen link (none made, or
-- revoked). A new link replaces the old one, which revokes it.
ALTER TABLE rooms ADD COLUMN screen_key_hash BYTEA;
