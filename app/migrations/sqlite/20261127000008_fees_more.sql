-- Market fees, part 2: the market board's payout account (bills are paid into it by dynamic
-- VietQR) and the reminders sent for overdue bills.
CREATE TABLE market_accounts (
    market_id BIGINT PRIMARY KEY REFERENCES markets(id),
    bank_bin TEXT NOT NULL,
    account_number TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL
);

-- When the stall's merchant was last reminded of the bill (claimed before the SMS is sent, so
-- two concurrent runs cannot both send).
ALTER TABLE fee_bills ADD COLUMN last_reminded_at BIGINT;

CREATE TABLE fee_reminders (
    id INTEGER PRIMARY KEY,
    bill_id BIGINT NOT NULL REFERENCES fee_bills(id),
    -- Masked, as everywhere outside the merchant record.
    phone_masked TEXT NOT NULL,
    -- 'sent' or 'failed' (a failed send releases the bill's claim).
    outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'failed')),
    sent_by BIGINT,
    sent_at BIGINT NOT NULL
);
CREATE INDEX fee_reminders_bill ON fee_reminders(bill_id, sent_at);
