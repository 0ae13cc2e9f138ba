//! Identity and access: who is asking (session cookie or API token), what each route allows
//! (one table, [`RULES`], enforced by one middleware, closed by default), and which records a
//! person may see (scopes from role grants, applied in the queries).

pub mod orgs;
pub mod otp;
pub mod routes;
pub mod store;
pub mod throttle;

use axum::body::Body;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::server::AppState;

pub const SESSION_COOKIE: &str = "halong_session";
pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Sessions last a working day; a new sign-in is needed after.
pub const SESSION_SECONDS: i64 = 12 * 3600;

pub const ROLES: &[&str] = &[
    "admin",
    "market_manager",
    "merchant_owner",
    "merchant_cashier",
    "tax_officer",
    "citizen",
];

/// What a route requires before its handler runs. Finer rules (which market, which merchant)
/// are applied by the handler through [`Principal`]'s scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in person.
    SignedIn,
    /// A person with a working role (any role but citizen); records are scoped.
    Staff,
    /// Province administrators.
    Admin,
}

use Access::*;

/// Every route of the app with its access rule. A route missing here is refused to everyone
/// (and the route-table test fails), so no route can be born without a rule.
pub const RULES: &[(&str, &str, Access)] = &[
    // operations and reference data
    ("GET", "/healthz", Public),
    ("GET", "/metrics", Admin),
    ("GET", "/api/v1/openapi.json", Public),
    ("GET", "/api/v1/places", Public),
    ("GET", "/api/v1/banks", Public),
    // register
    ("GET", "/api/v1/markets", Staff),
    ("POST", "/api/v1/markets", Admin),
    ("GET", "/api/v1/markets/{id}", Staff),
    ("PUT", "/api/v1/markets/{id}", Staff),
    ("GET", "/api/v1/stalls", Staff),
    ("POST", "/api/v1/stalls", Staff),
    ("GET", "/api/v1/stalls/{id}", Staff),
    ("PUT", "/api/v1/stalls/{id}", Staff),
    ("GET", "/api/v1/merchants", Staff),
    ("POST", "/api/v1/merchants", Staff),
    ("GET", "/api/v1/merchants/{id}", Staff),
    ("PUT", "/api/v1/merchants/{id}", Staff),
    ("GET", "/api/v1/merchants/{id}/bank-accounts", Staff),
    ("POST", "/api/v1/merchants/{id}/bank-accounts", Staff),
    (
        "DELETE",
        "/api/v1/merchants/{id}/bank-accounts/{account_id}",
        Staff,
    ),
    ("POST", "/api/v1/imports", Admin),
    // VietQR
    ("GET", "/api/v1/stalls/{id}/qr.svg", Staff),
    ("GET", "/api/v1/stalls/{id}/qr.png", Staff),
    ("GET", "/api/v1/stalls/{id}/sign", Staff),
    ("POST", "/api/v1/qr/decode", SignedIn),
    ("POST", "/api/v1/qr/encode", SignedIn),
    // payments
    ("POST", "/api/v1/payment-requests", Staff),
    ("GET", "/api/v1/payment-requests/{id}", Staff),
    ("GET", "/api/v1/payment-requests/{id}/qr.svg", Staff),
    ("POST", "/api/v1/notifications/{provider}", Public),
    ("POST", "/api/v1/notifications/vietqr/token", Public),
    ("GET", "/api/v1/receipts", Staff),
    ("GET", "/api/v1/receipts/stream", Staff),
    ("GET", "/api/v1/receipts/totals", Staff),
    ("POST", "/api/v1/receipts/{id}/assign", Admin),
    // refunds: administrators and the owner of the merchant holding the receipt (in the handler)
    ("POST", "/api/v1/receipts/{id}/refunds", Staff),
    ("POST", "/api/v1/receipts/{id}/corrections", Admin),
    ("POST", "/api/v1/statements/reconcile", Admin),
    ("POST", "/api/v1/statements/post", Admin),
    // e-invoices from cash registers
    ("GET", "/api/v1/merchants/{id}/einvoice", Staff),
    (
        "POST",
        "/api/v1/merchants/{id}/einvoice/registration",
        Staff,
    ),
    ("GET", "/api/v1/merchants/{id}/products", Staff),
    ("POST", "/api/v1/merchants/{id}/products", Staff),
    ("GET", "/api/v1/merchants/{id}/registers", Staff),
    ("POST", "/api/v1/merchants/{id}/registers", Staff),
    ("POST", "/api/v1/registers/{id}/sales", Staff),
    ("GET", "/api/v1/sales/{id}", Staff),
    ("GET", "/api/v1/invoices", Staff),
    ("GET", "/api/v1/invoices/lookup", Public),
    ("GET", "/api/v1/invoices/{id}", Staff),
    ("GET", "/api/v1/invoices/{id}/xml", Staff),
    ("POST", "/api/v1/invoices/{id}/replacement", Staff),
    // market fees: managers of the market and administrators (in the handlers); a merchant's
    // owner reads its own bills
    ("GET", "/api/v1/markets/{id}/fee-schedules", Staff),
    ("POST", "/api/v1/markets/{id}/fee-schedules", Staff),
    ("PUT", "/api/v1/fee-schedules/{id}", Staff),
    ("GET", "/api/v1/markets/{id}/fee-account", Staff),
    ("PUT", "/api/v1/markets/{id}/fee-account", Staff),
    ("GET", "/api/v1/markets/{id}/fee-bills", Staff),
    ("POST", "/api/v1/markets/{id}/fee-bills/generate", Staff),
    ("POST", "/api/v1/markets/{id}/fee-bills/remind", Staff),
    ("GET", "/api/v1/fee-bills/{id}", Staff),
    ("POST", "/api/v1/fee-bills/{id}/cash", Staff),
    ("GET", "/api/v1/merchants/{id}/fee-bills", Staff),
    // identity
    ("POST", "/api/v1/auth/otp/request", Public),
    ("POST", "/api/v1/auth/otp/verify", Public),
    ("POST", "/api/v1/auth/password", Public),
    ("POST", "/api/v1/auth/signout", SignedIn),
    ("GET", "/api/v1/me", SignedIn),
    ("GET", "/api/v1/tokens", SignedIn),
    ("POST", "/api/v1/tokens", SignedIn),
    ("DELETE", "/api/v1/tokens/{id}", SignedIn),
    ("GET", "/api/v1/people", Admin),
    ("POST", "/api/v1/people", Admin),
    ("GET", "/api/v1/people/{id}", SignedIn),
    ("POST", "/api/v1/people/{id}/grants", Admin),
    ("DELETE", "/api/v1/people/{id}/grants/{grant_id}", Admin),
    ("POST", "/api/v1/people/{id}/ekyc", SignedIn),
    ("GET", "/api/v1/audit", Admin),
    ("GET", "/api/v1/organisations", Admin),
    ("POST", "/api/v1/organisations", Admin),
    ("POST", "/api/v1/organisations/{id}/members", Admin),
    // pages
    // indicators: province-level numbers are public; per-stall detail is filtered by scope
    ("GET", "/api/v1/indicators", Public),
    ("GET", "/api/v1/indicators/follow-up", Staff),
    ("GET", "/dashboard", Public),
    ("GET", "/dashboard/staff", Staff),
    ("GET", "/dashboard.csv", Public),
    ("GET", "/dashboard.xlsx", Public),
    ("GET", "/", Public),
    ("GET", "/assets/app.css", Public),
    ("GET", "/signin", Public),
    ("POST", "/signin/otp", Public),
    ("POST", "/signin/verify", Public),
    ("POST", "/signin/password", Public),
    ("POST", "/signout", SignedIn),
    ("GET", "/markets", Staff),
    ("GET", "/markets/new", Admin),
    ("POST", "/markets/new", Admin),
    ("GET", "/markets/{id}", Staff),
    ("GET", "/markets/{id}/edit", Staff),
    ("POST", "/markets/{id}/edit", Staff),
    ("GET", "/markets/{id}/stalls/new", Staff),
    ("POST", "/markets/{id}/stalls/new", Staff),
    ("GET", "/markets/{id}/signs", Staff),
    ("GET", "/stalls/{id}/edit", Staff),
    ("POST", "/stalls/{id}/edit", Staff),
    ("GET", "/merchants", Staff),
    ("GET", "/merchants/new", Staff),
    ("POST", "/merchants/new", Staff),
    ("GET", "/merchants/{id}", Staff),
    ("GET", "/merchants/{id}/edit", Staff),
    ("POST", "/merchants/{id}/edit", Staff),
    ("POST", "/merchants/{id}/accounts", Staff),
    ("GET", "/audit", Admin),
    ("GET", "/live", Staff),
    ("GET", "/registers", Staff),
    ("GET", "/registers/{id}", Staff),
    ("GET", "/merchants/{id}/einvoice", Staff),
    ("GET", "/invoices", Staff),
    ("GET", "/invoices/{id}/receipt", Staff),
    ("GET", "/invoices/{id}/receipt.pdf", Staff),
    ("GET", "/tra-cuu", Public),
    ("GET", "/tra-cuu/xml", Public),
    ("GET", "/markets/{id}/fees", Staff),
    ("POST", "/markets/{id}/fees/generate", Staff),
    ("POST", "/markets/{id}/fees/remind", Staff),
    ("POST", "/markets/{id}/fees/schedules", Staff),
    ("POST", "/markets/{id}/fees/account", Staff),
    ("POST", "/fee-bills/{id}/cash", Staff),
    ("GET", "/fee-receipts/{id}", Staff),
    ("GET", "/merchants/{id}/fees", Staff),
    ("GET", "/unmatched", Admin),
    ("POST", "/unmatched/{id}/assign", Admin),
    ("GET", "/statements", Admin),
    ("POST", "/statements", Admin),
    ("POST", "/statements/confirm", Admin),
    // the SMS simulator, mounted only in demo mode
    ("GET", "/sim/sms", Public),
    ("GET", "/sim/sms/messages.json", Public),
    (
        "POST",
        "/sim/sms/MainService.svc/json/SendMultipleMessage_V4_post_json/",
        Public,
    ),
    // the tax-authority simulator, mounted only in demo mode without HALONG_TAX_URL
    ("GET", "/sim/tax", Public),
    ("POST", "/sim/tax/messages", Public),
    ("GET", "/sim/tax/messages/{id}/replies", Public),
];

pub fn rule_for(method: &Method, path: &str) -> Option<Access> {
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    RULES
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, a)| *a)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema, sqlx::FromRow)]
pub struct Grant {
    pub id: i64,
    pub role: String,
    /// Market id for market managers, merchant id for merchant owners and cashiers, else 0.
    pub scope_id: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    Session { csrf: String },
    Token { write: bool },
}

/// A signed-in person and what they may do.
#[derive(Clone, Debug)]
pub struct Principal {
    pub person_id: i64,
    pub name: String,
    pub phone: String,
    pub ekyc_level: i16,
    pub grants: Vec<Grant>,
    pub via: Via,
}

impl Principal {
    pub fn has(&self, role: &str) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    pub fn is_admin(&self) -> bool {
        self.has("admin")
    }

    /// Any working role: everyone but plain citizens.
    pub fn is_staff(&self) -> bool {
        self.grants.iter().any(|g| g.role != "citizen")
    }

    /// Administrators and tax officers see the whole register; others a scoped part.
    pub fn sees_all(&self) -> bool {
        self.is_admin() || self.has("tax_officer")
    }

    /// The person id that list queries scope by, or None for unrestricted viewers.
    pub fn viewer(&self) -> Option<i64> {
        (!self.sees_all()).then_some(self.person_id)
    }

    pub fn scopes<'a>(&'a self, role: &'a str) -> impl Iterator<Item = i64> + 'a {
        self.grants
            .iter()
            .filter(move |g| g.role == role)
            .map(|g| g.scope_id)
    }

    pub fn manages_market(&self, market_id: i64) -> bool {
        self.is_admin() || self.scopes("market_manager").any(|m| m == market_id)
    }

    pub fn owns_merchant(&self, merchant_id: i64) -> bool {
        self.scopes("merchant_owner").any(|m| m == merchant_id)
    }

    pub fn csrf(&self) -> Option<&str> {
        match &self.via {
            Via::Session { csrf } => Some(csrf),
            Via::Token { .. } => None,
        }
    }
}

/// Who is asking, and the request id (for the audit log).
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Option<Principal>,
    pub request_id: String,
}

impl Caller {
    pub fn person(&self) -> Result<&Principal, ApiError> {
        self.principal.as_ref().ok_or_else(unauthenticated)
    }

    pub fn person_id(&self) -> Option<i64> {
        self.principal.as_ref().map(|p| p.person_id)
    }

    /// `phone:0912***78` style label for the audit log (masked).
    pub fn label(&self) -> String {
        match &self.principal {
            Some(p) => format!(
                "person:{} ({})",
                p.person_id,
                identity::phone::mask(&p.phone)
            ),
            None => "anonymous".into(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Caller, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(ApiError::internal)
    }
}

pub fn unauthenticated() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "Cần đăng nhập",
        "Sign-in required",
    )
}

pub fn forbidden() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Không có quyền",
        "Not allowed",
    )
}

/// Random secret as lower-case hex (sessions, tokens, CSRF).
pub fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex(&buf)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Secrets with at least 128 random bits are stored as SHA-256: no salt or slow hash is
/// needed for them (passwords, chosen by people, use argon2id instead).
pub fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn cookie_value<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.split(';')
                .map(str::trim)
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        })
}

async fn identify(
    st: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Option<Principal>, ApiError> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let token = auth.strip_prefix("Bearer ").ok_or_else(unauthenticated)?;
        return match store::principal_by_token(&st.db, &hash_secret(token.trim())).await? {
            Some(p) => Ok(Some(p)),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_token",
                "Mã truy cập không hợp lệ hoặc đã bị thu hồi",
                "Invalid or revoked API token",
            )),
        };
    }
    match cookie_value(headers, SESSION_COOKIE) {
        Some(s) => Ok(store::principal_by_session(&st.db, &hash_secret(s)).await?),
        None => Ok(None),
    }
}

fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Forms carry the CSRF token as a field; scripts as a header. The form body is read here
/// (bounded) and put back for the handler.
async fn check_csrf(req: Request, csrf: &str) -> Result<Request, ApiError> {
    let bad = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "Phiên làm việc không hợp lệ, hãy tải lại trang",
            "CSRF check failed; reload the page",
        )
    };
    if let Some(h) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if constant_eq(h, csrf) {
            Ok(req)
        } else {
            Err(bad())
        };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(bad());
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .map_err(|_| bad())?;
    let found = form_urlencoded_field(&bytes, CSRF_FIELD);
    if !found.is_some_and(|f| constant_eq(&f, csrf)) {
        return Err(bad());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The access middleware: identifies the caller, applies the route's rule, checks CSRF for
/// cookie sessions and the token's scope, and hands the [`Caller`] to the handler.
pub async fn enforce(State(st): State<AppState>, req: Request, next: Next) -> Response {
    match enforce_inner(&st, req).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn enforce_inner(st: &AppState, mut req: Request) -> Result<Request, ApiError> {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let Some(path) = path else {
        // No route matched: let the router answer 404/405.
        return Ok(req);
    };
    let Some(rule) = rule_for(req.method(), &path) else {
        tracing::error!(%path, method = %req.method(), "route without an access rule refused");
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "no_access_rule",
            "Đường dẫn chưa có quy tắc truy cập",
            "Route has no access rule",
        ));
    };
    // A public route may carry someone else's bearer token (VietQR.vn's callback does): there
    // an unknown token just means "not one of ours".
    let principal = match identify(st, req.headers()).await {
        Err(e) if rule == Public && e.body.code == "bad_token" => None,
        other => other?,
    };
    match (&principal, rule) {
        (_, Public) => {}
        (None, _) => return Err(unauthenticated()),
        (Some(p), Staff) if !p.is_staff() => return Err(forbidden()),
        (Some(p), Admin) if !p.is_admin() => return Err(forbidden()),
        _ => {}
    }
    if let Some(p) = &principal
        && is_unsafe(req.method())
    {
        match &p.via {
            Via::Token { write: false } => return Err(forbidden()),
            Via::Token { write: true } => {}
            Via::Session { csrf } => req = check_csrf(req, csrf).await?,
        }
    }
    req.extensions_mut().insert(Caller {
        principal,
        request_id,
    });
    Ok(req)
}

/// The object a write touched, set by handlers on their response for the audit log.
#[derive(Clone, Debug)]
pub struct AuditObject {
    pub kind: &'static str,
    pub id: String,
}

/// Records every successful write (any non-GET request answered 2xx or 3xx) in the audit log:
/// actor, action (method and route), object, time and request id.
pub async fn audit_writes(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let path = req.uri().path().to_string();
    let caller = req.extensions().get::<Caller>().cloned();
    let resp = next.run(req).await;
    let ok = resp.status().is_success() || resp.status().is_redirection();
    if is_unsafe(&method) && ok {
        let (kind, id) = match resp.extensions().get::<AuditObject>() {
            Some(o) => (o.kind.to_string(), o.id.clone()),
            None => ("path".to_string(), path),
        };
        // A signed-in response carries the new session's person; otherwise the caller.
        let actor_id = resp
            .extensions()
            .get::<SignedInAs>()
            .map(|s| s.0)
            .or_else(|| caller.as_ref().and_then(Caller::person_id));
        let entry = store::AuditEntry {
            actor_id,
            actor: caller
                .as_ref()
                .map_or_else(|| "anonymous".into(), Caller::label),
            action: format!("{method} {}", route.unwrap_or_default()),
            object_kind: kind,
            object_id: id,
            request_id: caller.map(|c| c.request_id).unwrap_or_default(),
            details: String::new(),
        };
        if let Err(e) = store::audit(&st.db, &entry).await {
            tracing::error!(error = %e, action = %entry.action, "audit write failed");
        }
    }
    resp
}

/// Marks a response that signed someone in (the audit log names them as actor).
#[derive(Clone, Copy, Debug)]
pub struct SignedInAs(pub i64);

/// `Set-Cookie` for a new session: HTTP-only, SameSite=Lax (so the link from an SMS or an
/// e-mail keeps the session; CSRF tokens protect the forms), Path=/.
pub fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={SESSION_SECONDS}{}",
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_unique_and_lookups_work() {
        let mut seen = std::collections::HashSet::new();
        for (m, p, _) in RULES {
            assert!(seen.insert((m, p)), "duplicate rule {m} {p}");
        }
        assert_eq!(rule_for(&Method::GET, "/api/v1/markets"), Some(Staff));
        assert_eq!(rule_for(&Method::HEAD, "/healthz"), Some(Public));
        assert_eq!(rule_for(&Method::PATCH, "/api/v1/markets"), None);
    }

    #[test]
    fn cookie_parsing_and_csrf_field() {
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; halong_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(cookie_value(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(
            form_urlencoded_field(b"x=1&csrf=t%20k", "csrf").as_deref(),
            Some("t k")
        );
        assert!(constant_eq("abc", "abc") && !constant_eq("abc", "abd") && !constant_eq("a", "ab"));
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = random_hex(32);
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_hex(32));
        assert_eq!(hash_secret("abc").len(), 64);
    }
}

/// Record-level visibility, by the same grant rules as the scoped lists (one query each).
pub mod scope {
    use super::Principal;
    use crate::db::Db;
    use crate::register::{ListQuery, Stall, store};

    fn one(p: &Principal) -> ListQuery {
        ListQuery {
            viewer: p.viewer(),
            per_page: Some(1),
            ..Default::default()
        }
    }

    pub async fn can_see_market(db: &Db, p: &Principal, id: i64) -> sqlx::Result<bool> {
        if p.sees_all() {
            return Ok(true);
        }
        let q = ListQuery {
            market_id: Some(id),
            ..one(p)
        };
        Ok(store::list_markets(db, &q).await?.total > 0)
    }

    pub fn can_see_stall(p: &Principal, s: &Stall) -> bool {
        p.sees_all()
            || p.manages_market(s.market_id)
            || s.merchant_id
                .is_some_and(|m| p.owns_merchant(m) || p.scopes("merchant_cashier").any(|c| c == m))
    }

    pub async fn can_see_merchant(db: &Db, p: &Principal, id: i64) -> sqlx::Result<bool> {
        if p.sees_all() {
            return Ok(true);
        }
        let q = ListQuery {
            merchant_id: Some(id),
            ..one(p)
        };
        Ok(store::list_merchants(db, &q).await?.total > 0)
    }

    /// Administrators, the owner, and the managers of a market where the merchant has a stall.
    pub async fn can_edit_merchant(db: &Db, p: &Principal, id: i64) -> sqlx::Result<bool> {
        if p.is_admin() || p.owns_merchant(id) {
            return Ok(true);
        }
        Ok(p.has("market_manager") && can_see_merchant(db, p, id).await?)
    }

    /// Payout accounts are changed by administrators and the merchant's owner only.
    pub fn can_edit_accounts(p: &Principal, merchant_id: i64) -> bool {
        p.is_admin() || p.owns_merchant(merchant_id)
    }

    /// Registering a household business: administrators and market managers.
    pub fn can_create_merchant(p: &Principal) -> bool {
        p.is_admin() || p.has("market_manager")
    }
}
