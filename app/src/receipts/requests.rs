//! Payment requests: a dynamic VietQR with the amount and a reference in `62/08`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vietqr::{Initiation, Service, VietQr};

use crate::auth::{Caller, forbidden};
use crate::db::{Db, now_micros};
use crate::error::{ApiError, ApiResult, ErrorBody, FieldError, parse_json};
use crate::register::store;
use crate::server::AppState;
use crate::with_db;

/// How long a request waits for its payment unless told otherwise.
pub const DEFAULT_EXPIRY_SECONDS: i64 = 15 * 60;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct PaymentRequest {
    pub id: i64,
    /// `HL` + 8 characters, printed in the transfer memo; the check character catches typos.
    pub reference: String,
    /// `stall_sale`, `bill` or `order`.
    pub kind: String,
    pub stall_id: i64,
    pub merchant_id: i64,
    pub bank_bin: String,
    pub account_number: String,
    /// Integer đồng.
    pub amount: i64,
    pub paid_amount: i64,
    /// created, paid, partially_paid, overpaid, expired, cancelled.
    pub status: String,
    pub description: String,
    /// The VietQR payload to show or print.
    pub payload: String,
    pub created_at: i64,
    pub expires_at: i64,
}

pub(crate) const COLS: &str = "id, reference, kind, stall_id, merchant_id, bank_bin, account_number, \
    amount, paid_amount, status, description, payload, created_at, expires_at";

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct NewPaymentRequest {
    pub stall_id: i64,
    /// Integer đồng, 1 to 9,999,999,999,999.
    pub amount: i64,
    #[serde(default = "default_kind")]
    pub kind: String,
    #[serde(default)]
    pub description: String,
    /// Seconds until the request expires (60 to 7 days; default 15 minutes).
    #[serde(default)]
    pub expires_in_seconds: Option<i64>,
}

fn default_kind() -> String {
    "stall_sale".into()
}

pub async fn by_reference(db: &Db, reference: &str) -> sqlx::Result<Option<PaymentRequest>> {
    let sql = format!("SELECT {COLS} FROM payment_requests WHERE reference = $1");
    with_db!(db, p => sqlx::query_as::<_, PaymentRequest>(sqlx::AssertSqlSafe(sql)).bind(reference).fetch_optional(p).await)
}

pub async fn by_id(db: &Db, id: i64) -> sqlx::Result<Option<PaymentRequest>> {
    let sql = format!("SELECT {COLS} FROM payment_requests WHERE id = $1");
    with_db!(db, p => sqlx::query_as::<_, PaymentRequest>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)
}

/// Who may take payments for a stall: its merchant's owner and cashiers, the market's managers,
/// administrators.
fn can_collect(p: &crate::auth::Principal, stall: &crate::register::Stall) -> bool {
    p.manages_market(stall.market_id)
        || stall
            .merchant_id
            .is_some_and(|m| p.owns_merchant(m) || p.scopes("merchant_cashier").any(|c| c == m))
}

/// The largest amount a VietQR code carries (13 characters of tag 54).
pub const MAX_AMOUNT: i64 = 9_999_999_999_999;

/// The error for an amount a payment request cannot carry, if it is one.
pub(crate) fn amount_error(amount: i64) -> Option<FieldError> {
    (!(1..=MAX_AMOUNT).contains(&amount)).then(|| {
        FieldError::new(
            "amount",
            "out_of_range",
            "Số tiền từ 1 đến 9.999.999.999.999 đồng",
            "Amount from 1 to 9,999,999,999,999 đồng",
        )
    })
}

pub fn check_input(n: &NewPaymentRequest) -> ApiResult<i64> {
    let mut errors: Vec<FieldError> = amount_error(n.amount).into_iter().collect();
    if !["stall_sale", "bill", "order"].contains(&n.kind.as_str()) {
        errors.push(FieldError::new(
            "kind",
            "not_allowed",
            "Loại là stall_sale, bill hoặc order",
            "Kind is stall_sale, bill or order",
        ));
    }
    let expiry = n.expires_in_seconds.unwrap_or(DEFAULT_EXPIRY_SECONDS);
    if !(60..=7 * 86_400).contains(&expiry) {
        errors.push(FieldError::new(
            "expires_in_seconds",
            "out_of_range",
            "Thời hạn từ 60 giây đến 7 ngày",
            "Expiry from 60 s to 7 days",
        ));
    }
    if n.description.chars().count() > 200 {
        errors.push(FieldError::new(
            "description",
            "too_long",
            "Tối đa 200 ký tự",
            "At most 200 characters",
        ));
    }
    if errors.is_empty() {
        Ok(expiry)
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Creates a payment request for a stall sale, a bill or an order: a dynamic VietQR to the
/// stall's payout account with the amount and a unique reference as the transfer memo.
#[utoipa::path(post, path = "/api/v1/payment-requests", tag = "payments",
    request_body = NewPaymentRequest,
    responses((status = 201, body = PaymentRequest), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let p = caller.person()?;
    let n: NewPaymentRequest = parse_json(&body)?;
    let stall = crate::api::visible_stall(&st, &caller, n.stall_id).await?;
    if !can_collect(p, &stall) {
        return Err(forbidden());
    }
    let expiry = check_input(&n)?;
    let account = store::stall_payout_account(&st.db, stall.id)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_payout_account",
                "Quầy chưa có tài khoản nhận tiền",
                "The stall has no payout account",
            )
        })?;
    let r = insert(&st.db, &account, stall.id, &n, expiry, Some(p.person_id)).await?;
    Ok(crate::api::created("payment_request", r.id, r))
}

/// Stores a payment request to `account` for the stall (input already checked): used by the
/// API and by other parts (a cash-register sale paid by QR).
pub async fn insert(
    db: &Db,
    account: &crate::register::BankAccount,
    stall_id: i64,
    n: &NewPaymentRequest,
    expiry_seconds: i64,
    created_by: Option<i64>,
) -> ApiResult<PaymentRequest> {
    let now = now_micros();
    // A collision of the 35 random bits is retried; the UNIQUE index is the arbiter.
    for _ in 0..5 {
        let reference =
            banknotify::generate_reference(banknotify::DEFAULT_PREFIX, rand::random::<u64>());
        let qr = VietQr {
            initiation: Initiation::Dynamic,
            bin: account.bank_bin.clone(),
            account: account.account_number.clone(),
            service: Some(Service::ToAccount),
            amount: Some(n.amount.unsigned_abs()),
            memo: Some(reference.clone()),
            ..VietQr::default()
        };
        let payload = qr.encode().map_err(|e| crate::qr::qr_error(&e))?;
        let sql = format!(
            "INSERT INTO payment_requests (reference, kind, stall_id, merchant_id, bank_bin, \
             account_number, amount, status, description, payload, created_by, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'created', $8, $9, $10, $11, $12) \
             RETURNING {COLS}"
        );
        let res = with_db!(db, pool => sqlx::query_as::<_, PaymentRequest>(sqlx::AssertSqlSafe(sql))
            .bind(&reference).bind(&n.kind).bind(stall_id).bind(account.merchant_id)
            .bind(&account.bank_bin).bind(&account.account_number).bind(n.amount)
            .bind(crate::text::clean(&n.description)).bind(&payload).bind(created_by)
            .bind(now).bind(now + expiry_seconds * 1_000_000).fetch_one(pool).await);
        match res {
            Ok(r) => return Ok(r),
            Err(e) if crate::db::is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::internal())
}

async fn visible(st: &AppState, caller: &Caller, id: i64) -> ApiResult<PaymentRequest> {
    let r = by_id(&st.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("payment_request"))?;
    crate::api::visible_stall(st, caller, r.stall_id).await?;
    Ok(r)
}

/// A payment request and its status (expired once its time has passed unpaid).
#[utoipa::path(get, path = "/api/v1/payment-requests/{id}", tag = "payments",
    responses((status = 200, body = PaymentRequest), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<PaymentRequest>> {
    expire_due(&st.db).await?;
    Ok(Json(visible(&st, &caller, id).await?))
}

/// The request's QR code as SVG.
#[utoipa::path(get, path = "/api/v1/payment-requests/{id}/qr.svg", tag = "payments",
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404, body = ErrorBody)))]
pub async fn qr_svg(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let r = visible(&st, &caller, id).await?;
    let svg = vietqr::render::try_to_svg(&r.payload).map_err(|_| ApiError::internal())?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// Marks unpaid requests past their time as expired (idempotent; run on reads and by the
/// notification path, so no background job is needed for correctness).
pub async fn expire_due(db: &Db) -> sqlx::Result<()> {
    with_db!(db, p => sqlx::query(
        "UPDATE payment_requests SET status = 'expired' WHERE status = 'created' AND expires_at < $1")
        .bind(now_micros()).execute(p).await.map(|_| ()))
}

/// [`expire_due`] inside a transaction that writes anyway (the notification group commit).
pub async fn expire_due_in(tx: &mut crate::db::Tx) -> sqlx::Result<()> {
    tx.execute(
        "UPDATE payment_requests SET status = 'expired' WHERE status = 'created' AND expires_at < $1",
        &[crate::db::Arg::I64(now_micros())],
    )
    .await
    .map(|_| ())
}
