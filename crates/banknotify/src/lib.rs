//! Bank-notification webhooks for Halong: payOS, Casso (API v2), SePay and the VietQR.vn partner
//! callback.
//!
//! For each provider (one module each, with its wire types in `transformers`):
//! - `verify(headers, body, secret, now_unix)` checks the provider's documented authentication
//!   and normalises the body into one provider-neutral [`Notification`];
//! - `verify_with(…, &Options)` does the same with a configurable window, reference format and
//!   provider-specific switches;
//! - `sign(&SimTransfer, secret, now_unix)` builds a correctly authenticated request in the
//!   provider's real format, for the bank simulator (`halong sim bank`).
//!
//! The crate is pure: no I/O and no clock; the caller passes the current time.
//! Formats, schemes and what is verified versus only observed: `docs/banknotify.md`.
//!
//! ```
//! use banknotify::{Direction, Provider, SimTransfer, generate_reference, sign, verify};
//!
//! let now = 1_800_000_000;
//! let reference = generate_reference("HL", 42);
//! let tx = SimTransfer {
//!     provider_tx_id: "92704".into(),
//!     account_number: "0123499999".into(),
//!     virtual_account: None,
//!     bank_name: Some("Vietcombank".into()),
//!     amount: 35_000,
//!     direction: Direction::In,
//!     description: format!("MBVCB.3278907687.{reference}.CT tu 0987654321"),
//!     bank_reference: Some("MBVCB.3278907687".into()),
//!     order_id: None,
//!     occurred_at_unix: now - 3,
//!     counter_account: None,
//!     balance_after: None,
//! };
//! let req = sign(Provider::Casso, &tx, "checksum-key", now).unwrap();
//! let n = verify(Provider::Casso, &req.headers, &req.body, "checksum-key", now).unwrap();
//! assert_eq!(n.reference.as_deref(), Some(reference.as_str()));
//! assert_eq!((n.amount, n.direction), (35_000, Direction::In));
//! assert!(verify(Provider::Casso, &req.headers, &req.body, "wrong", now).is_err());
//! ```
#![forbid(unsafe_code)]

pub mod canonical;
pub mod casso;
mod error;
pub mod payos;
pub mod reference;
pub mod sepay;
mod util;
pub mod vietqr;

pub use error::NotifyError;
pub use reference::{
    DEFAULT_PREFIX, ReferenceFormat, extract_reference, extract_reference_with, generate_reference,
};
pub use util::{MAX_AMOUNT, VN_OFFSET_SECS, format_vn_local, parse_vn_time};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Default accepted clock difference for signed timestamps: 5 minutes.
pub const DEFAULT_WINDOW_SECS: i64 = 300;

/// The notification providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Payos,
    Casso,
    Sepay,
    Vietqr,
}

impl Provider {
    /// All providers, in a fixed order.
    pub const ALL: [Provider; 4] = [Self::Payos, Self::Casso, Self::Sepay, Self::Vietqr];

    /// Lower-case name, as in `/api/v1/notifications/{name}`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Payos => "payos",
            Self::Casso => "casso",
            Self::Sepay => "sepay",
            Self::Vietqr => "vietqr",
        }
    }

    /// The JSON body to answer an accepted (or duplicate) notification with, as documented by the
    /// provider (any 2xx is enough for payOS and Casso).
    pub fn ack_body(self, provider_tx_id: &str) -> String {
        match self {
            Self::Payos | Self::Casso => r#"{"success":true}"#.to_owned(),
            Self::Sepay => sepay::ACK_BODY.to_owned(),
            Self::Vietqr => vietqr::ack_body(provider_tx_id),
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Provider {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or(())
    }
}

/// Money into (`In`, credit) or out of (`Out`, debit) the watched account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    In,
    Out,
}

/// The other side of the transfer, when the provider tells it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CounterAccount {
    /// Bank identifier as sent (Casso: a NAPAS BIN such as `970415`; payOS: a bank id).
    pub bank_id: Option<String>,
    pub bank_name: Option<String>,
    pub name: Option<String>,
    pub number: Option<String>,
}

impl CounterAccount {
    fn from_parts(
        bank_id: Option<String>,
        bank_name: Option<String>,
        name: Option<String>,
        number: Option<String>,
    ) -> Option<Self> {
        let c = Self {
            bank_id,
            bank_name,
            name,
            number,
        };
        (c != Self::default()).then_some(c)
    }
}

/// One bank movement, provider-neutral: what the application stores and reconciles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub provider: Provider,
    /// Deduplication key, unique per provider (payOS `data.reference`, Casso `data.id`, SePay `id`,
    /// VietQR `transactionid`); store with a unique index on (provider, provider_tx_id).
    pub provider_tx_id: String,
    /// The watched (receiving) account number.
    pub account_number: String,
    /// Virtual account / sub-account the money was sent to, if any.
    pub virtual_account: Option<String>,
    /// NAPAS BIN of the watched account's bank, when the provider sends one (none of the four
    /// documented formats does today; kept for the statement importer).
    pub bank_bin: Option<String>,
    /// The watched account's bank as the provider names it (SePay `gateway`, Casso
    /// `bankAbbreviation`/`bankName`).
    pub bank_name: Option<String>,
    /// Magnitude in đồng, always > 0; the sign is in `direction`.
    pub amount: i64,
    pub direction: Direction,
    /// The memo as the bank shows it.
    pub description: String,
    /// Halong payment reference found in the memo (see [`mod@reference`]).
    pub reference: Option<String>,
    /// The bank's own transaction reference (payOS `reference`, Casso `reference`, SePay
    /// `referenceCode`, VietQR `referencenumber`).
    pub bank_reference: Option<String>,
    /// Provider-side order id (payOS `orderCode`, VietQR `orderId`).
    pub order_id: Option<String>,
    /// When the bank booked it, UTC unix seconds (provider local times are UTC+7).
    pub occurred_at_unix: i64,
    /// False when the provider sent no time and `occurred_at_unix` is the receive time.
    pub time_from_provider: bool,
    pub counter_account: Option<CounterAccount>,
    /// Balance after the movement, when sent (Casso `runningBalance`, SePay `accumulated`).
    pub balance_after: Option<i64>,
    /// A provider test event (Casso `MA_GIAO_DICH_THU_NGHIEM`): authentic, but no money moved.
    pub is_test: bool,
    /// The whole body as received.
    pub raw: serde_json::Value,
}

impl Notification {
    /// `amount` with the sign of `direction` (incoming positive).
    pub fn signed_amount(&self) -> i64 {
        match self.direction {
            Direction::In => self.amount,
            Direction::Out => -self.amount,
        }
    }

    /// A copy with `raw` set to `null`, for comparisons.
    pub fn without_raw(&self) -> Self {
        Self {
            raw: serde_json::Value::Null,
            ..self.clone()
        }
    }
}

/// Which SePay authentication the endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SepayScheme {
    /// Whichever the request carries: `X-SePay-Signature` (HMAC) if present, else
    /// `Authorization: Apikey`. Both use the same secret.
    #[default]
    Auto,
    /// Only `Authorization: Apikey <secret>`.
    ApiKey,
    /// Only the HMAC-SHA256 signature with timestamp.
    Hmac,
}

/// Verification options shared by all providers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Accepted |now − signed timestamp| in seconds (Casso, SePay HMAC). Default 300.
    pub window_secs: i64,
    /// The payment reference format looked for in memos.
    pub reference: ReferenceFormat,
    /// SePay scheme (default [`SepayScheme::Auto`]).
    pub sepay_scheme: SepayScheme,
    /// VietQR body `signature` secret (the key VietQR issues to the partner). When set, the body
    /// must carry a valid `signature`/`sign`; when `None` the field is only observed.
    pub vietqr_sign_secret: Option<String>,
    /// Lifetime of the VietQR bearer tokens this crate issues (`expires_in`). Default 59 s, as in
    /// VietQR's documentation.
    pub vietqr_token_ttl_secs: i64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            window_secs: DEFAULT_WINDOW_SECS,
            reference: ReferenceFormat::default(),
            sepay_scheme: SepayScheme::Auto,
            vietqr_sign_secret: None,
            vietqr_token_ttl_secs: vietqr::DEFAULT_TOKEN_TTL_SECS,
        }
    }
}

/// A signed HTTP request ready to POST: headers and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A simulated bank movement, the input of the signers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimTransfer {
    /// Provider transaction id. Casso and SePay ids are numbers: use decimal digits.
    pub provider_tx_id: String,
    pub account_number: String,
    pub virtual_account: Option<String>,
    pub bank_name: Option<String>,
    /// Magnitude in đồng, > 0.
    pub amount: i64,
    pub direction: Direction,
    pub description: String,
    pub bank_reference: Option<String>,
    /// payOS `orderCode` (digits) / VietQR `orderId`.
    pub order_id: Option<String>,
    pub occurred_at_unix: i64,
    pub counter_account: Option<CounterAccount>,
    pub balance_after: Option<i64>,
}

/// Verify and normalise a notification from `provider` with default [`Options`].
pub fn verify(
    provider: Provider,
    headers: &[(String, String)],
    body: &[u8],
    secret: &str,
    now_unix: i64,
) -> Result<Notification, NotifyError> {
    verify_with(
        provider,
        headers,
        body,
        secret,
        now_unix,
        &Options::default(),
    )
}

/// Verify and normalise a notification from `provider`.
pub fn verify_with(
    provider: Provider,
    headers: &[(String, String)],
    body: &[u8],
    secret: &str,
    now_unix: i64,
    opts: &Options,
) -> Result<Notification, NotifyError> {
    match provider {
        Provider::Payos => payos::verify_with(headers, body, secret, now_unix, opts),
        Provider::Casso => casso::verify_with(headers, body, secret, now_unix, opts),
        Provider::Sepay => sepay::verify_with(headers, body, secret, now_unix, opts),
        Provider::Vietqr => vietqr::verify_with(headers, body, secret, now_unix, opts),
    }
}

/// Build a signed request in `provider`'s format (default [`Options`]).
pub fn sign(
    provider: Provider,
    tx: &SimTransfer,
    secret: &str,
    now_unix: i64,
) -> Result<SignedRequest, NotifyError> {
    sign_with(provider, tx, secret, now_unix, &Options::default())
}

/// Build a signed request in `provider`'s format.
pub fn sign_with(
    provider: Provider,
    tx: &SimTransfer,
    secret: &str,
    now_unix: i64,
    opts: &Options,
) -> Result<SignedRequest, NotifyError> {
    match provider {
        Provider::Payos => payos::sign(tx, secret, now_unix),
        Provider::Casso => casso::sign(tx, secret, now_unix),
        Provider::Sepay => sepay::sign_with(tx, secret, now_unix, opts),
        Provider::Vietqr => vietqr::sign_with(tx, secret, now_unix, opts),
    }
}

/// What verifying `sign(provider, tx)` must yield (with `raw` = `null`): the provider-neutral
/// normalisation of `tx` as that provider's format can carry it. Documented losses: payOS carries
/// no direction (always `In`), no balance, no bank name and an `orderCode` number (absent → `0`);
/// Casso carries no order id; SePay no order id and no counter account; VietQR no counter account,
/// balance, bank name or virtual account.
pub fn expected(provider: Provider, tx: &SimTransfer, opts: &Options) -> Notification {
    let mut n = Notification {
        provider,
        provider_tx_id: tx.provider_tx_id.clone(),
        account_number: tx.account_number.clone(),
        virtual_account: tx.virtual_account.clone().filter(|s| !s.trim().is_empty()),
        bank_bin: None,
        bank_name: tx.bank_name.clone(),
        amount: tx.amount,
        direction: tx.direction,
        description: tx.description.clone(),
        reference: extract_reference_with(&tx.description, &opts.reference),
        bank_reference: tx.bank_reference.clone(),
        order_id: tx.order_id.clone(),
        occurred_at_unix: tx.occurred_at_unix,
        time_from_provider: true,
        counter_account: tx.counter_account.clone(),
        balance_after: tx.balance_after,
        is_test: false,
        raw: serde_json::Value::Null,
    };
    match provider {
        Provider::Payos => {
            n.direction = Direction::In;
            n.balance_after = None;
            n.bank_name = None;
            n.order_id = Some(tx.order_id.clone().unwrap_or_else(|| "0".into()));
            n.bank_reference = Some(tx.provider_tx_id.clone());
        }
        Provider::Casso => {
            n.order_id = None;
            n.is_test = tx.bank_reference.as_deref() == Some(casso::TEST_REFERENCE);
        }
        Provider::Sepay => {
            n.order_id = None;
            n.counter_account = None;
        }
        Provider::Vietqr => {
            n.counter_account = None;
            n.balance_after = None;
            n.bank_name = None;
            n.virtual_account = None;
        }
    }
    n
}
