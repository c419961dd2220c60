-- Games: with `play_again` one room holds several games in turn, so a game is its own row.
-- A game's id is the id of its first round (fresh and unique already when the game starts),
-- so the live state needs no extra id to name it. Rounds belong to a game; a room still never
-- gets the same question twice, over all its games (`UNIQUE (room_id, question)` stays).
CREATE TABLE games (
    id         UUID PRIMARY KEY,
    room_id    UUID NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    number     INTEGER NOT NULL CHECK (number >= 1),
    -- Who started it: the host at that moment (a hand-over later does not rewrite history).
    host_id    UUID NOT NULL REFERENCES users (id),
    -- The settings it was played with (`play_again` may change the room's).
    settings   JSONB NOT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Set when the game ended normally; NULL for a game still running or abandoned.
    ended_at   TIMESTAMPTZ,
    UNIQUE (room_id, number)
);
-- "Games I hosted", newest first.
CREATE INDEX games_host_id_idx ON games (host_id, started_at DESC);

ALTER TABLE rounds ADD COLUMN game_id UUID REFERENCES games (id) ON DELETE CASCADE;

-- Every room that has played so far had exactly one game: it becomes game 1.
INSERT INTO games (id, room_id, number, host_id, settings, started_at, ended_at)
SELECT x.id, x.room_id, 1, r.host_id, r.settings, x.started_at,
       CASE WHEN r.status = 'finished' THEN
           (SELECT max(y.ended_at) FROM rounds y WHERE y.room_id = r.id) END
FROM rounds x JOIN rooms r ON r.id = x.room_id
WHERE x.round_number = 1;
UPDATE rounds x SET game_id = g.id FROM games g WHERE g.room_id = x.room_id;

-- Round numbers restart with each game.
ALTER TABLE rounds DROP CONSTRAINT rounds_room_id_round_number_key;
ALTER TABLE rounds ADD CONSTRAINT rounds_game_id_round_number_key UNIQUE (game_id, round_number);
-- "Games I played": a player is in the `players` of the rounds they were dealt into.
CREATE INDEX rounds_players_idx ON rounds USING GIN (players);
