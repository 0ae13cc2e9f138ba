-- Organisations: merchants and market boards (linked to the register), utilities, tax offices
-- and notification providers; people belong to them as members.
CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('merchant', 'market_board', 'utility', 'tax_office',
        'notification_provider')),
    name TEXT NOT NULL,
    tax_code TEXT,
    market_id BIGINT REFERENCES markets(id),
    merchant_id BIGINT REFERENCES merchants(id),
    created_at BIGINT NOT NULL,
    UNIQUE (kind, name),
    CHECK ((kind = 'market_board') = (market_id IS NOT NULL)),
    CHECK ((kind = 'merchant') = (merchant_id IS NOT NULL))
);

CREATE TABLE organisation_members (
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, person_id)
);
