-- Anonymous voters (issue 12): polls with `allow_anonymous` take ballots without sign-in, one
-- per voter id (the signed `voter_id` cookie, `auth::voter`) per poll.
--
-- They are stored in `poll_ballots` itself, with `voter_key` = the voter id and `user_id` NULL,
-- rather than in a table of their own. Why: the vote path stays exactly one code path and one
-- primary-key lookup (`(poll_id, voter_key)`, whose row lock already orders one voter's
-- concurrent changes and whose uniqueness makes 20 concurrent first votes one ballot), and the
-- counts and their rebuild from Postgres stay one `count(*)` over one table, so the Redis counts
-- and a rebuild cannot disagree about who is counted. A separate table would have made every
-- count, rebuild, "has votes" check and delete a UNION, and a second unique key to keep in step.
-- Voter ids are random v4 UUIDs chosen by the server, never by a client (the cookie is signed),
-- so they cannot collide with an account's id.
--
-- What makes a ballot a signed-in one is then a rule worth stating here: an account's ballot is
-- filed under the account's id. (A deleted account's ballots keep counting with `user_id` NULL,
-- as the polls migration chose.)
ALTER TABLE poll_ballots
    ADD CONSTRAINT poll_ballots_user_is_key CHECK (user_id IS NULL OR user_id = voter_key);

COMMENT ON COLUMN poll_ballots.voter_key IS
    'the account id for a signed-in voter; the signed voter_id cookie''s id for an anonymous one';
COMMENT ON COLUMN poll_ballots.user_id IS
    'the voting account (= voter_key); NULL for an anonymous voter or a deleted account';
