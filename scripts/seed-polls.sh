#!/usr/bin/env bash
# Seeds a data set for discovery at scale (issue 12): POLLS polls (default 100,000) with 2–6
# options each, from USERS accounts (default 50,000), and about 50 ballots per poll on average
# (≈5,000,000 ballots, one per voter per poll) on a skewed distribution: the first 0.1% of the
# polls get 5,000–20,000 voters, the rest exp(U·5.3) (1 to 200). Options are chosen single or
# (a fifth of the polls) multiple. The list counters (`voters_count`, `votes_count`) and the
# trending score are computed from the ballots exactly as the live flush would leave them.
#
# Everything is generated inside Postgres (generate_series, INSERT … SELECT): no HTTP, no
# password hashing (the seeded accounts cannot sign in), so 100,000 polls and 5,000,000
# ballots take a few minutes. Triggers (the search document's) and foreign-key checks are off
# for the session (`session_replication_role = replica`) and the search document is computed in
# the same statement that inserts each poll; the ballots' indexes are dropped for the bulk
# insert and rebuilt after it (one sort instead of 5,000,000 random B-tree inserts).
#
# The database must already be migrated (start the server on it once;
# scripts/discovery-bench.sh does). Seeding adds to what is there (run tags keep the emails
# unique); it needs a superuser (session_replication_role).
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/voting_game_bench scripts/seed-polls.sh [POLLS] [USERS]
#
# Search vocabulary: questions follow six templates, two of which contain "best" (a word in a
# third of all polls: the huge match set), and their words are half from ~200 common English
# words (each in ~0.3% of polls) and half from 20,000 made-up words like "bakotin" (each in a
# few dozen polls: the rare words).
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL to the database to seed}"
polls=${1:-100000}
users=${2:-50000}
run=$(date +%s)
SECONDS=0

if [ "$(psql "$DATABASE_URL" -Atc "SELECT to_regclass('public.polls') IS NOT NULL")" != t ]; then
  echo "the polls table is missing: start the server on this database once (it migrates)" >&2
  exit 1
fi

psql "$DATABASE_URL" -v ON_ERROR_STOP=1 --single-transaction -q \
  -v polls="$polls" -v users="$users" -v run="$run" <<'SQL'
SET synchronous_commit = off;
SET maintenance_work_mem = '512MB';
SET work_mem = '256MB';
SET session_replication_role = replica;

CREATE FUNCTION pg_temp.syn(i int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT (string_to_array('b,d,f,g,k,l,m,n,p,r,s,t,v,z,ch,sh,th,tr,pl,gr', ','))[1 + j % 20]
      || (string_to_array('a,e,i,o,u', ','))[1 + (j / 20) % 5]
      || (string_to_array('b,d,f,g,k,l,m,n,p,r,s,t,v,z,ch,sh,th,tr,pl,gr', ','))[1 + (j / 100) % 20]
      || (string_to_array('a,e,i,o,u', ','))[1 + (j / 2000) % 5]
      || (string_to_array('b,d,f,g,k,l,m,n,p,r,s,t,v,z,ch,sh,th,tr,pl,gr', ','))[1 + (j / 10000) % 20]
      || 'in'
  FROM (SELECT (i * 7919) % 200000 AS j) t
$$;

CREATE FUNCTION pg_temp.word() RETURNS text LANGUAGE sql VOLATILE AS $$
  SELECT CASE WHEN random() < 0.5 THEN a[1 + floor(random() * cardinality(a))::int]
  ELSE pg_temp.syn(floor(random() * 20000)::int) END
  FROM (SELECT string_to_array('pizza coffee tea music movie book game team city travel summer winter '
      'holiday phone laptop language framework database editor keyboard bicycle car train '
      'airport beach mountain river garden flower dog cat bird breakfast lunch dinner dessert '
      'cheese bread pasta rice soup salad burger taco sushi chocolate cake fruit apple banana '
      'orange grape lemon football basketball tennis hockey baseball golf swimming running '
      'chess puzzle console arcade strategy shooter racing platformer election policy tax '
      'budget school teacher student homework exam science physics chemistry biology space '
      'planet rocket robot computer internet website browser server cloud network security '
      'password email message podcast radio television series episode actor director singer '
      'band concert festival album song guitar piano drum violin painting museum gallery '
      'theater comedy drama horror romance fantasy novel poem history war peace weather rain '
      'snow sun wind storm ocean island forest desert village country capital bridge tower '
      'castle road street house kitchen bedroom office meeting project deadline weekend '
      'morning evening night sleep dream exercise yoga diet vitamin doctor hospital medicine '
      'health money bank market price stock crypto startup company job salary career skill '
      'habit hobby camera photo video drawing design fashion shoe shirt jacket hat color', ' ')
    AS a) t
$$;

CREATE TEMP TABLE seed_users AS
  SELECT i AS idx, gen_random_uuid() AS id FROM generate_series(0, :users - 1) i;
CREATE INDEX ON seed_users (idx);
INSERT INTO users (id, email, display_name, password_hash, created_at)
  SELECT id, 'seed-' || :'run' || '-' || idx || '@seed.example', 'Seeder ' || idx,
         '!seeded: cannot sign in', now() - interval '180 days'
  FROM seed_users;

CREATE TEMP TABLE seed_polls AS
SELECT gen_random_uuid() AS id, g,
       floor(random() * :users)::int AS creator_idx,
       2 + floor(random() * 5)::int AS n_opts,
       floor(random() * 6)::int AS tmpl,
       pg_temp.word() AS w1, pg_temp.word() AS w2, pg_temp.word() AS w3,
       random() AS r_status, random() AS r_public, floor(random() * 10)::int AS cat,
       now() - interval '90 days' * random() AS created_at,
       random() < 0.2 AS multi,
       floor(random() * :users)::bigint AS start,
       (ARRAY[100003, 100019, 100043, 100049, 100057, 100069])[1 + floor(random() * 6)::int]::bigint AS stride,
       least(:users, CASE WHEN g <= :polls / 1000 THEN 5000 + floor(random() * 15000)::int
                          ELSE floor(exp(random() * 5.3))::int END) AS voters
FROM generate_series(1, :polls) g;
ALTER TABLE seed_polls ADD COLUMN status text;
UPDATE seed_polls SET status = CASE WHEN r_status < 0.01 THEN 'draft'
                                    WHEN r_status < 0.14 THEN 'closed' ELSE 'open' END;

CREATE TEMP TABLE seed_options AS
SELECT p.id AS poll_id, gen_random_uuid() AS id, k AS position,
       pg_temp.word() || ' ' || pg_temp.word() || ' ' || (k + 1) AS text
FROM seed_polls p, generate_series(0, p.n_opts - 1) k;

-- Ballots first (foreign keys are off), so the polls can be inserted with their counters.
ALTER TABLE poll_ballots DROP CONSTRAINT poll_ballots_pkey;
DROP INDEX poll_ballots_user_idx;
INSERT INTO poll_ballots (poll_id, voter_key, user_id, option_ids, voted_at)
SELECT p.id, u.id, u.id,
       CASE WHEN p.multi AND k % 2 = 0
            THEN ARRAY[o.ids[1 + (k % p.n_opts)], o.ids[1 + ((k + 1) % p.n_opts)]]
            ELSE ARRAY[o.ids[1 + floor(power(random(), 1.6) * p.n_opts)::int]] END,
       p.created_at + (now() - p.created_at) * random()
FROM seed_polls p
JOIN (SELECT poll_id, array_agg(id ORDER BY position) AS ids FROM seed_options GROUP BY poll_id) o
  ON o.poll_id = p.id
CROSS JOIN LATERAL generate_series(0, p.voters - 1) k
JOIN seed_users u ON u.idx = (p.start + k * p.stride) % :users
WHERE p.status <> 'draft';
ALTER TABLE poll_ballots ADD CONSTRAINT poll_ballots_pkey PRIMARY KEY (poll_id, voter_key);
CREATE INDEX poll_ballots_user_idx ON poll_ballots (user_id, voted_at DESC) WHERE user_id IS NOT NULL;

-- The counters and the trending score as the live flush keeps them: ln Σ exp(hours/6) over
-- the ballots (each ballot's last change), summed relative to now to stay in range.
CREATE TEMP TABLE seed_counts AS
SELECT b.poll_id, count(*) AS voters, sum(cardinality(b.option_ids)) AS votes,
       n.x + ln(sum(exp(extract(epoch FROM b.voted_at - timestamptz '2026-01-01 00:00:00+00')
                         / 21600.0 - n.x))) AS trend
FROM poll_ballots b JOIN seed_polls p ON p.id = b.poll_id,
     (SELECT extract(epoch FROM now() - timestamptz '2026-01-01 00:00:00+00') / 21600.0 AS x) n
GROUP BY b.poll_id, n.x;

INSERT INTO poll_options (id, poll_id, text, position, created_at)
SELECT o.id, o.poll_id, o.text, o.position, p.created_at
FROM seed_options o JOIN seed_polls p ON p.id = o.poll_id;

INSERT INTO polls (id, creator_id, question, description, category_id, status, allow_multiple,
                   max_choices, is_public, allow_anonymous, expires_at, created_at, updated_at,
                   closed_at, voters_count, votes_count, likes_count, trend_score, search_doc)
SELECT p.id, u.id, t.question, t.description, c.id, p.status, p.multi,
       CASE WHEN p.multi THEN p.n_opts ELSE 1 END, p.r_public >= 0.05, p.r_public < 0.15, NULL,
       p.created_at, p.created_at,
       CASE WHEN p.status = 'closed' THEN p.created_at + (now() - p.created_at) * 0.9 END,
       coalesce(s.voters, 0), coalesce(s.votes, 0), 0, coalesce(s.trend, 0),
       setweight(to_tsvector('english', t.question), 'A')
         || setweight(to_tsvector('english', o.text), 'B')
         || setweight(to_tsvector('english', t.description), 'C')
FROM seed_polls p
JOIN seed_users u ON u.idx = p.creator_idx
CROSS JOIN LATERAL (SELECT
    CASE p.tmpl
      WHEN 0 THEN 'What is the best ' || p.w1 || ' for ' || p.w2 || '?'
      WHEN 1 THEN 'Best ' || p.w1 || ' ' || p.w2 || ' ever?'
      WHEN 2 THEN 'Which ' || p.w1 || ' do you prefer: ' || p.w2 || ' or ' || p.w3 || '?'
      WHEN 3 THEN 'Should we ' || p.w1 || ' the ' || p.w2 || ' ' || p.w3 || '?'
      WHEN 4 THEN 'How often do you ' || p.w1 || ' ' || p.w2 || '?'
      ELSE 'Is ' || p.w1 || ' better than ' || p.w2 || '?' END AS question,
    CASE WHEN p.r_status > 0.7 THEN 'Tell us about ' || p.w3 || ' and ' || p.w1 || '.'
         ELSE '' END AS description) t
JOIN (SELECT poll_id, string_agg(text, ' ' ORDER BY position) AS text FROM seed_options
      GROUP BY poll_id) o ON o.poll_id = p.id
LEFT JOIN seed_counts s ON s.poll_id = p.id
LEFT JOIN (SELECT id, (row_number() OVER (ORDER BY slug) - 1)::int AS k
           FROM poll_categories WHERE slug IN ('general', 'technology', 'science', 'sports',
             'entertainment', 'games', 'food', 'politics', 'other')) c ON c.k = p.cat;
SQL

psql "$DATABASE_URL" -q -c "VACUUM ANALYZE users, polls, poll_options, poll_ballots"
psql "$DATABASE_URL" -At -F ' ' -c "SELECT 'polls', count(*) FROM polls UNION ALL \
  SELECT 'options', count(*) FROM poll_options UNION ALL \
  SELECT 'ballots', count(*) FROM poll_ballots UNION ALL \
  SELECT 'votes (chosen options)', coalesce(sum(cardinality(option_ids)), 0) FROM poll_ballots UNION ALL \
  SELECT 'users', count(*) FROM users"
echo "seeded in ${SECONDS} s"
