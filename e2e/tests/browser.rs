//! The web UI in a real browser: headless Chromium at phone size (360×740 CSS px), driven over
//! WebDriver, against the app started in-process with the demo province.
//!
//! Needs `chromium` and `chromium-driver` (Debian packages); without them every test here fails
//! with a message naming them. See docs/e2e.md.

mod support;

use serde_json::{Value, json};
use support::{PHONE_WIDTH, Session, bounded};

/// JavaScript: elements sticking out to the right of the phone's screen, outside `.table-wrap`
/// (wide tables may scroll inside it), described for a failure message.
const OVERFLOWING: &str = r#"
const w = document.documentElement.clientWidth;
const out = [];
for (const el of document.querySelectorAll('body *')) {
  if (el.closest('.table-wrap')) continue;
  const r = el.getBoundingClientRect();
  if (r.right > w + 0.5) {
    out.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
      + ' right=' + Math.round(r.right));
  }
}
return out.slice(0, 10);
"#;

/// 1. Every main page fits a 360 px phone: no sideways scrolling of the page, Vietnamese
///    `lang`, and a screenshot of each for people to look at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_fit_a_phone_screen() {
    let s = Session::start_anonymous().await;
    bounded("pages_fit_a_phone_screen", async {
        let mut problems = Vec::new();
        // The sign-in page before signing in; then the pages as the province administrator.
        s.goto("/signin").await;
        let inner: u32 = s.eval("return window.innerWidth;", vec![]).await;
        assert_eq!(
            inner, PHONE_WIDTH,
            "the browser emulates a 360 px wide phone"
        );
        check_page(&s, "signin", "/signin", &mut problems).await;
        s.sign_in_as_admin().await;
        let market = s.demo_market_path().await;
        let pages = [
            ("home", "/".to_string()),
            ("markets", "/markets".to_string()),
            ("market", market),
            ("merchants", "/merchants".to_string()),
            ("market-new", "/markets/new".to_string()),
            ("live", "/live".to_string()),
            ("statements", "/statements".to_string()),
            ("registers", "/registers".to_string()),
            ("invoices", "/invoices".to_string()),
            ("lookup", "/tra-cuu".to_string()),
            ("dashboard", "/dashboard".to_string()),
            ("dashboard-staff", "/dashboard/staff".to_string()),
        ];
        for (name, path) in &pages {
            check_page(&s, name, path, &mut problems).await;
        }
        assert!(
            problems.is_empty(),
            "pages scroll sideways on a {PHONE_WIDTH} px phone:\n{}",
            problems.join("\n")
        );
    })
    .await;
    s.finish().await;
}

/// Opens `path`, checks `lang` and saves a screenshot; a page wider than the phone is noted
/// in `problems` with what sticks out.
async fn check_page(s: &Session, name: &str, path: &str, problems: &mut Vec<String>) {
    s.goto(path).await;
    assert_eq!(
        s.path().await,
        path,
        "{path} opens (no redirect, e.g. to sign in)"
    );
    let lang: String = s
        .eval("return document.documentElement.lang;", vec![])
        .await;
    assert_eq!(lang, "vi", "<html lang> of {path}");
    let width: u32 = s
        .eval("return document.documentElement.scrollWidth;", vec![])
        .await;
    let shot = s.screenshot(&format!("phone-{name}")).await;
    if width > PHONE_WIDTH {
        let culprits: Vec<String> = s.eval(OVERFLOWING, vec![]).await;
        problems.push(format!(
            "{path}: page is {width} px wide (screenshot {}); sticking out: {culprits:?}",
            shot.display()
        ));
    }
}

/// 2. The market filter: search without diacritics and a class, results and kept values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn market_filter_finds_and_keeps_values() {
    let s = Session::start().await;
    bounded("market_filter_finds_and_keeps_values", async {
        s.goto("/markets").await;
        let q = s.find("form.filters input[name=q]").await;
        q.send_keys("bai chay").await.unwrap();
        s.find("form.filters select[name=class]")
            .await
            .select_by_value("1")
            .await
            .unwrap();
        s.find("form.filters button[type=submit]")
            .await
            .click()
            .await
            .unwrap();
        s.wait_for_path("the filtered market list", |p| {
            p.starts_with("/markets?") && p.contains("class=1") && p.contains("q=bai")
        })
        .await;

        let names: Vec<String> = s
            .eval(
                "return [...document.querySelectorAll('.table-wrap tbody tr td:nth-child(2) a')]\
                 .map(a => a.textContent.trim());",
                vec![],
            )
            .await;
        assert!(
            names.iter().any(|n| n.starts_with("Chợ Bãi Cháy")),
            "Chợ Bãi Cháy is among the results: {names:?}"
        );
        let classes: Vec<String> = s
            .eval(
                "return [...document.querySelectorAll('.table-wrap tbody tr td:nth-child(4)')]\
                 .map(td => td.textContent.trim());",
                vec![],
            )
            .await;
        assert!(
            !classes.is_empty() && classes.iter().all(|c| c == "1"),
            "only class 1 markets: {classes:?}"
        );
        let kept: (String, String) = s
            .eval(
                "const f = document.querySelector('form.filters');\
                 return [f.q.value, f['class'].value];",
                vec![],
            )
            .await;
        assert_eq!(
            kept,
            ("bai chay".to_string(), "1".to_string()),
            "the filter keeps what was chosen"
        );
    })
    .await;
    s.finish().await;
}

/// JavaScript: the inline error messages shown in the label of field `arguments[0]`.
const FIELD_ERRORS: &str = "const input = document.querySelector(`form.card [name=\"${arguments[0]}\"]`);\
     if (!input) return null;\
     return [...input.closest('label').querySelectorAll('span.field-error')]\
     .map(e => e.textContent.trim());";

/// 3. The new-market form: inline Vietnamese errors, typed values kept, then saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn market_form_shows_inline_errors_then_saves() {
    let s = Session::start().await;
    bounded("market_form_shows_inline_errors_then_saves", async {
        s.goto("/markets/new").await;
        s.find("form.card input[name=code]")
            .await
            .send_keys("E2E-01")
            .await
            .unwrap();
        s.find("form.card input[name=business_points]")
            .await
            .send_keys("nhiều lắm")
            .await
            .unwrap();
        // The place list starts on "— chọn … —" so that no place is saved by accident.
        let _: Value = s
            .eval(
                "document.querySelector('form.card select[name=place_code]').value = '06685'; \
                 return null;",
                vec![],
            )
            .await;
        s.find("form.card button[type=submit]")
            .await
            .click()
            .await
            .unwrap();
        s.wait_until(
            "the form with its errors",
            "return document.readyState === 'complete' \
             && document.querySelectorAll('span.field-error').length > 0;",
            vec![],
        )
        .await;
        assert_eq!(
            s.path().await,
            "/markets/new",
            "the form posts back to itself"
        );

        let name_errors: Vec<String> = s.eval(FIELD_ERRORS, vec![json!("name")]).await;
        assert_eq!(name_errors, ["Bắt buộc nhập"], "error beside the name");
        let points_errors: Vec<String> = s.eval(FIELD_ERRORS, vec![json!("business_points")]).await;
        assert_eq!(points_errors, ["Phải là số"], "error beside the number");
        let summary = s.find("p.error").await.text().await.unwrap();
        assert!(
            summary.contains("lỗi"),
            "a summary of the errors: {summary}"
        );
        let invalid: Vec<String> = s
            .eval(
                "return [...document.querySelectorAll('[aria-invalid=true]')].map(e => e.name);",
                vec![],
            )
            .await;
        assert_eq!(
            invalid,
            ["name", "business_points"],
            "fields marked invalid"
        );
        let kept: (String, String) = s
            .eval(
                "const f = document.querySelector('form.card');\
                 return [f.code.value, f.business_points.value];",
                vec![],
            )
            .await;
        assert_eq!(
            kept,
            ("E2E-01".to_string(), "nhiều lắm".to_string()),
            "what was typed is kept"
        );
        s.screenshot("phone-market-new-errors").await;

        s.find("form.card input[name=name]")
            .await
            .send_keys("Chợ Thử Nghiệm E2E")
            .await
            .unwrap();
        let points = s.find("form.card input[name=business_points]").await;
        points.clear().await.unwrap();
        points.send_keys("120").await.unwrap();
        s.find("form.card button[type=submit]")
            .await
            .click()
            .await
            .unwrap();
        s.wait_for_path("the new market's page", |p| {
            p.strip_prefix("/markets/")
                .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        })
        .await;
        let h1 = s.find("h1").await.text().await.unwrap();
        assert_eq!(
            h1, "Chợ Thử Nghiệm E2E",
            "the new market's page shows its name"
        );
        let facts = s.find("dl.facts").await.text().await.unwrap();
        assert!(
            facts.contains("E2E-01") && facts.contains("120"),
            "the saved code and points are shown: {facts}"
        );
    })
    .await;
    s.finish().await;
}

/// 4. The stall QR codes on a demo market's page load as images, and the print link is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn market_page_qr_images_load() {
    let s = Session::start().await;
    bounded("market_page_qr_images_load", async {
        let market = s.demo_market_path().await;
        s.goto(&market).await;
        let count: u32 = s
            .eval(
                "return document.querySelectorAll('img[src*=\"/qr.svg\"]').length;",
                vec![],
            )
            .await;
        assert!(count > 0, "the demo market {market} shows stall QR codes");
        // The images are lazy: bring the first few into view, then wait for them.
        s.wait_until(
            "the first QR images to load",
            "const imgs = [...document.querySelectorAll('img[src*=\"/qr.svg\"]')].slice(0, 3);\
             imgs.forEach(i => i.scrollIntoView());\
             return imgs.every(i => i.complete && i.naturalWidth > 0);",
            vec![],
        )
        .await;
        let print = s.find("a[href$=\"/signs\"]").await;
        assert_eq!(print.text().await.unwrap(), "In tất cả bảng QR");
        let href = print.attr("href").await.unwrap().unwrap_or_default();
        assert_eq!(href, format!("{market}/signs"));
        s.screenshot("phone-market-qr").await;
    })
    .await;
    s.finish().await;
}

/// 5. A sale at a cash register: tap a product, pay cash, get the 80-mm receipt with the tax
///    authority's code; the buyer's look-up finds it and says the signature holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cashier_sells_and_the_buyer_looks_the_invoice_up() {
    let s = Session::start().await;
    bounded("cashier_sells_and_the_buyer_looks_the_invoice_up", async {
        s.sign_in_as_admin().await;
        s.goto("/registers").await;
        let register: String = s
            .eval(
                "return document.querySelector('ul.cards-list a').getAttribute('href');",
                vec![],
            )
            .await;
        s.goto(&register).await;
        s.screenshot("cashier").await;
        s.find("button.product").await.click().await.expect("tap product");
        s.wait_until(
            "the cart to hold the product",
            "return document.querySelectorAll('#cart tbody tr').length === 1;",
            vec![],
        )
        .await;
        s.find("button.pay[data-method='cash']")
            .await
            .click()
            .await
            .expect("pay cash");
        s.wait_for_path("the receipt", |p| p.ends_with("/receipt")).await;
        s.screenshot("receipt").await;
        let code: String = s
            .eval(
                "const t = document.body.innerText; const m = t.match(/M[12]-\\d{2}-[A-Z0-9]{5}-\\d{11}/); return m ? m[0] : '';",
                vec![],
            )
            .await;
        assert!(!code.is_empty(), "the receipt shows the code");
        let qr: bool = s.eval("return !!document.querySelector('.qr svg');", vec![]).await;
        assert!(qr, "the receipt carries the look-up QR");
        // The QR's link: the look-up page, pre-filled, public.
        let link: String = s
            .eval(
                "return Array.from(document.querySelectorAll('a')).map(a => a.href).find(h => h.includes('/receipt.pdf')) || '';",
                vec![],
            )
            .await;
        assert!(link.ends_with("/receipt.pdf"));
        let tax: String = s
            .eval(
                "const t = document.body.innerText; const m = t.match(/MST: ([0-9-]+)/); return m ? m[1] : '';",
                vec![],
            )
            .await;
        s.goto(&format!("/tra-cuu?mst={tax}&code={code}")).await;
        let ok: bool = s
            .eval(
                "const e = document.getElementById('sig'); return !!e && e.textContent.includes('hợp lệ') && !e.textContent.includes('KHÔNG');",
                vec![],
            )
            .await;
        assert!(ok, "the look-up says the signature holds");
    })
    .await;
    s.finish().await;
}

/// The indicators dashboard: opens with the demo's numbers and SVG charts, a new period is
/// chosen in the form, the CSV of that period downloads with the same period in it, and the
/// staff work lists open for the same period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_changes_period_and_downloads_csv() {
    let s = Session::start().await;
    bounded("dashboard_changes_period_and_downloads_csv", async {
        s.goto("/dashboard").await;
        let h1: String = s
            .eval("return document.querySelector('h1').textContent;", vec![])
            .await;
        assert_eq!(h1, "Chỉ số thanh toán không dùng tiền mặt");
        let charts: u32 = s
            .eval(
                "return document.querySelectorAll('svg.chart').length;",
                vec![],
            )
            .await;
        assert!(charts >= 3, "server-drawn SVG charts: {charts}");
        let markets: String = s
            .eval(
                "return document.getElementById('markets').textContent;",
                vec![],
            )
            .await;
        assert!(markets.ends_with("/43"), "the demo's 43 markets: {markets}");
        // A new period: the first of January to today, typed into the form.
        let to: String = s
            .eval(
                "return document.querySelector('input[name=to]').value;",
                vec![],
            )
            .await;
        let from = format!("{}-01-01", &to[..4]);
        let _: Value = s
            .eval(
                "document.querySelector('input[name=from]').value = arguments[0]; return null;",
                vec![json!(from)],
            )
            .await;
        s.find("#apply").await.click().await.unwrap();
        s.wait_for_path("the dashboard of the new period", |p| {
            p.starts_with("/dashboard?") && p.contains(&format!("from={from}"))
        })
        .await;
        s.screenshot("dashboard").await;
        let href: String = s
            .eval(
                "return document.getElementById('csv').getAttribute('href');",
                vec![],
            )
            .await;
        assert!(
            href.starts_with("/dashboard.csv?") && href.contains(&from),
            "{href}"
        );
        let got = s
            .browser
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 fetch(arguments[0]).then(r => r.arrayBuffer().then(b => \
                   done([r.status, r.headers.get('content-type'), \
                     Array.from(new Uint8Array(b).slice(0, 3)), \
                     new TextDecoder('utf-8', {ignoreBOM: true}).decode(b)])))\
                 .catch(e => done([0, '', [], String(e)]));",
                vec![json!(href)],
            )
            .await
            .expect("download the CSV");
        let (status, kind, head, text): (u16, String, Vec<u8>, String) =
            serde_json::from_value(got).expect("status, type, first bytes, body");
        assert_eq!(
            head,
            [0xEF, 0xBB, 0xBF],
            "UTF-8 byte-order mark for spreadsheets"
        );
        assert_eq!(status, 200, "{text}");
        assert_eq!(kind, "text/csv; charset=utf-8");
        assert!(text.starts_with("\u{feff}Chỉ tiêu,Giá trị"), "{text}");
        assert!(text.contains(&format!("Từ ngày,{from}")), "{text}");
        assert!(
            text.contains("Chợ có thanh toán không dùng tiền mặt (%)"),
            "{text}"
        );
        // Staff go on to the work lists of the same period.
        s.find("#follow-up").await.click().await.unwrap();
        s.wait_for_path("the staff work lists", |p| {
            p.starts_with("/dashboard/staff?") && p.contains(&format!("from={from}"))
        })
        .await;
        let h1: String = s
            .eval("return document.querySelector('h1').textContent;", vec![])
            .await;
        assert_eq!(h1, "Theo dõi chỉ số — cán bộ");
        let lists: u32 = s
            .eval(
                "return ['no-account', 'no-recent', 'einvoice-missing']\
                 .filter(id => document.getElementById(id)).length;",
                vec![],
            )
            .await;
        assert_eq!(lists, 3);
    })
    .await;
    s.finish().await;
}
