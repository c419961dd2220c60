-- Polls discovery (issue 12): listing, search, popular and trending, likes.
--
-- Counters for lists live on the poll row but are NOT written per vote (that would make the
-- row of a busy poll a hot row every vote serializes on, which the polls migration avoids).
-- `voters_count`, `votes_count` and `trend_score` are refreshed by the service from an
-- in-memory buffer at most once a second per poll per node (`polls::discovery`), from the
-- exact counts the vote path already has in hand. `likes_count` is written in the like's own
-- transaction (likes are rare next to votes, and a like must answer with the exact count).
ALTER TABLE polls
    ADD COLUMN voters_count BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN votes_count  BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN likes_count  BIGINT NOT NULL DEFAULT 0,
    -- Forward-decayed activity in log space: ln(sum over events of exp((t - 2026-01-01) / 6 h)).
    -- Ordering by it equals ordering by sum(exp(-(now - t) / 6 h)) at any `now`, so no row ever
    -- needs re-scoring as time passes: a trending page is an index scan, whatever the poll count.
    ADD COLUMN trend_score  DOUBLE PRECISION NOT NULL DEFAULT 0,
    -- Question (A), option texts (B) and description (C), English-stemmed; kept by triggers.
    ADD COLUMN search_doc   TSVECTOR NOT NULL DEFAULT ''::tsvector;

-- Public lists: each sort is an index scan in its order (ties by id, so pages are stable).
CREATE INDEX polls_public_popular_idx ON polls (voters_count DESC, id)
    WHERE is_public AND status <> 'draft';
CREATE INDEX polls_public_trending_idx ON polls (trend_score DESC, id)
    WHERE is_public AND status <> 'draft';
CREATE INDEX polls_public_category_recent_idx ON polls (category_id, created_at DESC, id)
    WHERE is_public AND status <> 'draft';
CREATE INDEX polls_search_idx ON polls USING GIN (search_doc);

CREATE FUNCTION poll_search_doc(q TEXT, d TEXT, pid UUID) RETURNS TSVECTOR
LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('english', coalesce(q, '')), 'A')
        || setweight(to_tsvector('english', coalesce(
               (SELECT string_agg(o.text, ' ' ORDER BY o.position) FROM poll_options o
                WHERE o.poll_id = pid), '')), 'B')
        || setweight(to_tsvector('english', coalesce(d, '')), 'C')
$$;

CREATE FUNCTION polls_search_doc_row() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_doc := poll_search_doc(NEW.question, NEW.description, NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER polls_search_doc_ins BEFORE INSERT ON polls
    FOR EACH ROW EXECUTE FUNCTION polls_search_doc_row();
CREATE TRIGGER polls_search_doc_upd BEFORE UPDATE OF question, description ON polls
    FOR EACH ROW EXECUTE FUNCTION polls_search_doc_row();

-- Options change in statements (creation inserts them all in one): one refresh per poll per
-- statement, not per option row.
CREATE FUNCTION poll_options_search_new() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    UPDATE polls p SET search_doc = poll_search_doc(p.question, p.description, p.id)
    WHERE p.id IN (SELECT DISTINCT poll_id FROM new_rows);
    RETURN NULL;
END $$;
CREATE FUNCTION poll_options_search_old() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    UPDATE polls p SET search_doc = poll_search_doc(p.question, p.description, p.id)
    WHERE p.id IN (SELECT DISTINCT poll_id FROM old_rows);
    RETURN NULL;
END $$;
CREATE TRIGGER poll_options_search_ins AFTER INSERT ON poll_options
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION poll_options_search_new();
CREATE TRIGGER poll_options_search_upd AFTER UPDATE ON poll_options
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION poll_options_search_new();
CREATE TRIGGER poll_options_search_del AFTER DELETE ON poll_options
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION poll_options_search_old();

-- One like per user per poll: the primary key is what makes 100 concurrent likes count once.
CREATE TABLE poll_likes (
    poll_id  UUID NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    user_id  UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    liked_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (poll_id, user_id)
);
CREATE INDEX poll_likes_user_idx ON poll_likes (user_id, liked_at DESC);
