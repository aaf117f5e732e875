-- The submission chain's first step, 生成: the sha256 of the generated ledger's content, so that
-- the village confirms exactly that version. Empty for the other steps.
ALTER TABLE ledger_submissions ADD COLUMN content_sha256 TEXT NOT NULL DEFAULT '';
