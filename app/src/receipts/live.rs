//! What a merchant sees: receipts as they land (a list, a Server-Sent Events stream, daily totals)
//! and the live page that announces each one aloud in Vietnamese, like the payment speakers at
//! market stalls. Every query is scoped to what the caller may see. The stream polls the
//! database (not an in-process channel), so it sees payments recorded by any app server.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::Stream;
use maud::{PreEscaped, html};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::db::Db;
use crate::error::ApiResult;
use crate::server::AppState;
use crate::with_db;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Receipt {
    pub id: i64,
    pub provider: String,
    pub amount: i64,
    pub description: String,
    pub reference: Option<String>,
    /// Unix microseconds, UTC.
    pub occurred_at: i64,
    /// reference, account_amount, static, unmatched.
    pub match_kind: String,
    pub payment_request_id: Option<i64>,
    pub stall_id: Option<i64>,
    pub merchant_id: Option<i64>,
    /// Paid after its request expired: kept and flagged.
    pub late: bool,
    /// transfer (bank notification or statement), card, ewallet, cash.
    pub method: String,
    /// Refunded so far (đồng); the receipt itself is never edited.
    pub refunded: i64,
}

/// The receipt columns, with the refunded sum of its refunds.
const RECEIPT_COLS: &str = "t.id, t.provider, t.amount, t.description, t.reference, \
    t.occurred_at, t.match_kind, t.payment_request_id, t.stall_id, t.merchant_id, t.late, \
    t.method, CAST(COALESCE((SELECT SUM(a.amount) FROM receipt_adjustments a \
    WHERE a.receipt_id = t.id AND a.kind = 'refund'), 0) AS BIGINT) AS refunded";

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceiptQuery {
    pub merchant_id: Option<i64>,
    pub stall_id: Option<i64>,
    /// Only receipts with a larger id (for polling).
    pub since_id: Option<i64>,
    /// At most 500 (default 100).
    pub limit: Option<i64>,
}

/// Incoming transfers (direction in) the viewer may see: everything for administrators and tax
/// officers; a merchant's own (owner, cashier); the stalls of their markets (managers).
const SCOPE: &str = "t.direction = 'in' \
    AND ($1 IS NULL OR t.merchant_id = $1) AND ($2 IS NULL OR t.stall_id = $2) \
    AND ($3 IS NULL OR t.id > $3) \
    AND ($4 IS NULL OR EXISTS (SELECT 1 FROM role_grants g WHERE g.person_id = $4 AND \
        ((g.role IN ('merchant_owner', 'merchant_cashier') AND g.scope_id = t.merchant_id) OR \
         (g.role = 'market_manager' AND EXISTS (SELECT 1 FROM stalls s \
            WHERE s.id = t.stall_id AND s.market_id = g.scope_id)))))";

pub async fn list(db: &Db, q: &ReceiptQuery, viewer: Option<i64>) -> sqlx::Result<Vec<Receipt>> {
    let sql = format!(
        "SELECT {RECEIPT_COLS} FROM incoming_transfers t WHERE {SCOPE} ORDER BY t.id DESC LIMIT $5"
    );
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    with_db!(db, p => sqlx::query_as::<_, Receipt>(sqlx::AssertSqlSafe(sql))
        .bind(q.merchant_id).bind(q.stall_id).bind(q.since_id).bind(viewer).bind(limit)
        .fetch_all(p).await)
}

/// Receipts, newest first.
#[utoipa::path(get, path = "/api/v1/receipts", tag = "payments", params(ReceiptQuery),
    responses((status = 200, body = Vec<Receipt>)))]
pub async fn receipts(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<ReceiptQuery>,
) -> ApiResult<Json<Vec<Receipt>>> {
    Ok(Json(list(&st.db, &q, caller.person()?.viewer()).await?))
}

/// Receipts as they land, as Server-Sent Events (`event: receipt`, JSON data), from `since_id`
/// on (default: only new ones).
#[utoipa::path(get, path = "/api/v1/receipts/stream", tag = "payments", params(ReceiptQuery),
    responses((status = 200, content_type = "text/event-stream", description = "One event per receipt")))]
pub async fn stream(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<ReceiptQuery>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let viewer = caller.person()?.viewer();
    let start = match q.since_id {
        Some(id) => id,
        None => list(
            &st.db,
            &ReceiptQuery {
                limit: Some(1),
                ..q.clone()
            },
            viewer,
        )
        .await?
        .first()
        .map_or(0, |r| r.id),
    };
    let shutting_down = st.shutting_down.clone();
    let stream = futures_util::stream::unfold(
        (st.db.clone(), q, viewer, start, shutting_down),
        |(db, q, viewer, last, mut down)| async move {
            // Poll twice a second: a payment shows within a second on every server. The stream
            // ends when the server shuts down, so that the graceful shutdown can finish.
            loop {
                if *down.borrow() {
                    return None;
                }
                let query = ReceiptQuery {
                    since_id: Some(last),
                    limit: Some(100),
                    ..q.clone()
                };
                match list(&db, &query, viewer).await {
                    Ok(mut rows) if !rows.is_empty() => {
                        rows.reverse();
                        let next = rows.last().map_or(last, |r| r.id);
                        let events: Vec<Result<Event, Infallible>> = rows
                            .iter()
                            .map(|r| {
                                Ok(Event::default()
                                    .event("receipt")
                                    .id(r.id.to_string())
                                    .json_data(r)
                                    .unwrap_or_default())
                            })
                            .collect();
                        return Some((
                            futures_util::stream::iter(events),
                            (db, q, viewer, next, down),
                        ));
                    }
                    Ok(_) => {
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                            _ = down.changed() => return None,
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "receipt stream query failed");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                }
            }
        },
    );
    Ok(Sse::new(futures_util::StreamExt::flatten(stream)).keep_alive(KeepAlive::default()))
}

/// Money of one day, net of refunds and corrections.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Total {
    /// Receipts of the day.
    pub count: i64,
    /// Their sum (đồng).
    pub received: i64,
    /// Refunds made that day (đồng).
    pub refunded: i64,
    /// Corrections made that day: moved in minus moved out (đồng).
    pub corrected: i64,
    /// received − refunded + corrected.
    pub amount: i64,
}

impl Total {
    fn add(&mut self, r: &TotalRow) {
        self.count += r.count;
        self.received += r.received;
        self.refunded += r.refunded;
        self.corrected += r.corrected;
        self.amount += r.received - r.refunded + r.corrected;
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct MethodTotal {
    /// transfer, card, ewallet, cash.
    pub method: String,
    #[serde(flatten)]
    pub total: Total,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct StallTotal {
    /// None: receipts of a merchant not tied to a stall.
    pub stall_id: Option<i64>,
    #[serde(flatten)]
    pub total: Total,
    /// The same, per payment method (only methods with money that day).
    pub methods: Vec<MethodTotal>,
}

/// A day's totals (Asia/Ho_Chi_Minh), per stall, per method and overall.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct DayTotals {
    /// Unix microseconds, the day's start and end (UTC).
    pub from: i64,
    pub to: i64,
    #[serde(flatten)]
    pub total: Total,
    pub stalls: Vec<StallTotal>,
    pub methods: Vec<MethodTotal>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
struct TotalRow {
    stall_id: Option<i64>,
    method: String,
    count: i64,
    received: i64,
    refunded: i64,
    corrected: i64,
}

#[derive(Deserialize, IntoParams)]
pub struct DayQuery {
    /// `YYYY-MM-DD` in Asia/Ho_Chi_Minh; default today.
    pub day: Option<String>,
}

/// Unix-µs bounds of a day in Asia/Ho_Chi_Minh (UTC+7, no daylight saving).
pub fn day_bounds(day: Option<&str>) -> Option<(i64, i64)> {
    const DAY_US: i64 = 86_400 * 1_000_000;
    const OFFSET_US: i64 = 7 * 3600 * 1_000_000;
    let start = match day {
        Some(d) => {
            let mut it = d.split('-');
            let (y, m, dd) = (
                it.next()?.parse().ok()?,
                it.next()?.parse::<u8>().ok()?,
                it.next()?.parse().ok()?,
            );
            if it.next().is_some() {
                return None;
            }
            let date =
                time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, dd).ok()?;
            (date.midnight().assume_utc().unix_timestamp() * 1_000_000) - OFFSET_US
        }
        None => {
            let now = crate::db::now_micros() + OFFSET_US;
            now - now.rem_euclid(DAY_US) - OFFSET_US
        }
    };
    Some((start, start + DAY_US))
}

/// Today's (or `day`'s) totals per stall and per payment method, net of refunds and
/// corrections, scoped like the receipts. A receipt counts on the day it was paid, a refund or
/// correction on the day it was made (as the ledger moves money), at the stall it was charged to.
#[utoipa::path(get, path = "/api/v1/receipts/totals", tag = "payments", params(DayQuery),
    responses((status = 200, body = DayTotals), (status = 422, body = crate::error::ErrorBody)))]
pub async fn totals(
    State(st): State<AppState>,
    caller: Caller,
    Query(d): Query<DayQuery>,
) -> ApiResult<Json<DayTotals>> {
    let (from, to) = day_bounds(d.day.as_deref()).ok_or_else(|| {
        crate::error::ApiError::validation(vec![crate::error::FieldError::new(
            "day",
            "bad_date",
            "Ngày dạng YYYY-MM-DD",
            "Day as YYYY-MM-DD",
        )])
    })?;
    Ok(Json(
        day_totals(&st.db, caller.person()?.viewer(), from, to).await?,
    ))
}

/// Whether the viewer ($1; NULL = sees all) may see money of this merchant and stall.
fn visible(merchant: &str, stall: &str) -> String {
    format!(
        "($1 IS NULL OR EXISTS (SELECT 1 FROM role_grants g WHERE g.person_id = $1 AND \
        ((g.role IN ('merchant_owner', 'merchant_cashier') AND g.scope_id = {merchant}) OR \
         (g.role = 'market_manager' AND EXISTS (SELECT 1 FROM stalls s \
            WHERE s.id = {stall} AND s.market_id = g.scope_id)))))"
    )
}

pub async fn day_totals(
    db: &Db,
    viewer: Option<i64>,
    from: i64,
    to: i64,
) -> sqlx::Result<DayTotals> {
    // One signed movement per receipt, refund, and each side of a correction; summed per stall
    // and method.
    let receipts = visible("t.merchant_id", "t.stall_id");
    let charged = visible("a.from_merchant_id", "a.from_stall_id");
    let credited = visible("a.to_merchant_id", "a.to_stall_id");
    let adj = "FROM receipt_adjustments a JOIN incoming_transfers t ON t.id = a.receipt_id \
        WHERE a.created_at >= $2 AND a.created_at < $3";
    let sql = format!(
        "SELECT stall_id, method, CAST(SUM(n) AS BIGINT) AS count, \
           CAST(SUM(received) AS BIGINT) AS received, CAST(SUM(refunded) AS BIGINT) AS refunded, \
           CAST(SUM(corrected) AS BIGINT) AS corrected FROM ( \
         SELECT t.stall_id AS stall_id, t.method AS method, 1 AS n, t.amount AS received, \
           0 AS refunded, 0 AS corrected FROM incoming_transfers t \
           WHERE t.direction = 'in' AND {receipts} AND t.occurred_at >= $2 AND t.occurred_at < $3 \
         UNION ALL SELECT a.from_stall_id, t.method, 0, 0, a.amount, 0 {adj} \
           AND a.kind = 'refund' AND {charged} \
         UNION ALL SELECT a.from_stall_id, t.method, 0, 0, 0, -a.amount {adj} \
           AND a.kind = 'correction' AND {charged} \
         UNION ALL SELECT a.to_stall_id, t.method, 0, 0, 0, a.amount {adj} \
           AND a.kind = 'correction' AND {credited} \
         ) m GROUP BY stall_id, method ORDER BY stall_id, method"
    );
    let rows: Vec<TotalRow> = with_db!(db, p => sqlx::query_as::<_, TotalRow>(
        sqlx::AssertSqlSafe(sql)).bind(viewer).bind(from).bind(to).fetch_all(p).await)?;
    let mut out = DayTotals {
        from,
        to,
        total: Total::default(),
        stalls: Vec::new(),
        methods: Vec::new(),
    };
    for r in &rows {
        out.total.add(r);
        match out.stalls.last_mut() {
            Some(s) if s.stall_id == r.stall_id => {}
            _ => out.stalls.push(StallTotal {
                stall_id: r.stall_id,
                total: Total::default(),
                methods: Vec::new(),
            }),
        }
        let stall = out.stalls.last_mut().expect("pushed");
        stall.total.add(r);
        let mut t = Total::default();
        t.add(r);
        stall.methods.push(MethodTotal {
            method: r.method.clone(),
            total: t,
        });
        match out.methods.iter_mut().find(|m| m.method == r.method) {
            Some(m) => m.total.add(r),
            None => {
                let mut t = Total::default();
                t.add(r);
                out.methods.push(MethodTotal {
                    method: r.method.clone(),
                    total: t,
                });
            }
        }
    }
    out.methods.sort_by_key(|m| {
        super::direct::Method::parse(&m.method).map_or(usize::MAX, |x| x as usize)
    });
    Ok(out)
}

const LIVE_JS: &str = include_str!("../../assets/live.js");

/// The live page: today's totals and receipts, updated as payments land, with an optional
/// spoken announcement ("Đã nhận 35.000 đồng").
pub async fn live_page(
    State(st): State<AppState>,
    caller: Caller,
) -> Result<Response, crate::web::WebError> {
    let viewer = caller.person()?.viewer();
    let (from, to) = day_bounds(None).expect("today has bounds");
    let totals = day_totals(&st.db, viewer, from, to).await?;
    let recent = list(
        &st.db,
        &ReceiptQuery {
            limit: Some(20),
            ..Default::default()
        },
        viewer,
    )
    .await?;
    let label = super::direct::Method::label_vi;
    let body = crate::web::layout_for(
        &caller,
        "Tiền về",
        html! {
            h1 { "Tiền về hôm nay" }
            div.cards {
                div.card { span.num #today-total { (super::dong(totals.total.amount)) " đ" } span { "thực nhận hôm nay" } }
                div.card { span.num #today-count { (totals.total.count) } span { "giao dịch" } }
                @if totals.total.refunded > 0 {
                    div.card { span.num #today-refunded { (super::dong(totals.total.refunded)) " đ" } span { "đã hoàn" } }
                }
            }
            label.inline { input #speak type="checkbox"; " Đọc to khi có tiền về" }
            h2 { "Theo hình thức" }
            div.table-wrap { table #methods {
                thead { tr { th { "Hình thức" } th { "Số giao dịch" } th { "Đã hoàn (đ)" } th { "Thực nhận (đ)" } } }
                tbody { @for m in &totals.methods {
                    tr { td { (label(&m.method)) } td.num { (m.total.count) } td.num { (super::dong(m.total.refunded)) } td.num { (super::dong(m.total.amount)) } }
                } }
            } }
            h2 { "Theo quầy" }
            div.table-wrap { table #totals {
                thead { tr { th { "Quầy" } th { "Hình thức" } th { "Số giao dịch" } th { "Thực nhận (đ)" } } }
                tbody { @for t in &totals.stalls {
                    @for (i, m) in t.methods.iter().enumerate() {
                        tr {
                            td { @if i == 0 { (t.stall_id.map_or("—".to_string(), |s| format!("#{s}"))) } }
                            td { (label(&m.method)) }
                            td.num { (m.total.count) }
                            td.num { (super::dong(m.total.amount)) }
                        }
                    }
                    @if t.methods.len() > 1 {
                        tr.sum { td {} td { "Cộng" } td.num { (t.total.count) } td.num { strong { (super::dong(t.total.amount)) } } }
                    }
                } }
            } }
            h2 { "Giao dịch mới nhất" }
            ul #receipts {
                @for r in &recent {
                    li { strong { (super::dong(r.amount)) " đ" } " · " (label(&r.method)) " · " (crate::web::local_time(r.occurred_at)) " · " (r.description)
                        @if r.late { " " span.tag { "trễ hạn" } }
                        @if r.refunded > 0 { " " span.tag { "đã hoàn " (super::dong(r.refunded)) " đ" } } }
                }
            }
            script { (PreEscaped(LIVE_JS)) }
        },
    );
    Ok(body.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_bounds_are_vietnam_days() {
        let (from, to) = day_bounds(Some("2026-11-26")).unwrap();
        // 2026-11-26 00:00 in Hanoi is 2026-11-25 17:00 UTC.
        assert_eq!(from, 1_795_626_000 * 1_000_000);
        assert_eq!(to - from, 86_400 * 1_000_000);
        assert!(day_bounds(Some("26/11/2026")).is_none());
        let (f, t) = day_bounds(None).unwrap();
        assert!(f <= crate::db::now_micros() && crate::db::now_micros() < t);
    }
}

/// Unmatched receipts (no reference, no known account): administrators assign them to a stall.
pub async fn unmatched(db: &Db) -> sqlx::Result<Vec<Receipt>> {
    let sql = format!(
        "SELECT {RECEIPT_COLS} FROM incoming_transfers t WHERE t.match_kind = 'unmatched' \
         ORDER BY t.id"
    );
    with_db!(db, p => sqlx::query_as::<_, Receipt>(sqlx::AssertSqlSafe(sql)).fetch_all(p).await)
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct Assign {
    pub stall_id: i64,
}

/// Resolves an unmatched receipt by hand: it becomes a receipt of the stall (`match_kind`
/// `manual`, who resolved it is kept). Only unmatched receipts can be assigned; matched ones are
/// corrected by new records, never edited.
pub async fn assign_receipt(
    db: &Db,
    receipt_id: i64,
    stall_id: i64,
    by: i64,
) -> crate::error::ApiResult<Receipt> {
    use crate::error::{ApiError, FieldError};
    let stall = crate::register::store::get_stall(db, stall_id)
        .await?
        .ok_or_else(|| {
            ApiError::validation(vec![FieldError::new(
                "stall_id",
                "unknown_stall",
                "Không có quầy này",
                "No such stall",
            )])
        })?;
    let merchant = stall.merchant_id.ok_or_else(|| {
        ApiError::validation(vec![FieldError::new(
            "stall_id",
            "no_merchant",
            "Quầy chưa có người bán",
            "The stall has no merchant",
        )])
    })?;
    let n = with_db!(db, p => sqlx::query(
        "UPDATE incoming_transfers SET match_kind = 'manual', stall_id = $2, merchant_id = $3, \
         resolved_by = $4 WHERE id = $1 AND match_kind = 'unmatched'")
        .bind(receipt_id).bind(stall_id).bind(merchant).bind(by).execute(p).await?.rows_affected());
    if n == 0 {
        return Err(ApiError::conflict(
            "not_unmatched",
            "Giao dịch không ở hàng chờ xử lý",
            "The receipt is not waiting to be matched",
        ));
    }
    let q = ReceiptQuery {
        since_id: Some(receipt_id - 1),
        limit: Some(1),
        ..Default::default()
    };
    let rows = list(db, &q, None).await?;
    rows.into_iter()
        .find(|r| r.id == receipt_id)
        .ok_or_else(ApiError::internal)
}

/// Assigns an unmatched receipt to a stall (administrators).
#[utoipa::path(post, path = "/api/v1/receipts/{id}/assign", tag = "payments", request_body = Assign,
    responses((status = 200, body = Receipt), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn assign(
    State(st): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Receipt>> {
    let a: Assign = crate::error::parse_json(&body)?;
    Ok(Json(
        assign_receipt(&st.db, id, a.stall_id, caller.person()?.person_id).await?,
    ))
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    pub stall_id: String,
}

/// The queue of unmatched receipts, with a form per receipt.
pub async fn unmatched_page(
    State(st): State<AppState>,
    caller: Caller,
) -> Result<Response, crate::web::WebError> {
    let rows = unmatched(&st.db).await?;
    let body = crate::web::layout_for(
        &caller,
        "Giao dịch chưa khớp",
        html! {
            h1 { "Giao dịch chưa khớp (" (rows.len()) ")" }
            p { "Tiền về tài khoản không thuộc quầy nào và không có mã tham chiếu. Hãy gán cho đúng quầy." }
            @for r in &rows {
                form.card method="post" action={ "/unmatched/" (r.id) "/assign" } {
                    (crate::web::csrf_input(&caller))
                    p { strong { (super::dong(r.amount)) " đ" } " · " (crate::web::local_time(r.occurred_at)) " · " (r.provider) " · " (r.description) }
                    label { "Mã số quầy (id)" input type="number" name="stall_id" required; }
                    button type="submit" { "Gán cho quầy" }
                }
            }
        },
    );
    Ok(body.into_response())
}

pub async fn unmatched_assign(
    State(st): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<i64>,
    axum::extract::Form(f): axum::extract::Form<AssignForm>,
) -> Result<Response, crate::web::WebError> {
    let stall: i64 = f.stall_id.trim().parse().map_err(|_| {
        crate::error::ApiError::validation(vec![crate::error::FieldError::new(
            "stall_id",
            "not_a_number",
            "Phải là số",
            "Must be a number",
        )])
    })?;
    assign_receipt(&st.db, id, stall, caller.person()?.person_id).await?;
    Ok(axum::response::Redirect::to("/unmatched").into_response())
}
