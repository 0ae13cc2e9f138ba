//! Storage of people, grants, sessions, API tokens, eKYC history and the audit log.

use crate::db::BeginWrite;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Grant, Principal, SESSION_SECONDS, Via, hash_secret, random_hex};
use crate::db::{Db, now_micros};
use crate::with_db;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Person {
    pub id: i64,
    pub name: String,
    /// National form `0xxxxxxxxx`.
    pub phone: String,
    pub personal_id: Option<String>,
    /// `YYYY-MM-DD`, when known from an identity document.
    pub birth_date: Option<String>,
    /// 0 unverified, 1 phone verified by OTP, 2 identity document verified.
    pub ekyc_level: i16,
    pub is_demo: bool,
    pub created_at: i64,
}

const PERSON_COLS: &str =
    "id, name, phone, personal_id, birth_date, ekyc_level, is_demo, created_at";

pub async fn person(db: &Db, id: i64) -> sqlx::Result<Option<Person>> {
    let sql = format!("SELECT {PERSON_COLS} FROM people WHERE id = $1");
    with_db!(db, p => sqlx::query_as::<_, Person>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)
}

pub async fn person_by_phone(db: &Db, phone: &str) -> sqlx::Result<Option<Person>> {
    let sql = format!("SELECT {PERSON_COLS} FROM people WHERE phone = $1");
    with_db!(db, p => sqlx::query_as::<_, Person>(sqlx::AssertSqlSafe(sql)).bind(phone).fetch_optional(p).await)
}

pub async fn list_people(db: &Db, limit: i64, offset: i64) -> sqlx::Result<(Vec<Person>, i64)> {
    let sql = format!("SELECT {PERSON_COLS} FROM people ORDER BY id LIMIT $1 OFFSET $2");
    with_db!(db, p => {
        let items = sqlx::query_as::<_, Person>(sqlx::AssertSqlSafe(sql)).bind(limit).bind(offset).fetch_all(p).await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM people").fetch_one(p).await?;
        Ok((items, total))
    })
}

/// Creates a person (or returns the existing one with this phone: idempotent).
pub async fn ensure_person(
    db: &Db,
    name: &str,
    phone: &str,
    is_demo: bool,
) -> sqlx::Result<Person> {
    let sql = "INSERT INTO people (name, phone, ekyc_level, is_demo, created_at) \
        VALUES ($1, $2, 0, $3, $4) ON CONFLICT (phone) DO NOTHING";
    with_db!(db, p => sqlx::query(sql).bind(name).bind(phone).bind(is_demo).bind(now_micros()).execute(p).await.map(|_| ()))?;
    Ok(person_by_phone(db, phone)
        .await?
        .expect("person exists after upsert"))
}

pub async fn set_password(db: &Db, person_id: i64, password_hash: &str) -> sqlx::Result<()> {
    with_db!(db, p => sqlx::query("UPDATE people SET password_hash = $2 WHERE id = $1")
        .bind(person_id).bind(password_hash).execute(p).await.map(|_| ()))?;
    Ok(())
}

pub async fn password_hash(db: &Db, person_id: i64) -> sqlx::Result<Option<String>> {
    with_db!(db, p => sqlx::query_scalar("SELECT password_hash FROM people WHERE id = $1")
        .bind(person_id).fetch_one(p).await)
}

pub async fn grants(db: &Db, person_id: i64) -> sqlx::Result<Vec<Grant>> {
    with_db!(db, p => sqlx::query_as::<_, Grant>(
        "SELECT id, role, scope_id FROM role_grants WHERE person_id = $1 ORDER BY id")
        .bind(person_id).fetch_all(p).await)
}

/// Grants a role (idempotent: the same grant twice is one grant).
pub async fn grant(
    db: &Db,
    person_id: i64,
    role: &str,
    scope_id: i64,
    by: Option<i64>,
) -> sqlx::Result<Grant> {
    let sql = "INSERT INTO role_grants (person_id, role, scope_id, granted_by, created_at) \
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT (person_id, role, scope_id) DO NOTHING";
    with_db!(db, p => sqlx::query(sql).bind(person_id).bind(role).bind(scope_id).bind(by)
        .bind(now_micros()).execute(p).await.map(|_| ()))?;
    let all = grants(db, person_id).await?;
    Ok(all
        .into_iter()
        .find(|g| g.role == role && g.scope_id == scope_id)
        .expect("grant stored"))
}

pub async fn revoke_grant(db: &Db, person_id: i64, grant_id: i64) -> sqlx::Result<bool> {
    let n = with_db!(db, p => sqlx::query("DELETE FROM role_grants WHERE id = $1 AND person_id = $2")
        .bind(grant_id).bind(person_id).execute(p).await?.rows_affected());
    Ok(n > 0)
}

async fn principal(db: &Db, person_id: i64, via: Via) -> sqlx::Result<Option<Principal>> {
    let Some(p) = person(db, person_id).await? else {
        return Ok(None);
    };
    Ok(Some(Principal {
        person_id: p.id,
        name: p.name,
        phone: p.phone,
        ekyc_level: p.ekyc_level,
        grants: grants(db, person_id).await?,
        via,
    }))
}

/// Creates a session; returns the cookie secret (only its hash is stored).
pub async fn create_session(db: &Db, person_id: i64) -> sqlx::Result<String> {
    let secret = random_hex(32);
    let now = now_micros();
    let sql = "INSERT INTO sessions (token_hash, person_id, csrf_token, created_at, expires_at) \
        VALUES ($1, $2, $3, $4, $5)";
    with_db!(db, p => sqlx::query(sql).bind(hash_secret(&secret)).bind(person_id)
        .bind(random_hex(16)).bind(now).bind(now + SESSION_SECONDS * 1_000_000)
        .execute(p).await.map(|_| ()))?;
    Ok(secret)
}

pub async fn principal_by_session(db: &Db, token_hash: &str) -> sqlx::Result<Option<Principal>> {
    let row: Option<(i64, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT person_id, csrf_token FROM sessions WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash).bind(now_micros()).fetch_optional(p).await)?;
    match row {
        Some((person_id, csrf)) => principal(db, person_id, Via::Session { csrf }).await,
        None => Ok(None),
    }
}

pub async fn delete_session(db: &Db, token_hash: &str) -> sqlx::Result<()> {
    with_db!(db, p => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(p).await.map(|_| ()))?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// `read` (GET only) or `write`.
    pub scope: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// Creates an API token; returns its record and the secret, shown once (only the hash is kept).
pub async fn create_token(
    db: &Db,
    person_id: i64,
    name: &str,
    scope: &str,
) -> sqlx::Result<(ApiToken, String)> {
    let secret = format!("hl_{}", random_hex(24));
    let sql = "INSERT INTO api_tokens (person_id, name, token_hash, scope, created_at) \
        VALUES ($1, $2, $3, $4, $5) RETURNING id, name, scope, created_at, revoked_at";
    let t = with_db!(db, p => sqlx::query_as::<_, ApiToken>(sql).bind(person_id).bind(name)
        .bind(hash_secret(&secret)).bind(scope).bind(now_micros()).fetch_one(p).await)?;
    Ok((t, secret))
}

pub async fn list_tokens(db: &Db, person_id: i64) -> sqlx::Result<Vec<ApiToken>> {
    with_db!(db, p => sqlx::query_as::<_, ApiToken>(
        "SELECT id, name, scope, created_at, revoked_at FROM api_tokens WHERE person_id = $1 ORDER BY id")
        .bind(person_id).fetch_all(p).await)
}

pub async fn revoke_token(db: &Db, person_id: i64, id: i64) -> sqlx::Result<bool> {
    let n = with_db!(db, p => sqlx::query(
        "UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND person_id = $2 AND revoked_at IS NULL")
        .bind(id).bind(person_id).bind(now_micros()).execute(p).await?.rows_affected());
    Ok(n > 0)
}

pub async fn principal_by_token(db: &Db, token_hash: &str) -> sqlx::Result<Option<Principal>> {
    let row: Option<(i64, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT person_id, scope FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
        .bind(token_hash).fetch_optional(p).await)?;
    match row {
        Some((person_id, scope)) => {
            principal(
                db,
                person_id,
                Via::Token {
                    write: scope == "write",
                },
            )
            .await
        }
        None => Ok(None),
    }
}

/// Changes a person's eKYC level and records who, when and how, in one transaction.
pub async fn set_ekyc_level(
    db: &Db,
    person_id: i64,
    to: i16,
    method: &str,
    actor_id: Option<i64>,
    details: &serde_json::Value,
) -> sqlx::Result<()> {
    with_db!(db, p => {
        let mut tx = p.begin_write().await?;
        let from: i16 = sqlx::query_scalar("SELECT ekyc_level FROM people WHERE id = $1")
            .bind(person_id).fetch_one(&mut *tx).await?;
        if from != to {
            sqlx::query("UPDATE people SET ekyc_level = $2 WHERE id = $1")
                .bind(person_id).bind(to).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO ekyc_events (person_id, from_level, to_level, method, actor_id, \
                details, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(person_id).bind(from).bind(to).bind(method).bind(actor_id)
                .bind(details.to_string()).bind(now_micros()).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    })
}

/// Stores the identity attributes confirmed by a document check.
pub async fn set_identity(
    db: &Db,
    person_id: i64,
    personal_id: &str,
    birth_date: &str,
) -> sqlx::Result<()> {
    with_db!(db, p => sqlx::query("UPDATE people SET personal_id = $2, birth_date = $3 WHERE id = $1")
        .bind(person_id).bind(personal_id).bind(birth_date).execute(p).await.map(|_| ()))?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct EkycEvent {
    pub from_level: i16,
    pub to_level: i16,
    pub method: String,
    pub actor_id: Option<i64>,
    pub details: String,
    pub created_at: i64,
}

pub async fn ekyc_events(db: &Db, person_id: i64) -> sqlx::Result<Vec<EkycEvent>> {
    with_db!(db, p => sqlx::query_as::<_, EkycEvent>(
        "SELECT from_level, to_level, method, actor_id, details, created_at FROM ekyc_events \
         WHERE person_id = $1 ORDER BY id").bind(person_id).fetch_all(p).await)
}

#[derive(Clone, Debug, Default, Serialize, ToSchema, sqlx::FromRow)]
pub struct AuditEntry {
    pub actor_id: Option<i64>,
    /// Masked label of the actor, e.g. `person:3 (091*****78)`.
    pub actor: String,
    /// Method and route, e.g. `POST /api/v1/markets`, or a named event (`auth.otp.failed`).
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    pub request_id: String,
    pub details: String,
}

#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    /// Unix microseconds, UTC.
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    pub request_id: String,
    pub details: String,
}

pub async fn audit(db: &Db, e: &AuditEntry) -> sqlx::Result<()> {
    let sql = "INSERT INTO audit_log (at, actor_id, actor, action, object_kind, object_id, \
        request_id, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    with_db!(db, p => sqlx::query(sql).bind(now_micros()).bind(e.actor_id).bind(&e.actor)
        .bind(&e.action).bind(&e.object_kind).bind(&e.object_id).bind(&e.request_id)
        .bind(&e.details).execute(p).await.map(|_| ()))?;
    Ok(())
}

pub async fn list_audit(
    db: &Db,
    action_like: Option<&str>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<AuditRow>, i64)> {
    let like = action_like
        .filter(|s| !s.is_empty())
        .map(|s| format!("%{s}%"));
    with_db!(db, p => {
        let items = sqlx::query_as::<_, AuditRow>(
            "SELECT id, at, actor_id, actor, action, object_kind, object_id, request_id, details \
             FROM audit_log WHERE ($1 IS NULL OR action LIKE $1) ORDER BY id DESC LIMIT $2 OFFSET $3")
            .bind(&like).bind(limit).bind(offset).fetch_all(p).await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE ($1 IS NULL OR action LIKE $1)")
            .bind(&like).fetch_one(p).await?;
        Ok((items, total))
    })
}
