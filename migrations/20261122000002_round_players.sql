-- The players a round waits for (active participants when it started), so live state can be
-- rebuilt from Postgres alone after Redis loses it.
ALTER TABLE rounds ADD COLUMN players UUID[] NOT NULL DEFAULT '{}';
-- Rebuilds read a room's rounds newest first.
CREATE INDEX rounds_room_id_idx ON rounds (room_id, round_number DESC);
CREATE INDEX answers_round_id_idx ON answers (round_id, created_at);
-- The deadline sweep looks for running phases past their deadline.
CREATE INDEX rounds_running_deadline_idx ON rounds (deadline) WHERE status <> 'finished';
