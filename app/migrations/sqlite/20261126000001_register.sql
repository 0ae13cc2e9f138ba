-- The register: places, markets, stalls, merchants and their payout accounts.
-- Times are unix microseconds (UTC). `search_text` holds the lower-case, diacritic-free
-- text that list searches match against.

CREATE TABLE places (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('province', 'legacy_district', 'ward', 'commune', 'special_zone')),
    unit_type TEXT NOT NULL,
    parent_code TEXT REFERENCES places(code),
    legacy_district_code TEXT REFERENCES places(code),
    search_text TEXT NOT NULL
);

CREATE TABLE merchants (
    id INTEGER PRIMARY KEY,
    tax_code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('household', 'enterprise')),
    owner_name TEXT NOT NULL,
    phone TEXT,
    address TEXT NOT NULL DEFAULT '',
    place_code TEXT NOT NULL REFERENCES places(code),
    payment_methods TEXT NOT NULL DEFAULT 'cash',
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    search_text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX merchants_place ON merchants(place_code);

CREATE TABLE bank_accounts (
    id INTEGER PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants(id) ON DELETE CASCADE,
    bank_bin TEXT NOT NULL,
    account_number TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    UNIQUE (merchant_id, bank_bin, account_number)
);

CREATE TABLE markets (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    place_code TEXT NOT NULL REFERENCES places(code),
    business_points INTEGER NOT NULL CHECK (business_points >= 0),
    class_override SMALLINT CHECK (class_override IN (1, 2, 3)),
    class_override_reason TEXT,
    market_class SMALLINT NOT NULL CHECK (market_class IN (1, 2, 3)),
    board_contact TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('active', 'renovating', 'closed')),
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    search_text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK ((class_override IS NULL) = (class_override_reason IS NULL))
);
CREATE INDEX markets_place ON markets(place_code);

CREATE TABLE stalls (
    id INTEGER PRIMARY KEY,
    market_id BIGINT NOT NULL REFERENCES markets(id),
    code TEXT NOT NULL,
    zone TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('active', 'vacant', 'closed')),
    merchant_id BIGINT REFERENCES merchants(id),
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    search_text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (market_id, code)
);
CREATE INDEX stalls_merchant ON stalls(merchant_id);

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
