-- The audience: people who watch and vote but do not play. Kept apart from
-- room_participants so that nothing counting players (quorum, leaderboard, capacity, host
-- hand-over) can ever count them.
CREATE TABLE room_audience (
    room_id   UUID NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id   UUID NOT NULL REFERENCES users (id),
    joined_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (room_id, user_id)
);
-- Audience votes live beside players' (one vote per person per round either way: nobody is
-- both) and are told apart by this flag: they earn no points, only the host's bonus.
ALTER TABLE votes ADD COLUMN audience BOOLEAN NOT NULL DEFAULT FALSE;
