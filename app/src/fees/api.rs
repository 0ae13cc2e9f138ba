//! JSON API of market fees. Market managers of the market and administrators run everything;
//! a merchant's owner may read the merchant's own bills.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::*;
use crate::auth::{Caller, forbidden};
use crate::error::{ErrorBody, parse_json};
use crate::register::Market;
use crate::server::AppState;

/// The market if the caller manages it: 404 when the caller may not even see it, 403 when
/// they see it but do not run it.
pub async fn managed_market(st: &AppState, caller: &Caller, id: i64) -> ApiResult<Market> {
    let m = crate::api::visible_market(st, caller, id).await?;
    if !caller.person()?.manages_market(id) {
        return Err(forbidden());
    }
    Ok(m)
}

/// A bill the caller may read: managers of its market, administrators, the owner of its
/// merchant. Others get 404.
pub async fn readable_bill(st: &AppState, caller: &Caller, id: i64) -> ApiResult<Bill> {
    let p = caller.person()?;
    let b = get_bill(&st.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("fee_bill"))?;
    if p.manages_market(b.market_id) || b.merchant_id.is_some_and(|m| p.owns_merchant(m)) {
        Ok(b)
    } else {
        Err(ApiError::not_found("fee_bill"))
    }
}

/// A bill of a market the caller manages (404 otherwise, or 403 for its merchant's owner).
pub async fn managed_bill(st: &AppState, caller: &Caller, id: i64) -> ApiResult<Bill> {
    let b = readable_bill(st, caller, id).await?;
    if !caller.person()?.manages_market(b.market_id) {
        return Err(forbidden());
    }
    Ok(b)
}

use crate::api::audited;

/// The market's fee schedules.
#[utoipa::path(get, path = "/api/v1/markets/{id}/fee-schedules", tag = "fees",
    responses((status = 200, body = Vec<Schedule>), (status = 404, body = ErrorBody)))]
pub async fn schedules(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Schedule>>> {
    managed_market(&st, &caller, id).await?;
    Ok(Json(list_schedules(&st.db, id).await?))
}

/// Creates the schedule of (category, kind), or sets its amount if it exists (201 / 200).
#[utoipa::path(post, path = "/api/v1/markets/{id}/fee-schedules", tag = "fees",
    request_body = ScheduleInput,
    responses((status = 201, body = Schedule), (status = 200, body = Schedule),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_schedule(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Response> {
    managed_market(&st, &caller, id).await?;
    let input: ScheduleInput = parse_json(&body)?;
    let input = check_schedule(&input)?;
    let (s, new) = upsert_schedule(&st.db, id, &input, false).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(audited(status, "fee_schedule", s.id, s))
}

/// Changes a schedule's amount or turns it off (bills already made keep their amount).
#[utoipa::path(put, path = "/api/v1/fee-schedules/{id}", tag = "fees",
    request_body = ScheduleUpdate,
    responses((status = 200, body = Schedule), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_schedule(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Response> {
    let s = get_schedule(&st.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("fee_schedule"))?;
    managed_market(&st, &caller, s.market_id).await?;
    let u: ScheduleUpdate = parse_json(&body)?;
    if let Some(e) = amount_error(u.amount) {
        return Err(ApiError::validation(vec![e]));
    }
    let s = update_schedule(&st.db, id, &u)
        .await?
        .ok_or_else(|| ApiError::not_found("fee_schedule"))?;
    Ok(audited(StatusCode::OK, "fee_schedule", s.id, s))
}

/// The market board's payout account (bills are paid into it).
#[utoipa::path(get, path = "/api/v1/markets/{id}/fee-account", tag = "fees",
    responses((status = 200, body = MarketAccount), (status = 404, body = ErrorBody)))]
pub async fn get_account(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<MarketAccount>> {
    managed_market(&st, &caller, id).await?;
    Ok(Json(
        market_account(&st.db, id)
            .await?
            .ok_or_else(|| ApiError::not_found("market_account"))?,
    ))
}

/// Sets the market board's payout account (bills made later are paid into it).
#[utoipa::path(put, path = "/api/v1/markets/{id}/fee-account", tag = "fees",
    request_body = MarketAccountInput,
    responses((status = 200, body = MarketAccount), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_account(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Response> {
    managed_market(&st, &caller, id).await?;
    let a: MarketAccountInput = parse_json(&body)?;
    let a = check_account(&a)?;
    let saved = set_market_account(&st.db, id, &a, caller.person_id()).await?;
    Ok(audited(StatusCode::OK, "market_account", id, saved))
}

/// The market's bills (all periods, or one), each with its payment state; overdue derived.
#[utoipa::path(get, path = "/api/v1/markets/{id}/fee-bills", tag = "fees", params(BillQuery),
    responses((status = 200, body = Vec<Bill>), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn bills(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<BillQuery>,
) -> ApiResult<Json<Vec<Bill>>> {
    managed_market(&st, &caller, id).await?;
    let period = q.period.as_deref().filter(|p| !p.is_empty());
    if period.is_some_and(|p| parse_period(p).is_none()) {
        return Err(ApiError::validation(vec![period_error()]));
    }
    Ok(Json(list_bills(&st.db, id, period).await?))
}

/// Makes the bills of a period (idempotent: a second run creates nothing and reports them as
/// existing).
#[utoipa::path(post, path = "/api/v1/markets/{id}/fee-bills/generate", tag = "fees",
    request_body = GenerateInput,
    responses((status = 200, body = GenerateReport), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn generate_route(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Response> {
    managed_market(&st, &caller, id).await?;
    let g: GenerateInput = parse_json(&body)?;
    let r = generate(&st.db, id, &g, caller.person_id(), false).await?;
    Ok(audited(StatusCode::OK, "fee_bills", id, r))
}

/// Sends SMS reminders for the market's overdue bills (each bill at most once per 3 days).
#[utoipa::path(post, path = "/api/v1/markets/{id}/fee-bills/remind", tag = "fees",
    responses((status = 200, body = RemindReport), (status = 404, body = ErrorBody)))]
pub async fn remind_route(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    managed_market(&st, &caller, id).await?;
    let r = remind(&st.db, st.sms.as_ref(), id, caller.person_id()).await?;
    Ok(audited(StatusCode::OK, "fee_reminders", id, r))
}

/// One bill (market managers, administrators, the owner of the bill's merchant).
#[utoipa::path(get, path = "/api/v1/fee-bills/{id}", tag = "fees",
    responses((status = 200, body = Bill), (status = 404, body = ErrorBody)))]
pub async fn bill(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Bill>> {
    Ok(Json(readable_bill(&st, &caller, id).await?))
}

/// Records cash received for a bill (at most what remains; a retry with the same
/// `idempotency_key` answers the first payment with 200).
#[utoipa::path(post, path = "/api/v1/fee-bills/{id}/cash", tag = "fees",
    request_body = CashInput,
    responses((status = 201, body = CashResult), (status = 200, body = CashResult),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn cash_route(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Response> {
    managed_bill(&st, &caller, id).await?;
    let c: CashInput = parse_json(&body)?;
    let r = record_cash(&st.db, id, &c, caller.person_id()).await?;
    let status = if r.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let pid = r.payment.id;
    Ok(audited(status, "fee_cash_payment", pid, r))
}

/// A merchant's own bills in every market (its owner, administrators; market managers see
/// those of their markets).
#[utoipa::path(get, path = "/api/v1/merchants/{id}/fee-bills", tag = "fees",
    responses((status = 200, body = Vec<Bill>), (status = 404, body = ErrorBody)))]
pub async fn merchant_bills_route(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Bill>>> {
    Ok(Json(merchant_visible_bills(&st, &caller, id).await?))
}

/// The merchant's bills the caller may read; 403 for those who see the merchant but none of
/// its bills' markets (cashiers, tax officers).
pub async fn merchant_visible_bills(
    st: &AppState,
    caller: &Caller,
    id: i64,
) -> ApiResult<Vec<Bill>> {
    crate::api::visible_merchant(st, caller, id).await?;
    let p = caller.person()?;
    let own = p.owns_merchant(id) || p.is_admin();
    if !own && p.scopes("market_manager").next().is_none() {
        return Err(forbidden());
    }
    let all = merchant_bills(&st.db, id).await?;
    Ok(all
        .into_iter()
        .filter(|b| own || p.manages_market(b.market_id))
        .collect())
}
