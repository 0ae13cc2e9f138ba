//! Bank notifications: `POST /api/v1/notifications/{provider}`. Each is checked by its
//! provider's own scheme (crate `banknotify`), normalised to one record, stored once per
//! provider transaction id (a retry answers 2xx and changes nothing), and matched: by reference,
//! else by account + amount + time window (weaker), else to the stall whose account received it
//! (a static code), else queued as unmatched. A late payment on an expired request is kept and
//! flagged, never dropped.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use banknotify::{Direction, Notification, Provider};
use serde::Serialize;
use utoipa::ToSchema;

use super::requests::{self, PaymentRequest};
use crate::db::{Arg, Db, Tx, now_micros};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::server::AppState;
use crate::with_db;

/// A payment may arrive this long after its request expired and still match it by account
/// and amount (as a weaker, late match).
const AMOUNT_MATCH_GRACE_US: i64 = 10 * 60 * 1_000_000;

fn headers_vec(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_string(), v.to_string()))
        })
        .collect()
}

fn provider_of(name: &str) -> ApiResult<Provider> {
    name.parse().map_err(|_| ApiError::not_found("provider"))
}

fn notify_error(e: &banknotify::NotifyError) -> ApiError {
    let status = if e.is_auth_failure() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    ApiError::new(status, e.code(), &e.message_vi(), &e.to_string())
}

/// How a stored transfer was matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Matched {
    pub match_kind: &'static str,
    pub payment_request_id: Option<i64>,
    pub stall_id: Option<i64>,
    pub merchant_id: Option<i64>,
    pub late: bool,
}

/// Receives a bank notification in the provider's own format (`payos`, `casso`, `sepay`,
/// `vietqr`), checked by the provider's signature or token. Answers the provider's documented
/// acknowledgement; a retry of a stored transaction answers the same and changes nothing.
#[utoipa::path(post, path = "/api/v1/notifications/{provider}", tag = "payments",
    request_body(content = Object, description = "The provider's webhook body, as it sends it"),
    responses((status = 200, description = "Stored (or already stored)"),
        (status = 401, body = ErrorBody), (status = 400, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn receive(
    State(st): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let provider = provider_of(&provider)?;
    let secret = st.provider_secrets.get(provider).ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "provider_not_configured",
            "Chưa cấu hình khóa của nhà cung cấp",
            "Provider secret not configured",
        )
    })?;
    let now_s = now_micros() / 1_000_000;
    let n = banknotify::verify(provider, &headers_vec(&headers), &body, secret, now_s)
        .map_err(|e| notify_error(&e))?;
    // Matched by the writer, a group at a time (a few reads per group, not per notification).
    let inserted = st.receipt_writer.store(n.clone()).await?;
    if inserted {
        // Full channel = a wake-up is already pending: nothing to do.
        let _ = st.post_receipts.try_send(());
    }
    let ack = provider.ack_body(&n.provider_tx_id);
    Ok(([(header::CONTENT_TYPE, "application/json")], ack).into_response())
}

/// VietQR.vn asks for a bearer token with HTTP basic auth (user `vietqr`, the configured
/// password) before it calls the callback.
#[utoipa::path(post, path = "/api/v1/notifications/vietqr/token", tag = "payments",
    responses((status = 200, description = "`{access_token, token_type, expires_in}`"),
        (status = 401, body = ErrorBody)))]
pub async fn vietqr_token(State(st): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let secret = st.provider_secrets.get(Provider::Vietqr).ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "provider_not_configured",
            "Chưa cấu hình khóa của nhà cung cấp",
            "Provider secret not configured",
        )
    })?;
    banknotify::vietqr::check_token_request(&headers_vec(&headers), "vietqr", secret)
        .map_err(|e| notify_error(&e))?;
    let t = banknotify::vietqr::issue_token(
        secret,
        now_micros() / 1_000_000,
        banknotify::vietqr::DEFAULT_TOKEN_TTL_SECS,
    );
    Ok(axum::Json(t).into_response())
}

/// Stores a verified notification exactly once and applies it to its payment request, in one
/// transaction. Returns None when the provider's transaction was already stored.
pub async fn record(db: &Db, n: &Notification) -> sqlx::Result<Option<Matched>> {
    record_from(db, n.provider.as_str(), n).await
}

/// As [`record`], for a transfer learnt from `source` (a provider, or `statement` for lines
/// posted from a bank statement).
pub async fn record_from(db: &Db, source: &str, n: &Notification) -> sqlx::Result<Option<Matched>> {
    let matched = match_transfer(db, n).await?;
    let inserted = store_group(db, &[(source, n, &matched)]).await?;
    Ok(inserted[0].then_some(matched))
}

/// Stores verified, matched notifications in one transaction (the group commit of
/// [`super::writer`]); for each, whether it was new.
pub async fn store_batch(db: &Db, items: &[(&Notification, &Matched)]) -> sqlx::Result<Vec<bool>> {
    let items: Vec<(&str, &Notification, &Matched)> = items
        .iter()
        .map(|(n, m)| (n.provider.as_str(), *n, *m))
        .collect();
    store_group(db, &items).await
}

/// Notifications per multi-row INSERT (16 values each: under both engines' bind limits).
const INSERT_CHUNK: usize = 500;

async fn store_group(
    db: &Db,
    items: &[(&str, &Notification, &Matched)],
) -> sqlx::Result<Vec<bool>> {
    let mut tx = db.begin().await?;
    requests::expire_due_in(&mut tx).await?;
    let mut inserted = Vec::with_capacity(items.len());
    for chunk in items.chunks(INSERT_CHUNK) {
        let new = insert_many(&mut tx, chunk).await?;
        for ((_, n, m), new) in chunk.iter().zip(&new) {
            if *new && let Some(id) = m.payment_request_id {
                apply_to_request(&mut tx, id, n.amount).await?;
                // Only a fee bill's request has no stall side (`matched`): sync its bill.
                if m.stall_id.is_none() {
                    crate::fees::sync_request_in(&mut tx, id).await?;
                }
            }
        }
        inserted.extend(new);
    }
    tx.commit().await?;
    Ok(inserted)
}

/// One multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING` for a chunk; for each item whether
/// it was new. A transaction already stored, or repeated earlier in the same chunk, is not new.
async fn insert_many(
    tx: &mut Tx,
    items: &[(&str, &Notification, &Matched)],
) -> sqlx::Result<Vec<bool>> {
    let sql = format!(
        "INSERT INTO incoming_transfers (provider, provider_tx_id, account_number, amount, \
        direction, description, reference, occurred_at, received_at, match_kind, \
        payment_request_id, stall_id, merchant_id, late, raw, bank_reference) VALUES {} \
        ON CONFLICT (provider, provider_tx_id) DO NOTHING \
        RETURNING id, provider || '|' || provider_tx_id",
        crate::db::placeholders(tx.engine(), items.len(), 16)
    );
    let now = now_micros();
    let mut args = Vec::with_capacity(items.len() * 16);
    for (source, n, m) in items {
        let direction = match n.direction {
            Direction::In => "in",
            Direction::Out => "out",
        };
        args.extend([
            Arg::Text((*source).into()),
            Arg::Text(n.provider_tx_id.clone()),
            Arg::Text(n.account_number.clone()),
            Arg::I64(n.amount),
            Arg::Text(direction.into()),
            Arg::Text(n.description.clone()),
            Arg::OptText(n.reference.clone()),
            Arg::I64(n.occurred_at_unix * 1_000_000),
            Arg::I64(now),
            Arg::Text(m.match_kind.into()),
            Arg::OptI64(m.payment_request_id),
            Arg::OptI64(m.stall_id),
            Arg::OptI64(m.merchant_id),
            Arg::Bool(m.late),
            Arg::Text(n.raw.to_string()),
            Arg::OptText(n.bank_reference.clone()),
        ]);
    }
    // Each stored key is claimed by the first item that carries it.
    let mut stored: std::collections::HashSet<String> = tx
        .fetch_keys(&sql, &args)
        .await?
        .into_iter()
        .map(|(_, key)| key)
        .collect();
    Ok(items
        .iter()
        .map(|(source, n, _)| stored.remove(&format!("{source}|{}", n.provider_tx_id)))
        .collect())
}

/// Adds the amount to the request and recomputes its status in one statement (concurrent
/// payments of one request cannot lose an update). An expired or cancelled request keeps its
/// status; the transfer itself carries the `late` flag.
async fn apply_to_request(tx: &mut Tx, id: i64, amount: i64) -> sqlx::Result<()> {
    let sql = "UPDATE payment_requests SET paid_amount = paid_amount + $2, status = CASE \
        WHEN status IN ('expired', 'cancelled') THEN status \
        WHEN paid_amount + $2 = amount THEN 'paid' \
        WHEN paid_amount + $2 < amount THEN 'partially_paid' \
        ELSE 'overpaid' END WHERE id = $1";
    tx.execute(sql, &[Arg::I64(id), Arg::I64(amount)]).await?;
    Ok(())
}

/// A market-fee bill (`kind = 'bill'`) is paid into the market board's account, not the stall's:
/// its transfer is no receipt of the stall's merchant (no stall, no merchant, not posted to the
/// merchant's ledger account); `crate::fees` follows it through the request.
fn matched(kind: &'static str, r: Option<&PaymentRequest>, late: bool) -> Matched {
    let stall_side = r.filter(|r| r.kind != "bill");
    Matched {
        match_kind: kind,
        payment_request_id: r.map(|r| r.id),
        stall_id: stall_side.map(|r| r.stall_id),
        merchant_id: stall_side.map(|r| r.merchant_id),
        late,
    }
}

pub async fn match_transfer(db: &Db, n: &Notification) -> sqlx::Result<Matched> {
    if n.direction == Direction::Out {
        return Ok(matched("outgoing", None, false));
    }
    let at = n.occurred_at_unix * 1_000_000;
    if let Some(reference) = &n.reference
        && let Some(r) = requests::by_reference(db, reference).await?
    {
        let late = matches!(r.status.as_str(), "expired" | "cancelled") || at > r.expires_at;
        return Ok(matched("reference", Some(&r), late));
    }
    if let Some(r) = by_account_amount(db, &n.account_number, n.amount, at).await? {
        let late = r.status == "expired" || at > r.expires_at;
        return Ok(matched("account_amount", Some(&r), late));
    }
    if let Some((stall_id, merchant_id)) =
        stall_of_account(db, &n.account_number, &n.description).await?
    {
        return Ok(Matched {
            match_kind: "static",
            payment_request_id: None,
            stall_id: Some(stall_id),
            merchant_id: Some(merchant_id),
            late: false,
        });
    }
    Ok(matched("unmatched", None, false))
}

/// Bank times come to the second (or the minute) from clocks that are not ours: a payment may
/// carry a time a little before the request it pays.
const CLOCK_SLACK_US: i64 = 120 * 1_000_000;

/// Bills are matched by their reference only: many bills of one market have the same amount.
/// The oldest open request to this account for exactly this amount, created before the payment
/// (give or take the clock slack) and not expired longer ago than the grace period.
async fn by_account_amount(
    db: &Db,
    account: &str,
    amount: i64,
    at: i64,
) -> sqlx::Result<Option<PaymentRequest>> {
    let id: Option<i64> = with_db!(db, p => sqlx::query_scalar(
        "SELECT id FROM payment_requests WHERE account_number = $1 AND amount = $2 \
         AND kind <> 'bill' AND status IN ('created', 'expired') AND created_at <= $3 + $5 AND expires_at + $4 >= $3 \
         ORDER BY created_at LIMIT 1")
        .bind(account).bind(amount).bind(at).bind(AMOUNT_MATCH_GRACE_US).bind(CLOCK_SLACK_US)
        .fetch_optional(p).await)?;
    match id {
        Some(id) => requests::by_id(db, id).await,
        None => Ok(None),
    }
}

/// The stall a transfer without a reference was for: the merchant owning the receiving account,
/// and among its stalls the one whose code the memo names (the static code pre-fills
/// "MARKET STALL"), else its first stall.
async fn stall_of_account(db: &Db, account: &str, memo: &str) -> sqlx::Result<Option<(i64, i64)>> {
    let rows: Vec<(i64, i64, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT s.id, s.merchant_id, s.code FROM bank_accounts a JOIN stalls s \
         ON s.merchant_id = a.merchant_id WHERE a.account_number = $1 ORDER BY s.id")
        .bind(account).fetch_all(p).await)?;
    Ok(stall_named(&rows, memo))
}

/// Among a merchant's stalls `(id, merchant, code)` (by id), the one whose code the memo names,
/// else the first.
fn stall_named(rows: &[(i64, i64, String)], memo: &str) -> Option<(i64, i64)> {
    let memo: String = memo
        .to_uppercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let named = rows.iter().find(|(_, _, code)| {
        let code: String = code.chars().filter(char::is_ascii_alphanumeric).collect();
        !code.is_empty() && memo.contains(&code)
    });
    named.or(rows.first()).map(|(s, m, _)| (*s, *m))
}

/// `IN (…)` placeholders for `n` values after `skip` other parameters.
fn in_list(db: &Db, skip: usize, n: usize) -> String {
    (0..n)
        .map(|i| match db {
            Db::Sqlite(_) => "?".to_string(),
            Db::Pg(_) => format!("${}", skip + i + 1),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Matches a group of notifications with three reads in all (requests by reference, open
/// requests of the receiving accounts, the accounts' stalls) instead of up to three per
/// notification; the same rules, in the same order, as [`match_transfer`].
pub async fn match_batch(db: &Db, ns: &[&Notification]) -> sqlx::Result<Vec<Matched>> {
    use std::collections::{BTreeSet, HashMap};
    let incoming: Vec<&Notification> = ns
        .iter()
        .copied()
        .filter(|n| n.direction == Direction::In)
        .collect();
    let refs: Vec<String> = incoming
        .iter()
        .filter_map(|n| n.reference.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let accounts: Vec<String> = incoming
        .iter()
        .map(|n| n.account_number.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut by_ref: HashMap<String, PaymentRequest> = HashMap::new();
    if !refs.is_empty() {
        let sql = format!(
            "SELECT {} FROM payment_requests WHERE reference IN ({})",
            requests::COLS,
            in_list(db, 0, refs.len())
        );
        let rows: Vec<PaymentRequest> = with_db!(db, p => {
            let mut q = sqlx::query_as::<_, PaymentRequest>(sqlx::AssertSqlSafe(sql));
            for r in &refs { q = q.bind(r); }
            q.fetch_all(p).await
        })?;
        by_ref = rows.into_iter().map(|r| (r.reference.clone(), r)).collect();
    }
    let mut open: HashMap<String, Vec<PaymentRequest>> = HashMap::new();
    let mut stalls: HashMap<String, Vec<(i64, i64, String)>> = HashMap::new();
    if !accounts.is_empty() {
        // Requests a payment of this group could still match: not expired longer ago than the
        // grace period before the group's earliest payment.
        let earliest = incoming
            .iter()
            .map(|n| n.occurred_at_unix * 1_000_000)
            .min()
            .unwrap_or(0);
        let sql = format!(
            "SELECT {} FROM payment_requests WHERE status IN ('created', 'expired') \
             AND kind <> 'bill' AND expires_at >= {} AND account_number IN ({}) ORDER BY created_at, id",
            requests::COLS,
            if matches!(db, Db::Sqlite(_)) {
                "?"
            } else {
                "$1"
            },
            in_list(db, 1, accounts.len())
        );
        let rows: Vec<PaymentRequest> = with_db!(db, p => {
            let mut q = sqlx::query_as::<_, PaymentRequest>(sqlx::AssertSqlSafe(sql))
                .bind(earliest - AMOUNT_MATCH_GRACE_US);
            for a in &accounts { q = q.bind(a); }
            q.fetch_all(p).await
        })?;
        for r in rows {
            open.entry(r.account_number.clone()).or_default().push(r);
        }
        let sql = format!(
            "SELECT a.account_number, s.id, s.merchant_id, s.code FROM bank_accounts a JOIN stalls s \
             ON s.merchant_id = a.merchant_id WHERE a.account_number IN ({}) ORDER BY s.id",
            in_list(db, 0, accounts.len())
        );
        let rows: Vec<(String, i64, i64, String)> = with_db!(db, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for a in &accounts { q = q.bind(a); }
            q.fetch_all(p).await
        })?;
        for (account, s, m, code) in rows {
            stalls.entry(account).or_default().push((s, m, code));
        }
    }
    Ok(ns
        .iter()
        .map(|n| {
            if n.direction == Direction::Out {
                return matched("outgoing", None, false);
            }
            let at = n.occurred_at_unix * 1_000_000;
            if let Some(r) = n.reference.as_ref().and_then(|x| by_ref.get(x)) {
                let late =
                    matches!(r.status.as_str(), "expired" | "cancelled") || at > r.expires_at;
                return matched("reference", Some(r), late);
            }
            let by_amount = open.get(&n.account_number).and_then(|rs| {
                rs.iter().find(|r| {
                    r.amount == n.amount
                        && r.created_at <= at + CLOCK_SLACK_US
                        && r.expires_at + AMOUNT_MATCH_GRACE_US >= at
                })
            });
            if let Some(r) = by_amount {
                let late = r.status == "expired" || at > r.expires_at;
                return matched("account_amount", Some(r), late);
            }
            if let Some((stall_id, merchant_id)) = stalls
                .get(&n.account_number)
                .and_then(|rows| stall_named(rows, &n.description))
            {
                return Matched {
                    match_kind: "static",
                    payment_request_id: None,
                    stall_id: Some(stall_id),
                    merchant_id: Some(merchant_id),
                    late: false,
                };
            }
            matched("unmatched", None, false)
        })
        .collect())
}
