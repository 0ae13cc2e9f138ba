//! Pages of market fees (Vietnamese): the market board's page `/markets/{id}/fees` with its
//! forms, the printable cash receipt (Phiếu thu) and the merchant's own bills.

use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::api::{managed_bill, managed_market, merchant_visible_bills};
use super::*;
use crate::auth::Caller;
use crate::receipts::dong;
use crate::server::AppState;
use crate::web::{WebError, csrf_input, layout_for, local_time};

type Page = Result<Response, WebError>;

pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/markets/{id}/fees", get(fees_page))
        .route("/markets/{id}/fees/generate", post(generate_form))
        .route("/markets/{id}/fees/remind", post(remind_form))
        .route("/markets/{id}/fees/schedules", post(schedule_form))
        .route("/markets/{id}/fees/account", post(account_form))
        .route("/fee-bills/{id}/cash", post(cash_form))
        .route("/fee-receipts/{id}", get(receipt_page))
        .route("/merchants/{id}/fees", get(merchant_page))
}

pub fn status_vi(b: &Bill) -> &'static str {
    if b.overdue {
        return if b.status == "partially_paid" {
            "Quá hạn (đã nộp một phần)"
        } else {
            "Quá hạn"
        };
    }
    match b.status.as_str() {
        "open" => "Chưa nộp",
        "partially_paid" => "Nộp một phần",
        "paid" => "Đã nộp đủ",
        "cancelled" => "Đã hủy",
        _ => "—",
    }
}

fn input_error(field: &str, vi: &str, en: &str) -> WebError {
    ApiError::validation(vec![FieldError::new(field, "invalid", vi, en)]).into()
}

#[derive(Deserialize, Default)]
pub struct FeesQuery {
    #[serde(default)]
    pub period: Option<String>,
    #[serde(default)]
    pub created: Option<i64>,
    #[serde(default)]
    pub existing: Option<i64>,
    #[serde(default)]
    pub sent: Option<i64>,
    #[serde(default)]
    pub reminded: Option<i64>,
    #[serde(default)]
    pub recent: Option<i64>,
}

fn totals_cards(t: &Totals) -> Markup {
    html! {
        div.cards {
            div.card { span { "Phải thu" } span.num { (dong(t.billed)) } span { (t.bills) " khoản" } }
            div.card { span { "Đã thu qua QR" } span.num { (dong(t.paid_cashless)) } }
            div.card { span { "Đã thu tiền mặt" } span.num { (dong(t.paid_cash)) } }
            div.card { span { "Còn phải thu" } span.num { (dong(t.outstanding)) } }
            div.card { span { "Quá hạn" } span.num { (dong(t.overdue_amount)) } span { (t.overdue_bills) " khoản" } }
        }
    }
}

/// The market board's fee page.
pub async fn fees_page(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<FeesQuery>,
) -> Page {
    let m = managed_market(&st, &caller, id).await?;
    let now = now_micros();
    let period = q
        .period
        .clone()
        .filter(|p| parse_period(p).is_some())
        .unwrap_or_else(|| period_of(now));
    let schedules = list_schedules(&st.db, id).await?;
    let account = market_account(&st.db, id).await?;
    let bills = list_bills(&st.db, id, Some(&period)).await?;
    let t = totals(&bills);
    let periods: Vec<String> = crate::with_db!(&st.db, p => sqlx::query_scalar(
        "SELECT DISTINCT period FROM fee_bills WHERE market_id = $1 ORDER BY period DESC")
        .bind(id).fetch_all(p).await)?;
    let key_seed = crate::auth::random_hex(8);
    let body = html! {
        p { a href={ "/markets/" (id) } { "← " (m.name) } }
        h1 { "Thu phí chợ — " (m.name) }
        @if let (Some(c), Some(e)) = (q.created, q.existing) {
            p.notice { "Kỳ " (period) ": đã lập " (c) " khoản mới, " (e) " khoản đã có từ trước." }
        }
        @if let (Some(s), Some(r)) = (q.sent, q.reminded) {
            p.notice { "Đã gửi " (s) " tin nhắn nhắc nộp cho " (r) " khoản quá hạn"
                @if let Some(k) = q.recent { "; " (k) " khoản vừa được nhắc gần đây, không gửi lại" } "." }
        }
        form.filters method="get" action={ "/markets/" (id) "/fees" } {
            label { "Kỳ thu "
                input type="month" name="period" value=(period) list="periods";
            }
            datalist id="periods" { @for p in &periods { option value=(p) {} } }
            button type="submit" { "Xem" }
        }
        (totals_cards(&t))
        div.cards {
            form.card method="post" action={ "/markets/" (id) "/fees/generate" } {
                (csrf_input(&caller))
                input type="hidden" name="period" value=(period);
                label { "Hạn nộp: ngày (1–28)" input type="number" name="due_day" min="1" max="28" value=(DEFAULT_DUE_DAY); }
                button type="submit" { "Lập hóa đơn kỳ " (period) }
            }
            form.card method="post" action={ "/markets/" (id) "/fees/remind" } {
                (csrf_input(&caller))
                p { "Nhắn tin nhắc các hộ có khoản quá hạn (mỗi khoản tối đa 1 lần / " (REMIND_EVERY_DAYS) " ngày)." }
                button type="submit" { "Gửi nhắc nộp" }
            }
        }
        h2 { "Danh sách phải thu kỳ " (period) }
        @if bills.is_empty() {
            p { "Chưa có hóa đơn cho kỳ này." }
        } @else {
            div.table-wrap { table {
                thead { tr {
                    th { "Quầy" } th { "Hộ kinh doanh" } th { "Khoản" } th { "Số tiền" }
                    th { "Đã nộp QR" } th { "Đã nộp tiền mặt" } th { "Trạng thái" } th { "Mã QR" } th { "Thu tiền mặt" }
                } }
                tbody {
                    @for b in &bills {
                        tr {
                            td { (b.stall_code) }
                            td { (b.merchant_name.clone().unwrap_or_default()) }
                            td { (kind_vi(&b.kind)) }
                            td.num { (dong(b.amount)) }
                            td.num { (dong(b.paid_cashless)) }
                            td.num { (dong(b.paid_cash)) }
                            td { @if b.overdue { strong.error { (status_vi(b)) } } @else { (status_vi(b)) }
                                br; small { "Hạn " (local_time(b.due_at)) } }
                            td { @if let (Some(r), true) = (b.payment_request_id, b.remaining() > 0) {
                                a href={ "/api/v1/payment-requests/" (r) "/qr.svg" } target="_blank" { "Mã QR" }
                                br; small { (b.reference.clone().unwrap_or_default()) }
                            } }
                            td { @if b.remaining() > 0 && b.status != "cancelled" {
                                form.inline method="post" action={ "/fee-bills/" (b.id) "/cash" } {
                                    (csrf_input(&caller))
                                    input type="hidden" name="idempotency_key" value={ (key_seed) "-" (b.id) };
                                    input type="number" name="amount" min="1" max=(b.remaining()) value=(b.remaining()) aria-label="Số tiền mặt";
                                    button type="submit" { "Thu" }
                                }
                            } }
                        }
                    }
                }
            } }
        }
        h2 { "Biểu phí" }
        @if schedules.is_empty() { p { "Chưa có biểu phí." } } @else {
            div.table-wrap { table {
                thead { tr { th { "Ngành hàng" } th { "Khoản" } th { "Số tiền / tháng" } th { "Áp dụng" } } }
                tbody { @for s in &schedules { tr {
                    td { @if s.stall_category.is_empty() { "Mọi quầy" } @else { (s.stall_category) } }
                    td { (kind_vi(&s.kind)) }
                    td.num { (dong(s.amount)) }
                    td { @if s.active { "Có" } @else { "Tạm dừng" } }
                } } }
            } }
        }
        form.card method="post" action={ "/markets/" (id) "/fees/schedules" } {
            (csrf_input(&caller))
            h3 { "Thêm / sửa biểu phí" }
            label { "Ngành hàng (để trống: mọi quầy)" input type="text" name="stall_category" maxlength="100"; }
            label { "Khoản" select name="kind" { @for (k, v) in KINDS { option value=(k) { (v) } } } }
            label { "Số tiền mỗi tháng (đồng)" input type="number" name="amount" min="1" required; }
            button type="submit" { "Lưu biểu phí" }
        }
        form.card method="post" action={ "/markets/" (id) "/fees/account" } {
            (csrf_input(&caller))
            h3 { "Tài khoản nhận tiền của ban quản lý chợ" }
            @if let Some(a) = &account {
                p { (a.bank_bin) " · " (a.account_number) " · " (a.holder_name) }
            } @else { p.error { "Chưa có: cần khai báo trước khi lập hóa đơn." } }
            label { "Mã ngân hàng (BIN)" input type="text" name="bank_bin" required value=[account.as_ref().map(|a| a.bank_bin.clone())]; }
            label { "Số tài khoản" input type="text" name="account_number" required value=[account.as_ref().map(|a| a.account_number.clone())]; }
            label { "Chủ tài khoản" input type="text" name="holder_name" required value=[account.as_ref().map(|a| a.holder_name.clone())]; }
            button type="submit" { "Lưu tài khoản" }
        }
    };
    Ok(layout_for(&caller, &format!("Thu phí chợ — {}", m.name), body).into_response())
}

#[derive(Deserialize)]
pub struct GenerateForm {
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub due_day: String,
}

pub async fn generate_form(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(f): Form<GenerateForm>,
) -> Page {
    managed_market(&st, &caller, id).await?;
    let due_day = match f.due_day.trim() {
        "" => None,
        d => Some(d.parse::<u8>().map_err(|_| {
            input_error(
                "due_day",
                "Hạn nộp là ngày 1 đến 28",
                "Due day from 1 to 28",
            )
        })?),
    };
    let g = GenerateInput {
        period: f.period,
        due_day,
    };
    let r = generate(&st.db, id, &g, caller.person_id(), false).await?;
    Ok(Redirect::to(&format!(
        "/markets/{id}/fees?period={}&created={}&existing={}",
        r.period, r.created, r.existing
    ))
    .into_response())
}

pub async fn remind_form(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Page {
    managed_market(&st, &caller, id).await?;
    let r = remind(&st.db, st.sms.as_ref(), id, caller.person_id()).await?;
    Ok(Redirect::to(&format!(
        "/markets/{id}/fees?sent={}&reminded={}&recent={}",
        r.messages_sent, r.bills_reminded, r.recently_reminded
    ))
    .into_response())
}

#[derive(Deserialize)]
pub struct ScheduleForm {
    #[serde(default)]
    pub stall_category: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub amount: String,
}

fn parse_amount(s: &str) -> Result<i64, WebError> {
    s.trim().replace(['.', ' '], "").parse().map_err(|_| {
        input_error(
            "amount",
            "Số tiền phải là số đồng",
            "Amount must be a number",
        )
    })
}

pub async fn schedule_form(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(f): Form<ScheduleForm>,
) -> Page {
    managed_market(&st, &caller, id).await?;
    let input = check_schedule(&ScheduleInput {
        stall_category: f.stall_category,
        kind: f.kind,
        amount: parse_amount(&f.amount)?,
        active: true,
    })?;
    upsert_schedule(&st.db, id, &input, false).await?;
    Ok(Redirect::to(&format!("/markets/{id}/fees")).into_response())
}

#[derive(Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    pub bank_bin: String,
    #[serde(default)]
    pub account_number: String,
    #[serde(default)]
    pub holder_name: String,
}

pub async fn account_form(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(f): Form<AccountForm>,
) -> Page {
    managed_market(&st, &caller, id).await?;
    let a = check_account(&MarketAccountInput {
        bank_bin: f.bank_bin,
        account_number: f.account_number,
        holder_name: f.holder_name,
    })?;
    set_market_account(&st.db, id, &a, caller.person_id()).await?;
    Ok(Redirect::to(&format!("/markets/{id}/fees")).into_response())
}

#[derive(Deserialize)]
pub struct CashForm {
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub idempotency_key: String,
}

pub async fn cash_form(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(f): Form<CashForm>,
) -> Page {
    managed_bill(&st, &caller, id).await?;
    let c = CashInput {
        amount: parse_amount(&f.amount)?,
        idempotency_key: f.idempotency_key,
    };
    let r = record_cash(&st.db, id, &c, caller.person_id()).await?;
    Ok(Redirect::to(&format!("/fee-receipts/{}", r.payment.id)).into_response())
}

/// The printable cash receipt (Phiếu thu) for one cash payment.
pub async fn receipt_page(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Page {
    let pay = cash_payment(&st.db, id)
        .await?
        .ok_or_else(crate::web::not_found)?;
    let bill = managed_bill(&st, &caller, pay.bill_id).await?;
    let market = crate::register::store::get_market(&st.db, bill.market_id)
        .await?
        .ok_or_else(crate::web::not_found)?;
    let words = einvoice::words::amount_in_words(pay.amount);
    let body = html! {
        article.receipt style="max-width: 32rem; background: #fff; border: 1px solid #ccc; padding: 1rem" {
            p { strong { "Ban quản lý " (market.name) } br; (market.address) }
            h1 style="text-align: center" { "PHIẾU THU" }
            p style="text-align: center" { "Số: " strong { (pay.receipt_no) } br; "Ngày " (local_time(pay.received_at)) }
            dl.facts {
                dt { "Người nộp" } dd { (bill.merchant_name.clone().unwrap_or_default()) " — quầy " (bill.stall_code) }
                dt { "Lý do nộp" } dd { (kind_vi(&bill.kind)) " kỳ " (bill.period) }
                dt { "Số tiền" } dd { strong { (dong(pay.amount)) " đồng" } }
                dt { "Bằng chữ" } dd { (words) }
                dt { "Còn phải nộp" } dd { (dong(bill.remaining())) " đồng" }
            }
            div style="display: flex; justify-content: space-between; margin-top: 2rem; text-align: center" {
                div { strong { "Người nộp tiền" } br; small { "(Ký, ghi rõ họ tên)" } }
                div { strong { "Người thu tiền" } br; small { "(Ký, ghi rõ họ tên)" } }
            }
        }
        p { button type="button" onclick="window.print()" { "In phiếu thu" } " "
            a href={ "/markets/" (bill.market_id) "/fees?period=" (bill.period) } { "Về trang thu phí" } }
    };
    Ok(layout_for(&caller, &format!("Phiếu thu {}", pay.receipt_no), body).into_response())
}

/// A merchant's own fee bills, with the QR to pay each.
pub async fn merchant_page(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Page {
    let bills = merchant_visible_bills(&st, &caller, id).await?;
    let t = totals(&bills);
    let body = html! {
        p { a href={ "/merchants/" (id) } { "← Hộ kinh doanh" } }
        h1 { "Phí chợ phải nộp" }
        (totals_cards(&t))
        @if bills.is_empty() { p { "Chưa có khoản phí nào." } } @else {
            div.table-wrap { table {
                thead { tr { th { "Kỳ" } th { "Quầy" } th { "Khoản" } th { "Số tiền" } th { "Đã nộp" } th { "Trạng thái" } th { "Nộp bằng QR" } } }
                tbody { @for b in &bills { tr {
                    td { (b.period) } td { (b.stall_code) } td { (kind_vi(&b.kind)) }
                    td.num { (dong(b.amount)) }
                    td.num { (dong(b.paid_cash + b.paid_cashless)) }
                    td { @if b.overdue { strong.error { (status_vi(b)) } } @else { (status_vi(b)) } }
                    td { @if let (Some(r), true) = (b.payment_request_id, b.remaining() > 0) {
                        img.qr src={ "/api/v1/payment-requests/" (r) "/qr.svg" } alt="Mã QR" loading="lazy";
                        small { (b.reference.clone().unwrap_or_default()) }
                    } }
                } } }
            } }
        }
    };
    Ok(layout_for(&caller, "Phí chợ phải nộp", body).into_response())
}
