//! One test per rule and per result code.

use ledger::CreateAccountResult as A;
use ledger::CreateTransferResult as T;
use ledger::{
    Account, AccountFlags, Ledger, MAX_BALANCE, NANOS_PER_SECOND, PendingState, Transfer,
    TransferFlags, references,
};

const LEDGER: u32 = 704;
const SECOND: u64 = NANOS_PER_SECOND;

fn account(id: u128) -> Account {
    Account {
        id,
        ledger: LEDGER,
        code: 10,
        ..Account::default()
    }
}

fn limited_debit(id: u128) -> Account {
    let flags = AccountFlags {
        debits_must_not_exceed_credits: true,
        ..AccountFlags::default()
    };
    Account {
        flags,
        ..account(id)
    }
}

fn limited_credit(id: u128) -> Account {
    let flags = AccountFlags {
        credits_must_not_exceed_debits: true,
        ..AccountFlags::default()
    };
    Account {
        flags,
        ..account(id)
    }
}

fn transfer(id: u128, debit: u128, credit: u128, amount: u64) -> Transfer {
    Transfer {
        id,
        debit_account_id: debit,
        credit_account_id: credit,
        amount,
        ledger: LEDGER,
        code: 1,
        ..Transfer::default()
    }
}

fn pending(id: u128, debit: u128, credit: u128, amount: u64, timeout: u32) -> Transfer {
    let flags = TransferFlags {
        pending: true,
        ..TransferFlags::default()
    };
    Transfer {
        flags,
        timeout,
        ..transfer(id, debit, credit, amount)
    }
}

fn post(id: u128, pending_id: u128, amount: u64) -> Transfer {
    let flags = TransferFlags {
        post_pending_transfer: true,
        ..TransferFlags::default()
    };
    Transfer {
        id,
        pending_id,
        amount,
        flags,
        ..Transfer::default()
    }
}

fn void(id: u128, pending_id: u128) -> Transfer {
    let flags = TransferFlags {
        void_pending_transfer: true,
        ..TransferFlags::default()
    };
    Transfer {
        id,
        pending_id,
        flags,
        ..Transfer::default()
    }
}

fn linked(mut transfer: Transfer) -> Transfer {
    transfer.flags.linked = true;
    transfer
}

/// Accounts 1, 2, 3 (plain), 4 (debits ≤ credits), 5 (credits ≤ debits), 9 on another ledger.
fn setup() -> Ledger {
    let mut ledger = Ledger::new();
    let other = Account {
        ledger: 840,
        ..account(9)
    };
    let batch = [
        account(1),
        account(2),
        account(3),
        limited_debit(4),
        limited_credit(5),
        other,
    ];
    assert!(ledger.create_accounts(&batch, 1_000).is_empty());
    ledger.take_effect();
    ledger
}

fn one(ledger: &mut Ledger, transfer: Transfer, now: u64) -> Option<T> {
    let results = ledger.create_transfers(&[transfer], now);
    ledger.check_invariants().unwrap();
    assert!(results.len() <= 1);
    results.first().map(|(index, code)| {
        assert_eq!(*index, 0);
        *code
    })
}

fn balances(ledger: &Ledger, id: u128) -> [u64; 4] {
    let a = ledger.account(id).unwrap();
    [
        a.debits_pending,
        a.debits_posted,
        a.credits_pending,
        a.credits_posted,
    ]
}

#[test]
fn account_validation_codes() {
    let mut ledger = Ledger::new();
    let both = AccountFlags {
        debits_must_not_exceed_credits: true,
        credits_must_not_exceed_debits: true,
        ..AccountFlags::default()
    };
    let cases = [
        (
            Account {
                timestamp: 1,
                ..account(1)
            },
            A::TimestampMustBeZero,
        ),
        (account(0), A::IdMustNotBeZero),
        (account(u128::MAX), A::IdMustNotBeIntMax),
        (
            Account {
                flags: both,
                ..account(1)
            },
            A::FlagsAreMutuallyExclusive,
        ),
        (
            Account {
                debits_pending: 1,
                ..account(1)
            },
            A::DebitsPendingMustBeZero,
        ),
        (
            Account {
                debits_posted: 1,
                ..account(1)
            },
            A::DebitsPostedMustBeZero,
        ),
        (
            Account {
                credits_pending: 1,
                ..account(1)
            },
            A::CreditsPendingMustBeZero,
        ),
        (
            Account {
                credits_posted: 1,
                ..account(1)
            },
            A::CreditsPostedMustBeZero,
        ),
        (
            Account {
                ledger: 0,
                ..account(1)
            },
            A::LedgerMustNotBeZero,
        ),
        (
            Account {
                code: 0,
                ..account(1)
            },
            A::CodeMustNotBeZero,
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            ledger.create_accounts(&[input], 1),
            vec![(0, expected)],
            "{input:?}"
        );
    }
    assert!(ledger.take_effect().is_empty());
}

#[test]
fn account_idempotency_codes() {
    let mut ledger = Ledger::new();
    let base = Account {
        user_data_128: 7,
        user_data_64: 8,
        user_data_32: 9,
        ..account(1)
    };
    assert!(ledger.create_accounts(&[base], 5).is_empty());
    let stored = *ledger.account(1).unwrap();
    assert_eq!(stored.timestamp, 5);
    let closed = AccountFlags {
        closed: true,
        ..AccountFlags::default()
    };
    let cases = [
        (base, A::Exists),
        (
            Account {
                flags: closed,
                ..base
            },
            A::ExistsWithDifferentFlags,
        ),
        (
            Account {
                user_data_128: 1,
                ..base
            },
            A::ExistsWithDifferentUserData128,
        ),
        (
            Account {
                user_data_64: 1,
                ..base
            },
            A::ExistsWithDifferentUserData64,
        ),
        (
            Account {
                user_data_32: 1,
                ..base
            },
            A::ExistsWithDifferentUserData32,
        ),
        (Account { ledger: 1, ..base }, A::ExistsWithDifferentLedger),
        (Account { code: 1, ..base }, A::ExistsWithDifferentCode),
    ];
    for (input, expected) in cases {
        assert_eq!(ledger.create_accounts(&[input], 9), vec![(0, expected)]);
    }
    assert_eq!(*ledger.account(1).unwrap(), stored);
}

#[test]
fn account_linked_chain() {
    let mut ledger = Ledger::new();
    let mut first = account(1);
    first.flags.linked = true;
    let batch = [first, account(0), account(3)];
    assert_eq!(
        ledger.create_accounts(&batch, 1),
        vec![(0, A::LinkedEventFailed), (1, A::IdMustNotBeZero)]
    );
    assert!(ledger.account(1).is_none());
    assert!(ledger.account(3).is_some());
    let mut open = account(4);
    open.flags.linked = true;
    assert_eq!(
        ledger.create_accounts(&[first, open], 2),
        vec![(0, A::LinkedEventFailed), (1, A::LinkedEventChainOpen)]
    );
    assert!(ledger.account(4).is_none());
    let effect = ledger.take_effect();
    assert_eq!(
        effect
            .accounts_created
            .iter()
            .map(|a| a.id)
            .collect::<Vec<_>>(),
        vec![3]
    );
}

#[test]
fn transfer_validation_codes() {
    let mut ledger = setup();
    let good = transfer(100, 1, 2, 10);
    let flags = |f: fn(&mut TransferFlags)| {
        let mut flags = TransferFlags::default();
        f(&mut flags);
        flags
    };
    let cases = [
        (
            Transfer {
                timestamp: 1,
                ..good
            },
            T::TimestampMustBeZero,
        ),
        (Transfer { id: 0, ..good }, T::IdMustNotBeZero),
        (
            Transfer {
                id: u128::MAX,
                ..good
            },
            T::IdMustNotBeIntMax,
        ),
        (
            Transfer {
                flags: flags(|f| {
                    f.pending = true;
                    f.post_pending_transfer = true
                }),
                ..good
            },
            T::FlagsAreMutuallyExclusive,
        ),
        (
            Transfer {
                flags: flags(|f| {
                    f.post_pending_transfer = true;
                    f.void_pending_transfer = true
                }),
                ..good
            },
            T::FlagsAreMutuallyExclusive,
        ),
        (
            Transfer {
                flags: flags(|f| {
                    f.balancing_debit = true;
                    f.void_pending_transfer = true
                }),
                ..good
            },
            T::FlagsAreMutuallyExclusive,
        ),
        (
            Transfer {
                debit_account_id: 0,
                ..good
            },
            T::DebitAccountIdMustNotBeZero,
        ),
        (
            Transfer {
                debit_account_id: u128::MAX,
                ..good
            },
            T::DebitAccountIdMustNotBeIntMax,
        ),
        (
            Transfer {
                credit_account_id: 0,
                ..good
            },
            T::CreditAccountIdMustNotBeZero,
        ),
        (
            Transfer {
                credit_account_id: u128::MAX,
                ..good
            },
            T::CreditAccountIdMustNotBeIntMax,
        ),
        (
            Transfer {
                credit_account_id: 1,
                ..good
            },
            T::AccountsMustBeDifferent,
        ),
        (
            Transfer {
                pending_id: 5,
                ..good
            },
            T::PendingIdMustBeZero,
        ),
        (
            Transfer { timeout: 5, ..good },
            T::TimeoutReservedForPendingTransfer,
        ),
        (Transfer { amount: 0, ..good }, T::AmountMustNotBeZero),
        (Transfer { ledger: 0, ..good }, T::LedgerMustNotBeZero),
        (Transfer { code: 0, ..good }, T::CodeMustNotBeZero),
        (
            Transfer {
                debit_account_id: 77,
                ..good
            },
            T::DebitAccountNotFound,
        ),
        (
            Transfer {
                credit_account_id: 77,
                ..good
            },
            T::CreditAccountNotFound,
        ),
        (
            Transfer {
                credit_account_id: 9,
                ..good
            },
            T::AccountsMustHaveTheSameLedger,
        ),
        (
            Transfer {
                ledger: 840,
                ..good
            },
            T::TransferMustHaveTheSameLedgerAsAccounts,
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(one(&mut ledger, input, 10), Some(expected), "{input:?}");
    }
    assert_eq!(ledger.transfer_count(), 0);
    assert!(ledger.take_effect().is_empty());
}

#[test]
fn posted_transfer_moves_balances_and_reports_effect() {
    let mut ledger = setup();
    assert_eq!(one(&mut ledger, transfer(100, 1, 2, 35_000), 10_000), None);
    assert_eq!(balances(&ledger, 1), [0, 35_000, 0, 0]);
    assert_eq!(balances(&ledger, 2), [0, 0, 0, 35_000]);
    let stored = *ledger.transfer(100).unwrap();
    assert_eq!(stored.timestamp, 10_000);
    let effect = ledger.take_effect();
    assert_eq!(effect.transfers_created, vec![stored]);
    let ids: Vec<u128> = effect.accounts_updated.iter().map(|a| a.id).collect();
    assert_eq!(ids, vec![1, 2]);
    assert!(effect.accounts_created.is_empty() && effect.pending_states.is_empty());
    assert!(ledger.take_effect().is_empty());
}

#[test]
fn timestamps_are_unique_and_increasing() {
    let mut ledger = setup();
    let batch = [transfer(100, 1, 2, 1), transfer(101, 1, 2, 1)];
    assert!(ledger.create_transfers(&batch, 5).is_empty());
    // `now` is earlier than the accounts' timestamps: the ledger moves past them.
    let first = ledger.transfer(100).unwrap().timestamp;
    assert_eq!(ledger.transfer(101).unwrap().timestamp, first + 1);
    assert!(first > 1_000);
    assert!(
        ledger
            .create_transfers(&[transfer(102, 1, 2, 1)], 5)
            .is_empty()
    );
    assert_eq!(ledger.transfer(102).unwrap().timestamp, first + 2);
}

#[test]
fn transfer_idempotency_codes() {
    let mut ledger = setup();
    let base = Transfer {
        user_data_128: 1,
        user_data_64: 2,
        user_data_32: 3,
        ..transfer(100, 1, 2, 50)
    };
    assert_eq!(one(&mut ledger, base, 10), None);
    let pending_flags = TransferFlags {
        pending: true,
        ..TransferFlags::default()
    };
    let cases = [
        (base, T::Exists),
        (
            Transfer {
                flags: pending_flags,
                ..base
            },
            T::ExistsWithDifferentFlags,
        ),
        (
            Transfer {
                debit_account_id: 3,
                ..base
            },
            T::ExistsWithDifferentDebitAccountId,
        ),
        (
            Transfer {
                credit_account_id: 3,
                ..base
            },
            T::ExistsWithDifferentCreditAccountId,
        ),
        (
            Transfer { amount: 51, ..base },
            T::ExistsWithDifferentAmount,
        ),
        (
            Transfer {
                ledger: 840,
                debit_account_id: 9,
                ..base
            },
            T::ExistsWithDifferentDebitAccountId,
        ),
        (Transfer { code: 2, ..base }, T::ExistsWithDifferentCode),
        (
            Transfer {
                user_data_128: 9,
                ..base
            },
            T::ExistsWithDifferentUserData128,
        ),
        (
            Transfer {
                user_data_64: 9,
                ..base
            },
            T::ExistsWithDifferentUserData64,
        ),
        (
            Transfer {
                user_data_32: 9,
                ..base
            },
            T::ExistsWithDifferentUserData32,
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(one(&mut ledger, input, 20), Some(expected), "{input:?}");
    }
    assert_eq!(balances(&ledger, 1), [0, 50, 0, 0]);
}

#[test]
fn idempotency_ledger_timeout_and_pending_id() {
    let mut ledger = setup();
    let base = pending(100, 1, 2, 50, 60);
    assert_eq!(one(&mut ledger, base, 10), None);
    assert_eq!(
        one(
            &mut ledger,
            Transfer {
                timeout: 61,
                ..base
            },
            20
        ),
        Some(T::ExistsWithDifferentTimeout)
    );
    // A different ledger with otherwise identical accounts: reported as a different ledger.
    assert_eq!(
        one(&mut ledger, Transfer { ledger: 5, ..base }, 20),
        Some(T::ExistsWithDifferentLedger)
    );
    assert_eq!(one(&mut ledger, post(101, 100, 0), 30), None);
    assert_eq!(one(&mut ledger, post(101, 100, 0), 40), Some(T::Exists));
    // The stored post has the pending transfer's amount, accounts, ledger and code filled in.
    assert_eq!(one(&mut ledger, post(101, 100, 50), 40), Some(T::Exists));
    let filled = Transfer {
        debit_account_id: 1,
        credit_account_id: 2,
        ledger: LEDGER,
        code: 1,
        ..post(101, 100, 0)
    };
    assert_eq!(one(&mut ledger, filled, 40), Some(T::Exists));
    assert_eq!(
        one(&mut ledger, post(101, 100, 49), 40),
        Some(T::ExistsWithDifferentAmount)
    );
    assert_eq!(
        one(&mut ledger, post(101, 7, 0), 40),
        Some(T::ExistsWithDifferentPendingId)
    );
    let other_credit = Transfer {
        credit_account_id: 3,
        ..post(101, 100, 0)
    };
    assert_eq!(
        one(&mut ledger, other_credit, 40),
        Some(T::ExistsWithDifferentCreditAccountId)
    );
}

#[test]
fn pending_post_in_full() {
    let mut ledger = setup();
    assert_eq!(one(&mut ledger, pending(100, 1, 2, 500, 0), 10), None);
    assert_eq!(balances(&ledger, 1), [500, 0, 0, 0]);
    assert_eq!(balances(&ledger, 2), [0, 0, 500, 0]);
    assert_eq!(ledger.pending_state(100), Some(PendingState::Pending));
    assert_eq!(one(&mut ledger, post(101, 100, 0), 20), None);
    assert_eq!(balances(&ledger, 1), [0, 500, 0, 0]);
    assert_eq!(balances(&ledger, 2), [0, 0, 0, 500]);
    assert_eq!(ledger.pending_state(100), Some(PendingState::Posted));
    let stored = *ledger.transfer(101).unwrap();
    assert_eq!(
        (stored.amount, stored.debit_account_id, stored.code),
        (500, 1, 1)
    );
    let effect = ledger.take_effect();
    assert_eq!(effect.pending_states, vec![(100, PendingState::Posted)]);
    assert_eq!(effect.transfers_created.len(), 2);
}

#[test]
fn pending_post_in_part_releases_the_rest() {
    let mut ledger = setup();
    assert_eq!(one(&mut ledger, pending(100, 1, 2, 500, 0), 10), None);
    assert_eq!(
        one(&mut ledger, post(101, 100, 501), 20),
        Some(T::ExceedsPendingTransferAmount)
    );
    assert_eq!(one(&mut ledger, post(101, 100, 200), 20), None);
    assert_eq!(balances(&ledger, 1), [0, 200, 0, 0]);
    assert_eq!(balances(&ledger, 2), [0, 0, 0, 200]);
    assert_eq!(
        one(&mut ledger, post(102, 100, 100), 30),
        Some(T::PendingTransferAlreadyPosted)
    );
    assert_eq!(
        one(&mut ledger, void(102, 100), 30),
        Some(T::PendingTransferAlreadyPosted)
    );
}

#[test]
fn void_releases_and_resolves_once() {
    let mut ledger = setup();
    assert_eq!(one(&mut ledger, pending(100, 1, 2, 500, 0), 10), None);
    let wrong = Transfer {
        amount: 7,
        ..void(101, 100)
    };
    assert_eq!(
        one(&mut ledger, wrong, 20),
        Some(T::PendingTransferHasDifferentAmount)
    );
    assert_eq!(
        one(
            &mut ledger,
            Transfer {
                amount: 500,
                ..void(101, 100)
            },
            20
        ),
        None
    );
    assert_eq!(balances(&ledger, 1), [0, 0, 0, 0]);
    assert_eq!(ledger.pending_state(100), Some(PendingState::Voided));
    assert_eq!(
        one(&mut ledger, void(102, 100), 30),
        Some(T::PendingTransferAlreadyVoided)
    );
    assert_eq!(
        one(&mut ledger, post(102, 100, 0), 30),
        Some(T::PendingTransferAlreadyVoided)
    );
}

#[test]
fn post_or_void_validation_codes() {
    let mut ledger = setup();
    assert_eq!(one(&mut ledger, pending(100, 1, 2, 500, 0), 10), None);
    assert_eq!(one(&mut ledger, transfer(50, 1, 2, 5), 10), None);
    let cases = [
        (post(101, 0, 0), T::PendingIdMustNotBeZero),
        (post(101, u128::MAX, 0), T::PendingIdMustNotBeIntMax),
        (post(101, 101, 0), T::PendingIdMustBeDifferent),
        (
            Transfer {
                timeout: 1,
                ..post(101, 100, 0)
            },
            T::TimeoutReservedForPendingTransfer,
        ),
        (post(101, 999, 0), T::PendingTransferNotFound),
        (post(101, 50, 0), T::PendingTransferNotPending),
        (
            Transfer {
                debit_account_id: 3,
                ..post(101, 100, 0)
            },
            T::PendingTransferHasDifferentDebitAccountId,
        ),
        (
            Transfer {
                credit_account_id: 3,
                ..void(101, 100)
            },
            T::PendingTransferHasDifferentCreditAccountId,
        ),
        (
            Transfer {
                ledger: 1,
                ..post(101, 100, 0)
            },
            T::PendingTransferHasDifferentLedger,
        ),
        (
            Transfer {
                code: 2,
                ..post(101, 100, 0)
            },
            T::PendingTransferHasDifferentCode,
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(one(&mut ledger, input, 20), Some(expected), "{input:?}");
    }
    assert_eq!(ledger.pending_state(100), Some(PendingState::Pending));
}

#[test]
fn expiry_is_checked_at_post_time_and_released_by_expire_pending() {
    let mut ledger = setup();
    assert_eq!(
        one(&mut ledger, pending(100, 1, 2, 500, 60), 10 * SECOND),
        None
    );
    assert_eq!(
        one(&mut ledger, pending(101, 1, 2, 300, 60), 10 * SECOND),
        None
    );
    assert!(ledger.expiring(70 * SECOND - 1).is_empty());
    // Before expire_pending runs, a post at or after expires_at already fails.
    assert_eq!(
        one(&mut ledger, post(102, 100, 0), 70 * SECOND),
        Some(T::PendingTransferExpired)
    );
    assert_eq!(balances(&ledger, 1), [800, 0, 0, 0]);
    let expired = ledger.expire_pending(70 * SECOND + 1);
    assert_eq!(expired, vec![100, 101]);
    ledger.check_invariants().unwrap();
    assert_eq!(balances(&ledger, 1), [0, 0, 0, 0]);
    assert_eq!(ledger.pending_state(100), Some(PendingState::Expired));
    assert_eq!(
        one(&mut ledger, void(102, 100), 80 * SECOND),
        Some(T::PendingTransferExpired)
    );
    let effect = ledger.take_effect();
    assert!(
        effect
            .pending_states
            .contains(&(101, PendingState::Expired))
    );
    assert!(ledger.expire_pending(u64::MAX / 2).is_empty());
}

#[test]
fn pending_without_timeout_never_expires() {
    let mut ledger = setup();
    assert_eq!(one(&mut ledger, pending(100, 1, 2, 500, 0), 10), None);
    assert!(ledger.expire_pending(u64::MAX / 2).is_empty());
    assert_eq!(one(&mut ledger, post(101, 100, 0), u64::MAX / 2), None);
}

#[test]
fn timeout_overflow() {
    let mut ledger = setup();
    let t = pending(100, 1, 2, 5, u32::MAX);
    assert_eq!(
        one(&mut ledger, t, u64::MAX - 10 * SECOND),
        Some(T::OverflowsTimeout)
    );
}

#[test]
fn debits_must_not_exceed_credits_counts_pending() {
    let mut ledger = setup();
    assert_eq!(
        one(&mut ledger, transfer(100, 4, 1, 1), 10),
        Some(T::ExceedsCredits)
    );
    assert_eq!(one(&mut ledger, transfer(101, 1, 4, 100), 10), None);
    assert_eq!(one(&mut ledger, pending(102, 4, 2, 60, 0), 10), None);
    assert_eq!(
        one(&mut ledger, transfer(103, 4, 2, 41), 10),
        Some(T::ExceedsCredits)
    );
    assert_eq!(one(&mut ledger, transfer(103, 4, 2, 40), 10), None);
    assert_eq!(one(&mut ledger, void(104, 102), 10), None);
    assert_eq!(one(&mut ledger, transfer(105, 4, 2, 60), 10), None);
    assert_eq!(balances(&ledger, 4), [0, 100, 0, 100]);
}

#[test]
fn credits_must_not_exceed_debits() {
    let mut ledger = setup();
    assert_eq!(
        one(&mut ledger, transfer(100, 1, 5, 1), 10),
        Some(T::ExceedsDebits)
    );
    assert_eq!(one(&mut ledger, transfer(101, 5, 1, 10), 10), None);
    assert_eq!(one(&mut ledger, pending(102, 2, 5, 10, 0), 10), None);
    assert_eq!(
        one(&mut ledger, transfer(103, 2, 5, 1), 10),
        Some(T::ExceedsDebits)
    );
}

#[test]
fn balancing_transfers_clamp() {
    let mut ledger = setup();
    assert_eq!(one(&mut ledger, transfer(100, 1, 4, 70), 10), None);
    let flags = TransferFlags {
        balancing_debit: true,
        ..TransferFlags::default()
    };
    let sweep = Transfer {
        flags,
        ..transfer(101, 4, 2, u64::MAX)
    };
    assert_eq!(one(&mut ledger, sweep, 10), None);
    assert_eq!(ledger.transfer(101).unwrap().amount, 70);
    assert_eq!(balances(&ledger, 4), [0, 70, 0, 70]);
    // Retry with the same (or a larger) maximum: Exists; a smaller one: different amount.
    assert_eq!(one(&mut ledger, sweep, 10), Some(T::Exists));
    assert_eq!(
        one(
            &mut ledger,
            Transfer {
                amount: 69,
                ..sweep
            },
            10
        ),
        Some(T::ExistsWithDifferentAmount)
    );
    assert_eq!(
        one(&mut ledger, Transfer { id: 102, ..sweep }, 10),
        Some(T::ExceedsCredits)
    );
    let flags = TransferFlags {
        balancing_credit: true,
        ..TransferFlags::default()
    };
    let fill = Transfer {
        flags,
        ..transfer(103, 1, 5, 10)
    };
    assert_eq!(one(&mut ledger, fill, 10), Some(T::ExceedsDebits));
}

#[test]
fn closed_accounts() {
    let mut ledger = setup();
    let closed = AccountFlags {
        closed: true,
        ..AccountFlags::default()
    };
    assert!(
        ledger
            .create_accounts(
                &[Account {
                    flags: closed,
                    ..account(20)
                }],
                10
            )
            .is_empty()
    );
    assert_eq!(
        one(&mut ledger, transfer(100, 20, 1, 1), 10),
        Some(T::DebitAccountAlreadyClosed)
    );
    assert_eq!(
        one(&mut ledger, transfer(100, 1, 20, 1), 10),
        Some(T::CreditAccountAlreadyClosed)
    );
}

#[test]
fn balance_overflow_is_rejected_not_wrapped() {
    let mut ledger = setup();
    assert_eq!(one(&mut ledger, transfer(100, 1, 2, MAX_BALANCE), 10), None);
    assert_eq!(
        one(&mut ledger, transfer(101, 1, 3, 1), 10),
        Some(T::OverflowsDebitsPosted)
    );
    assert_eq!(
        one(&mut ledger, transfer(101, 3, 2, 1), 10),
        Some(T::OverflowsCreditsPosted)
    );
    assert_eq!(one(&mut ledger, transfer(101, 3, 1, MAX_BALANCE), 10), None);
    assert_eq!(
        one(&mut ledger, pending(102, 2, 3, MAX_BALANCE, 0), 10),
        None
    );
    assert_eq!(
        one(&mut ledger, pending(103, 2, 1, 1, 0), 10),
        Some(T::OverflowsDebitsPending)
    );
    assert_eq!(
        one(&mut ledger, pending(103, 1, 3, 1, 0), 10),
        Some(T::OverflowsCreditsPending)
    );
    assert_eq!(
        one(&mut ledger, transfer(104, 1, 2, u64::MAX), 10),
        Some(T::OverflowsDebitsPosted)
    );
}

#[test]
fn post_overflow_is_rejected() {
    let mut ledger = setup();
    assert_eq!(one(&mut ledger, pending(100, 1, 2, 10, 0), 10), None);
    assert_eq!(
        one(&mut ledger, transfer(101, 1, 3, MAX_BALANCE - 5), 10),
        None
    );
    assert_eq!(
        one(&mut ledger, post(102, 100, 0), 10),
        Some(T::OverflowsDebitsPosted)
    );
    assert_eq!(one(&mut ledger, post(102, 100, 5), 10), None);
}

#[test]
fn linked_chain_all_or_nothing() {
    let mut ledger = setup();
    let batch = [
        linked(transfer(100, 1, 2, 10)),
        linked(pending(101, 2, 3, 5, 0)),
        transfer(102, 4, 1, 1), // fails: account 4 has no credits
        transfer(103, 1, 2, 7),
    ];
    let results = ledger.create_transfers(&batch, 10);
    assert_eq!(
        results,
        vec![
            (0, T::LinkedEventFailed),
            (1, T::LinkedEventFailed),
            (2, T::ExceedsCredits)
        ]
    );
    ledger.check_invariants().unwrap();
    assert!(ledger.transfer(100).is_none() && ledger.transfer(101).is_none());
    assert_eq!(ledger.pending_state(101), None);
    assert_eq!(balances(&ledger, 1), [0, 7, 0, 0]);
    let effect = ledger.take_effect();
    assert_eq!(effect.transfers_created.len(), 1);
    assert!(effect.pending_states.is_empty());
}

#[test]
fn linked_chain_events_after_failure_are_not_applied() {
    let mut ledger = setup();
    let batch = [
        linked(transfer(100, 4, 1, 1)),
        linked(transfer(101, 1, 2, 1)),
        transfer(102, 1, 2, 1),
        transfer(103, 1, 2, 1),
    ];
    let results = ledger.create_transfers(&batch, 10);
    assert_eq!(
        results,
        vec![
            (0, T::ExceedsCredits),
            (1, T::LinkedEventFailed),
            (2, T::LinkedEventFailed)
        ]
    );
    assert_eq!(balances(&ledger, 1), [0, 1, 0, 0]);
}

#[test]
fn linked_chain_open_at_batch_end() {
    let mut ledger = setup();
    let batch = [
        transfer(99, 1, 2, 1),
        linked(transfer(100, 1, 2, 1)),
        linked(transfer(101, 1, 2, 1)),
    ];
    let results = ledger.create_transfers(&batch, 10);
    assert_eq!(
        results,
        vec![(1, T::LinkedEventFailed), (2, T::LinkedEventChainOpen)]
    );
    assert_eq!(balances(&ledger, 1), [0, 1, 0, 0]);
    assert_eq!(
        ledger.create_transfers(&[linked(transfer(102, 1, 2, 1))], 10),
        vec![(0, T::LinkedEventChainOpen)]
    );
}

#[test]
fn linked_chain_rolls_back_post_and_duplicate_inside_chain() {
    let mut ledger = setup();
    assert_eq!(one(&mut ledger, pending(100, 1, 2, 50, 0), 10), None);
    let batch = [
        linked(post(101, 100, 20)),
        linked(transfer(102, 2, 3, 5)),
        transfer(102, 2, 3, 5),
    ];
    let results = ledger.create_transfers(&batch, 10);
    assert_eq!(
        results,
        // Event 2 closes the chain and reuses id 102 (created by event 1, differing only in
        // `linked`): its own error fails the whole chain.
        vec![
            (0, T::LinkedEventFailed),
            (1, T::LinkedEventFailed),
            (2, T::ExistsWithDifferentFlags)
        ]
    );
    assert!(ledger.transfer(102).is_none());
    assert_eq!(ledger.pending_state(100), Some(PendingState::Pending));
    assert_eq!(balances(&ledger, 1), [50, 0, 0, 0]);
    // The same post now succeeds on its own.
    assert_eq!(one(&mut ledger, post(101, 100, 20), 10), None);
}

#[test]
fn successful_chain_commits() {
    let mut ledger = setup();
    let batch = [
        linked(transfer(100, 1, 2, 10)),
        linked(transfer(101, 2, 3, 4)),
        transfer(102, 3, 1, 1),
    ];
    assert!(ledger.create_transfers(&batch, 10).is_empty());
    assert_eq!(balances(&ledger, 2), [0, 4, 0, 10]);
    ledger.check_invariants().unwrap();
}

#[test]
fn references_and_loading_reproduce_outcomes() {
    let mut full = setup();
    assert_eq!(one(&mut full, pending(100, 1, 2, 50, 0), 10), None);
    full.take_effect();
    let batch = [
        post(101, 100, 0),
        transfer(102, 3, 1, 5),
        transfer(103, 1, 2, 1),
    ];
    let refs = references(&batch);
    assert_eq!(refs.account_ids, vec![1, 2, 3]);
    assert_eq!(refs.transfer_ids, vec![100, 101, 102, 103]);
    // A cache holding only what the batch references decides the same outcomes.
    let mut cache = Ledger::new();
    let mut refs = refs;
    let loaded: Vec<Transfer> = refs
        .transfer_ids
        .iter()
        .filter_map(|id| full.transfer(*id).copied())
        .collect();
    refs.add_accounts_of(&loaded);
    for transfer in &loaded {
        cache.load_transfer(*transfer, full.pending_state(transfer.id));
    }
    for id in &refs.account_ids {
        cache.load_account(*full.account(*id).unwrap());
    }
    cache.observe_timestamp(full.last_timestamp());
    let expected = full.create_transfers(&batch, 20);
    assert_eq!(cache.create_transfers(&batch, 20), expected);
    assert_eq!(cache.take_effect(), full.take_effect());
}

#[test]
fn flags_round_trip_bits() {
    for bits in 0..64u16 {
        assert_eq!(TransferFlags::from_bits(bits).unwrap().bits(), bits);
    }
    assert!(TransferFlags::from_bits(64).is_none());
    for bits in 0..16u16 {
        assert_eq!(AccountFlags::from_bits(bits).unwrap().bits(), bits);
    }
    assert!(AccountFlags::from_bits(16).is_none());
}

#[test]
fn check_invariants_detects_imbalance() {
    let mut ledger = Ledger::new();
    ledger.load_account(Account {
        debits_posted: 5,
        ..account(1)
    });
    assert!(ledger.check_invariants().is_err());
    ledger.load_account(Account {
        credits_posted: 5,
        ..account(2)
    });
    ledger.check_invariants().unwrap();
    ledger.load_account(Account {
        debits_posted: 5,
        ..limited_debit(3)
    });
    ledger.load_account(Account {
        credits_posted: 5,
        ..account(4)
    });
    assert!(ledger.check_invariants().unwrap_err().contains("account 3"));
}
