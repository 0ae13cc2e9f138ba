//! Refunds and corrections of receipts. A receipt row is never edited once matched: each
//! adjustment is a new record (`receipt_adjustments`) and becomes new ledger transfers, posted by
//! the same sweeper as the receipts ([`super::posting`]):
//! - a **refund** (partial allowed, up to what remains) debits the merchant's receipts account and
//!   credits the clearing account the money came through;
//! - a **correction** moves what remains of a matched receipt to another stall: a reversal (debit
//!   the current merchant, credit clearing) and a new transfer (debit clearing, credit the new
//!   stall's merchant), committed together.
//!
//! Both are idempotent: a retry with the same idempotency key answers the stored adjustment. The
//! checks and the insert run under a lock on the receipt (SQLite `BEGIN IMMEDIATE`, PostgreSQL
//! `SELECT … FOR UPDATE`), so concurrent refunds cannot together exceed the receipt.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Principal};
use crate::db::{Db, Tx, now_micros};
use crate::error::{ApiError, ApiResult, ErrorBody, FieldError, parse_json};
use crate::server::AppState;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Adjustment {
    pub id: i64,
    pub receipt_id: i64,
    /// `refund` or `correction`.
    pub kind: String,
    /// Refunded, or moved to the new stall (đồng).
    pub amount: i64,
    pub reason: String,
    pub idempotency_key: String,
    /// The stall and merchant that held the receipt (a refund is charged to them).
    pub from_stall_id: Option<i64>,
    pub from_merchant_id: i64,
    /// Corrections: where the receipt went.
    pub to_stall_id: Option<i64>,
    pub to_merchant_id: Option<i64>,
    pub created_by: Option<i64>,
    /// Unix microseconds, UTC.
    pub created_at: i64,
    /// Its ledger transfers are committed.
    pub ledger_posted: bool,
}

const COLS: &str = "id, receipt_id, kind, amount, reason, idempotency_key, from_stall_id, \
    from_merchant_id, to_stall_id, to_merchant_id, created_by, created_at, ledger_posted";

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct RefundInput {
    /// Đồng, > 0 and at most what remains refundable.
    pub amount: i64,
    pub reason: String,
    /// Required here or as the `Idempotency-Key` header: a retry with the same key answers the
    /// original refund.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct CorrectionInput {
    /// The stall the receipt really belongs to.
    pub stall_id: i64,
    pub reason: String,
    /// Optional (also as the `Idempotency-Key` header). Without one, a repeated correction to
    /// the stall the receipt already belongs to answers the last correction and changes nothing.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// A receipt as the adjustments see it, read under the lock.
#[derive(Clone, Debug)]
pub struct Holding {
    pub amount: i64,
    pub refunded: i64,
    /// Current holder: the last correction's target, else the matched stall and merchant.
    pub stall_id: Option<i64>,
    pub merchant_id: Option<i64>,
    pub incoming: bool,
    pub last_correction: Option<Adjustment>,
}

impl Holding {
    pub fn refundable(&self) -> i64 {
        self.amount - self.refunded
    }
}

macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            Tx::Pg(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// Begins a write transaction that holds the receipt: SQLite takes the write lock at once;
/// PostgreSQL locks the receipt's row.
async fn begin_locked(db: &Db, receipt_id: i64) -> sqlx::Result<Tx> {
    Ok(match db {
        Db::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
        Db::Pg(p) => {
            let mut tx = p.begin().await?;
            sqlx::query("SELECT id FROM incoming_transfers WHERE id = $1 FOR UPDATE")
                .bind(receipt_id)
                .fetch_optional(&mut *tx)
                .await?;
            Tx::Pg(tx)
        }
    })
}

async fn holding_in(tx: &mut Tx, receipt_id: i64) -> sqlx::Result<Option<Holding>> {
    let row: Option<(i64, Option<i64>, Option<i64>, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT amount, stall_id, merchant_id, direction FROM incoming_transfers WHERE id = $1")
        .bind(receipt_id).fetch_optional(c).await)?;
    let Some((amount, stall_id, merchant_id, direction)) = row else {
        return Ok(None);
    };
    let refunded: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM receipt_adjustments \
         WHERE receipt_id = $1 AND kind = 'refund'")
        .bind(receipt_id).fetch_one(c).await)?;
    let sql = format!(
        "SELECT {COLS} FROM receipt_adjustments WHERE receipt_id = $1 AND kind = 'correction' \
         ORDER BY id DESC LIMIT 1"
    );
    let last: Option<Adjustment> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(receipt_id).fetch_optional(c).await)?;
    let (stall_id, merchant_id) = match &last {
        Some(a) => (a.to_stall_id, a.to_merchant_id),
        None => (stall_id, merchant_id),
    };
    Ok(Some(Holding {
        amount,
        refunded,
        stall_id,
        merchant_id,
        incoming: direction == "in",
        last_correction: last,
    }))
}

/// The receipt's current state (outside any lock: for permission checks and pages).
pub async fn holding(db: &Db, receipt_id: i64) -> sqlx::Result<Option<Holding>> {
    let mut tx = db.begin().await?;
    let h = holding_in(&mut tx, receipt_id).await?;
    drop(tx);
    Ok(h)
}

async fn by_key(
    tx: &mut Tx,
    receipt_id: i64,
    kind: &str,
    key: &str,
) -> sqlx::Result<Option<Adjustment>> {
    let sql = format!(
        "SELECT {COLS} FROM receipt_adjustments WHERE receipt_id = $1 AND kind = $2 \
         AND idempotency_key = $3"
    );
    on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(receipt_id).bind(kind).bind(key).fetch_optional(c).await)
}

pub async fn adjustments_of(db: &Db, receipt_id: i64) -> sqlx::Result<Vec<Adjustment>> {
    let sql = format!("SELECT {COLS} FROM receipt_adjustments WHERE receipt_id = $1 ORDER BY id");
    crate::with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(receipt_id).fetch_all(p).await)
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    tx: &mut Tx,
    receipt_id: i64,
    kind: &str,
    amount: i64,
    reason: &str,
    key: &str,
    from: (Option<i64>, i64),
    to: (Option<i64>, Option<i64>),
    by: Option<i64>,
) -> sqlx::Result<Adjustment> {
    let sql = format!(
        "INSERT INTO receipt_adjustments (receipt_id, kind, amount, reason, idempotency_key, \
         from_stall_id, from_merchant_id, to_stall_id, to_merchant_id, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {COLS}"
    );
    on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(receipt_id).bind(kind).bind(amount).bind(reason).bind(key).bind(from.0)
        .bind(from.1).bind(to.0).bind(to.1).bind(by).bind(now_micros()).fetch_one(c).await)
}

fn not_found() -> ApiError {
    ApiError::not_found("receipt")
}

fn not_matched() -> ApiError {
    ApiError::conflict(
        "receipt_not_matched",
        "Giao dịch chưa thuộc quầy nào (hãy gán quầy trước)",
        "The receipt belongs to no stall yet (assign it first)",
    )
}

fn key_reused() -> ApiError {
    ApiError::conflict(
        "idempotency_key_reused",
        "Khóa chống lặp đã dùng cho một yêu cầu khác",
        "The idempotency key was used for a different request",
    )
}

fn clean_reason(reason: &str, errors: &mut Vec<FieldError>) -> String {
    let r = crate::text::clean(reason);
    if r.is_empty() || r.chars().count() > 500 {
        errors.push(FieldError::new(
            "reason",
            "bad_reason",
            "Cần lý do (tối đa 500 ký tự)",
            "A reason is required (at most 500 characters)",
        ));
    }
    r
}

fn clean_key(key: Option<&str>, required: bool, errors: &mut Vec<FieldError>) -> Option<String> {
    let k = key.map(str::trim).filter(|k| !k.is_empty());
    match k {
        Some(k) if k.len() <= 128 => Some(k.to_string()),
        Some(_) => {
            errors.push(FieldError::new(
                "idempotency_key",
                "bad_key",
                "Khóa chống lặp tối đa 128 ký tự",
                "Idempotency key: at most 128 characters",
            ));
            None
        }
        None => {
            if required {
                errors.push(FieldError::new(
                    "idempotency_key",
                    "required",
                    "Cần khóa chống lặp",
                    "An idempotency key is required",
                ));
            }
            None
        }
    }
}

/// Refunds part or all of what remains of a receipt. Ok((true, refund)) when recorded now,
/// Ok((false, refund)) for a retry with the same key and content.
pub async fn refund(
    db: &Db,
    receipt_id: i64,
    input: &RefundInput,
    by: Option<i64>,
) -> ApiResult<(bool, Adjustment)> {
    let mut errors = Vec::new();
    if input.amount <= 0 {
        errors.push(FieldError::new(
            "amount",
            "not_positive",
            "Số tiền phải lớn hơn 0",
            "Amount must be positive",
        ));
    }
    let reason = clean_reason(&input.reason, &mut errors);
    let key = clean_key(input.idempotency_key.as_deref(), true, &mut errors);
    let Some(key) = key.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let mut tx = begin_locked(db, receipt_id).await?;
    if let Some(a) = by_key(&mut tx, receipt_id, "refund", &key).await? {
        return if a.amount == input.amount && a.reason == reason {
            Ok((false, a))
        } else {
            Err(key_reused())
        };
    }
    let h = holding_in(&mut tx, receipt_id)
        .await?
        .ok_or_else(not_found)?;
    let merchant = match (h.incoming, h.merchant_id) {
        (true, Some(m)) => m,
        _ => return Err(not_matched()),
    };
    if input.amount > h.refundable() {
        return Err(ApiError::conflict(
            "exceeds_refundable",
            &format!("Chỉ còn có thể hoàn {} đ", super::dong(h.refundable())),
            &format!("Only {} VND remain refundable", h.refundable()),
        )
        .with_details(serde_json::json!({ "refundable": h.refundable() })));
    }
    let a = insert(
        &mut tx,
        receipt_id,
        "refund",
        input.amount,
        &reason,
        &key,
        (h.stall_id, merchant),
        (None, None),
        by,
    )
    .await?;
    tx.commit().await?;
    Ok((true, a))
}

/// Moves what remains of a matched receipt to another stall. Ok((true, correction)) when
/// recorded now; Ok((false, correction)) for a retry (same key, or the receipt already belongs
/// to that stall through an earlier correction).
pub async fn correct(
    db: &Db,
    receipt_id: i64,
    input: &CorrectionInput,
    by: Option<i64>,
) -> ApiResult<(bool, Adjustment)> {
    let mut errors = Vec::new();
    let reason = clean_reason(&input.reason, &mut errors);
    let key = clean_key(input.idempotency_key.as_deref(), false, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let bad = |code: &str, vi: &str, en: &str| {
        ApiError::validation(vec![FieldError::new("stall_id", code, vi, en)])
    };
    let stall = crate::register::store::get_stall(db, input.stall_id)
        .await?
        .ok_or_else(|| bad("unknown_stall", "Không có quầy này", "No such stall"))?;
    let to_merchant = stall.merchant_id.ok_or_else(|| {
        bad(
            "no_merchant",
            "Quầy chưa có người bán",
            "The stall has no merchant",
        )
    })?;
    let mut tx = begin_locked(db, receipt_id).await?;
    if let Some(k) = &key
        && let Some(a) = by_key(&mut tx, receipt_id, "correction", k).await?
    {
        return if a.to_stall_id == Some(input.stall_id) && a.reason == reason {
            Ok((false, a))
        } else {
            Err(key_reused())
        };
    }
    let h = holding_in(&mut tx, receipt_id)
        .await?
        .ok_or_else(not_found)?;
    let from_merchant = match (h.incoming, h.merchant_id) {
        (true, Some(m)) => m,
        _ => return Err(not_matched()),
    };
    if h.stall_id == Some(input.stall_id) {
        return match h.last_correction {
            Some(a) if key.is_none() => Ok((false, a)),
            _ => Err(ApiError::conflict(
                "same_stall",
                "Giao dịch đã thuộc quầy này",
                "The receipt already belongs to this stall",
            )),
        };
    }
    if h.refundable() <= 0 {
        return Err(ApiError::conflict(
            "nothing_to_move",
            "Giao dịch đã được hoàn hết, không còn gì để chuyển",
            "The receipt was refunded in full: nothing is left to move",
        ));
    }
    let key = key.unwrap_or_else(|| format!("auto-{}", crate::auth::random_hex(12)));
    let a = insert(
        &mut tx,
        receipt_id,
        "correction",
        h.refundable(),
        &reason,
        &key,
        (h.stall_id, from_merchant),
        (Some(input.stall_id), Some(to_merchant)),
        by,
    )
    .await?;
    tx.commit().await?;
    Ok((true, a))
}

fn header_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Who may refund a receipt: administrators, and the owner of the merchant that holds it now.
/// Others who may see it get 403; everyone else 404.
async fn check_refund_access(db: &Db, p: &Principal, receipt_id: i64) -> ApiResult<()> {
    let h = holding(db, receipt_id).await?.ok_or_else(not_found)?;
    if p.is_admin() || h.merchant_id.is_some_and(|m| p.owns_merchant(m)) {
        return Ok(());
    }
    let q = super::live::ReceiptQuery {
        since_id: Some(receipt_id - 1),
        limit: Some(1),
        ..Default::default()
    };
    let visible = super::live::list(db, &q, p.viewer())
        .await?
        .iter()
        .any(|r| r.id == receipt_id);
    Err(if visible {
        crate::auth::forbidden()
    } else {
        not_found()
    })
}

fn answer(st: &AppState, created: bool, a: Adjustment) -> Response {
    if created {
        let _ = st.post_receipts.try_send(());
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(a)).into_response()
}

/// Refunds part or all of a receipt (administrators; the owner of the merchant holding it). A
/// retry with the same idempotency key answers the original refund (200); more than what
/// remains is refused (409 `exceeds_refundable`) and changes nothing.
#[utoipa::path(post, path = "/api/v1/receipts/{id}/refunds", tag = "payments",
    request_body = RefundInput,
    params(("id" = i64, Path, description = "Receipt id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Instead of `idempotency_key`")),
    responses((status = 201, body = Adjustment, description = "Refund recorded"),
        (status = 200, body = Adjustment, description = "A retry: the original refund"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn refund_route(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let p = caller.person()?;
    check_refund_access(&st.db, p, id).await?;
    let mut input: RefundInput = parse_json(&body)?;
    if input.idempotency_key.is_none() {
        input.idempotency_key = header_key(&headers);
    }
    let (created, a) = refund(&st.db, id, &input, Some(p.person_id)).await?;
    Ok(answer(&st, created, a))
}

/// Moves a matched receipt (what remains of it after refunds) to another stall, as a reversal
/// and a new ledger transfer; the receipt itself is not edited (administrators).
#[utoipa::path(post, path = "/api/v1/receipts/{id}/corrections", tag = "payments",
    request_body = CorrectionInput,
    params(("id" = i64, Path, description = "Receipt id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Instead of `idempotency_key`")),
    responses((status = 201, body = Adjustment, description = "Correction recorded"),
        (status = 200, body = Adjustment, description = "A retry: the earlier correction"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn correction_route(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let p = caller.person()?;
    let mut input: CorrectionInput = parse_json(&body)?;
    if input.idempotency_key.is_none() {
        input.idempotency_key = header_key(&headers);
    }
    let (created, a) = correct(&st.db, id, &input, Some(p.person_id)).await?;
    Ok(answer(&st, created, a))
}
