-- Ranked polls (contract v3, `kind = 'ranked'`). A ranked ballot is the same row as a choice
-- ballot: `option_ids` holds the ranking, most preferred first (an array keeps its order; a
-- choice poll's ballot stays sorted). The rank of an option is its position in the array, and
-- a re-ranking replaces the array whole under the ballot's row lock, as any change of vote.
--
-- What changes here is the check `cast_ballot` makes on the poll as it is now: a ranked poll
-- takes any number of its options (`allow_multiple` and `max_choices` do not apply to it), so
-- it is never refused as 'too_many'. Everything else is as in 20261207100000.
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
    poll_kind text;
    limit_now integer;
BEGIN
    PERFORM pg_advisory_lock_shared(p_lock);
    SELECT p.status, p.expires_at, p.allow_multiple, p.max_choices, p.kind
      INTO poll_status, poll_expires, poll_multiple, poll_max, poll_kind
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
        IF poll_kind <> 'ranked' THEN
            limit_now := CASE WHEN poll_multiple THEN poll_max ELSE 1 END;
            IF cardinality(p_options) > limit_now THEN
                RETURN QUERY SELECT 'too_many'::text, NULL::uuid[], limit_now;
                RETURN;
            END IF;
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
            -- Arrays compare in order: a re-ranking of the same options is a change.
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
