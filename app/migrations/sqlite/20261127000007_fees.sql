-- Market fees: schedules per market and stall category, bills per stall and period (each payable
-- by its own dynamic VietQR), cash payments recorded by the market board with a receipt.
CREATE TABLE fee_schedules (
    id INTEGER PRIMARY KEY,
    market_id BIGINT NOT NULL REFERENCES markets(id),
    -- '' applies to every stall; otherwise only to stalls of this category (stalls.category).
    stall_category TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL CHECK (kind IN ('rent', 'sanitation', 'security', 'electricity', 'water',
        'other')),
    -- Integer đồng per stall and month.
    amount BIGINT NOT NULL CHECK (amount > 0),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (market_id, stall_category, kind)
);

CREATE TABLE fee_bills (
    id INTEGER PRIMARY KEY,
    market_id BIGINT NOT NULL REFERENCES markets(id),
    stall_id BIGINT NOT NULL REFERENCES stalls(id),
    -- The stall's merchant when the bill was made (NULL for a vacant stall).
    merchant_id BIGINT REFERENCES merchants(id),
    schedule_id BIGINT REFERENCES fee_schedules(id),
    -- Calendar month 'YYYY-MM' (Asia/Ho_Chi_Minh).
    period TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    -- Unix microseconds (UTC): unpaid after this, the bill is overdue.
    due_at BIGINT NOT NULL,
    -- The bill's dynamic VietQR (payment_requests.kind = 'bill').
    payment_request_id BIGINT REFERENCES payment_requests(id),
    -- What has been paid, split by way of payment (đồng).
    paid_cashless BIGINT NOT NULL DEFAULT 0,
    paid_cash BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('open', 'partially_paid', 'paid', 'cancelled')),
    -- When the bill was fully paid.
    paid_at BIGINT,
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- Running a period twice creates nothing new.
    UNIQUE (stall_id, period, kind)
);
CREATE INDEX fee_bills_market ON fee_bills(market_id, period);
CREATE INDEX fee_bills_request ON fee_bills(payment_request_id);

CREATE TABLE fee_cash_payments (
    id INTEGER PRIMARY KEY,
    bill_id BIGINT NOT NULL REFERENCES fee_bills(id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    -- Printed on the paper receipt the market board hands over.
    receipt_no TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL,
    received_by BIGINT,
    received_at BIGINT NOT NULL,
    UNIQUE (bill_id, idempotency_key)
);
