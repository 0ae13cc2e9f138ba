//! The register of markets, stalls, merchants and payout accounts: types, validation (pure,
//! shared by the API, the web forms and the CSV import) and storage.

pub mod store;
pub mod validate;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Market class by business points, Decree 60/2024/NĐ-CP art. 4: class 1 above 400,
/// class 2 from 200 to 400, class 3 below 200.
pub fn class_for_points(points: i32) -> i16 {
    match points {
        p if p > 400 => 1,
        p if p >= 200 => 2,
        _ => 3,
    }
}

pub const MARKET_STATUSES: &[&str] = &["active", "renovating", "closed"];
pub const STALL_STATUSES: &[&str] = &["active", "vacant", "closed"];
pub const MERCHANT_STATUSES: &[&str] = &["active", "suspended", "closed"];
pub const MERCHANT_KINDS: &[&str] = &["household", "enterprise"];
pub const PAYMENT_METHODS: &[&str] = &["cash", "vietqr", "card", "ewallet"];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Market {
    pub id: i64,
    /// Natural key used by imports, e.g. `QN-HL-001`.
    pub code: String,
    pub name: String,
    pub address: String,
    /// Commune-level unit (2025 code).
    pub place_code: String,
    pub business_points: i32,
    /// Class in force: the override if one is recorded, else derived from business points.
    pub market_class: i16,
    pub class_override: Option<i16>,
    pub class_override_reason: Option<String>,
    pub board_contact: String,
    pub status: String,
    pub is_demo: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MarketInput {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub address: String,
    /// Commune code or name.
    pub place_code: String,
    pub business_points: i32,
    #[serde(default)]
    pub class_override: Option<i16>,
    #[serde(default)]
    pub class_override_reason: Option<String>,
    #[serde(default)]
    pub board_contact: String,
    #[serde(default = "default_active")]
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Stall {
    pub id: i64,
    pub market_id: i64,
    /// Unique within the market.
    pub code: String,
    pub zone: String,
    pub category: String,
    pub status: String,
    pub merchant_id: Option<i64>,
    pub is_demo: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StallInput {
    pub market_id: i64,
    pub code: String,
    #[serde(default)]
    pub zone: String,
    #[serde(default)]
    pub category: String,
    #[serde(default = "default_active")]
    pub status: String,
    #[serde(default)]
    pub merchant_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Merchant {
    pub id: i64,
    /// 10-digit enterprise code, `NNNNNNNNNN-NNN` branch code, or 12-digit personal ID.
    pub tax_code: String,
    pub name: String,
    /// `household` (hộ kinh doanh) or `enterprise`.
    pub kind: String,
    pub owner_name: String,
    pub phone: Option<String>,
    pub address: String,
    pub place_code: String,
    /// Comma-separated subset of cash, vietqr, card, ewallet.
    pub payment_methods: String,
    pub status: String,
    pub is_demo: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MerchantInput {
    pub tax_code: String,
    pub name: String,
    #[serde(default = "default_household")]
    pub kind: String,
    pub owner_name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: String,
    pub place_code: String,
    #[serde(default = "default_methods")]
    pub payment_methods: Vec<String>,
    #[serde(default = "default_active")]
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct BankAccount {
    pub id: i64,
    pub merchant_id: i64,
    /// NAPAS BIN of the bank (see `/api/v1/banks`).
    pub bank_bin: String,
    pub account_number: String,
    pub holder_name: String,
    pub is_default: bool,
    pub created_at: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BankAccountInput {
    pub bank_bin: String,
    pub account_number: String,
    pub holder_name: String,
    #[serde(default)]
    pub is_default: bool,
}

/// A page of results: `{"items": [...], "total": N}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// Paging and filters shared by the list routes; filters a list does not know are ignored.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Text search, ignoring case and Vietnamese diacritics.
    pub q: Option<String>,
    /// Commune code, or a former district code (matches every commune grouped under it).
    pub place: Option<String>,
    /// Market class 1, 2 or 3.
    pub class: Option<i16>,
    pub status: Option<String>,
    pub market_id: Option<i64>,
    pub merchant_id: Option<i64>,
    /// `true` for demo records only, `false` for real ones only.
    pub demo: Option<bool>,
    /// 1-based page number.
    pub page: Option<u32>,
    /// Page size, at most 500 (default 50).
    pub per_page: Option<u32>,
    /// Set by the server from the caller, never from the query string: the person whose
    /// grants scope the list (None: sees everything).
    #[serde(skip)]
    #[param(ignore)]
    pub viewer: Option<i64>,
}

impl ListQuery {
    pub fn limit(&self) -> i64 {
        i64::from(self.per_page.unwrap_or(50).clamp(1, 500))
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page.unwrap_or(1).max(1) - 1) * self.limit()
    }

    /// `%folded%` LIKE pattern, or None when no search was asked. LIKE wildcards typed by
    /// the user are dropped rather than escaped: ESCAPE syntax differs less than people think,
    /// but a search for "%" is never meaningful here.
    pub fn like(&self) -> Option<String> {
        let q: String = self
            .q
            .as_deref()
            .map(crate::text::fold)?
            .chars()
            .filter(|c| *c != '%' && *c != '_')
            .collect();
        (!q.trim().is_empty()).then(|| format!("%{}%", q.trim()))
    }

    /// Empty strings from HTML forms mean "no filter".
    pub fn place(&self) -> Option<&str> {
        self.place.as_deref().filter(|s| !s.is_empty())
    }

    pub fn status(&self) -> Option<&str> {
        self.status.as_deref().filter(|s| !s.is_empty())
    }
}

fn default_active() -> String {
    "active".into()
}
fn default_household() -> String {
    "household".into()
}
fn default_methods() -> Vec<String> {
    vec!["cash".into()]
}
