-- Files attached to cases (photos, PDF documents), stored in the database so that they share
-- its transactions, durability and backups. Checked by content before they get here.
CREATE TABLE case_attachments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BYTEA NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX case_attachments_by_case ON case_attachments (case_id, id);
