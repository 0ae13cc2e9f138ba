//! SQL of the ledger store: row codecs, prefetch queries, set-based writes and the invariant
//! check. Everything here runs inside one [`Tx`]; the writer task in
//! [`super::ledger_store`] decides when.
//!
//! Statement shapes follow anchors §7a: one multi-row `INSERT … VALUES` per chunk and one
//! grouped `UPDATE … FROM (VALUES …) AS v` per chunk (portable on both engines), `?`
//! placeholders on SQLite for large statements (`$N` is O(n²) there), `$N` on PostgreSQL.

use crate::db::BeginWrite;
use std::collections::HashMap;

use ledger::{Account, AccountFlags, BatchEffect, PendingState, Transfer, TransferFlags};
use sqlx::Row;

use crate::db::{Db, Engine, Tx, placeholders};

/// Rows per multi-row statement: under SQLite's 32,766 bound parameters with 15 columns, and
/// under PostgreSQL's 65,535 (anchors §7a: 1,000–4,000 rows per chunk is the sweet spot).
fn chunk_rows(engine: Engine) -> usize {
    match engine {
        Engine::Sqlite => 2_000,
        Engine::Postgres => 4_000,
    }
}

/// Ids per `IN (…)` list: one query per kind for a batch of 8,192 transfers (≤ 16,384 ids).
/// A power of two: lists are padded to a power of two (see [`padded_ids`]).
const IN_LIST_MAX: usize = 16_384;

/// Splits `rows` into statement-sized pieces from a small fixed set of sizes: full chunks of
/// `max`, then powers of two. Each distinct size is a distinct SQL text, prepared once per
/// connection and then reused from sqlx's statement cache (a fresh 2,000-row text costs
/// milliseconds to prepare), at the price of ≤ 11 extra statements per batch.
fn pieces<T>(rows: &[T], max: usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut rest = rows;
    while !rest.is_empty() {
        let size = if rest.len() >= max {
            max
        } else {
            1 << (usize::BITS - 1 - rest.len().leading_zeros())
        };
        assert!(size >= 1 && size <= rest.len());
        let (piece, tail) = rest.split_at(size);
        out.push(piece);
        rest = tail;
    }
    out
}

/// `ids` as `IN (…)` lists of power-of-two lengths (≥ 16), padded by repeating the last id
/// (duplicates in `IN` change nothing), so a handful of query texts serve every batch.
fn padded_ids(ids: &[u128]) -> Vec<Vec<Bind>> {
    ids.chunks(IN_LIST_MAX)
        .map(|chunk| {
            let len = chunk.len().next_power_of_two().max(16);
            let last = *chunk.last().expect("chunks are non-empty");
            let mut args: Vec<Bind> = chunk.iter().map(|id| id_bind(*id)).collect();
            args.resize(len, id_bind(last));
            args
        })
        .collect()
}

/// PostgreSQL advisory lock key that serialises ledger writers across app servers
/// (ASCII "HALONGLD").
pub const PG_ADVISORY_LOCK_KEY: i64 = 0x4841_4c4f_4e47_4c44;

const ACCOUNT_COLUMNS: &str = "id, debits_pending, debits_posted, credits_pending, \
     credits_posted, user_data_128, user_data_64, user_data_32, ledger, code, flags, timestamp";
const ACCOUNT_COLUMN_COUNT: usize = 12;

const TRANSFER_COLUMNS: &str = "id, debit_account_id, credit_account_id, amount, pending_id, \
     user_data_128, user_data_64, user_data_32, timeout, ledger, code, flags, timestamp, state, \
     expires_at";
const TRANSFER_COLUMN_COUNT: usize = 15;

/// A bind value of a run-time shaped statement (ids are 16-byte big-endian blobs).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Bind {
    Id([u8; 16]),
    I64(i64),
    I32(i32),
    OptI64(Option<i64>),
    OptI32(Option<i32>),
}

macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Bind::Id(bytes) => query.bind(&bytes[..]),
                Bind::I64(v) => query.bind(*v),
                Bind::I32(v) => query.bind(*v),
                Bind::OptI64(v) => query.bind(*v),
                Bind::OptI32(v) => query.bind(*v),
            };
        }
        query
    }};
}

/// Runs a query in `tx` and maps every row with `$map` (a closure, expanded once per engine).
macro_rules! fetch_map {
    ($tx:expr, $sql:expr, $args:expr, $map:expr) => {
        match $tx {
            Tx::Sqlite(t) => bind_all!(sqlx::query(sqlx::AssertSqlSafe($sql)), $args)
                .fetch_all(&mut **t)
                .await?
                .iter()
                .map($map)
                .collect::<sqlx::Result<Vec<_>>>(),
            Tx::Pg(t) => bind_all!(sqlx::query(sqlx::AssertSqlSafe($sql)), $args)
                .fetch_all(&mut **t)
                .await?
                .iter()
                .map($map)
                .collect::<sqlx::Result<Vec<_>>>(),
        }
    };
}

async fn execute(tx: &mut Tx, sql: String, args: &[Bind]) -> sqlx::Result<u64> {
    Ok(match tx {
        Tx::Sqlite(t) => bind_all!(sqlx::query(sqlx::AssertSqlSafe(sql)), args)
            .execute(&mut **t)
            .await?
            .rows_affected(),
        Tx::Pg(t) => bind_all!(sqlx::query(sqlx::AssertSqlSafe(sql)), args)
            .execute(&mut **t)
            .await?
            .rows_affected(),
    })
}

// ---------------------------------------------------------------------------------------------
// Codecs. Every u64 that may exceed i64::MAX (user_data_64) is stored bit-for-bit; balances and
// amounts are ≤ ledger::MAX_BALANCE = i64::MAX and timestamps (ns) fit until 2262.

fn decode_error(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("ledger row: bad {what}").into())
}

pub(crate) fn id_bind(id: u128) -> Bind {
    Bind::Id(id.to_be_bytes())
}

fn id_from(bytes: &[u8]) -> sqlx::Result<u128> {
    let array: [u8; 16] = bytes.try_into().map_err(|_| decode_error("id length"))?;
    Ok(u128::from_be_bytes(array))
}

fn bits_u64(v: u64) -> i64 {
    i64::from_ne_bytes(v.to_ne_bytes())
}

fn bits_i64(v: i64) -> u64 {
    u64::from_ne_bytes(v.to_ne_bytes())
}

fn amount_bind(v: u64) -> Bind {
    Bind::I64(i64::try_from(v).expect("ledger caps amounts and balances at i64::MAX"))
}

fn amount_from(v: i64) -> sqlx::Result<u64> {
    u64::try_from(v).map_err(|_| decode_error("negative amount"))
}

fn timestamp_bind(v: u64) -> Bind {
    Bind::I64(i64::try_from(v).expect("timestamp (ns) fits i64 until 2262"))
}

fn u32_from(v: i64) -> sqlx::Result<u32> {
    u32::try_from(v).map_err(|_| decode_error("u32 column"))
}

fn u16_from(v: i32) -> sqlx::Result<u16> {
    u16::try_from(v).map_err(|_| decode_error("u16 column"))
}

pub(crate) fn state_code(state: PendingState) -> i32 {
    match state {
        PendingState::Pending => 1,
        PendingState::Posted => 2,
        PendingState::Voided => 3,
        PendingState::Expired => 4,
    }
}

fn state_from(code: Option<i32>) -> sqlx::Result<Option<PendingState>> {
    Ok(match code {
        None => None,
        Some(1) => Some(PendingState::Pending),
        Some(2) => Some(PendingState::Posted),
        Some(3) => Some(PendingState::Voided),
        Some(4) => Some(PendingState::Expired),
        Some(_) => return Err(decode_error("pending state")),
    })
}

macro_rules! account_row {
    ($row:expr) => {{
        let r = $row;
        let flags = u16_from(r.try_get::<i32, _>(10)?)?;
        Ok(Account {
            id: id_from(r.try_get::<&[u8], _>(0)?)?,
            debits_pending: amount_from(r.try_get::<i64, _>(1)?)?,
            debits_posted: amount_from(r.try_get::<i64, _>(2)?)?,
            credits_pending: amount_from(r.try_get::<i64, _>(3)?)?,
            credits_posted: amount_from(r.try_get::<i64, _>(4)?)?,
            user_data_128: id_from(r.try_get::<&[u8], _>(5)?)?,
            user_data_64: bits_i64(r.try_get::<i64, _>(6)?),
            user_data_32: u32_from(r.try_get::<i64, _>(7)?)?,
            ledger: u32_from(r.try_get::<i64, _>(8)?)?,
            code: u16_from(r.try_get::<i32, _>(9)?)?,
            flags: AccountFlags::from_bits(flags).ok_or_else(|| decode_error("account flags"))?,
            timestamp: bits_i64(r.try_get::<i64, _>(11)?),
        })
    }};
}

macro_rules! transfer_row {
    ($row:expr) => {{
        let r = $row;
        let flags = u16_from(r.try_get::<i32, _>(11)?)?;
        let transfer = Transfer {
            id: id_from(r.try_get::<&[u8], _>(0)?)?,
            debit_account_id: id_from(r.try_get::<&[u8], _>(1)?)?,
            credit_account_id: id_from(r.try_get::<&[u8], _>(2)?)?,
            amount: amount_from(r.try_get::<i64, _>(3)?)?,
            pending_id: id_from(r.try_get::<&[u8], _>(4)?)?,
            user_data_128: id_from(r.try_get::<&[u8], _>(5)?)?,
            user_data_64: bits_i64(r.try_get::<i64, _>(6)?),
            user_data_32: u32_from(r.try_get::<i64, _>(7)?)?,
            timeout: u32_from(r.try_get::<i64, _>(8)?)?,
            ledger: u32_from(r.try_get::<i64, _>(9)?)?,
            code: u16_from(r.try_get::<i32, _>(10)?)?,
            flags: TransferFlags::from_bits(flags).ok_or_else(|| decode_error("transfer flags"))?,
            timestamp: bits_i64(r.try_get::<i64, _>(12)?),
        };
        let state = state_from(r.try_get::<Option<i32>, _>(13)?)?;
        if transfer.flags.pending != state.is_some() {
            return Err(decode_error("pending state of a non-pending transfer"));
        }
        Ok((transfer, state))
    }};
}

fn push_account(args: &mut Vec<Bind>, a: &Account) {
    args.extend([
        id_bind(a.id),
        amount_bind(a.debits_pending),
        amount_bind(a.debits_posted),
        amount_bind(a.credits_pending),
        amount_bind(a.credits_posted),
        id_bind(a.user_data_128),
        Bind::I64(bits_u64(a.user_data_64)),
        Bind::I64(i64::from(a.user_data_32)),
        Bind::I64(i64::from(a.ledger)),
        Bind::I32(i32::from(a.code)),
        Bind::I32(i32::from(a.flags.bits())),
        timestamp_bind(a.timestamp),
    ]);
}

fn push_transfer(args: &mut Vec<Bind>, t: &Transfer, state: Option<PendingState>) {
    assert_eq!(
        t.flags.pending,
        state.is_some(),
        "state exactly for pending"
    );
    args.extend([
        id_bind(t.id),
        id_bind(t.debit_account_id),
        id_bind(t.credit_account_id),
        amount_bind(t.amount),
        id_bind(t.pending_id),
        id_bind(t.user_data_128),
        Bind::I64(bits_u64(t.user_data_64)),
        Bind::I64(i64::from(t.user_data_32)),
        Bind::I64(i64::from(t.timeout)),
        Bind::I64(i64::from(t.ledger)),
        Bind::I32(i32::from(t.code)),
        Bind::I32(i32::from(t.flags.bits())),
        timestamp_bind(t.timestamp),
        Bind::OptI32(state.map(state_code)),
        Bind::OptI64(t.expires_at().map(|at| bits_u64(at.min(i64::MAX as u64)))),
    ]);
}

/// `?,?,?` on SQLite, `$1,$2,$3` on PostgreSQL: the inside of an `IN (…)` list.
fn in_list(engine: Engine, n: usize) -> String {
    let mut out = String::with_capacity(n * 6);
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        match engine {
            Engine::Sqlite => out.push('?'),
            Engine::Postgres => {
                out.push('$');
                out.push_str(&(i + 1).to_string());
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Transactions and reads.

/// Begins the writer's transaction. SQLite: `BEGIN IMMEDIATE` (take the write lock now, so the
/// reads below see what the write will build on). PostgreSQL: a transaction-scoped advisory
/// lock that serialises the ledger writers of every app server; statements after it (READ
/// COMMITTED) see everything committed before the lock was granted.
pub(crate) async fn begin_write(db: &Db) -> sqlx::Result<Tx> {
    match db {
        Db::Sqlite(pool) => Ok(Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?)),
        Db::Pg(pool) => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PG_ADVISORY_LOCK_KEY)
                .execute(&mut *tx)
                .await?;
            Ok(Tx::Pg(tx))
        }
    }
}

/// Largest stored timestamp (accounts and transfers; both indexed), 0 for an empty ledger.
pub(crate) async fn max_timestamp(tx: &mut Tx) -> sqlx::Result<u64> {
    let sql = "SELECT (SELECT MAX(timestamp) FROM ledger_transfers), \
               (SELECT MAX(timestamp) FROM ledger_accounts)"
        .to_string();
    let rows: Vec<(Option<i64>, Option<i64>)> = fetch_map!(tx, sql, &[] as &[Bind], |r| Ok((
        r.try_get::<Option<i64>, _>(0)?,
        r.try_get::<Option<i64>, _>(1)?
    )))?;
    let (transfers, accounts) = rows.first().copied().unwrap_or((None, None));
    Ok(bits_i64(transfers.unwrap_or(0).max(accounts.unwrap_or(0))))
}

/// The writer version (bumped by every batch that writes; see `ledger_writer`).
pub(crate) async fn writer_version(tx: &mut Tx) -> sqlx::Result<i64> {
    let sql = "SELECT version FROM ledger_writer WHERE id = 1".to_string();
    let rows: Vec<i64> = fetch_map!(tx, sql, &[] as &[Bind], |r| r.try_get::<i64, _>(0))?;
    rows.first()
        .copied()
        .ok_or_else(|| sqlx::Error::Protocol("ledger_writer row missing".into()))
}

/// Moves the writer version from `from` to `from + 1` (inside the batch's transaction).
pub(crate) async fn bump_writer_version(tx: &mut Tx, from: i64) -> sqlx::Result<i64> {
    let to = from + 1;
    let sql = "UPDATE ledger_writer SET version = $1 WHERE id = 1 AND version = $2".to_string();
    let n = execute(tx, sql, &[Bind::I64(to), Bind::I64(from)]).await?;
    expect_rows("writer version", n, 1)?;
    Ok(to)
}

/// The stored accounts among `ids` (missing ids are simply absent), in no particular order.
pub(crate) async fn load_accounts(tx: &mut Tx, ids: &[u128]) -> sqlx::Result<Vec<Account>> {
    let mut out = Vec::with_capacity(ids.len());
    for args in padded_ids(ids) {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id IN ({})",
            in_list(tx.engine(), args.len())
        );
        let rows: Vec<Account> = fetch_map!(tx, sql, &args, |r| account_row!(r))?;
        out.extend(rows);
    }
    assert!(out.len() <= ids.len(), "one row per id at most");
    Ok(out)
}

/// The stored transfers among `ids`, with the pending state of pending transfers.
pub(crate) async fn load_transfers(
    tx: &mut Tx,
    ids: &[u128],
) -> sqlx::Result<Vec<(Transfer, Option<PendingState>)>> {
    let mut out = Vec::with_capacity(ids.len().min(1_024));
    for args in padded_ids(ids) {
        let sql = format!(
            "SELECT {TRANSFER_COLUMNS} FROM ledger_transfers WHERE id IN ({})",
            in_list(tx.engine(), args.len())
        );
        let rows: Vec<(Transfer, Option<PendingState>)> =
            fetch_map!(tx, sql, &args, |r| transfer_row!(r))?;
        out.extend(rows);
    }
    assert!(out.len() <= ids.len(), "one row per id at most");
    Ok(out)
}

/// Pending transfers whose reservation has expired at `now` (ns), oldest first, at most
/// `limit` (the partial index `ledger_transfers_expiry`).
pub(crate) async fn load_expiring(
    tx: &mut Tx,
    now: u64,
    limit: usize,
) -> sqlx::Result<Vec<(Transfer, Option<PendingState>)>> {
    let sql = format!(
        "SELECT {TRANSFER_COLUMNS} FROM ledger_transfers \
         WHERE state = 1 AND expires_at <= $1 ORDER BY expires_at LIMIT $2"
    );
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    let limit = i64::try_from(limit).expect("limit fits i64");
    let args = [Bind::I64(now), Bind::I64(limit)];
    let rows: Vec<(Transfer, Option<PendingState>)> =
        fetch_map!(tx, sql, &args, |r| transfer_row!(r))?;
    assert!(rows.iter().all(|(_, s)| *s == Some(PendingState::Pending)));
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// Writes: one `BatchEffect` → a handful of set-based statements.

/// Writes `effect` in `tx`: new accounts, new transfers (with their final pending state),
/// balance updates and pending-state updates of older transfers. Checks that every UPDATE hit
/// exactly the rows it names (a missing row means the cache was not what the database holds).
pub(crate) async fn write_effect(tx: &mut Tx, effect: &BatchEffect) -> sqlx::Result<()> {
    let states: HashMap<u128, PendingState> = effect.pending_states.iter().copied().collect();
    insert_accounts(tx, &effect.accounts_created).await?;
    insert_transfers(tx, &effect.transfers_created, &states).await?;
    update_balances(tx, &effect.accounts_updated).await?;
    let created: std::collections::HashSet<u128> =
        effect.transfers_created.iter().map(|t| t.id).collect();
    let resolved: Vec<(u128, PendingState)> = effect
        .pending_states
        .iter()
        .copied()
        .filter(|(id, _)| !created.contains(id))
        .collect();
    update_states(tx, &resolved).await
}

async fn insert_accounts(tx: &mut Tx, accounts: &[Account]) -> sqlx::Result<()> {
    for chunk in pieces(accounts, chunk_rows(tx.engine())) {
        let sql = format!(
            "INSERT INTO ledger_accounts ({ACCOUNT_COLUMNS}) VALUES {}",
            placeholders(tx.engine(), chunk.len(), ACCOUNT_COLUMN_COUNT)
        );
        let mut args = Vec::with_capacity(chunk.len() * ACCOUNT_COLUMN_COUNT);
        for account in chunk {
            push_account(&mut args, account);
        }
        let n = execute(tx, sql, &args).await?;
        expect_rows("insert accounts", n, chunk.len())?;
    }
    Ok(())
}

async fn insert_transfers(
    tx: &mut Tx,
    transfers: &[Transfer],
    states: &HashMap<u128, PendingState>,
) -> sqlx::Result<()> {
    for chunk in pieces(transfers, chunk_rows(tx.engine())) {
        let sql = format!(
            "INSERT INTO ledger_transfers ({TRANSFER_COLUMNS}) VALUES {}",
            placeholders(tx.engine(), chunk.len(), TRANSFER_COLUMN_COUNT)
        );
        let mut args = Vec::with_capacity(chunk.len() * TRANSFER_COLUMN_COUNT);
        for transfer in chunk {
            push_transfer(&mut args, transfer, states.get(&transfer.id).copied());
        }
        let n = execute(tx, sql, &args).await?;
        expect_rows("insert transfers", n, chunk.len())?;
    }
    Ok(())
}

async fn update_balances(tx: &mut Tx, accounts: &[Account]) -> sqlx::Result<()> {
    for chunk in pieces(accounts, chunk_rows(tx.engine())) {
        let sql = format!(
            "UPDATE ledger_accounts SET debits_pending = v.column2, debits_posted = v.column3, \
             credits_pending = v.column4, credits_posted = v.column5 \
             FROM (VALUES {}) AS v WHERE ledger_accounts.id = v.column1",
            placeholders(tx.engine(), chunk.len(), 5)
        );
        let mut args = Vec::with_capacity(chunk.len() * 5);
        for a in chunk {
            args.extend([
                id_bind(a.id),
                amount_bind(a.debits_pending),
                amount_bind(a.debits_posted),
                amount_bind(a.credits_pending),
                amount_bind(a.credits_posted),
            ]);
        }
        let n = execute(tx, sql, &args).await?;
        expect_rows("update balances", n, chunk.len())?;
    }
    Ok(())
}

async fn update_states(tx: &mut Tx, states: &[(u128, PendingState)]) -> sqlx::Result<()> {
    for chunk in pieces(states, chunk_rows(tx.engine())) {
        let sql = format!(
            "UPDATE ledger_transfers SET state = v.column2 FROM (VALUES {}) AS v \
             WHERE ledger_transfers.id = v.column1 AND ledger_transfers.state = 1",
            placeholders(tx.engine(), chunk.len(), 2)
        );
        let mut args = Vec::with_capacity(chunk.len() * 2);
        for (id, state) in chunk {
            assert_ne!(
                *state,
                PendingState::Pending,
                "an old pending can only resolve"
            );
            args.extend([id_bind(*id), Bind::I32(state_code(*state))]);
        }
        let n = execute(tx, sql, &args).await?;
        expect_rows("resolve pending transfers", n, chunk.len())?;
    }
    Ok(())
}

fn expect_rows(what: &str, got: u64, want: usize) -> sqlx::Result<()> {
    if usize::try_from(got).ok() == Some(want) {
        return Ok(());
    }
    Err(sqlx::Error::Protocol(format!(
        "ledger {what}: {got} rows affected, expected {want} (concurrent writer?)"
    )))
}

// ---------------------------------------------------------------------------------------------
// Invariants over the whole database.

/// What [`check_invariants`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InvariantReport {
    pub accounts: i64,
    pub transfers: i64,
    pub ledgers: i64,
    /// Empty when every invariant holds.
    pub violations: Vec<String>,
}

impl InvariantReport {
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Checks in SQL, over the whole database (tests, start-up or a nightly job; full scans):
/// per ledger Σ debits_posted = Σ credits_posted and Σ debits_pending = Σ credits_pending;
/// every account's four balances equal the sums of its transfers (posted: transfers that are
/// neither pending nor voids; pending: transfers in state pending); limit flags hold; the
/// pending state is set exactly on pending transfers.
pub async fn check_invariants(db: &Db) -> sqlx::Result<InvariantReport> {
    let mut tx = db.begin().await?;
    let mut report = InvariantReport::default();
    let counts = "SELECT (SELECT COUNT(*) FROM ledger_accounts), \
        (SELECT COUNT(*) FROM ledger_transfers), \
        (SELECT COUNT(DISTINCT ledger) FROM ledger_accounts)";
    let rows: Vec<(i64, i64, i64)> =
        fetch_map!(&mut tx, counts.to_string(), &[] as &[Bind], |r| Ok((
            r.try_get::<i64, _>(0)?,
            r.try_get::<i64, _>(1)?,
            r.try_get::<i64, _>(2)?
        )))?;
    (report.accounts, report.transfers, report.ledgers) = rows[0];
    let checks: [(&str, &str); 4] = [
        (
            "ledger out of balance",
            "SELECT ledger FROM ledger_accounts GROUP BY ledger \
             HAVING SUM(debits_posted) <> SUM(credits_posted) \
             OR SUM(debits_pending) <> SUM(credits_pending)",
        ),
        (
            "account balances differ from its transfers",
            "SELECT a.ledger FROM ledger_accounts a \
             LEFT JOIN (SELECT debit_account_id AS id, \
                SUM(CASE WHEN flags & 10 = 0 THEN amount ELSE 0 END) AS posted, \
                SUM(CASE WHEN state = 1 THEN amount ELSE 0 END) AS pending \
                FROM ledger_transfers GROUP BY debit_account_id) d ON d.id = a.id \
             LEFT JOIN (SELECT credit_account_id AS id, \
                SUM(CASE WHEN flags & 10 = 0 THEN amount ELSE 0 END) AS posted, \
                SUM(CASE WHEN state = 1 THEN amount ELSE 0 END) AS pending \
                FROM ledger_transfers GROUP BY credit_account_id) c ON c.id = a.id \
             WHERE a.debits_posted <> COALESCE(d.posted, 0) \
                OR a.debits_pending <> COALESCE(d.pending, 0) \
                OR a.credits_posted <> COALESCE(c.posted, 0) \
                OR a.credits_pending <> COALESCE(c.pending, 0)",
        ),
        (
            "account breaks its limit flag",
            "SELECT ledger FROM ledger_accounts \
             WHERE (flags & 2 <> 0 AND debits_pending > credits_posted - debits_posted) \
                OR (flags & 4 <> 0 AND credits_pending > debits_posted - credits_posted)",
        ),
        (
            "pending state on a non-pending transfer (or missing)",
            "SELECT ledger FROM ledger_transfers \
             WHERE (state IS NULL AND flags & 2 <> 0) OR (state IS NOT NULL AND flags & 2 = 0)",
        ),
    ];
    for (what, sql) in checks {
        let ledgers: Vec<i64> = fetch_map!(&mut tx, sql.to_string(), &[] as &[Bind], |r| r
            .try_get::<i64, _>(0))?;
        for ledger in ledgers {
            report.violations.push(format!("{what} (ledger {ledger})"));
        }
    }
    tx.commit().await?;
    Ok(report)
}
