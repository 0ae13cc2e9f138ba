//! Halong's double-entry ledger: a TigerBeetle-shaped state machine (see `docs/ledger.md`).
#![forbid(unsafe_code)]

mod result;
mod state;
mod types;

pub use result::{CreateAccountResult, CreateTransferResult};
pub use state::{BATCH_MAX, BatchEffect, Ledger, Refs, account_references, references};
pub use types::{
    Account, AccountFlags, MAX_BALANCE, NANOS_PER_SECOND, PendingState, Transfer, TransferFlags,
};
