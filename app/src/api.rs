//! JSON API under `/api/v1`. Routes are registered through `utoipa_axum::routes!`, so the
//! OpenAPI document at `/api/v1/openapi.json` is generated from the same table that serves
//! requests: a route cannot exist without its description.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ErrorBody, FieldError, parse_json};
use crate::import::{self, ImportError, ImportReport, Kind, RowError};
use crate::places::Place;
use crate::register::validate;
use crate::register::{
    BankAccount, BankAccountInput, ListQuery, Market, MarketInput, Merchant, MerchantInput, Page,
    Stall, StallInput, store,
};
use crate::server::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Halong API",
        description = "Cashless economy platform of Quảng Ninh: places, markets, stalls, \
            merchants and payout accounts. Errors are JSON `{code, message_vi, message_en, \
            details}`; `code` is stable.",
        license(name = "AGPL-3.0-or-later")
    ),
    components(schemas(ErrorBody, FieldError, RowError, Kind)),
    modifiers(&Security)
)]
struct ApiDoc;

/// Declares the two ways to authenticate: the session cookie and bearer API tokens.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
        c.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(list_places))
        .routes(routes!(list_banks))
        .routes(routes!(list_markets, create_market))
        .routes(routes!(get_market, update_market))
        .routes(routes!(list_stalls, create_stall))
        .routes(routes!(get_stall, update_stall))
        .routes(routes!(list_merchants, create_merchant))
        .routes(routes!(get_merchant, update_merchant))
        .routes(routes!(list_accounts, add_account))
        .routes(routes!(delete_account))
        .routes(routes!(post_import))
        .routes(routes!(crate::qr::stall_qr_svg))
        .routes(routes!(crate::qr::stall_qr_png))
        .routes(routes!(crate::qr::stall_sign))
        .routes(routes!(crate::qr::decode))
        .routes(routes!(crate::qr::encode_api))
        .routes(routes!(crate::auth::routes::otp_request))
        .routes(routes!(crate::auth::routes::otp_verify))
        .routes(routes!(crate::auth::routes::password_signin))
        .routes(routes!(crate::auth::routes::signout))
        .routes(routes!(crate::auth::routes::me))
        .routes(routes!(
            crate::auth::routes::list_tokens,
            crate::auth::routes::create_token
        ))
        .routes(routes!(crate::auth::routes::revoke_token))
        .routes(routes!(
            crate::auth::routes::list_people,
            crate::auth::routes::create_person
        ))
        .routes(routes!(crate::auth::routes::get_person))
        .routes(routes!(crate::auth::routes::add_grant))
        .routes(routes!(crate::auth::routes::revoke_grant))
        .routes(routes!(crate::auth::routes::check_document))
        .routes(routes!(crate::auth::routes::audit_log))
        .routes(routes!(
            crate::auth::orgs::list_organisations,
            crate::auth::orgs::create_organisation
        ))
        .routes(routes!(crate::auth::orgs::add_member))
        .routes(routes!(crate::receipts::requests::create))
        .routes(routes!(crate::receipts::requests::get))
        .routes(routes!(crate::receipts::requests::qr_svg))
        .routes(routes!(crate::receipts::notify::receive))
        .routes(routes!(crate::receipts::notify::vietqr_token))
        .routes(routes!(crate::receipts::live::receipts))
        .routes(routes!(crate::receipts::live::stream))
        .routes(routes!(crate::receipts::live::totals))
        .routes(routes!(crate::indicators::indicators_api))
        .routes(routes!(crate::indicators::follow_up_api))
        .routes(routes!(crate::receipts::live::assign))
        .routes(routes!(crate::receipts::adjust::refund_route))
        .routes(routes!(crate::receipts::adjust::correction_route))
        .routes(routes!(crate::receipts::statements::reconcile_route))
        .routes(routes!(crate::receipts::statements::post_lines))
        .routes(routes!(crate::invoices::routes::get_taxpayer))
        .routes(routes!(crate::invoices::routes::register_taxpayer))
        .routes(routes!(
            crate::invoices::routes::list_products,
            crate::invoices::routes::create_product
        ))
        .routes(routes!(
            crate::invoices::routes::list_registers,
            crate::invoices::routes::create_register
        ))
        .routes(routes!(crate::invoices::routes::create_sale))
        .routes(routes!(crate::invoices::routes::get_sale))
        .routes(routes!(crate::invoices::routes::list_invoices))
        .routes(routes!(crate::invoices::routes::lookup_api))
        .routes(routes!(crate::invoices::routes::get_invoice))
        .routes(routes!(crate::invoices::routes::invoice_xml))
        .routes(routes!(crate::invoices::routes::replace_invoice))
        .routes(routes!(
            crate::fees::api::schedules,
            crate::fees::api::create_schedule
        ))
        .routes(routes!(crate::fees::api::put_schedule))
        .routes(routes!(
            crate::fees::api::get_account,
            crate::fees::api::put_account
        ))
        .routes(routes!(crate::fees::api::bills))
        .routes(routes!(crate::fees::api::generate_route))
        .routes(routes!(crate::fees::api::remind_route))
        .routes(routes!(crate::fees::api::bill))
        .routes(routes!(crate::fees::api::cash_route))
        .routes(routes!(crate::fees::api::merchant_bills_route))
        .split_for_parts();
    (router, api)
}

fn found<T>(v: Option<T>, what: &str) -> ApiResult<T> {
    v.ok_or_else(|| ApiError::not_found(what))
}

/// Every administrative unit of the province, with the former districts kept for reporting.
#[utoipa::path(get, path = "/api/v1/places", tag = "places",
    responses((status = 200, body = Vec<Place>)))]
async fn list_places(State(st): State<AppState>) -> Json<Vec<Place>> {
    Json(st.places.all().cloned().collect())
}

#[derive(Serialize, ToSchema)]
pub struct BankView {
    pub bin: String,
    pub code: String,
    pub short_name: String,
    pub name: String,
    pub swift: Option<String>,
    pub napas_transfer: bool,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct BankQuery {
    /// Name, code or BIN; diacritics ignored.
    q: Option<String>,
}

/// The bank directory (NAPAS BINs).
#[utoipa::path(get, path = "/api/v1/banks", tag = "places", params(BankQuery),
    responses((status = 200, body = Vec<BankView>)))]
async fn list_banks(Query(q): Query<BankQuery>) -> Json<Vec<BankView>> {
    let banks: Vec<&vietqr::banks::Bank> = match q.q.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => vietqr::banks::by_bin(s)
            .map(|b| vec![b])
            .unwrap_or_else(|| vietqr::banks::search(s)),
        None => vietqr::banks::all().iter().collect(),
    };
    Json(banks.into_iter().map(bank_view).collect())
}

pub fn bank_view(b: &vietqr::banks::Bank) -> BankView {
    BankView {
        bin: b.bin.to_string(),
        code: b.code.to_string(),
        short_name: b.short_name.to_string(),
        name: b.name.to_string(),
        swift: b.swift.as_ref().map(|s| s.to_string()),
        napas_transfer: b.napas_transfer,
    }
}

// ---- markets ----

use crate::auth::{AuditObject, Caller, forbidden, scope};

/// A 201 answer naming the created object for the audit log.
pub fn created<T: Serialize>(kind: &'static str, id: i64, body: T) -> axum::response::Response {
    audited(StatusCode::CREATED, kind, id, body)
}

/// A JSON answer naming the object it wrote, for the audit log.
pub fn audited<T: Serialize>(
    status: StatusCode,
    kind: &'static str,
    id: i64,
    body: T,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut resp = (status, Json(body)).into_response();
    resp.extensions_mut().insert(AuditObject {
        kind,
        id: id.to_string(),
    });
    resp
}

/// Lists are scoped to what the caller may see (all of it for administrators and tax officers).
fn scoped(caller: &Caller, mut q: ListQuery) -> ApiResult<ListQuery> {
    q.viewer = caller.person()?.viewer();
    Ok(q)
}

#[utoipa::path(get, path = "/api/v1/markets", tag = "markets", params(ListQuery),
    responses((status = 200, body = Page<Market>)))]
async fn list_markets(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Page<Market>>> {
    Ok(Json(
        store::list_markets(&st.db, &scoped(&caller, q)?).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/markets", tag = "markets", request_body = MarketInput,
    responses((status = 201, body = Market), (status = 422, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn create_market(
    State(st): State<AppState>,
    Json(input): Json<MarketInput>,
) -> ApiResult<axum::response::Response> {
    let row = validate::market(&input, &st.places).map_err(ApiError::validation)?;
    let m = store::create_market(&st.db, &row, false).await?;
    Ok(created("market", m.id, m))
}

/// The market, if the caller may see it (else 404, which does not reveal that it exists).
pub async fn visible_market(st: &AppState, caller: &Caller, id: i64) -> ApiResult<Market> {
    let m = found(store::get_market(&st.db, id).await?, "market")?;
    if !scope::can_see_market(&st.db, caller.person()?, id).await? {
        return Err(ApiError::not_found("market"));
    }
    Ok(m)
}

#[utoipa::path(get, path = "/api/v1/markets/{id}", tag = "markets",
    responses((status = 200, body = Market), (status = 404, body = ErrorBody)))]
async fn get_market(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Market>> {
    Ok(Json(visible_market(&st, &caller, id).await?))
}

#[utoipa::path(put, path = "/api/v1/markets/{id}", tag = "markets", request_body = MarketInput,
    responses((status = 200, body = Market), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update_market(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<Market>> {
    visible_market(&st, &caller, id).await?;
    if !caller.person()?.manages_market(id) {
        return Err(forbidden());
    }
    let input: MarketInput = parse_json(&body)?;
    let row = validate::market(&input, &st.places).map_err(ApiError::validation)?;
    Ok(Json(found(
        store::update_market(&st.db, id, &row).await?,
        "market",
    )?))
}

// ---- stalls ----

#[utoipa::path(get, path = "/api/v1/stalls", tag = "stalls", params(ListQuery),
    responses((status = 200, body = Page<Stall>)))]
async fn list_stalls(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Page<Stall>>> {
    Ok(Json(
        store::list_stalls(&st.db, &scoped(&caller, q)?).await?,
    ))
}

/// References are checked here, so that a missing market or merchant is a field error
/// (422) like any other, not a bare constraint violation; and the caller must manage the
/// market the stall goes to.
async fn check_stall(
    st: &AppState,
    caller: &Caller,
    input: &StallInput,
) -> ApiResult<validate::StallRow> {
    let p = caller.person()?;
    let checked = validate::stall(input);
    let mut errors = checked.as_ref().err().cloned().unwrap_or_default();
    // Market ids are not secret among staff: one the caller does not manage is refused
    // outright, whether or not they can see it.
    match store::get_market(&st.db, input.market_id).await? {
        None => errors.push(FieldError::new(
            "market_id",
            "unknown_market",
            "Không có chợ này",
            "No such market",
        )),
        Some(_) if !p.manages_market(input.market_id) => return Err(forbidden()),
        Some(_) => {}
    }
    if let Some(m) = input.merchant_id
        && store::get_merchant(&st.db, m).await?.is_none()
    {
        errors.push(FieldError::new(
            "merchant_id",
            "unknown_merchant",
            "Không có người bán này",
            "No such merchant",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    checked.map_err(ApiError::validation)
}

#[utoipa::path(post, path = "/api/v1/stalls", tag = "stalls", request_body = StallInput,
    responses((status = 201, body = Stall), (status = 422, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn create_stall(
    State(st): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<axum::response::Response> {
    let p = caller.person()?;
    if !p.is_admin() && !p.has("market_manager") {
        return Err(forbidden());
    }
    let input: StallInput = parse_json(&body)?;
    let row = check_stall(&st, &caller, &input).await?;
    let s = store::create_stall(&st.db, &row, false).await?;
    Ok(created("stall", s.id, s))
}

/// The stall, if the caller may see it.
pub async fn visible_stall(st: &AppState, caller: &Caller, id: i64) -> ApiResult<Stall> {
    let s = found(store::get_stall(&st.db, id).await?, "stall")?;
    if !scope::can_see_stall(caller.person()?, &s) {
        return Err(ApiError::not_found("stall"));
    }
    Ok(s)
}

#[utoipa::path(get, path = "/api/v1/stalls/{id}", tag = "stalls",
    responses((status = 200, body = Stall), (status = 404, body = ErrorBody)))]
async fn get_stall(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Stall>> {
    Ok(Json(visible_stall(&st, &caller, id).await?))
}

#[utoipa::path(put, path = "/api/v1/stalls/{id}", tag = "stalls", request_body = StallInput,
    responses((status = 200, body = Stall), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update_stall(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<Stall>> {
    let current = visible_stall(&st, &caller, id).await?;
    if !caller.person()?.manages_market(current.market_id) {
        return Err(forbidden());
    }
    let input: StallInput = parse_json(&body)?;
    let row = check_stall(&st, &caller, &input).await?;
    Ok(Json(found(
        store::update_stall(&st.db, id, &row).await?,
        "stall",
    )?))
}

// ---- merchants ----

#[utoipa::path(get, path = "/api/v1/merchants", tag = "merchants", params(ListQuery),
    responses((status = 200, body = Page<Merchant>)))]
async fn list_merchants(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Page<Merchant>>> {
    Ok(Json(
        store::list_merchants(&st.db, &scoped(&caller, q)?).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/merchants", tag = "merchants", request_body = MerchantInput,
    responses((status = 201, body = Merchant), (status = 422, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn create_merchant(
    State(st): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<axum::response::Response> {
    if !scope::can_create_merchant(caller.person()?) {
        return Err(forbidden());
    }
    let input: MerchantInput = parse_json(&body)?;
    let row = validate::merchant(&input, &st.places).map_err(ApiError::validation)?;
    let m = store::create_merchant(&st.db, &row, false).await?;
    Ok(created("merchant", m.id, m))
}

/// The merchant, if the caller may see it.
pub async fn visible_merchant(st: &AppState, caller: &Caller, id: i64) -> ApiResult<Merchant> {
    let m = found(store::get_merchant(&st.db, id).await?, "merchant")?;
    if !scope::can_see_merchant(&st.db, caller.person()?, id).await? {
        return Err(ApiError::not_found("merchant"));
    }
    Ok(m)
}

#[utoipa::path(get, path = "/api/v1/merchants/{id}", tag = "merchants",
    responses((status = 200, body = Merchant), (status = 404, body = ErrorBody)))]
async fn get_merchant(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Merchant>> {
    Ok(Json(visible_merchant(&st, &caller, id).await?))
}

#[utoipa::path(put, path = "/api/v1/merchants/{id}", tag = "merchants",
    request_body = MerchantInput,
    responses((status = 200, body = Merchant), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update_merchant(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<Merchant>> {
    visible_merchant(&st, &caller, id).await?;
    if !scope::can_edit_merchant(&st.db, caller.person()?, id).await? {
        return Err(forbidden());
    }
    let input: MerchantInput = parse_json(&body)?;
    let row = validate::merchant(&input, &st.places).map_err(ApiError::validation)?;
    Ok(Json(found(
        store::update_merchant(&st.db, id, &row).await?,
        "merchant",
    )?))
}

#[utoipa::path(get, path = "/api/v1/merchants/{id}/bank-accounts", tag = "merchants",
    responses((status = 200, body = Vec<BankAccount>), (status = 404, body = ErrorBody)))]
async fn list_accounts(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<BankAccount>>> {
    visible_merchant(&st, &caller, id).await?;
    Ok(Json(store::list_accounts(&st.db, id).await?))
}

#[utoipa::path(post, path = "/api/v1/merchants/{id}/bank-accounts", tag = "merchants",
    request_body = BankAccountInput,
    responses((status = 201, body = BankAccount), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_account(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<axum::response::Response> {
    visible_merchant(&st, &caller, id).await?;
    if !scope::can_edit_accounts(caller.person()?, id) {
        return Err(forbidden());
    }
    let input: BankAccountInput = parse_json(&body)?;
    let a = validate::bank_account(&input).map_err(ApiError::validation)?;
    let acc = store::add_account(&st.db, id, &a).await?;
    Ok(created("bank_account", acc.id, acc))
}

#[utoipa::path(delete, path = "/api/v1/merchants/{id}/bank-accounts/{account_id}",
    tag = "merchants",
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_account(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, account_id)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    visible_merchant(&st, &caller, id).await?;
    if !scope::can_edit_accounts(caller.person()?, id) {
        return Err(forbidden());
    }
    if store::delete_account(&st.db, id, account_id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("bank_account"))
    }
}

// ---- imports ----

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// `markets`, `stalls` or `merchants`.
    kind: Kind,
}

/// Imports a CSV file (UTF-8, with or without BOM; Vietnamese or English headers) sent as the
/// request body. All or nothing: a file with any bad row is refused whole (422, every bad
/// row and column in `details.errors`) and nothing is written. Re-importing a file changes
/// nothing.
#[utoipa::path(post, path = "/api/v1/imports", tag = "imports", params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 422, body = ErrorBody),
        (status = 400, body = ErrorBody)))]
async fn post_import(
    State(st): State<AppState>,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<ImportReport>> {
    match import::import_csv(&st.db, &st.places, q.kind, &body, &|_, _| {}).await {
        Ok(r) => Ok(Json(r)),
        Err(e) => Err(import_error(e)),
    }
}

pub fn import_error(e: ImportError) -> ApiError {
    match e {
        ImportError::Malformed { vi, en } => ApiError::bad_request("malformed_csv", &vi, &en),
        ImportError::Invalid(errors) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "import_rejected",
            "Tệp bị từ chối toàn bộ: có dòng không hợp lệ; không có gì được ghi",
            "File rejected whole: some rows are invalid; nothing was written",
        )
        .with_details(serde_json::json!({ "errors": errors })),
        ImportError::Db(e) => e.into(),
    }
}
