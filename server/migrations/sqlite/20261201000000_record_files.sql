-- Which records use which files (a photo record's photo, a report's attachments), so that a
-- file is shown to whoever may see a record that uses it.
CREATE TABLE record_files (
    sha256 TEXT NOT NULL,
    record_id TEXT NOT NULL REFERENCES device_records (id),
    person_id TEXT NOT NULL,
    captured_at TEXT NOT NULL,
    PRIMARY KEY (sha256, record_id)
);

INSERT INTO record_files (sha256, record_id, person_id, captured_at)
SELECT json_extract(record, '$.body.sha256'), id, person_id, captured_at
FROM device_records WHERE kind = 'photo'
UNION
SELECT a.value, r.id, r.person_id, r.captured_at
FROM device_records r, json_each(r.record, '$.body.attachments') a
WHERE r.kind = 'report';
