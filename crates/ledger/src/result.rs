//! Result codes. Only failures are reported (like TigerBeetle): an event absent from the
//! returned list was applied. `Exists` is reported too: the event was *not* applied again.

use serde::{Deserialize, Serialize};

/// Why an account event was not applied, in the order the checks run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CreateAccountResult {
    /// Another event of its linked chain failed; nothing of the chain was applied.
    LinkedEventFailed,
    /// The batch ended with `linked` set on its last event: the chain is open.
    LinkedEventChainOpen,
    /// `timestamp` must be 0 on input (the ledger sets it).
    TimestampMustBeZero,
    /// `id` must not be 0.
    IdMustNotBeZero,
    /// `id` must not be `u128::MAX`.
    IdMustNotBeIntMax,
    /// `debits_must_not_exceed_credits` and `credits_must_not_exceed_debits` together.
    FlagsAreMutuallyExclusive,
    /// Balances must be 0 on creation.
    DebitsPendingMustBeZero,
    /// Balances must be 0 on creation.
    DebitsPostedMustBeZero,
    /// Balances must be 0 on creation.
    CreditsPendingMustBeZero,
    /// Balances must be 0 on creation.
    CreditsPostedMustBeZero,
    /// `ledger` must not be 0.
    LedgerMustNotBeZero,
    /// `code` must not be 0.
    CodeMustNotBeZero,
    /// Same id, different flags.
    ExistsWithDifferentFlags,
    /// Same id, different `user_data_128`.
    ExistsWithDifferentUserData128,
    /// Same id, different `user_data_64`.
    ExistsWithDifferentUserData64,
    /// Same id, different `user_data_32`.
    ExistsWithDifferentUserData32,
    /// Same id, different ledger.
    ExistsWithDifferentLedger,
    /// Same id, different code.
    ExistsWithDifferentCode,
    /// Same id, same body: already created, nothing changed (a retry; treat as success).
    Exists,
}

/// Why a transfer event was not applied, in the order the checks run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CreateTransferResult {
    /// Another event of its linked chain failed; nothing of the chain was applied.
    LinkedEventFailed,
    /// The batch ended with `linked` set on its last event: the chain is open.
    LinkedEventChainOpen,
    /// `timestamp` must be 0 on input.
    TimestampMustBeZero,
    /// `id` must not be 0.
    IdMustNotBeZero,
    /// `id` must not be `u128::MAX`.
    IdMustNotBeIntMax,
    /// Incompatible flags: pending/post/void are exclusive; balancing excludes post/void.
    FlagsAreMutuallyExclusive,
    /// Post/void: `pending_id` must not be 0.
    PendingIdMustNotBeZero,
    /// Post/void: `pending_id` must not be `u128::MAX`.
    PendingIdMustNotBeIntMax,
    /// Post/void: `pending_id` must differ from `id`.
    PendingIdMustBeDifferent,
    /// `timeout` is only allowed with `pending`.
    TimeoutReservedForPendingTransfer,
    /// `debit_account_id` must not be 0.
    DebitAccountIdMustNotBeZero,
    /// `debit_account_id` must not be `u128::MAX`.
    DebitAccountIdMustNotBeIntMax,
    /// `credit_account_id` must not be 0.
    CreditAccountIdMustNotBeZero,
    /// `credit_account_id` must not be `u128::MAX`.
    CreditAccountIdMustNotBeIntMax,
    /// Debit and credit account must differ.
    AccountsMustBeDifferent,
    /// `pending_id` must be 0 unless posting or voiding.
    PendingIdMustBeZero,
    /// `amount` must be positive (except post/void).
    AmountMustNotBeZero,
    /// `ledger` must not be 0.
    LedgerMustNotBeZero,
    /// `code` must not be 0.
    CodeMustNotBeZero,
    /// Same id, different flags.
    ExistsWithDifferentFlags,
    /// Same id, different `pending_id`.
    ExistsWithDifferentPendingId,
    /// Same id, different debit account.
    ExistsWithDifferentDebitAccountId,
    /// Same id, different credit account.
    ExistsWithDifferentCreditAccountId,
    /// Same id, different amount (balancing: a smaller maximum than the amount moved).
    ExistsWithDifferentAmount,
    /// Same id, different timeout.
    ExistsWithDifferentTimeout,
    /// Same id, different ledger.
    ExistsWithDifferentLedger,
    /// Same id, different code.
    ExistsWithDifferentCode,
    /// Same id, different `user_data_128`.
    ExistsWithDifferentUserData128,
    /// Same id, different `user_data_64`.
    ExistsWithDifferentUserData64,
    /// Same id, different `user_data_32`.
    ExistsWithDifferentUserData32,
    /// Same id, same body: already applied, nothing changed (a retry; treat as success).
    Exists,
    /// Post/void: no transfer with id `pending_id`.
    PendingTransferNotFound,
    /// Post/void: the transfer `pending_id` is not a pending transfer.
    PendingTransferNotPending,
    /// Post/void: a non-zero `debit_account_id` differs from the pending transfer's.
    PendingTransferHasDifferentDebitAccountId,
    /// Post/void: a non-zero `credit_account_id` differs from the pending transfer's.
    PendingTransferHasDifferentCreditAccountId,
    /// Post/void: a non-zero `ledger` differs from the pending transfer's.
    PendingTransferHasDifferentLedger,
    /// Post/void: a non-zero `code` differs from the pending transfer's.
    PendingTransferHasDifferentCode,
    /// Post: `amount` is larger than the pending amount.
    ExceedsPendingTransferAmount,
    /// Void: `amount` is neither 0 nor the pending amount.
    PendingTransferHasDifferentAmount,
    /// Post/void: the pending transfer was already posted.
    PendingTransferAlreadyPosted,
    /// Post/void: the pending transfer was already voided.
    PendingTransferAlreadyVoided,
    /// Post/void: the pending transfer has expired (at or before this event's timestamp).
    PendingTransferExpired,
    /// The debit account does not exist.
    DebitAccountNotFound,
    /// The credit account does not exist.
    CreditAccountNotFound,
    /// The two accounts are on different ledgers.
    AccountsMustHaveTheSameLedger,
    /// The transfer's ledger differs from the accounts'.
    TransferMustHaveTheSameLedgerAsAccounts,
    /// The debit account is closed (new transfer or post).
    DebitAccountAlreadyClosed,
    /// The credit account is closed (new transfer or post).
    CreditAccountAlreadyClosed,
    /// `timestamp + timeout` does not fit a `u64` of nanoseconds.
    OverflowsTimeout,
    /// `debits_pending` would exceed [`crate::MAX_BALANCE`].
    OverflowsDebitsPending,
    /// `credits_pending` would exceed [`crate::MAX_BALANCE`].
    OverflowsCreditsPending,
    /// `debits_posted` would exceed [`crate::MAX_BALANCE`].
    OverflowsDebitsPosted,
    /// `credits_posted` would exceed [`crate::MAX_BALANCE`].
    OverflowsCreditsPosted,
    /// The debit account has `debits_must_not_exceed_credits` and too little credit (a
    /// balancing debit that would move nothing fails with this too).
    ExceedsCredits,
    /// The credit account has `credits_must_not_exceed_debits` and too little debit (a
    /// balancing credit that would move nothing fails with this too).
    ExceedsDebits,
}

/// Result codes that a linked chain needs.
pub(crate) trait ChainResult: Copy {
    const LINKED_EVENT_FAILED: Self;
    const LINKED_EVENT_CHAIN_OPEN: Self;
}

impl ChainResult for CreateAccountResult {
    const LINKED_EVENT_FAILED: Self = Self::LinkedEventFailed;
    const LINKED_EVENT_CHAIN_OPEN: Self = Self::LinkedEventChainOpen;
}

impl ChainResult for CreateTransferResult {
    const LINKED_EVENT_FAILED: Self = Self::LinkedEventFailed;
    const LINKED_EVENT_CHAIN_OPEN: Self = Self::LinkedEventChainOpen;
}
