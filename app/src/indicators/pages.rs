//! The dashboard: `/dashboard` (public; staff see per-stall detail of a market they may see),
//! the staff page `/dashboard/staff` (work lists: stalls not yet accepting, e-invoices missing),
//! charts drawn as SVG by the server, a table by locality with drill-down to markets and stalls,
//! and the same numbers as CSV (`/dashboard.csv`) and XLSX (`/dashboard.xlsx`).

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{Markup, PreEscaped, html};

use super::{
    DayTotal, FollowStall, Group, IndicatorQuery, Report, compute, follow_up, roman, today,
};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::server::AppState;
use crate::web::{WebError, layout_for};

// `1234567` → `1.234.567` (Vietnamese grouping).
use crate::receipts::dong as num;

fn pct_text(p: Option<f64>) -> String {
    p.map_or_else(
        || "—".into(),
        |v| format!("{}%", v.to_string().replace('.', ",")),
    )
}

/// Text escaped for HTML/SVG built with `format!` (maud's escaping).
fn esc(s: &str) -> String {
    maud::html! { (s) }.into_string()
}

/// The query string of `q` with some fields replaced (drill-down and export links).
fn qs(q: &IndicatorQuery) -> String {
    serde_urlencoded::to_string(q).unwrap_or_default()
}

/// Horizontal bars: one row per item (label, value, maximum, text at the bar's end).
pub fn hbars(items: &[(String, f64, f64, String)]) -> String {
    let row = 26.0;
    let h = (items.len() as f64 * row + 4.0).max(30.0);
    let mut s = format!(
        "<svg class=\"chart\" viewBox=\"0 0 340 {h}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (i, (label, value, max, text)) in items.iter().enumerate() {
        let y = i as f64 * row + 2.0;
        let w = if *max > 0.0 {
            (value / max).clamp(0.0, 1.0) * 150.0
        } else {
            0.0
        };
        s.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"11\">{}</text>\
             <rect x=\"120\" y=\"{}\" width=\"150\" height=\"16\" fill=\"#e7f3ee\"/>\
             <rect x=\"120\" y=\"{}\" width=\"{w:.1}\" height=\"16\" fill=\"#0b6e4f\"/>\
             <text x=\"274\" y=\"{}\" font-size=\"11\">{}</text>",
            y + 12.0,
            esc(&label.chars().take(22).collect::<String>()),
            y,
            y,
            y + 12.0,
            esc(text)
        ));
    }
    s.push_str("</svg>");
    s
}

/// A line of daily cashless amounts, with the largest day and the first and last dates.
pub fn line(days: &[DayTotal]) -> String {
    let (w, h, top, bottom) = (340.0, 150.0, 14.0, 20.0);
    let max = days.iter().map(|d| d.amount).max().unwrap_or(0).max(1) as f64;
    let n = days.len().max(2) as f64 - 1.0;
    let pts: Vec<String> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let x = i as f64 / n * (w - 10.0) + 5.0;
            let y = top + (1.0 - d.amount.max(0) as f64 / max) * (h - top - bottom);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let first = days.first().map_or("", |d| d.date.as_str());
    let last = days.last().map_or("", |d| d.date.as_str());
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">\
         <line x1=\"5\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#ccc\"/>\
         <polyline fill=\"none\" stroke=\"#0b6e4f\" stroke-width=\"2\" points=\"{}\"/>\
         <text x=\"5\" y=\"10\" font-size=\"10\">tối đa {} đ/ngày</text>\
         <text x=\"5\" y=\"{t}\" font-size=\"10\">{first}</text>\
         <text x=\"{r}\" y=\"{t}\" font-size=\"10\" text-anchor=\"end\">{last}</text></svg>",
        pts.join(" "),
        num(max as i64),
        b = h - bottom,
        r = w - 5.0,
        t = h - 5.0,
    )
}

/// A progress bar toward a target (both in percent).
pub fn progress(actual: Option<f64>, target: i32) -> String {
    let a = actual.unwrap_or(0.0).clamp(0.0, 100.0);
    let t = f64::from(target.clamp(0, 100));
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 340 22\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">\
         <rect x=\"0\" y=\"4\" width=\"300\" height=\"14\" fill=\"#e7f3ee\"/>\
         <rect x=\"0\" y=\"4\" width=\"{:.1}\" height=\"14\" fill=\"#0b6e4f\"/>\
         <line x1=\"{x:.1}\" y1=\"0\" x2=\"{x:.1}\" y2=\"22\" stroke=\"#c0392b\" stroke-width=\"2\"/>\
         <text x=\"305\" y=\"16\" font-size=\"11\">{}</text></svg>",
        a * 3.0,
        pct_text(actual),
        x = t * 3.0,
    )
}

fn group_table(rows: &[Group], link: impl Fn(&Group) -> Option<String>) -> Markup {
    html! {
        div.table-wrap { table {
            thead { tr {
                th { "Đơn vị" } th { "Chợ" } th { "Chợ có TTKDTM" } th { "Điểm KD" }
                th { "Điểm KD chấp nhận" } th { "Tỷ lệ" } th { "Giao dịch" } th { "Số tiền (đ)" }
            } }
            tbody { @for g in rows { tr {
                td { @if let Some(href) = link(g) { a href=(href) { (g.name) } } @else { (g.name) } }
                td { (g.markets) } td { (g.markets_accepting) } td { (g.stalls) }
                td { (g.stalls_accepting) } td { (pct_text(g.stalls_percent)) }
                td { (num(g.receipts_count)) } td { (num(g.receipts_amount)) }
            } } }
        } }
    }
}

pub async fn dashboard(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<IndicatorQuery>,
) -> Result<Response, WebError> {
    let r = compute(&st.db, &st.places, &q, caller.principal.as_ref(), today()).await?;
    let staff = caller.principal.as_ref().is_some_and(|p| p.is_staff());
    let base = IndicatorQuery {
        from: Some(r.period.from.clone()),
        to: Some(r.period.to.clone()),
        preset: None,
        ..q.clone()
    };
    let link_place = |g: &Group| {
        Some(format!(
            "/dashboard?{}",
            qs(&IndicatorQuery {
                place: Some(g.key.clone()),
                market_id: None,
                ..base.clone()
            })
        ))
    };
    let link_market = |g: &Group| {
        Some(format!(
            "/dashboard?{}",
            qs(&IndicatorQuery {
                market_id: g.key.parse().ok(),
                ..base.clone()
            })
        ))
    };
    let class_bars: Vec<(String, f64, f64, String)> = r
        .markets_by_class
        .iter()
        .map(|c| {
            (
                format!("Hạng {}", roman(c.class)),
                c.share.accepting as f64,
                c.share.total as f64,
                format!("{}/{}", c.share.accepting, c.share.total),
            )
        })
        .collect();
    let district_bars: Vec<(String, f64, f64, String)> = r
        .by_district
        .iter()
        .map(|g| {
            (
                g.name.clone(),
                g.stalls_percent.unwrap_or(0.0),
                100.0,
                pct_text(g.stalls_percent),
            )
        })
        .collect();
    let districts: Vec<_> = st.places.legacy_districts().collect();
    let body = html! {
        h1 { "Chỉ số thanh toán không dùng tiền mặt" }
        p.muted { "Kỳ: " (r.period.from) " → " (r.period.to) " (" (r.period.days) " ngày). Số liệu tính từ các giao dịch và sổ đăng ký, không nhập tay." }
        (filters("/dashboard", &r, &q, &districts))
        p.presets {
            @for (p, label) in [("month", "Tháng này"), ("quarter", "Quý này"), ("year", "Năm nay")] {
                a href={ "/dashboard?" (qs(&IndicatorQuery { from: None, to: None, preset: Some(p.into()), ..q.clone() })) } { (label) } " · "
            }
            a id="csv" href={ "/dashboard.csv?" (qs(&base)) } { "Tải CSV" } " · "
            a id="xlsx" href={ "/dashboard.xlsx?" (qs(&base)) } { "Tải XLSX" }
            @if staff { " · " a id="follow-up" href={ "/dashboard/staff?" (qs(&base)) } { "Danh sách cần theo dõi" } }
        }
        div.cards {
            div.card { span { "Chợ có thanh toán không dùng tiền mặt" } span.num id="markets" { (r.markets.accepting) "/" (r.markets.total) } }
            div.card { span { "Điểm kinh doanh chấp nhận" } span.num id="stalls" { (pct_text(r.stalls.percent)) } span.muted { (r.stalls.accepting) "/" (r.stalls.total) } }
            div.card { span { "Giao dịch không tiền mặt" } span.num id="receipts" { (num(r.receipts.count)) } span.muted { (num(r.receipts.amount)) " đ" } }
            div.card { span { "Phí chợ thu không tiền mặt (số tiền)" } span.num { (pct_text(r.fees.percent_by_amount)) } span.muted { "theo số hóa đơn: " (pct_text(r.fees.percent_by_count)) } }
            div.card { span { "Hóa đơn điện tử từ máy tính tiền" } span.num { (pct_text(r.einvoice.percent)) } span.muted { (r.einvoice.required_issuing) "/" (r.einvoice.required) " bắt buộc" } }
        }
        p { "Chợ có thanh toán không dùng tiền mặt theo hạng: "
            @for (i, c) in r.markets_by_class.iter().enumerate() {
                @if i > 0 { ", " } (c.share.accepting) " chợ hạng " (roman(c.class)) " (trên " (c.share.total) ")"
            } "." }
        h2 { "Mục tiêu" }
        @for t in &r.targets {
            p { (t.label_vi) ": " (t.percent) "% vào " (t.year) }
            (PreEscaped(progress(t.actual, t.percent)))
        }
        h2 { "Chợ theo hạng" }
        (PreEscaped(hbars(&class_bars)))
        h2 { "Giao dịch không tiền mặt theo ngày" }
        (PreEscaped(line(&r.receipts.daily)))
        p.muted { "Bình quân mỗi điểm kinh doanh mỗi ngày: " (num(r.receipts.amount_per_stall_day)) " đ, " (r.receipts.count_per_stall_day.to_string().replace('.', ",")) " giao dịch. Đã trừ hoàn tiền: " (num(r.receipts.refunded)) " đ." }
        h2 { "Tỷ lệ điểm kinh doanh chấp nhận, theo địa bàn (huyện cũ)" }
        (PreEscaped(hbars(&district_bars)))
        h2 { "Theo địa bàn" }
        @if q.place.is_some() || q.market_id.is_some() {
            p { a href={ "/dashboard?" (qs(&IndicatorQuery { place: None, market_id: None, ..base.clone() })) } { "← Toàn tỉnh" } }
        }
        (group_table(&r.by_district, link_place))
        @if q.place.is_some() {
            h3 { "Theo xã, phường" }
            (group_table(&r.by_commune, link_place))
        }
        h2 { "Theo chợ" }
        (group_table(&r.by_market, link_market))
        h2 { "Phí chợ" }
        p { "Hóa đơn phí: " (r.fees.bills) ", đã thu đủ: " (r.fees.paid_bills) ", thu đủ hoàn toàn không tiền mặt: " (r.fees.paid_cashless_bills)
            ". Đã thu " (num(r.fees.paid_cashless)) " đ không tiền mặt và " (num(r.fees.paid_cash)) " đ tiền mặt." }
        h2 { "Định danh điện tử (eKYC)" }
        p { "Người dùng theo mức 0/1/2: " (r.ekyc.people[0]) " / " (r.ekyc.people[1]) " / " (r.ekyc.people[2])
            ". Người bán theo mức của chủ: " (r.ekyc.merchants[0]) " / " (r.ekyc.merchants[1]) " / " (r.ekyc.merchants[2])
            ", chưa có tài khoản: " (r.ekyc.merchants_without_account) "." }
        @if q.market_id.is_some() {
            h2 { "Điểm kinh doanh" }
            @match &r.stalls_detail {
                Some(rows) => div.table-wrap { table id="stalls-detail" {
                    thead { tr { th { "Điểm" } th { "Người bán" } th { "Tài khoản nhận" } th { "Có giao dịch 30 ngày" } th { "Chấp nhận" } th { "Giao dịch" } th { "Số tiền (đ)" } } }
                    tbody { @for s in rows { tr {
                        td { (s.code) } td { (s.merchant_name) }
                        td { @if s.has_account { "Có" } @else { "Không" } }
                        td { @if s.recent_cashless { "Có" } @else { "Không" } }
                        td { @if s.accepting { "✔" } @else { "—" } }
                        td { (num(s.count)) } td { (num(s.amount)) }
                    } } }
                } },
                None => p.muted { @if staff { "Không có điểm kinh doanh nào bạn được xem." } @else { "Đăng nhập bằng tài khoản cán bộ để xem từng điểm kinh doanh." } },
            }
        }
    };
    Ok(layout_for(&caller, "Chỉ số", body).into_response())
}

/// The period and filter form of both dashboards.
fn filters(
    action: &str,
    r: &Report,
    q: &IndicatorQuery,
    districts: &[&crate::places::Place],
) -> Markup {
    html! {
        form.filters method="get" action=(action) {
            label { "Từ ngày " input type="date" name="from" value=(r.period.from); }
            label { "Đến ngày " input type="date" name="to" value=(r.period.to); }
            label { "Hạng chợ "
                select name="class" {
                    option value="" { "Tất cả" }
                    @for c in 1..=3i16 { option value=(c) selected[q.class == Some(c)] { "Hạng " (roman(c)) } }
                }
            }
            label { "Địa bàn "
                select name="place" {
                    option value="" { "Toàn tỉnh" }
                    @for d in districts { option value=(d.code) selected[q.place.as_deref() == Some(d.code.as_str())] { (d.full_name()) } }
                }
            }
            @if let Some(m) = q.market_id { input type="hidden" name="market_id" value=(m); }
            button type="submit" id="apply" { "Xem" }
        }
    }
}

/// Rows shown per work list; the rest are counted (narrow the filters to see them).
const FOLLOW_ROWS: usize = 200;

/// `/dashboard/staff`: the work lists behind the indicators, as far as the caller may see.
pub async fn staff_dashboard(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<IndicatorQuery>,
) -> Result<Response, WebError> {
    let (r, f) = follow_up(&st, &caller, &q).await?;
    let base = IndicatorQuery {
        from: Some(r.period.from.clone()),
        to: Some(r.period.to.clone()),
        preset: None,
        ..q.clone()
    };
    let districts: Vec<_> = st.places.legacy_districts().collect();
    let more = |n: usize| {
        html! { @if n > FOLLOW_ROWS {
            p.muted { "… và " (n - FOLLOW_ROWS) " dòng nữa: lọc theo địa bàn, hạng hoặc chợ để xem hết (hoặc dùng GET /api/v1/indicators/follow-up)." }
        } }
    };
    let stall_table = |id: &str, rows: &[FollowStall]| {
        html! {
            div.table-wrap { table id=(id) {
                thead { tr { th { "Chợ" } th { "Điểm" } th { "Người bán" } } }
                tbody { @for s in rows.iter().take(FOLLOW_ROWS) { tr {
                    td { (s.market) }
                    td { a href={ "/stalls/" (s.stall_id) "/edit" } { (s.code) } }
                    td { a href={ "/merchants/" (s.merchant_id) } { (s.merchant_name) } }
                } } }
            } }
            (more(rows.len()))
        }
    };
    let body = html! {
        h1 { "Theo dõi chỉ số — cán bộ" }
        p.muted { "Kỳ: " (r.period.from) " → " (r.period.to) ". Những điểm kinh doanh và người bán cần hỗ trợ để đạt mục tiêu, trong phạm vi bạn được xem." }
        (filters("/dashboard/staff", &r, &q, &districts))
        p { a href={ "/dashboard?" (qs(&base)) } { "← Bảng chỉ số" } }
        div.cards {
            div.card { span { "Điểm kinh doanh chấp nhận" } span.num { (pct_text(r.stalls.percent)) } span.muted { (r.stalls.accepting) "/" (r.stalls.total) } }
            div.card { span { "Có tài khoản nhận tiền" } span.num { (r.stalls_with_account) } span.muted { "trên " (r.stalls.total) " điểm" } }
            div.card { span { "Hóa đơn điện tử từ máy tính tiền" } span.num { (pct_text(r.einvoice.percent)) } span.muted { (r.einvoice.required_issuing) "/" (r.einvoice.required) " bắt buộc" } }
        }
        h2 { "Chưa có tài khoản nhận tiền (" (f.stalls_without_account.len()) ")" }
        p.muted { "Điểm đang hoạt động mà người bán chưa khai báo tài khoản ngân hàng: chưa thể nhận tiền qua mã QR." }
        (stall_table("no-account", &f.stalls_without_account))
        h2 { "Có tài khoản, chưa có giao dịch không tiền mặt trong 30 ngày (" (f.stalls_without_recent.len()) ")" }
        p.muted { "Từ " (r.period.recent_from) " đến " (r.period.to) "." }
        (stall_table("no-recent", &f.stalls_without_recent))
        h2 { "Bắt buộc dùng hóa đơn điện tử từ máy tính tiền nhưng chưa xuất (" (f.einvoice_missing.len()) ")" }
        p.muted { "Doanh nghiệp, và hộ kinh doanh có doanh thu từ " (num(r.einvoice.threshold)) " đ trong 12 tháng trọn trước tháng cuối kỳ, chưa có hóa đơn nào (không bị từ chối) trong kỳ." }
        div.table-wrap { table id="einvoice-missing" {
            thead { tr { th { "Người bán" } th { "Mã số thuế" } th { "Loại" } } }
            tbody { @for m in f.einvoice_missing.iter().take(FOLLOW_ROWS) { tr {
                td { a href={ "/merchants/" (m.merchant_id) "/einvoice" } { (m.name) } }
                td { (m.tax_code) }
                td { @if m.kind == "enterprise" { "Doanh nghiệp" } @else { "Hộ kinh doanh" } }
            } } }
        } }
        (more(f.einvoice_missing.len()))
    };
    Ok(layout_for(&caller, "Theo dõi chỉ số", body).into_response())
}

/// A cell of an export.
pub enum Cell {
    Text(String),
    Int(i64),
    Num(Option<f64>),
}

fn t(s: &str) -> Cell {
    Cell::Text(s.into())
}

/// The dashboard's numbers as rows (indicator, value, numerator, denominator), then the
/// breakdowns, then staff-visible stalls.
pub fn export_rows(r: &Report) -> Vec<Vec<Cell>> {
    use Cell::*;
    let mut rows = vec![
        vec![t("Chỉ tiêu"), t("Giá trị"), t("Tử số"), t("Mẫu số")],
        vec![t("Từ ngày"), Text(r.period.from.clone())],
        vec![t("Đến ngày"), Text(r.period.to.clone())],
        vec![
            t("Chợ có thanh toán không dùng tiền mặt (%)"),
            Num(r.markets.percent),
            Int(r.markets.accepting),
            Int(r.markets.total),
        ],
    ];
    for c in &r.markets_by_class {
        rows.push(vec![
            Text(format!("Chợ hạng {} có TTKDTM (%)", roman(c.class))),
            Num(c.share.percent),
            Int(c.share.accepting),
            Int(c.share.total),
        ]);
    }
    rows.extend([
        vec![
            t("Điểm kinh doanh chấp nhận TTKDTM (%)"),
            Num(r.stalls.percent),
            Int(r.stalls.accepting),
            Int(r.stalls.total),
        ],
        vec![
            t("Điểm kinh doanh có tài khoản nhận tiền"),
            Int(r.stalls_with_account),
        ],
        vec![
            t("Phí chợ thu không tiền mặt theo số hóa đơn (%)"),
            Num(r.fees.percent_by_count),
            Int(r.fees.paid_cashless_bills),
            Int(r.fees.paid_bills),
        ],
        vec![
            t("Phí chợ thu không tiền mặt theo số tiền (%)"),
            Num(r.fees.percent_by_amount),
            Int(r.fees.paid_cashless),
            Int(r.fees.paid_cashless + r.fees.paid_cash),
        ],
        vec![
            t("Giao dịch không tiền mặt tại điểm kinh doanh (số)"),
            Int(r.receipts.count),
        ],
        vec![
            t("Giao dịch không tiền mặt, số tiền ròng (đ)"),
            Int(r.receipts.amount),
        ],
        vec![t("Hoàn tiền (đ)"), Int(r.receipts.refunded)],
        vec![
            t("Bình quân mỗi điểm mỗi ngày (đ)"),
            Int(r.receipts.amount_per_stall_day),
        ],
        vec![
            t("Bình quân mỗi điểm mỗi ngày (giao dịch)"),
            Num(Some(r.receipts.count_per_stall_day)),
        ],
        vec![
            t("Hóa đơn điện tử từ máy tính tiền (%)"),
            Num(r.einvoice.percent),
            Int(r.einvoice.required_issuing),
            Int(r.einvoice.required),
        ],
    ]);
    for l in 0..3 {
        rows.push(vec![
            Text(format!("Người dùng eKYC mức {l}")),
            Int(r.ekyc.people[l]),
        ]);
        rows.push(vec![
            Text(format!("Người bán eKYC mức {l}")),
            Int(r.ekyc.merchants[l]),
        ]);
    }
    rows.push(vec![
        t("Người bán chưa có tài khoản"),
        Int(r.ekyc.merchants_without_account),
    ]);
    for (title, groups) in [
        ("Hạng", &r.by_class),
        ("Địa bàn", &r.by_district),
        ("Xã, phường", &r.by_commune),
        ("Chợ", &r.by_market),
    ] {
        rows.push(vec![]);
        rows.push(vec![
            t(title),
            t("Mã"),
            t("Chợ"),
            t("Chợ có TTKDTM"),
            t("Điểm KD"),
            t("Điểm KD chấp nhận"),
            t("Tỷ lệ (%)"),
            t("Giao dịch"),
            t("Số tiền (đ)"),
            t("Phí thu không tiền mặt (đ)"),
            t("Phí thu tiền mặt (đ)"),
        ]);
        for g in groups {
            rows.push(vec![
                Text(g.name.clone()),
                Text(g.key.clone()),
                Int(g.markets),
                Int(g.markets_accepting),
                Int(g.stalls),
                Int(g.stalls_accepting),
                Num(g.stalls_percent),
                Int(g.receipts_count),
                Int(g.receipts_amount),
                Int(g.fees_paid_cashless),
                Int(g.fees_paid_cash),
            ]);
        }
    }
    if let Some(stalls) = &r.stalls_detail {
        rows.push(vec![]);
        rows.push(vec![
            t("Điểm"),
            t("Người bán"),
            t("Tài khoản nhận"),
            t("Giao dịch 30 ngày"),
            t("Chấp nhận"),
            t("Giao dịch"),
            t("Số tiền (đ)"),
        ]);
        for s in stalls {
            rows.push(vec![
                Text(s.code.clone()),
                Text(s.merchant_name.clone()),
                Int(i64::from(s.has_account)),
                Int(i64::from(s.recent_cashless)),
                Int(i64::from(s.accepting)),
                Int(s.count),
                Int(s.amount),
            ]);
        }
    }
    rows
}

fn csv_text(rows: &[Vec<Cell>]) -> String {
    // A byte-order mark so that spreadsheet programs read UTF-8.
    let mut out = String::from("\u{feff}");
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Text(s) => {
                    if s.contains([',', '"', '\n']) {
                        format!("\"{}\"", s.replace('"', "\"\""))
                    } else {
                        s.clone()
                    }
                }
                Cell::Int(n) => n.to_string(),
                Cell::Num(v) => v.map(|v| v.to_string()).unwrap_or_default(),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

fn file_name(r: &Report, ext: &str) -> String {
    format!(
        "attachment; filename=\"chi-so-{}-{}.{ext}\"",
        r.period.from, r.period.to
    )
}

pub async fn dashboard_csv(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<IndicatorQuery>,
) -> Result<Response, ApiError> {
    let r = compute(&st.db, &st.places, &q, caller.principal.as_ref(), today()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, file_name(&r, "csv")),
        ],
        csv_text(&export_rows(&r)),
    )
        .into_response())
}

pub fn xlsx_bytes(rows: &[Vec<Cell>]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Chỉ số")?;
    sheet.set_column_width(0, 48)?;
    for (i, row) in rows.iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        for (j, c) in row.iter().enumerate() {
            let j = u16::try_from(j).unwrap_or(u16::MAX);
            match c {
                Cell::Text(s) => {
                    sheet.write_string(i, j, s)?;
                }
                Cell::Int(n) => {
                    // Amounts in đồng stay exact up to 2^53 in a spreadsheet number.
                    sheet.write_number(i, j, *n as f64)?;
                }
                Cell::Num(Some(v)) => {
                    sheet.write_number(i, j, *v)?;
                }
                Cell::Num(None) => {}
            }
        }
    }
    book.save_to_buffer()
}

pub async fn dashboard_xlsx(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<IndicatorQuery>,
) -> Result<Response, ApiError> {
    let r = compute(&st.db, &st.places, &q, caller.principal.as_ref(), today()).await?;
    let bytes = xlsx_bytes(&export_rows(&r)).map_err(|e| {
        tracing::error!(error = %e, "xlsx export failed");
        ApiError::internal()
    })?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (header::CONTENT_DISPOSITION, file_name(&r, "xlsx")),
        ],
        bytes,
    )
        .into_response())
}
