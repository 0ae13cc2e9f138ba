//! VietQR in the platform: every stall whose merchant has a payout account has a static code;
//! the API encodes, decodes and renders codes and printable stall signs.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vietqr::{Initiation, Service, VietQr};

use crate::auth::Caller;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::register::{BankAccount, Market, Merchant, Stall, store};
use crate::server::AppState;

/// Everything a stall's code and sign are made of.
pub struct StallCode {
    pub stall: Stall,
    pub market: Market,
    pub merchant: Merchant,
    pub account: BankAccount,
    pub qr: VietQr,
}

/// The static code of a stall: transfer to its merchant's default payout account, with the
/// market and stall codes as a pre-filled memo so that receipts can be told apart. `None`
/// when the stall has no merchant or the merchant no account.
pub async fn stall_code(db: &Db, stall_id: i64) -> sqlx::Result<Option<StallCode>> {
    let Some(stall) = store::get_stall(db, stall_id).await? else {
        return Ok(None);
    };
    let Some(account) = store::stall_payout_account(db, stall_id).await? else {
        return Ok(None);
    };
    let Some(merchant) = store::get_merchant(db, account.merchant_id).await? else {
        return Ok(None);
    };
    let Some(market) = store::get_market(db, stall.market_id).await? else {
        return Ok(None);
    };
    let qr = VietQr {
        initiation: Initiation::Static,
        bin: account.bank_bin.clone(),
        account: account.account_number.clone(),
        service: Some(Service::ToAccount),
        memo: Some(format!("{} {}", market.code, stall.code)),
        ..VietQr::default()
    };
    Ok(Some(StallCode {
        stall,
        market,
        merchant,
        account,
        qr,
    }))
}

fn not_payable() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_payout_account",
        "Quầy chưa có người bán với tài khoản nhận tiền",
        "The stall has no merchant with a payout account",
    )
}

pub fn qr_error(e: &vietqr::Error) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        e.code(),
        &e.message_vi(),
        &e.to_string(),
    )
    .with_details(serde_json::json!({
        "offset": e.offset(),
        "tag": e.tag().map(|t| t.to_string()),
    }))
}

/// The code of a stall the caller may see.
async fn payload_of(st: &AppState, caller: &Caller, id: i64) -> ApiResult<StallCode> {
    crate::api::visible_stall(st, caller, id).await?;
    stall_code(&st.db, id).await?.ok_or_else(not_payable)
}

fn encode(code: &StallCode) -> ApiResult<String> {
    code.qr.encode().map_err(|e| qr_error(&e))
}

/// The stall's static VietQR as SVG (error correction M, quiet zone 4).
#[utoipa::path(get, path = "/api/v1/stalls/{id}/qr.svg", tag = "vietqr",
    responses((status = 200, content_type = "image/svg+xml", body = String),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn stall_qr_svg(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let payload = encode(&payload_of(&st, &caller, id).await?)?;
    let svg = vietqr::render::try_to_svg(&payload).map_err(|_| ApiError::internal())?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// The stall's static VietQR as PNG (8 px per module).
#[utoipa::path(get, path = "/api/v1/stalls/{id}/qr.png", tag = "vietqr",
    responses((status = 200, content_type = "image/png", body = Vec<u8>),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn stall_qr_png(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let payload = encode(&payload_of(&st, &caller, id).await?)?;
    let png = vietqr::render::try_to_png(&payload, 8).map_err(|_| ApiError::internal())?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

pub fn sign_svg(code: &StallCode) -> ApiResult<String> {
    let info = vietqr::render::SignInfo::from_vietqr(
        &code.qr,
        &code.market.name,
        &code.stall.code,
        &code.merchant.name,
    )
    .map_err(|e| qr_error(&e))?;
    vietqr::render::try_stall_sign_svg(&info).map_err(|_| ApiError::internal())
}

/// A printable A6 stall sign (SVG): code, market, stall, merchant, bank, masked account.
#[utoipa::path(get, path = "/api/v1/stalls/{id}/sign", tag = "vietqr",
    responses((status = 200, content_type = "image/svg+xml", body = String),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn stall_sign(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let svg = sign_svg(&payload_of(&st, &caller, id).await?)?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct DecodeRequest {
    pub payload: String,
}

/// Decodes any EMVCo merchant-presented payload strictly; errors name the byte offset and tag.
#[utoipa::path(post, path = "/api/v1/qr/decode", tag = "vietqr", request_body = DecodeRequest,
    responses((status = 200, body = Object, description = "The decoded fields (`vietqr` or \
        `other_scheme`)"), (status = 422, body = crate::error::ErrorBody)))]
pub async fn decode(Json(req): Json<DecodeRequest>) -> ApiResult<Json<vietqr::Decoded>> {
    vietqr::decode(&req.payload)
        .map(Json)
        .map_err(|e| qr_error(&e))
}

#[derive(Serialize, ToSchema)]
pub struct EncodeResponse {
    pub payload: String,
}

/// Encodes a VietQR (static without amount, dynamic with one); never returns an invalid payload.
#[utoipa::path(post, path = "/api/v1/qr/encode", tag = "vietqr",
    request_body(content = Object, description = "VietQR fields: initiation (static|dynamic), \
        bin, account, service (QRIBFTTA|QRIBFTTC|QRPUSH), amount, memo, bill_number, \
        merchant_name, merchant_city"),
    responses((status = 200, body = EncodeResponse), (status = 422, body = crate::error::ErrorBody)))]
pub async fn encode_api(Json(qr): Json<VietQr>) -> ApiResult<Json<EncodeResponse>> {
    qr.encode()
        .map(|payload| Json(EncodeResponse { payload }))
        .map_err(|e| qr_error(&e))
}

/// All signs of one market as one printable page (one A6 sign per printed page).
pub async fn market_signs(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Response, crate::web::WebError> {
    let market = crate::api::visible_market(&st, &caller, id).await?;
    let viewer = caller.person()?.viewer();
    let mut signs = Vec::new();
    let mut page = 1;
    loop {
        let q = crate::register::ListQuery {
            market_id: Some(id),
            page: Some(page),
            per_page: Some(500),
            viewer,
            ..Default::default()
        };
        let stalls = store::list_stalls(&st.db, &q).await?;
        for s in &stalls.items {
            if let Some(code) = stall_code(&st.db, s.id).await?
                && let Ok(svg) = sign_svg(&code)
            {
                signs.push(svg);
            }
        }
        if stalls.items.len() < 500 {
            break;
        }
        page += 1;
    }
    let body = crate::web::print_page(&format!("Bảng QR — {}", market.name), &signs);
    Ok(body.into_response())
}
