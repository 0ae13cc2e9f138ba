-- Indicators (docs/INDICATORS.md): receipts per stall, merchant, local day (Asia/Ho_Chi_Minh,
-- days since 1970-01-01) and method, kept by the ledger posting sweeper in the same transaction
-- that marks a receipt or adjustment posted (so each is counted exactly once), and rebuildable
-- from the raw records (`indicators::aggregates::rebuild_aggregates`).
CREATE TABLE receipt_daily (
    -- 0 when the receipt reached a merchant without a stall
    stall_id BIGINT NOT NULL,
    merchant_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    method TEXT NOT NULL,
    -- receipts posted that day and their sum (đồng)
    count BIGINT NOT NULL DEFAULT 0,
    amount BIGINT NOT NULL DEFAULT 0,
    -- refunds charged to the stall, and corrections moved out / in, by the adjustment's day
    refunded BIGINT NOT NULL DEFAULT 0,
    corrected_out BIGINT NOT NULL DEFAULT 0,
    corrected_in BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (stall_id, merchant_id, day, method)
);
CREATE INDEX receipt_daily_day ON receipt_daily(day);

-- The same in blocks of 16 local days (block = day / 16), kept alongside: a long period reads
-- whole blocks here and only its ragged edges from receipt_daily.
CREATE TABLE receipt_block (
    stall_id BIGINT NOT NULL,
    merchant_id BIGINT NOT NULL,
    block BIGINT NOT NULL,
    method TEXT NOT NULL,
    count BIGINT NOT NULL DEFAULT 0,
    amount BIGINT NOT NULL DEFAULT 0,
    refunded BIGINT NOT NULL DEFAULT 0,
    corrected_out BIGINT NOT NULL DEFAULT 0,
    corrected_in BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (stall_id, merchant_id, block, method)
);
CREATE INDEX receipt_block_block ON receipt_block(block);

-- Targets shown on the dashboard (percent, by the end of `year`). Change them with SQL.
CREATE TABLE indicator_targets (
    key TEXT PRIMARY KEY,
    label_vi TEXT NOT NULL,
    percent INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),
    year INTEGER NOT NULL
);
INSERT INTO indicator_targets (key, label_vi, percent, year) VALUES
    ('markets', 'Chợ có thanh toán không dùng tiền mặt', 100, 2025),
    ('stalls', 'Điểm kinh doanh chấp nhận thanh toán không dùng tiền mặt', 80, 2025),
    ('fees', 'Phí chợ thu không dùng tiền mặt (theo số tiền)', 80, 2025),
    ('einvoice', 'Người nộp thuế bắt buộc dùng hóa đơn điện tử từ máy tính tiền', 100, 2025);
