//! The web UI: server-rendered Vietnamese pages (maud), one stylesheet compiled into the
//! binary, no script needed for any page to work. Forms post back to themselves and show
//! errors beside the fields they concern.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use crate::auth::{Caller, forbidden, scope};
use crate::error::{ApiError, FieldError};
use crate::register::validate;
use crate::register::{
    BankAccountInput, ListQuery, Market, MarketInput, Merchant, MerchantInput, StallInput, store,
};
use crate::server::AppState;

const CSS: &str = include_str!("../assets/app.css");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/assets/app.css", get(css))
        .route("/markets", get(markets))
        .route("/markets/new", get(new_market).post(create_market))
        .route("/markets/{id}", get(market_page))
        .route("/markets/{id}/edit", get(edit_market).post(save_market))
        .route(
            "/markets/{id}/stalls/new",
            get(new_stall).post(create_stall),
        )
        .route("/stalls/{id}/edit", get(edit_stall).post(save_stall))
        .route("/merchants", get(merchants))
        .route("/merchants/new", get(new_merchant).post(create_merchant))
        .route("/merchants/{id}", get(merchant_page))
        .route(
            "/merchants/{id}/edit",
            get(edit_merchant).post(save_merchant),
        )
        .route("/merchants/{id}/accounts", axum::routing::post(add_account))
        .route("/markets/{id}/signs", get(crate::qr::market_signs))
        .route("/signin", get(crate::auth::routes::signin_get))
        .route(
            "/signin/otp",
            axum::routing::post(crate::auth::routes::signin_otp),
        )
        .route(
            "/signin/verify",
            axum::routing::post(crate::auth::routes::signin_verify),
        )
        .route(
            "/signin/password",
            axum::routing::post(crate::auth::routes::signin_password),
        )
        .route(
            "/signout",
            axum::routing::post(crate::auth::routes::signout_page),
        )
        .route("/audit", get(crate::auth::routes::audit_page))
        .route("/live", get(crate::receipts::live::live_page))
        .route("/dashboard", get(crate::indicators::pages::dashboard))
        .route(
            "/dashboard/staff",
            get(crate::indicators::pages::staff_dashboard),
        )
        .route(
            "/dashboard.csv",
            get(crate::indicators::pages::dashboard_csv),
        )
        .route(
            "/dashboard.xlsx",
            get(crate::indicators::pages::dashboard_xlsx),
        )
        .route("/registers", get(crate::invoices::pages::registers_page))
        .route("/registers/{id}", get(crate::invoices::pages::cashier_page))
        .route(
            "/merchants/{id}/einvoice",
            get(crate::invoices::pages::setup_page),
        )
        .route("/invoices", get(crate::invoices::pages::invoices_page))
        .route(
            "/invoices/{id}/receipt",
            get(crate::invoices::pages::receipt_page),
        )
        .route(
            "/invoices/{id}/receipt.pdf",
            get(crate::invoices::pages::receipt_pdf),
        )
        .route("/tra-cuu", get(crate::invoices::pages::lookup_page))
        .route("/tra-cuu/xml", get(crate::invoices::pages::lookup_xml))
        .route("/unmatched", get(crate::receipts::live::unmatched_page))
        .route(
            "/unmatched/{id}/assign",
            axum::routing::post(crate::receipts::live::unmatched_assign),
        )
        .route(
            "/statements",
            get(crate::receipts::statements::statements_page)
                .post(crate::receipts::statements::statements_preview),
        )
        .route(
            "/statements/confirm",
            axum::routing::post(crate::receipts::statements::statements_confirm),
        )
        .merge(crate::fees::pages::router())
}

/// A print document: one stall sign per A6 page.
pub fn print_page(title: &str, signs: &[String]) -> Markup {
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                title { (title) }
                style { "@page { size: A6; margin: 0 } body { margin: 0 } \
                    .sign { width: 105mm; height: 148mm; page-break-after: always; } \
                    .sign svg { width: 100%; height: 100%; } \
                    @media screen { .sign { display: inline-block; margin: 4mm; border: 1px dashed #999; } }" }
            }
            body {
                @if signs.is_empty() { p { "Chợ chưa có quầy nào có tài khoản nhận tiền." } }
                @for svg in signs { div.sign { (maud::PreEscaped(svg)) } }
            }
        }
    }
}

type Page = Result<Response, WebError>;

/// Errors on pages are pages too (in Vietnamese), not JSON.
pub struct WebError(ApiError);

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        WebError(e)
    }
}

impl From<sqlx::Error> for WebError {
    fn from(e: sqlx::Error) -> Self {
        WebError(e.into())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let body = layout(
            "Lỗi",
            html! {
                h1 { "Không thực hiện được" }
                p.error { (self.0.body.message_vi) }
                p { a href="/" { "Về trang chủ" } }
            },
        );
        (self.0.status, body).into_response()
    }
}

pub fn not_found() -> WebError {
    WebError(ApiError::not_found("page"))
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        CSS,
    )
}

fn layout(title: &str, body: Markup) -> Markup {
    layout_with(None, title, body)
}

/// The page frame with the navigation the caller's roles allow and the sign-in state.
pub fn layout_for(caller: &Caller, title: &str, body: Markup) -> Markup {
    layout_with(Some(caller), title, body)
}

/// The hidden CSRF field every form posted with a session carries.
pub fn csrf_input(caller: &Caller) -> Markup {
    html! {
        @if let Some(t) = caller.principal.as_ref().and_then(|p| p.csrf()) {
            input type="hidden" name="csrf" value=(t);
        }
    }
}

/// Unix microseconds shown in Asia/Ho_Chi_Minh (UTC+7, no daylight saving).
pub fn local_time(micros: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(micros.div_euclid(1_000_000))
        .map(|t| t.to_offset(time::macros::offset!(+7)));
    match t {
        Ok(t) => format!(
            "{:02}/{:02}/{} {:02}:{:02}:{:02}",
            t.day(),
            u8::from(t.month()),
            t.year(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => micros.to_string(),
    }
}

fn layout_with(caller: Option<&Caller>, title: &str, body: Markup) -> Markup {
    let person = caller.and_then(|c| c.principal.as_ref());
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Halong" }
                link rel="stylesheet" href="/assets/app.css";
            }
            body {
                header.top {
                    a.brand href="/" { "Halong" }
                    nav {
                        @if person.is_some_and(|p| p.is_staff()) {
                            a href="/markets" { "Chợ" }
                            a href="/merchants" { "Người bán" }
                            a href="/live" { "Tiền về" }
                            a href="/registers" { "Máy tính tiền" }
                        }
                        a href="/dashboard" { "Chỉ số" }
                        a href="/tra-cuu" { "Tra cứu hóa đơn" }
                        @if person.is_some_and(|p| p.is_admin()) {
                            a href="/audit" { "Nhật ký" }
                            a href="/unmatched" { "Chưa khớp" }
                            a href="/statements" { "Sao kê" }
                        }
                        @match (person, caller) {
                            (Some(p), Some(c)) => {
                                span.who { (if p.name.is_empty() { identity::phone::mask(&p.phone) } else { p.name.clone() }) }
                                form.inline method="post" action="/signout" {
                                    (csrf_input(c))
                                    button.link type="submit" { "Đăng xuất" }
                                }
                            }
                            _ => { a href="/signin" { "Đăng nhập" } }
                        }
                    }
                }
                main { (body) }
                footer { "Chợ 4.0 — Quảng Ninh · Nền tảng thanh toán không dùng tiền mặt" }
            }
        }
    }
}

fn ok(m: Markup) -> Page {
    Ok(m.into_response())
}

pub fn status_vi(s: &str) -> &str {
    match s {
        "active" => "Đang hoạt động",
        "renovating" => "Đang cải tạo",
        "closed" => "Đã đóng",
        "vacant" => "Còn trống",
        "suspended" => "Tạm ngừng",
        other => other,
    }
}

fn kind_vi(s: &str) -> &str {
    match s {
        "household" => "Hộ kinh doanh",
        "enterprise" => "Doanh nghiệp",
        other => other,
    }
}

fn method_vi(s: &str) -> &str {
    match s {
        "cash" => "Tiền mặt",
        "vietqr" => "VietQR",
        "card" => "Thẻ",
        "ewallet" => "Ví điện tử",
        other => other,
    }
}

fn place_name(st: &AppState, code: &str) -> String {
    st.places
        .get(code)
        .map_or_else(|| code.to_string(), |p| p.full_name())
}

// ---- home ----

async fn home(State(st): State<AppState>, caller: Caller) -> Page {
    let mut by_class = Vec::new();
    for class in 1..=3 {
        let q = ListQuery {
            class: Some(class),
            per_page: Some(1),
            ..Default::default()
        };
        by_class.push((class, store::list_markets(&st.db, &q).await?.total));
    }
    let one = ListQuery {
        per_page: Some(1),
        ..Default::default()
    };
    let stalls = store::list_stalls(&st.db, &one).await?.total;
    let merchants = store::list_merchants(&st.db, &one).await?.total;
    ok(layout_for(
        &caller,
        "Trang chủ",
        html! {
            h1 { "Chợ 4.0 tỉnh Quảng Ninh" }
            @if st.demo {
                p.notice { "Chế độ trình diễn: dữ liệu là dữ liệu mẫu, không phải dữ liệu thật." }
            }
            div.cards {
                @for (class, n) in &by_class {
                    a.card href={ "/markets?class=" (class) } {
                        span.num { (n) } span { "chợ hạng " (class) }
                    }
                }
                a.card href="/merchants" { span.num { (merchants) } span { "người bán" } }
                div.card { span.num { (stalls) } span { "quầy/sạp" } }
            }
            @match caller.principal.as_ref() {
                Some(p) => p {
                    @if p.is_admin() { a.button href="/markets/new" { "Thêm chợ" } " " }
                    @if scope::can_create_merchant(p) { a.button href="/merchants/new" { "Thêm người bán" } }
                },
                None => p { a.button href="/signin" { "Đăng nhập" } }
            }
        },
    ))
}

// ---- list pages ----

fn pager(base: &str, q: &ListQuery, total: i64) -> Markup {
    let page = i64::from(q.page.unwrap_or(1).max(1));
    let pages = (total + q.limit() - 1) / q.limit();
    let link = |p: i64| {
        let mut params: Vec<(String, String)> = vec![("page".into(), p.to_string())];
        for (k, v) in [
            ("q", q.q.clone()),
            ("place", q.place.clone()),
            ("status", q.status.clone()),
        ] {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                params.push((k.into(), v));
            }
        }
        if let Some(c) = q.class {
            params.push(("class".into(), c.to_string()));
        }
        format!("{base}?{}", query_string(&params))
    };
    html! {
        p.pager {
            "Tổng " (total) " · trang " (page) "/" (pages.max(1)) " "
            @if page > 1 { a href=(link(page - 1)) { "‹ Trước" } " " }
            @if page < pages { a href=(link(page + 1)) { "Sau ›" } }
        }
    }
}

fn query_string(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The place filter: former districts, then the communes under each.
fn place_select(st: &AppState, selected: Option<&str>) -> Markup {
    html! {
        select name="place" aria-label="Địa bàn" {
            option value="" { "Mọi địa bàn" }
            @for d in st.places.legacy_districts() {
                option value=(d.code) selected[selected == Some(d.code.as_str())] {
                    (d.unit_type) " " (d.name) " (cũ)"
                }
                @for c in st.places.communes().filter(|c| c.legacy_district_code.as_deref() == Some(&d.code)) {
                    option value=(c.code) selected[selected == Some(c.code.as_str())] {
                        "\u{a0}\u{a0}" (c.full_name())
                    }
                }
            }
        }
    }
}

/// The filter bar of a list page: search, place, (class,) status.
fn filter_form(
    st: &AppState,
    action: &str,
    q: &ListQuery,
    placeholder: &str,
    statuses: &[&str],
    with_class: bool,
) -> Markup {
    html! {
        form.filters method="get" action=(action) {
            input type="search" name="q" placeholder=(placeholder) value=[q.q.as_deref()];
            (place_select(st, q.place()))
            @if with_class {
                select name="class" aria-label="Hạng chợ" {
                    option value="" { "Mọi hạng" }
                    @for c in 1..=3i16 { option value=(c) selected[q.class == Some(c)] { "Hạng " (c) } }
                }
            }
            select name="status" aria-label="Trạng thái" {
                option value="" { "Mọi trạng thái" }
                @for s in statuses {
                    option value=(s) selected[q.status() == Some(*s)] { (status_vi(s)) }
                }
            }
            button type="submit" { "Lọc" }
        }
    }
}

async fn markets(
    State(st): State<AppState>,
    caller: Caller,
    Query(mut q): Query<ListQuery>,
) -> Page {
    q.viewer = caller.person()?.viewer();
    let page = store::list_markets(&st.db, &q).await?;
    ok(layout_for(
        &caller,
        "Chợ",
        html! {
            h1 { "Danh sách chợ" }
            (filter_form(&st, "/markets", &q, "Tìm tên, mã chợ…", crate::register::MARKET_STATUSES, true))
            @if caller.principal.as_ref().is_some_and(|p| p.is_admin()) {
                p { a.button href="/markets/new" { "Thêm chợ" } }
            }
            div.table-wrap { table {
                thead { tr { th { "Mã" } th { "Tên chợ" } th { "Địa bàn" } th { "Hạng" } th { "Điểm KD" } th { "Trạng thái" } } }
                tbody {
                    @for m in &page.items {
                        tr {
                            td { (m.code) }
                            td { a href={ "/markets/" (m.id) } { (m.name) } @if m.is_demo { " " span.tag { "mẫu" } } }
                            td { (place_name(&st, &m.place_code)) }
                            td { (m.market_class) }
                            td.num { (m.business_points) }
                            td { (status_vi(&m.status)) }
                        }
                    }
                }
            } }
            (pager("/markets", &q, page.total))
        },
    ))
}

async fn merchants(
    State(st): State<AppState>,
    caller: Caller,
    Query(mut q): Query<ListQuery>,
) -> Page {
    q.viewer = caller.person()?.viewer();
    let page = store::list_merchants(&st.db, &q).await?;
    ok(layout_for(
        &caller,
        "Người bán",
        html! {
            h1 { "Người bán (hộ kinh doanh, doanh nghiệp)" }
            (filter_form(&st, "/merchants", &q, "Tìm tên, mã số thuế…", crate::register::MERCHANT_STATUSES, false))
            @if caller.principal.as_ref().is_some_and(scope::can_create_merchant) {
                p { a.button href="/merchants/new" { "Thêm người bán" } }
            }
            div.table-wrap { table {
                thead { tr { th { "Mã số thuế" } th { "Tên" } th { "Chủ" } th { "Địa bàn" } th { "Thanh toán" } } }
                tbody {
                    @for m in &page.items {
                        tr {
                            td { (m.tax_code) }
                            td { a href={ "/merchants/" (m.id) } { (m.name) } }
                            td { (m.owner_name) }
                            td { (place_name(&st, &m.place_code)) }
                            td { (methods_vi(&m.payment_methods)) }
                        }
                    }
                }
            } }
            (pager("/merchants", &q, page.total))
        },
    ))
}

fn methods_vi(csv: &str) -> String {
    csv.split(',').map(method_vi).collect::<Vec<_>>().join(", ")
}

// ---- market page ----

#[derive(Deserialize)]
struct PageQuery {
    page: Option<u32>,
}

async fn market_page(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(pq): Query<PageQuery>,
) -> Page {
    let m = crate::api::visible_market(&st, &caller, id).await?;
    let viewer = caller.person()?.viewer();
    let sq = ListQuery {
        market_id: Some(id),
        viewer,
        page: pq.page,
        per_page: Some(200),
        ..Default::default()
    };
    let stalls = store::list_stalls(&st.db, &sq).await?;
    let mq = ListQuery {
        market_id: Some(id),
        viewer,
        per_page: Some(500),
        ..Default::default()
    };
    let mut names: HashMap<i64, Merchant> = HashMap::new();
    let mut page = 1;
    loop {
        let p = store::list_merchants(
            &st.db,
            &ListQuery {
                page: Some(page),
                ..mq.clone()
            },
        )
        .await?;
        let done = p.items.len() < 500;
        names.extend(p.items.into_iter().map(|r| (r.id, r)));
        if done {
            break;
        }
        page += 1;
    }
    ok(layout_for(
        &caller,
        &m.name,
        html! {
            h1 { (m.name) @if m.is_demo { " " span.tag { "mẫu" } } }
            dl.facts {
                dt { "Mã chợ" } dd { (m.code) }
                dt { "Địa chỉ" } dd { (m.address) }
                dt { "Địa bàn" } dd { (place_name(&st, &m.place_code)) }
                dt { "Hạng" } dd {
                    "Hạng " (m.market_class)
                    @if let Some(r) = &m.class_override_reason { " (xếp hạng riêng: " (r) ")" }
                    @else { " (theo số điểm kinh doanh, Nghị định 60/2024/NĐ-CP)" }
                }
                dt { "Số điểm kinh doanh" } dd { (m.business_points) }
                dt { "Ban quản lý" } dd { (m.board_contact) }
                dt { "Trạng thái" } dd { (status_vi(&m.status)) }
            }
            p {
                a.button href={ "/markets/" (m.id) "/edit" } { "Sửa thông tin chợ" } " "
                a.button href={ "/markets/" (m.id) "/stalls/new" } { "Thêm quầy/sạp" } " "
                @if caller.person()?.manages_market(m.id) {
                    a.button href={ "/markets/" (m.id) "/fees" } { "Thu phí chợ" } " "
                }
                a.button href={ "/markets/" (m.id) "/signs" } { "In tất cả bảng QR" }
            }
            h2 { "Quầy/sạp (" (stalls.total) ")" }
            div.table-wrap { table {
                thead { tr { th { "Mã" } th { "Mã QR" } th { "Khu" } th { "Ngành hàng" } th { "Người bán" } th { "Trạng thái" } th {} } }
                tbody {
                    @for s in &stalls.items {
                        tr {
                            td { (s.code) }
                            td {
                                @if s.merchant_id.and_then(|i| names.get(&i)).is_some_and(|r| r.payment_methods.contains("vietqr")) {
                                    a href={ "/api/v1/stalls/" (s.id) "/sign" } {
                                        img.qr src={ "/api/v1/stalls/" (s.id) "/qr.svg" } alt={ "Mã VietQR quầy " (s.code) } loading="lazy" width="64" height="64";
                                    }
                                }
                            }
                            td { (s.zone) }
                            td { (s.category) }
                            td {
                                @if let Some(r) = s.merchant_id.and_then(|i| names.get(&i)) {
                                    a href={ "/merchants/" (r.id) } { (r.name) }
                                }
                            }
                            td { (status_vi(&s.status)) }
                            td { a href={ "/stalls/" (s.id) "/edit" } { "Sửa" } }
                        }
                    }
                }
            } }
            (pager(&format!("/markets/{}", m.id), &sq, stalls.total))
        },
    ))
}

async fn merchant_page(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Page {
    let m = crate::api::visible_merchant(&st, &caller, id).await?;
    merchant_view(&caller, &st, m, &BankAccountInput::default(), &[]).await
}

async fn merchant_view(
    caller: &Caller,
    st: &AppState,
    m: Merchant,
    account: &BankAccountInput,
    errors: &[FieldError],
) -> Page {
    let accounts = store::list_accounts(&st.db, m.id).await?;
    let sq = ListQuery {
        merchant_id: Some(m.id),
        viewer: caller.person()?.viewer(),
        per_page: Some(500),
        ..Default::default()
    };
    let stalls = store::list_stalls(&st.db, &sq).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = layout_for(
        caller,
        &m.name,
        html! {
            h1 { (m.name) @if m.is_demo { " " span.tag { "mẫu" } } }
            dl.facts {
                dt { "Mã số thuế" } dd { (m.tax_code) }
                dt { "Loại hình" } dd { (kind_vi(&m.kind)) }
                dt { "Chủ hộ / người đại diện" } dd { (m.owner_name) }
                dt { "Điện thoại" } dd { (m.phone.as_deref().unwrap_or("")) }
                dt { "Địa chỉ" } dd { (m.address) " " (place_name(st, &m.place_code)) }
                dt { "Thanh toán chấp nhận" } dd { (methods_vi(&m.payment_methods)) }
                dt { "Trạng thái" } dd { (status_vi(&m.status)) }
            }
            p { a.button href={ "/merchants/" (m.id) "/edit" } { "Sửa thông tin" } " "
                a.button href={ "/merchants/" (m.id) "/fees" } { "Phí chợ phải nộp" } }
            h2 { "Tài khoản nhận tiền" }
            ul {
                @for a in &accounts {
                    li {
                        (vietqr::banks::by_bin(&a.bank_bin).map_or(a.bank_bin.as_str(), |b| b.short_name.as_str()))
                        " · " (a.account_number) " · " (a.holder_name)
                        @if a.is_default { " " span.tag { "mặc định" } }
                    }
                }
            }
            form.card method="post" action={ "/merchants/" (m.id) "/accounts" } {
                (csrf_input(caller))
                h3 { "Thêm tài khoản" }
                label { "Ngân hàng"
                    select name="bank_bin" {
                        option value="" { "— chọn —" }
                        @for b in vietqr::banks::all() {
                            option value=(b.bin) selected[account.bank_bin == b.bin] { (b.short_name) " (" (b.bin) ")" }
                        }
                    }
                    (field_errors(errors, "bank_bin"))
                }
                (text_field("Số tài khoản", "account_number", &account.account_number, errors))
                (text_field("Tên chủ tài khoản", "holder_name", &account.holder_name, errors))
                label.inline { input type="checkbox" name="is_default" value="true"; " Đặt làm mặc định" }
                button type="submit" { "Thêm tài khoản" }
            }
            h2 { "Quầy/sạp" }
            ul {
                @for s in &stalls.items {
                    li { a href={ "/markets/" (s.market_id) } { "Chợ #" (s.market_id) } " · quầy " (s.code) }
                }
            }
        },
    );
    Ok((status, body).into_response())
}

// ---- forms ----

fn field_errors(errors: &[FieldError], name: &str) -> Markup {
    html! {
        @for e in errors.iter().filter(|e| e.field == name) {
            span.field-error role="alert" { (e.message_vi) }
        }
    }
}

fn text_field(label: &str, name: &str, value: &str, errors: &[FieldError]) -> Markup {
    let invalid = errors.iter().any(|e| e.field == name);
    html! {
        label {
            (label)
            input type="text" name=(name) value=(value) aria-invalid=[invalid.then_some("true")];
            (field_errors(errors, name))
        }
    }
}

fn select_field(
    label: &str,
    name: &str,
    value: &str,
    options: &[(&str, &str)],
    errors: &[FieldError],
) -> Markup {
    html! {
        label {
            (label)
            select name=(name) {
                @for (v, text) in options { option value=(v) selected[*v == value] { (text) } }
            }
            (field_errors(errors, name))
        }
    }
}

fn form_page(
    caller: &Caller,
    title: &str,
    action: &str,
    errors: &[FieldError],
    fields: Markup,
) -> Page {
    let body = layout_for(
        caller,
        title,
        html! {
            h1 { (title) }
            @if !errors.is_empty() {
                p.error role="alert" { "Có " (errors.len()) " lỗi, xem bên dưới." }
            }
            form.card method="post" action=(action) novalidate {
                (csrf_input(caller))
                (fields)
                button type="submit" { "Lưu" }
            }
        },
    );
    Ok((status_of(errors), body).into_response())
}

/// The status select of a form, labelled in Vietnamese.
fn status_field(value: &str, statuses: &[&str], errors: &[FieldError]) -> Markup {
    let options: Vec<(&str, &str)> = statuses.iter().map(|s| (*s, status_vi(s))).collect();
    select_field("Trạng thái", "status", value, &options, errors)
}

fn status_of(errors: &[FieldError]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

#[derive(Deserialize, Default, Clone)]
struct MarketForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    place_code: String,
    #[serde(default)]
    business_points: String,
    #[serde(default)]
    class_override: String,
    #[serde(default)]
    class_override_reason: String,
    #[serde(default)]
    board_contact: String,
    #[serde(default)]
    status: String,
}

fn parse_number<T: std::str::FromStr>(
    errors: &mut Vec<FieldError>,
    field: &str,
    s: &str,
) -> Option<T> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let r = s.replace(['.', ' '], "").parse().ok();
    if r.is_none() {
        errors.push(FieldError::new(
            field,
            "not_a_number",
            "Phải là số",
            "Must be a number",
        ));
    }
    r
}

impl MarketForm {
    fn from_market(m: &Market) -> Self {
        MarketForm {
            code: m.code.clone(),
            name: m.name.clone(),
            address: m.address.clone(),
            place_code: m.place_code.clone(),
            business_points: m.business_points.to_string(),
            class_override: m.class_override.map(|c| c.to_string()).unwrap_or_default(),
            class_override_reason: m.class_override_reason.clone().unwrap_or_default(),
            board_contact: m.board_contact.clone(),
            status: m.status.clone(),
        }
    }

    fn check(&self, st: &AppState) -> Result<validate::MarketRow, Vec<FieldError>> {
        let mut errors = Vec::new();
        let points = parse_number(&mut errors, "business_points", &self.business_points);
        if points.is_none() && errors.is_empty() {
            errors.push(FieldError::required("business_points"));
        }
        let input = MarketInput {
            code: self.code.clone(),
            name: self.name.clone(),
            address: self.address.clone(),
            place_code: self.place_code.clone(),
            business_points: points.unwrap_or(0),
            class_override: parse_number(&mut errors, "class_override", &self.class_override),
            class_override_reason: Some(self.class_override_reason.clone()),
            board_contact: self.board_contact.clone(),
            status: self.status.clone(),
        };
        match validate::market(&input, &st.places) {
            Ok(row) if errors.is_empty() => Ok(row),
            Ok(_) => Err(errors),
            Err(mut e) => {
                errors.append(&mut e);
                Err(errors)
            }
        }
    }
}

/// The commune a market or merchant is in; starts on "— chọn … —" so that nothing is saved by
/// accident.
fn place_field(st: &AppState, value: &str, errors: &[FieldError]) -> Markup {
    let places: Vec<(String, String)> = st
        .places
        .communes()
        .map(|p| (p.code.clone(), p.full_name()))
        .collect();
    let options: Vec<(&str, &str)> = std::iter::once(("", "— chọn xã/phường/đặc khu —"))
        .chain(places.iter().map(|(a, b)| (a.as_str(), b.as_str())))
        .collect();
    select_field("Xã/phường/đặc khu", "place_code", value, &options, errors)
}

fn market_form(
    caller: &Caller,
    st: &AppState,
    title: &str,
    action: &str,
    f: &MarketForm,
    errors: &[FieldError],
) -> Page {
    let statuses = crate::register::MARKET_STATUSES;
    form_page(
        caller,
        title,
        action,
        errors,
        html! {
            (text_field("Mã chợ", "code", &f.code, errors))
            (text_field("Tên chợ", "name", &f.name, errors))
            (text_field("Địa chỉ", "address", &f.address, errors))
            (place_field(st, &f.place_code, errors))
            (text_field("Số điểm kinh doanh", "business_points", &f.business_points, errors))
            (select_field("Xếp hạng riêng (nếu khác hạng theo số điểm)", "class_override", &f.class_override,
                &[("", "— theo số điểm kinh doanh —"), ("1", "Hạng 1"), ("2", "Hạng 2"), ("3", "Hạng 3")], errors))
            (text_field("Lý do xếp hạng riêng", "class_override_reason", &f.class_override_reason, errors))
            (text_field("Liên hệ ban quản lý", "board_contact", &f.board_contact, errors))
            (status_field(&f.status, statuses, errors))
        },
    )
}

async fn new_market(State(st): State<AppState>, caller: Caller) -> Page {
    let f = MarketForm {
        status: "active".into(),
        ..Default::default()
    };
    market_form(&caller, &st, "Thêm chợ", "/markets/new", &f, &[])
}

/// A duplicate key is a field error on the form, like any other rule.
fn duplicate_error(e: sqlx::Error, field: &str) -> Result<Vec<FieldError>, WebError> {
    if crate::db::is_unique_violation(&e) {
        Ok(vec![FieldError::new(
            field,
            "duplicate",
            "Mã này đã có",
            "This code already exists",
        )])
    } else {
        Err(e.into())
    }
}

async fn create_market(
    State(st): State<AppState>,
    caller: Caller,
    Form(f): Form<MarketForm>,
) -> Page {
    let errors = match f.check(&st) {
        Ok(row) => match store::create_market(&st.db, &row, false).await {
            Ok(m) => return Ok(Redirect::to(&format!("/markets/{}", m.id)).into_response()),
            Err(e) => duplicate_error(e, "code")?,
        },
        Err(e) => e,
    };
    market_form(&caller, &st, "Thêm chợ", "/markets/new", &f, &errors)
}

async fn edit_market(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Page {
    let m = crate::api::visible_market(&st, &caller, id).await?;
    if !caller.person()?.manages_market(id) {
        return Err(forbidden().into());
    }
    market_form(
        &caller,
        &st,
        "Sửa thông tin chợ",
        &format!("/markets/{id}/edit"),
        &MarketForm::from_market(&m),
        &[],
    )
}

async fn save_market(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(f): Form<MarketForm>,
) -> Page {
    crate::api::visible_market(&st, &caller, id).await?;
    if !caller.person()?.manages_market(id) {
        return Err(forbidden().into());
    }
    let errors = match f.check(&st) {
        Ok(row) => match store::update_market(&st.db, id, &row).await {
            Ok(Some(_)) => return Ok(Redirect::to(&format!("/markets/{id}")).into_response()),
            Ok(None) => return Err(not_found()),
            Err(e) => duplicate_error(e, "code")?,
        },
        Err(e) => e,
    };
    market_form(
        &caller,
        &st,
        "Sửa thông tin chợ",
        &format!("/markets/{id}/edit"),
        &f,
        &errors,
    )
}

#[derive(Deserialize, Default, Clone)]
struct StallForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    status: String,
    /// Tax code of the merchant running the stall (what a market board knows).
    #[serde(default)]
    merchant_tax_code: String,
}

fn stall_form(
    caller: &Caller,
    title: &str,
    action: &str,
    f: &StallForm,
    errors: &[FieldError],
) -> Page {
    let statuses = crate::register::STALL_STATUSES;
    form_page(
        caller,
        title,
        action,
        errors,
        html! {
            (text_field("Mã quầy/sạp", "code", &f.code, errors))
            (text_field("Khu/dãy", "zone", &f.zone, errors))
            (text_field("Ngành hàng", "category", &f.category, errors))
            (status_field(&f.status, statuses, errors))
            (text_field("Mã số thuế người bán (để trống nếu quầy trống)", "merchant_tax_code", &f.merchant_tax_code, errors))
        },
    )
}

async fn check_stall_form(
    st: &AppState,
    market_id: i64,
    f: &StallForm,
) -> Result<Result<validate::StallRow, Vec<FieldError>>, WebError> {
    let mut errors = Vec::new();
    let mut merchant_id = None;
    if !f.merchant_tax_code.trim().is_empty() {
        let tax = validate::tax_code(&mut errors, &f.merchant_tax_code);
        for e in &mut errors {
            e.field = "merchant_tax_code".into();
        }
        if errors.is_empty() {
            let q = ListQuery {
                q: Some(tax.clone()),
                per_page: Some(5),
                ..Default::default()
            };
            merchant_id = store::list_merchants(&st.db, &q)
                .await?
                .items
                .into_iter()
                .find(|m| m.tax_code == tax)
                .map(|m| m.id);
            if merchant_id.is_none() {
                errors.push(FieldError::new(
                    "merchant_tax_code",
                    "unknown_merchant",
                    "Chưa có người bán với mã số thuế này",
                    "No merchant with this tax code",
                ));
            }
        }
    }
    let input = StallInput {
        market_id,
        code: f.code.clone(),
        zone: f.zone.clone(),
        category: f.category.clone(),
        status: f.status.clone(),
        merchant_id,
    };
    Ok(match validate::stall(&input) {
        Ok(row) if errors.is_empty() => Ok(row),
        Ok(_) => Err(errors),
        Err(mut e) => {
            errors.append(&mut e);
            Err(errors)
        }
    })
}

async fn new_stall(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Page {
    let m = crate::api::visible_market(&st, &caller, id).await?;
    if !caller.person()?.manages_market(id) {
        return Err(forbidden().into());
    }
    let f = StallForm {
        status: "active".into(),
        ..Default::default()
    };
    stall_form(
        &caller,
        &format!("Thêm quầy/sạp — {}", m.name),
        &format!("/markets/{id}/stalls/new"),
        &f,
        &[],
    )
}

async fn create_stall(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(f): Form<StallForm>,
) -> Page {
    let m = crate::api::visible_market(&st, &caller, id).await?;
    if !caller.person()?.manages_market(id) {
        return Err(forbidden().into());
    }
    let errors = match check_stall_form(&st, id, &f).await? {
        Ok(row) => match store::create_stall(&st.db, &row, false).await {
            Ok(_) => return Ok(Redirect::to(&format!("/markets/{id}")).into_response()),
            Err(e) => duplicate_error(e, "code")?,
        },
        Err(e) => e,
    };
    stall_form(
        &caller,
        &format!("Thêm quầy/sạp — {}", m.name),
        &format!("/markets/{id}/stalls/new"),
        &f,
        &errors,
    )
}

async fn edit_stall(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Page {
    let s = crate::api::visible_stall(&st, &caller, id).await?;
    if !caller.person()?.manages_market(s.market_id) {
        return Err(forbidden().into());
    }
    let tax = match s.merchant_id {
        Some(m) => store::get_merchant(&st.db, m)
            .await?
            .map(|m| m.tax_code)
            .unwrap_or_default(),
        None => String::new(),
    };
    let f = StallForm {
        code: s.code,
        zone: s.zone,
        category: s.category,
        status: s.status,
        merchant_tax_code: tax,
    };
    stall_form(
        &caller,
        "Sửa quầy/sạp",
        &format!("/stalls/{id}/edit"),
        &f,
        &[],
    )
}

async fn save_stall(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(f): Form<StallForm>,
) -> Page {
    let s = crate::api::visible_stall(&st, &caller, id).await?;
    if !caller.person()?.manages_market(s.market_id) {
        return Err(forbidden().into());
    }
    let errors = match check_stall_form(&st, s.market_id, &f).await? {
        Ok(row) => match store::update_stall(&st.db, id, &row).await {
            Ok(_) => return Ok(Redirect::to(&format!("/markets/{}", s.market_id)).into_response()),
            Err(e) => duplicate_error(e, "code")?,
        },
        Err(e) => e,
    };
    stall_form(
        &caller,
        "Sửa quầy/sạp",
        &format!("/stalls/{id}/edit"),
        &f,
        &errors,
    )
}

#[derive(Deserialize, Default, Clone)]
struct MerchantForm {
    #[serde(default)]
    tax_code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    owner_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    place_code: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    cash: Option<String>,
    #[serde(default)]
    vietqr: Option<String>,
    #[serde(default)]
    card: Option<String>,
    #[serde(default)]
    ewallet: Option<String>,
}

impl MerchantForm {
    fn from_merchant(m: &Merchant) -> Self {
        let has = |k: &str| {
            m.payment_methods
                .split(',')
                .any(|x| x == k)
                .then(|| "on".to_string())
        };
        MerchantForm {
            tax_code: m.tax_code.clone(),
            name: m.name.clone(),
            kind: m.kind.clone(),
            owner_name: m.owner_name.clone(),
            phone: m.phone.clone().unwrap_or_default(),
            address: m.address.clone(),
            place_code: m.place_code.clone(),
            status: m.status.clone(),
            cash: has("cash"),
            vietqr: has("vietqr"),
            card: has("card"),
            ewallet: has("ewallet"),
        }
    }

    fn input(&self) -> MerchantInput {
        let methods = [
            ("cash", &self.cash),
            ("vietqr", &self.vietqr),
            ("card", &self.card),
            ("ewallet", &self.ewallet),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| k.to_string())
        .collect();
        MerchantInput {
            tax_code: self.tax_code.clone(),
            name: self.name.clone(),
            kind: self.kind.clone(),
            owner_name: self.owner_name.clone(),
            phone: Some(self.phone.clone()).filter(|p| !p.trim().is_empty()),
            address: self.address.clone(),
            place_code: self.place_code.clone(),
            payment_methods: methods,
            status: self.status.clone(),
        }
    }
}

fn merchant_form(
    caller: &Caller,
    st: &AppState,
    title: &str,
    action: &str,
    f: &MerchantForm,
    errors: &[FieldError],
) -> Page {
    let statuses = crate::register::MERCHANT_STATUSES;
    let kinds: Vec<(&str, &str)> = crate::register::MERCHANT_KINDS
        .iter()
        .map(|s| (*s, kind_vi(s)))
        .collect();
    let checks = [
        ("cash", &f.cash),
        ("vietqr", &f.vietqr),
        ("card", &f.card),
        ("ewallet", &f.ewallet),
    ];
    form_page(
        caller,
        title,
        action,
        errors,
        html! {
            (text_field("Mã số thuế (10 số, 13 số chi nhánh, hoặc số định danh 12 số)", "tax_code", &f.tax_code, errors))
            (text_field("Tên hộ kinh doanh / doanh nghiệp", "name", &f.name, errors))
            (select_field("Loại hình", "kind", &f.kind, &kinds, errors))
            (text_field("Chủ hộ / người đại diện", "owner_name", &f.owner_name, errors))
            (text_field("Điện thoại", "phone", &f.phone, errors))
            (text_field("Địa chỉ", "address", &f.address, errors))
            (place_field(st, &f.place_code, errors))
            fieldset {
                legend { "Phương thức thanh toán chấp nhận" }
                @for (k, v) in checks {
                    label.inline { input type="checkbox" name=(k) checked[v.is_some()]; " " (method_vi(k)) }
                }
                (field_errors(errors, "payment_methods"))
            }
            (status_field(&f.status, statuses, errors))
        },
    )
}

async fn new_merchant(State(st): State<AppState>, caller: Caller) -> Page {
    if !scope::can_create_merchant(caller.person()?) {
        return Err(forbidden().into());
    }
    let f = MerchantForm {
        status: "active".into(),
        kind: "household".into(),
        cash: Some("on".into()),
        ..Default::default()
    };
    merchant_form(&caller, &st, "Thêm người bán", "/merchants/new", &f, &[])
}

async fn create_merchant(
    State(st): State<AppState>,
    caller: Caller,
    Form(f): Form<MerchantForm>,
) -> Page {
    if !scope::can_create_merchant(caller.person()?) {
        return Err(forbidden().into());
    }
    let errors = match validate::merchant(&f.input(), &st.places) {
        Ok(row) => match store::create_merchant(&st.db, &row, false).await {
            Ok(m) => return Ok(Redirect::to(&format!("/merchants/{}", m.id)).into_response()),
            Err(e) => duplicate_error(e, "tax_code")?,
        },
        Err(e) => e,
    };
    merchant_form(
        &caller,
        &st,
        "Thêm người bán",
        "/merchants/new",
        &f,
        &errors,
    )
}

async fn edit_merchant(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Page {
    let m = crate::api::visible_merchant(&st, &caller, id).await?;
    if !scope::can_edit_merchant(&st.db, caller.person()?, id).await? {
        return Err(forbidden().into());
    }
    merchant_form(
        &caller,
        &st,
        "Sửa người bán",
        &format!("/merchants/{id}/edit"),
        &MerchantForm::from_merchant(&m),
        &[],
    )
}

async fn save_merchant(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(f): Form<MerchantForm>,
) -> Page {
    crate::api::visible_merchant(&st, &caller, id).await?;
    if !scope::can_edit_merchant(&st.db, caller.person()?, id).await? {
        return Err(forbidden().into());
    }
    let errors = match validate::merchant(&f.input(), &st.places) {
        Ok(row) => match store::update_merchant(&st.db, id, &row).await {
            Ok(Some(_)) => return Ok(Redirect::to(&format!("/merchants/{id}")).into_response()),
            Ok(None) => return Err(not_found()),
            Err(e) => duplicate_error(e, "tax_code")?,
        },
        Err(e) => e,
    };
    merchant_form(
        &caller,
        &st,
        "Sửa người bán",
        &format!("/merchants/{id}/edit"),
        &f,
        &errors,
    )
}

#[derive(Deserialize, Default)]
struct AccountForm {
    #[serde(default)]
    bank_bin: String,
    #[serde(default)]
    account_number: String,
    #[serde(default)]
    holder_name: String,
    #[serde(default)]
    is_default: Option<String>,
}

async fn add_account(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(f): Form<AccountForm>,
) -> Page {
    let m = crate::api::visible_merchant(&st, &caller, id).await?;
    if !scope::can_edit_accounts(caller.person()?, id) {
        return Err(forbidden().into());
    }
    let input = BankAccountInput {
        bank_bin: f.bank_bin,
        account_number: f.account_number,
        holder_name: f.holder_name,
        is_default: f.is_default.is_some(),
    };
    let errors = match validate::bank_account(&input) {
        Ok(a) => match store::add_account(&st.db, id, &a).await {
            Ok(_) => return Ok(Redirect::to(&format!("/merchants/{id}")).into_response()),
            Err(e) => duplicate_error(e, "account_number")?,
        },
        Err(e) => e,
    };
    merchant_view(&caller, &st, m, &input, &errors).await
}
