//! Receipts that do not come from a bank notification: a cash-register sale paid by card,
//! e-wallet or cash. The e-invoice cashier calls [`record_direct`]; the receipt is stored with the
//! bank receipts (so it shows in the list, the event stream, the live page and the daily totals)
//! and posted to the ledger by the same sweeper, debiting the clearing account of its method.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::{Db, now_micros};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::with_db;

/// How a receipt was paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Bank transfer (VietQR), reported by a bank notification or a statement.
    Transfer,
    Card,
    Ewallet,
    Cash,
}

impl Method {
    pub const ALL: [Method; 4] = [
        Method::Transfer,
        Method::Card,
        Method::Ewallet,
        Method::Cash,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Transfer => "transfer",
            Method::Card => "card",
            Method::Ewallet => "ewallet",
            Method::Cash => "cash",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Vietnamese label for pages.
    pub fn label_vi(s: &str) -> &str {
        match s {
            "transfer" => "Chuyển khoản",
            "card" => "Thẻ",
            "ewallet" => "Ví điện tử",
            "cash" => "Tiền mặt",
            other => other,
        }
    }
}

/// A sale paid at the stall without a bank notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DirectReceipt {
    /// The stall that took the payment; its merchant is the receipt's merchant.
    pub stall_id: Option<i64>,
    /// The merchant, when the sale is not tied to one stall (then `stall_id` may be None). When
    /// both are given they must agree.
    pub merchant_id: Option<i64>,
    /// Đồng, > 0.
    pub amount: i64,
    /// `card`, `ewallet` or `cash` (bank transfers come from notifications).
    pub method: Method,
    /// The recording system, e.g. `cashier`: `[a-z0-9_-]{1,32}`, not a bank-notification provider
    /// name nor `statement`.
    pub source: String,
    /// The sale's id in that system (1–128 characters); `(source, external_id)` is unique.
    pub external_id: String,
    /// When it was paid, unix microseconds UTC.
    pub at: i64,
    /// Shown in the receipts list (may be empty).
    pub description: String,
}

const RESERVED_SOURCES: [&str; 5] = ["payos", "casso", "sepay", "vietqr", "statement"];

fn validate(r: &DirectReceipt) -> Vec<FieldError> {
    let mut e = Vec::new();
    if r.amount <= 0 {
        e.push(FieldError::new(
            "amount",
            "not_positive",
            "Số tiền phải lớn hơn 0",
            "Amount must be positive",
        ));
    }
    if r.method == Method::Transfer {
        e.push(FieldError::new(
            "method",
            "not_direct",
            "Chuyển khoản được ghi từ thông báo của ngân hàng",
            "Bank transfers are recorded from bank notifications",
        ));
    }
    let source_ok = (1..=32).contains(&r.source.len())
        && r.source
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        && !RESERVED_SOURCES.contains(&r.source.as_str());
    if !source_ok {
        e.push(FieldError::new(
            "source",
            "bad_source",
            "Nguồn gồm 1–32 ký tự a-z, 0-9, _ hoặc -, không trùng tên nhà cung cấp",
            "Source: 1–32 of a-z, 0-9, _ or -, not a provider name",
        ));
    }
    if r.external_id.trim().is_empty() || r.external_id.len() > 128 {
        e.push(FieldError::new(
            "external_id",
            "bad_external_id",
            "Mã giao dịch gồm 1–128 ký tự",
            "External id: 1–128 characters",
        ));
    }
    if r.at <= 0 {
        e.push(FieldError::new(
            "at",
            "bad_time",
            "Thiếu thời điểm thanh toán",
            "Payment time missing",
        ));
    }
    if r.stall_id.is_none() && r.merchant_id.is_none() {
        e.push(FieldError::new(
            "stall_id",
            "required",
            "Cần quầy hoặc người bán",
            "A stall or a merchant is required",
        ));
    }
    e
}

/// The stall and merchant a direct receipt belongs to.
async fn owner(db: &Db, r: &DirectReceipt) -> ApiResult<(Option<i64>, i64)> {
    let bad = |field: &str, code: &str, vi: &str, en: &str| {
        ApiError::validation(vec![FieldError::new(field, code, vi, en)])
    };
    match r.stall_id {
        Some(stall_id) => {
            let stall = crate::register::store::get_stall(db, stall_id)
                .await?
                .ok_or_else(|| {
                    bad(
                        "stall_id",
                        "unknown_stall",
                        "Không có quầy này",
                        "No such stall",
                    )
                })?;
            let merchant = stall.merchant_id.ok_or_else(|| {
                bad(
                    "stall_id",
                    "no_merchant",
                    "Quầy chưa có người bán",
                    "The stall has no merchant",
                )
            })?;
            if r.merchant_id.is_some_and(|m| m != merchant) {
                return Err(bad(
                    "merchant_id",
                    "merchant_mismatch",
                    "Quầy không thuộc người bán này",
                    "The stall belongs to another merchant",
                ));
            }
            Ok((Some(stall_id), merchant))
        }
        None => {
            let m = r.merchant_id.unwrap_or_default();
            let found: Option<i64> = with_db!(db, p => sqlx::query_scalar(
                "SELECT id FROM merchants WHERE id = $1").bind(m).fetch_optional(p).await)?;
            found.map(|m| (None, m)).ok_or_else(|| {
                bad(
                    "merchant_id",
                    "unknown_merchant",
                    "Không có người bán này",
                    "No such merchant",
                )
            })
        }
    }
}

/// Records a sale paid by card, e-wallet or cash as a receipt and returns its id. Idempotent on
/// `(source, external_id)`: a retry with the same content returns the same id and changes
/// nothing; the same key with other content (amount, method, stall, merchant) is refused with
/// 409 `external_id_reused`. Bad input (422) stores nothing. The ledger posting follows within
/// about a second (the posting sweeper): debit the method's clearing account, credit the
/// merchant's receipts account.
pub async fn record_direct(db: &Db, r: &DirectReceipt) -> ApiResult<i64> {
    let errors = validate(r);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let (stall_id, merchant_id) = owner(db, r).await?;
    let external_id = r.external_id.trim();
    let raw = serde_json::to_string(r).unwrap_or_default();
    let description = crate::text::clean(&r.description);
    with_db!(db, p => sqlx::query(
        "INSERT INTO incoming_transfers (provider, provider_tx_id, account_number, amount, \
         direction, description, occurred_at, received_at, match_kind, stall_id, merchant_id, \
         late, raw, method) VALUES ($1, $2, '', $3, 'in', $4, $5, $6, 'direct', $7, $8, $9, $10, $11) \
         ON CONFLICT (provider, provider_tx_id) DO NOTHING")
        .bind(&r.source).bind(external_id).bind(r.amount).bind(&description).bind(r.at)
        .bind(now_micros()).bind(stall_id).bind(merchant_id).bind(false).bind(&raw)
        .bind(r.method.as_str()).execute(p).await.map(|_| ()))?;
    let stored: (i64, i64, String, Option<i64>, Option<i64>) = with_db!(db, p => sqlx::query_as(
        "SELECT id, amount, method, stall_id, merchant_id FROM incoming_transfers \
         WHERE provider = $1 AND provider_tx_id = $2")
        .bind(&r.source).bind(external_id).fetch_one(p).await)?;
    let (id, amount, method, s, m) = stored;
    if (amount, method.as_str(), s, m) != (r.amount, r.method.as_str(), stall_id, Some(merchant_id))
    {
        return Err(ApiError::conflict(
            "external_id_reused",
            "Mã giao dịch này đã được ghi với nội dung khác",
            "This external id was recorded with different content",
        )
        .with_details(serde_json::json!({ "receipt_id": id })));
    }
    Ok(id)
}
