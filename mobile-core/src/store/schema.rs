//! The on-phone schema. Migrations are applied in order on open and never edited once released;
//! `PRAGMA user_version` says how many have run.

/// Each entry is one migration, applied in its own transaction.
pub const MIGRATIONS: &[&str] = &[
    r#"
-- Settings and sync state: device_id, person_id, server_url, token, confirmed_seq, cursor,
-- last_sync_ok, last_sync_error; since migration 2 also seq_base (the local seq after which
-- the current device's log starts: device seq = local seq - seq_base) and session_expired.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The phone's append-only log. seq is the local seq, contiguous from 1; the record's own
-- (device_id, seq) is in json. Rows are never updated, except that records the server never
-- accepted are re-logged under a new device when the log forked (see Store::fork).
CREATE TABLE records (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    captured_at TEXT NOT NULL,
    json        TEXT NOT NULL
);

-- Views built from the log, in the same transaction as the record they reflect.
CREATE TABLE duty_sessions (
    duty_id    TEXT PRIMARY KEY,
    village_id TEXT,
    started_at TEXT NOT NULL,
    ended_at   TEXT
);

-- Trajectory fixes; a new segment starts after a gap.
CREATE TABLE track_points (
    seq        INTEGER PRIMARY KEY,
    duty_id    TEXT NOT NULL,
    time       TEXT NOT NULL,
    lat        REAL NOT NULL,
    lon        REAL NOT NULL,
    accuracy_m REAL NOT NULL,
    segment    INTEGER NOT NULL
);
CREATE INDEX track_points_duty ON track_points (duty_id, seq);

CREATE TABLE village_stays (
    check_in_id    TEXT PRIMARY KEY,
    village_id     TEXT NOT NULL,
    checked_in_at  TEXT NOT NULL,
    accuracy_m     REAL,
    checked_out_at TEXT
);

CREATE TABLE visits (
    check_in_id  TEXT PRIMARY KEY,
    household_id TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    fix_lat      REAL,
    fix_lon      REAL,
    accuracy_m   REAL,
    ended_at     TEXT,
    photos       INTEGER NOT NULL DEFAULT 0,
    note         TEXT,
    event_id     TEXT,
    retracted    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX visits_started ON visits (started_at);

-- Work log: events, activities and reports.
CREATE TABLE entries (
    record_id   TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    day         TEXT NOT NULL,
    captured_at TEXT NOT NULL,
    photos      INTEGER NOT NULL DEFAULT 0,
    retracted   INTEGER NOT NULL DEFAULT 0
);

-- Photo files waiting for upload; data is dropped once the server holds the whole file.
CREATE TABLE photos (
    sha256      TEXT PRIMARY KEY,
    record_id   TEXT NOT NULL,
    attached_to TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    uploaded    INTEGER NOT NULL DEFAULT 0,
    complete    INTEGER NOT NULL DEFAULT 0,
    data        BLOB
);

-- Reference data pulled from the server, one JSON document per key.
CREATE TABLE reference (
    key  TEXT PRIMARY KEY,
    json TEXT NOT NULL
);
"#,
    r#"
-- Records the server refused (422 naming the record): kept in the log, never deleted, skipped
-- by the push so they do not hold back the records after them. seq is the local seq.
CREATE TABLE quarantine (
    seq     INTEGER PRIMARY KEY,
    message TEXT NOT NULL,
    at      TEXT NOT NULL
);

-- A photo file the server refused: kept, not uploaded again, shown with the server's message.
ALTER TABLE photos ADD COLUMN refused TEXT;
"#,
    r#"
-- A report's attached documents wait for upload in the photos table too: kind says which
-- (photo or document) and so where the file is uploaded; name is the file's name as chosen.
ALTER TABLE photos ADD COLUMN kind TEXT NOT NULL DEFAULT 'photo';
ALTER TABLE photos ADD COLUMN name TEXT;
-- Files a work-log entry carries (a report's attachments).
ALTER TABLE entries ADD COLUMN files INTEGER NOT NULL DEFAULT 0;
"#,
    r#"
-- A visit's, duty session's or village check-in's row is the shared fold of its records,
-- computed again whenever one of them is written (and once now, from the whole log: see
-- REBUILD_VIEWS_AT). notes holds the notes in force as a JSON array of texts; note is no
-- longer written.
ALTER TABLE visits ADD COLUMN notes TEXT NOT NULL DEFAULT '[]';
-- A visit's records, found by what they name.
CREATE INDEX records_check_in ON records (json_extract(json, '$.body.check_in'));
CREATE INDEX records_attached_to ON records (json_extract(json, '$.body.attached_to'));
CREATE INDEX records_target ON records (json_extract(json, '$.body.target'));
CREATE INDEX records_duty ON records (json_extract(json, '$.body.duty'));
"#,
];

/// The migrations (counted from 1) after which the views of visits, duty sessions and village
/// check-ins are rebuilt from the log, in the migration's transaction: a row's meaning changed.
pub const REBUILD_VIEWS_AT: &[usize] = &[4];
