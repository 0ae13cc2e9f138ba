//! The province-scale synthetic data set (`halong demo generate`): on top of the demo province, a
//! year of stall receipts (10 million at `--scale province`) with realistic shapes — heavy-tailed
//! stall activity, log-normal amounts, market hours, weekends, the Tết peak, adoption growing
//! over the year, a method mix, refunds, unmatched and late notifications — and monthly market
//! fee bills for every occupied stall. See docs/scale.md.
//!
//! Everything is demo-marked: receipts come from provider [`PROVIDER`] with `DEMO-` transaction
//! ids, refunds carry `DEMO-` idempotency keys, fee bills `is_demo`. The whole data set is
//! written in ONE transaction (with the marker row), so a failed or interrupted run leaves
//! nothing behind, and a second run is refused unless `replace` is set (which deletes only the
//! rows a previous run wrote). Generation streams one day at a time: memory stays bounded
//! whatever the number of payments.
//!
//! Receipts are stored as the bank notifications would have been (`ledger_posted = FALSE`): the
//! posting sweeper of `halong serve` posts them to the ledger like any other receipt.

use std::collections::HashMap;

use crate::db::{Arg, Db, Engine, Tx};
use crate::demo::Rng;

/// The provider name of every generated receipt (bank transfers and register sales alike).
pub const PROVIDER: &str = "demo-scale";
/// Meta key written, in the same transaction, when a data set is complete.
pub const MARKER: &str = "demo_scale_v1";
/// Hours after the local midnight, Asia/Ho_Chi_Minh (UTC+7, no daylight saving).
const LOCAL_OFFSET_MICROS: i64 = 7 * 3_600 * 1_000_000;
const DAY_MICROS: i64 = 86_400 * 1_000_000;
/// Rows per multi-row INSERT (15 columns: 15,000 parameters, under both engines' limits).
const ROWS_PER_STATEMENT: usize = 1_000;

/// First day of Tết Nguyên Đán (lunar new year), from the published calendars.
const TET: &[(i32, u8, u8)] = &[
    (2024, 2, 10),
    (2025, 1, 29),
    (2026, 2, 17),
    (2027, 2, 6),
    (2028, 1, 26),
    (2029, 2, 13),
    (2030, 2, 3),
];

#[derive(Clone, Debug)]
pub struct Options {
    /// Receipts to generate in all.
    pub payments: u64,
    pub seed: u64,
    /// First month of the data set (local calendar).
    pub start_year: i32,
    pub start_month: u8,
    pub months: u32,
    /// Delete a previous generated data set (only its rows) instead of refusing.
    pub replace: bool,
}

impl Options {
    /// `province`: 10 million payments; `small`: 100,000 (tests, laptops).
    pub fn for_scale(scale: &str) -> anyhow::Result<Options> {
        let payments = match scale {
            "province" => 10_000_000,
            "small" => 100_000,
            other => anyhow::bail!("unknown scale {other} (province or small)"),
        };
        Ok(Options {
            payments,
            seed: 1,
            start_year: 2026,
            start_month: 1,
            months: 12,
            replace: false,
        })
    }
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Summary {
    pub receipts: u64,
    pub receipts_amount: i64,
    pub by_method: HashMap<String, u64>,
    pub unmatched: u64,
    pub late: u64,
    pub refunds: u64,
    pub refunds_amount: i64,
    pub fee_bills: u64,
    pub stalls_with_receipts: u64,
    pub days: u64,
    pub seconds: f64,
}

/// A stall that can be paid cashless: it has a merchant with a default payout account.
struct Stall {
    id: i64,
    merchant_id: i64,
    account: String,
    /// Median sale in đồng (by category).
    median: f64,
    /// Sells at a cash register (records card, e-wallet and cash sales).
    register: bool,
}

#[derive(Clone, Copy)]
enum Method {
    Transfer,
    Card,
    Ewallet,
    Cash,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Transfer => "transfer",
            Method::Card => "card",
            Method::Ewallet => "ewallet",
            Method::Cash => "cash",
        }
    }
}

const MEMOS: &[&str] = &[
    "chuyen tien",
    "thanh toan",
    "mua hang",
    "tra tien hang",
    "CK",
    "",
    "thanh toan tien rau",
    "gui tien",
];

fn unit(rng: &mut Rng) -> f64 {
    // 53 random bits in [0, 1).
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn normal(rng: &mut Rng) -> f64 {
    let u1 = unit(rng).max(f64::MIN_POSITIVE);
    let u2 = unit(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Days since 1970-01-01 of a local calendar date.
fn days_from_civil(y: i32, m: u8, d: u8) -> i64 {
    // Howard Hinnant's algorithm.
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn add_months(y: i32, m: u8, n: u32) -> (i32, u8) {
    let total = i64::from(y) * 12 + i64::from(m) - 1 + i64::from(n);
    (
        i32::try_from(total.div_euclid(12)).expect("year fits"),
        u8::try_from(total.rem_euclid(12) + 1).expect("month fits"),
    )
}

/// UTC micros of local midnight starting local day `day` (days since 1970-01-01).
pub fn local_midnight_utc(day: i64) -> i64 {
    day * DAY_MICROS - LOCAL_OFFSET_MICROS
}

/// Monday = 0 … Sunday = 6.
fn weekday(day: i64) -> i64 {
    (day + 3).rem_euclid(7) // 1970-01-01 was a Thursday
}

/// Relative busyness of a local day: weekends, and Tết (shopping peaks in the three weeks
/// before, markets nearly shut on the first three days, then slowly reopen).
pub fn day_factor(day: i64) -> f64 {
    let week = [0.92, 0.90, 0.92, 0.95, 1.05, 1.30, 1.40][weekday(day) as usize];
    week * tet_factor(day)
}

fn tet_factor(day: i64) -> f64 {
    for &(y, m, d) in TET {
        let t = day - days_from_civil(y, m, d);
        match t {
            -21..=-1 => return 1.0 + 1.3 * (t + 22) as f64 / 21.0,
            0..=2 => return 0.25,
            3..=6 => return 0.7,
            _ => {}
        }
    }
    1.0
}

/// Whether a local day is in the three weeks before a Tết (for tests and docs).
pub fn is_pre_tet(day: i64) -> bool {
    TET.iter()
        .any(|&(y, m, d)| (-21..0).contains(&(day - days_from_civil(y, m, d))))
}

/// Local hour weights, market hours 05:00–19:00: a morning peak and a smaller evening one.
const HOURS: [(i64, u32); 14] = [
    (5, 6),
    (6, 10),
    (7, 12),
    (8, 11),
    (9, 9),
    (10, 7),
    (11, 6),
    (12, 4),
    (13, 4),
    (14, 5),
    (15, 7),
    (16, 9),
    (17, 10),
    (18, 6),
];

fn time_of_day(rng: &mut Rng) -> i64 {
    let total: u32 = HOURS.iter().map(|h| h.1).sum();
    let mut x = u32::try_from(rng.range(0, u64::from(total) - 1)).expect("small");
    let mut hour = HOURS[0].0;
    for &(h, w) in &HOURS {
        if x < w {
            hour = h;
            break;
        }
        x -= w;
    }
    let within = i64::try_from(rng.range(0, 3_600 * 1_000_000 - 1)).expect("fits");
    hour * 3_600 * 1_000_000 + within
}

fn category_median(category: &str) -> f64 {
    match category {
        "Rau củ" => 35_000.0,
        "Thịt lợn" => 120_000.0,
        "Hải sản" => 180_000.0,
        "Quần áo" => 250_000.0,
        "Tạp hóa" => 60_000.0,
        "Hoa quả" => 70_000.0,
        "Đồ khô" => 90_000.0,
        "Ăn uống" => 40_000.0,
        "Gạo" => 150_000.0,
        "Gia cầm" => 140_000.0,
        _ => 80_000.0,
    }
}

/// Log-normal around the stall's median (σ = 0.75: most sales between a third and three times
/// the median), one sale in 200 five to twenty times larger; rounded to 1,000 đ.
fn amount(rng: &mut Rng, median: f64, festive: f64) -> i64 {
    let mut x = median * festive * (0.75 * normal(rng)).exp();
    if rng.range(0, 199) == 0 {
        x *= 5.0 + 15.0 * unit(rng);
    }
    let x = x.clamp(5_000.0, 50_000_000.0) as i64;
    (x + 500) / 1_000 * 1_000
}

struct Writer {
    sql_receipts: String,
    args: Vec<Arg>,
    rows: usize,
    refunds: Vec<Arg>,
    refund_rows: usize,
    engine: Engine,
}

const RECEIPT_COLS: &str = "id, provider, provider_tx_id, account_number, amount, direction, \
    description, occurred_at, received_at, match_kind, stall_id, merchant_id, late, raw, method";
const REFUND_COLS: &str = "receipt_id, kind, amount, reason, idempotency_key, from_stall_id, \
    from_merchant_id, created_at";

impl Writer {
    fn new(engine: Engine) -> Writer {
        Writer {
            sql_receipts: format!(
                "INSERT INTO incoming_transfers ({RECEIPT_COLS}) VALUES {}",
                crate::db::placeholders(engine, ROWS_PER_STATEMENT, 15)
            ),
            args: Vec::with_capacity(ROWS_PER_STATEMENT * 15),
            rows: 0,
            refunds: Vec::new(),
            refund_rows: 0,
            engine,
        }
    }

    async fn flush(&mut self, tx: &mut Tx) -> anyhow::Result<()> {
        if self.rows > 0 {
            if self.rows == ROWS_PER_STATEMENT {
                tx.execute(&self.sql_receipts, &self.args).await?;
            } else {
                let sql = format!(
                    "INSERT INTO incoming_transfers ({RECEIPT_COLS}) VALUES {}",
                    crate::db::placeholders(self.engine, self.rows, 15)
                );
                tx.execute(&sql, &self.args).await?;
            }
            self.args.clear();
            self.rows = 0;
        }
        Ok(())
    }

    async fn flush_refunds(&mut self, tx: &mut Tx) -> anyhow::Result<()> {
        if self.refund_rows > 0 {
            let sql = format!(
                "INSERT INTO receipt_adjustments ({REFUND_COLS}) VALUES {}",
                crate::db::placeholders(self.engine, self.refund_rows, 8)
            );
            tx.execute(&sql, &self.refunds).await?;
            self.refunds.clear();
            self.refund_rows = 0;
        }
        Ok(())
    }
}

/// Generates the data set; `progress(done, total)` is called as receipts are written. The demo
/// province must be seeded (see [`crate::demo::seed`]).
pub async fn generate(
    db: &Db,
    opts: &Options,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> anyhow::Result<Summary> {
    anyhow::ensure!(opts.payments > 0, "--payments must be positive");
    anyhow::ensure!(
        (1..=12).contains(&opts.start_month),
        "the start month is 1 to 12"
    );
    anyhow::ensure!((1..=36).contains(&opts.months), "--months is 1 to 36");
    anyhow::ensure!(
        crate::demo::is_seeded(db).await?,
        "the demo province is not seeded"
    );
    let started = std::time::Instant::now();
    let mut tx = db.begin().await?;
    if tx.engine() == Engine::Sqlite {
        // A bigger page cache for this connection (1 GiB at most): the receipt indexes are
        // written in random order, and the default 2 MiB cache would thrash on them.
        tx.execute("PRAGMA cache_size = -1048576", &[]).await?;
    }
    let existing = tx
        .fetch_i64(
            "SELECT COUNT(*) FROM meta WHERE key = $1",
            &[Arg::Text(MARKER.into())],
        )
        .await?;
    if existing > 0 {
        anyhow::ensure!(
            opts.replace,
            "a generated data set is already there (meta {MARKER}); use --replace to delete it \
             (only its rows) and generate again"
        );
        remove_previous(&mut tx).await?;
    }
    // Written first, in the same transaction: a concurrent run fails on its key at once, and
    // nothing is visible to anyone until the commit.
    let options = serde_json::json!({
        "payments": opts.payments, "seed": opts.seed,
        "start": format!("{}-{:02}", opts.start_year, opts.start_month),
        "months": opts.months, "generated_at": crate::db::now_micros(),
    });
    crate::demo::claim_marker(&mut tx, MARKER, &options.to_string()).await?;

    let mut summary = Summary::default();
    let mut rng = Rng::new(opts.seed ^ 0x0053_4341_4C45); // "SCALE"
    let first_day = days_from_civil(opts.start_year, opts.start_month, 1);
    let (ey, em) = add_months(opts.start_year, opts.start_month, opts.months);
    let end_day = days_from_civil(ey, em, 1);
    summary.days = u64::try_from(end_day - first_day)?;

    summary.fee_bills = write_fee_bills(&mut tx, &mut rng, opts).await?;

    // Stalls that can be paid cashless, with their activity: 12 % never use it, the others
    // adopt on a day of the year (a third from the start) with a heavy-tailed weight.
    let rows: Vec<(i64, i64, String, String, i16)> = match &mut tx {
        Tx::Sqlite(t) => sqlx::query_as(STALLS_SQL).fetch_all(&mut **t).await?,
        Tx::Pg(t) => sqlx::query_as(STALLS_SQL).fetch_all(&mut **t).await?,
    };
    anyhow::ensure!(!rows.is_empty(), "no demo stall has a payout account");
    let mut stalls: Vec<(i64, f64, Stall)> = Vec::new();
    for (id, merchant_id, account, category, class) in rows {
        let never = rng.chance(12);
        let adopt = if rng.chance(35) {
            first_day
        } else {
            first_day + i64::try_from(rng.range(0, summary.days - 1))?
        };
        let class_factor = match class {
            1 => 1.5,
            2 => 1.0,
            _ => 0.6,
        };
        let pareto = unit(&mut rng).max(1e-9).powf(-1.0 / 1.3).min(200.0);
        let weight = if never { 0.0 } else { pareto * class_factor };
        stalls.push((
            adopt,
            weight,
            Stall {
                id,
                merchant_id,
                account,
                median: category_median(&category),
                register: rng.chance(25),
            },
        ));
    }
    stalls.sort_by_key(|s| s.0);
    let adopt_days: Vec<i64> = stalls.iter().map(|s| s.0).collect();
    let mut cumulative = Vec::with_capacity(stalls.len());
    let mut acc = 0.0;
    for s in &stalls {
        acc += s.1;
        cumulative.push(acc);
    }
    let active_weight = |day: i64| -> (usize, f64) {
        let k = adopt_days.partition_point(|&a| a <= day);
        (k, if k == 0 { 0.0 } else { cumulative[k - 1] })
    };
    let day_weights: Vec<f64> = (first_day..end_day)
        .map(|d| day_factor(d) * active_weight(d).1)
        .collect();
    let total_weight: f64 = day_weights.iter().sum();
    anyhow::ensure!(total_weight > 0.0, "no stall is active");

    let rebuild = set_aside_indexes(&mut tx).await?;
    let base_id = tx
        .fetch_i64("SELECT COALESCE(MAX(id), 0) FROM incoming_transfers", &[])
        .await?
        + 1;
    let mut writer = Writer::new(tx.engine());
    let mut seen = vec![false; stalls.len()];
    let mut n: u64 = 0;
    let mut carried = 0.0;
    let mut day_buf: Vec<(i64, usize)> = Vec::new();
    for (i, day) in (first_day..end_day).enumerate() {
        // Cumulative rounding: the day counts add up to exactly `payments`.
        carried += opts.payments as f64 * day_weights[i] / total_weight;
        let target = if day + 1 == end_day {
            opts.payments
        } else {
            (carried.round() as u64).min(opts.payments)
        };
        let count = target.saturating_sub(n);
        let (k, w) = active_weight(day);
        let midnight = local_midnight_utc(day);
        let festive = if is_pre_tet(day) { 1.25 } else { 1.0 };
        day_buf.clear();
        for _ in 0..count {
            let x = unit(&mut rng) * w;
            let s = cumulative[..k].partition_point(|&c| c <= x).min(k - 1);
            day_buf.push((midnight + time_of_day(&mut rng), s));
        }
        day_buf.sort_unstable();
        for &(at, s) in &day_buf {
            let stall = &stalls[s].2;
            seen[s] = true;
            let id = base_id + i64::try_from(n)?;
            let amount = amount(&mut rng, stall.median, festive);
            let method = if stall.register {
                match rng.range(0, 99) {
                    0..=59 => Method::Transfer,
                    60..=84 => Method::Cash,
                    85..=91 => Method::Card,
                    _ => Method::Ewallet,
                }
            } else if rng.chance(93) {
                Method::Transfer
            } else {
                Method::Ewallet
            };
            let transfer = matches!(method, Method::Transfer);
            // Transfers to an account no longer in the register wait for a person.
            let unmatched = transfer && rng.range(0, 999) < 4;
            let late = transfer && !unmatched && rng.range(0, 999) < 6;
            let received = if late {
                at + i64::try_from(rng.range(3_600, 48 * 3_600))? * 1_000_000
            } else {
                at + i64::try_from(rng.range(1, 8))? * 1_000_000
            };
            let (account, match_kind, stall_id, merchant_id) = if unmatched {
                (
                    format!("9{:011}", rng.range(0, 99_999_999_999)),
                    "unmatched",
                    None,
                    None,
                )
            } else if transfer {
                (
                    stall.account.clone(),
                    "static",
                    Some(stall.id),
                    Some(stall.merchant_id),
                )
            } else {
                (
                    String::new(),
                    "direct",
                    Some(stall.id),
                    Some(stall.merchant_id),
                )
            };
            writer.args.extend([
                Arg::I64(id),
                Arg::Text(PROVIDER.into()),
                Arg::Text(format!("DEMO-{:x}-{n:09}", opts.seed)),
                Arg::Text(account),
                Arg::I64(amount),
                Arg::Text("in".into()),
                Arg::Text((*rng.pick(MEMOS)).into()),
                Arg::I64(at),
                Arg::I64(received),
                Arg::Text(match_kind.into()),
                Arg::OptI64(stall_id),
                Arg::OptI64(merchant_id),
                Arg::Bool(late),
                Arg::Text("{\"demo\":true}".into()),
                Arg::Text(method.as_str().into()),
            ]);
            writer.rows += 1;
            summary.receipts += 1;
            summary.receipts_amount += amount;
            *summary
                .by_method
                .entry(method.as_str().to_string())
                .or_default() += 1;
            summary.unmatched += u64::from(unmatched);
            summary.late += u64::from(late);
            // One matched sale in 400 is refunded, in full or in part, within three days.
            if !unmatched && rng.range(0, 399) == 0 {
                let refund = if rng.chance(70) {
                    amount
                } else {
                    (amount / 2 / 1_000).max(1) * 1_000
                };
                let created = at + i64::try_from(rng.range(600, 3 * 86_400))? * 1_000_000;
                writer.refunds.extend([
                    Arg::I64(id),
                    Arg::Text("refund".into()),
                    Arg::I64(refund),
                    Arg::Text("Khách trả lại hàng (demo)".into()),
                    Arg::Text(format!("DEMO-R-{id}")),
                    Arg::OptI64(Some(stall.id)),
                    Arg::I64(stall.merchant_id),
                    Arg::I64(created),
                ]);
                writer.refund_rows += 1;
                summary.refunds += 1;
                summary.refunds_amount += refund;
            }
            n += 1;
            if writer.rows == ROWS_PER_STATEMENT {
                writer.flush(&mut tx).await?;
                progress(n, opts.payments);
                // Refunds follow their receipts (foreign key), never before them.
                if writer.refund_rows >= ROWS_PER_STATEMENT / 2 {
                    writer.flush_refunds(&mut tx).await?;
                }
            }
        }
    }
    writer.flush(&mut tx).await?;
    writer.flush_refunds(&mut tx).await?;
    progress(n, opts.payments);
    anyhow::ensure!(n == opts.payments, "generated {n} of {}", opts.payments);
    for sql in rebuild {
        tx.execute(&sql, &[]).await?;
    }
    if let Tx::Pg(_) = &tx {
        // Ids were chosen here; move the identity on so the next real receipt gets a new one.
        tx.execute(
            "SELECT setval(pg_get_serial_sequence('incoming_transfers', 'id'), \
             (SELECT MAX(id) FROM incoming_transfers))",
            &[],
        )
        .await?;
    }
    tx.commit().await?;
    summary.stalls_with_receipts = seen.iter().filter(|s| **s).count() as u64;
    after_generate(db).await?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// SQLite: drops the receipts' secondary indexes inside the transaction and returns the
/// statements that recreate them (read from the schema itself, so they cannot drift from the
/// migrations). Two of them (by account, by merchant) take rows in random order; kept during a
/// bulk load of millions they thrash the page cache, while building them once at the end is a
/// sort. DDL is transactional in SQLite: readers keep the indexes until the commit, and a failed
/// run rolls the drop back. PostgreSQL keeps its indexes (its writes are not the bottleneck).
async fn set_aside_indexes(tx: &mut Tx) -> anyhow::Result<Vec<String>> {
    let Tx::Sqlite(t) = tx else {
        return Ok(Vec::new());
    };
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' \
         AND tbl_name = 'incoming_transfers' AND sql IS NOT NULL",
    )
    .fetch_all(&mut **t)
    .await?;
    let mut rebuild = Vec::with_capacity(indexes.len());
    for (name, sql) in indexes {
        anyhow::ensure!(
            name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "unexpected index name {name}"
        );
        tx.execute(&format!("DROP INDEX {name}"), &[]).await?;
        rebuild.push(sql);
    }
    Ok(rebuild)
}

/// Demo stalls whose merchant has a default payout account, with what shapes their sales.
const STALLS_SQL: &str = "SELECT s.id, s.merchant_id, b.account_number, s.category, \
    mk.market_class FROM stalls s \
    JOIN markets mk ON mk.id = s.market_id \
    JOIN bank_accounts b ON b.merchant_id = s.merchant_id AND b.is_default \
    WHERE s.is_demo AND s.merchant_id IS NOT NULL ORDER BY s.id";

/// Deletes what an earlier run wrote (and only that): its receipts (provider [`PROVIDER`]), their
/// refunds, its fee bills (demo bills without a schedule) and its marker. Refused once any of
/// its receipts reached the ledger, whose rows are never deleted.
async fn remove_previous(tx: &mut Tx) -> anyhow::Result<()> {
    let posted = tx
        .fetch_i64(
            "SELECT COUNT(*) FROM incoming_transfers WHERE provider = $1 AND ledger_posted = $2",
            &[Arg::Text(PROVIDER.into()), Arg::Bool(true)],
        )
        .await?;
    anyhow::ensure!(
        posted == 0,
        "{posted} generated receipts are already posted to the ledger, which never deletes; \
         generate into a fresh database instead"
    );
    tx.execute(
        "DELETE FROM receipt_adjustments WHERE receipt_id IN \
         (SELECT id FROM incoming_transfers WHERE provider = $1)",
        &[Arg::Text(PROVIDER.into())],
    )
    .await?;
    tx.execute(
        "DELETE FROM incoming_transfers WHERE provider = $1",
        &[Arg::Text(PROVIDER.into())],
    )
    .await?;
    tx.execute(
        "DELETE FROM fee_bills WHERE is_demo = $1 AND schedule_id IS NULL \
         AND payment_request_id IS NULL AND id NOT IN (SELECT bill_id FROM fee_cash_payments)",
        &[Arg::Bool(true)],
    )
    .await?;
    tx.execute(
        "DELETE FROM meta WHERE key = $1",
        &[Arg::Text(MARKER.into())],
    )
    .await?;
    Ok(())
}

/// Monthly fee bills (rent and sanitation) for every occupied demo stall: most paid by QR, some
/// in cash, some half and half, some overdue; the last month's bills are mostly still open.
async fn write_fee_bills(tx: &mut Tx, rng: &mut Rng, opts: &Options) -> anyhow::Result<u64> {
    let stalls: Vec<(i64, i64, i64, i16, bool)> = match tx {
        Tx::Sqlite(t) => sqlx::query_as(FEE_STALLS_SQL).fetch_all(&mut **t).await?,
        Tx::Pg(t) => sqlx::query_as(FEE_STALLS_SQL).fetch_all(&mut **t).await?,
    };
    let engine = tx.engine();
    let cols = "market_id, stall_id, merchant_id, period, kind, amount, due_at, paid_cashless, \
        paid_cash, status, paid_at, is_demo, created_at, updated_at";
    let mut args: Vec<Arg> = Vec::new();
    let mut rows = 0usize;
    let mut written = 0u64;
    // Per stall and kind, one monthly amount (rounded to 10,000 đ) by market class.
    let amounts: Vec<(i64, i64)> = stalls
        .iter()
        .map(|&(_, _, _, class, _)| {
            let (lo, hi) = match class {
                1 => (60, 150),
                2 => (30, 80),
                _ => (10, 40),
            };
            let rent = i64::try_from(rng.range(lo, hi)).expect("small") * 10_000;
            let sanitation = i64::try_from(rng.range(3, 6)).expect("small") * 10_000;
            (rent, sanitation)
        })
        .collect();
    for month in 0..opts.months {
        let (y, m) = add_months(opts.start_year, opts.start_month, month);
        let period = format!("{y}-{m:02}");
        let first = days_from_civil(y, m, 1);
        let created = local_midnight_utc(first);
        let due = local_midnight_utc(first + 10) - 1;
        let last_month = month + 1 == opts.months;
        for (i, &(stall_id, market_id, merchant_id, _, has_account)) in stalls.iter().enumerate() {
            for (kind, amount) in [("rent", amounts[i].0), ("sanitation", amounts[i].1)] {
                let roll = rng.range(0, 99);
                // Stalls with a payout account pay by QR far more often.
                let qr_share = if has_account { 72 } else { 35 };
                let (cashless, cash) = if last_month && roll < 45 {
                    (0, 0)
                } else if roll < qr_share {
                    (amount, 0)
                } else if roll < 84 {
                    (0, amount)
                } else if roll < 92 {
                    let half = amount / 2 / 1_000 * 1_000;
                    (half, amount - half)
                } else if roll < 96 {
                    (amount / 2 / 1_000 * 1_000, 0)
                } else {
                    (0, 0)
                };
                let paid = cashless + cash;
                let status = if paid == amount {
                    "paid"
                } else if paid > 0 {
                    "partially_paid"
                } else {
                    "open"
                };
                // Most pay before the due day; a fifth of the paid bills are paid late.
                let paid_at = (paid == amount).then(|| {
                    let day = if rng.chance(80) {
                        rng.range(0, 9)
                    } else {
                        rng.range(10, 27)
                    };
                    created + i64::try_from(day).expect("small") * DAY_MICROS + time_of_day(rng)
                });
                args.extend([
                    Arg::I64(market_id),
                    Arg::I64(stall_id),
                    Arg::I64(merchant_id),
                    Arg::Text(period.clone()),
                    Arg::Text(kind.into()),
                    Arg::I64(amount),
                    Arg::I64(due),
                    Arg::I64(cashless),
                    Arg::I64(cash),
                    Arg::Text(status.into()),
                    Arg::OptI64(paid_at),
                    Arg::Bool(true),
                    Arg::I64(created),
                    Arg::I64(paid_at.unwrap_or(created)),
                ]);
                rows += 1;
                if rows == ROWS_PER_STATEMENT {
                    let sql = format!(
                        "INSERT INTO fee_bills ({cols}) VALUES {}",
                        crate::db::placeholders(engine, rows, 14)
                    );
                    tx.execute(&sql, &args).await?;
                    written += rows as u64;
                    args.clear();
                    rows = 0;
                }
            }
        }
    }
    if rows > 0 {
        let sql = format!(
            "INSERT INTO fee_bills ({cols}) VALUES {}",
            crate::db::placeholders(engine, rows, 14)
        );
        tx.execute(&sql, &args).await?;
        written += rows as u64;
    }
    Ok(written)
}

/// Occupied demo stalls: (stall, market, merchant, market class, has a payout account).
const FEE_STALLS_SQL: &str = "SELECT s.id, s.market_id, s.merchant_id, mk.market_class, \
    EXISTS (SELECT 1 FROM bank_accounts b WHERE b.merchant_id = s.merchant_id) FROM stalls s \
    JOIN markets mk ON mk.id = s.market_id \
    WHERE s.is_demo AND s.merchant_id IS NOT NULL ORDER BY s.id";

/// Runs once the data set is committed: refreshes the query planner's statistics for the grown
/// tables and rebuilds the indicators' aggregates from what is posted (the generated receipts
/// are left unposted, as in production: the server's posting sweeper adds each one to the
/// aggregates as it posts it, exactly once).
pub async fn after_generate(db: &Db) -> anyhow::Result<()> {
    crate::with_db!(db, p => sqlx::query("ANALYZE").execute(p).await.map(|_| ()))?;
    crate::indicators::aggregates::rebuild_aggregates(db).await
}
