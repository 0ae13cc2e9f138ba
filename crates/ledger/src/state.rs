//! The ledger state machine: in-memory maps, batch execution, linked chains, change log.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::result::{ChainResult, CreateAccountResult, CreateTransferResult};
use crate::types::{Account, MAX_BALANCE, PendingState, Transfer};

/// Largest batch accepted by [`Ledger::create_accounts`] and [`Ledger::create_transfers`]
/// (TigerBeetle's per-request limit is 8,189; a little head room for the group-commit writer).
pub const BATCH_MAX: usize = 65_536;

/// What a storage layer must write after one or more batches, in one database transaction.
///
/// Produced by [`Ledger::take_effect`]; covers every change since the previous call. Rolled-back
/// linked chains and failed events leave no trace here.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchEffect {
    /// New accounts (INSERT), in creation order, with their current balances.
    pub accounts_created: Vec<Account>,
    /// Existing accounts whose balances changed (UPDATE), sorted by id, final state.
    pub accounts_updated: Vec<Account>,
    /// New transfers (INSERT), in creation order, as stored (timestamp set, post/void filled
    /// in from their pending transfer, balancing amounts clamped).
    pub transfers_created: Vec<Transfer>,
    /// Final state of every pending transfer created or resolved (UPSERT), sorted by id.
    pub pending_states: Vec<(u128, PendingState)>,
}

impl BatchEffect {
    /// True if nothing needs to be written.
    pub fn is_empty(&self) -> bool {
        self.accounts_created.is_empty()
            && self.accounts_updated.is_empty()
            && self.transfers_created.is_empty()
            && self.pending_states.is_empty()
    }
}

/// What a batch of transfers reads: load these before [`Ledger::create_transfers`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refs {
    /// Accounts named by the batch (sorted, no duplicates, no 0).
    pub account_ids: Vec<u128>,
    /// Transfers named by the batch: every `id` (idempotency) and `pending_id` (sorted).
    pub transfer_ids: Vec<u128>,
}

impl Refs {
    /// Adds the accounts of loaded transfers (a post or void may leave its account ids 0 and
    /// take them from the pending transfer). Call with the transfers loaded for `transfer_ids`.
    pub fn add_accounts_of(&mut self, loaded: &[Transfer]) {
        for transfer in loaded {
            self.account_ids.push(transfer.debit_account_id);
            self.account_ids.push(transfer.credit_account_id);
        }
        normalize_ids(&mut self.account_ids);
    }
}

fn normalize_ids(ids: &mut Vec<u128>) {
    ids.retain(|id| *id != 0 && *id != u128::MAX);
    ids.sort_unstable();
    ids.dedup();
}

/// The ids a batch of transfers reads (step (a) of the persistence contract).
pub fn references(batch: &[Transfer]) -> Refs {
    let mut refs = Refs::default();
    for transfer in batch {
        refs.account_ids.push(transfer.debit_account_id);
        refs.account_ids.push(transfer.credit_account_id);
        refs.transfer_ids.push(transfer.id);
        refs.transfer_ids.push(transfer.pending_id);
    }
    normalize_ids(&mut refs.account_ids);
    normalize_ids(&mut refs.transfer_ids);
    refs
}

/// The ids a batch of accounts reads (idempotency lookups).
pub fn account_references(batch: &[Account]) -> Vec<u128> {
    let mut ids: Vec<u128> = batch.iter().map(|account| account.id).collect();
    normalize_ids(&mut ids);
    ids
}

enum Undo {
    AccountInserted(u128),
    AccountBefore(Account),
    TransferInserted(u128),
    PendingBefore(u128, Option<PendingState>),
}

#[derive(Clone, Copy)]
struct Mark {
    undo: usize,
    accounts_created: usize,
    accounts_dirty: usize,
    transfers_created: usize,
    pending_changed: usize,
}

#[derive(Default)]
struct ChangeLog {
    accounts_created: Vec<u128>,
    accounts_dirty: Vec<u128>,
    transfers_created: Vec<u128>,
    pending_changed: Vec<u128>,
}

/// The double-entry ledger state machine. Deterministic: same calls, same results.
#[derive(Default)]
pub struct Ledger {
    accounts: HashMap<u128, Account>,
    transfers: HashMap<u128, Transfer>,
    pending: HashMap<u128, PendingState>,
    /// `(expires_at, id)` of transfers in state `Pending` with a timeout.
    expiry: BTreeSet<(u64, u128)>,
    last_timestamp: u64,
    undo: Vec<Undo>,
    changes: ChangeLog,
}

type AccountOutcome = Result<(), CreateAccountResult>;
type TransferOutcome = Result<(), CreateTransferResult>;

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// An account by id, if present in memory.
    pub fn account(&self, id: u128) -> Option<&Account> {
        self.accounts.get(&id)
    }

    /// A transfer by id, if present in memory.
    pub fn transfer(&self, id: u128) -> Option<&Transfer> {
        self.transfers.get(&id)
    }

    /// The state of a pending transfer, if present in memory.
    pub fn pending_state(&self, id: u128) -> Option<PendingState> {
        self.pending.get(&id).copied()
    }

    /// All accounts in memory (any order).
    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    /// Number of transfers in memory.
    pub fn transfer_count(&self) -> usize {
        self.transfers.len()
    }

    /// The last timestamp handed out (ns).
    pub fn last_timestamp(&self) -> u64 {
        self.last_timestamp
    }

    /// Ids of pending transfers in memory that expire at or before `now` (ns), by expiry.
    pub fn expiring(&self, now: u64) -> Vec<u128> {
        self.expiry
            .range(..=(now, u128::MAX))
            .map(|(_, id)| *id)
            .collect()
    }

    /// Loads a stored account into memory (storage step (a)); records no change.
    pub fn load_account(&mut self, account: Account) {
        assert!(
            account.id != 0 && account.id != u128::MAX,
            "load_account: invalid id"
        );
        self.observe_timestamp(account.timestamp);
        self.accounts.insert(account.id, account);
    }

    /// Loads a stored transfer; `state` is required exactly for pending transfers.
    pub fn load_transfer(&mut self, transfer: Transfer, state: Option<PendingState>) {
        assert!(
            transfer.id != 0 && transfer.id != u128::MAX,
            "load_transfer: invalid id"
        );
        assert_eq!(
            transfer.flags.pending,
            state.is_some(),
            "load_transfer: pending state"
        );
        self.observe_timestamp(transfer.timestamp);
        self.transfers.insert(transfer.id, transfer);
        if state.is_some() {
            self.write_pending(transfer.id, state);
        }
    }

    /// Makes every later timestamp greater than `timestamp` (call at start-up with the largest
    /// stored timestamp, so timestamps stay unique across restarts).
    pub fn observe_timestamp(&mut self, timestamp: u64) {
        self.last_timestamp = self.last_timestamp.max(timestamp);
    }

    /// Creates accounts. Returns the failed events only, by index, in index order.
    ///
    /// Event `i` gets timestamp `max(now, last_timestamp + 1) + i` (ns).
    pub fn create_accounts(
        &mut self,
        batch: &[Account],
        now: u64,
    ) -> Vec<(usize, CreateAccountResult)> {
        self.run_batch(
            batch,
            now,
            |account| account.flags.linked,
            Self::create_account,
        )
    }

    /// Creates transfers. Returns the failed events only, by index, in index order.
    ///
    /// Event `i` gets timestamp `max(now, last_timestamp + 1) + i` (ns); a post or void of a
    /// pending transfer whose `expires_at` is at or before that timestamp fails with
    /// `PendingTransferExpired`.
    pub fn create_transfers(
        &mut self,
        batch: &[Transfer],
        now: u64,
    ) -> Vec<(usize, CreateTransferResult)> {
        self.run_batch(
            batch,
            now,
            |transfer| transfer.flags.linked,
            Self::create_transfer,
        )
    }

    /// Expires every pending transfer in memory whose `expires_at <= now`: releases its
    /// reservation and marks it `Expired`. Returns the ids expired, by expiry time.
    pub fn expire_pending(&mut self, now: u64) -> Vec<u128> {
        assert!(self.undo.is_empty(), "expire_pending inside a batch");
        self.observe_timestamp(now);
        let ids = self.expiring(now);
        for id in &ids {
            let pending = self.transfers[id];
            assert_eq!(self.pending.get(id), Some(&PendingState::Pending));
            let mut debit = self.accounts[&pending.debit_account_id];
            let mut credit = self.accounts[&pending.credit_account_id];
            assert!(
                debit.debits_pending >= pending.amount,
                "expiry: reservation missing"
            );
            assert!(
                credit.credits_pending >= pending.amount,
                "expiry: reservation missing"
            );
            debit.debits_pending -= pending.amount;
            credit.credits_pending -= pending.amount;
            self.set_account(debit);
            self.set_account(credit);
            self.set_pending(*id, PendingState::Expired);
        }
        self.undo.clear();
        ids
    }

    /// Drains the changes since the last call (storage step (c)).
    pub fn take_effect(&mut self) -> BatchEffect {
        assert!(self.undo.is_empty(), "take_effect inside a batch");
        let changes = std::mem::take(&mut self.changes);
        let created: HashSet<u128> = changes.accounts_created.iter().copied().collect();
        let mut dirty = changes.accounts_dirty;
        dirty.sort_unstable();
        dirty.dedup();
        let mut pending = changes.pending_changed;
        pending.sort_unstable();
        pending.dedup();
        BatchEffect {
            accounts_created: changes
                .accounts_created
                .iter()
                .map(|id| self.accounts[id])
                .collect(),
            accounts_updated: dirty
                .iter()
                .filter(|id| !created.contains(id))
                .map(|id| self.accounts[id])
                .collect(),
            transfers_created: changes
                .transfers_created
                .iter()
                .map(|id| self.transfers[id])
                .collect(),
            pending_states: pending.iter().map(|id| (*id, self.pending[id])).collect(),
        }
    }

    /// Checks, over what is in memory: per ledger, Σ debits_posted = Σ credits_posted and
    /// Σ debits_pending = Σ credits_pending; no balance above [`MAX_BALANCE`]; no account
    /// breaks its limit flags; each account's pending totals equal the sum of its transfers in
    /// state `Pending` (meaningful when everything is loaded); the expiry index is consistent.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut sums: BTreeMap<u32, [u128; 4]> = BTreeMap::new();
        for account in self.accounts.values() {
            check_account(account)?;
            let sum = sums.entry(account.ledger).or_default();
            sum[0] += u128::from(account.debits_posted);
            sum[1] += u128::from(account.credits_posted);
            sum[2] += u128::from(account.debits_pending);
            sum[3] += u128::from(account.credits_pending);
        }
        for (
            ledger,
            [
                debits_posted,
                credits_posted,
                debits_pending,
                credits_pending,
            ],
        ) in &sums
        {
            if debits_posted != credits_posted {
                return Err(format!(
                    "ledger {ledger}: debits_posted {debits_posted} != credits_posted {credits_posted}"
                ));
            }
            if debits_pending != credits_pending {
                return Err(format!(
                    "ledger {ledger}: debits_pending {debits_pending} != \
                     credits_pending {credits_pending}"
                ));
            }
        }
        self.check_pending()
    }

    fn check_pending(&self) -> Result<(), String> {
        let mut reserved: HashMap<u128, (u64, u64)> = HashMap::new();
        let mut expiry = BTreeSet::new();
        for (id, state) in &self.pending {
            let transfer = self
                .transfers
                .get(id)
                .ok_or(format!("pending {id} missing"))?;
            if !transfer.flags.pending {
                return Err(format!(
                    "transfer {id} has a pending state but no pending flag"
                ));
            }
            if *state != PendingState::Pending {
                continue;
            }
            if let Some(expires_at) = transfer.expires_at() {
                expiry.insert((expires_at, *id));
            }
            reserved.entry(transfer.debit_account_id).or_default().0 += transfer.amount;
            reserved.entry(transfer.credit_account_id).or_default().1 += transfer.amount;
        }
        if expiry != self.expiry {
            return Err("expiry index out of step with pending states".into());
        }
        for account in self.accounts.values() {
            let (debits, credits) = reserved.get(&account.id).copied().unwrap_or_default();
            if (debits, credits) != (account.debits_pending, account.credits_pending) {
                return Err(format!(
                    "account {}: pending ({}, {}) but pending transfers hold ({debits}, {credits})",
                    account.id, account.debits_pending, account.credits_pending
                ));
            }
        }
        Ok(())
    }

    fn run_batch<E, R: ChainResult>(
        &mut self,
        batch: &[E],
        now: u64,
        linked: fn(&E) -> bool,
        apply: fn(&mut Self, &E, u64) -> Result<(), R>,
    ) -> Vec<(usize, R)> {
        assert!(batch.len() <= BATCH_MAX, "batch larger than BATCH_MAX");
        assert!(self.undo.is_empty());
        let base = self.reserve_timestamps(now, batch.len());
        let mut results = Vec::new();
        let mut chain: Option<(usize, Mark)> = None;
        let mut chain_broken = false;
        for (index, event) in batch.iter().enumerate() {
            let is_linked = linked(event);
            if is_linked && chain.is_none() {
                chain = Some((index, self.mark()));
            }
            let outcome = if is_linked && index + 1 == batch.len() {
                Err(R::LINKED_EVENT_CHAIN_OPEN)
            } else if chain_broken {
                Err(R::LINKED_EVENT_FAILED)
            } else {
                apply(self, event, base + index as u64)
            };
            if let Err(code) = outcome {
                if let (Some((start, mark)), false) = (chain, chain_broken) {
                    self.rollback(mark);
                    chain_broken = true;
                    results.extend((start..index).map(|j| (j, R::LINKED_EVENT_FAILED)));
                }
                results.push((index, code));
            }
            if !is_linked {
                chain = None;
                chain_broken = false;
                self.undo.clear();
            }
        }
        self.undo.clear();
        results
    }

    fn reserve_timestamps(&mut self, now: u64, count: usize) -> u64 {
        let base = now.max(self.last_timestamp + 1);
        assert!(base > self.last_timestamp, "timestamps must increase");
        if count > 0 {
            self.last_timestamp = base
                .checked_add(count as u64 - 1)
                .expect("timestamp overflow");
        }
        base
    }

    fn mark(&self) -> Mark {
        Mark {
            undo: self.undo.len(),
            accounts_created: self.changes.accounts_created.len(),
            accounts_dirty: self.changes.accounts_dirty.len(),
            transfers_created: self.changes.transfers_created.len(),
            pending_changed: self.changes.pending_changed.len(),
        }
    }

    fn rollback(&mut self, mark: Mark) {
        while self.undo.len() > mark.undo {
            match self.undo.pop().expect("undo entry") {
                Undo::AccountInserted(id) => {
                    self.accounts.remove(&id);
                }
                Undo::AccountBefore(account) => {
                    self.accounts.insert(account.id, account);
                }
                Undo::TransferInserted(id) => {
                    self.transfers.remove(&id);
                }
                Undo::PendingBefore(id, state) => self.write_pending(id, state),
            }
        }
        self.changes
            .accounts_created
            .truncate(mark.accounts_created);
        self.changes.accounts_dirty.truncate(mark.accounts_dirty);
        self.changes
            .transfers_created
            .truncate(mark.transfers_created);
        self.changes.pending_changed.truncate(mark.pending_changed);
    }

    fn set_account(&mut self, account: Account) {
        let before = self
            .accounts
            .insert(account.id, account)
            .expect("account exists");
        self.undo.push(Undo::AccountBefore(before));
        self.changes.accounts_dirty.push(account.id);
    }

    fn insert_transfer(&mut self, transfer: Transfer) {
        let before = self.transfers.insert(transfer.id, transfer);
        assert!(before.is_none(), "transfer id reused");
        self.undo.push(Undo::TransferInserted(transfer.id));
        self.changes.transfers_created.push(transfer.id);
    }

    fn set_pending(&mut self, id: u128, state: PendingState) {
        let before = self.pending.get(&id).copied();
        assert_ne!(before, Some(state));
        self.undo.push(Undo::PendingBefore(id, before));
        self.changes.pending_changed.push(id);
        self.write_pending(id, Some(state));
    }

    /// Writes a pending state and keeps the expiry index in step (no undo, no change log).
    fn write_pending(&mut self, id: u128, state: Option<PendingState>) {
        let expires_at = self.transfers.get(&id).and_then(Transfer::expires_at);
        let before = match state {
            Some(state) => self.pending.insert(id, state),
            None => self.pending.remove(&id),
        };
        if let Some(expires_at) = expires_at {
            if before == Some(PendingState::Pending) {
                self.expiry.remove(&(expires_at, id));
            }
            if state == Some(PendingState::Pending) {
                self.expiry.insert((expires_at, id));
            }
        }
    }

    fn create_account(&mut self, account: &Account, timestamp: u64) -> AccountOutcome {
        validate_account(account)?;
        if let Some(existing) = self.accounts.get(&account.id) {
            return Err(account_exists(account, existing));
        }
        let mut stored = *account;
        stored.timestamp = timestamp;
        self.accounts.insert(stored.id, stored);
        self.undo.push(Undo::AccountInserted(stored.id));
        self.changes.accounts_created.push(stored.id);
        Ok(())
    }

    fn create_transfer(&mut self, transfer: &Transfer, timestamp: u64) -> TransferOutcome {
        use CreateTransferResult as R;
        if transfer.timestamp != 0 {
            return Err(R::TimestampMustBeZero);
        }
        if transfer.id == 0 {
            return Err(R::IdMustNotBeZero);
        }
        if transfer.id == u128::MAX {
            return Err(R::IdMustNotBeIntMax);
        }
        let flags = transfer.flags;
        let resolves = flags.resolves_pending();
        let balancing = flags.balancing_debit || flags.balancing_credit;
        if (flags.pending && resolves)
            || (flags.post_pending_transfer && flags.void_pending_transfer)
            || (balancing && resolves)
        {
            return Err(R::FlagsAreMutuallyExclusive);
        }
        if resolves {
            self.post_or_void(transfer, timestamp)
        } else {
            self.create_new_transfer(transfer, timestamp)
        }
    }

    fn create_new_transfer(&mut self, transfer: &Transfer, timestamp: u64) -> TransferOutcome {
        use CreateTransferResult as R;
        validate_new_transfer(transfer)?;
        if let Some(existing) = self.transfers.get(&transfer.id) {
            return Err(self.transfer_exists(transfer, existing));
        }
        let debit = *self
            .accounts
            .get(&transfer.debit_account_id)
            .ok_or(R::DebitAccountNotFound)?;
        let credit = *self
            .accounts
            .get(&transfer.credit_account_id)
            .ok_or(R::CreditAccountNotFound)?;
        if debit.ledger != credit.ledger {
            return Err(R::AccountsMustHaveTheSameLedger);
        }
        if transfer.ledger != debit.ledger {
            return Err(R::TransferMustHaveTheSameLedgerAsAccounts);
        }
        if debit.flags.closed {
            return Err(R::DebitAccountAlreadyClosed);
        }
        if credit.flags.closed {
            return Err(R::CreditAccountAlreadyClosed);
        }
        let mut stored = *transfer;
        stored.timestamp = timestamp;
        if transfer.flags.pending && transfer.timeout != 0 && stored.expires_at().is_none() {
            return Err(R::OverflowsTimeout);
        }
        stored.amount = balancing_amount(transfer, &debit, &credit)?;
        let (debit, credit) = apply_new(&stored, debit, credit)?;
        debug_assert!(stored.amount > 0 && stored.amount <= transfer.amount);
        debug_assert!(check_account(&debit).is_ok() && check_account(&credit).is_ok());
        self.set_account(debit);
        self.set_account(credit);
        self.insert_transfer(stored);
        if stored.flags.pending {
            self.set_pending(stored.id, PendingState::Pending);
        }
        Ok(())
    }

    fn post_or_void(&mut self, transfer: &Transfer, timestamp: u64) -> TransferOutcome {
        use CreateTransferResult as R;
        validate_post_or_void(transfer)?;
        if let Some(existing) = self.transfers.get(&transfer.id) {
            return Err(self.transfer_exists(transfer, existing));
        }
        let pending = *self
            .transfers
            .get(&transfer.pending_id)
            .ok_or(R::PendingTransferNotFound)?;
        let amount = resolve_against_pending(transfer, &pending)?;
        match self.pending[&pending.id] {
            PendingState::Posted => return Err(R::PendingTransferAlreadyPosted),
            PendingState::Voided => return Err(R::PendingTransferAlreadyVoided),
            PendingState::Expired => return Err(R::PendingTransferExpired),
            PendingState::Pending => {}
        }
        if pending
            .expires_at()
            .is_some_and(|expires_at| expires_at <= timestamp)
        {
            return Err(R::PendingTransferExpired);
        }
        let mut debit = self.accounts[&pending.debit_account_id];
        let mut credit = self.accounts[&pending.credit_account_id];
        let post = transfer.flags.post_pending_transfer;
        if post && debit.flags.closed {
            return Err(R::DebitAccountAlreadyClosed);
        }
        if post && credit.flags.closed {
            return Err(R::CreditAccountAlreadyClosed);
        }
        assert!(
            debit.debits_pending >= pending.amount,
            "reservation missing on debit account"
        );
        assert!(
            credit.credits_pending >= pending.amount,
            "reservation missing on credit account"
        );
        debit.debits_pending -= pending.amount;
        credit.credits_pending -= pending.amount;
        if post {
            debit.debits_posted =
                add_capped(debit.debits_posted, amount).ok_or(R::OverflowsDebitsPosted)?;
            credit.credits_posted =
                add_capped(credit.credits_posted, amount).ok_or(R::OverflowsCreditsPosted)?;
        }
        let stored = Transfer {
            debit_account_id: pending.debit_account_id,
            credit_account_id: pending.credit_account_id,
            amount,
            ledger: pending.ledger,
            code: pending.code,
            timestamp,
            ..*transfer
        };
        self.set_account(debit);
        self.set_account(credit);
        self.insert_transfer(stored);
        let state = if post {
            PendingState::Posted
        } else {
            PendingState::Voided
        };
        self.set_pending(pending.id, state);
        Ok(())
    }

    /// The result for an event whose id is taken by `existing`.
    fn transfer_exists(&self, transfer: &Transfer, existing: &Transfer) -> CreateTransferResult {
        use CreateTransferResult as R;
        let filled = |given: u128, stored: u128| given == stored || given == 0;
        let resolves = transfer.flags.resolves_pending();
        if transfer.flags != existing.flags {
            return R::ExistsWithDifferentFlags;
        }
        if transfer.pending_id != existing.pending_id {
            return R::ExistsWithDifferentPendingId;
        }
        let same_debit = if resolves {
            filled(transfer.debit_account_id, existing.debit_account_id)
        } else {
            transfer.debit_account_id == existing.debit_account_id
        };
        if !same_debit {
            return R::ExistsWithDifferentDebitAccountId;
        }
        let same_credit = if resolves {
            filled(transfer.credit_account_id, existing.credit_account_id)
        } else {
            transfer.credit_account_id == existing.credit_account_id
        };
        if !same_credit {
            return R::ExistsWithDifferentCreditAccountId;
        }
        if !self.same_amount(transfer, existing) {
            return R::ExistsWithDifferentAmount;
        }
        if transfer.timeout != existing.timeout {
            return R::ExistsWithDifferentTimeout;
        }
        let same_ledger = transfer.ledger == existing.ledger || (resolves && transfer.ledger == 0);
        if !same_ledger {
            return R::ExistsWithDifferentLedger;
        }
        if !(transfer.code == existing.code || (resolves && transfer.code == 0)) {
            return R::ExistsWithDifferentCode;
        }
        user_data_exists(transfer, existing)
    }

    fn same_amount(&self, transfer: &Transfer, existing: &Transfer) -> bool {
        let flags = transfer.flags;
        if flags.balancing_debit || flags.balancing_credit {
            return transfer.amount >= existing.amount;
        }
        if flags.void_pending_transfer {
            return transfer.amount == 0 || transfer.amount == existing.amount;
        }
        if flags.post_pending_transfer && transfer.amount == 0 {
            let pending = &self.transfers[&existing.pending_id];
            return existing.amount == pending.amount;
        }
        transfer.amount == existing.amount
    }
}

fn user_data_exists(transfer: &Transfer, existing: &Transfer) -> CreateTransferResult {
    use CreateTransferResult as R;
    if transfer.user_data_128 != existing.user_data_128 {
        return R::ExistsWithDifferentUserData128;
    }
    if transfer.user_data_64 != existing.user_data_64 {
        return R::ExistsWithDifferentUserData64;
    }
    if transfer.user_data_32 != existing.user_data_32 {
        return R::ExistsWithDifferentUserData32;
    }
    R::Exists
}

fn add_capped(balance: u64, amount: u64) -> Option<u64> {
    balance
        .checked_add(amount)
        .filter(|sum| *sum <= MAX_BALANCE)
}

fn check_account(account: &Account) -> Result<(), String> {
    let id = account.id;
    let fields = [
        account.debits_pending,
        account.debits_posted,
        account.credits_pending,
        account.credits_posted,
    ];
    if fields.iter().any(|field| *field > MAX_BALANCE) {
        return Err(format!("account {id}: balance above MAX_BALANCE"));
    }
    let debits = account.debits_pending + account.debits_posted;
    let credits = account.credits_pending + account.credits_posted;
    if account.flags.debits_must_not_exceed_credits && debits > account.credits_posted {
        return Err(format!(
            "account {id}: debits {debits} exceed credits_posted"
        ));
    }
    if account.flags.credits_must_not_exceed_debits && credits > account.debits_posted {
        return Err(format!(
            "account {id}: credits {credits} exceed debits_posted"
        ));
    }
    Ok(())
}

fn validate_account(account: &Account) -> AccountOutcome {
    use CreateAccountResult as R;
    let checks = [
        (account.timestamp != 0, R::TimestampMustBeZero),
        (account.id == 0, R::IdMustNotBeZero),
        (account.id == u128::MAX, R::IdMustNotBeIntMax),
        (
            account.flags.debits_must_not_exceed_credits
                && account.flags.credits_must_not_exceed_debits,
            R::FlagsAreMutuallyExclusive,
        ),
        (account.debits_pending != 0, R::DebitsPendingMustBeZero),
        (account.debits_posted != 0, R::DebitsPostedMustBeZero),
        (account.credits_pending != 0, R::CreditsPendingMustBeZero),
        (account.credits_posted != 0, R::CreditsPostedMustBeZero),
        (account.ledger == 0, R::LedgerMustNotBeZero),
        (account.code == 0, R::CodeMustNotBeZero),
    ];
    first_failure(&checks)
}

fn account_exists(account: &Account, existing: &Account) -> CreateAccountResult {
    use CreateAccountResult as R;
    let checks = [
        (account.flags != existing.flags, R::ExistsWithDifferentFlags),
        (
            account.user_data_128 != existing.user_data_128,
            R::ExistsWithDifferentUserData128,
        ),
        (
            account.user_data_64 != existing.user_data_64,
            R::ExistsWithDifferentUserData64,
        ),
        (
            account.user_data_32 != existing.user_data_32,
            R::ExistsWithDifferentUserData32,
        ),
        (
            account.ledger != existing.ledger,
            R::ExistsWithDifferentLedger,
        ),
        (account.code != existing.code, R::ExistsWithDifferentCode),
    ];
    first_failure(&checks).err().unwrap_or(R::Exists)
}

fn first_failure<R: Copy>(checks: &[(bool, R)]) -> Result<(), R> {
    match checks.iter().find(|(failed, _)| *failed) {
        Some((_, code)) => Err(*code),
        None => Ok(()),
    }
}

fn validate_new_transfer(transfer: &Transfer) -> TransferOutcome {
    use CreateTransferResult as R;
    let checks = [
        (
            transfer.debit_account_id == 0,
            R::DebitAccountIdMustNotBeZero,
        ),
        (
            transfer.debit_account_id == u128::MAX,
            R::DebitAccountIdMustNotBeIntMax,
        ),
        (
            transfer.credit_account_id == 0,
            R::CreditAccountIdMustNotBeZero,
        ),
        (
            transfer.credit_account_id == u128::MAX,
            R::CreditAccountIdMustNotBeIntMax,
        ),
        (
            transfer.debit_account_id == transfer.credit_account_id,
            R::AccountsMustBeDifferent,
        ),
        (transfer.pending_id != 0, R::PendingIdMustBeZero),
        (
            transfer.timeout != 0 && !transfer.flags.pending,
            R::TimeoutReservedForPendingTransfer,
        ),
        (transfer.amount == 0, R::AmountMustNotBeZero),
        (transfer.ledger == 0, R::LedgerMustNotBeZero),
        (transfer.code == 0, R::CodeMustNotBeZero),
    ];
    first_failure(&checks)
}

fn validate_post_or_void(transfer: &Transfer) -> TransferOutcome {
    use CreateTransferResult as R;
    let checks = [
        (transfer.pending_id == 0, R::PendingIdMustNotBeZero),
        (
            transfer.pending_id == u128::MAX,
            R::PendingIdMustNotBeIntMax,
        ),
        (
            transfer.pending_id == transfer.id,
            R::PendingIdMustBeDifferent,
        ),
        (transfer.timeout != 0, R::TimeoutReservedForPendingTransfer),
    ];
    first_failure(&checks)
}

/// Checks a post/void against its pending transfer; returns the amount it moves or releases.
fn resolve_against_pending(
    transfer: &Transfer,
    pending: &Transfer,
) -> Result<u64, CreateTransferResult> {
    use CreateTransferResult as R;
    let differs = |given: u128, stored: u128| given != 0 && given != stored;
    let checks = [
        (!pending.flags.pending, R::PendingTransferNotPending),
        (
            differs(transfer.debit_account_id, pending.debit_account_id),
            R::PendingTransferHasDifferentDebitAccountId,
        ),
        (
            differs(transfer.credit_account_id, pending.credit_account_id),
            R::PendingTransferHasDifferentCreditAccountId,
        ),
        (
            differs(transfer.ledger.into(), pending.ledger.into()),
            R::PendingTransferHasDifferentLedger,
        ),
        (
            differs(transfer.code.into(), pending.code.into()),
            R::PendingTransferHasDifferentCode,
        ),
    ];
    first_failure(&checks)?;
    if transfer.flags.void_pending_transfer {
        if transfer.amount != 0 && transfer.amount != pending.amount {
            return Err(R::PendingTransferHasDifferentAmount);
        }
        return Ok(pending.amount);
    }
    if transfer.amount > pending.amount {
        return Err(R::ExceedsPendingTransferAmount);
    }
    Ok(if transfer.amount == 0 {
        pending.amount
    } else {
        transfer.amount
    })
}

/// The amount a new transfer moves: `amount`, clamped for balancing transfers.
fn balancing_amount(
    transfer: &Transfer,
    debit: &Account,
    credit: &Account,
) -> Result<u64, CreateTransferResult> {
    use CreateTransferResult as R;
    let mut amount = transfer.amount;
    if transfer.flags.balancing_debit {
        let used = debit.debits_pending + debit.debits_posted;
        amount = amount.min(debit.credits_posted.saturating_sub(used));
        if amount == 0 {
            return Err(R::ExceedsCredits);
        }
    }
    if transfer.flags.balancing_credit {
        let used = credit.credits_pending + credit.credits_posted;
        amount = amount.min(credit.debits_posted.saturating_sub(used));
        if amount == 0 {
            return Err(R::ExceedsDebits);
        }
    }
    Ok(amount)
}

/// New balances after a new (pending or posted) transfer, with overflow and limit checks.
fn apply_new(
    transfer: &Transfer,
    mut debit: Account,
    mut credit: Account,
) -> Result<(Account, Account), CreateTransferResult> {
    use CreateTransferResult as R;
    let amount = transfer.amount;
    if transfer.flags.pending {
        debit.debits_pending =
            add_capped(debit.debits_pending, amount).ok_or(R::OverflowsDebitsPending)?;
        credit.credits_pending =
            add_capped(credit.credits_pending, amount).ok_or(R::OverflowsCreditsPending)?;
    } else {
        debit.debits_posted =
            add_capped(debit.debits_posted, amount).ok_or(R::OverflowsDebitsPosted)?;
        credit.credits_posted =
            add_capped(credit.credits_posted, amount).ok_or(R::OverflowsCreditsPosted)?;
    }
    let debits = debit.debits_pending + debit.debits_posted;
    if debit.flags.debits_must_not_exceed_credits && debits > debit.credits_posted {
        return Err(R::ExceedsCredits);
    }
    let credits = credit.credits_pending + credit.credits_posted;
    if credit.flags.credits_must_not_exceed_debits && credits > credit.debits_posted {
        return Err(R::ExceedsDebits);
    }
    Ok((debit, credit))
}
