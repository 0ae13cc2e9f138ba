//! The ledger store on a real database: SQLite by default, PostgreSQL when
//! `HALONG_TEST_DATABASE_URL=postgres://…` (a fresh database per test, dropped after).
//!
//! (a) a model-based property test against `ledger::Ledger` in memory; (b) concurrent
//! submitters and two stores on one database ("two app servers") get exactly-once effects;
//! (c) durability: answers only after commit (reopen and read back; a failing commit answers
//! an error to every caller of the batch and leaves nothing behind).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use halong::db::Db;
use halong::payments::ledger_store::{
    Clock, LedgerStore, LedgerStoreConfig, LedgerStoreError, check_invariants,
};
use ledger::{
    Account, AccountFlags, CreateTransferResult, Ledger, NANOS_PER_SECOND, Transfer, TransferFlags,
};
use proptest::prelude::*;

struct TestDb {
    db: Db,
    url: String,
    pg_admin: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    async fn new() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let (url, pg_admin) = common::fresh_database(dir.path()).await;
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        TestDb {
            db,
            url,
            pg_admin,
            _dir: dir,
        }
    }

    async fn drop(self) {
        self.db.close().await;
        if let Some((admin, name)) = &self.pg_admin {
            common::drop_database(admin, name).await;
        }
    }
}

fn manual_clock(start: u64) -> (Arc<AtomicU64>, Clock) {
    let now = Arc::new(AtomicU64::new(start));
    let read = now.clone();
    (now, Arc::new(move || read.load(Ordering::SeqCst)))
}

const START_NS: u64 = 1_790_000_000 * NANOS_PER_SECOND;

fn account(id: u128, ledger: u32, flags: AccountFlags) -> Account {
    Account {
        id,
        ledger,
        code: 10,
        flags,
        ..Account::default()
    }
}

fn posted(id: u128, debit: u128, credit: u128, amount: u64) -> Transfer {
    Transfer {
        id,
        debit_account_id: debit,
        credit_account_id: credit,
        amount,
        ledger: 704,
        code: 1,
        ..Transfer::default()
    }
}

// ---------------------------------------------------------------------------------------------
// (a) Model-based property test.

#[derive(Clone, Debug)]
enum Step {
    Accounts(Vec<Account>),
    Transfers(Vec<Transfer>),
    /// Replay an earlier transfer batch (by index modulo the count), optionally altering the
    /// amount of its first event (same id, different body).
    Replay(usize, bool),
    Expire,
}

fn account_strategy() -> impl Strategy<Value = Account> {
    (1u128..=8, 1u32..=2, 0u8..4, any::<bool>(), 0u64..2).prop_map(
        |(id, ledger, limit, linked, user_data_64)| Account {
            id,
            ledger,
            code: 10,
            user_data_64,
            flags: AccountFlags {
                linked: linked && id % 3 == 0,
                debits_must_not_exceed_credits: limit == 1,
                credits_must_not_exceed_debits: limit == 2,
                closed: false,
            },
            ..Account::default()
        },
    )
}

fn transfer_strategy() -> impl Strategy<Value = Transfer> {
    let amount = prop_oneof![1 => Just(0u64), 8 => 1u64..300, 1 => Just(u64::MAX)];
    let kind = prop_oneof![
        3 => Just(0u8), 3 => Just(1u8), 3 => Just(2u8), 2 => Just(3u8), 1 => Just(4u8),
        1 => Just(5u8), 1 => Just(6u8),
    ];
    let ledger = prop_oneof![5 => Just(1u32), 1 => Just(2u32)];
    (
        (1u128..=30, 0u128..=7, 0u128..=7, amount, kind),
        (1u128..=30, 0u8..4, 0u32..=3, ledger, 1u16..=2, 0u32..2),
    )
        .prop_map(
            |(
                (id, debit, credit, amount, kind),
                (pending_id, linked, timeout, ledger, code, ud),
            )| {
                let mut t = Transfer {
                    id,
                    debit_account_id: debit,
                    credit_account_id: credit,
                    amount,
                    ledger,
                    code,
                    user_data_32: ud,
                    ..Transfer::default()
                };
                t.flags.linked = linked == 0;
                match kind {
                    1 => {
                        t.flags.pending = true;
                        t.timeout = timeout;
                    }
                    2 | 3 => {
                        // Post (in full with 0, or in part) or void of an earlier transfer.
                        t.flags.post_pending_transfer = kind == 2;
                        t.flags.void_pending_transfer = kind == 3;
                        t.pending_id = pending_id;
                        t.amount = if kind == 3 || debit < 4 {
                            0
                        } else {
                            amount.min(150)
                        };
                        if debit % 2 == 0 {
                            (t.debit_account_id, t.credit_account_id) = (0, 0);
                            (t.ledger, t.code) = (0, 0);
                        }
                    }
                    4 => t.flags.balancing_debit = true,
                    5 => t.flags.balancing_credit = true,
                    _ => {}
                }
                t
            },
        )
}

/// Accounts every case starts with (ledger 1): plain, plain, debit-limited, credit-limited,
/// plain; random steps create 6–8 and retry these (same or different body).
fn initial_accounts() -> Vec<Account> {
    let limit = |debits: bool, credits: bool| AccountFlags {
        debits_must_not_exceed_credits: debits,
        credits_must_not_exceed_debits: credits,
        ..AccountFlags::default()
    };
    vec![
        account(1, 1, limit(false, false)),
        account(2, 1, limit(false, false)),
        account(3, 1, limit(true, false)),
        account(4, 1, limit(false, true)),
        account(5, 1, limit(false, false)),
    ]
}

fn step_strategy() -> impl Strategy<Value = (Step, u64)> {
    let step = prop_oneof![
        2 => prop::collection::vec(account_strategy(), 1..5).prop_map(Step::Accounts),
        6 => prop::collection::vec(transfer_strategy(), 0..9).prop_map(Step::Transfers),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(i, alter)| Step::Replay(i, alter)),
        1 => Just(Step::Expire),
    ];
    // The clock advances 1 ns to 2.5 s per step (pending timeouts are 0–3 s).
    (step, 1u64..2_500_000_000)
}

async fn compare_state(store: &LedgerStore, model: &Ledger) {
    let ids: Vec<u128> = (1..=9).collect();
    let stored = store.lookup_accounts(&ids).await.unwrap();
    let expected: Vec<Account> = ids
        .iter()
        .filter_map(|id| model.account(*id))
        .copied()
        .collect();
    assert_eq!(stored, expected, "accounts");
    let ids: Vec<u128> = (1..=30).collect();
    let stored = store.lookup_transfers(&ids).await.unwrap();
    let expected: Vec<_> = ids
        .iter()
        .filter_map(|id| model.transfer(*id).map(|t| (*t, model.pending_state(*id))))
        .collect();
    assert_eq!(stored, expected, "transfers");
    let report = check_invariants(store.db()).await.unwrap();
    assert!(report.is_ok(), "invariants: {:?}", report.violations);
    model.check_invariants().unwrap();
}

async fn run_model_case(steps: Vec<(Step, u64)>) {
    let test_db = TestDb::new().await;
    let (clock, read) = manual_clock(START_NS);
    let config = LedgerStoreConfig {
        window: Duration::ZERO,
        clock: read,
        ..LedgerStoreConfig::default()
    };
    let store = LedgerStore::start(test_db.db.clone(), config);
    let mut model = Ledger::new();
    let mut history: Vec<Vec<Transfer>> = Vec::new();
    let setup = (Step::Accounts(initial_accounts()), 1);
    for (step, advance) in std::iter::once(setup).chain(steps) {
        let step = match step {
            Step::Replay(_, _) if history.is_empty() => continue,
            Step::Replay(i, alter) => {
                let mut batch: Vec<Transfer> = history[i % history.len()].clone();
                if alter {
                    batch[0].amount = batch[0].amount.wrapping_add(1);
                }
                Step::Transfers(batch)
            }
            // An empty request is answered without a batch (nothing expires either).
            Step::Transfers(batch) if batch.is_empty() => continue,
            step => step,
        };
        let now = clock.fetch_add(advance, Ordering::SeqCst) + advance;
        let expired = model.expire_pending(now);
        match step {
            Step::Accounts(accounts) => {
                let got = store.submit_accounts(accounts.clone()).await.unwrap();
                assert_eq!(
                    got,
                    model.create_accounts(&accounts, now),
                    "accounts {accounts:?}"
                );
            }
            Step::Expire => {
                let got = store.expire_pending(now).await.unwrap();
                assert_eq!(got, expired, "expired ids");
            }
            Step::Transfers(batch) => {
                let got = store.submit_transfers(batch.clone()).await.unwrap();
                let want = model.create_transfers(&batch, now);
                assert_eq!(got, want, "transfers {batch:?}");
                history.push(batch);
            }
            Step::Replay(..) => unreachable!("turned into a transfer batch above"),
        }
        model.take_effect();
        compare_state(&store, &model).await;
    }
    store.close().await;
    test_db.drop().await;
}

fn model_cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: model_cases(),
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    /// Every batch: same results as the in-memory ledger, same accounts, transfers and
    /// pending states read back from the database, and the SQL invariants hold.
    #[test]
    fn store_matches_in_memory_ledger(steps in prop::collection::vec(step_strategy(), 1..30)) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(run_model_case(steps));
    }
}

/// The expiry path through the store: a pending transfer past its timeout is released by
/// `expire_pending` and cannot be posted afterwards.
#[tokio::test]
async fn expire_pending_releases_reservations() {
    let test_db = TestDb::new().await;
    let (clock, read) = manual_clock(START_NS);
    let config = LedgerStoreConfig {
        clock: read,
        ..LedgerStoreConfig::default()
    };
    let store = LedgerStore::start(test_db.db.clone(), config);
    let accounts = vec![
        account(1, 704, AccountFlags::default()),
        account(2, 704, AccountFlags::default()),
    ];
    assert!(store.submit_accounts(accounts).await.unwrap().is_empty());
    let mut hold = posted(10, 1, 2, 500);
    hold.flags.pending = true;
    hold.timeout = 5;
    assert!(store.submit_transfers(vec![hold]).await.unwrap().is_empty());
    assert_eq!(
        store.lookup_accounts(&[1]).await.unwrap()[0].debits_pending,
        500
    );
    clock.fetch_add(6 * NANOS_PER_SECOND, Ordering::SeqCst);
    let expired = store
        .expire_pending(clock.load(Ordering::SeqCst))
        .await
        .unwrap();
    assert_eq!(expired, vec![10]);
    assert_eq!(
        store.lookup_accounts(&[1]).await.unwrap()[0].debits_pending,
        0
    );
    let post = Transfer {
        id: 11,
        pending_id: 10,
        flags: TransferFlags {
            post_pending_transfer: true,
            ..TransferFlags::default()
        },
        ..Transfer::default()
    };
    let got = store.submit_transfers(vec![post]).await.unwrap();
    assert_eq!(got, vec![(0, CreateTransferResult::PendingTransferExpired)]);
    assert!(check_invariants(&test_db.db).await.unwrap().is_ok());
    store.close().await;
    test_db.drop().await;
}

// ---------------------------------------------------------------------------------------------
// (b) Concurrency: exactly once.

const ACCOUNTS: u128 = 16;

async fn setup_accounts(store: &LedgerStore) {
    let accounts: Vec<Account> = (1..=ACCOUNTS)
        .map(|id| account(id, 704, AccountFlags::default()))
        .collect();
    assert!(store.submit_accounts(accounts).await.unwrap().is_empty());
}

/// Task `k` submits ids `k*50+1 ..= k*50+100` in requests of 10: every id is sent by two
/// tasks at once (and over two stores when `stores` has two); exactly one applies it.
async fn submit_overlapping(stores: Vec<Arc<LedgerStore>>, tasks: u64) -> (u64, u64) {
    let mut handles = Vec::new();
    for k in 0..tasks {
        let store = stores[(k as usize) % stores.len()].clone();
        handles.push(tokio::spawn(async move {
            let (mut applied, mut exists) = (0u64, 0u64);
            let ids: Vec<u64> = (k * 50 + 1..=k * 50 + 100).collect();
            for chunk in ids.chunks(10) {
                let batch: Vec<Transfer> = chunk
                    .iter()
                    .map(|id| {
                        let debit = u128::from(id % ACCOUNTS as u64) + 1;
                        let credit = debit % ACCOUNTS + 1;
                        posted(u128::from(*id), debit, credit, *id)
                    })
                    .collect();
                let results = store.submit_transfers(batch).await.unwrap();
                for (_, code) in &results {
                    assert_eq!(*code, CreateTransferResult::Exists);
                }
                exists += results.len() as u64;
                applied += (chunk.len() - results.len()) as u64;
            }
            (applied, exists)
        }));
    }
    let mut totals = (0, 0);
    for handle in handles {
        let (applied, exists) = handle.await.unwrap();
        totals.0 += applied;
        totals.1 += exists;
    }
    totals
}

async fn assert_exactly_once(db: &Db, store: &LedgerStore, tasks: u64, applied: u64) {
    let unique = tasks * 50 + 50;
    assert_eq!(applied, unique, "each id applied exactly once");
    let ids: Vec<u128> = (1..=u128::from(unique)).collect();
    assert_eq!(
        store.lookup_transfers(&ids).await.unwrap().len() as u64,
        unique
    );
    let accounts = store
        .lookup_accounts(&(1..=ACCOUNTS).collect::<Vec<_>>())
        .await
        .unwrap();
    let debits: u64 = accounts.iter().map(|a| a.debits_posted).sum();
    assert_eq!(debits, unique * (unique + 1) / 2, "amounts counted once");
    let report = check_invariants(db).await.unwrap();
    assert!(report.is_ok(), "{:?}", report.violations);
    assert_eq!(report.transfers as u64, unique);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_submitters_get_exactly_once() {
    let test_db = TestDb::new().await;
    let store = Arc::new(LedgerStore::start(
        test_db.db.clone(),
        LedgerStoreConfig::default(),
    ));
    setup_accounts(&store).await;
    let tasks = 32;
    let (applied, exists) = submit_overlapping(vec![store.clone()], tasks).await;
    assert_eq!(applied + exists, tasks * 100);
    assert_exactly_once(&test_db.db, &store, tasks, applied).await;
    Arc::into_inner(store).unwrap().close().await;
    test_db.drop().await;
}

/// Two stores with their own pools on one database, as two app servers would be: the
/// advisory lock (PostgreSQL) / `BEGIN IMMEDIATE` (SQLite) and the per-batch reload keep
/// every id exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_get_exactly_once() {
    let test_db = TestDb::new().await;
    let other_db = Db::connect(&test_db.url).await.unwrap();
    let first = Arc::new(LedgerStore::start(
        test_db.db.clone(),
        LedgerStoreConfig::default(),
    ));
    let second = Arc::new(LedgerStore::start(
        other_db.clone(),
        LedgerStoreConfig::default(),
    ));
    setup_accounts(&first).await;
    let tasks = 16;
    let (applied, exists) = submit_overlapping(vec![first.clone(), second.clone()], tasks).await;
    assert_eq!(applied + exists, tasks * 100);
    assert_exactly_once(&test_db.db, &first, tasks, applied).await;
    Arc::into_inner(second).unwrap().close().await;
    other_db.close().await;
    Arc::into_inner(first).unwrap().close().await;
    test_db.drop().await;
}

// ---------------------------------------------------------------------------------------------
// (c) Durability.

/// What was answered is on disk: close the store and the pool, reopen, read back.
#[tokio::test]
async fn answered_transfers_survive_reopen() {
    let test_db = TestDb::new().await;
    let store = LedgerStore::start(test_db.db.clone(), LedgerStoreConfig::default());
    setup_accounts(&store).await;
    let batch: Vec<Transfer> = (1..=500u64)
        .map(|id| posted(u128::from(id), 1, 2, id))
        .collect();
    assert!(
        store
            .submit_transfers(batch.clone())
            .await
            .unwrap()
            .is_empty()
    );
    let before = store.lookup_accounts(&[1, 2]).await.unwrap();
    store.close().await;
    test_db.db.close().await;

    let reopened = Db::connect(&test_db.url).await.unwrap();
    reopened.migrate().await.unwrap();
    let store = LedgerStore::start(reopened.clone(), LedgerStoreConfig::default());
    assert_eq!(store.lookup_accounts(&[1, 2]).await.unwrap(), before);
    assert_eq!(before[0].debits_posted, 500 * 501 / 2);
    // A retry after the restart is recognised: nothing is applied twice.
    let results = store.submit_transfers(batch).await.unwrap();
    assert_eq!(results.len(), 500);
    assert!(
        results
            .iter()
            .all(|(_, r)| *r == CreateTransferResult::Exists)
    );
    assert!(check_invariants(&reopened).await.unwrap().is_ok());
    store.close().await;
    reopened.close().await;
    if let Some((admin, name)) = &test_db.pg_admin {
        common::drop_database(admin, name).await;
    }
}

async fn raw(db: &Db, sql: &str) {
    let sql = sql.to_string();
    halong::with_db!(db, pool => {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(pool).await.unwrap();
    });
}

/// A commit that fails answers an error to every caller of the batch, leaves nothing in the
/// database, and the next batch (fresh cache) applies the same ids normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_commit_answers_error_and_leaves_nothing() {
    let test_db = TestDb::new().await;
    let config = LedgerStoreConfig {
        window: Duration::from_millis(50),
        ..LedgerStoreConfig::default()
    };
    let store = Arc::new(LedgerStore::start(test_db.db.clone(), config));
    setup_accounts(&store).await;
    match test_db.db {
        Db::Sqlite(_) => {
            raw(
                &test_db.db,
                "CREATE TRIGGER ledger_test_fail BEFORE INSERT ON ledger_transfers \
                 WHEN NEW.amount = 666 BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
            )
            .await
        }
        Db::Pg(_) => {
            raw(
                &test_db.db,
                "CREATE FUNCTION ledger_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN IF NEW.amount = 666 THEN RAISE EXCEPTION 'injected failure'; END IF; \
                 RETURN NEW; END $$; \
                 CREATE TRIGGER ledger_test_fail BEFORE INSERT ON ledger_transfers \
                 FOR EACH ROW EXECUTE FUNCTION ledger_test_fail()",
            )
            .await
        }
    }
    // Two callers in one batch (50 ms window): one poisons the commit, both must fail.
    let (a, b) = (store.clone(), store.clone());
    let good = tokio::spawn(async move { a.submit_transfers(vec![posted(1, 1, 2, 5)]).await });
    let bad = tokio::spawn(async move { b.submit_transfers(vec![posted(2, 1, 2, 666)]).await });
    let (good, bad) = (good.await.unwrap(), bad.await.unwrap());
    assert!(
        matches!(good, Err(LedgerStoreError::Database(_))),
        "{good:?}"
    );
    assert!(matches!(bad, Err(LedgerStoreError::Database(_))), "{bad:?}");
    assert!(store.lookup_transfers(&[1, 2]).await.unwrap().is_empty());
    assert_eq!(
        store.lookup_accounts(&[1]).await.unwrap()[0].debits_posted,
        0
    );

    let drop_trigger = match test_db.db {
        Db::Sqlite(_) => "DROP TRIGGER ledger_test_fail",
        Db::Pg(_) => "DROP TRIGGER ledger_test_fail ON ledger_transfers",
    };
    raw(&test_db.db, drop_trigger).await;
    let retry = store
        .submit_transfers(vec![posted(1, 1, 2, 5), posted(2, 1, 2, 666)])
        .await
        .unwrap();
    assert!(retry.is_empty(), "applied for the first time: {retry:?}");
    assert_eq!(
        store.lookup_accounts(&[1]).await.unwrap()[0].debits_posted,
        671
    );
    assert!(check_invariants(&test_db.db).await.unwrap().is_ok());
    Arc::into_inner(store).unwrap().close().await;
    test_db.drop().await;
}
