-- Day facts (shared::day_facts): each person's stays and where their track stood at the end of
-- each day their phone captured fixes, as JSON, with the interpretation they were folded under.
CREATE TABLE day_facts (
    person_id TEXT NOT NULL,
    day DATE NOT NULL,
    facts TEXT NOT NULL,
    basis TEXT NOT NULL,
    PRIMARY KEY (person_id, day)
);

-- Person-days whose fixes changed since their facts were kept: written in the same transaction
-- as the records. `mark` changes at each marking, so that a worker deletes only what it saw.
CREATE TABLE day_facts_queue (
    person_id TEXT NOT NULL,
    day DATE NOT NULL,
    mark TEXT NOT NULL,
    PRIMARY KEY (person_id, day)
);
