//! Load command: ledger transfers per second through `LedgerStore` (group commit), with the
//! idempotency lookup, the account prefetch, balance updates and a durable commit included.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-payments cargo bench -p halong --bench ledger_store
//! HALONG_BENCH_PG=postgres://postgres@127.0.0.1:5432/postgres \
//!   CARGO_TARGET_DIR=/work/target-payments cargo bench -p halong --bench ledger_store
//! ```
//!
//! Scenarios per engine (SQLite: a file in a temp dir, WAL, synchronous=FULL; PostgreSQL: a
//! fresh database created and dropped): `batch_8000` (one submitter, requests of 8,000),
//! `pipelined_8000` (4 submitters of 8,000, so the writer always has the next batch),
//! `small_x256` / `small_x1024` (256 / 1,024 concurrent submitters, requests of 10 — group
//! commit gathers them),
//! `retry_8000` (the same batches again: 8,000 × `Exists` each). Then a criterion
//! measurement of one 8,000-transfer batch. `HALONG_BENCH_TRANSFERS` (default 400,000) sets
//! the transfers per scenario; `HALONG_BENCH_SKIP_CRITERION=1` skips criterion;
//! `HALONG_BENCH_ONLY=sqlite|postgres` runs one engine.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use halong::db::Db;
use halong::payments::ledger_store::{LedgerStore, LedgerStoreConfig, check_invariants};
use ledger::{Account, Transfer};

const ACCOUNTS: u64 = 10_000;
const LEDGER: u32 = 704;

struct Bench {
    db: Db,
    store: Arc<LedgerStore>,
    next_id: Arc<AtomicU64>,
    pg_drop: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

async fn open(engine: &str) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg_drop) = if engine == "postgres" {
        let admin = std::env::var("HALONG_BENCH_PG").unwrap();
        let name = format!("halong_bench_{}", std::process::id());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
            .await
            .unwrap();
        use sqlx::Executor;
        conn.execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name}"
        )))
        .await
        .unwrap();
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        (format!("{base}/{name}"), Some((admin.clone(), name)))
    } else {
        (format!("sqlite://{}/bench.db", dir.path().display()), None)
    };
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let store = Arc::new(LedgerStore::start(db.clone(), LedgerStoreConfig::default()));
    let accounts: Vec<Account> = (1..=ACCOUNTS)
        .map(|id| Account {
            id: u128::from(id),
            ledger: LEDGER,
            code: 10,
            ..Account::default()
        })
        .collect();
    for chunk in accounts.chunks(8_000) {
        assert!(
            store
                .submit_accounts(chunk.to_vec())
                .await
                .unwrap()
                .is_empty()
        );
    }
    Bench {
        db,
        store,
        next_id: Arc::new(AtomicU64::new(1)),
        pg_drop,
        _dir: dir,
    }
}

fn transfers(bench: &Bench, n: u64) -> Vec<Transfer> {
    make_transfers(&bench.next_id, n)
}

/// `n` fresh transfers between pseudo-random account pairs (deterministic). Ids are taken
/// from a shared counter when the request is made, as time-ordered client ids would be.
fn make_transfers(next_id: &AtomicU64, n: u64) -> Vec<Transfer> {
    let first = next_id.fetch_add(n, Ordering::Relaxed);
    (first..first + n)
        .map(|id| {
            let mut x = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            x ^= x >> 29;
            let debit = x % ACCOUNTS + 1;
            let credit = (debit + (x >> 20) % (ACCOUNTS - 1)) % ACCOUNTS + 1;
            Transfer {
                // Time-ordered ids, as clients should use (high bits a sequence).
                id: (u128::from(id) << 64) | u128::from(x),
                debit_account_id: u128::from(debit),
                credit_account_id: u128::from(credit),
                amount: 1 + id % 50_000,
                ledger: LEDGER,
                code: 1,
                ..Transfer::default()
            }
        })
        .collect()
}

/// Runs `submitters` tasks each sending `total / submitters / size` requests of `size`
/// (ids drawn when each request is made). Returns transfers/s and the requests sent.
async fn load(bench: &Bench, total: u64, size: u64, submitters: u64) -> (f64, Vec<Vec<Transfer>>) {
    let per_task = total / submitters / size;
    let start = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..submitters {
        let store = bench.store.clone();
        let next_id = bench.next_id.clone();
        handles.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            for _ in 0..per_task {
                let request = make_transfers(&next_id, size);
                let results = store.submit_transfers(request.clone()).await.unwrap();
                assert!(results.is_empty(), "{results:?}");
                sent.push(request);
            }
            sent
        }));
    }
    let mut sent = Vec::new();
    for handle in handles {
        sent.extend(handle.await.unwrap());
    }
    let secs = start.elapsed().as_secs_f64();
    ((per_task * size * submitters) as f64 / secs, sent)
}

async fn retry(bench: &Bench, batches: &[Vec<Transfer>]) -> f64 {
    let start = Instant::now();
    let mut n = 0;
    for batch in batches {
        let results = bench.store.submit_transfers(batch.clone()).await.unwrap();
        assert_eq!(results.len(), batch.len(), "every retry reports Exists");
        n += batch.len();
    }
    n as f64 / start.elapsed().as_secs_f64()
}

async fn run_engine(engine: &str, total: u64) -> Bench {
    let bench = open(engine).await;
    let (rate, batches) = load(&bench, total, 8_000, 1).await;
    println!("{engine:8} batch_8000      {rate:>10.0} transfers/s");
    let (rate, _) = load(&bench, total, 8_000, 4).await;
    println!("{engine:8} pipelined_8000  {rate:>10.0} transfers/s");
    let (rate, _) = load(&bench, total / 2, 10, 256).await;
    println!("{engine:8} small_x256      {rate:>10.0} transfers/s (requests of 10)");
    let (rate, _) = load(&bench, total / 2, 10, 1_024).await;
    println!("{engine:8} small_x1024     {rate:>10.0} transfers/s (requests of 10)");
    let rate = retry(&bench, &batches).await;
    println!("{engine:8} retry_8000      {rate:>10.0} transfers/s (all Exists)");
    let report = check_invariants(&bench.db).await.unwrap();
    assert!(report.is_ok(), "{:?}", report.violations);
    println!(
        "{engine:8} invariants ok: {} accounts, {} transfers",
        report.accounts, report.transfers
    );
    bench
}

fn criterion_batch(runtime: &tokio::runtime::Runtime, engine: &str, bench: &Bench) {
    let mut criterion = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .configure_from_args();
    let mut group = criterion.benchmark_group("ledger_store");
    group.throughput(Throughput::Elements(8_000));
    group.bench_function(format!("{engine}_batch_8000"), |b| {
        b.iter_custom(|iterations| {
            let batches: Vec<Vec<Transfer>> =
                (0..iterations).map(|_| transfers(bench, 8_000)).collect();
            runtime.block_on(async {
                let start = Instant::now();
                for batch in batches {
                    let results = bench.store.submit_transfers(batch).await.unwrap();
                    assert!(results.is_empty());
                }
                start.elapsed()
            })
        })
    });
    group.finish();
}

async fn finish(bench: Bench) {
    Arc::into_inner(bench.store).unwrap().close().await;
    bench.db.close().await;
    if let Some((admin, name)) = bench.pg_drop {
        use sqlx::Executor;
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
            .await
            .unwrap();
        conn.execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .await
        .unwrap();
    }
}

fn main() {
    let total: u64 = std::env::var("HALONG_BENCH_TRANSFERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400_000);
    let skip_criterion = std::env::var("HALONG_BENCH_SKIP_CRITERION").is_ok();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut engines = vec!["sqlite"];
    if std::env::var("HALONG_BENCH_PG").is_ok() {
        engines.push("postgres");
    }
    if let Ok(only) = std::env::var("HALONG_BENCH_ONLY") {
        engines.retain(|engine| *engine == only);
    }
    for engine in engines {
        let bench = runtime.block_on(run_engine(engine, total));
        if !skip_criterion {
            criterion_batch(&runtime, engine, &bench);
        }
        runtime.block_on(finish(bench));
    }
}
