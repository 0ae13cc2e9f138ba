//! Pages of the cash registers: the register list, the cashier page, the merchant's e-invoice
//! set-up, the invoice list, the 80-mm receipt (print view and PDF) and the public look-up.
//! Writes go through the JSON API (the page scripts send the CSRF header), so the rules and
//! checks live in one place.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::routes::{LookupQuery, invoice_scope, lookup, quantity_text, xml_download};
use super::store::{self, InvoiceQuery};
use super::{can_manage, can_read, can_sell};
use crate::auth::Caller;
use crate::receipts::dong;
use crate::server::AppState;
use crate::web::{WebError, layout_for, local_time, not_found};

type Page = Result<Response, WebError>;

const CASHIER_JS: &str = include_str!("../../assets/cashier.js");

fn csrf_meta(caller: &Caller) -> Markup {
    html! {
        @if let Some(t) = caller.principal.as_ref().and_then(|p| p.csrf()) {
            meta name="csrf" content=(t);
        }
    }
}

/// Registers the caller may sell at.
pub async fn registers_page(State(st): State<AppState>, caller: Caller) -> Page {
    let p = caller.person()?;
    let merchants: Vec<i64> = p
        .scopes("merchant_owner")
        .chain(p.scopes("merchant_cashier"))
        .collect();
    let regs = store::registers_for(&st.db, &merchants, p.is_admin()).await?;
    let body = html! {
        h1 { "Máy tính tiền" }
        @if regs.is_empty() {
            p { "Chưa có máy tính tiền nào. Chủ hộ kinh doanh tạo máy trong trang "
                strong { "Hóa đơn điện tử" } " của mình." }
        }
        ul.cards-list {
            @for r in &regs {
                li { a href={ "/registers/" (r.id) } { (r.label) }
                    " · " (kind_vi(&r.kind))
                    @if r.status != "active" { " " span.tag { "đã ngừng" } } }
            }
        }
        @for m in &merchants {
            p { a href={ "/merchants/" (m) "/einvoice" } { "Cài đặt hóa đơn của người bán #" (m) } }
        }
        p { a href="/invoices" { "Danh sách hóa đơn" } }
    };
    Ok(layout_for(&caller, "Máy tính tiền", body).into_response())
}

fn kind_vi(k: &str) -> &str {
    match k {
        "counter" => "quầy thu ngân",
        "stall" => "sạp chợ",
        "fuel_pump" => "vòi bơm nhiên liệu",
        other => other,
    }
}

fn method_vi(m: &str) -> &str {
    match m {
        "cash" => "Tiền mặt",
        "qr" => "Chuyển khoản QR",
        "card" => "Thẻ",
        "ewallet" => "Ví điện tử",
        other => other,
    }
}

fn tax_status_vi(s: &str) -> &str {
    match s {
        "pending" => "chờ gửi CQT",
        "sent" => "đã gửi CQT",
        "accepted" => "CQT đã nhận",
        "refused" => "CQT từ chối",
        other => other,
    }
}

/// The cashier page: tap (or type) products, choose the payment, issue the invoice.
pub async fn cashier_page(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Page {
    let p = caller.person()?;
    let reg = store::register(&st.db, id)
        .await?
        .filter(|r| can_sell(p, r.merchant_id))
        .ok_or_else(not_found)?;
    let products = store::products(&st.db, reg.merchant_id).await?;
    let products: Vec<_> = match reg.fuel_product_id {
        Some(f) => products.into_iter().filter(|x| x.id == f).collect(),
        None => products,
    };
    let taxpayer = store::taxpayer(&st.db, reg.merchant_id).await?;
    let ready = taxpayer.as_ref().is_some_and(|t| t.mtt_code.is_some());
    let body = html! {
        (csrf_meta(&caller))
        div.cashier data-register=(reg.id) data-fuel=(reg.kind == "fuel_pump") {
            h1 { (reg.label) " " small { (kind_vi(&reg.kind)) } }
            @if !ready {
                p.error { "Người bán chưa được cơ quan thuế chấp nhận dùng hóa đơn từ máy tính tiền: chưa thể xuất hóa đơn." }
            }
            input #find type="search" placeholder="Tìm mặt hàng (gõ rồi Enter)" autocomplete="off" aria-label="Tìm mặt hàng";
            div.products #products {
                @for x in &products {
                    button.product type="button" data-id=(x.id) data-name=(x.name) data-price=(x.unit_price) data-unit=(x.unit)
                        data-key=(crate::text::fold(&x.name)) {
                        span.pname { (x.name) } span.pprice { (dong(x.unit_price)) " đ/" (x.unit) }
                    }
                }
            }
            h2 { "Giỏ hàng" }
            table #cart { tbody {} }
            p.total { "Tạm tính: " strong #subtotal { "0" } " đ" }
            details #buyer {
                summary { "Người mua yêu cầu ghi thông tin" }
                label { "Họ tên / tên đơn vị" input name="name"; }
                label { "Mã số thuế" input name="tax_code" inputmode="numeric"; }
                label { "Địa chỉ" input name="address"; }
                label { "Số điện thoại" input name="phone" inputmode="tel"; }
            }
            div.methods {
                button.pay type="button" data-method="cash" { "Tiền mặt (F1)" }
                @if reg.stall_id.is_some() { button.pay type="button" data-method="qr" { "QR (F2)" } }
                button.pay type="button" data-method="card" { "Thẻ (F3)" }
                button.pay type="button" data-method="ewallet" { "Ví (F4)" }
            }
            p #status role="status" {}
            div #qr {}
        }
        script { (PreEscaped(CASHIER_JS)) }
    };
    Ok(layout_for(&caller, "Thu ngân", body).into_response())
}

/// The merchant's e-invoice set-up: registration state, products, registers.
pub async fn setup_page(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Page {
    let p = caller.person()?;
    let m = crate::api::visible_merchant(&st, &caller, id).await?;
    if !can_read(p, id) {
        return Err(not_found());
    }
    let manage = can_manage(p, id);
    let taxpayer = store::taxpayer(&st.db, id).await?;
    let products = store::products(&st.db, id).await?;
    let registers = store::registers(&st.db, id).await?;
    let body = html! {
        (csrf_meta(&caller))
        h1 { "Hóa đơn điện tử — " (m.name) }
        p { "Mã số thuế " (m.tax_code) }
        h2 { "Đăng ký với cơ quan thuế" }
        @match &taxpayer {
            Some(t) => p {
                "Mẫu số " (t.form) " · ký hiệu C..M" (t.symbol_suffix) " · "
                @match t.status.as_str() {
                    "registered" => { strong { "đã chấp nhận" } ", mã " code { (t.mtt_code.clone().unwrap_or_default()) } }
                    "pending" => { "đang chờ cơ quan thuế trả lời" }
                    _ => { span.error { "bị từ chối: " (t.reasons) } }
                }
            },
            None => p { "Chưa đăng ký sử dụng hóa đơn khởi tạo từ máy tính tiền." },
        }
        @if manage && taxpayer.as_ref().is_none_or(|t| t.status != "registered") {
            form.api data-api={ "/api/v1/merchants/" (id) "/einvoice/registration" } {
                label { "Mẫu số hóa đơn"
                    select name="form" data-type="number" {
                        option value="2" { "2 — Hóa đơn bán hàng (hộ kinh doanh)" }
                        option value="1" { "1 — Hóa đơn GTGT (phương pháp khấu trừ)" }
                    } }
                label { "Hai ký tự cuối của ký hiệu" input name="symbol_suffix" maxlength="2" value="HL" required; }
                button type="submit" { "Gửi tờ khai 01/ĐKTĐ-HĐĐT" }
            }
        }
        h2 { "Mặt hàng" }
        div.table-wrap { table {
            thead { tr { th { "Tên" } th { "ĐVT" } th { "Đơn giá (đ)" } th { "Thuế suất" } } }
            tbody { @for x in &products {
                tr { td { (x.name) @if x.is_fuel { " " span.tag { "nhiên liệu" } } } td { (x.unit) } td.num { (dong(x.unit_price)) } td { (x.vat_rate) } }
            } }
        } }
        @if manage {
            form.api data-api={ "/api/v1/merchants/" (id) "/products" } {
                label { "Tên mặt hàng" input name="name" required; }
                label { "Đơn vị tính" input name="unit" value="cái" required; }
                label { "Đơn giá (đồng)" input name="unit_price" data-type="number" inputmode="numeric" required; }
                label { "Thuế suất GTGT"
                    select name="vat_rate" { @for r in ["8%", "10%", "5%", "0%", "KCT", "KKKNT"] { option { (r) } } } }
                label.inline { input name="is_fuel" type="checkbox" data-type="bool"; " Nhiên liệu (bán qua vòi bơm)" }
                button type="submit" { "Thêm mặt hàng" }
            }
        }
        h2 { "Máy tính tiền" }
        ul { @for r in &registers {
            li { a href={ "/registers/" (r.id) } { (r.label) } " · " (kind_vi(&r.kind)) }
        } }
        @if manage {
            form.api data-api={ "/api/v1/merchants/" (id) "/registers" } {
                label { "Tên máy" input name="label" required; }
                label { "Loại"
                    select name="kind" {
                        option value="counter" { "Quầy thu ngân" }
                        option value="stall" { "Sạp chợ" }
                        option value="fuel_pump" { "Vòi bơm nhiên liệu" }
                    } }
                label { "Số quầy (sạp chợ)" input name="stall_id" data-type="number" inputmode="numeric"; }
                label { "Mã mặt hàng nhiên liệu (vòi bơm)" input name="fuel_product_id" data-type="number" inputmode="numeric"; }
                button type="submit" { "Thêm máy" }
            }
        }
        p #status role="status" {}
        script { (PreEscaped(CASHIER_JS)) }
    };
    Ok(layout_for(&caller, "Hóa đơn điện tử", body).into_response())
}

/// Invoices the caller may read.
pub async fn invoices_page(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<InvoiceQuery>,
) -> Page {
    let scope = invoice_scope(caller.person()?);
    let (items, total) = store::list_invoices(&st.db, &q, scope.as_deref()).await?;
    let body = html! {
        h1 { "Hóa đơn" }
        p { (total) " hóa đơn" }
        div.table-wrap { table {
            thead { tr { th { "Mã CQT" } th { "Số" } th { "Lúc" } th { "Tổng (đ)" } th { "Thanh toán" } th { "Gửi CQT" } } }
            tbody { @for i in &items {
                tr {
                    td { a href={ "/invoices/" (i.id) "/receipt" } { (i.code) } }
                    td.num { (i.number) }
                    td { (local_time(i.issued_at)) }
                    td.num { (dong(i.total)) }
                    td { (method_vi(&i.payment_method)) }
                    td { (tax_status_vi(&i.tax_status)) }
                }
            } }
        } }
    };
    Ok(layout_for(&caller, "Hóa đơn", body).into_response())
}

/// Where buyers check the invoice: this server's look-up page, the link printed in the
/// receipt's QR. The Host header is the caller's, so only a
/// plain host name or address (and port) is used; anything else falls back to localhost.
fn lookup_url(headers: &HeaderMap, secure: bool, mst: &str, code: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = if secure { "https" } else { "http" };
    format!("{scheme}://{host}/tra-cuu?mst={mst}&code={code}")
}

/// The receipt's content, shared by the print view and the PDF.
struct ReceiptDoc {
    pdf: receiptpdf::Receipt,
    url: String,
}

async fn receipt_doc(
    st: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    id: i64,
) -> Result<ReceiptDoc, WebError> {
    let p = caller.person()?;
    let row = store::invoice(&st.db, id)
        .await?
        .filter(|i| can_read(p, i.merchant_id))
        .ok_or_else(not_found)?;
    let xml = store::signed_xml(&st.db, id).await?.ok_or_else(not_found)?;
    let inv = einvoice::read_invoice(&xml)
        .map_err(|e| WebError::from(super::routes::stored_unreadable(id, &e)))?;
    let register = store::register(&st.db, row.register_id).await?;
    let url = lookup_url(headers, st.secure_cookies, &row.seller_tax_code, &row.code);
    let mut summary = vec![("Cộng tiền hàng".to_string(), inv.totals.before_tax)];
    for r in &inv.totals.rates {
        if r.tax != 0 {
            summary.push((format!("Thuế GTGT {}", r.rate.to_xml(inv.version)), r.tax));
        }
    }
    let mut meta = vec![
        ("Ký hiệu".to_string(), inv.full_symbol()),
        ("Số".to_string(), inv.number.to_string()),
        ("Ngày giờ".to_string(), local_time(row.issued_at)),
        (
            "Thanh toán".to_string(),
            method_vi(&row.payment_method).to_string(),
        ),
    ];
    if let Some(r) = &register {
        meta.push(("Máy".to_string(), r.label.clone()));
    }
    if let Some(b) = &inv.buyer {
        if let Some(n) = &b.name {
            meta.push(("Người mua".to_string(), n.clone()));
        }
        if let Some(t) = &b.tax_code {
            meta.push(("MST người mua".to_string(), t.clone()));
        }
    }
    let pdf = receiptpdf::Receipt {
        title: inv.title.to_uppercase(),
        header_lines: vec![
            inv.seller.name.clone(),
            format!("MST: {}", inv.seller.tax_code),
            inv.seller.address.clone(),
        ],
        meta_lines: meta,
        items: inv
            .lines
            .iter()
            .map(|l| receiptpdf::Item {
                name: l.name.clone(),
                quantity: l.quantity.map(quantity_text).unwrap_or_default(),
                unit_price: l.unit_price.unwrap_or(0),
                amount: l.amount.unwrap_or(0),
            })
            .collect(),
        summary,
        total: ("TỔNG THANH TOÁN".into(), inv.totals.total),
        amount_in_words: inv.totals.total_in_words.clone(),
        footer_lines: vec![
            "Tra cứu hóa đơn: quét mã QR hoặc nhập MST người bán và mã của CQT".into(),
            "Cảm ơn quý khách!".into(),
        ],
        code: row.code.clone(),
        qr_payload: Some(url.clone()),
    };
    Ok(ReceiptDoc { pdf, url })
}

/// The 80-mm receipt as a print view.
pub async fn receipt_page(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Page {
    let d = receipt_doc(&st, &caller, &headers, id).await?;
    let r = &d.pdf;
    let qr = vietqr::render::try_to_svg(&d.url).unwrap_or_default();
    let body = html! {
        (maud::DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Hóa đơn " (r.code) }
                style { (PreEscaped(RECEIPT_CSS)) }
            }
            body {
                div.receipt {
                    @for (i, h) in r.header_lines.iter().enumerate() {
                        p.c { @if i == 0 { strong { (h) } } @else { (h) } }
                    }
                    h1 { (r.title) }
                    @for (k, v) in &r.meta_lines { p.kv { span { (k) } span { (v) } } }
                    hr;
                    @for it in &r.items {
                        p { (it.name) }
                        p.kv { span { (it.quantity) " × " (dong(it.unit_price)) } span { (dong(it.amount)) } }
                    }
                    hr;
                    @for (k, v) in &r.summary { p.kv { span { (k) } span { (dong(*v)) } } }
                    p.kv.total { span { (r.total.0) } span { (dong(r.total.1)) " đ" } }
                    p.words { "Bằng chữ: " (r.amount_in_words) }
                    div.qr { (PreEscaped(qr)) }
                    p.c { strong { (r.code) } }
                    @for f in &r.footer_lines { p.c.small { (f) } }
                }
                p.noprint {
                    button type="button" onclick="window.print()" { "In hóa đơn" }
                    " " a href={ "/invoices/" (id) "/receipt.pdf" } { "Tải PDF" }
                    " " a href={ "/api/v1/invoices/" (id) "/xml" } { "Tải XML" }
                    " " a href="/registers" { "Về máy tính tiền" }
                }
            }
        }
    };
    Ok(body.into_response())
}

const RECEIPT_CSS: &str = "@page { size: 80mm auto; margin: 4mm } \
    body { font-family: sans-serif; margin: 0; } \
    .receipt { width: 72mm; margin: 0 auto; font-size: 12px; } \
    .receipt p { margin: 2px 0; } .c { text-align: center; } .small { font-size: 10px; } \
    h1 { font-size: 13px; text-align: center; margin: 6px 0; } \
    .kv { display: flex; justify-content: space-between; gap: 8px; } \
    .total { font-weight: bold; font-size: 14px; } .words { font-style: italic; } \
    .qr svg { width: 30mm; height: 30mm; display: block; margin: 4px auto; } \
    .noprint { text-align: center; margin: 12px; } \
    @media print { .noprint { display: none } }";

/// The 80-mm receipt as PDF.
pub async fn receipt_pdf(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Page {
    let d = receipt_doc(&st, &caller, &headers, id).await?;
    let bytes = receiptpdf::render(&d.pdf).map_err(|e| {
        tracing::error!(invoice = id, error = %e, "receipt PDF failed");
        WebError::from(crate::error::ApiError::internal())
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}.pdf\"", d.pdf.code),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct LookupForm {
    #[serde(default)]
    pub mst: String,
    #[serde(default)]
    pub code: String,
}

/// The public buyer look-up: seller's tax code + invoice code (or the receipt's QR link).
pub async fn lookup_page(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<LookupForm>,
) -> Page {
    let asked = !q.mst.trim().is_empty() && !q.code.trim().is_empty();
    let found = if asked {
        lookup(&st.db, &q.mst, &q.code).await.ok()
    } else {
        None
    };
    let body = html! {
        h1 { "Tra cứu hóa đơn điện tử" }
        form method="get" action="/tra-cuu" {
            label { "Mã số thuế người bán" input name="mst" value=(q.mst) required inputmode="numeric"; }
            label { "Mã của cơ quan thuế (in trên hóa đơn)" input name="code" value=(q.code) required placeholder="M1-26-XXXXX-00000000001"; }
            button type="submit" { "Tra cứu" }
        }
        @if asked && found.is_none() {
            p.error #notfound { "Không tìm thấy hóa đơn với mã số thuế và mã này." }
        }
        @if let Some((r, _)) = &found {
            section #invoice {
                h2 { (r.seller_name) }
                p { "MST " (r.seller_tax_code) " · " (local_time(r.issued_at)) " · mã " code { (r.code) } }
                @if r.signature_valid {
                    p.ok #sig { "✔ Chữ ký số hợp lệ" @if let Some(s) = &r.signer { " — " (s) } }
                } @else {
                    p.error #sig { "✘ Chữ ký số KHÔNG hợp lệ: hóa đơn có thể đã bị sửa" }
                }
                @if r.replaced { p.error { "Hóa đơn này đã được thay thế." } }
                p { "Cơ quan thuế: " (tax_status_vi(&r.tax_status)) }
                div.table-wrap { table {
                    thead { tr { th { "Hàng hóa" } th { "SL" } th { "Đơn giá" } th { "Thành tiền" } th { "Thuế suất" } } }
                    tbody { @for l in &r.lines {
                        tr { td { (l.name) } td.num { (l.quantity) " " (l.unit) } td.num { (dong(l.unit_price)) } td.num { (dong(l.amount)) } td { (l.vat_rate) } }
                    } }
                } }
                p { "Thuế GTGT: " (dong(r.vat_total)) " đ" }
                p.total { "Tổng thanh toán: " strong { (dong(r.total)) " đ" } }
                p { em { (r.total_in_words) } }
                p { a href={ "/tra-cuu/xml?mst=" (r.seller_tax_code) "&code=" (r.code) } { "Tải tệp XML đã ký" } }
            }
        }
    };
    Ok(layout_for(&caller, "Tra cứu hóa đơn", body).into_response())
}

/// The signed XML for a buyer who found the invoice.
pub async fn lookup_xml(State(st): State<AppState>, Query(q): Query<LookupQuery>) -> Page {
    let (r, xml) = lookup(&st.db, &q.mst, &q.code).await?;
    Ok(xml_download(&r.code, xml))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_link_uses_only_a_plain_host() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "halong.example.vn:8080".parse().unwrap());
        assert_eq!(
            lookup_url(&h, true, "0106324653", "M1-26-AB12C-00000000001"),
            "https://halong.example.vn:8080/tra-cuu?mst=0106324653&code=M1-26-AB12C-00000000001"
        );
        h.insert(header::HOST, "evil.example/phish?x=".parse().unwrap());
        assert!(lookup_url(&h, false, "1", "2").starts_with("http://localhost/tra-cuu?"));
    }
}
