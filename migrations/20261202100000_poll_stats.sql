-- Poll and site statistics (issue 12): `GET /api/polls/{id}/stats` and `GET /api/polls/stats`.
--
-- Views of a poll (`GET /api/polls/{id}` by anyone but its creator) are NOT written per read:
-- each node counts them in memory and adds them here once a second with one
-- `UPDATE … FROM unnest(…)` (`polls::stats`), the pattern of the discovery counters. Adding a
-- column with a constant default is a catalog change only: no table rewrite.
ALTER TABLE polls ADD COLUMN views_count BIGINT NOT NULL DEFAULT 0;

-- `votes_last_24h` in the site stats reads the ballots cast or changed in the last day. A
-- BRIN index on `voted_at` costs next to nothing on the vote path (no per-row btree entry, no
-- hot right-most page under 5,000 votes/s; ballots arrive roughly in time order, which is what
-- BRIN needs) and lets that read skip all but the recent block ranges.
CREATE INDEX poll_ballots_voted_at_brin ON poll_ballots USING BRIN (voted_at)
    WITH (autosummarize = on);
