-- The submission chain of a village's 领导挂联工作月台账 (三(二)): confirmed by the village,
-- forwarded by the township office, received by the county. One row per step, written once.
CREATE TABLE ledger_submissions (
    village_id TEXT NOT NULL,
    -- YYYY-MM
    month TEXT NOT NULL,
    -- confirmed, forwarded or received
    step TEXT NOT NULL,
    person_id TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    remarks TEXT NOT NULL,
    PRIMARY KEY (village_id, month, step)
);
