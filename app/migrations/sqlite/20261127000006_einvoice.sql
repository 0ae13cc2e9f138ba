-- Cash-register (MTT) e-invoices: taxpayers registered with the tax authority (100 → 103),
-- registers (a counter, a stall or a fuel-pump nozzle), products, sales, yearly numbering,
-- invoices (the signed XML is the record) and the messages sent to the tax authority.
CREATE TABLE invoice_taxpayers (
    merchant_id BIGINT PRIMARY KEY REFERENCES merchants(id),
    -- KHMSHDon: 1 VAT invoice (credit method), 2 sales invoice (households, direct method).
    form SMALLINT NOT NULL CHECK (form IN (1, 2)),
    -- Characters 5–6 of the symbol, chosen by the seller (e.g. 'HL' in C26MHL).
    symbol_suffix TEXT NOT NULL,
    -- The 5-character code of acceptance notice 103; NULL until accepted.
    mtt_code TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'registered', 'refused')),
    message_id TEXT,
    reasons TEXT NOT NULL DEFAULT '',
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    unit_price BIGINT NOT NULL CHECK (unit_price >= 0),
    -- TSuat as written on the invoice: 0%, 5%, 8%, 10%, KCT, KKKNT, KHAC:AB.CD%.
    vat_rate TEXT NOT NULL,
    is_fuel BOOLEAN NOT NULL DEFAULT FALSE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    search_text TEXT NOT NULL,
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (merchant_id, name)
);

CREATE TABLE registers (
    id INTEGER PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    stall_id BIGINT REFERENCES stalls(id),
    kind TEXT NOT NULL CHECK (kind IN ('counter', 'stall', 'fuel_pump')),
    label TEXT NOT NULL,
    -- A fuel-pump nozzle dispenses one product; each sale at it is its own invoice.
    fuel_product_id BIGINT REFERENCES products(id),
    status TEXT NOT NULL CHECK (status IN ('active', 'closed')),
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    UNIQUE (merchant_id, label)
);

-- The last number given per seller and year: the row is locked by the UPDATE that takes the
-- next number, and the invoice is inserted in the same transaction, so numbers never skip
-- or repeat (a failed insert rolls the counter back).
CREATE TABLE invoice_counters (
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    year INTEGER NOT NULL,
    last_number BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, year)
);

CREATE TABLE sales (
    id INTEGER PRIMARY KEY,
    register_id BIGINT NOT NULL REFERENCES registers(id),
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    -- Chosen by the register: a retried sale returns the first one.
    client_key TEXT NOT NULL,
    -- The cart as JSON: [{product_id, name, unit, quantity_milli, unit_price, vat_rate}].
    cart TEXT NOT NULL,
    total BIGINT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('cash', 'qr', 'card', 'ewallet')),
    buyer TEXT,
    payment_request_id BIGINT REFERENCES payment_requests(id),
    -- A correction: the sale re-issues this invoice (replacement, notified with 303).
    replaces_invoice_id BIGINT,
    replace_reason TEXT,
    -- awaiting_payment (QR) → paid → invoiced; cash, card and e-wallet sales start paid.
    status TEXT NOT NULL CHECK (status IN ('awaiting_payment', 'paid', 'invoiced', 'cancelled')),
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (register_id, client_key)
);

CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    register_id BIGINT NOT NULL REFERENCES registers(id),
    sale_id BIGINT UNIQUE REFERENCES sales(id),
    form SMALLINT NOT NULL,
    symbol TEXT NOT NULL,
    number BIGINT NOT NULL,
    year INTEGER NOT NULL,
    -- MCCQT: M{form}-{yy}-{code5}-{seq11}.
    code TEXT NOT NULL UNIQUE,
    seller_tax_code TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    total BIGINT NOT NULL,
    vat_total BIGINT NOT NULL,
    payment_method TEXT NOT NULL CHECK (payment_method IN ('cash', 'qr', 'card', 'ewallet')),
    has_buyer BOOLEAN NOT NULL DEFAULT FALSE,
    -- The invoice this one replaces (corrections are replacements, notified with 303).
    replaces_id BIGINT REFERENCES invoices(id),
    status TEXT NOT NULL CHECK (status IN ('issued', 'replaced')),
    -- Transmission: pending → sent (in a 206) → accepted or refused by the tax authority.
    tax_status TEXT NOT NULL CHECK (tax_status IN ('pending', 'sent', 'accepted', 'refused')),
    tax_message_id BIGINT,
    tax_reasons TEXT NOT NULL DEFAULT '',
    -- The invoice without seller signature (what goes into 206) and the signed one (buyers).
    xml TEXT NOT NULL,
    signed_xml TEXT NOT NULL,
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (merchant_id, year, number)
);
CREATE INDEX invoices_merchant ON invoices(merchant_id, issued_at);
CREATE INDEX invoices_tax ON invoices(tax_status, merchant_id, number);
CREATE INDEX invoices_lookup ON invoices(seller_tax_code, code);
-- The sender's round looks for invoices a crash left unsigned: few or none.
CREATE INDEX invoices_unsigned ON invoices(id) WHERE signed_xml = '';

-- Messages to the tax authority (100, 206, 303) with their state and retry schedule.
CREATE TABLE tax_messages (
    id INTEGER PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    kind TEXT NOT NULL CHECK (kind IN ('100', '206', '303')),
    message_id TEXT NOT NULL UNIQUE,
    xml TEXT NOT NULL,
    invoice_count INTEGER NOT NULL DEFAULT 0,
    -- pending (to send) → acknowledged (999 OK) → accepted | refused; failed = 999 refused.
    status TEXT NOT NULL CHECK (status IN ('pending', 'acknowledged', 'accepted', 'refused',
        'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    reasons TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX tax_messages_due ON tax_messages(status, next_attempt_at);
