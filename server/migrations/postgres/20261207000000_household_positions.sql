-- Where a household stood before it was moved (the office corrected its position, or an import
-- placed it elsewhere): one row per earlier position, kept so that a visit judged against an
-- old position can still be explained. The current position stays in households.
CREATE TABLE household_positions (
    id BIGSERIAL PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES households (id),
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    -- When the household was moved away from here.
    replaced_at TIMESTAMPTZ NOT NULL,
    -- Who moved it (a person id); none for the command line.
    replaced_by TEXT,
    -- console, import
    how TEXT NOT NULL
);
CREATE INDEX household_positions_household ON household_positions (household_id, replaced_at);
