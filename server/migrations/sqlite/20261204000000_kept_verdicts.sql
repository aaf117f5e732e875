-- Verdicts kept, not recomputed on every read: one report per person and month, with what it
-- was computed from (rules, calendar and organisation versions) and on which local day.
CREATE TABLE kept_verdicts (
    person_id TEXT NOT NULL,
    month TEXT NOT NULL,
    report TEXT NOT NULL,
    evaluated_at TEXT NOT NULL,
    basis TEXT NOT NULL,
    PRIMARY KEY (person_id, month)
);

-- Person-months whose records changed since their verdicts were kept: written in the same
-- transaction as the records, so that a crash loses no pending re-evaluation. `mark` changes at
-- each marking, so that a worker deletes only what it has seen.
CREATE TABLE verdict_queue (
    person_id TEXT NOT NULL,
    month TEXT NOT NULL,
    mark TEXT NOT NULL,
    PRIMARY KEY (person_id, month)
);
CREATE INDEX verdict_queue_month ON verdict_queue (month);

-- Bumped by every change of the organisation (postings and pairings decide whose records count).
INSERT INTO settings (key, value) VALUES ('org_version', '0') ON CONFLICT (key) DO NOTHING;
