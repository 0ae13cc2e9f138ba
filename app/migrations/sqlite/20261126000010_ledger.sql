-- The double-entry ledger (crate `ledger`, issue 5), written by one group-commit writer
-- (`halong::payments::ledger_store`). Same version and shape on PostgreSQL; only the id type
-- differs (BLOB here, BYTEA there).
--
-- Ids (`u128`, client-chosen, the idempotency key) are 16-byte big-endian BLOBs: one-column
-- keys, byte order = numeric order on both engines (time-ordered ids insert at the right end of
-- the index). Amounts and balances are integer đồng in BIGINT, never floats; the ledger caps
-- every balance at i64::MAX. `user_data_64` and `timestamp` are u64 stored bit-for-bit as
-- BIGINT; `ledger`, `user_data_32`, `timeout` are u32 in BIGINT; `code`, `flags` are u16.
-- No foreign keys: the ledger checks account existence itself, and FK probes would cost two
-- index lookups per transfer in the hot path. Rows are never deleted.

CREATE TABLE ledger_accounts (
    id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    debits_pending BIGINT NOT NULL CHECK (debits_pending >= 0),
    debits_posted BIGINT NOT NULL CHECK (debits_posted >= 0),
    credits_pending BIGINT NOT NULL CHECK (credits_pending >= 0),
    credits_posted BIGINT NOT NULL CHECK (credits_posted >= 0),
    user_data_128 BLOB NOT NULL,
    user_data_64 BIGINT NOT NULL,
    user_data_32 BIGINT NOT NULL,
    ledger BIGINT NOT NULL CHECK (ledger > 0),
    code INTEGER NOT NULL CHECK (code > 0),
    flags INTEGER NOT NULL,
    timestamp BIGINT NOT NULL
) WITHOUT ROWID;

-- Transfers are immutable except `state` (pending transfers only: 1 pending, 2 posted,
-- 3 voided, 4 expired; NULL otherwise). `expires_at` (ns) is set for pending transfers with a
-- timeout. `pending_id` is 16 zero bytes when unused.
CREATE TABLE ledger_transfers (
    id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    debit_account_id BLOB NOT NULL,
    credit_account_id BLOB NOT NULL,
    amount BIGINT NOT NULL CHECK (amount >= 0),
    pending_id BLOB NOT NULL,
    user_data_128 BLOB NOT NULL,
    user_data_64 BIGINT NOT NULL,
    user_data_32 BIGINT NOT NULL,
    timeout BIGINT NOT NULL,
    ledger BIGINT NOT NULL,
    code INTEGER NOT NULL,
    flags INTEGER NOT NULL,
    timestamp BIGINT NOT NULL,
    state INTEGER CHECK (state IN (1, 2, 3, 4)),
    expires_at BIGINT
) WITHOUT ROWID;

-- Timestamps are unique (the ledger hands them out increasing); MAX(timestamp) at the start
-- of each batch keeps them unique across restarts and across app servers.
CREATE UNIQUE INDEX ledger_transfers_timestamp ON ledger_transfers (timestamp);
-- Expiry: pending transfers by expiry instant (partial: only live reservations).
CREATE INDEX ledger_transfers_expiry ON ledger_transfers (expires_at) WHERE state = 1;
-- Account timestamps come from the same ledger clock; indexed for the same MAX() at start.
CREATE UNIQUE INDEX ledger_accounts_timestamp ON ledger_accounts (timestamp);

-- One row: bumped by every ledger batch that writes. A writer that finds the version it
-- committed last may trust its in-memory account cache; any other value means another writer
-- (another app server) committed in between, and the cache is dropped and reloaded.
CREATE TABLE ledger_writer (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO ledger_writer (id, version) VALUES (1, 0);
