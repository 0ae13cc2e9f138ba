//! The indicators' aggregates, kept on the write path. `receipt_daily` holds posted receipts,
//! refunds and corrections per (stall, merchant, local day, method); four roll-ups of it let a
//! province-wide report read thousands of rows instead of millions:
//!
//! | table | key | used for |
//! |---|---|---|
//! | `receipt_block` | stall, merchant, 16-day block, method | one market's stalls over long periods |
//! | `receipt_market_daily` | market, day, method | market sums, by method, the daily series |
//! | `stall_cashless_daily` | day, stall | the 30-day acceptance window |
//! | `receipt_merchant_monthly` | month, merchant | the e-invoice revenue threshold |
//!
//! The ledger posting sweeper (`receipts::posting`) calls [`record_receipts`] and
//! [`record_adjustments`] in the transaction that marks a batch posted, with only the records
//! whose mark that transaction flipped, so every posted record is counted exactly once. Each
//! batch is grouped by key and applied in key order (one statement per table), so concurrent
//! sweepers on PostgreSQL take row locks in the same order. [`rebuild_aggregates`] recomputes
//! everything from the raw records; [`check_aggregates`] lists where the stored tables differ
//! from a recomputation.

use std::collections::BTreeMap;

use crate::db::{Db, Engine, Tx};
use crate::with_db;

/// Asia/Ho_Chi_Minh is UTC+7 all year (no daylight saving).
pub const LOCAL_OFFSET_MICROS: i64 = 7 * 3_600 * 1_000_000;
pub const DAY_MICROS: i64 = 86_400 * 1_000_000;
/// Days per block of `receipt_block`.
pub const BLOCK_DAYS: i64 = 16;

/// The local day number (days since 1970-01-01 in Asia/Ho_Chi_Minh) of a UTC time.
pub fn local_day(micros: i64) -> i64 {
    (micros + LOCAL_OFFSET_MICROS).div_euclid(DAY_MICROS)
}

/// The month number (year × 12 + month − 1) of a local day number.
pub fn month_of_day(day: i64) -> i64 {
    let d = super::date_of(day);
    i64::from(d.year()) * 12 + i64::from(u8::from(d.month())) - 1
}

/// SQL for the month number of a local day number column, per engine.
fn month_sql(engine: Engine, day: &str) -> String {
    match engine {
        Engine::Sqlite => format!(
            "(CAST(strftime('%Y', {day} * 86400, 'unixepoch') AS INTEGER) * 12 \
             + CAST(strftime('%m', {day} * 86400, 'unixepoch') AS INTEGER) - 1)"
        ),
        Engine::Postgres => format!(
            "CAST(EXTRACT(YEAR FROM DATE '1970-01-01' + CAST({day} AS INTEGER)) * 12 \
             + EXTRACT(MONTH FROM DATE '1970-01-01' + CAST({day} AS INTEGER)) - 1 AS BIGINT)"
        ),
    }
}

/// SQL selecting `select` (over columns of either table, alias `r`, with `{filter}` extra
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

/// One aggregate table as a grouping of daily-shaped rows `d` (the columns of `receipt_daily`;
/// `s` is the stall of `d.stall_id` when `stalls` is set).
struct Rollup {
    table: &'static str,
    keys: &'static [&'static str],
    key_exprs: fn(Engine) -> Vec<String>,
    vals: &'static [&'static str],
    val_exprs: &'static [&'static str],
    stalls: bool,
    filter: &'static str,
}

const SUMS: [&str; 5] = [
    "count",
    "amount",
    "refunded",
    "corrected_out",
    "corrected_in",
];
const D_SUMS: [&str; 5] = [
    "d.count",
    "d.amount",
    "d.refunded",
    "d.corrected_out",
    "d.corrected_in",
];

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

const DAILY: Rollup = Rollup {
    table: "receipt_daily",
    keys: &["stall_id", "merchant_id", "day", "method"],
    key_exprs: |_| strings(&["d.stall_id", "d.merchant_id", "d.day", "d.method"]),
    vals: &SUMS,
    val_exprs: &D_SUMS,
    stalls: false,
    filter: "1 = 1",
};

/// The roll-ups of `receipt_daily`.
const ROLLUPS: [Rollup; 4] = [
    Rollup {
        table: "receipt_block",
        keys: &["stall_id", "merchant_id", "block", "method"],
        key_exprs: |_| {
            vec![
                "d.stall_id".into(),
                "d.merchant_id".into(),
                format!("d.day / {BLOCK_DAYS}"),
                "d.method".into(),
            ]
        },
        vals: &SUMS,
        val_exprs: &D_SUMS,
        stalls: false,
        filter: "1 = 1",
    },
    Rollup {
        table: "receipt_market_daily",
        keys: &["market_id", "day", "method"],
        key_exprs: |_| strings(&["s.market_id", "d.day", "d.method"]),
        vals: &SUMS,
        val_exprs: &D_SUMS,
        stalls: true,
        filter: "1 = 1",
    },
    Rollup {
        table: "stall_cashless_daily",
        keys: &["day", "stall_id"],
        key_exprs: |_| strings(&["d.day", "d.stall_id"]),
        vals: &["count"],
        val_exprs: &["d.count"],
        stalls: false,
        filter: "d.stall_id <> 0 AND d.method <> 'cash'",
    },
    Rollup {
        table: "receipt_merchant_monthly",
        keys: &["month", "merchant_id"],
        key_exprs: |e| vec![month_sql(e, "d.day"), "d.merchant_id".into()],
        vals: &["net"],
        val_exprs: &["d.amount - d.refunded - d.corrected_out + d.corrected_in"],
        stalls: false,
        filter: "1 = 1",
    },
];

impl Rollup {
    /// `SELECT keys…, sums… FROM (source) d … GROUP BY keys`, each sum multiplied by `sign`.
    fn select(&self, engine: Engine, source: &str, sign: i64) -> String {
        let keys = (self.key_exprs)(engine);
        let mut cols: Vec<String> = keys
            .iter()
            .zip(self.keys)
            .map(|(e, k)| format!("{e} AS {k}"))
            .collect();
        cols.extend(
            self.val_exprs
                .iter()
                .zip(self.vals)
                .map(|(e, v)| format!("CAST({sign} * SUM({e}) AS BIGINT) AS {v}")),
        );
        let join = if self.stalls {
            " JOIN stalls s ON s.id = d.stall_id"
        } else {
            ""
        };
        let positions: Vec<String> = (1..=keys.len()).map(|i| i.to_string()).collect();
        format!(
            "SELECT {} FROM ({source}) d{join} WHERE {} GROUP BY {}",
            cols.join(", "),
            self.filter,
            positions.join(", ")
        )
    }

    /// Adds `sign ×` the grouping of `source` to the table, in key order.
    async fn apply(&self, tx: &mut Tx, source: &str, sign: i64) -> sqlx::Result<()> {
        let t = self.table;
        let keys = self.keys.join(", ");
        let set: Vec<String> = self
            .vals
            .iter()
            .map(|v| format!("{v} = {t}.{v} + excluded.{v}"))
            .collect();
        let positions: Vec<String> = (1..=self.keys.len()).map(|i| i.to_string()).collect();
        let sql = format!(
            "INSERT INTO {t} ({keys}, {}) {} ORDER BY {} ON CONFLICT ({keys}) DO UPDATE SET {}",
            self.vals.join(", "),
            self.select(tx.engine(), source, sign),
            positions.join(", "),
            set.join(", ")
        );
        tx.execute(&sql, &[]).await.map(|_| ())
    }

    /// Rows as (key text, up to five values), for comparing two groupings.
    fn normalized(&self, rows_sql: &str) -> String {
        let key: Vec<String> = self
            .keys
            .iter()
            .map(|k| format!("CAST(x.{k} AS TEXT)"))
            .collect();
        let mut vals: Vec<String> = self.vals.iter().map(|v| format!("x.{v}")).collect();
        vals.resize(5, "CAST(0 AS BIGINT)".into());
        format!(
            "SELECT {}, {} FROM ({rows_sql}) x",
            key.join(" || '|' || "),
            vals.join(", ")
        )
    }
}

/// Daily-shaped contributions of records: posted receipts (`receipts` filters `t`), and refunds
/// and corrections (`adjustments` filters `a`) — a refund on the stall it is charged to, a
/// correction out of the old stall (−1 count) and into the new one (+1), on the adjustment's own
/// local day and under the receipt's method.
fn contributions(receipts: &str, adjustments: &str) -> String {
    let day = |col: &str| format!("CAST(({col} + {LOCAL_OFFSET_MICROS}) / {DAY_MICROS} AS BIGINT)");
    let (rd, ad) = (day("t.occurred_at"), day("a.created_at"));
    format!(
        "SELECT COALESCE(t.stall_id, 0) AS stall_id, t.merchant_id AS merchant_id, {rd} AS day, \
           t.method AS method, 1 AS count, t.amount AS amount, 0 AS refunded, \
           0 AS corrected_out, 0 AS corrected_in \
           FROM incoming_transfers t WHERE {receipts} AND t.direction = 'in' \
           AND t.merchant_id IS NOT NULL \
         UNION ALL \
         SELECT COALESCE(a.from_stall_id, 0), a.from_merchant_id, {ad}, t.method, \
           CASE WHEN a.kind = 'correction' THEN -1 ELSE 0 END, 0, \
           CASE WHEN a.kind = 'refund' THEN a.amount ELSE 0 END, \
           CASE WHEN a.kind = 'correction' THEN a.amount ELSE 0 END, 0 \
           FROM receipt_adjustments a JOIN incoming_transfers t ON t.id = a.receipt_id \
           WHERE {adjustments} \
         UNION ALL \
         SELECT COALESCE(a.to_stall_id, 0), a.to_merchant_id, {ad}, t.method, 1, 0, 0, 0, \
           a.amount FROM receipt_adjustments a JOIN incoming_transfers t ON t.id = a.receipt_id \
           WHERE {adjustments} AND a.kind = 'correction' AND a.to_merchant_id IS NOT NULL"
    )
}

/// Adds records to every aggregate table (same transaction as the mark that posted them).
async fn record(tx: &mut Tx, source: &str) -> sqlx::Result<()> {
    if tx.engine() == Engine::Postgres {
        // The market of each stall is read below; a concurrent move of one of these stalls to
        // another market (`move_stall`, which locks the stall FOR UPDATE first) waits for this
        // transaction, or this one for it, so the receipts land on the market the move sees.
        // (SQLite runs one writer at a time.)
        let sql = format!(
            "SELECT s.id FROM stalls s WHERE s.id IN (SELECT d.stall_id FROM ({source}) d) \
             ORDER BY s.id FOR SHARE OF s"
        );
        tx.execute(&sql, &[]).await?;
    }
    DAILY.apply(tx, source, 1).await?;
    for r in &ROLLUPS {
        r.apply(tx, source, 1).await?;
    }
    Ok(())
}

/// Counts receipts whose posted mark this transaction has just flipped.
pub async fn record_receipts(tx: &mut Tx, ids: &[i64]) -> sqlx::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let source = contributions(&format!("t.id IN ({})", crate::db::id_list(ids)), "1 = 0");
    record(tx, &source).await
}

/// Counts refunds and corrections whose posted mark this transaction has just flipped.
pub async fn record_adjustments(tx: &mut Tx, ids: &[i64]) -> sqlx::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let source = contributions("1 = 0", &format!("a.id IN ({})", crate::db::id_list(ids)));
    record(tx, &source).await
}

/// Moves a stall's receipts between markets in `receipt_market_daily`: call with `sign` −1
/// before changing the stall's market and +1 after, in the same transaction, which has first
/// locked the stall's row (`FOR UPDATE` on PostgreSQL; see `record`).
pub async fn move_stall(tx: &mut Tx, stall_id: i64, sign: i64) -> sqlx::Result<()> {
    let source = format!("SELECT * FROM receipt_daily WHERE stall_id = {stall_id}");
    ROLLUPS[1].apply(tx, &source, sign).await
}

const POSTED: &str = "ledger_posted = TRUE";

/// Recomputes every aggregate table from the raw records in one transaction (bulk SQL). On
/// PostgreSQL the tables are locked first, so a sweeper posting meanwhile adds its rows after.
pub async fn rebuild_aggregates(db: &Db) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    let tables: Vec<&str> = std::iter::once(&DAILY)
        .chain(&ROLLUPS)
        .map(|r| r.table)
        .collect();
    if db.engine() == Engine::Postgres {
        let sql = format!("LOCK TABLE {} IN EXCLUSIVE MODE", tables.join(", "));
        tx.execute(&sql, &[]).await?;
    }
    for t in &tables {
        tx.execute(&format!("DELETE FROM {t}"), &[]).await?;
    }
    let source = contributions(&format!("t.{POSTED}"), &format!("a.{POSTED}"));
    DAILY.apply(&mut tx, &source, 1).await?;
    for r in &ROLLUPS {
        r.apply(&mut tx, "SELECT * FROM receipt_daily", 1).await?;
    }
    tx.commit().await?;
    Ok(())
}

type Row = (String, i64, i64, i64, i64, i64);
type Map = BTreeMap<String, [i64; 5]>;

async fn fetch_map(db: &Db, sql: String) -> anyhow::Result<Map> {
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(k, a, b, c, d, e)| (k, [a, b, c, d, e]))
        // A row of zeros (e.g. a refund and its own correction cancelling) equals no row.
        .filter(|(_, v)| *v != [0; 5])
        .collect())
}

/// Differences between the stored aggregates and a full recomputation: `receipt_daily` against
/// the raw records, each roll-up against `receipt_daily`. Empty means consistent; each line
/// starts with the table's name.
pub async fn check_aggregates(db: &Db) -> anyhow::Result<Vec<String>> {
    let engine = db.engine();
    let records = contributions(&format!("t.{POSTED}"), &format!("a.{POSTED}"));
    let mut out = Vec::new();
    for (r, source) in std::iter::once((&DAILY, records.as_str()))
        .chain(ROLLUPS.iter().map(|r| (r, "SELECT * FROM receipt_daily")))
    {
        let stored = fetch_map(db, r.normalized(&format!("SELECT * FROM {}", r.table))).await?;
        let full = fetch_map(db, r.normalized(&r.select(engine, source, 1))).await?;
        out.extend(diff(r.table, &stored, &full));
    }
    Ok(out)
}

fn diff(what: &str, stored: &Map, full: &Map) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in full {
        match stored.get(k) {
            Some(s) if s == v => {}
            Some(s) => out.push(format!("{what} {k}: stored {s:?}, recomputed {v:?}")),
            None => out.push(format!("{what} {k}: missing, recomputed {v:?}")),
        }
    }
    for (k, s) in stored {
        if !full.contains_key(k) {
            out.push(format!("{what} {k}: stored {s:?}, not in the records"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_days() {
        // 2026-01-01 is day 20454; 2026-02-28 is day 20512, 2026-03-01 day 20513.
        assert_eq!(local_day(1_767_200_400_000_000), 20_454);
        assert_eq!(month_of_day(20_454), 2026 * 12);
        assert_eq!(month_of_day(20_512), 2026 * 12 + 1);
        assert_eq!(month_of_day(20_513), 2026 * 12 + 2);
        assert_eq!(month_of_day(0), 1970 * 12);
    }

    #[test]
    fn range_reads_whole_blocks_and_edges() {
        let sql = range_sql("r.count", "", 5, 70);
        // Blocks 1..=3 (days 16..=63), edges 5..=15 and 64..=70.
        assert!(sql.contains("r.block >= 1 AND r.block <= 3"), "{sql}");
        assert!(sql.contains("r.day >= 5 AND r.day <= 15"), "{sql}");
        assert!(sql.contains("r.day >= 64 AND r.day <= 70"), "{sql}");
        assert!(!range_sql("r.count", "", 5, 20).contains("receipt_block"));
    }
}
