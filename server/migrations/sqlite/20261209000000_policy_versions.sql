-- Versions of the rule catalogue and the working-day calendar, each in force from its day: a
-- month is evaluated with the version in force on its first day. The file kept in settings
-- before versions existed (or the bundled one) is in force before the first version.
CREATE TABLE policy_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- rules or calendar
    policy TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    body TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    set_at TEXT NOT NULL
);
CREATE INDEX policy_versions_in_force ON policy_versions (policy, effective_from, id);
