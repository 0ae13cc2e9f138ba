//! The province-scale data set generator (`halong demo generate`), with a small count, on a fresh
//! database (SQLite, or PostgreSQL when `HALONG_TEST_DATABASE_URL` is set).

mod common;

use halong::db::Db;
use halong::scale::{self, Options};

async fn fresh() -> (Db, tempfile::TempDir, Option<(String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg_admin) = common::fresh_database(dir.path()).await;
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let places = halong::places::Places::load().unwrap();
    places.seed(&db).await.unwrap();
    halong::demo::seed(&db, &places).await.unwrap();
    (db, dir, pg_admin)
}

fn options(payments: u64) -> Options {
    Options {
        payments,
        ..Options::for_scale("small").unwrap()
    }
}

async fn scalar(db: &Db, sql: &'static str) -> i64 {
    halong::with_db!(db, p => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await).unwrap()
}

async fn pairs(db: &Db, sql: &'static str) -> Vec<(i64, i64)> {
    halong::with_db!(db, p => sqlx::query_as::<_, (i64, i64)>(sql).fetch_all(p).await).unwrap()
}

async fn receipt_indexes_intact(db: &Db) {
    // SQLite drops the secondary indexes during the load: all must be back (or never gone).
    if let Db::Sqlite(p) = db {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' \
             AND tbl_name = 'incoming_transfers'",
        )
        .fetch_one(p)
        .await
        .unwrap();
        assert_eq!(n, 5);
    }
}

#[tokio::test]
async fn generates_a_consistent_demo_marked_year_and_refuses_twice() {
    let (db, _dir, pg_admin) = fresh().await;
    let n = 40_000;
    let summary = scale::generate(&db, &options(n), &|_, _| {}).await.unwrap();
    assert_eq!(summary.receipts, n);
    assert_eq!(summary.days, 365);

    // Counts and demo marking.
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM incoming_transfers").await,
        n as i64
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM incoming_transfers WHERE provider <> 'demo-scale' \
             OR provider_tx_id NOT LIKE 'DEMO-%'"
        )
        .await,
        0
    );
    // Every matched receipt is at a demo stall whose merchant has a default payout account.
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM incoming_transfers t WHERE t.match_kind <> 'unmatched' AND \
             NOT EXISTS (SELECT 1 FROM stalls s JOIN bank_accounts b ON b.merchant_id = \
             s.merchant_id AND b.is_default WHERE s.id = t.stall_id AND s.is_demo \
             AND s.merchant_id = t.merchant_id)"
        )
        .await,
        0
    );
    let unmatched = scalar(
        &db,
        "SELECT COUNT(*) FROM incoming_transfers WHERE match_kind = 'unmatched' \
         AND stall_id IS NULL AND merchant_id IS NULL",
    )
    .await;
    assert_eq!(unmatched, summary.unmatched as i64);
    assert!(unmatched > 0 && unmatched < n as i64 / 100);
    // Stalls without a payout account get nothing.
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM incoming_transfers t JOIN stalls s ON s.id = t.stall_id \
             WHERE NOT EXISTS (SELECT 1 FROM bank_accounts b WHERE b.merchant_id = s.merchant_id)"
        )
        .await,
        0
    );
    // Amounts: whole thousands, the total equals the sum of the months, the summary agrees.
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM incoming_transfers WHERE amount % 1000 <> 0 OR amount <= 0"
        )
        .await,
        0
    );
    let total = scalar(
        &db,
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM incoming_transfers",
    )
    .await;
    assert_eq!(total, summary.receipts_amount);
    // Local month = (occurred_at + 7 h) in 30-day-free form: group by local day, then sum.
    let per_day = pairs(
        &db,
        "SELECT (occurred_at + 25200000000) / 86400000000 AS d, \
         CAST(SUM(amount) AS BIGINT) FROM incoming_transfers GROUP BY d ORDER BY d",
    )
    .await;
    assert_eq!(per_day.iter().map(|p| p.1).sum::<i64>(), total);
    // All within 2026 (local), market hours 05:00–19:00 local.
    let first = 20_454; // 2026-01-01 as days since 1970
    assert!(
        per_day
            .iter()
            .all(|&(d, _)| (first..first + 365).contains(&d))
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM incoming_transfers WHERE \
             ((occurred_at + 25200000000) % 86400000000) / 3600000000 NOT BETWEEN 5 AND 18"
        )
        .await,
        0
    );
    // Refunds: demo keys, never more than their receipt.
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM receipt_adjustments a JOIN incoming_transfers t \
             ON t.id = a.receipt_id WHERE a.idempotency_key LIKE 'DEMO-%' \
             AND a.amount <= t.amount AND a.kind = 'refund'"
        )
        .await,
        summary.refunds as i64
    );

    // Shape: weekend days busier than weekdays, the three weeks before Tết busier than the
    // rest, and the second half-year busier than the first (adoption grows).
    let counts = pairs(
        &db,
        "SELECT (occurred_at + 25200000000) / 86400000000 AS d, COUNT(*) \
         FROM incoming_transfers GROUP BY d",
    )
    .await;
    let avg = |f: &dyn Fn(i64) -> bool| {
        let v: Vec<i64> = counts.iter().filter(|c| f(c.0)).map(|c| c.1).collect();
        v.iter().sum::<i64>() as f64 / v.len().max(1) as f64
    };
    let weekend = |d: i64| (d + 3).rem_euclid(7) >= 5;
    assert!(avg(&|d| weekend(d)) > 1.2 * avg(&|d| !weekend(d)));
    // (Compared with the three weeks before them: adoption is still growing early in the year.)
    let pre_tet_start = first + 26; // Tết 2026 is 17 February, day first + 47
    assert!(scale::is_pre_tet(pre_tet_start) && !scale::is_pre_tet(pre_tet_start - 1));
    assert!(
        avg(&|d| scale::is_pre_tet(d))
            > 1.3 * avg(&|d| (pre_tet_start - 21..pre_tet_start).contains(&d))
    );
    assert!(avg(&|d| d >= first + 182) > 1.2 * avg(&|d| d < first + 182));
    // Heavy tail: the busiest tenth of the stalls takes far more than a tenth of the receipts.
    let mut per_stall: Vec<i64> = pairs(
        &db,
        "SELECT stall_id, COUNT(*) FROM incoming_transfers WHERE stall_id IS NOT NULL \
         GROUP BY stall_id",
    )
    .await
    .into_iter()
    .map(|p| p.1)
    .collect();
    per_stall.sort_unstable_by(|a, b| b.cmp(a));
    let top: i64 = per_stall[..per_stall.len() / 10].iter().sum();
    assert!(top as f64 > 0.3 * per_stall.iter().sum::<i64>() as f64);

    // Fee bills: two a month for every occupied demo stall, all demo-marked, paid ≤ amount.
    let occupied = scalar(
        &db,
        "SELECT COUNT(*) FROM stalls WHERE is_demo AND merchant_id IS NOT NULL",
    )
    .await;
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM fee_bills WHERE is_demo").await,
        occupied * 12 * 2
    );
    assert_eq!(summary.fee_bills as i64, occupied * 24);
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM fee_bills WHERE paid_cashless + paid_cash > amount \
             OR (status = 'paid') <> (paid_cashless + paid_cash = amount)"
        )
        .await,
        0
    );
    assert!(scalar(&db, "SELECT COUNT(*) FROM fee_bills WHERE status = 'open'").await > 0);
    assert!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM fee_bills WHERE paid_cash > 0 AND paid_cashless > 0"
        )
        .await
            > 0
    );

    // Twice: refused, nothing changes.
    let again = scale::generate(&db, &options(n), &|_, _| {}).await;
    assert!(again.unwrap_err().to_string().contains("--replace"));
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM incoming_transfers").await,
        n as i64
    );
    // With replace: only the generated rows are replaced; a real receipt stays.
    halong::with_db!(&db, p => sqlx::query(
        "INSERT INTO incoming_transfers (provider, provider_tx_id, account_number, amount, \
         direction, description, occurred_at, received_at, match_kind, late, raw) \
         VALUES ('payos', 'REAL-1', '123', 5000, 'in', '', 1, 1, 'unmatched', FALSE, '{}')")
        .execute(p).await.map(|_| ()))
    .unwrap();
    let replaced = scale::generate(
        &db,
        &Options {
            replace: true,
            ..options(n / 2)
        },
        &|_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(replaced.receipts, n / 2);
    receipt_indexes_intact(&db).await;
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM incoming_transfers WHERE provider = 'demo-scale'"
        )
        .await,
        (n / 2) as i64
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM incoming_transfers WHERE provider = 'payos'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM fee_bills").await,
        occupied * 24
    );
    db.close().await;
    if let Some((admin, name)) = pg_admin {
        common::drop_database(&admin, &name).await;
    }
}

#[tokio::test]
async fn a_failed_generation_leaves_nothing() {
    let (db, _dir, pg_admin) = fresh().await;
    // A row holding the transaction id the generator will reach near its end makes that
    // insert fail after the fee bills and most receipts were written in the transaction.
    let n = 5_000u64;
    halong::with_db!(&db, p => sqlx::query(
        "INSERT INTO incoming_transfers (provider, provider_tx_id, account_number, amount, \
         direction, description, occurred_at, received_at, match_kind, late, raw) \
         VALUES ('demo-scale', 'DEMO-1-000004990', '123', 5000, 'in', '', 1, 1, 'unmatched', \
         FALSE, '{}')")
        .execute(p).await.map(|_| ()))
    .unwrap();
    let failed = scale::generate(&db, &options(n), &|_, _| {}).await;
    assert!(failed.is_err());
    receipt_indexes_intact(&db).await;
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM incoming_transfers").await,
        1
    );
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM fee_bills").await, 0);
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM receipt_adjustments").await,
        0
    );
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM meta WHERE key = 'demo_scale_v1'").await,
        0
    );
    db.close().await;
    if let Some((admin, name)) = pg_admin {
        common::drop_database(&admin, &name).await;
    }
}
