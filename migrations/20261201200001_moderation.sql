-- Moderation: the host may hide an answer before it is voted on. The row stays (the author
-- wrote it; the record is honest about it) but is left out of results, history and exports.
ALTER TABLE answers ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT FALSE;
