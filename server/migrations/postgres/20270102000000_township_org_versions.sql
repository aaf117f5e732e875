-- The organisation's version, kept per township: a change to postings, pairings, people,
-- villages or households makes stale only the kept verdicts of the townships it touches, not
-- every township's. It replaces the one version the whole server had.
ALTER TABLE townships ADD COLUMN org_version BIGINT NOT NULL DEFAULT 0;
DELETE FROM settings WHERE key = 'org_version';
