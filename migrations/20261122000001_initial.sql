-- The durable record of the game. Redis holds the live state machines; every
-- acknowledged action lands here first, so this schema is what a rebuild reads.
-- Constraints carry the game's "one of each" rules so that a retried or
-- duplicated write can never double anything, whatever the application does.

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Emails match case-insensitively (the contract), so uniqueness is on lower().
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE rooms (
    id         UUID PRIMARY KEY,
    -- Codes are never reused, so an old link can never land in someone else's room.
    code       TEXT NOT NULL UNIQUE,
    host_id    UUID NOT NULL REFERENCES users (id),
    status     TEXT NOT NULL DEFAULT 'lobby' CHECK (status IN ('lobby', 'playing', 'finished')),
    settings   JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    closed_at  TIMESTAMPTZ
);
CREATE INDEX rooms_host_id_idx ON rooms (host_id);

CREATE TABLE room_participants (
    room_id      UUID NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id      UUID NOT NULL REFERENCES users (id),
    display_name TEXT NOT NULL,
    joined_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- A leaver keeps the row (and the leaderboard place); active says who is in now.
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    kicked       BOOLEAN NOT NULL DEFAULT FALSE,
    left_at      TIMESTAMPTZ,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_participants_user_id_idx ON room_participants (user_id);

CREATE TABLE rounds (
    id           UUID PRIMARY KEY,
    room_id      UUID NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    round_number INTEGER NOT NULL CHECK (round_number >= 1),
    question     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('answering', 'voting', 'finished')),
    time_limit   INTEGER NOT NULL,
    deadline     TIMESTAMPTZ,
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at     TIMESTAMPTZ,
    UNIQUE (room_id, round_number),
    -- A room never gets the same question twice.
    UNIQUE (room_id, question)
);

CREATE TABLE answers (
    id         UUID PRIMARY KEY,
    round_id   UUID NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    user_id    UUID NOT NULL REFERENCES users (id),
    content    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- One answer per player per round.
    UNIQUE (round_id, user_id)
);

CREATE TABLE votes (
    id         UUID PRIMARY KEY,
    round_id   UUID NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    voter_id   UUID NOT NULL REFERENCES users (id),
    answer_id  UUID NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- One vote per player per round.
    UNIQUE (round_id, voter_id)
);
CREATE INDEX votes_answer_id_idx ON votes (answer_id);

-- Points per round per player, written when a round ends; the leaderboard is their sum.
CREATE TABLE scores (
    room_id  UUID NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    round_id UUID NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    user_id  UUID NOT NULL REFERENCES users (id),
    points   INTEGER NOT NULL CHECK (points >= 0),
    PRIMARY KEY (round_id, user_id)
);
CREATE INDEX scores_room_id_idx ON scores (room_id);
