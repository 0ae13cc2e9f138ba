//! Sign-in, sessions, API tokens, people and grants, eKYC and the audit log: API and pages.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use maud::html;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::store::{self, ApiToken, AuditRow, EkycEvent, Person};
use super::{AuditObject, Caller, Grant, ROLES, SignedInAs, hash_secret, otp, throttle};
use crate::db::now_micros;
use crate::error::{ApiError, ApiResult, ErrorBody, FieldError};
use crate::server::AppState;

type Peer = Option<Extension<ConnectInfo<std::net::SocketAddr>>>;

fn ip(peer: &Peer) -> String {
    peer.as_ref()
        .map_or_else(|| "unknown".into(), |c| c.0.0.ip().to_string())
}

/// Sign-in answers set the session cookie and name the person for the audit log.
fn signed_in(st: &AppState, person: &Person, secret: &str, body: Response) -> Response {
    let mut resp = body;
    let cookie = super::session_cookie(secret, st.secure_cookies);
    resp.headers_mut()
        .insert(header::SET_COOKIE, cookie.parse().expect("cookie header"));
    resp.extensions_mut().insert(SignedInAs(person.id));
    resp.extensions_mut().insert(AuditObject {
        kind: "person",
        id: person.id.to_string(),
    });
    resp
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct OtpRequest {
    pub phone: String,
}

#[derive(Serialize, ToSchema)]
pub struct OtpSent {
    /// National form of the phone the code went to.
    pub phone: String,
    pub expires_in_seconds: i64,
}

/// Sends a 6-digit sign-in code by SMS (rate-limited per phone and per IP).
#[utoipa::path(post, path = "/api/v1/auth/otp/request", tag = "identity", request_body = OtpRequest,
    responses((status = 202, body = OtpSent), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn otp_request(
    State(st): State<AppState>,
    peer: Peer,
    Json(r): Json<OtpRequest>,
) -> ApiResult<(StatusCode, Json<OtpSent>)> {
    let phone = otp::request_code(&st, &r.phone, &ip(&peer)).await?;
    let sent = OtpSent {
        phone: phone.as_national().into(),
        expires_in_seconds: otp::CODE_SECONDS,
    };
    Ok((StatusCode::ACCEPTED, Json(sent)))
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct OtpVerify {
    pub phone: String,
    pub code: String,
}

/// Checks the code; on success starts a session (HTTP-only cookie) and returns the person.
#[utoipa::path(post, path = "/api/v1/auth/otp/verify", tag = "identity", request_body = OtpVerify,
    responses((status = 200, body = Person), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn otp_verify(
    State(st): State<AppState>,
    peer: Peer,
    Json(r): Json<OtpVerify>,
) -> ApiResult<Response> {
    let person = otp::verify_code(&st, &r.phone, &r.code, &ip(&peer)).await?;
    let secret = store::create_session(&st.db, person.id).await?;
    Ok(signed_in(
        &st,
        &person,
        &secret,
        Json(&person).into_response(),
    ))
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct PasswordSignIn {
    pub phone: String,
    pub password: String,
}

async fn check_password(st: &AppState, raw_phone: &str, password: &str) -> ApiResult<Person> {
    let phone = otp::parse_phone(raw_phone)?;
    let national = phone.as_national();
    let key = format!("password:{national}");
    let now = now_micros();
    if let Some(until) = throttle::locked_until(&st.db, &key, now).await? {
        let secs = ((until - now) / 1_000_000).max(1);
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "locked",
            &format!("Tạm khóa đăng nhập; thử lại sau {secs} giây"),
            &format!("Sign-in locked; retry in {secs} s"),
        ));
    }
    let person = store::person_by_phone(&st.db, national).await?;
    let hash = match &person {
        Some(p) => store::password_hash(&st.db, p.id).await?,
        None => None,
    };
    let ok = hash.as_deref().is_some_and(|h| {
        PasswordHash::new(h).is_ok_and(|parsed| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    });
    match (ok, person) {
        (true, Some(p)) => {
            throttle::succeed(&st.db, &key).await?;
            Ok(p)
        }
        _ => {
            throttle::fail(&st.db, &key, now).await?;
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
                "Sai số điện thoại hoặc mật khẩu",
                "Wrong phone number or password",
            ))
        }
    }
}

/// Password sign-in for staff (argon2id hashes; locked after repeated failures).
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "identity", request_body = PasswordSignIn,
    responses((status = 200, body = Person), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn password_signin(
    State(st): State<AppState>,
    Json(r): Json<PasswordSignIn>,
) -> ApiResult<Response> {
    let person = check_password(&st, &r.phone, &r.password).await?;
    let secret = store::create_session(&st.db, person.id).await?;
    Ok(signed_in(
        &st,
        &person,
        &secret,
        Json(&person).into_response(),
    ))
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))?
        .to_string())
}

fn session_hash(headers: &HeaderMap) -> Option<String> {
    super::cookie_value(headers, super::SESSION_COOKIE).map(hash_secret)
}

/// Ends the current session.
#[utoipa::path(post, path = "/api/v1/auth/signout", tag = "identity",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn signout(State(st): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(h) = session_hash(&headers) {
        store::delete_session(&st.db, &h).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        super::clear_cookie().parse().expect("cookie"),
    );
    Ok(resp)
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub person: Person,
    pub grants: Vec<Grant>,
    /// The CSRF token to send as `X-CSRF-Token` with writes made with the session cookie.
    pub csrf_token: Option<String>,
}

/// Who am I: the signed-in person, their roles, and the session's CSRF token.
#[utoipa::path(get, path = "/api/v1/me", tag = "identity",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(State(st): State<AppState>, caller: Caller) -> ApiResult<Json<Me>> {
    let p = caller.person()?;
    let person = store::person(&st.db, p.person_id)
        .await?
        .ok_or_else(|| ApiError::not_found("person"))?;
    Ok(Json(Me {
        person,
        grants: p.grants.clone(),
        csrf_token: p.csrf().map(String::from),
    }))
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct NewToken {
    pub name: String,
    /// `read` (GET only) or `write` (default).
    #[serde(default = "default_write")]
    pub scope: String,
}

fn default_write() -> String {
    "write".into()
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    pub token: ApiToken,
    /// The secret, shown this once: use it as `Authorization: Bearer …`.
    pub secret: String,
}

/// My API tokens (secrets are never shown again).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "identity",
    responses((status = 200, body = Vec<ApiToken>)))]
pub async fn list_tokens(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<ApiToken>>> {
    Ok(Json(
        store::list_tokens(&st.db, caller.person()?.person_id).await?,
    ))
}

/// Creates an API token for machines, acting as me within the token's scope.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "identity", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(st): State<AppState>,
    caller: Caller,
    Json(t): Json<NewToken>,
) -> ApiResult<Response> {
    let p = caller.person()?;
    let mut errors = Vec::new();
    let name = crate::text::clean(&t.name);
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new(
            "name",
            "required",
            "Đặt tên cho mã (tối đa 100 ký tự)",
            "Name the token (at most 100 characters)",
        ));
    }
    if t.scope != "read" && t.scope != "write" {
        errors.push(FieldError::new(
            "scope",
            "not_allowed",
            "Phạm vi là read hoặc write",
            "Scope is read or write",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let (token, secret) = store::create_token(&st.db, p.person_id, &name, &t.scope).await?;
    let id = token.id.to_string();
    let mut resp = (StatusCode::CREATED, Json(CreatedToken { token, secret })).into_response();
    resp.extensions_mut().insert(AuditObject {
        kind: "api_token",
        id,
    });
    Ok(resp)
}

/// Revokes one of my tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "identity",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    if store::revoke_token(&st.db, caller.person()?.person_id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("api_token"))
    }
}

#[derive(Deserialize, IntoParams)]
pub struct PageParams {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl PageParams {
    fn limit(&self) -> i64 {
        i64::from(self.per_page.unwrap_or(50).clamp(1, 500))
    }
    fn offset(&self) -> i64 {
        i64::from(self.page.unwrap_or(1).max(1) - 1) * self.limit()
    }
}

/// People (administrators only).
#[utoipa::path(get, path = "/api/v1/people", tag = "identity", params(PageParams),
    responses((status = 200, body = crate::register::Page<Person>)))]
pub async fn list_people(
    State(st): State<AppState>,
    Query(q): Query<PageParams>,
) -> ApiResult<Json<crate::register::Page<Person>>> {
    let (items, total) = store::list_people(&st.db, q.limit(), q.offset()).await?;
    Ok(Json(crate::register::Page { items, total }))
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct NewPerson {
    pub name: String,
    pub phone: String,
    /// For staff who sign in with a password (at least 10 characters).
    #[serde(default)]
    pub password: Option<String>,
}

/// Creates a person (idempotent by phone), optionally with a password.
#[utoipa::path(post, path = "/api/v1/people", tag = "identity", request_body = NewPerson,
    responses((status = 201, body = Person), (status = 422, body = ErrorBody)))]
pub async fn create_person(
    State(st): State<AppState>,
    Json(n): Json<NewPerson>,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let phone = match identity::phone::Phone::parse(&n.phone) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(FieldError::new(
                "phone",
                e.code(),
                e.message_vi(),
                e.message_en(),
            ));
            None
        }
    };
    let name = crate::text::clean(&n.name);
    if name.is_empty() {
        errors.push(FieldError::required("name"));
    }
    if n.password.as_ref().is_some_and(|p| p.chars().count() < 10) {
        errors.push(FieldError::new(
            "password",
            "too_short",
            "Mật khẩu tối thiểu 10 ký tự",
            "Password needs at least 10 characters",
        ));
    }
    let Some(phone) = phone.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let person = store::ensure_person(&st.db, &name, phone.as_national(), false).await?;
    if let Some(pw) = &n.password {
        store::set_password(&st.db, person.id, &hash_password(pw)?).await?;
    }
    let mut resp = (StatusCode::CREATED, Json(&person)).into_response();
    resp.extensions_mut().insert(AuditObject {
        kind: "person",
        id: person.id.to_string(),
    });
    Ok(resp)
}

#[derive(Serialize, ToSchema)]
pub struct PersonDetail {
    pub person: Person,
    pub grants: Vec<Grant>,
    pub organisations: Vec<super::orgs::Organisation>,
    pub ekyc_events: Vec<EkycEvent>,
}

/// A person, with grants and eKYC history: administrators, or the person themself.
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "identity",
    responses((status = 200, body = PersonDetail), (status = 404, body = ErrorBody)))]
pub async fn get_person(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<PersonDetail>> {
    let p = caller.person()?;
    if !p.is_admin() && p.person_id != id {
        return Err(ApiError::not_found("person"));
    }
    let person = store::person(&st.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("person"))?;
    Ok(Json(PersonDetail {
        person,
        grants: store::grants(&st.db, id).await?,
        organisations: super::orgs::of_person(&st.db, id).await?,
        ekyc_events: store::ekyc_events(&st.db, id).await?,
    }))
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct NewGrant {
    /// admin, market_manager, merchant_owner, merchant_cashier, tax_officer or citizen.
    pub role: String,
    /// Market id for market_manager; merchant id for merchant_owner and merchant_cashier.
    #[serde(default)]
    pub scope_id: Option<i64>,
}

/// Grants a role, scoped to a market or a merchant where the role needs one.
#[utoipa::path(post, path = "/api/v1/people/{id}/grants", tag = "identity", request_body = NewGrant,
    responses((status = 201, body = Grant), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_grant(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(g): Json<NewGrant>,
) -> ApiResult<Response> {
    store::person(&st.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("person"))?;
    let scope = check_grant(&st, &g).await?;
    let grant = store::grant(&st.db, id, &g.role, scope, caller.person_id()).await?;
    let mut resp = (StatusCode::CREATED, Json(&grant)).into_response();
    resp.extensions_mut().insert(AuditObject {
        kind: "role_grant",
        id: grant.id.to_string(),
    });
    Ok(resp)
}

async fn check_grant(st: &AppState, g: &NewGrant) -> ApiResult<i64> {
    let bad = |vi: &str, en: &str| {
        ApiError::validation(vec![FieldError::new("scope_id", "bad_scope", vi, en)])
    };
    if !ROLES.contains(&g.role.as_str()) {
        return Err(ApiError::validation(vec![FieldError::new(
            "role",
            "not_allowed",
            "Vai trò không hợp lệ",
            "Unknown role",
        )]));
    }
    match (g.role.as_str(), g.scope_id) {
        ("market_manager", Some(m)) => {
            crate::register::store::get_market(&st.db, m)
                .await?
                .ok_or_else(|| bad("Không có chợ này", "No such market"))?;
            Ok(m)
        }
        ("merchant_owner" | "merchant_cashier", Some(m)) => {
            crate::register::store::get_merchant(&st.db, m)
                .await?
                .ok_or_else(|| bad("Không có người bán này", "No such merchant"))?;
            Ok(m)
        }
        ("market_manager" | "merchant_owner" | "merchant_cashier", None) => Err(bad(
            "Vai trò này cần chợ hoặc người bán cụ thể",
            "This role needs a market or merchant",
        )),
        (_, Some(_)) => Err(bad(
            "Vai trò này không gắn với đối tượng",
            "This role takes no scope",
        )),
        (_, None) => Ok(0),
    }
}

/// Revokes a grant.
#[utoipa::path(delete, path = "/api/v1/people/{id}/grants/{grant_id}", tag = "identity",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_grant(
    State(st): State<AppState>,
    Path((id, grant_id)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    if store::revoke_grant(&st.db, id, grant_id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("role_grant"))
    }
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct DocumentCheck {
    /// The three MRZ lines of the chip ID card (TD1), as scanned or typed.
    pub mrz: String,
    /// Full name as entered by the person.
    pub name: String,
    /// 12-digit personal ID as entered.
    pub personal_id: String,
    /// Birth date as entered, `YYYY-MM-DD`.
    pub birth_date: String,
    /// EF.DG1 read from the card's chip over NFC, base64.
    pub dg1: String,
    /// EF.SOD (document security object) read from the chip, base64.
    pub sod: String,
    /// Other data groups read (e.g. DG2, DG13), whose hashes are checked too.
    #[serde(default)]
    pub data_groups: Vec<DataGroup>,
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct DataGroup {
    pub number: u8,
    /// Base64.
    pub data: String,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentResult {
    pub ekyc_level: i16,
    /// `chip_mrz_dg1_pa` (passive authentication against a configured CSCA) or
    /// `chip_mrz_dg1_no_csca`.
    pub method: String,
    /// `passed`, `failed` or `not_configured`.
    pub passive_auth: String,
    /// Stable codes of every reason the document was not accepted (empty when accepted).
    pub refusals: Vec<String>,
    /// Every difference between the document and the entered data.
    pub mismatches: Vec<String>,
}

fn b64(field: &str, s: &str) -> ApiResult<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|_| {
            ApiError::validation(vec![FieldError::new(
                field,
                "bad_base64",
                "Không phải base64",
                "Not base64",
            )])
        })
}

/// eKYC level 2 from the chip ID card: the scanned MRZ (every check digit) agrees with the
/// entered name, ID number and birth date; the chip's DG1 holds the same MRZ; the chip's
/// security object vouches for the data groups, and — when country-signing certificates are
/// configured — chains to one of them (passive authentication). The person or an administrator.
#[utoipa::path(post, path = "/api/v1/people/{id}/ekyc", tag = "identity", request_body = DocumentCheck,
    responses((status = 200, body = DocumentResult), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn check_document(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let p = caller.person()?;
    if !p.is_admin() && p.person_id != id {
        return Err(ApiError::not_found("person"));
    }
    let d: DocumentCheck = crate::error::parse_json(&body)?;
    let person = store::person(&st.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("person"))?;
    let birth = parse_date(&d.birth_date).ok_or_else(|| {
        ApiError::validation(vec![FieldError::new(
            "birth_date",
            "bad_date",
            "Ngày sinh dạng YYYY-MM-DD",
            "Birth date as YYYY-MM-DD",
        )])
    })?;
    let (dg1, sod) = (b64("dg1", &d.dg1)?, b64("sod", &d.sod)?);
    let mut others = Vec::new();
    for g in &d.data_groups {
        others.push((g.number, b64("data_groups", &g.data)?));
    }
    let others: Vec<(u8, &[u8])> = others.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    let cscas: Vec<&[u8]> = st.csca_certs.iter().map(Vec::as_slice).collect();
    let decision = identity::ekyc::chip_level2(&identity::ekyc::ChipEvidence {
        scanned_mrz: &d.mrz,
        full_name: &d.name,
        personal_id: &d.personal_id,
        birth_date: birth,
        dg1: &dg1,
        sod: &sod,
        other_data_groups: &others,
        csca_certs_der: &cscas,
        now_unix: now_micros() / 1_000_000,
    });
    let passive_auth = format!("{:?}", decision.passive_auth).to_lowercase();
    let passive_auth = if passive_auth == "notconfigured" {
        "not_configured".into()
    } else {
        passive_auth
    };
    let level = if decision.eligible {
        // Stored: who decided (actor), when (the event time), how (method and checks); the ID
        // itself is masked in the record, it is kept in the person's own row.
        let details = serde_json::json!({
            "method": decision.method,
            "passive_auth": passive_auth,
            "ds_subject": decision.pa_report.as_ref().and_then(|r| r.ds_subject.clone()),
            "csca_subject": decision.pa_report.as_ref().and_then(|r| r.csca_subject.clone()),
            "personal_id": identity::phone::mask(&d.personal_id),
        });
        store::set_identity(&st.db, id, d.personal_id.trim(), d.birth_date.trim()).await?;
        store::set_ekyc_level(
            &st.db,
            id,
            2.max(person.ekyc_level),
            &decision.method,
            Some(p.person_id),
            &details,
        )
        .await?;
        2.max(person.ekyc_level)
    } else {
        person.ekyc_level
    };
    let result = DocumentResult {
        ekyc_level: level,
        method: decision.method.clone(),
        passive_auth,
        refusals: decision.refusals.clone(),
        mismatches: decision
            .mismatches
            .iter()
            .map(|m| format!("{m:?}"))
            .collect(),
    };
    let mut resp = Json(result).into_response();
    resp.extensions_mut().insert(AuditObject {
        kind: "person",
        id: id.to_string(),
    });
    Ok(resp)
}

fn parse_date(s: &str) -> Option<identity::ekyc::BirthDate> {
    let mut it = s.trim().split('-');
    let (y, m, d) = (
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
    );
    (it.next().is_none() && (1..=12).contains(&m) && (1..=31).contains(&d)).then_some(
        identity::ekyc::BirthDate {
            year: y,
            month: m,
            day: d,
        },
    )
}

#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Part of the action, e.g. `markets` or `auth`.
    pub action: Option<String>,
    /// `csv` for a CSV export.
    pub format: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// The audit log, newest first; `format=csv` exports it.
#[utoipa::path(get, path = "/api/v1/audit", tag = "identity", params(AuditQuery),
    responses((status = 200, body = crate::register::Page<AuditRow>)))]
pub async fn audit_log(
    State(st): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Response> {
    let pp = PageParams {
        page: q.page,
        per_page: q.per_page,
    };
    let csv = q.format.as_deref() == Some("csv");
    let limit = if csv { 100_000 } else { pp.limit() };
    let (items, total) = store::list_audit(&st.db, q.action.as_deref(), limit, pp.offset()).await?;
    if !csv {
        return Ok(Json(crate::register::Page { items, total }).into_response());
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "at_utc_micros",
        "actor_id",
        "actor",
        "action",
        "object_kind",
        "object_id",
        "request_id",
        "details",
    ])
    .map_err(|_| ApiError::internal())?;
    for r in &items {
        w.write_record([
            r.id.to_string(),
            r.at.to_string(),
            r.actor_id.map(|a| a.to_string()).unwrap_or_default(),
            r.actor.clone(),
            r.action.clone(),
            r.object_kind.clone(),
            r.object_id.clone(),
            r.request_id.clone(),
            r.details.clone(),
        ])
        .map_err(|_| ApiError::internal())?;
    }
    let body = w.into_inner().map_err(|_| ApiError::internal())?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

// ---- pages ----

fn csrf_input(caller: &Caller) -> maud::Markup {
    html! {
        @if let Some(t) = caller.principal.as_ref().and_then(|p| p.csrf()) {
            input type="hidden" name="csrf" value=(t);
        }
    }
}

#[derive(Deserialize, Default)]
pub struct SignInForm {
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub password: String,
}

fn signin_page(
    st: &AppState,
    caller: &Caller,
    f: &SignInForm,
    step_code: bool,
    error: Option<&str>,
) -> Response {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = crate::web::layout_for(
        caller,
        "Đăng nhập",
        html! {
            h1 { "Đăng nhập" }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            @if step_code {
                form.card method="post" action="/signin/verify" {
                    (csrf_input(caller))
                    input type="hidden" name="phone" value=(f.phone);
                    p { "Mã xác thực đã được gửi qua SMS tới " (identity::phone::mask(&f.phone)) "." }
                    label { "Mã xác thực (6 số)" input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6"; }
                    button type="submit" { "Xác nhận" }
                }
            } @else {
                form.card method="post" action="/signin/otp" {
                    (csrf_input(caller))
                    label { "Số điện thoại" input type="tel" name="phone" value=(f.phone) autocomplete="tel"; }
                    button type="submit" { "Gửi mã qua SMS" }
                }
                form.card method="post" action="/signin/password" {
                    (csrf_input(caller))
                    h2 { "Cán bộ: đăng nhập bằng mật khẩu" }
                    label { "Số điện thoại" input type="tel" name="phone" value=(f.phone) autocomplete="username"; }
                    label { "Mật khẩu" input type="password" name="password" autocomplete="current-password"; }
                    button type="submit" { "Đăng nhập" }
                }
            }
            @if st.demo {
                div.notice {
                    h2 { "Tài khoản mẫu (chỉ ở chế độ trình diễn)" }
                    p { "Mật khẩu cho mọi tài khoản cán bộ: " code { (crate::demo::DEMO_PASSWORD) } ". Mã SMS xem tại " a href="/sim/sms" { "cổng SMS mô phỏng" } "." }
                    ul { @for (phone, role) in crate::demo::DEMO_USERS { li { code { (phone) } " — " (role) } } }
                }
            }
        },
    );
    (status, body).into_response()
}

pub async fn signin_get(State(st): State<AppState>, caller: Caller) -> Response {
    signin_page(&st, &caller, &SignInForm::default(), false, None)
}

pub async fn signin_otp(
    State(st): State<AppState>,
    caller: Caller,
    peer: Peer,
    Form(f): Form<SignInForm>,
) -> Response {
    match otp::request_code(&st, &f.phone, &ip(&peer)).await {
        Ok(p) => {
            let f = SignInForm {
                phone: p.as_national().into(),
                ..f
            };
            signin_page(&st, &caller, &f, true, None)
        }
        Err(e) => signin_page(&st, &caller, &f, false, Some(&error_text(&e))),
    }
}

fn error_text(e: &ApiError) -> String {
    match e
        .body
        .details
        .get("errors")
        .and_then(|v| v.get(0))
        .and_then(|v| v.get("message_vi"))
    {
        Some(m) => m.as_str().unwrap_or_default().to_string(),
        None => e.body.message_vi.clone(),
    }
}

pub async fn signin_verify(
    State(st): State<AppState>,
    caller: Caller,
    peer: Peer,
    Form(f): Form<SignInForm>,
) -> Response {
    match otp::verify_code(&st, &f.phone, &f.code, &ip(&peer)).await {
        Ok(person) => match store::create_session(&st.db, person.id).await {
            Ok(secret) => signed_in(&st, &person, &secret, Redirect::to("/").into_response()),
            Err(e) => ApiError::from(e).into_response(),
        },
        Err(e) => signin_page(
            &st,
            &caller,
            &f,
            e.body.code == "bad_code",
            Some(&error_text(&e)),
        ),
    }
}

pub async fn signin_password(
    State(st): State<AppState>,
    caller: Caller,
    Form(f): Form<SignInForm>,
) -> Response {
    match check_password(&st, &f.phone, &f.password).await {
        Ok(person) => match store::create_session(&st.db, person.id).await {
            Ok(secret) => signed_in(&st, &person, &secret, Redirect::to("/").into_response()),
            Err(e) => ApiError::from(e).into_response(),
        },
        Err(e) => signin_page(&st, &caller, &f, false, Some(&error_text(&e))),
    }
}

pub async fn signout_page(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(h) = session_hash(&headers)
        && let Err(e) = store::delete_session(&st.db, &h).await
    {
        return ApiError::from(e).into_response();
    }
    let mut resp = Redirect::to("/").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        super::clear_cookie().parse().expect("cookie"),
    );
    resp
}

pub async fn audit_page(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> Response {
    let pp = PageParams {
        page: q.page,
        per_page: q.per_page,
    };
    let (items, total) =
        match store::list_audit(&st.db, q.action.as_deref(), pp.limit(), pp.offset()).await {
            Ok(r) => r,
            Err(e) => return ApiError::from(e).into_response(),
        };
    let body = crate::web::layout_for(
        &caller,
        "Nhật ký thao tác",
        html! {
            h1 { "Nhật ký thao tác (" (total) ")" }
            form.filters method="get" action="/audit" {
                input type="search" name="action" placeholder="Lọc theo thao tác…" value=[q.action.as_deref()];
                button type="submit" { "Lọc" }
                a.button href={ "/api/v1/audit?format=csv&action=" (q.action.as_deref().unwrap_or("")) } { "Tải CSV" }
            }
            div.table-wrap { table {
                thead { tr { th { "Thời gian" } th { "Người thực hiện" } th { "Thao tác" } th { "Đối tượng" } th { "Mã yêu cầu" } } }
                tbody { @for r in &items {
                    tr { td { (crate::web::local_time(r.at)) } td { (r.actor) } td { (r.action) } td { (r.object_kind) " " (r.object_id) } td { code { (r.request_id) } } }
                } }
            } }
        },
    );
    body.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("mật khẩu dài đủ").unwrap();
        assert!(h.starts_with("$argon2id$"));
        let parsed = PasswordHash::new(&h).unwrap();
        assert!(
            argon2::Argon2::default()
                .verify_password("mật khẩu dài đủ".as_bytes(), &parsed)
                .is_ok()
        );
        assert!(
            argon2::Argon2::default()
                .verify_password(b"wrong", &parsed)
                .is_err()
        );
    }

    #[test]
    fn dates_parse_strictly() {
        assert!(parse_date("1990-02-28").is_some());
        assert!(parse_date("1990-13-01").is_none());
        assert!(parse_date("1990-01-01-1").is_none());
    }
}
