//! Statement reconciliation: a bank statement (CSV) of one account over a date range, compared
//! with the transfers the providers reported. Shows what the statement has that notifications
//! missed, and the reverse; the missing ones are posted after a person confirms them.

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody, FieldError, parse_json};
use crate::server::AppState;
use crate::text;
use crate::with_db;

/// Statement lines and our transfers agree when their times differ by at most this much.
const TIME_TOLERANCE_S: i64 = 600;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct StatementLine {
    /// The bank's transaction id (reference number on the statement).
    pub transaction_id: String,
    /// UTC unix seconds.
    pub time: i64,
    /// Credit in đồng.
    pub amount: i64,
    pub description: String,
}

#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Reported {
    pub id: i64,
    pub provider: String,
    pub provider_tx_id: String,
    pub bank_reference: Option<String>,
    pub amount: i64,
    /// Unix microseconds.
    pub occurred_at: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Reconciliation {
    pub matched: usize,
    /// On the statement, never reported by a provider: post them after checking.
    pub missing_in_halong: Vec<StatementLine>,
    /// Reported by a provider, absent from the statement: to investigate with the bank.
    pub missing_in_statement: Vec<Reported>,
}

#[derive(Deserialize, IntoParams)]
pub struct StatementQuery {
    /// The account the statement is for.
    pub account: String,
    /// First day, `YYYY-MM-DD` (Asia/Ho_Chi_Minh).
    pub from: String,
    /// Last day, inclusive.
    pub to: String,
}

fn column(headers: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    headers
        .iter()
        .position(|h| names.contains(&text::fold(h).as_str()))
}

/// Reads a statement: UTF-8 CSV with (Vietnamese or English) columns for the transaction id,
/// time, credit amount and description. Debit lines (zero or negative) are skipped.
pub fn parse(bytes: &[u8]) -> ApiResult<Vec<StatementLine>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let bad = |vi: String, en: String| ApiError::bad_request("malformed_statement", &vi, &en);
    let mut rdr = csv::Reader::from_reader(bytes);
    let headers = rdr
        .headers()
        .map_err(|e| {
            bad(
                format!("Không đọc được tệp: {e}"),
                format!("Unreadable file: {e}"),
            )
        })?
        .clone();
    let id = column(
        &headers,
        &[
            "transaction_id",
            "ma giao dich",
            "so tham chieu",
            "reference",
        ],
    );
    let time = column(&headers, &["time", "thoi gian", "ngay giao dich"]);
    let amount = column(&headers, &["amount", "so tien", "ghi co", "credit"]);
    let desc = column(&headers, &["description", "noi dung", "mo ta"]);
    let (Some(id), Some(time), Some(amount)) = (id, time, amount) else {
        return Err(bad(
            "Cần các cột mã giao dịch, thời gian, số tiền".into(),
            "Needs transaction id, time and amount columns".into(),
        ));
    };
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| bad(format!("Dòng lỗi: {e}"), format!("Bad line: {e}")))?;
        let line = rec.position().map_or(0, |p| p.line());
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let digits: String = get(amount)
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        let (Ok(value), Some(at)) = (digits.parse::<i64>(), banknotify::parse_vn_time(get(time)))
        else {
            errors.push(FieldError::new(
                &format!("line {line}"),
                "bad_line",
                "Thời gian hoặc số tiền không đọc được",
                "Unreadable time or amount",
            ));
            continue;
        };
        if value > 0 && !get(id).is_empty() {
            let description = desc.map(|d| get(d).to_string()).unwrap_or_default();
            lines.push(StatementLine {
                transaction_id: get(id).to_string(),
                time: at,
                amount: value,
                description,
            });
        }
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Pairs statement lines with reported transfers: by the bank's transaction id, else by the
/// same amount within the time tolerance (each transfer pairs at most once).
pub fn reconcile(lines: Vec<StatementLine>, reported: Vec<Reported>) -> Reconciliation {
    let mut used = vec![false; reported.len()];
    let mut missing = Vec::new();
    let mut matched = 0;
    for l in lines {
        let same_id = reported.iter().enumerate().position(|(i, r)| {
            !used[i]
                && (r.bank_reference.as_deref() == Some(&l.transaction_id)
                    || r.provider_tx_id == l.transaction_id)
        });
        let pick = same_id.or_else(|| {
            reported.iter().enumerate().position(|(i, r)| {
                !used[i]
                    && r.amount == l.amount
                    && (r.occurred_at / 1_000_000 - l.time).abs() <= TIME_TOLERANCE_S
            })
        });
        match pick {
            Some(i) => {
                used[i] = true;
                matched += 1;
            }
            None => missing.push(l),
        }
    }
    let missing_in_statement = reported
        .into_iter()
        .zip(used)
        .filter(|(_, u)| !u)
        .map(|(r, _)| r)
        .collect();
    Reconciliation {
        matched,
        missing_in_halong: missing,
        missing_in_statement,
    }
}

fn range(q: &StatementQuery) -> ApiResult<(i64, i64)> {
    let day = |d: &str, field: &str| {
        super::live::day_bounds(Some(d)).ok_or_else(|| {
            ApiError::validation(vec![FieldError::new(
                field,
                "bad_date",
                "Ngày dạng YYYY-MM-DD",
                "Date as YYYY-MM-DD",
            )])
        })
    };
    Ok((day(&q.from, "from")?.0, day(&q.to, "to")?.1))
}

/// Compares a bank statement (CSV body) of one account and date range with what the providers
/// reported. Changes nothing.
#[utoipa::path(post, path = "/api/v1/statements/reconcile", tag = "payments", params(StatementQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = Reconciliation), (status = 400, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn reconcile_route(
    State(st): State<AppState>,
    Query(q): Query<StatementQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Reconciliation>> {
    Ok(Json(reconcile_statement(&st.db, &q, &body).await?))
}

/// Parses a statement and compares its lines in the date range with the transfers reported to
/// this account. Changes nothing.
pub async fn reconcile_statement(
    db: &crate::db::Db,
    q: &StatementQuery,
    csv: &[u8],
) -> ApiResult<Reconciliation> {
    let (from, to) = range(q)?;
    let lines: Vec<StatementLine> = parse(csv)?
        .into_iter()
        .filter(|l| (from..to).contains(&(l.time * 1_000_000)))
        .collect();
    let reported: Vec<Reported> = with_db!(db, p => sqlx::query_as(
        "SELECT id, provider, provider_tx_id, bank_reference, amount, occurred_at \
         FROM incoming_transfers WHERE account_number = $1 AND direction = 'in' \
         AND occurred_at >= $2 AND occurred_at < $3 ORDER BY occurred_at")
        .bind(q.account.trim()).bind(from).bind(to).fetch_all(p).await)?;
    Ok(reconcile(lines, reported))
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct PostLines {
    pub account: String,
    pub lines: Vec<StatementLine>,
}

#[derive(Serialize, ToSchema)]
pub struct Posted {
    /// Newly recorded.
    pub posted: usize,
    /// Already recorded (from an earlier posting of the same statement line).
    pub already: usize,
}

/// Records confirmed statement lines as incoming transfers (source `statement`, deduplicated by
/// the bank's transaction id) and matches them like notifications.
#[utoipa::path(post, path = "/api/v1/statements/post", tag = "payments", request_body = PostLines,
    responses((status = 200, body = Posted), (status = 422, body = ErrorBody)))]
pub async fn post_lines(
    State(st): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> ApiResult<Json<Posted>> {
    caller.person()?;
    let p: PostLines = parse_json(&body)?;
    let posted = post_statement_lines(&st.db, &p.account, &p.lines).await?;
    if posted.posted > 0 {
        let _ = st.post_receipts.try_send(());
    }
    Ok(Json(posted))
}

/// Records statement lines as incoming transfers of `account` (source `statement`,
/// deduplicated by the bank's transaction id: posting a line again changes nothing) and matches
/// them like notifications. Every line is checked before any is recorded.
pub async fn post_statement_lines(
    db: &crate::db::Db,
    account: &str,
    lines: &[StatementLine],
) -> ApiResult<Posted> {
    if account.trim().is_empty()
        || lines
            .iter()
            .any(|l| l.amount <= 0 || l.transaction_id.trim().is_empty())
    {
        return Err(ApiError::validation(vec![FieldError::new(
            "lines",
            "bad_line",
            "Mỗi dòng cần mã giao dịch và số tiền dương, và cần số tài khoản",
            "Each line needs an id and a positive amount, and the account is required",
        )]));
    }
    let (mut posted, mut already) = (0, 0);
    for l in lines {
        let n = banknotify::Notification {
            provider: banknotify::Provider::Casso,
            provider_tx_id: l.transaction_id.trim().to_string(),
            account_number: account.trim().to_string(),
            virtual_account: None,
            bank_bin: None,
            bank_name: None,
            amount: l.amount,
            direction: banknotify::Direction::In,
            description: l.description.clone(),
            reference: banknotify::extract_reference(&l.description, banknotify::DEFAULT_PREFIX),
            bank_reference: Some(l.transaction_id.trim().to_string()),
            order_id: None,
            occurred_at_unix: l.time,
            time_from_provider: true,
            counter_account: None,
            balance_after: None,
            is_test: false,
            raw: serde_json::to_value(l).unwrap_or_default(),
        };
        match super::notify::record_from(db, "statement", &n).await? {
            Some(_) => posted += 1,
            None => already += 1,
        }
    }
    Ok(Posted { posted, already })
}

#[derive(Deserialize, Default)]
pub struct StatementForm {
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub csv: String,
}

fn today() -> String {
    let now = crate::web::local_time(crate::db::now_micros());
    format!("{}-{}-{}", &now[6..10], &now[3..5], &now[0..2])
}

const STATEMENT_JS: &str = "document.getElementById('csv-file').addEventListener('change', \
    function (e) { var f = e.target.files[0]; if (!f) return; var r = new FileReader(); \
    r.onload = function () { document.getElementById('csv').value = r.result; }; \
    r.readAsText(f, 'utf-8'); });";

/// The upload form (the file is read into the text box by the browser, or pasted).
fn statement_form(caller: &Caller, f: &StatementForm, error: Option<&ApiError>) -> maud::Markup {
    use maud::html;
    html! {
        @if let Some(e) = error {
            div.notice.error {
                p { (e.body.message_vi) }
                @if let Some(list) = e.body.details.get("errors").and_then(|v| v.as_array()) {
                    ul { @for x in list { li {
                        (x.get("field").and_then(|v| v.as_str()).unwrap_or("")) ": "
                        (x.get("message_vi").and_then(|v| v.as_str()).unwrap_or(""))
                    } } }
                }
            }
        }
        form.card method="post" action="/statements" {
            (crate::web::csrf_input(caller))
            label { "Số tài khoản" input type="text" name="account" required value=(f.account); }
            label { "Từ ngày" input type="date" name="from" required value=(f.from); }
            label { "Đến ngày" input type="date" name="to" required value=(f.to); }
            label { "Tệp sao kê (CSV)" input #csv-file type="file" accept=".csv,text/csv"; }
            label { "Nội dung sao kê (CSV: mã giao dịch, thời gian, số tiền, nội dung)"
                textarea #csv name="csv" rows="8" required { (f.csv) } }
            button type="submit" { "Đối chiếu" }
        }
        script { (maud::PreEscaped(STATEMENT_JS)) }
    }
}

fn page(caller: &Caller, body: maud::Markup) -> axum::response::Response {
    use axum::response::IntoResponse;
    crate::web::layout_for(caller, "Đối chiếu sao kê", body).into_response()
}

/// `/statements`: the form to reconcile a bank statement (administrators).
pub async fn statements_page(caller: Caller) -> axum::response::Response {
    let f = StatementForm {
        from: today(),
        to: today(),
        ..Default::default()
    };
    page(
        &caller,
        maud::html! {
            h1 { "Đối chiếu sao kê ngân hàng" }
            p { "Tải sao kê của một tài khoản để tìm giao dịch ngân hàng chưa báo về Halong và ngược lại." }
            (statement_form(&caller, &f, None))
        },
    )
}

fn query_of(f: &StatementForm) -> StatementQuery {
    StatementQuery {
        account: f.account.trim().to_string(),
        from: f.from.trim().to_string(),
        to: f.to.trim().to_string(),
    }
}

/// Shows the differences and, when the statement has lines Halong lacks, a confirm button.
pub async fn statements_preview(
    State(st): State<AppState>,
    caller: Caller,
    axum::extract::Form(f): axum::extract::Form<StatementForm>,
) -> Result<axum::response::Response, crate::web::WebError> {
    use axum::response::IntoResponse;
    use maud::html;
    let r = match reconcile_statement(&st.db, &query_of(&f), f.csv.as_bytes()).await {
        Ok(r) => r,
        Err(e) if e.status.is_client_error() => {
            let status = e.status;
            let body = html! {
                h1 { "Đối chiếu sao kê ngân hàng" }
                (statement_form(&caller, &f, Some(&e)))
            };
            return Ok((status, page(&caller, body)).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let dong = super::dong;
    let body = html! {
        h1 { "Kết quả đối chiếu" }
        p { "Tài khoản " strong { (f.account.trim()) } ", từ " (f.from) " đến " (f.to) "." }
        div.cards {
            div.card { span.num #matched { (r.matched) } span { "dòng khớp" } }
            div.card { span.num #missing-in-halong { (r.missing_in_halong.len()) } span { "thiếu ở Halong" } }
            div.card { span.num #missing-in-statement { (r.missing_in_statement.len()) } span { "thiếu trên sao kê" } }
        }
        h2 { "Có trên sao kê, Halong chưa nhận được thông báo" }
        @if r.missing_in_halong.is_empty() {
            p { "Không có." }
        } @else {
            div.table-wrap { table #missing-halong {
                thead { tr { th { "Mã giao dịch" } th { "Thời gian" } th { "Số tiền (đ)" } th { "Nội dung" } } }
                tbody { @for l in &r.missing_in_halong {
                    tr { td { (l.transaction_id) } td { (crate::web::local_time(l.time * 1_000_000)) } td.num { (dong(l.amount)) } td { (l.description) } }
                } }
            } }
            form.card method="post" action="/statements/confirm" {
                (crate::web::csrf_input(&caller))
                input type="hidden" name="account" value=(f.account);
                input type="hidden" name="from" value=(f.from);
                input type="hidden" name="to" value=(f.to);
                textarea hidden name="csv" { (f.csv) }
                p { "Ghi " (r.missing_in_halong.len()) " giao dịch này vào Halong (ghi lại lần nữa không tạo trùng)." }
                button type="submit" { "Xác nhận ghi các giao dịch thiếu" }
            }
        }
        h2 { "Halong đã nhận, sao kê không có" }
        @if r.missing_in_statement.is_empty() {
            p { "Không có." }
        } @else {
            p { "Cần kiểm tra lại với ngân hàng." }
            div.table-wrap { table #missing-statement {
                thead { tr { th { "Mã" } th { "Nguồn" } th { "Thời gian" } th { "Số tiền (đ)" } } }
                tbody { @for x in &r.missing_in_statement {
                    tr { td { (x.bank_reference.as_deref().unwrap_or(&x.provider_tx_id)) } td { (x.provider) } td { (crate::web::local_time(x.occurred_at)) } td.num { (dong(x.amount)) } }
                } }
            } }
        }
        p { a href="/statements" { "Đối chiếu sao kê khác" } }
    };
    Ok(page(&caller, body))
}

/// Posts what the statement has and Halong lacks, recomputed from the statement itself (so a
/// second confirmation finds nothing missing and posts nothing).
pub async fn statements_confirm(
    State(st): State<AppState>,
    caller: Caller,
    axum::extract::Form(f): axum::extract::Form<StatementForm>,
) -> Result<axum::response::Response, crate::web::WebError> {
    let r = reconcile_statement(&st.db, &query_of(&f), f.csv.as_bytes()).await?;
    let posted = if r.missing_in_halong.is_empty() {
        Posted {
            posted: 0,
            already: 0,
        }
    } else {
        post_statement_lines(&st.db, &f.account, &r.missing_in_halong).await?
    };
    if posted.posted > 0 {
        let _ = st.post_receipts.try_send(());
    }
    let body = maud::html! {
        h1 { "Đã ghi giao dịch từ sao kê" }
        p #posted { "Đã ghi mới " strong { (posted.posted) } " giao dịch"
            @if posted.already > 0 { ", " (posted.already) " giao dịch đã có từ trước" } "." }
        @if posted.posted == 0 { p { "Không có gì mới để ghi: sao kê đã khớp với Halong." } }
        p { a href="/live" { "Xem tiền về" } " · " a href="/statements" { "Đối chiếu sao kê khác" } }
    };
    Ok(page(&caller, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_parse_and_pair() {
        let csv = "Mã giao dịch,Thời gian,Số tiền,Nội dung\n\
            FT001,2026-11-26 08:00:00,35.000,HLABC mua rau\n\
            FT002,26/11/2026 08:05:00,12000,chuyen tien\n\
            FT003,2026-11-26 09:00:00,-5000,phi\n\
            FT004,2026-11-26 10:00:00,7000,khong bao\n";
        let lines = parse(csv.as_bytes()).unwrap();
        assert_eq!(lines.len(), 3, "the debit line is skipped");
        assert_eq!(lines[0].amount, 35_000);
        let t = |s: &str| banknotify::parse_vn_time(s).unwrap() * 1_000_000;
        let reported = vec![
            Reported {
                id: 1,
                provider: "payos".into(),
                provider_tx_id: "p1".into(),
                bank_reference: Some("FT001".into()),
                amount: 35_000,
                occurred_at: t("2026-11-26 08:00:30"),
            },
            Reported {
                id: 2,
                provider: "casso".into(),
                provider_tx_id: "9".into(),
                bank_reference: None,
                amount: 12_000,
                occurred_at: t("2026-11-26 08:06:00"),
            },
            Reported {
                id: 3,
                provider: "casso".into(),
                provider_tx_id: "10".into(),
                bank_reference: None,
                amount: 99_000,
                occurred_at: t("2026-11-26 11:00:00"),
            },
        ];
        let r = reconcile(lines, reported);
        assert_eq!(r.matched, 2);
        assert_eq!(
            r.missing_in_halong
                .iter()
                .map(|l| l.transaction_id.as_str())
                .collect::<Vec<_>>(),
            ["FT004"]
        );
        assert_eq!(
            r.missing_in_statement
                .iter()
                .map(|x| x.id)
                .collect::<Vec<_>>(),
            [3]
        );
        assert!(parse(b"a,b\n1,2\n").is_err());
    }
}
