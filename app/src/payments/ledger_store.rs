//! The ledger persisted on SQLite or PostgreSQL with group commit (issue 5, storage side).
//!
//! One writer task per process owns all ledger writes. Callers send a request over a bounded
//! channel and await its answer. The writer gathers requests for a short window (default
//! 2 ms, counted from the arrival of the oldest request, so a backlog is never delayed) or
//! until `batch_events_max` events, then, in **one** database transaction:
//!
//! 1. locks: SQLite `BEGIN IMMEDIATE`; PostgreSQL `pg_advisory_xact_lock` (one key for the
//!    whole ledger), which serialises the writers of every app server sharing the database;
//!    then reads `ledger_writer.version`: unless it is the version this process committed
//!    last (another writer committed in between), the in-memory account cache is dropped;
//! 2. prefetches only what the batch reads (`ledger::references`): one `IN (…)` query for the
//!    transfers (idempotency + pending ids, always from the database), one for the pending
//!    transfers that expired, one for the accounts not in the cache, and `MAX(timestamp)`;
//! 3. applies each request, in arrival order, with a fresh [`ledger::Ledger`] loaded with
//!    exactly those rows;
//! 4. persists [`ledger::Ledger::take_effect`] with set-based statements, bumps the writer
//!    version, and commits;
//! 5. only then answers the callers. If anything fails, the transaction rolls back, every
//!    caller of the batch gets [`LedgerStoreError::Database`] and the cache is dropped — a
//!    success is never answered for something not committed.
//!
//! Reads ([`LedgerStore::lookup_accounts`], [`LedgerStore::lookup_transfers`]) go straight to
//! the pool and see committed data only.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ledger::{
    Account, CreateAccountResult, CreateTransferResult, Ledger, PendingState, Transfer,
    account_references, references,
};
use thiserror::Error;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::db::Db;

use super::ledger_sql;
pub use super::ledger_sql::{InvariantReport, PG_ADVISORY_LOCK_KEY, check_invariants};

/// Largest request (events per `submit_*` call), as TigerBeetle's 8,189 per request.
pub const REQUEST_EVENTS_MAX: usize = 8_190;

/// The clock of the writer: Unix time in nanoseconds.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock in nanoseconds since 1970.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970");
        u64::try_from(since.as_nanos()).expect("ns fit u64 until 2554")
    })
}

/// Limits of the writer. Every queue and batch is bounded.
#[derive(Clone)]
pub struct LedgerStoreConfig {
    /// How long the writer waits for more requests after the oldest waiting one arrived.
    pub window: Duration,
    /// Most events (accounts + transfers) in one batch = one database transaction. A request
    /// is never split; a request that would overflow the batch waits for the next one.
    pub batch_events_max: usize,
    /// Requests waiting in the channel; `submit_*` waits (back-pressure) when it is full.
    pub queue_requests_max: usize,
    /// Most expired pending transfers released per batch (the rest in the next batches).
    pub expire_per_batch_max: usize,
    /// Accounts kept in memory between batches (dropped whenever another writer committed,
    /// and cleared when larger than this).
    pub account_cache_max: usize,
    /// Time source (ns); tests inject a manual clock.
    pub clock: Clock,
}

impl Default for LedgerStoreConfig {
    fn default() -> Self {
        LedgerStoreConfig {
            window: Duration::from_millis(2),
            batch_events_max: 8_192,
            queue_requests_max: 1_024,
            expire_per_batch_max: 8_192,
            account_cache_max: 262_144,
            clock: system_clock(),
        }
    }
}

#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum LedgerStoreError {
    /// The batch's transaction failed and was rolled back: nothing of it was applied. Safe to
    /// retry with the same ids.
    #[error("ledger database error (nothing applied, retry): {0}")]
    Database(String),
    /// The writer has stopped (shut down or crashed); the outcome of an in-flight request is
    /// unknown — retry with the same ids after a restart.
    #[error("ledger writer stopped")]
    Stopped,
    #[error("request of {events} events exceeds the limit of {limit}")]
    TooLarge { events: usize, limit: usize },
}

enum Op {
    Accounts(Vec<Account>),
    Transfers(Vec<Transfer>),
    Expire(u64),
}

impl Op {
    fn events(&self) -> usize {
        match self {
            Op::Accounts(a) => a.len(),
            Op::Transfers(t) => t.len(),
            Op::Expire(_) => 1,
        }
    }
}

enum Reply {
    Accounts(Vec<(usize, CreateAccountResult)>),
    Transfers(Vec<(usize, CreateTransferResult)>),
    Expired(Vec<u128>),
}

struct Request {
    op: Op,
    arrived: Instant,
    reply: oneshot::Sender<Result<Reply, LedgerStoreError>>,
}

/// Handle to the writer task. Share it with `Arc`; [`LedgerStore::close`] drains and stops.
pub struct LedgerStore {
    db: Db,
    sender: mpsc::Sender<Request>,
    writer: JoinHandle<()>,
    request_events_max: usize,
}

impl LedgerStore {
    /// Starts the writer task on `db` (migrated). One per process and database.
    pub fn start(db: Db, config: LedgerStoreConfig) -> LedgerStore {
        assert!(config.batch_events_max > 0 && config.queue_requests_max > 0);
        assert!(config.batch_events_max <= ledger::BATCH_MAX);
        let (sender, receiver) = mpsc::channel(config.queue_requests_max);
        let request_events_max = config.batch_events_max.min(REQUEST_EVENTS_MAX);
        let writer = tokio::spawn(run_writer(db.clone(), config, receiver));
        LedgerStore {
            db,
            sender,
            writer,
            request_events_max,
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Creates transfers; answers after the commit. Like [`Ledger::create_transfers`]: only
    /// failures are listed (by index); `Exists` means already applied before (a retry).
    pub async fn submit_transfers(
        &self,
        transfers: Vec<Transfer>,
    ) -> Result<Vec<(usize, CreateTransferResult)>, LedgerStoreError> {
        if transfers.is_empty() {
            return Ok(Vec::new());
        }
        match self.call(Op::Transfers(transfers)).await? {
            Reply::Transfers(results) => Ok(results),
            _ => unreachable!("reply kind matches request kind"),
        }
    }

    /// Creates accounts; answers after the commit (failures only, as `submit_transfers`).
    pub async fn submit_accounts(
        &self,
        accounts: Vec<Account>,
    ) -> Result<Vec<(usize, CreateAccountResult)>, LedgerStoreError> {
        if accounts.is_empty() {
            return Ok(Vec::new());
        }
        match self.call(Op::Accounts(accounts)).await? {
            Reply::Accounts(results) => Ok(results),
            _ => unreachable!("reply kind matches request kind"),
        }
    }

    /// Releases pending transfers expired at `now` (ns; the batch runs at
    /// `max(clock, now)`), at most `expire_per_batch_max`; returns their ids. Every batch
    /// also expires what is due, so calling this periodically (e.g. every second) only
    /// bounds how long an idle ledger keeps stale reservations.
    pub async fn expire_pending(&self, now: u64) -> Result<Vec<u128>, LedgerStoreError> {
        match self.call(Op::Expire(now)).await? {
            Reply::Expired(ids) => Ok(ids),
            _ => unreachable!("reply kind matches request kind"),
        }
    }

    /// Committed accounts among `ids`, in the order of `ids` (missing ids are skipped).
    pub async fn lookup_accounts(&self, ids: &[u128]) -> Result<Vec<Account>, LedgerStoreError> {
        let mut tx = self.db.begin().await.map_err(database)?;
        let mut rows = ledger_sql::load_accounts(&mut tx, ids)
            .await
            .map_err(database)?;
        tx.commit().await.map_err(database)?;
        sort_like(&mut rows, ids, |a| a.id);
        Ok(rows)
    }

    /// Committed transfers among `ids` (order of `ids`), with the state of pending ones.
    pub async fn lookup_transfers(
        &self,
        ids: &[u128],
    ) -> Result<Vec<(Transfer, Option<PendingState>)>, LedgerStoreError> {
        let mut tx = self.db.begin().await.map_err(database)?;
        let mut rows = ledger_sql::load_transfers(&mut tx, ids)
            .await
            .map_err(database)?;
        tx.commit().await.map_err(database)?;
        sort_like(&mut rows, ids, |(t, _)| t.id);
        Ok(rows)
    }

    /// Stops accepting requests, lets the writer finish what is queued, and waits for it.
    pub async fn close(self) {
        drop(self.sender);
        let _ = self.writer.await;
    }

    async fn call(&self, op: Op) -> Result<Reply, LedgerStoreError> {
        let events = op.events();
        if events > self.request_events_max {
            return Err(LedgerStoreError::TooLarge {
                events,
                limit: self.request_events_max,
            });
        }
        let (reply, answer) = oneshot::channel();
        let request = Request {
            op,
            arrived: Instant::now(),
            reply,
        };
        self.sender
            .send(request)
            .await
            .map_err(|_| LedgerStoreError::Stopped)?;
        answer.await.map_err(|_| LedgerStoreError::Stopped)?
    }
}

fn database(e: sqlx::Error) -> LedgerStoreError {
    LedgerStoreError::Database(e.to_string())
}

fn sort_like<T>(rows: &mut [T], ids: &[u128], key: impl Fn(&T) -> u128) {
    let order: std::collections::HashMap<u128, usize> =
        ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    rows.sort_by_key(|row| order.get(&key(row)).copied().unwrap_or(usize::MAX));
}

// ---------------------------------------------------------------------------------------------
// The writer task.

/// What the writer keeps between batches. Valid only while the database's writer version is
/// the one this process committed last.
#[derive(Default)]
struct WriterState {
    /// Largest timestamp this process handed out: a lower bound beside MAX(timestamp) in the
    /// database (failed events consume timestamps too, so the in-memory model stays equal).
    last_timestamp: u64,
    /// `ledger_writer.version` after our last commit; `None` = cache unusable.
    version: Option<i64>,
    /// Committed accounts as of `version`.
    accounts: HashMap<u128, Account>,
}

async fn run_writer(db: Db, config: LedgerStoreConfig, mut receiver: mpsc::Receiver<Request>) {
    let mut state = WriterState::default();
    let mut carry: Option<Request> = None;
    loop {
        let first = match carry.take() {
            Some(request) => request,
            None => match receiver.recv().await {
                Some(request) => request,
                None => return,
            },
        };
        let batch = gather(first, &mut receiver, &config, &mut carry).await;
        assert!(!batch.is_empty());
        let now = batch_now(&config, &batch);
        let (ops, replies): (Vec<Op>, Vec<_>) = batch.into_iter().map(|r| (r.op, r.reply)).unzip();
        // The batch runs in its own task: a panic (a failed assertion in the ledger) rolls
        // the transaction back (dropped) and fails this batch only; the state moved into the
        // task is lost with it, so the next batch reloads everything from the database.
        let last_timestamp = state.last_timestamp;
        let task = tokio::spawn(apply_batch(
            db.clone(),
            config.clone(),
            ops,
            now,
            std::mem::take(&mut state),
        ));
        let outcome = match task.await {
            Ok(Ok((answers, next))) => {
                state = next;
                Ok(answers)
            }
            Ok(Err(e)) => Err(database(e)),
            Err(join) => Err(LedgerStoreError::Database(format!(
                "ledger batch panicked: {join}"
            ))),
        };
        match outcome {
            Ok(answers) => {
                assert_eq!(answers.len(), replies.len(), "one reply per request");
                for (reply, answer) in replies.into_iter().zip(answers) {
                    let _ = reply.send(Ok(answer));
                }
            }
            Err(error) => {
                assert!(state.version.is_none() && state.accounts.is_empty());
                state.last_timestamp = last_timestamp;
                tracing::error!(%error, requests = replies.len(), "ledger batch rolled back");
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }
}

/// Collects requests after `first` until the window (from the oldest arrival) closes or the
/// batch is full. A request that does not fit is carried over to the next batch.
async fn gather(
    first: Request,
    receiver: &mut mpsc::Receiver<Request>,
    config: &LedgerStoreConfig,
    carry: &mut Option<Request>,
) -> Vec<Request> {
    let deadline = first.arrived + config.window;
    let mut events = first.op.events();
    let mut batch = vec![first];
    // Bounded: each iteration takes one request, and at most batch_events_max fit.
    while events < config.batch_events_max {
        let next = match receiver.try_recv() {
            Ok(request) => request,
            Err(mpsc::error::TryRecvError::Disconnected) => break,
            Err(mpsc::error::TryRecvError::Empty) => {
                if Instant::now() >= deadline {
                    break;
                }
                match tokio::time::timeout_at(deadline, receiver.recv()).await {
                    Ok(Some(request)) => request,
                    Ok(None) | Err(_) => break,
                }
            }
        };
        if events + next.op.events() > config.batch_events_max {
            *carry = Some(next);
            break;
        }
        events += next.op.events();
        batch.push(next);
    }
    batch
}

fn batch_now(config: &LedgerStoreConfig, batch: &[Request]) -> u64 {
    let requested = batch
        .iter()
        .filter_map(|r| match r.op {
            Op::Expire(now) => Some(now),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    (config.clock)().max(requested)
}

/// One batch, one transaction: lock, prefetch, apply in a fresh ledger, write, commit.
/// Returns the replies and the writer state after the commit.
async fn apply_batch(
    db: Db,
    config: LedgerStoreConfig,
    ops: Vec<Op>,
    now: u64,
    mut state: WriterState,
) -> sqlx::Result<(Vec<Reply>, WriterState)> {
    let mut tx = ledger_sql::begin_write(&db).await?;
    let version = ledger_sql::writer_version(&mut tx).await?;
    if state.version != Some(version) || state.accounts.len() > config.account_cache_max {
        state.accounts.clear();
    }
    let mut cache = Ledger::new();
    let stored_max = ledger_sql::max_timestamp(&mut tx).await?;
    cache.observe_timestamp(stored_max.max(state.last_timestamp));

    let (mut account_ids, transfer_ids) = batch_references(&ops);
    let mut loaded = ledger_sql::load_transfers(&mut tx, &transfer_ids).await?;
    let expiring = ledger_sql::load_expiring(&mut tx, now, config.expire_per_batch_max).await?;
    loaded.extend(expiring.into_iter().filter(|(t, _)| {
        // Already loaded by reference (binary search: transfer_ids is sorted).
        transfer_ids.binary_search(&t.id).is_err()
    }));
    for (transfer, _) in &loaded {
        account_ids.push(transfer.debit_account_id);
        account_ids.push(transfer.credit_account_id);
    }
    account_ids.retain(|id| *id != 0 && *id != u128::MAX);
    account_ids.sort_unstable();
    account_ids.dedup();
    let missing: Vec<u128> = account_ids
        .iter()
        .copied()
        .filter(|id| !state.accounts.contains_key(id))
        .collect();
    for account in ledger_sql::load_accounts(&mut tx, &missing).await? {
        state.accounts.insert(account.id, account);
    }
    check_loaded_accounts(&loaded, &state.accounts)?;
    for id in &account_ids {
        if let Some(account) = state.accounts.get(id) {
            cache.load_account(*account);
        }
    }
    for (transfer, pending) in loaded {
        cache.load_transfer(transfer, pending);
    }

    let expired = cache.expire_pending(now);
    let mut replies = Vec::with_capacity(ops.len());
    for op in &ops {
        replies.push(match op {
            Op::Accounts(accounts) => Reply::Accounts(cache.create_accounts(accounts, now)),
            Op::Transfers(transfers) => Reply::Transfers(cache.create_transfers(transfers, now)),
            Op::Expire(_) => Reply::Expired(expired.clone()),
        });
    }
    let effect = cache.take_effect();
    let mut committed_version = version;
    if !effect.is_empty() {
        ledger_sql::write_effect(&mut tx, &effect).await?;
        committed_version = ledger_sql::bump_writer_version(&mut tx, version).await?;
    }
    tx.commit().await?;
    for account in effect
        .accounts_created
        .iter()
        .chain(&effect.accounts_updated)
    {
        state.accounts.insert(account.id, *account);
    }
    state.version = Some(committed_version);
    state.last_timestamp = state.last_timestamp.max(cache.last_timestamp());
    Ok((replies, state))
}

/// Account ids (unsorted) and transfer ids (sorted, unique) that the requests read.
fn batch_references(ops: &[Op]) -> (Vec<u128>, Vec<u128>) {
    let mut account_ids: Vec<u128> = Vec::new();
    let mut transfer_ids: Vec<u128> = Vec::new();
    for op in ops {
        match op {
            Op::Accounts(accounts) => account_ids.extend(account_references(accounts)),
            Op::Transfers(transfers) => {
                let refs = references(transfers);
                account_ids.extend(refs.account_ids);
                transfer_ids.extend(refs.transfer_ids);
            }
            Op::Expire(_) => {}
        }
    }
    transfer_ids.sort_unstable();
    transfer_ids.dedup();
    (account_ids, transfer_ids)
}

/// Every loaded transfer's accounts must exist (the ledger would panic on a pending one).
fn check_loaded_accounts(
    loaded: &[(Transfer, Option<PendingState>)],
    accounts: &HashMap<u128, Account>,
) -> sqlx::Result<()> {
    for (transfer, _) in loaded {
        for id in [transfer.debit_account_id, transfer.credit_account_id] {
            if !accounts.contains_key(&id) {
                return Err(sqlx::Error::Protocol(format!(
                    "ledger: transfer {:032x} names missing account {id:032x}",
                    transfer.id
                )));
            }
        }
    }
    Ok(())
}
