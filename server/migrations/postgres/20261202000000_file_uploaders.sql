-- Who uploaded each stored file: everyone who sent its bytes whole, not only the first. Knowing
-- a file's SHA-256 is no proof of holding it: a record may name a file only if its author
-- uploaded it (or could already see it), and only the records of uploaders make it visible.
CREATE TABLE file_uploaders (
    sha256 TEXT NOT NULL REFERENCES photos (sha256),
    person_id TEXT NOT NULL REFERENCES people (id),
    uploaded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (sha256, person_id)
);

INSERT INTO file_uploaders (sha256, person_id, uploaded_at)
SELECT sha256, uploaded_by, uploaded_at FROM photos;
