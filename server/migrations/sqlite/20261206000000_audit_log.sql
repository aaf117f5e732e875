-- The audit log: append-only, each entry chained to the one before by its hash (see
-- `zhucun_server::audit`). seq is given by the server, 1, 2, 3 … without gaps; detail is the JSON
-- text exactly as hashed.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id TEXT,
    township_id TEXT,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_township ON audit_log (township_id, seq);
