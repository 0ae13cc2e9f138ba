//! The two objects of the ledger: [`Account`] and [`Transfer`], and their flags.

use serde::{Deserialize, Serialize};

/// Largest value any balance field may reach: `i64::MAX` đồng.
///
/// Balances are `u64` but capped here so that every amount and every balance fits a signed
/// 64-bit `BIGINT` column on SQLite and PostgreSQL without loss (sqlx passes only i16–i64
/// integers portably). 9.2 × 10^18 đồng is about 10^5 times Vietnam's yearly GDP.
pub const MAX_BALANCE: u64 = i64::MAX as u64;

/// Nanoseconds per second: `timeout` is in seconds, timestamps are in nanoseconds.
pub const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// Account flags. Stored as a `u16` bit set with [`AccountFlags::bits`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AccountFlags {
    /// Chains this event to the next one in the batch (all commit or all fail).
    pub linked: bool,
    /// `debits_pending + debits_posted` may never exceed `credits_posted`.
    pub debits_must_not_exceed_credits: bool,
    /// `credits_pending + credits_posted` may never exceed `debits_posted`.
    pub credits_must_not_exceed_debits: bool,
    /// No new transfer and no post may touch this account (voids and expiry still release).
    pub closed: bool,
}

impl AccountFlags {
    /// Bit of [`AccountFlags::linked`].
    pub const LINKED: u16 = 1 << 0;
    /// Bit of [`AccountFlags::debits_must_not_exceed_credits`].
    pub const DEBITS_MUST_NOT_EXCEED_CREDITS: u16 = 1 << 1;
    /// Bit of [`AccountFlags::credits_must_not_exceed_debits`].
    pub const CREDITS_MUST_NOT_EXCEED_DEBITS: u16 = 1 << 2;
    /// Bit of [`AccountFlags::closed`].
    pub const CLOSED: u16 = 1 << 3;
    const ALL: u16 = Self::LINKED
        | Self::DEBITS_MUST_NOT_EXCEED_CREDITS
        | Self::CREDITS_MUST_NOT_EXCEED_DEBITS
        | Self::CLOSED;

    /// The flags as a bit set (for a `SMALLINT` column).
    pub fn bits(self) -> u16 {
        let mut bits = 0;
        if self.linked {
            bits |= Self::LINKED;
        }
        if self.debits_must_not_exceed_credits {
            bits |= Self::DEBITS_MUST_NOT_EXCEED_CREDITS;
        }
        if self.credits_must_not_exceed_debits {
            bits |= Self::CREDITS_MUST_NOT_EXCEED_DEBITS;
        }
        if self.closed {
            bits |= Self::CLOSED;
        }
        bits
    }

    /// Parses a bit set; `None` if an unknown bit is set.
    pub fn from_bits(bits: u16) -> Option<Self> {
        if bits & !Self::ALL != 0 {
            return None;
        }
        Some(Self {
            linked: bits & Self::LINKED != 0,
            debits_must_not_exceed_credits: bits & Self::DEBITS_MUST_NOT_EXCEED_CREDITS != 0,
            credits_must_not_exceed_debits: bits & Self::CREDITS_MUST_NOT_EXCEED_DEBITS != 0,
            closed: bits & Self::CLOSED != 0,
        })
    }
}

/// Transfer flags. Stored as a `u16` bit set with [`TransferFlags::bits`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TransferFlags {
    /// Chains this event to the next one in the batch (all commit or all fail).
    pub linked: bool,
    /// Reserve the amount (`*_pending`) until posted, voided or expired.
    pub pending: bool,
    /// Post the pending transfer `pending_id` (in full with amount 0, or in part).
    pub post_pending_transfer: bool,
    /// Void the pending transfer `pending_id`.
    pub void_pending_transfer: bool,
    /// Clamp the amount to what the debit account's credit balance allows.
    pub balancing_debit: bool,
    /// Clamp the amount to what the credit account's debit balance allows.
    pub balancing_credit: bool,
}

impl TransferFlags {
    /// Bit of [`TransferFlags::linked`].
    pub const LINKED: u16 = 1 << 0;
    /// Bit of [`TransferFlags::pending`].
    pub const PENDING: u16 = 1 << 1;
    /// Bit of [`TransferFlags::post_pending_transfer`].
    pub const POST_PENDING_TRANSFER: u16 = 1 << 2;
    /// Bit of [`TransferFlags::void_pending_transfer`].
    pub const VOID_PENDING_TRANSFER: u16 = 1 << 3;
    /// Bit of [`TransferFlags::balancing_debit`].
    pub const BALANCING_DEBIT: u16 = 1 << 4;
    /// Bit of [`TransferFlags::balancing_credit`].
    pub const BALANCING_CREDIT: u16 = 1 << 5;
    const ALL: u16 = (1 << 6) - 1;

    /// The flags as a bit set (for a `SMALLINT` column).
    pub fn bits(self) -> u16 {
        let pairs = [
            (self.linked, Self::LINKED),
            (self.pending, Self::PENDING),
            (self.post_pending_transfer, Self::POST_PENDING_TRANSFER),
            (self.void_pending_transfer, Self::VOID_PENDING_TRANSFER),
            (self.balancing_debit, Self::BALANCING_DEBIT),
            (self.balancing_credit, Self::BALANCING_CREDIT),
        ];
        pairs
            .iter()
            .filter(|(set, _)| *set)
            .fold(0, |bits, (_, bit)| bits | bit)
    }

    /// Parses a bit set; `None` if an unknown bit is set.
    pub fn from_bits(bits: u16) -> Option<Self> {
        if bits & !Self::ALL != 0 {
            return None;
        }
        Some(Self {
            linked: bits & Self::LINKED != 0,
            pending: bits & Self::PENDING != 0,
            post_pending_transfer: bits & Self::POST_PENDING_TRANSFER != 0,
            void_pending_transfer: bits & Self::VOID_PENDING_TRANSFER != 0,
            balancing_debit: bits & Self::BALANCING_DEBIT != 0,
            balancing_credit: bits & Self::BALANCING_CREDIT != 0,
        })
    }

    /// True for a post or a void (an event that resolves a pending transfer).
    pub fn resolves_pending(self) -> bool {
        self.post_pending_transfer || self.void_pending_transfer
    }
}

/// An account: cumulative debit and credit totals, pending and posted.
///
/// Balances are derived by the application (`credits_posted - debits_posted` for a liability).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Account {
    /// Client-chosen unique id; not 0, not `u128::MAX`.
    pub id: u128,
    /// Amount reserved by pending transfers debiting this account.
    pub debits_pending: u64,
    /// Amount posted by transfers debiting this account.
    pub debits_posted: u64,
    /// Amount reserved by pending transfers crediting this account.
    pub credits_pending: u64,
    /// Amount posted by transfers crediting this account.
    pub credits_posted: u64,
    /// Free metadata (e.g. a foreign key).
    pub user_data_128: u128,
    /// Free metadata.
    pub user_data_64: u64,
    /// Free metadata.
    pub user_data_32: u32,
    /// Partition: only accounts of the same ledger (currency / asset) transact; not 0.
    pub ledger: u32,
    /// Chart-of-accounts code; not 0.
    pub code: u16,
    /// Flags.
    pub flags: AccountFlags,
    /// Set by the ledger (ns); must be 0 on input.
    pub timestamp: u64,
}

/// A transfer: an immutable movement of `amount` from a debit to a credit account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Transfer {
    /// Client-chosen unique id (idempotency key); not 0, not `u128::MAX`.
    pub id: u128,
    /// Account debited.
    pub debit_account_id: u128,
    /// Account credited.
    pub credit_account_id: u128,
    /// Amount in đồng. Positive, except a post (0 = the full pending amount) and a void (0 or
    /// the pending amount). For balancing transfers, the maximum to move.
    pub amount: u64,
    /// For a post or void: the pending transfer it resolves; otherwise 0.
    pub pending_id: u128,
    /// Free metadata.
    pub user_data_128: u128,
    /// Free metadata.
    pub user_data_64: u64,
    /// Free metadata.
    pub user_data_32: u32,
    /// Seconds after `timestamp` when a pending transfer expires; 0 = never. Only with `pending`.
    pub timeout: u32,
    /// Ledger; must equal the accounts' ledger.
    pub ledger: u32,
    /// Reason code; not 0.
    pub code: u16,
    /// Flags.
    pub flags: TransferFlags,
    /// Set by the ledger (ns); must be 0 on input.
    pub timestamp: u64,
}

/// Life cycle of a pending transfer. Each pending transfer leaves `Pending` at most once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PendingState {
    /// Amount reserved.
    Pending,
    /// Posted (in full or in part) by a later transfer.
    Posted,
    /// Voided by a later transfer.
    Voided,
    /// Expired by timeout; reservation released.
    Expired,
}

impl Transfer {
    /// For a pending transfer with a timeout: the instant (ns) from which it is expired.
    /// `None` for no timeout or when the sum does not fit a `u64`.
    pub fn expires_at(&self) -> Option<u64> {
        if !self.flags.pending || self.timeout == 0 {
            return None;
        }
        let timeout_ns = u64::from(self.timeout).checked_mul(NANOS_PER_SECOND)?;
        self.timestamp.checked_add(timeout_ns)
    }
}
