-- Roll-ups of receipt_daily kept on the write path in the same transaction (docs/INDICATORS.md),
-- so that a province-wide report reads thousands of rows, not millions. Each is what
-- `indicators::aggregates` rolls up from receipt_daily; `check_aggregates` compares them.

-- Per market, local day and method: a market's sums for any period, and the daily series.
-- The market is the stall's (receipts without a stall are not at a market).
CREATE TABLE receipt_market_daily (
    market_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    method TEXT NOT NULL,
    count BIGINT NOT NULL DEFAULT 0,
    amount BIGINT NOT NULL DEFAULT 0,
    refunded BIGINT NOT NULL DEFAULT 0,
    corrected_out BIGINT NOT NULL DEFAULT 0,
    corrected_in BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (market_id, day, method)
);

-- Per local day and stall: the net count of cashless receipts (the 30-day acceptance window
-- reads one contiguous range of days).
CREATE TABLE stall_cashless_daily (
    day BIGINT NOT NULL,
    stall_id BIGINT NOT NULL,
    count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, stall_id)
);

-- Per local month (year × 12 + month − 1) and merchant: net received, all methods (the
-- e-invoice revenue threshold).
CREATE TABLE receipt_merchant_monthly (
    month BIGINT NOT NULL,
    merchant_id BIGINT NOT NULL,
    net BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, merchant_id)
);

INSERT INTO receipt_market_daily (market_id, day, method, count, amount, refunded, corrected_out,
    corrected_in)
SELECT s.market_id, d.day, d.method, SUM(d.count), SUM(d.amount), SUM(d.refunded),
    SUM(d.corrected_out), SUM(d.corrected_in)
FROM receipt_daily d JOIN stalls s ON s.id = d.stall_id
GROUP BY s.market_id, d.day, d.method;

INSERT INTO stall_cashless_daily (day, stall_id, count)
SELECT day, stall_id, SUM(count) FROM receipt_daily
WHERE stall_id <> 0 AND method <> 'cash' GROUP BY day, stall_id;

INSERT INTO receipt_merchant_monthly (month, merchant_id, net)
SELECT CAST(EXTRACT(YEAR FROM DATE '1970-01-01' + CAST(day AS INTEGER)) * 12
        + EXTRACT(MONTH FROM DATE '1970-01-01' + CAST(day AS INTEGER)) - 1 AS BIGINT),
    merchant_id, SUM(amount - refunded - corrected_out + corrected_in)
FROM receipt_daily GROUP BY 1, 2;

-- Reports no longer scan receipt_daily by day (the roll-ups serve that); per-stall reads use the
-- primary key.
DROP INDEX receipt_daily_day;
DROP INDEX receipt_block_block;
