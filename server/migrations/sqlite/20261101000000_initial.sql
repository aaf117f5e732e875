-- Reference data kept by the township office.
CREATE TABLE townships (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    county TEXT NOT NULL
);

CREATE TABLE people (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    township_id TEXT NOT NULL REFERENCES townships (id),
    unit_id TEXT
);

CREATE TABLE villages (
    id TEXT PRIMARY KEY,
    township_id TEXT NOT NULL REFERENCES townships (id),
    name TEXT NOT NULL,
    code TEXT,
    boundary TEXT NOT NULL,
    poor BOOLEAN NOT NULL,
    exiting_this_year BOOLEAN NOT NULL,
    UNIQUE (township_id, name)
);

CREATE TABLE households (
    id TEXT PRIMARY KEY,
    village_id TEXT NOT NULL REFERENCES villages (id),
    head_name TEXT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    categories TEXT NOT NULL,
    members INTEGER NOT NULL
);
CREATE INDEX households_village ON households (village_id);

CREATE TABLE assignments (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    role TEXT NOT NULL,
    village_id TEXT REFERENCES villages (id),
    township_id TEXT NOT NULL REFERENCES townships (id),
    starts_on TEXT NOT NULL,
    ends_on TEXT
);
CREATE INDEX assignments_person ON assignments (person_id);
CREATE INDEX assignments_township ON assignments (township_id);

CREATE TABLE pairings (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    household_id TEXT NOT NULL REFERENCES households (id),
    starts_on TEXT NOT NULL,
    ends_on TEXT
);
CREATE INDEX pairings_person ON pairings (person_id);

-- Accounts.
CREATE TABLE users (
    person_id TEXT PRIMARY KEY REFERENCES people (id),
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    label TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    -- The highest seq such that every record 1..=seq of the device is held.
    contiguous_seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX devices_person ON devices (person_id);

-- Each device's append-only log, as received.
CREATE TABLE device_records (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices (id),
    seq INTEGER NOT NULL,
    person_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    captured_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    clock_offset_s INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    record TEXT NOT NULL,
    UNIQUE (device_id, seq)
);
CREATE INDEX device_records_person_time ON device_records (person_id, captured_at);

-- What the server read from each photo file; the file itself is in the object store.
CREATE TABLE photos (
    sha256 TEXT PRIMARY KEY,
    bytes INTEGER NOT NULL,
    format TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    exif_time TEXT,
    exif_lat REAL,
    exif_lon REAL,
    phash TEXT,
    uploaded_by TEXT NOT NULL REFERENCES people (id),
    uploaded_at TEXT NOT NULL
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
