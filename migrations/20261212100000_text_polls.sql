-- Open-answer polls (contract v3, `kind = 'text'`): a ballot is a short text, the creator
-- moderates, and the results are the approved answers and their word counts.
--
-- The settings are columns of the poll, NULL on the other kinds (a CHECK ties them to the
-- kind), rather than a JSON blob: they are read with every poll and checked by the answer
-- function below, and a column cannot hold a value the rules do not know.
--   text_max_length        characters an answer may have (1-280; the API defaults to 140)
--   text_answers_per_voter answers one voter may give (1-10; default 1)
--   text_moderation        'pre': an answer is held until the creator approves it;
--                          'post': shown at once, the creator may hide it
ALTER TABLE polls
    ADD COLUMN text_max_length integer
        CONSTRAINT polls_text_max_length CHECK (text_max_length BETWEEN 1 AND 280),
    ADD COLUMN text_answers_per_voter integer
        CONSTRAINT polls_text_answers_per_voter CHECK (text_answers_per_voter BETWEEN 1 AND 10),
    ADD COLUMN text_moderation text
        CONSTRAINT polls_text_moderation CHECK (text_moderation IN ('pre', 'post')),
    ADD CONSTRAINT polls_text_settings_by_kind CHECK (
        (kind = 'text') = (text_max_length IS NOT NULL)
        AND (kind = 'text') = (text_answers_per_voter IS NOT NULL)
        AND (kind = 'text') = (text_moderation IS NOT NULL));

-- One row per answer (a voter may give several, up to the poll's limit). `voter_key` is the
-- account id or an anonymous voter's cookie id, as in `poll_ballots`. `status` is what the
-- creator decided: 'pending' (held: pre-moderation, or flagged by the word filter under
-- either moderation), 'approved' (shown to everyone, counted in the words) or 'hidden'
-- (shown to no one but the creator). A hidden answer still counts against the voter's limit,
-- so hiding one does not invite another. `flagged`: the profanity filter matched it.
CREATE TABLE poll_answers (
    id           uuid PRIMARY KEY,
    poll_id      uuid NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    voter_key    uuid NOT NULL,
    user_id      uuid REFERENCES users (id) ON DELETE SET NULL,
    body         text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 280),
    status       text NOT NULL CHECK (status IN ('pending', 'approved', 'hidden')),
    flagged      boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    moderated_at timestamptz
);
-- The results (approved answers, newest first) and the creator's queue, by status.
CREATE INDEX poll_answers_status_idx ON poll_answers (poll_id, status, created_at DESC, id);
-- A voter's answers (their limit, "my answers").
CREATE INDEX poll_answers_voter_idx ON poll_answers (poll_id, voter_key);

-- Takes one answer, in one round trip and one transaction with its audit entry. Checks the
-- poll as it is now (deleted, closed, past its expiry, not a text poll: refused without
-- writing), then the voter's limit under a transaction-scoped advisory lock on (poll, voter):
-- two answers of one voter arriving at once, on any node, are counted one after the other, so
-- the limit holds exactly. Takes the poll's shared counts lock first, as `cast_ballot` does
-- (the caller releases it once the change is announced, see `db::ballots`).
--
-- Returns the outcome ('taken', or 'gone', 'closed', 'wrong_kind', 'limit') with the limit in
-- force and whether this was the voter's first answer (their first makes them a voter).
CREATE FUNCTION submit_text_answer(
    p_poll uuid, p_voter uuid, p_user uuid, p_id uuid, p_body text, p_status text,
    p_flagged boolean, p_lock bigint
) RETURNS TABLE (outcome text, answer_limit integer, first boolean)
LANGUAGE plpgsql AS $$
DECLARE
    poll_status text;
    poll_expires timestamptz;
    poll_kind text;
    poll_limit integer;
    given integer;
BEGIN
    PERFORM pg_advisory_lock_shared(p_lock);
    SELECT p.status, p.expires_at, p.kind, p.text_answers_per_voter
      INTO poll_status, poll_expires, poll_kind, poll_limit
      FROM polls p WHERE p.id = p_poll FOR KEY SHARE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'gone'::text, NULL::integer, false;
        RETURN;
    END IF;
    IF poll_kind <> 'text' THEN
        RETURN QUERY SELECT 'wrong_kind'::text, NULL::integer, false;
        RETURN;
    END IF;
    IF poll_status <> 'open' OR (poll_expires IS NOT NULL AND poll_expires <= now()) THEN
        RETURN QUERY SELECT 'closed'::text, poll_limit, false;
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(
        hashtextextended('poll_answers:' || p_poll::text || ':' || p_voter::text, 0));
    SELECT count(*) INTO given FROM poll_answers a
     WHERE a.poll_id = p_poll AND a.voter_key = p_voter;
    IF given >= poll_limit THEN
        RETURN QUERY SELECT 'limit'::text, poll_limit, false;
        RETURN;
    END IF;
    INSERT INTO poll_answers (id, poll_id, voter_key, user_id, body, status, flagged)
    VALUES (p_id, p_poll, p_voter, p_user, p_body, p_status, p_flagged);
    INSERT INTO audit_log (actor_id, action, target_type, target_id, poll_id, details)
    VALUES (p_user, 'answer_submitted', 'answer', p_id, p_poll,
            jsonb_build_object('status', p_status, 'flagged', p_flagged));
    RETURN QUERY SELECT 'taken'::text, poll_limit, given = 0;
END
$$;
