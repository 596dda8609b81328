-- Why a file is on a case: `evidence` came with the report (the reporter's or the intake desk's
-- scans, which may show personal data and are never published); `answer` was uploaded by an
-- officer to go out with the answer, and is published with it.
ALTER TABLE case_attachments ADD COLUMN purpose TEXT NOT NULL DEFAULT 'evidence';
