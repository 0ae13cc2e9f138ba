//! Model-based property tests: random operation sequences against a deliberately simple model.
//!
//! The model keeps balances as `i128`, stores everything in `BTreeMap`s and makes linked chains
//! atomic by cloning its whole state before a chain and restoring the clone on failure (the
//! ledger uses an undo log). After every step the test compares every result code, every
//! balance, every stored transfer and pending state, calls `check_invariants`, and replays the
//! drained `BatchEffect`s into a "persisted" mirror that must equal the model too.

use std::collections::BTreeMap;

use ledger::CreateAccountResult as A;
use ledger::CreateTransferResult as T;
use ledger::{
    Account, AccountFlags, Ledger, MAX_BALANCE, NANOS_PER_SECOND, PendingState, Transfer,
    TransferFlags,
};
use proptest::prelude::*;

const MAX: i128 = MAX_BALANCE as i128;

/// Cases per property: `PROPTEST_CASES` if set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Clone, Debug)]
struct ModelAccount {
    input: Account,
    timestamp: u64,
    /// debits_pending, debits_posted, credits_pending, credits_posted
    dp: i128,
    dpo: i128,
    cp: i128,
    cpo: i128,
}

#[derive(Clone, Debug, Default)]
struct Model {
    accounts: BTreeMap<u128, ModelAccount>,
    transfers: BTreeMap<u128, Transfer>,
    states: BTreeMap<u128, PendingState>,
    last: u64,
}

fn expires_at(t: &Transfer) -> Option<u64> {
    if !t.flags.pending || t.timeout == 0 {
        return None;
    }
    let total = u128::from(t.timestamp) + u128::from(t.timeout) * u128::from(NANOS_PER_SECOND);
    u64::try_from(total).ok()
}

impl Model {
    fn run<E, R: Copy>(
        &mut self,
        batch: &[E],
        now: u64,
        linked: impl Fn(&E) -> bool,
        failed: R,
        open: R,
        apply: impl Fn(&mut Model, &E, u64) -> Result<(), R>,
    ) -> Vec<(usize, R)> {
        let base = now.max(self.last + 1);
        if !batch.is_empty() {
            self.last = base + batch.len() as u64 - 1;
        }
        let mut out = Vec::new();
        let mut start = 0;
        while start < batch.len() {
            // A group is a maximal run of linked events plus the event that closes it.
            let mut end = start;
            while end + 1 < batch.len() && linked(&batch[end]) {
                end += 1;
            }
            let snapshot = self.clone();
            let in_chain = linked(&batch[start]);
            let mut broken = false;
            for i in start..=end {
                let code = if linked(&batch[i]) && i + 1 == batch.len() {
                    Err(open)
                } else if broken {
                    Err(failed)
                } else {
                    apply(self, &batch[i], base + i as u64)
                };
                if let Err(code) = code {
                    if in_chain && !broken {
                        out.extend((start..i).map(|j| (j, failed)));
                        broken = true;
                    }
                    out.push((i, code));
                }
            }
            if broken {
                let last = self.last;
                *self = snapshot;
                self.last = last;
            }
            start = end + 1;
        }
        out
    }

    fn create_account(&mut self, a: &Account, ts: u64) -> Result<(), A> {
        if a.timestamp != 0 {
            return Err(A::TimestampMustBeZero);
        }
        if a.id == 0 {
            return Err(A::IdMustNotBeZero);
        }
        if a.id == u128::MAX {
            return Err(A::IdMustNotBeIntMax);
        }
        if a.flags.debits_must_not_exceed_credits && a.flags.credits_must_not_exceed_debits {
            return Err(A::FlagsAreMutuallyExclusive);
        }
        if a.debits_pending != 0 {
            return Err(A::DebitsPendingMustBeZero);
        }
        if a.debits_posted != 0 {
            return Err(A::DebitsPostedMustBeZero);
        }
        if a.credits_pending != 0 {
            return Err(A::CreditsPendingMustBeZero);
        }
        if a.credits_posted != 0 {
            return Err(A::CreditsPostedMustBeZero);
        }
        if a.ledger == 0 {
            return Err(A::LedgerMustNotBeZero);
        }
        if a.code == 0 {
            return Err(A::CodeMustNotBeZero);
        }
        if let Some(e) = self.accounts.get(&a.id) {
            let e = &e.input;
            return Err(if a.flags != e.flags {
                A::ExistsWithDifferentFlags
            } else if a.user_data_128 != e.user_data_128 {
                A::ExistsWithDifferentUserData128
            } else if a.user_data_64 != e.user_data_64 {
                A::ExistsWithDifferentUserData64
            } else if a.user_data_32 != e.user_data_32 {
                A::ExistsWithDifferentUserData32
            } else if a.ledger != e.ledger {
                A::ExistsWithDifferentLedger
            } else if a.code != e.code {
                A::ExistsWithDifferentCode
            } else {
                A::Exists
            });
        }
        let account = ModelAccount {
            input: *a,
            timestamp: ts,
            dp: 0,
            dpo: 0,
            cp: 0,
            cpo: 0,
        };
        self.accounts.insert(a.id, account);
        Ok(())
    }

    fn exists(&self, t: &Transfer, e: &Transfer) -> T {
        let resolves = t.flags.post_pending_transfer || t.flags.void_pending_transfer;
        // For a post/void, 0 in an account/ledger/code field means "as the pending transfer".
        let wild = |given: u128, stored: u128| given == stored || (resolves && given == 0);
        let balancing = t.flags.balancing_debit || t.flags.balancing_credit;
        let same_amount = || {
            if balancing {
                t.amount >= e.amount
            } else if t.flags.void_pending_transfer {
                t.amount == 0 || t.amount == e.amount
            } else if t.flags.post_pending_transfer {
                let full = self.transfers[&e.pending_id].amount;
                (if t.amount == 0 { full } else { t.amount }) == e.amount
            } else {
                t.amount == e.amount
            }
        };
        if t.flags != e.flags {
            T::ExistsWithDifferentFlags
        } else if t.pending_id != e.pending_id {
            T::ExistsWithDifferentPendingId
        } else if !wild(t.debit_account_id, e.debit_account_id) {
            T::ExistsWithDifferentDebitAccountId
        } else if !wild(t.credit_account_id, e.credit_account_id) {
            T::ExistsWithDifferentCreditAccountId
        } else if !same_amount() {
            T::ExistsWithDifferentAmount
        } else if t.timeout != e.timeout {
            T::ExistsWithDifferentTimeout
        } else if !wild(t.ledger.into(), e.ledger.into()) {
            T::ExistsWithDifferentLedger
        } else if !wild(t.code.into(), e.code.into()) {
            T::ExistsWithDifferentCode
        } else if t.user_data_128 != e.user_data_128 {
            T::ExistsWithDifferentUserData128
        } else if t.user_data_64 != e.user_data_64 {
            T::ExistsWithDifferentUserData64
        } else if t.user_data_32 != e.user_data_32 {
            T::ExistsWithDifferentUserData32
        } else {
            T::Exists
        }
    }

    fn create_transfer(&mut self, t: &Transfer, ts: u64) -> Result<(), T> {
        if t.timestamp != 0 {
            return Err(T::TimestampMustBeZero);
        }
        if t.id == 0 {
            return Err(T::IdMustNotBeZero);
        }
        if t.id == u128::MAX {
            return Err(T::IdMustNotBeIntMax);
        }
        let f = t.flags;
        let kinds = [f.pending, f.post_pending_transfer, f.void_pending_transfer];
        let balancing = f.balancing_debit || f.balancing_credit;
        let resolves = f.post_pending_transfer || f.void_pending_transfer;
        if kinds.iter().filter(|k| **k).count() > 1 || (balancing && resolves) {
            return Err(T::FlagsAreMutuallyExclusive);
        }
        if resolves {
            self.post_or_void(t, ts)
        } else {
            self.new_transfer(t, ts)
        }
    }

    fn new_transfer(&mut self, t: &Transfer, ts: u64) -> Result<(), T> {
        let (dr, cr) = (t.debit_account_id, t.credit_account_id);
        let checks = [
            (dr == 0, T::DebitAccountIdMustNotBeZero),
            (dr == u128::MAX, T::DebitAccountIdMustNotBeIntMax),
            (cr == 0, T::CreditAccountIdMustNotBeZero),
            (cr == u128::MAX, T::CreditAccountIdMustNotBeIntMax),
            (dr == cr, T::AccountsMustBeDifferent),
            (t.pending_id != 0, T::PendingIdMustBeZero),
            (
                t.timeout != 0 && !t.flags.pending,
                T::TimeoutReservedForPendingTransfer,
            ),
            (t.amount == 0, T::AmountMustNotBeZero),
            (t.ledger == 0, T::LedgerMustNotBeZero),
            (t.code == 0, T::CodeMustNotBeZero),
        ];
        if let Some((_, code)) = checks.iter().find(|(bad, _)| *bad) {
            return Err(*code);
        }
        if let Some(e) = self.transfers.get(&t.id) {
            return Err(self.exists(t, e));
        }
        let d = self
            .accounts
            .get(&dr)
            .ok_or(T::DebitAccountNotFound)?
            .clone();
        let c = self
            .accounts
            .get(&cr)
            .ok_or(T::CreditAccountNotFound)?
            .clone();
        if d.input.ledger != c.input.ledger {
            return Err(T::AccountsMustHaveTheSameLedger);
        }
        if t.ledger != d.input.ledger {
            return Err(T::TransferMustHaveTheSameLedgerAsAccounts);
        }
        if d.input.flags.closed {
            return Err(T::DebitAccountAlreadyClosed);
        }
        if c.input.flags.closed {
            return Err(T::CreditAccountAlreadyClosed);
        }
        let mut stored = Transfer {
            timestamp: ts,
            ..*t
        };
        if t.flags.pending && t.timeout != 0 && expires_at(&stored).is_none() {
            return Err(T::OverflowsTimeout);
        }
        let mut amount = i128::from(t.amount);
        if t.flags.balancing_debit {
            amount = amount.min((d.cpo - d.dp - d.dpo).max(0));
            if amount == 0 {
                return Err(T::ExceedsCredits);
            }
        }
        if t.flags.balancing_credit {
            amount = amount.min((c.dpo - c.cp - c.cpo).max(0));
            if amount == 0 {
                return Err(T::ExceedsDebits);
            }
        }
        let (mut d, mut c) = (d, c);
        if t.flags.pending {
            d.dp += amount;
            c.cp += amount;
            if d.dp > MAX {
                return Err(T::OverflowsDebitsPending);
            }
            if c.cp > MAX {
                return Err(T::OverflowsCreditsPending);
            }
        } else {
            d.dpo += amount;
            c.cpo += amount;
            if d.dpo > MAX {
                return Err(T::OverflowsDebitsPosted);
            }
            if c.cpo > MAX {
                return Err(T::OverflowsCreditsPosted);
            }
        }
        if d.input.flags.debits_must_not_exceed_credits && d.dp + d.dpo > d.cpo {
            return Err(T::ExceedsCredits);
        }
        if c.input.flags.credits_must_not_exceed_debits && c.cp + c.cpo > c.dpo {
            return Err(T::ExceedsDebits);
        }
        stored.amount = amount as u64;
        self.accounts.insert(dr, d);
        self.accounts.insert(cr, c);
        self.transfers.insert(t.id, stored);
        if t.flags.pending {
            self.states.insert(t.id, PendingState::Pending);
        }
        Ok(())
    }

    fn post_or_void(&mut self, t: &Transfer, ts: u64) -> Result<(), T> {
        if t.pending_id == 0 {
            return Err(T::PendingIdMustNotBeZero);
        }
        if t.pending_id == u128::MAX {
            return Err(T::PendingIdMustNotBeIntMax);
        }
        if t.pending_id == t.id {
            return Err(T::PendingIdMustBeDifferent);
        }
        if t.timeout != 0 {
            return Err(T::TimeoutReservedForPendingTransfer);
        }
        if let Some(e) = self.transfers.get(&t.id) {
            return Err(self.exists(t, e));
        }
        let p = *self
            .transfers
            .get(&t.pending_id)
            .ok_or(T::PendingTransferNotFound)?;
        let differs = |given: u128, stored: u128| given != 0 && given != stored;
        if !p.flags.pending {
            return Err(T::PendingTransferNotPending);
        }
        if differs(t.debit_account_id, p.debit_account_id) {
            return Err(T::PendingTransferHasDifferentDebitAccountId);
        }
        if differs(t.credit_account_id, p.credit_account_id) {
            return Err(T::PendingTransferHasDifferentCreditAccountId);
        }
        if differs(t.ledger.into(), p.ledger.into()) {
            return Err(T::PendingTransferHasDifferentLedger);
        }
        if differs(t.code.into(), p.code.into()) {
            return Err(T::PendingTransferHasDifferentCode);
        }
        let post = t.flags.post_pending_transfer;
        let amount = if post {
            if t.amount > p.amount {
                return Err(T::ExceedsPendingTransferAmount);
            }
            if t.amount == 0 { p.amount } else { t.amount }
        } else {
            if t.amount != 0 && t.amount != p.amount {
                return Err(T::PendingTransferHasDifferentAmount);
            }
            p.amount
        };
        match self.states[&p.id] {
            PendingState::Posted => return Err(T::PendingTransferAlreadyPosted),
            PendingState::Voided => return Err(T::PendingTransferAlreadyVoided),
            PendingState::Expired => return Err(T::PendingTransferExpired),
            PendingState::Pending => {}
        }
        if expires_at(&p).is_some_and(|at| at <= ts) {
            return Err(T::PendingTransferExpired);
        }
        let mut d = self.accounts[&p.debit_account_id].clone();
        let mut c = self.accounts[&p.credit_account_id].clone();
        if post && d.input.flags.closed {
            return Err(T::DebitAccountAlreadyClosed);
        }
        if post && c.input.flags.closed {
            return Err(T::CreditAccountAlreadyClosed);
        }
        d.dp -= i128::from(p.amount);
        c.cp -= i128::from(p.amount);
        if post {
            d.dpo += i128::from(amount);
            c.cpo += i128::from(amount);
            if d.dpo > MAX {
                return Err(T::OverflowsDebitsPosted);
            }
            if c.cpo > MAX {
                return Err(T::OverflowsCreditsPosted);
            }
        }
        let stored = Transfer {
            debit_account_id: p.debit_account_id,
            credit_account_id: p.credit_account_id,
            ledger: p.ledger,
            code: p.code,
            amount,
            timestamp: ts,
            ..*t
        };
        self.accounts.insert(p.debit_account_id, d);
        self.accounts.insert(p.credit_account_id, c);
        self.transfers.insert(t.id, stored);
        let state = if post {
            PendingState::Posted
        } else {
            PendingState::Voided
        };
        self.states.insert(p.id, state);
        Ok(())
    }

    fn expire(&mut self, now: u64) -> Vec<u128> {
        self.last = self.last.max(now);
        let mut due: Vec<(u64, u128)> = Vec::new();
        for (id, state) in &self.states {
            let at = expires_at(&self.transfers[id]);
            if *state == PendingState::Pending && at.is_some_and(|at| at <= now) {
                due.push((at.unwrap(), *id));
            }
        }
        due.sort();
        for (_, id) in &due {
            let p = self.transfers[id];
            self.accounts.get_mut(&p.debit_account_id).unwrap().dp -= i128::from(p.amount);
            self.accounts.get_mut(&p.credit_account_id).unwrap().cp -= i128::from(p.amount);
            self.states.insert(*id, PendingState::Expired);
        }
        due.into_iter().map(|(_, id)| id).collect()
    }

    fn account_row(&self, id: u128) -> Account {
        let m = &self.accounts[&id];
        Account {
            debits_pending: m.dp as u64,
            debits_posted: m.dpo as u64,
            credits_pending: m.cp as u64,
            credits_posted: m.cpo as u64,
            timestamp: m.timestamp,
            ..m.input
        }
    }
}

/// What a storage layer would hold after writing every drained `BatchEffect`.
#[derive(Default)]
struct Mirror {
    accounts: BTreeMap<u128, Account>,
    transfers: BTreeMap<u128, Transfer>,
    states: BTreeMap<u128, PendingState>,
}

impl Mirror {
    fn write(&mut self, effect: ledger::BatchEffect) {
        for account in effect.accounts_created {
            assert!(
                self.accounts.insert(account.id, account).is_none(),
                "account inserted twice"
            );
        }
        for account in effect.accounts_updated {
            assert!(
                self.accounts.insert(account.id, account).is_some(),
                "update of unknown account"
            );
        }
        for transfer in effect.transfers_created {
            assert!(
                self.transfers.insert(transfer.id, transfer).is_none(),
                "transfer inserted twice"
            );
        }
        for (id, state) in effect.pending_states {
            assert!(self.transfers.contains_key(&id));
            self.states.insert(id, state);
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    Accounts(Vec<Account>),
    Transfers(Vec<Transfer>),
    /// Re-send an earlier transfer batch (by index modulo history), optionally altered.
    Replay(usize, Option<(usize, u8)>),
    Expire,
}

fn id_strategy(max: u128) -> impl Strategy<Value = u128> {
    prop_oneof![60 => 1..=max, 1 => Just(0u128), 1 => Just(u128::MAX)]
}

fn account_strategy() -> impl Strategy<Value = Account> {
    (
        id_strategy(9),
        prop_oneof![8 => Just(704u32), 1 => Just(840u32), 1 => Just(0u32)],
        prop_oneof![8 => Just(1u16), 1 => Just(2u16), 1 => Just(0u16)],
        (0..10u8, 0..3u8),
        prop_oneof![12 => Just(0u64), 1 => 1..5u64, 1 => 5..9u64],
        prop_oneof![12 => Just(0u64), 1 => Just(1u64)],
    )
        .prop_map(
            |(id, ledger, code, (flag_bits, user_data), balance, timestamp)| Account {
                id,
                ledger,
                code,
                flags: AccountFlags {
                    linked: flag_bits == 9,
                    debits_must_not_exceed_credits: flag_bits == 1 || flag_bits == 4,
                    credits_must_not_exceed_debits: flag_bits == 2 || flag_bits == 4,
                    closed: flag_bits == 3,
                },
                user_data_32: u32::from(user_data),
                user_data_64: u64::from(user_data == 1),
                user_data_128: u128::from(user_data == 2 && flag_bits > 5),
                debits_posted: if balance < 5 { balance } else { 0 },
                credits_pending: u64::from(balance == 5),
                debits_pending: u64::from(balance == 6),
                credits_posted: u64::from(balance == 7),
                timestamp,
            },
        )
}

fn amount_strategy() -> impl Strategy<Value = u64> {
    prop_oneof![
        40 => 1..=120u64,
        2 => Just(0u64),
        1 => Just(MAX_BALANCE),
        1 => (MAX_BALANCE - 60)..=MAX_BALANCE,
        1 => Just(u64::MAX),
    ]
}

fn transfer_strategy() -> impl Strategy<Value = Transfer> {
    let kind = prop_oneof![6 => Just(0u8), 4 => Just(1u8), 3 => Just(2u8), 2 => Just(3u8),
        1 => Just(4u8), 1 => Just(5u8), 1 => Just(6u8)];
    (
        (
            id_strategy(400),
            id_strategy(8),
            id_strategy(8),
            id_strategy(30),
        ),
        amount_strategy(),
        kind,
        (
            prop::bool::weighted(0.15),
            prop::bool::weighted(0.1),
            prop::bool::weighted(0.01),
        ),
        (
            prop_oneof![20 => Just(704u32), 1 => Just(0u32), 1 => Just(840u32)],
            prop_oneof![20 => Just(1u16), 1 => Just(0u16), 1 => Just(2u16)],
        ),
        (
            prop_oneof![3 => Just(0u32), 2 => 1..=3u32, 1 => Just(u32::MAX)],
            0..2u64,
        ),
    )
        .prop_map(
            |((id, debit, credit, pending_id), amount, kind, bools, (ledger, code), more)| {
                let (linked, blank_fields, bad_timestamp) = bools;
                let (timeout, user_data) = more;
                let mut flags = TransferFlags {
                    linked,
                    ..TransferFlags::default()
                };
                match kind {
                    1 => flags.pending = true,
                    2 => flags.post_pending_transfer = true,
                    3 => flags.void_pending_transfer = true,
                    4 => flags.balancing_debit = true,
                    5 => flags.balancing_credit = true,
                    6 => {
                        flags.pending = true;
                        flags.void_pending_transfer = amount % 2 == 0;
                        flags.balancing_debit = amount % 2 == 1;
                    }
                    _ => {}
                }
                let resolves = flags.post_pending_transfer || flags.void_pending_transfer;
                let blank = resolves && !blank_fields;
                // Pending transfers take ids 1..=30 (the targets of `pending_id`), the others mostly
                // 31..=400, so fresh ids stay available while duplicates still happen.
                let id = match (kind, id) {
                    (_, 0) | (_, u128::MAX) => id,
                    (1, _) => id % 30 + 1,
                    (_, id) if id % 5 == 0 => id % 30 + 1,
                    (_, id) => id % 370 + 31,
                };
                Transfer {
                    id,
                    debit_account_id: if blank { 0 } else { debit },
                    credit_account_id: if blank { 0 } else { credit },
                    // Posts and voids: mostly "full" (0), sometimes a part or a wrong amount.
                    amount: if resolves && (amount % 3 != 0 || amount > 200) {
                        0
                    } else {
                        amount
                    },
                    pending_id: if resolves || kind == 6 { pending_id } else { 0 },
                    user_data_64: user_data,
                    timeout: if flags.pending || blank_fields {
                        timeout
                    } else {
                        0
                    },
                    ledger: if blank { 0 } else { ledger },
                    code: if blank { 0 } else { code },
                    flags,
                    timestamp: u64::from(bad_timestamp),
                    ..Transfer::default()
                }
            },
        )
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => prop::collection::vec(account_strategy(), 0..4).prop_map(Op::Accounts),
        12 => prop::collection::vec(transfer_strategy(), 0..9).prop_map(Op::Transfers),
        3 => (any::<usize>(), prop::option::of((any::<usize>(), 0..10u8)))
            .prop_map(|(index, change)| Op::Replay(index, change)),
        2 => Just(Op::Expire),
    ]
}

fn initial_accounts() -> Vec<Account> {
    let plain = |id| Account {
        id,
        ledger: 704,
        code: 1,
        ..Account::default()
    };
    let mut dmnec = plain(4);
    dmnec.flags.debits_must_not_exceed_credits = true;
    let mut cmned = plain(5);
    cmned.flags.credits_must_not_exceed_debits = true;
    let other = Account {
        ledger: 840,
        ..plain(6)
    };
    vec![plain(1), plain(2), plain(3), dmnec, cmned, other]
}

fn alter(mut transfer: Transfer, field: u8) -> Transfer {
    match field {
        0 => transfer.amount = transfer.amount.wrapping_add(1),
        1 => transfer.user_data_128 ^= 1,
        2 => transfer.code ^= 1,
        3 => transfer.flags.linked = !transfer.flags.linked,
        4 => transfer.credit_account_id ^= 1,
        5 => transfer.timeout ^= 1,
        6 => transfer.pending_id ^= 1,
        7 => transfer.user_data_64 ^= 1,
        8 => transfer.user_data_32 ^= 1,
        _ => transfer.ledger ^= 1,
    }
    transfer
}

fn compare(ledger: &Ledger, model: &Model, mirror: &Mirror) -> Result<(), TestCaseError> {
    ledger.check_invariants().map_err(TestCaseError::fail)?;
    prop_assert_eq!(ledger.accounts().count(), model.accounts.len());
    for id in model.accounts.keys() {
        let expected = model.account_row(*id);
        prop_assert_eq!(ledger.account(*id), Some(&expected));
        prop_assert_eq!(mirror.accounts.get(id), Some(&expected));
    }
    prop_assert_eq!(ledger.transfer_count(), model.transfers.len());
    prop_assert_eq!(mirror.transfers.len(), model.transfers.len());
    for (id, transfer) in &model.transfers {
        prop_assert_eq!(ledger.transfer(*id), Some(transfer));
        prop_assert_eq!(mirror.transfers.get(id), Some(transfer));
        prop_assert_eq!(ledger.pending_state(*id), model.states.get(id).copied());
        prop_assert_eq!(mirror.states.get(id), model.states.get(id));
    }
    Ok(())
}

fn run_ops(ops: Vec<(Op, u64)>) -> Result<(), TestCaseError> {
    let mut ledger = Ledger::new();
    let mut model = Model::default();
    let mut mirror = Mirror::default();
    let mut history: Vec<Vec<Transfer>> = Vec::new();
    let mut now = NANOS_PER_SECOND;
    let setup = initial_accounts();
    let got = ledger.create_accounts(&setup, now);
    let want = model.run(
        &setup,
        now,
        |a| a.flags.linked,
        A::LinkedEventFailed,
        A::LinkedEventChainOpen,
        Model::create_account,
    );
    prop_assert_eq!(got, want);
    mirror.write(ledger.take_effect());
    for (op, advance_ms) in ops {
        now += advance_ms * 1_000_000;
        match op {
            Op::Accounts(batch) => {
                let got = ledger.create_accounts(&batch, now);
                let want = model.run(
                    &batch,
                    now,
                    |a| a.flags.linked,
                    A::LinkedEventFailed,
                    A::LinkedEventChainOpen,
                    Model::create_account,
                );
                prop_assert_eq!(got, want, "accounts {:?}", batch);
            }
            Op::Transfers(_) | Op::Replay(..) => {
                let batch = match op {
                    Op::Transfers(batch) => batch,
                    Op::Replay(_, _) if history.is_empty() => continue,
                    Op::Replay(index, change) => {
                        let mut batch = history[index % history.len()].clone();
                        if let (Some((at, field)), false) = (change, batch.is_empty()) {
                            let at = at % batch.len();
                            batch[at] = alter(batch[at], field);
                        }
                        batch
                    }
                    Op::Accounts(_) | Op::Expire => unreachable!(),
                };
                let got = ledger.create_transfers(&batch, now);
                let want = model.run(
                    &batch,
                    now,
                    |t| t.flags.linked,
                    T::LinkedEventFailed,
                    T::LinkedEventChainOpen,
                    Model::create_transfer,
                );
                prop_assert_eq!(got, want, "transfers {:?}", batch);
                history.push(batch);
            }
            Op::Expire => {
                prop_assert_eq!(ledger.expire_pending(now), model.expire(now));
            }
        }
        prop_assert_eq!(ledger.last_timestamp(), model.last);
        mirror.write(ledger.take_effect());
        compare(&ledger, &model, &mirror)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(512), ..ProptestConfig::default() })]

    #[test]
    fn ledger_matches_model(ops in prop::collection::vec((op_strategy(), 0..2_500u64), 1..40)) {
        run_ops(ops)?;
    }
}

/// Counts how often each result code shows up, so the generators can be seen to reach them.
#[test]
fn generators_reach_the_result_codes() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeSet;
    let mut runner = TestRunner::deterministic();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let strategy = prop::collection::vec((op_strategy(), 0..2_500u64), 1..40);
    for _ in 0..600 {
        let ops = strategy.new_tree(&mut runner).unwrap().current();
        let mut ledger = Ledger::new();
        let mut now = NANOS_PER_SECOND;
        assert!(ledger.create_accounts(&initial_accounts(), now).is_empty());
        let mut history: Vec<Vec<Transfer>> = Vec::new();
        for (op, advance_ms) in ops {
            now += advance_ms * 1_000_000;
            let batch = match op {
                Op::Transfers(batch) => batch,
                Op::Replay(index, change) if !history.is_empty() => {
                    let mut batch = history[index % history.len()].clone();
                    if let (Some((at, field)), false) = (change, batch.is_empty()) {
                        let at = at % batch.len();
                        batch[at] = alter(batch[at], field);
                    }
                    batch
                }
                Op::Accounts(batch) => {
                    for (_, code) in ledger.create_accounts(&batch, now) {
                        seen.insert(format!("A::{code:?}"));
                    }
                    continue;
                }
                _ => {
                    ledger.expire_pending(now);
                    continue;
                }
            };
            let results = ledger.create_transfers(&batch, now);
            if batch.len() > results.len() {
                seen.insert("T::Ok".into());
            }
            for (_, code) in results {
                seen.insert(format!("T::{code:?}"));
            }
            history.push(batch);
        }
    }
    let must = [
        "T::Ok",
        "T::Exists",
        "T::ExistsWithDifferentAmount",
        "T::ExistsWithDifferentFlags",
        "T::LinkedEventFailed",
        "T::LinkedEventChainOpen",
        "T::ExceedsCredits",
        "T::ExceedsDebits",
        "T::PendingTransferAlreadyPosted",
        "T::PendingTransferAlreadyVoided",
        "T::PendingTransferExpired",
        "T::OverflowsDebitsPosted",
        "T::ExceedsPendingTransferAmount",
        "T::PendingTransferHasDifferentAmount",
        "T::PendingTransferNotFound",
        "T::ExistsWithDifferentPendingId",
        "T::ExistsWithDifferentUserData64",
        "T::ExistsWithDifferentLedger",
        "T::DebitAccountNotFound",
        "T::DebitAccountAlreadyClosed",
        "A::ExistsWithDifferentUserData64",
        "A::CreditsPostedMustBeZero",
        "T::ExistsWithDifferentTimeout",
        "T::ExistsWithDifferentUserData128",
        "A::Exists",
    ];
    let missing: Vec<&str> = must
        .iter()
        .copied()
        .filter(|code| !seen.contains(*code))
        .collect();
    eprintln!("codes reached: {} {seen:?}", seen.len());
    assert!(
        missing.is_empty(),
        "never reached: {missing:?} (seen {seen:?})"
    );
}

/// A ledger holding only what `ids` name, copied from `full` (the storage layer's step (a)).
fn cache_for(full: &Ledger, transfer_ids: &[u128], account_ids: &[u128]) -> Ledger {
    let mut refs = ledger::Refs {
        account_ids: account_ids.to_vec(),
        transfer_ids: vec![],
    };
    let loaded: Vec<Transfer> = transfer_ids
        .iter()
        .filter_map(|id| full.transfer(*id).copied())
        .collect();
    refs.add_accounts_of(&loaded);
    let mut cache = Ledger::new();
    for transfer in loaded {
        cache.load_transfer(transfer, full.pending_state(transfer.id));
    }
    for id in &refs.account_ids {
        if let Some(account) = full.account(*id) {
            cache.load_account(*account);
        }
    }
    cache.observe_timestamp(full.last_timestamp());
    cache
}

fn run_cached(ops: Vec<(Op, u64)>) -> Result<(), TestCaseError> {
    let mut full = Ledger::new();
    let mut now = NANOS_PER_SECOND;
    assert!(full.create_accounts(&initial_accounts(), now).is_empty());
    full.take_effect();
    let mut history: Vec<Vec<Transfer>> = Vec::new();
    for (op, advance_ms) in ops {
        now += advance_ms * 1_000_000;
        let (got, want) = match op {
            Op::Accounts(batch) => {
                let mut cache = cache_for(&full, &[], &ledger::account_references(&batch));
                let got = format!("{:?}", cache.create_accounts(&batch, now));
                let want = format!("{:?}", full.create_accounts(&batch, now));
                ((got, cache.take_effect()), (want, full.take_effect()))
            }
            Op::Expire => {
                let mut cache = cache_for(&full, &full.expiring(now), &[]);
                let got = format!("{:?}", cache.expire_pending(now));
                let want = format!("{:?}", full.expire_pending(now));
                ((got, cache.take_effect()), (want, full.take_effect()))
            }
            Op::Transfers(_) | Op::Replay(..) => {
                let batch = match op {
                    Op::Transfers(batch) => batch,
                    Op::Replay(_, _) if history.is_empty() => continue,
                    Op::Replay(index, _) => history[index % history.len()].clone(),
                    Op::Accounts(_) | Op::Expire => unreachable!(),
                };
                let refs = ledger::references(&batch);
                let mut cache = cache_for(&full, &refs.transfer_ids, &refs.account_ids);
                let got = format!("{:?}", cache.create_transfers(&batch, now));
                let want = format!("{:?}", full.create_transfers(&batch, now));
                history.push(batch);
                ((got, cache.take_effect()), (want, full.take_effect()))
            }
        };
        prop_assert_eq!(got, want);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    /// The persistence contract: loading only `references(batch)` (plus the accounts of the
    /// loaded transfers) decides exactly what the full in-memory ledger decides, with the
    /// same `BatchEffect`.
    #[test]
    fn cache_of_references_matches_full_ledger(
        ops in prop::collection::vec((op_strategy(), 0..2_500u64), 1..40),
    ) {
        run_cached(ops)?;
    }
}
