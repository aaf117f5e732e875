-- Sessions: an id to list and revoke them by, when each was last used, and from what client.
ALTER TABLE sessions ADD COLUMN id TEXT;
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMPTZ;
ALTER TABLE sessions ADD COLUMN client TEXT;
UPDATE sessions SET id = substr(token_hash, 1, 32), last_seen_at = created_at WHERE id IS NULL;
CREATE UNIQUE INDEX sessions_id ON sessions (id);
CREATE INDEX sessions_person ON sessions (person_id);

-- A device its owner has withdrawn (a lost phone) pushes nothing more.
ALTER TABLE devices ADD COLUMN revoked_at TIMESTAMPTZ;

-- Usernames are compared by their key: NFKC, case folded. Filled at start-up.
ALTER TABLE users ADD COLUMN username_key TEXT;
CREATE UNIQUE INDEX users_by_username_key ON users (username_key);

-- Failed logins per (username key, client address), shared by every server on the database.
-- Times in seconds since 1970.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    next_at BIGINT NOT NULL
);
CREATE INDEX login_throttle_last ON login_throttle (last_at);
