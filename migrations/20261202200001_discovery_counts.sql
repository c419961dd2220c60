-- Discovery at scale (issue 12): a list's `total` is counted up to 10,020 polls, and with a
-- category (and a status) filter that count read every matching poll row from the heap: ~10,000
-- random row reads, the slowest part of a filtered page at 100,000 polls. This index holds
-- every column those filters test, so the count is an index-only scan (the rows' visibility
-- comes from the visibility map, which vacuum keeps mostly set; the list counters' once-a-second
-- updates only unset it for the pages of polls being voted on).
CREATE INDEX polls_public_filter_idx ON polls (category_id, status, expires_at)
    WHERE is_public AND status <> 'draft';
