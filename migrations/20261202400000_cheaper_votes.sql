-- Cheaper vote rows: the vote insert is the hottest write (one per vote, many per commit), and
-- in a profile at 300 rooms Postgres spent most of its time in b-tree work (_bt_compare,
-- _bt_moveright, _bt_checkpage) for three indexes and three foreign-key checks per row.
--
-- * The synthetic `id` no longer has an index of its own: a vote is identified by its round and
--   voter, which was already unique; that pair is now the primary key. (`id` stays, unindexed,
--   as the tiebreaker when a round's votes are read back in order.)
-- * The foreign keys to `rounds` and `users` go. A vote's answer must exist (that key stays,
--   and cascades when a round's answers go), the answer belongs to the round (the domain only
--   takes votes for the round's own answers), and accounts are never deleted. Each dropped
--   key was an index probe plus a row lock written on the referenced row for every vote.
ALTER TABLE votes DROP CONSTRAINT votes_round_id_fkey;
ALTER TABLE votes DROP CONSTRAINT votes_voter_id_fkey;
ALTER TABLE votes DROP CONSTRAINT votes_pkey;
ALTER TABLE votes DROP CONSTRAINT votes_round_id_voter_id_key;
ALTER TABLE votes ADD CONSTRAINT votes_pkey PRIMARY KEY (round_id, voter_id);
