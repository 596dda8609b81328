-- Hashes of each case's reporter contacts (e-mail, phone, NIK), to find a person's other
-- cases among the likely duplicates without an index of personal data in the clear.
CREATE TABLE case_contacts (
    hash TEXT NOT NULL,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    PRIMARY KEY (hash, case_id)
);
