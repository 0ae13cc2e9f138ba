-- Issue 5: how a receipt was paid, and refunds and corrections as new records (a receipt row is
-- never edited once matched; each adjustment becomes new ledger transfers).
ALTER TABLE incoming_transfers ADD COLUMN method TEXT NOT NULL DEFAULT 'transfer'
    CHECK (method IN ('transfer', 'card', 'ewallet', 'cash'));

CREATE TABLE receipt_adjustments (
    id INTEGER PRIMARY KEY,
    receipt_id BIGINT NOT NULL REFERENCES incoming_transfers(id),
    -- 'refund': money given back from the stall; 'correction': the receipt's remaining amount
    -- moved to another stall
    kind TEXT NOT NULL CHECK (kind IN ('refund', 'correction')),
    amount BIGINT NOT NULL CHECK (amount > 0),
    reason TEXT NOT NULL,
    -- the caller's key: a retry with the same key answers the stored adjustment
    idempotency_key TEXT NOT NULL,
    -- who held the receipt before (refunds: the stall the refund is charged to)
    from_stall_id BIGINT REFERENCES stalls(id),
    from_merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    -- corrections only
    to_stall_id BIGINT REFERENCES stalls(id),
    to_merchant_id BIGINT REFERENCES merchants(id),
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    -- set once its ledger transfers are committed (posting is idempotent by id)
    ledger_posted BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (receipt_id, kind, idempotency_key)
);
CREATE INDEX receipt_adjustments_unposted ON receipt_adjustments(ledger_posted, id);
CREATE INDEX receipt_adjustments_day ON receipt_adjustments(created_at);
CREATE INDEX incoming_transfers_day ON incoming_transfers(occurred_at);
-- The group writer expires due requests before each group: find them by status and time.
CREATE INDEX payment_requests_open ON payment_requests(status, expires_at);
