-- Months closed (月结): past its grace date a month's kept verdicts are final, frozen with the
-- rules and calendar they were computed with. One row per month, written once by whoever closes
-- it first (the worker or `zhucun-server months close`).
CREATE TABLE closed_months (
    month TEXT PRIMARY KEY,
    closed_at TEXT NOT NULL,
    -- The last day records were awaited.
    grace_date TEXT NOT NULL,
    -- The rules and calendar the month was evaluated with (a JSON object).
    policy TEXT NOT NULL
);
