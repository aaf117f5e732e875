-- The history of kept verdicts, append-only: a version each time a person-month's kept report
-- says something else (a requirement's status or count, or the month's standing), from the
-- moment it became current. "As of" reads the latest version at or before an instant.
CREATE TABLE verdict_history (
    id BIGSERIAL PRIMARY KEY,
    person_id TEXT NOT NULL,
    month TEXT NOT NULL,
    -- When this version became the kept one (its evaluation time).
    since TIMESTAMPTZ NOT NULL,
    -- shared::month_close::fingerprint of the report ('' for versions from before the history).
    fingerprint TEXT NOT NULL,
    report JSONB NOT NULL
);
CREATE INDEX verdict_history_as_of ON verdict_history (person_id, month, since, id);
INSERT INTO verdict_history (person_id, month, since, fingerprint, report)
    SELECT person_id, month, evaluated_at, '', report FROM kept_verdicts;

-- A queued person-month is claimed by one worker at a time, until its lease runs out (a worker
-- that dies leaves its claims to be taken again once their lease has passed). Workers of
-- several servers claim with FOR UPDATE SKIP LOCKED.
ALTER TABLE verdict_queue ADD COLUMN claimed_by TEXT;
ALTER TABLE verdict_queue ADD COLUMN claimed_until TIMESTAMPTZ;
