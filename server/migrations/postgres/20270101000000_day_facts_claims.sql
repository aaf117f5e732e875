-- Which worker folds a person's queued days, until when: one worker at a time per person, so
-- that two servers never fold the same person's days side by side (the later write could be the
-- one that read the older records). A claim past its time is taken by the next worker.
CREATE TABLE day_facts_claims (
    person_id TEXT PRIMARY KEY,
    claimed_by TEXT NOT NULL,
    claimed_until TIMESTAMPTZ NOT NULL
);
