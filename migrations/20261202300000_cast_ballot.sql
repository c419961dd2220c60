-- A vote in one round trip. The vote path was nine round trips (poll read, the shared counts
-- lock, BEGIN, lock the ballot, insert or update, audit entry, COMMIT, unlock) and Postgres
-- waiting on them was most of its cost (775 votes/s into one hot poll on two cores). This
-- function does the part from the counts lock to the commit in one call; its statement is its
-- own transaction, so the ballot and its audit entry still commit together or not at all.
--
-- `p_options` NULL withdraws. Outcomes: 'cast', 'changed', 'withdrawn', 'same' (the same
-- choice again: nothing written, no entry) and 'no_vote' (withdrawing without a ballot).
-- `p_lock` is the poll's counts lock (see src/db/ballots.rs): taken shared at session level, so
-- it outlives this transaction until the caller has added the delta in Redis and unlocks. The
-- caller unlocks whatever the outcome, even after an error (a session lock survives a rollback).
CREATE FUNCTION cast_ballot(
    p_poll uuid, p_voter uuid, p_user uuid, p_options uuid[], p_lock bigint
) RETURNS TABLE (outcome text, previous uuid[])
LANGUAGE plpgsql AS $$
DECLARE
    prev uuid[];
    act text;
BEGIN
    PERFORM pg_advisory_lock_shared(p_lock);
    LOOP
        -- The ballot's row lock orders one voter's concurrent changes: each sees the one before.
        SELECT b.option_ids INTO prev FROM poll_ballots b
         WHERE b.poll_id = p_poll AND b.voter_key = p_voter FOR UPDATE;
        EXIT WHEN FOUND;
        IF p_options IS NULL THEN
            RETURN QUERY SELECT 'no_vote'::text, NULL::uuid[];
            RETURN;
        END IF;
        INSERT INTO poll_ballots (poll_id, voter_key, user_id, option_ids)
        VALUES (p_poll, p_voter, p_user, p_options)
        ON CONFLICT (poll_id, voter_key) DO NOTHING;
        IF FOUND THEN
            act := 'vote_cast';
            EXIT;
        END IF;
        -- Another change by this voter inserted first: lock theirs and replace it.
    END LOOP;

    IF act IS NULL THEN
        IF p_options IS NULL THEN
            DELETE FROM poll_ballots WHERE poll_id = p_poll AND voter_key = p_voter;
            act := 'vote_withdrawn';
        ELSIF prev = p_options THEN
            RETURN QUERY SELECT 'same'::text, prev;
            RETURN;
        ELSE
            UPDATE poll_ballots SET option_ids = p_options, voted_at = now()
             WHERE poll_id = p_poll AND voter_key = p_voter;
            act := 'vote_changed';
        END IF;
    END IF;

    INSERT INTO audit_log (actor_id, action, target_type, target_id, poll_id, details)
    VALUES (p_user, act, 'poll', p_poll, p_poll,
            jsonb_build_object('option_ids', coalesce(p_options, '{}'::uuid[]), 'previous', prev));
    RETURN QUERY SELECT CASE act WHEN 'vote_cast' THEN 'cast'
                                    WHEN 'vote_changed' THEN 'changed'
                                    ELSE 'withdrawn' END, prev;
END
$$;
