-- A mark per person, renewed in the push that brings a record of theirs other than a fix
-- captured before the month it arrives in: an evaluation keeps a person's parsed records before
-- its raw days in memory while their mark holds (evaluation::memory).
CREATE TABLE history_marks (
    person_id TEXT PRIMARY KEY,
    mark TEXT NOT NULL
);
