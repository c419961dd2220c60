-- Polls (contract v2): polls with their options, one ballot per voter per poll, categories,
-- and the audit log. Counts are never stored in a row here: a counter row per poll would be a
-- hot row every vote into that poll serializes on (5,000 votes/s into one poll is a target).
-- Counts live in Redis and are rebuilt from `poll_ballots` with a count(*) ... GROUP BY.

CREATE TABLE poll_categories (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO poll_categories (slug, name, description) VALUES
    ('general', 'General', 'Anything at all'),
    ('technology', 'Technology', 'Software, hardware and the internet'),
    ('science', 'Science', 'Questions about the natural world'),
    ('sports', 'Sports', 'Games, teams and athletes'),
    ('entertainment', 'Entertainment', 'Film, music, television and books'),
    ('games', 'Games', 'Video, board and card games'),
    ('food', 'Food', 'Cooking, restaurants and drinks'),
    ('politics', 'Politics', 'Public affairs and policy'),
    ('other', 'Other', 'Whatever fits nowhere else');

CREATE TABLE polls (
    id              UUID PRIMARY KEY,
    creator_id      UUID NOT NULL REFERENCES users (id),
    question        TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    category_id     UUID REFERENCES poll_categories (id),
    status          TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
    allow_multiple  BOOLEAN NOT NULL DEFAULT FALSE,
    max_choices     INTEGER NOT NULL CHECK (max_choices BETWEEN 1 AND 20),
    is_public       BOOLEAN NOT NULL DEFAULT TRUE,
    allow_anonymous BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    closed_at       TIMESTAMPTZ,
    CHECK (allow_multiple OR max_choices = 1)
);
-- "My polls", newest first.
CREATE INDEX polls_creator_idx ON polls (creator_id, created_at DESC, id);
-- Public lists (recent first; ties by id). Discovery (issue 12) adds its own indexes.
CREATE INDEX polls_public_recent_idx ON polls (created_at DESC, id)
    WHERE is_public AND status <> 'draft';
CREATE INDEX polls_category_idx ON polls (category_id) WHERE category_id IS NOT NULL;
-- The expiry sweep: open polls with a deadline, earliest first.
CREATE INDEX polls_open_expiry_idx ON polls (expires_at)
    WHERE status = 'open' AND expires_at IS NOT NULL;

CREATE TABLE poll_options (
    id         UUID PRIMARY KEY,
    poll_id    UUID NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    text       TEXT NOT NULL,
    position   INTEGER NOT NULL CHECK (position >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX poll_options_poll_idx ON poll_options (poll_id, position);
-- Options are unique in a poll, case-insensitively after trimming (the domain checks first,
-- with Unicode case folding; this is the backstop against two concurrent adds).
CREATE UNIQUE INDEX poll_options_text_key ON poll_options (poll_id, lower(btrim(text)));

-- One ballot per voter per poll, holding every option the voter chose. Why one row with an
-- array rather than a row per chosen option: a change of vote is then one upsert of one row,
-- and that row's lock orders concurrent changes by the same voter (two nodes, fifty tabs), so a
-- change is never counted twice or lost, while different voters never wait on each other.
-- `voter_key` is the account id, or (issue 12) an anonymous voter id from a signed cookie.
CREATE TABLE poll_ballots (
    poll_id    UUID NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    voter_key  UUID NOT NULL,
    user_id    UUID REFERENCES users (id) ON DELETE SET NULL,
    option_ids UUID[] NOT NULL CHECK (cardinality(option_ids) BETWEEN 1 AND 20),
    voted_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (poll_id, voter_key)
);
-- "My votes" (issue 12) and account deletion.
CREATE INDEX poll_ballots_user_idx ON poll_ballots (user_id, voted_at DESC) WHERE user_id IS NOT NULL;

-- Every poll, option, vote and account action, written in the same transaction as the action.
-- `poll_id` is kept (not a foreign key) so a deleted poll's history stays readable.
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    actor_id    UUID,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   UUID,
    poll_id     UUID,
    details     JSONB NOT NULL DEFAULT '{}',
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_poll_idx ON audit_log (poll_id, id) WHERE poll_id IS NOT NULL;
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id) WHERE actor_id IS NOT NULL;
