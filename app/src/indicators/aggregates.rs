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
    format!("CAST(({col} + {LOCAL_OFFSET_MICROS}) / {DAY_MICROS} AS BIGINT)")
}

const UPSERT: &str = "ON CONFLICT (stall_id, merchant_id, day, method) DO UPDATE SET \
    count = receipt_daily.count + excluded.count, \
    amount = receipt_daily.amount + excluded.amount, \
    refunded = receipt_daily.refunded + excluded.refunded, \
    corrected_out = receipt_daily.corrected_out + excluded.corrected_out, \
    corrected_in = receipt_daily.corrected_in + excluded.corrected_in";

const COLS: &str = "stall_id, merchant_id, day, method, count, amount, refunded, corrected_out, \
    corrected_in";

/// Counts a receipt that has just been marked posted (call in the same transaction).
pub async fn add_receipt(tx: &mut Tx, receipt_id: i64) -> sqlx::Result<()> {
    let sql = format!(
        "INSERT INTO receipt_daily ({COLS}) SELECT COALESCE(t.stall_id, 0), t.merchant_id, {}, \
         t.method, 1, t.amount, 0, 0, 0 FROM incoming_transfers t \
         WHERE t.id = $1 AND t.merchant_id IS NOT NULL {UPSERT}",
        day_sql("t.occurred_at")
    );
    tx.execute(&sql, &[Arg::I64(receipt_id)]).await.map(|_| ())
}

/// Counts a refund or correction that has just been marked posted (same transaction): a refund
/// on the stall it is charged to, a correction out of the old stall and into the new one, on the
/// adjustment's own local day and under the receipt's method. A correction also moves the
/// receipt's count (−1 at the old stall, +1 at the new one).
pub async fn add_adjustment(tx: &mut Tx, adjustment_id: i64) -> sqlx::Result<()> {
    let from = format!(
        "INSERT INTO receipt_daily ({COLS}) SELECT COALESCE(a.from_stall_id, 0), \
         a.from_merchant_id, {}, t.method, CASE WHEN a.kind = 'correction' THEN -1 ELSE 0 END, 0, \
         CASE WHEN a.kind = 'refund' THEN a.amount ELSE 0 END, \
         CASE WHEN a.kind = 'correction' THEN a.amount ELSE 0 END, 0 \
         FROM receipt_adjustments a JOIN incoming_transfers t ON t.id = a.receipt_id \
         WHERE a.id = $1 {UPSERT}",
        day_sql("a.created_at")
    );
    tx.execute(&from, &[Arg::I64(adjustment_id)]).await?;
    let to = format!(
        "INSERT INTO receipt_daily ({COLS}) SELECT COALESCE(a.to_stall_id, 0), a.to_merchant_id, \
         {}, t.method, 1, 0, 0, 0, a.amount \
         FROM receipt_adjustments a JOIN incoming_transfers t ON t.id = a.receipt_id \
         WHERE a.id = $1 AND a.kind = 'correction' AND a.to_merchant_id IS NOT NULL {UPSERT}",
        day_sql("a.created_at")
    );
    tx.execute(&to, &[Arg::I64(adjustment_id)])
        .await
        .map(|_| ())
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
        tx.execute("LOCK TABLE receipt_daily IN EXCLUSIVE MODE", &[])
            .await?;
    }
    tx.execute("DELETE FROM receipt_daily", &[]).await?;
    let sql = format!("INSERT INTO receipt_daily ({COLS}) {}", recompute_sql());
    tx.execute(&sql, &[Arg::Bool(true)]).await?;
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
    let (stored, full) = (to_map(stored), to_map(full));
    let mut out = Vec::new();
    for (k, v) in &full {
        match stored.get(k) {
            Some(s) if s == v => {}
            Some(s) => out.push(format!("{k:?}: stored {s:?}, recomputed {v:?}")),
            None => out.push(format!("{k:?}: missing, recomputed {v:?}")),
        }
    }
    for (k, s) in &stored {
        if !full.contains_key(k) {
            out.push(format!("{k:?}: stored {s:?}, not in the records"));
        }
    }
    Ok(out)
}
