-- Ballots group-committed (issue 23, hot polls): `cast_ballots` is `cast_ballot` (see
-- 20261211100000) over arrays, so that the ballots arriving at once, for any polls, share one
-- round trip, one transaction and one commit (one WAL flush) instead of paying one each. One
-- poll took ~1,500 votes/s with a transaction per vote; the commit and the round trip were most
-- of Postgres's cost per vote.
--
-- Ballot i is (p_polls[i], p_voters[i], p_users[i]) choosing the next p_counts[i] elements of
-- p_options (p_counts[i] = -1: a withdrawal). The caller (src/polls/ballot_box.rs) orders the
-- ballots by poll, then voter, then arrival, so that:
-- * every group takes its row locks in one global order: two groups in flight at once never
--   deadlock on two voters' ballots (they would abort whole groups);
-- * one voter's ballots in one group run in the order they arrived, each under the row lock
--   and seeing the one before (the later one stands; each change has its audit entry), as
--   they would in separate transactions.
-- A refusal is a row of the result, never an error: a refused ballot writes nothing and its
-- group-mates are written. (An unexpected error fails the call; the caller then casts each
-- ballot on its own, so only the faulty one fails.)
--
-- Per poll the function takes, once, the counts lock shared (session level, as before: the
-- caller releases every one with `pg_advisory_unlock_all()` once the group's deltas are in
-- Redis) and the poll row's KEY SHARE lock, and checks every ballot on the poll as it is now:
-- the database stays the authority over a node's cached rules (src/polls/rules.rs). It now
-- also refuses an anonymous ballot (p_users[i] NULL) on a poll that no longer allows them
-- ('anonymous'), the one rule a node checked that the function did not.
--
-- Each row also carries what the node needs to answer without another read: the poll's
-- `updated_at` (every edit moves it: a node whose cached rules are older reloads them), its
-- likes, and whether the voter likes it.
CREATE FUNCTION cast_ballots(
    p_polls uuid[], p_voters uuid[], p_users uuid[], p_counts int[], p_options uuid[],
    p_locks bigint[]
) RETURNS TABLE (
    idx integer, outcome text, previous uuid[], max_choices integer,
    version timestamptz, likes bigint, liked boolean
)
LANGUAGE plpgsql AS $$
DECLARE
    n integer := coalesce(cardinality(p_polls), 0);
    i integer;
    next_opt integer := 1;
    opts uuid[];
    prev uuid[];
    act text;
    cur_poll uuid;
    found_poll boolean;
    poll_status text;
    poll_expires timestamptz;
    poll_multiple boolean;
    poll_max integer;
    poll_kind text;
    poll_anon boolean;
    poll_version timestamptz;
    poll_likes bigint;
    poll_opts uuid[];
    refusal text;
    limit_now integer;
BEGIN
    FOR i IN 1 .. n LOOP
        IF p_counts[i] < 0 THEN
            opts := NULL;
        ELSE
            opts := coalesce(p_options[next_opt : next_opt + p_counts[i] - 1], '{}'::uuid[]);
            next_opt := next_opt + p_counts[i];
        END IF;

        IF cur_poll IS DISTINCT FROM p_polls[i] THEN
            cur_poll := p_polls[i];
            PERFORM pg_advisory_lock_shared(p_locks[i]);
            SELECT p.status, p.expires_at, p.allow_multiple, p.max_choices, p.kind,
                   p.allow_anonymous, p.updated_at, p.likes_count
              INTO poll_status, poll_expires, poll_multiple, poll_max, poll_kind,
                   poll_anon, poll_version, poll_likes
              FROM polls p WHERE p.id = cur_poll FOR KEY SHARE;
            found_poll := FOUND;
            IF found_poll THEN
                poll_opts := ARRAY(SELECT o.id FROM poll_options o WHERE o.poll_id = cur_poll);
            END IF;
        END IF;

        idx := i;
        previous := NULL;
        max_choices := NULL;
        version := poll_version;
        likes := poll_likes;
        liked := false;
        refusal := NULL;
        IF NOT found_poll THEN
            refusal := 'gone';
            version := NULL;
            likes := NULL;
        ELSIF poll_status <> 'open' OR (poll_expires IS NOT NULL AND poll_expires <= now()) THEN
            refusal := 'closed';
        ELSIF p_users[i] IS NULL AND NOT poll_anon THEN
            refusal := 'anonymous';
        ELSIF opts IS NOT NULL THEN
            IF NOT (opts <@ poll_opts)
               OR (SELECT count(DISTINCT x) FROM unnest(opts) AS x) <> cardinality(opts) THEN
                refusal := 'option_gone';
            ELSIF poll_kind <> 'ranked' THEN
                limit_now := CASE WHEN poll_multiple THEN poll_max ELSE 1 END;
                IF cardinality(opts) > limit_now THEN
                    refusal := 'too_many';
                    max_choices := limit_now;
                END IF;
            END IF;
        END IF;
        IF refusal IS NOT NULL THEN
            outcome := refusal;
            RETURN NEXT;
            CONTINUE;
        END IF;
        IF p_users[i] IS NOT NULL THEN
            liked := EXISTS (SELECT 1 FROM poll_likes l
                              WHERE l.poll_id = cur_poll AND l.user_id = p_users[i]);
        END IF;

        act := NULL;
        LOOP
            -- The ballot's row lock orders one voter's concurrent changes: each sees the one
            -- before (in this group, or in another in flight).
            SELECT b.option_ids INTO prev FROM poll_ballots b
             WHERE b.poll_id = cur_poll AND b.voter_key = p_voters[i] FOR UPDATE;
            EXIT WHEN FOUND;
            IF opts IS NULL THEN
                act := 'no_vote';
                EXIT;
            END IF;
            INSERT INTO poll_ballots (poll_id, voter_key, user_id, option_ids)
            VALUES (cur_poll, p_voters[i], p_users[i], opts)
            ON CONFLICT (poll_id, voter_key) DO NOTHING;
            IF FOUND THEN
                act := 'vote_cast';
                EXIT;
            END IF;
            -- Another change by this voter inserted first: lock theirs and replace it.
        END LOOP;

        IF act = 'no_vote' THEN
            outcome := 'no_vote';
            RETURN NEXT;
            CONTINUE;
        END IF;
        IF act IS NULL THEN
            IF opts IS NULL THEN
                DELETE FROM poll_ballots WHERE poll_id = cur_poll AND voter_key = p_voters[i];
                act := 'vote_withdrawn';
            ELSIF prev = opts THEN
                -- Arrays compare in order: a re-ranking of the same options is a change.
                outcome := 'same';
                previous := prev;
                RETURN NEXT;
                CONTINUE;
            ELSE
                UPDATE poll_ballots SET option_ids = opts, voted_at = now()
                 WHERE poll_id = cur_poll AND voter_key = p_voters[i];
                act := 'vote_changed';
            END IF;
        END IF;

        INSERT INTO audit_log (actor_id, action, target_type, target_id, poll_id, details)
        VALUES (p_users[i], act, 'poll', cur_poll, cur_poll,
                jsonb_build_object('option_ids', coalesce(opts, '{}'::uuid[]), 'previous', prev));
        outcome := CASE act WHEN 'vote_cast' THEN 'cast'
                            WHEN 'vote_changed' THEN 'changed'
                            ELSE 'withdrawn' END;
        previous := prev;
        RETURN NEXT;
    END LOOP;
END
$$;
