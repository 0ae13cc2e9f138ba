//! Halong's double-entry ledger: a TigerBeetle-shaped state machine, pure (no I/O, no clock).
//!
//! Two objects, [`Account`] and [`Transfer`], in integer đồng. The caller passes the time
//! (`now`, nanoseconds) and the ledger decides every outcome; a storage layer persists what
//! changed. Full semantics and result codes: `docs/ledger.md`.
//!
//! # Persistence contract
//!
//! The ledger can hold everything in memory, or act as a per-batch cache in front of SQLite or
//! PostgreSQL. One writer task per database gathers requests (group commit) and, per batch:
//!
//! 1. **(a) load** what the batch reads: [`references`] gives the account and transfer ids
//!    (every `id` for idempotency and every `pending_id`); load those rows with
//!    [`Ledger::load_transfer`] (with the pending state of pending transfers), then
//!    [`Refs::add_accounts_of`] the loaded transfers, and load those accounts with
//!    [`Ledger::load_account`]. Ids that are absent in the database are simply not loaded.
//!    Call [`Ledger::observe_timestamp`] with the largest stored timestamp once at start-up.
//!    For expiry, load the pending transfers whose `expires_at <= now` and their accounts, then
//!    call [`Ledger::expire_pending`]. For account batches, [`account_references`].
//! 2. **(b) apply** in memory: [`Ledger::create_accounts`] / [`Ledger::create_transfers`] /
//!    [`Ledger::expire_pending`], any number of times.
//! 3. **(c) persist** [`Ledger::take_effect`]: a [`BatchEffect`] with the new accounts, the
//!    accounts whose balances changed (final values), the new transfers and the final state of
//!    every pending transfer created or resolved, written in **one** transaction. Answer the
//!    clients only after that commit. If the commit fails, drop the cache (it is ahead of the
//!    database) and reload.
//!
//! A cache holding only the references decides exactly what the full ledger decides (a
//! property test checks this, effects included).
//!
//! ```
//! use ledger::{Account, Ledger, PendingState, Transfer, TransferFlags, references};
//!
//! // The "database": here, just a second ledger holding everything.
//! let mut db = Ledger::new();
//! let stall = Account { id: 1, ledger: 704, code: 10, ..Account::default() };
//! let buyer = Account { id: 2, ledger: 704, code: 20, ..Account::default() };
//! assert!(db.create_accounts(&[stall, buyer], 1_000).is_empty());
//!
//! let hold = Transfer {
//!     id: 100,
//!     debit_account_id: 2,
//!     credit_account_id: 1,
//!     amount: 35_000,
//!     ledger: 704,
//!     code: 1,
//!     timeout: 60,
//!     flags: TransferFlags { pending: true, ..TransferFlags::default() },
//!     ..Transfer::default()
//! };
//! let post = Transfer {
//!     id: 101,
//!     pending_id: 100,
//!     flags: TransferFlags { post_pending_transfer: true, ..TransferFlags::default() },
//!     ..Transfer::default()
//! };
//! let batch = [hold, post];
//!
//! // (a) load only what the batch references.
//! let mut refs = references(&batch);
//! let mut cache = Ledger::new();
//! let loaded: Vec<Transfer> =
//!     refs.transfer_ids.iter().filter_map(|id| db.transfer(*id).copied()).collect();
//! for transfer in &loaded {
//!     cache.load_transfer(*transfer, db.pending_state(transfer.id));
//! }
//! refs.add_accounts_of(&loaded);
//! for id in &refs.account_ids {
//!     cache.load_account(*db.account(*id).unwrap());
//! }
//! cache.observe_timestamp(db.last_timestamp());
//!
//! // (b) apply: no failures listed, so both events were applied.
//! assert!(cache.create_transfers(&batch, 2_000).is_empty());
//!
//! // (c) persist the effect in one transaction.
//! let effect = cache.take_effect();
//! assert_eq!(effect.transfers_created.len(), 2);
//! assert_eq!(effect.accounts_updated.len(), 2);
//! assert_eq!(effect.pending_states, vec![(100, PendingState::Posted)]);
//! assert_eq!(cache.account(1).unwrap().credits_posted, 35_000);
//!
//! // A retry of the same batch changes nothing and reports `Exists`.
//! let results = cache.create_transfers(&batch, 3_000);
//! assert!(results.iter().all(|(_, code)| *code == ledger::CreateTransferResult::Exists));
//! assert!(cache.take_effect().is_empty());
//! cache.check_invariants().unwrap();
//! ```
#![forbid(unsafe_code)]

mod result;
mod state;
mod types;

pub use result::{CreateAccountResult, CreateTransferResult};
pub use state::{BATCH_MAX, BatchEffect, Ledger, Refs, account_references, references};
pub use types::{
    Account, AccountFlags, MAX_BALANCE, NANOS_PER_SECOND, PendingState, Transfer, TransferFlags,
};
