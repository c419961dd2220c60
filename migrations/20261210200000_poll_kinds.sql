-- A poll's kind (contract v3): "choice" (every poll so far: pick one or several options),
-- "ranked" (a ballot orders options; results are an instant runoff) and "text" (a ballot is a
-- short answer; results are approved answers and word counts). Fixed at creation: a ballot of
-- one kind means nothing under another. Existing polls are choice polls.
ALTER TABLE polls
    ADD COLUMN kind text NOT NULL DEFAULT 'choice'
        CONSTRAINT polls_kind_known CHECK (kind IN ('choice', 'ranked', 'text'));
