-- Polls get a short code (contract v3): six characters from the rooms' alphabet, so a poll's
-- link `/p/CODE` can be typed from a slide. The server draws each new poll's code with the same
-- generator as a room's (`domain::code`) and draws again when the unique index refuses it.
--
-- `poll_code()` draws one here too, for the rows that exist before this migration and for rows
-- written by hand (seeds, scripts) that name no code: it is the column's default. Its alphabet
-- must stay `domain::code::ALPHABET` (a unit test there reads this file to check).

CREATE FUNCTION poll_code() RETURNS TEXT LANGUAGE sql VOLATILE AS $$
    SELECT string_agg(substr('ABCDEFGHJKMNPQRSTUVWXYZ23456789', 1 + floor(random() * 31)::int, 1), '')
    FROM generate_series(1, 6)
$$;

ALTER TABLE polls ADD COLUMN code TEXT;
UPDATE polls SET code = poll_code();
-- Existing polls that drew the same code draw again until every code is distinct (with
-- 887 million codes this loop almost never runs twice).
DO $$
BEGIN
    LOOP
        UPDATE polls SET code = poll_code()
        WHERE id IN (SELECT id FROM (
            SELECT id, row_number() OVER (PARTITION BY code ORDER BY created_at, id) AS n
            FROM polls) d WHERE d.n > 1);
        EXIT WHEN NOT FOUND;
    END LOOP;
END
$$;
ALTER TABLE polls
    ALTER COLUMN code SET NOT NULL,
    ALTER COLUMN code SET DEFAULT poll_code(),
    ADD CONSTRAINT polls_code_shape CHECK (code ~ '^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$'),
    ADD CONSTRAINT polls_code_key UNIQUE (code);
