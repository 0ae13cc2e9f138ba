//! Receipts per (stall, merchant, local day, method) in `receipt_daily`, kept on the write path:
//! the ledger posting sweeper (`receipts::posting`) calls [`add_receipt`] and [`add_adjustment`]
//! in the transaction that marks a receipt or adjustment posted, and only when that mark changed
//! the row, so every posted record is counted exactly once. [`rebuild_aggregates`] recomputes the
//! table from the raw records in bulk SQL; [`check_aggregates`] lists where the two differ.

use std::collections::BTreeMap;

use crate::db::{Arg, Db, Engine, Tx};
use crate::with_db;

/// Asia/Ho_Chi_Minh is UTC+7 all year (no daylight saving).
pub const LOCAL_OFFSET_MICROS: i64 = 7 * 3_600 * 1_000_000;
pub const DAY_MICROS: i64 = 86_400 * 1_000_000;

/// The local day number (days since 1970-01-01 in Asia/Ho_Chi_Minh) of a UTC time.
pub fn local_day(micros: i64) -> i64 {
    (micros + LOCAL_OFFSET_MICROS).div_euclid(DAY_MICROS)
}

/// SQL for the local day of a micros column (times are after 1970, so `/` is the floor).
fn day_sql(col: &str) -> String {
    unit_sql(col, DAY_MICROS)
}

/// SQL selecting `select` (over columns of either table, alias `r`, with `{where}` extra
/// conditions) for local days `from..=to`: whole blocks from `receipt_block`, the edges from
/// `receipt_daily`. Day and block numbers are integers formatted into the text.
pub fn range_sql(select: &str, filter: &str, from: i64, to: i64) -> String {
    let first_block = (from + BLOCK_DAYS - 1).div_euclid(BLOCK_DAYS);
    let last_block = (to + 1).div_euclid(BLOCK_DAYS) - 1;
    if first_block > last_block {
        return format!(
            "SELECT {select} FROM receipt_daily r WHERE r.day >= {from} AND r.day <= {to} {filter}"
        );
    }
    let (edge1, edge2) = (first_block * BLOCK_DAYS - 1, (last_block + 1) * BLOCK_DAYS);
    format!(
        "SELECT {select} FROM receipt_daily r WHERE r.day >= {from} AND r.day <= {edge1} {filter} \
         UNION ALL SELECT {select} FROM receipt_block r WHERE r.block >= {first_block} \
         AND r.block <= {last_block} {filter} \
         UNION ALL SELECT {select} FROM receipt_daily r WHERE r.day >= {edge2} AND r.day <= {to} {filter}"
    )
}

/// Days per block of `receipt_block`.
pub const BLOCK_DAYS: i64 = 16;

/// The two tables kept on the write path: (table, key column, micros per key unit).
const TABLES: [(&str, &str, i64); 2] = [
    ("receipt_daily", "day", DAY_MICROS),
    ("receipt_block", "block", DAY_MICROS * BLOCK_DAYS),
];

fn upsert(table: &str, key: &str) -> String {
    format!(
        "ON CONFLICT (stall_id, merchant_id, {key}, method) DO UPDATE SET \
         count = {table}.count + excluded.count, amount = {table}.amount + excluded.amount, \
         refunded = {table}.refunded + excluded.refunded, \
         corrected_out = {table}.corrected_out + excluded.corrected_out, \
         corrected_in = {table}.corrected_in + excluded.corrected_in"
    )
}

fn cols(key: &str) -> String {
    format!(
        "stall_id, merchant_id, {key}, method, count, amount, refunded, corrected_out, corrected_in"
    )
}

fn unit_sql(col: &str, unit: i64) -> String {
    format!("CAST(({col} + {LOCAL_OFFSET_MICROS}) / {unit} AS BIGINT)")
}

const COLS: &str = "stall_id, merchant_id, day, method, count, amount, refunded, corrected_out, \
    corrected_in";

/// Counts a receipt that has just been marked posted (call in the same transaction).
pub async fn add_receipt(tx: &mut Tx, receipt_id: i64) -> sqlx::Result<()> {
    for (table, key, unit) in TABLES {
        let sql = format!(
            "INSERT INTO {table} ({}) SELECT COALESCE(t.stall_id, 0), t.merchant_id, {}, \
             t.method, 1, t.amount, 0, 0, 0 FROM incoming_transfers t \
             WHERE t.id = $1 AND t.merchant_id IS NOT NULL {}",
            cols(key),
            unit_sql("t.occurred_at", unit),
            upsert(table, key)
        );
        tx.execute(&sql, &[Arg::I64(receipt_id)]).await?;
    }
    Ok(())
}

/// Counts a refund or correction that has just been marked posted (same transaction): a refund
/// on the stall it is charged to, a correction out of the old stall and into the new one, on the
/// adjustment's own local day and under the receipt's method. A correction also moves the
/// receipt's count (−1 at the old stall, +1 at the new one).
pub async fn add_adjustment(tx: &mut Tx, adjustment_id: i64) -> sqlx::Result<()> {
    for (table, key, unit) in TABLES {
        let at = unit_sql("a.created_at", unit);
        let from = format!(
            "INSERT INTO {table} ({}) SELECT COALESCE(a.from_stall_id, 0), \
             a.from_merchant_id, {at}, t.method, \
             CASE WHEN a.kind = 'correction' THEN -1 ELSE 0 END, 0, \
             CASE WHEN a.kind = 'refund' THEN a.amount ELSE 0 END, \
             CASE WHEN a.kind = 'correction' THEN a.amount ELSE 0 END, 0 \
             FROM receipt_adjustments a JOIN incoming_transfers t ON t.id = a.receipt_id \
             WHERE a.id = $1 {}",
            cols(key),
            upsert(table, key)
        );
        tx.execute(&from, &[Arg::I64(adjustment_id)]).await?;
        let to = format!(
            "INSERT INTO {table} ({}) SELECT COALESCE(a.to_stall_id, 0), a.to_merchant_id, \
             {at}, t.method, 1, 0, 0, 0, a.amount \
             FROM receipt_adjustments a JOIN incoming_transfers t ON t.id = a.receipt_id \
             WHERE a.id = $1 AND a.kind = 'correction' AND a.to_merchant_id IS NOT NULL {}",
            cols(key),
            upsert(table, key)
        );
        tx.execute(&to, &[Arg::I64(adjustment_id)]).await?;
    }
    Ok(())
}

/// receipt_daily rolled up into blocks.
fn block_rollup_sql() -> String {
    format!(
        "SELECT stall_id, merchant_id, day / {BLOCK_DAYS}, method, CAST(SUM(count) AS BIGINT), \
         CAST(SUM(amount) AS BIGINT), CAST(SUM(refunded) AS BIGINT), \
         CAST(SUM(corrected_out) AS BIGINT), CAST(SUM(corrected_in) AS BIGINT) \
         FROM receipt_daily GROUP BY stall_id, merchant_id, day / {BLOCK_DAYS}, method"
    )
}

/// The full recomputation from the raw records: posted receipts and posted adjustments, grouped.
fn recompute_sql() -> String {
    let rd = day_sql("t.occurred_at");
    let ad = day_sql("a.created_at");
    format!(
        "SELECT stall_id, merchant_id, day, method, CAST(SUM(c) AS BIGINT), \
         CAST(SUM(am) AS BIGINT), CAST(SUM(r) AS BIGINT), CAST(SUM(co) AS BIGINT), \
         CAST(SUM(ci) AS BIGINT) FROM ( \
           SELECT COALESCE(t.stall_id, 0) AS stall_id, t.merchant_id AS merchant_id, {rd} AS day, \
             t.method AS method, 1 AS c, t.amount AS am, 0 AS r, 0 AS co, 0 AS ci \
             FROM incoming_transfers t WHERE t.ledger_posted = $1 AND t.direction = 'in' \
             AND t.merchant_id IS NOT NULL \
           UNION ALL \
           SELECT COALESCE(a.from_stall_id, 0), a.from_merchant_id, {ad}, t.method, \
             CASE WHEN a.kind = 'correction' THEN -1 ELSE 0 END, 0, \
             CASE WHEN a.kind = 'refund' THEN a.amount ELSE 0 END, \
             CASE WHEN a.kind = 'correction' THEN a.amount ELSE 0 END, 0 \
             FROM receipt_adjustments a JOIN incoming_transfers t ON t.id = a.receipt_id \
             WHERE a.ledger_posted = $1 \
           UNION ALL \
           SELECT COALESCE(a.to_stall_id, 0), a.to_merchant_id, {ad}, t.method, 1, 0, 0, 0, \
             a.amount FROM receipt_adjustments a JOIN incoming_transfers t ON t.id = a.receipt_id \
             WHERE a.ledger_posted = $1 AND a.kind = 'correction' AND a.to_merchant_id IS NOT NULL \
         ) x GROUP BY stall_id, merchant_id, day, method"
    )
}

/// Recomputes `receipt_daily` from the raw records in one transaction (bulk SQL). On PostgreSQL
/// the table is locked first, so a sweeper posting meanwhile adds its rows after the rebuild.
pub async fn rebuild_aggregates(db: &Db) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    if db.engine() == Engine::Postgres {
        tx.execute(
            "LOCK TABLE receipt_daily, receipt_block IN EXCLUSIVE MODE",
            &[],
        )
        .await?;
    }
    tx.execute("DELETE FROM receipt_daily", &[]).await?;
    tx.execute("DELETE FROM receipt_block", &[]).await?;
    let sql = format!("INSERT INTO receipt_daily ({COLS}) {}", recompute_sql());
    tx.execute(&sql, &[Arg::Bool(true)]).await?;
    let sql = format!(
        "INSERT INTO receipt_block ({}) {}",
        cols("block"),
        block_rollup_sql()
    );
    tx.execute(&sql, &[]).await?;
    tx.commit().await?;
    Ok(())
}

type Key = (i64, i64, i64, String);
type Vals = (i64, i64, i64, i64, i64);
type Row = (i64, i64, i64, String, i64, i64, i64, i64, i64);

fn to_map(rows: Vec<Row>) -> BTreeMap<Key, Vals> {
    rows.into_iter()
        .map(|(s, m, d, me, c, a, r, co, ci)| ((s, m, d, me), (c, a, r, co, ci)))
        // A row of zeros (e.g. a refund and its own correction cancelling) equals no row.
        .filter(|(_, v)| *v != (0, 0, 0, 0, 0))
        .collect()
}

/// Differences between `receipt_daily` and a full recomputation; empty means consistent.
pub async fn check_aggregates(db: &Db) -> anyhow::Result<Vec<String>> {
    let stored_sql = format!("SELECT {COLS} FROM receipt_daily");
    let full_sql = recompute_sql();
    let (stored, full): (Vec<Row>, Vec<Row>) = with_db!(db, p => {
        let stored = sqlx::query_as(sqlx::AssertSqlSafe(stored_sql)).fetch_all(p).await?;
        let full = sqlx::query_as(sqlx::AssertSqlSafe(full_sql)).bind(true).fetch_all(p).await?;
        (stored, full)
    });
    let blocks_sql = format!("SELECT {} FROM receipt_block", cols("block"));
    let rollup_sql = block_rollup_sql();
    let (blocks, rollup): (Vec<Row>, Vec<Row>) = with_db!(db, p => {
        let b = sqlx::query_as(sqlx::AssertSqlSafe(blocks_sql)).fetch_all(p).await?;
        let r = sqlx::query_as(sqlx::AssertSqlSafe(rollup_sql)).fetch_all(p).await?;
        (b, r)
    });
    let (stored, full) = (to_map(stored), to_map(full));
    let mut out = diff("day", &stored, &full);
    out.extend(diff("block", &to_map(blocks), &to_map(rollup)));
    Ok(out)
}

fn diff(what: &str, stored: &BTreeMap<Key, Vals>, full: &BTreeMap<Key, Vals>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in full {
        match stored.get(k) {
            Some(s) if s == v => {}
            Some(s) => out.push(format!("{what} {k:?}: stored {s:?}, recomputed {v:?}")),
            None => out.push(format!("{what} {k:?}: missing, recomputed {v:?}")),
        }
    }
    for (k, s) in stored {
        if !full.contains_key(k) {
            out.push(format!("{what} {k:?}: stored {s:?}, not in the records"));
        }
    }
    out
}
