-- An acknowledged vote never vanishes. The vote path checks the poll's rules (open, the
-- options are the poll's, how many may be chosen) on a read taken before the ballot is
-- written, without a lock; an edit of the poll (an option deleted, the poll closed or its
-- choices cut) locks the poll row and checks that no ballot stands in its way. A vote and an
-- edit that ran at once could both pass: the delete saw no vote yet, the vote saw the option
-- still there, and the poll ended with five voters and no votes counted.
--
-- So the ballot function now takes the poll row's KEY SHARE lock before writing (an edit holds
-- the row FOR UPDATE, which conflicts with it; votes do not conflict with each other, and the
-- foreign key from the ballot to its poll took this very lock already) and checks again, on
-- the poll as it is now, what an edit can change: the poll still exists, is open and not past
-- its expiry, every chosen option is still one of its options, and the choice count is within
-- its limit. Either the vote comes first (then the edit sees its ballot and is refused as
-- before: `option_has_votes`, `poll_has_votes`), or the edit does (then the vote is refused).
-- The domain's rules (`domain::poll::vote`) still decide first; this is the authority when
-- the two disagree because of a concurrent edit.
--
-- New outcomes (nothing written): 'gone' (the poll was deleted), 'closed', 'option_gone',
-- 'too_many' (then `max_choices` is the limit now in force).
DROP FUNCTION cast_ballot(uuid, uuid, uuid, uuid[], bigint);

CREATE FUNCTION cast_ballot(
    p_poll uuid, p_voter uuid, p_user uuid, p_options uuid[], p_lock bigint
) RETURNS TABLE (outcome text, previous uuid[], max_choices integer)
LANGUAGE plpgsql AS $$
DECLARE
    prev uuid[];
    act text;
    poll_status text;
    poll_expires timestamptz;
    poll_multiple boolean;
    poll_max integer;
    limit_now integer;
BEGIN
    PERFORM pg_advisory_lock_shared(p_lock);
    SELECT p.status, p.expires_at, p.allow_multiple, p.max_choices
      INTO poll_status, poll_expires, poll_multiple, poll_max
      FROM polls p WHERE p.id = p_poll FOR KEY SHARE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'gone'::text, NULL::uuid[], NULL::integer;
        RETURN;
    END IF;
    IF poll_status <> 'open' OR (poll_expires IS NOT NULL AND poll_expires <= now()) THEN
        RETURN QUERY SELECT 'closed'::text, NULL::uuid[], NULL::integer;
        RETURN;
    END IF;
    IF p_options IS NOT NULL THEN
        IF (SELECT count(*) FROM poll_options o
             WHERE o.poll_id = p_poll AND o.id = ANY (p_options))
           <> cardinality(p_options) THEN
            RETURN QUERY SELECT 'option_gone'::text, NULL::uuid[], NULL::integer;
            RETURN;
        END IF;
        limit_now := CASE WHEN poll_multiple THEN poll_max ELSE 1 END;
        IF cardinality(p_options) > limit_now THEN
            RETURN QUERY SELECT 'too_many'::text, NULL::uuid[], limit_now;
            RETURN;
        END IF;
    END IF;

    LOOP
        -- The ballot's row lock orders one voter's concurrent changes: each sees the one before.
        SELECT b.option_ids INTO prev FROM poll_ballots b
         WHERE b.poll_id = p_poll AND b.voter_key = p_voter FOR UPDATE;
        EXIT WHEN FOUND;
        IF p_options IS NULL THEN
            RETURN QUERY SELECT 'no_vote'::text, NULL::uuid[], NULL::integer;
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
            RETURN QUERY SELECT 'same'::text, prev, NULL::integer;
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
                                    ELSE 'withdrawn' END, prev, NULL::integer;
END
$$;
