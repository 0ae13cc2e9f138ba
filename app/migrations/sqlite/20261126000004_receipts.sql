-- Money received at stalls: payment requests (dynamic VietQR with a reference) and incoming
-- transfers reported by bank-notification providers, deduplicated by the provider's id.
CREATE TABLE payment_requests (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('stall_sale', 'bill', 'order')),
    stall_id BIGINT NOT NULL REFERENCES stalls(id),
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    bank_bin TEXT NOT NULL,
    account_number TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    paid_amount BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('created', 'paid', 'partially_paid', 'overpaid',
        'expired', 'cancelled')),
    description TEXT NOT NULL DEFAULT '',
    payload TEXT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX payment_requests_stall ON payment_requests(stall_id, created_at);

CREATE TABLE incoming_transfers (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    provider_tx_id TEXT NOT NULL,
    account_number TEXT NOT NULL,
    amount BIGINT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    description TEXT NOT NULL,
    reference TEXT,
    -- the bank's own transaction id, as printed on statements
    bank_reference TEXT,
    occurred_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    -- 'reference' (matched by the request's reference), 'account_amount' (weaker: account,
    -- amount and time window), 'static' (to a stall's account without a reference),
    -- 'unmatched' (waiting for a person), 'outgoing'
    match_kind TEXT NOT NULL,
    payment_request_id BIGINT REFERENCES payment_requests(id),
    stall_id BIGINT REFERENCES stalls(id),
    merchant_id BIGINT REFERENCES merchants(id),
    late BOOLEAN NOT NULL DEFAULT FALSE,
    resolved_by BIGINT,
    -- set once the receipt's ledger transfer is committed (posting is idempotent by id)
    ledger_posted BOOLEAN NOT NULL DEFAULT FALSE,
    raw TEXT NOT NULL,
    UNIQUE (provider, provider_tx_id)
);
CREATE INDEX incoming_transfers_merchant ON incoming_transfers(merchant_id, id);
CREATE INDEX incoming_transfers_account ON incoming_transfers(account_number, occurred_at);
CREATE INDEX incoming_transfers_unposted ON incoming_transfers(ledger_posted, id);
-- Matching looks transfers up by the receiving account.
CREATE INDEX bank_accounts_account ON bank_accounts(account_number);
CREATE INDEX payment_requests_account ON payment_requests(account_number, amount);
