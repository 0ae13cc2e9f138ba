//! Organisations (merchant, market board, utility, tax office, notification provider) and their
//! members. Merchants and market boards point at their register records; a person's rights
//! still come from role grants, membership says which organisation they act for.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AuditObject;
use crate::db::{Db, now_micros};
use crate::error::{ApiError, ApiResult, ErrorBody, FieldError, parse_json};
use crate::server::AppState;
use crate::with_db;

pub const KINDS: &[&str] = &[
    "merchant",
    "market_board",
    "utility",
    "tax_office",
    "notification_provider",
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Organisation {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub tax_code: Option<String>,
    pub market_id: Option<i64>,
    pub merchant_id: Option<i64>,
    pub created_at: i64,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct NewOrganisation {
    /// merchant, market_board, utility, tax_office or notification_provider.
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub tax_code: Option<String>,
    /// Required for a market board.
    #[serde(default)]
    pub market_id: Option<i64>,
    /// Required for a merchant.
    #[serde(default)]
    pub merchant_id: Option<i64>,
}

const COLS: &str = "id, kind, name, tax_code, market_id, merchant_id, created_at";

pub async fn list(db: &Db) -> sqlx::Result<Vec<Organisation>> {
    let sql = format!("SELECT {COLS} FROM organisations ORDER BY kind, name");
    with_db!(db, p => sqlx::query_as::<_, Organisation>(sqlx::AssertSqlSafe(sql)).fetch_all(p).await)
}

async fn check(st: &AppState, n: &NewOrganisation) -> ApiResult<NewOrganisation> {
    let mut errors = Vec::new();
    if !KINDS.contains(&n.kind.as_str()) {
        errors.push(FieldError::new(
            "kind",
            "not_allowed",
            "Loại tổ chức không hợp lệ",
            "Unknown organisation kind",
        ));
    }
    let name = crate::text::clean(&n.name);
    if name.is_empty() {
        errors.push(FieldError::required("name"));
    }
    let tax_code = n
        .tax_code
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| crate::register::validate::tax_code(&mut errors, t));
    let needs_market = n.kind == "market_board";
    let needs_merchant = n.kind == "merchant";
    match (needs_market, n.market_id) {
        (true, Some(m))
            if crate::register::store::get_market(&st.db, m)
                .await?
                .is_none() =>
        {
            errors.push(FieldError::new(
                "market_id",
                "unknown_market",
                "Không có chợ này",
                "No such market",
            ))
        }
        (true, None) => errors.push(FieldError::required("market_id")),
        (false, Some(_)) => errors.push(FieldError::new(
            "market_id",
            "not_allowed",
            "Chỉ ban quản lý chợ gắn với chợ",
            "Only a market board has a market",
        )),
        _ => {}
    }
    match (needs_merchant, n.merchant_id) {
        (true, Some(m))
            if crate::register::store::get_merchant(&st.db, m)
                .await?
                .is_none() =>
        {
            errors.push(FieldError::new(
                "merchant_id",
                "unknown_merchant",
                "Không có người bán này",
                "No such merchant",
            ))
        }
        (true, None) => errors.push(FieldError::required("merchant_id")),
        (false, Some(_)) => errors.push(FieldError::new(
            "merchant_id",
            "not_allowed",
            "Chỉ tổ chức người bán gắn với người bán",
            "Only a merchant organisation has a merchant",
        )),
        _ => {}
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(NewOrganisation {
        name,
        tax_code,
        ..n.clone()
    })
}

/// Organisations (administrators).
#[utoipa::path(get, path = "/api/v1/organisations", tag = "identity",
    responses((status = 200, body = Vec<Organisation>)))]
pub async fn list_organisations(State(st): State<AppState>) -> ApiResult<Json<Vec<Organisation>>> {
    Ok(Json(list(&st.db).await?))
}

/// Registers an organisation; a merchant or market board points at its register record.
#[utoipa::path(post, path = "/api/v1/organisations", tag = "identity", request_body = NewOrganisation,
    responses((status = 201, body = Organisation), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_organisation(
    State(st): State<AppState>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let n = check(&st, &parse_json(&body)?).await?;
    let sql = format!(
        "INSERT INTO organisations (kind, name, tax_code, market_id, merchant_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLS}"
    );
    let org = with_db!(&st.db, p => sqlx::query_as::<_, Organisation>(sqlx::AssertSqlSafe(sql))
        .bind(&n.kind).bind(&n.name).bind(&n.tax_code).bind(n.market_id).bind(n.merchant_id)
        .bind(now_micros()).fetch_one(p).await)?;
    let mut resp = (StatusCode::CREATED, Json(&org)).into_response();
    resp.extensions_mut().insert(AuditObject {
        kind: "organisation",
        id: org.id.to_string(),
    });
    Ok(resp)
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct NewMember {
    pub person_id: i64,
}

/// Adds a person to an organisation (idempotent).
#[utoipa::path(post, path = "/api/v1/organisations/{id}/members", tag = "identity",
    request_body = NewMember,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_member(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    let m: NewMember = parse_json(&body)?;
    let exists: i64 = with_db!(&st.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM organisations WHERE id = $1")
        .bind(id).fetch_one(p).await)?;
    if exists == 0 {
        return Err(ApiError::not_found("organisation"));
    }
    if super::store::person(&st.db, m.person_id).await?.is_none() {
        return Err(ApiError::validation(vec![FieldError::new(
            "person_id",
            "unknown_person",
            "Không có người này",
            "No such person",
        )]));
    }
    with_db!(&st.db, p => sqlx::query("INSERT INTO organisation_members (organisation_id, person_id, created_at) \
        VALUES ($1, $2, $3) ON CONFLICT DO NOTHING").bind(id).bind(m.person_id).bind(now_micros())
        .execute(p).await.map(|_| ()))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organisations a person belongs to.
pub async fn of_person(db: &Db, person_id: i64) -> sqlx::Result<Vec<Organisation>> {
    let sql = "SELECT o.id, o.kind, o.name, o.tax_code, o.market_id, o.merchant_id, o.created_at \
        FROM organisations o JOIN organisation_members m ON m.organisation_id = o.id \
        WHERE m.person_id = $1 ORDER BY o.id";
    with_db!(db, p => sqlx::query_as::<_, Organisation>(sql).bind(person_id).fetch_all(p).await)
}
