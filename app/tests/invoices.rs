//! Cash registers end to end: products, registers, sales that issue signed invoices, numbering
//! under concurrency, QR checkout, fuel pumps, scoping and the public buyer look-up.

mod common;

use banknotify::{Direction, Provider, SimTransfer};
use common::{TestApp, client_with_token, token_for};
use serde_json::{Value, json};

struct Shop {
    app: TestApp,
    owner: reqwest::Client,
    merchant: i64,
    stall: i64,
    tax_code: String,
}

/// A market, a merchant with a payout account and a stall, registered for cash-register
/// invoices (form 1, code AB12C), and its owner's client.
async fn shop() -> Shop {
    let app = TestApp::spawn().await;
    let (_, m) = app.post_json("/api/v1/markets", &json!({"code": "HL-1", "name": "Chợ Hạ Long I", "place_code": "06685", "business_points": 450})).await;
    let tax_code = "0106324653".to_string();
    let (_, r) = app.post_json("/api/v1/merchants", &json!({"tax_code": tax_code, "name": "Hộ kinh doanh Bà Lan", "owner_name": "Nguyễn Thị Lan", "address": "Ki-ốt 12, chợ Hạ Long I, Quảng Ninh", "place_code": "06685", "payment_methods": ["cash", "vietqr"]})).await;
    let merchant = r["id"].as_i64().unwrap();
    app.post_json(
        &format!("/api/v1/merchants/{merchant}/bank-accounts"),
        &json!({"bank_bin": "970436", "account_number": "0011012345678", "holder_name": "NGUYEN THI LAN"}),
    )
    .await;
    let (_, s) = app
        .post_json(
            "/api/v1/stalls",
            &json!({"market_id": m["id"], "code": "A-1", "merchant_id": merchant}),
        )
        .await;
    let db = app.running.as_ref().unwrap().state.db.clone();
    register_taxpayer(&db, merchant, 1, "AB12C").await;
    let owner = client_with_token(&token_for(&db, "0911222333", "merchant_owner", merchant).await);
    Shop {
        app,
        owner,
        merchant,
        stall: s["id"].as_i64().unwrap(),
        tax_code,
    }
}

async fn register_taxpayer(db: &halong::db::Db, merchant: i64, form: i16, code: &str) {
    use halong::invoices::store;
    store::taxpayer_pending(db, merchant, form, "HL", "TEST-MSG", false)
        .await
        .unwrap();
    store::taxpayer_answered(db, merchant, Some(code), "")
        .await
        .unwrap();
}

async fn post(c: &reqwest::Client, app: &TestApp, path: &str, body: &Value) -> (u16, Value) {
    let r = c.post(app.url(path)).json(body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn get(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, Value) {
    let r = c.get(app.url(path)).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn product(s: &Shop, name: &str, price: i64, rate: &str) -> i64 {
    let (st, p) = post(
        &s.owner,
        &s.app,
        &format!("/api/v1/merchants/{}/products", s.merchant),
        &json!({"name": name, "unit": "kg", "unit_price": price, "vat_rate": rate}),
    )
    .await;
    assert_eq!(st, 201, "{p}");
    p["id"].as_i64().unwrap()
}

async fn register(s: &Shop, label: &str) -> i64 {
    let (st, r) = post(
        &s.owner,
        &s.app,
        &format!("/api/v1/merchants/{}/registers", s.merchant),
        &json!({"kind": "stall", "label": label, "stall_id": s.stall}),
    )
    .await;
    assert_eq!(st, 201, "{r}");
    r["id"].as_i64().unwrap()
}

#[tokio::test]
async fn cash_sale_issues_a_signed_invoice_once() {
    let s = shop().await;
    let cha = product(&s, "Chả mực Hạ Long", 380_000, "8%").await;
    let mam = product(&s, "Nước mắm", 45_000, "10%").await;
    let reg = register(&s, "Quầy A-1").await;
    let sale = json!({"client_key": "sale-1", "method": "cash", "lines": [
        {"product_id": cha, "quantity": "1.5"}, {"product_id": mam, "quantity": 2}]});
    let (st, first) = post(
        &s.owner,
        &s.app,
        &format!("/api/v1/registers/{reg}/sales"),
        &sale,
    )
    .await;
    assert_eq!(st, 201, "{first}");
    let inv = &first["invoice"];
    assert_eq!(inv["number"], 1);
    assert_eq!(inv["total"], 714_600);
    assert_eq!(inv["vat_total"], 54_600);
    let code = inv["code"].as_str().unwrap().to_string();
    assert!(
        code.starts_with("M1-") && code.contains("-AB12C-00000000001"),
        "{code}"
    );
    // A retry returns the same sale and invoice, and takes no number.
    let (st, again) = post(
        &s.owner,
        &s.app,
        &format!("/api/v1/registers/{reg}/sales"),
        &sale,
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(again["invoice"]["id"], inv["id"]);
    let (_, list) = get(&s.owner, &s.app, "/api/v1/invoices").await;
    assert_eq!(list["total"], 1);
    // The cash taken is a receipt of the stall, once, in the day's totals by method.
    let (_, totals) = get(&s.owner, &s.app, "/api/v1/receipts/totals").await;
    let cash: Vec<_> = totals["methods"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["method"] == "cash")
        .collect();
    assert_eq!(cash.len(), 1, "{totals}");
    assert_eq!(cash[0]["amount"], 714_600, "{totals}");

    // The signed XML verifies, and a changed amount does not.
    let id = inv["id"].as_i64().unwrap();
    let xml = s
        .owner
        .get(s.app.url(&format!("/api/v1/invoices/{id}/xml")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let reports = einvoice::verify_signatures(&xml, &einvoice::VerifyOptions::default()).unwrap();
    assert!(reports.iter().all(|r| r.is_valid()) && !reports.is_empty());
    let parsed = einvoice::read_invoice(&xml).unwrap();
    assert_eq!(parsed.totals.total, 714_600);
    assert_eq!(parsed.authority_code.as_deref(), Some(code.as_str()));
    let tampered = xml.replacen(
        "<TgTTTBSo>714600</TgTTTBSo>",
        "<TgTTTBSo>714601</TgTTTBSo>",
        1,
    );
    assert_ne!(tampered, xml);
    let reports =
        einvoice::verify_signatures(&tampered, &einvoice::VerifyOptions::default()).unwrap();
    assert!(!reports.iter().all(|r| r.is_valid()));

    // The public look-up finds it by tax code and code, and says the signature holds.
    let (st, found) = get(
        &s.app.anonymous,
        &s.app,
        &format!("/api/v1/invoices/lookup?mst={}&code={code}", s.tax_code),
    )
    .await;
    assert_eq!(st, 200, "{found}");
    assert_eq!(found["signature_valid"], true);
    assert_eq!(found["total"], 714_600);
    assert_eq!(found["lines"][0]["name"], "Chả mực Hạ Long");
    assert_eq!(found["lines"][0]["quantity"], "1,5");
    let (st, _) = get(
        &s.app.anonymous,
        &s.app,
        &format!("/api/v1/invoices/lookup?mst=0100233488&code={code}"),
    )
    .await;
    assert_eq!(st, 404, "another seller's tax code finds nothing");
}

#[tokio::test]
async fn bad_sales_change_nothing() {
    let s = shop().await;
    let p = product(&s, "Mực một nắng", 650_000, "8%").await;
    let reg = register(&s, "Quầy A-1").await;
    let path = format!("/api/v1/registers/{reg}/sales");
    for (body, field) in [
        (
            json!({"client_key": "k1", "method": "cash", "lines": []}),
            "lines",
        ),
        (
            json!({"client_key": "k2", "method": "barter", "lines": [{"product_id": p, "quantity": 1}]}),
            "method",
        ),
        (
            json!({"client_key": "k3", "method": "cash", "lines": [{"product_id": p, "quantity": "1.2345"}]}),
            "lines[0].quantity",
        ),
        (
            json!({"client_key": "k4", "method": "cash", "lines": [{"product_id": 999_999, "quantity": 1}]}),
            "lines[0].product_id",
        ),
        (
            json!({"client_key": "bad key!", "method": "cash", "lines": [{"product_id": p, "quantity": 1}]}),
            "client_key",
        ),
        (
            json!({"client_key": "k5", "method": "cash", "lines": [{"product_id": p, "quantity": 1}], "buyer": {"tax_code": "123"}}),
            "buyer.tax_code",
        ),
    ] {
        let (st, e) = post(&s.owner, &s.app, &path, &body).await;
        assert_eq!(st, 422, "{body} → {e}");
        assert!(e["details"].to_string().contains(field), "{field}: {e}");
    }
    let (_, list) = get(&s.owner, &s.app, "/api/v1/invoices").await;
    assert_eq!(list["total"], 0);
    // Products and registers are checked too.
    let (st, _) = post(
        &s.owner,
        &s.app,
        &format!("/api/v1/merchants/{}/products", s.merchant),
        &json!({"name": "X", "unit": "kg", "unit_price": 1, "vat_rate": "7%"}),
    )
    .await;
    assert_eq!(st, 422);
    let (st, _) = post(
        &s.owner,
        &s.app,
        &format!("/api/v1/merchants/{}/registers", s.merchant),
        &json!({"kind": "fuel_pump", "label": "Vòi 1"}),
    )
    .await;
    assert_eq!(st, 422);
}

#[tokio::test]
async fn unregistered_seller_cannot_sell() {
    let s = shop().await;
    let (_, r) = s.app.post_json("/api/v1/merchants", &json!({"tax_code": "0100233488", "name": "Hộ chưa đăng ký", "owner_name": "A", "place_code": "06685", "payment_methods": ["cash"]})).await;
    let other = r["id"].as_i64().unwrap();
    let (_, p) = s
        .app
        .post_json(
            &format!("/api/v1/merchants/{other}/products"),
            &json!({"name": "Rau", "unit": "bó", "unit_price": 10_000, "vat_rate": "5%"}),
        )
        .await;
    let (_, reg) = s
        .app
        .post_json(
            &format!("/api/v1/merchants/{other}/registers"),
            &json!({"kind": "counter", "label": "Quầy"}),
        )
        .await;
    let (st, e) = s
        .app
        .post_json(
            &format!("/api/v1/registers/{}/sales", reg["id"]),
            &json!({"client_key": "x", "method": "cash", "lines": [{"product_id": p["id"], "quantity": 1}]}),
        )
        .await;
    assert_eq!(st, 409, "{e}");
    assert_eq!(e["code"], "einvoice_not_registered");
    // Registered but without an address, the invoice would break a rule: refused up front.
    let db = s.app.running.as_ref().unwrap().state.db.clone();
    register_taxpayer(&db, other, 1, "ZZ9ZZ").await;
    let (st, e) = s
        .app
        .post_json(
            &format!("/api/v1/registers/{}/sales", reg["id"]),
            &json!({"client_key": "y", "method": "cash", "lines": [{"product_id": p["id"], "quantity": 1}]}),
        )
        .await;
    assert_eq!(st, 422, "{e}");
    assert_eq!(e["code"], "einvoice_invalid");
    assert!(e["message_vi"].as_str().unwrap().contains("DChi"));
    let list = s.app.get_json("/api/v1/invoices").await;
    assert_eq!(list["total"], 0, "nothing recorded");
}

#[tokio::test]
async fn four_registers_thousand_sales_each_number_without_gaps() {
    let s = shop().await;
    let p = product(&s, "Bánh gật gù", 20_000, "8%").await;
    let mut regs = Vec::new();
    for i in 1..=4 {
        regs.push(register(&s, &format!("Máy {i}")).await);
    }
    let per = 1000;
    let mut tasks = Vec::new();
    for reg in regs {
        let c = s.owner.clone();
        let url = s.app.url(&format!("/api/v1/registers/{reg}/sales"));
        tasks.push(tokio::spawn(async move {
            for n in 0..per {
                let body = json!({"client_key": format!("r{reg}-{n}"), "method": "cash",
                    "lines": [{"product_id": p, "quantity": 1}]});
                let r = c.post(&url).json(&body).send().await.unwrap();
                assert_eq!(r.status(), 201);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let db = s.app.running.as_ref().unwrap().state.db.clone();
    let mut numbers: Vec<i64> = match &db {
        halong::db::Db::Sqlite(p) => {
            sqlx::query_scalar("SELECT number FROM invoices ORDER BY number")
                .fetch_all(p)
                .await
                .unwrap()
        }
        halong::db::Db::Pg(p) => sqlx::query_scalar("SELECT number FROM invoices ORDER BY number")
            .fetch_all(p)
            .await
            .unwrap(),
    };
    assert_eq!(numbers.len(), 4 * per);
    numbers.dedup();
    assert_eq!(
        numbers,
        (1..=(4 * per) as i64).collect::<Vec<_>>(),
        "consecutive, no gap, no repeat"
    );
}

fn transfer(id: &str, amount: i64, memo: &str) -> SimTransfer {
    SimTransfer {
        provider_tx_id: id.into(),
        account_number: "0011012345678".into(),
        virtual_account: None,
        bank_name: Some("Vietcombank".into()),
        amount,
        direction: Direction::In,
        description: memo.into(),
        bank_reference: Some(format!("FT{id}")),
        order_id: None,
        occurred_at_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64,
        counter_account: None,
        balance_after: None,
    }
}

#[tokio::test]
async fn qr_sale_is_invoiced_when_paid() {
    let s = shop().await;
    let p = product(&s, "Sá sùng khô", 1_000_000, "8%").await;
    let reg = register(&s, "Quầy A-1").await;
    let (st, sale) = post(&s.owner, &s.app, &format!("/api/v1/registers/{reg}/sales"), &json!({"client_key": "qr-1", "method": "qr", "lines": [{"product_id": p, "quantity": "0.5"}]})).await;
    assert_eq!(st, 201, "{sale}");
    assert!(sale["invoice"].is_null());
    assert_eq!(sale["sale"]["status"], "awaiting_payment");
    let pr = &sale["payment_request"];
    assert_eq!(pr["amount"], 540_000);
    let reference = pr["reference"].as_str().unwrap();
    let sale_id = sale["sale"]["id"].as_i64().unwrap();
    // A retry does not create a second payment request.
    let (_, again) = post(&s.owner, &s.app, &format!("/api/v1/registers/{reg}/sales"), &json!({"client_key": "qr-1", "method": "qr", "lines": [{"product_id": p, "quantity": "0.5"}]})).await;
    assert_eq!(again["payment_request"]["id"], pr["id"]);

    let t = transfer("7001", 540_000, &format!("CT {reference} thanh toan"));
    let secret = common::PROVIDER_SECRET;
    let signed = banknotify::sign(Provider::Casso, &t, secret, t.occurred_at_unix).unwrap();
    let mut req = s
        .app
        .anonymous
        .post(s.app.url("/api/v1/notifications/casso"));
    for (k, v) in &signed.headers {
        req = req.header(k, v);
    }
    assert!(
        req.body(signed.body)
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let mut invoiced = Value::Null;
    for _ in 0..50 {
        let (_, now) = get(&s.owner, &s.app, &format!("/api/v1/sales/{sale_id}")).await;
        if !now["invoice"].is_null() {
            invoiced = now;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(invoiced["invoice"]["total"], 540_000, "{invoiced}");
    assert_eq!(invoiced["invoice"]["payment_method"], "qr");
    assert_eq!(invoiced["sale"]["status"], "invoiced");
}

#[tokio::test]
async fn fuel_pump_sales_are_one_invoice_each() {
    let s = shop().await;
    let (st, fuel) = post(&s.owner, &s.app, &format!("/api/v1/merchants/{}/products", s.merchant), &json!({"name": "Xăng RON 95-III", "unit": "lít", "unit_price": 22_500, "vat_rate": "10%", "is_fuel": true})).await;
    assert_eq!(st, 201);
    let other = product(&s, "Dầu nhớt", 120_000, "10%").await;
    let (st, pump) = post(
        &s.owner,
        &s.app,
        &format!("/api/v1/merchants/{}/registers", s.merchant),
        &json!({"kind": "fuel_pump", "label": "Trụ 1 vòi 2", "fuel_product_id": fuel["id"]}),
    )
    .await;
    assert_eq!(st, 201, "{pump}");
    let path = format!("/api/v1/registers/{}/sales", pump["id"]);
    let (st, a) = post(&s.owner, &s.app, &path, &json!({"client_key": "p1", "method": "card", "lines": [{"product_id": fuel["id"], "quantity": "10.345"}]})).await;
    assert_eq!(st, 201, "{a}");
    // 10.345 × 22,500 = 232,762.5 → 232,763; VAT 10% 23,276.3 → 23,276.
    assert_eq!(a["invoice"]["total"], 232_763 + 23_276);
    let (st, b) = post(&s.owner, &s.app, &path, &json!({"client_key": "p2", "method": "ewallet", "lines": [{"product_id": fuel["id"], "quantity": 5}]})).await;
    assert_eq!(st, 201);
    assert_ne!(a["invoice"]["id"], b["invoice"]["id"]);
    let (st, _) = post(&s.owner, &s.app, &path, &json!({"client_key": "p3", "method": "cash", "lines": [{"product_id": other, "quantity": 1}]})).await;
    assert_eq!(st, 422, "a nozzle sells only its fuel");
}

#[tokio::test]
async fn invoices_are_visible_only_to_their_seller_and_tax_officers() {
    let s = shop().await;
    let p = product(&s, "Tôm khô", 900_000, "8%").await;
    let reg = register(&s, "Quầy A-1").await;
    let (_, sale) = post(
        &s.owner,
        &s.app,
        &format!("/api/v1/registers/{reg}/sales"),
        &json!({"client_key": "v1", "method": "cash", "lines": [{"product_id": p, "quantity": 1}]}),
    )
    .await;
    let id = sale["invoice"]["id"].as_i64().unwrap();
    let db = s.app.running.as_ref().unwrap().state.db.clone();
    let stranger = client_with_token(&token_for(&db, "0933444555", "merchant_owner", 999).await);
    let (st, _) = get(&stranger, &s.app, &format!("/api/v1/invoices/{id}")).await;
    assert_eq!(st, 404);
    let (_, list) = get(&stranger, &s.app, "/api/v1/invoices").await;
    assert_eq!(list["total"], 0);
    let (st, _) = post(
        &stranger,
        &s.app,
        &format!("/api/v1/registers/{reg}/sales"),
        &json!({"client_key": "v2", "method": "cash", "lines": [{"product_id": p, "quantity": 1}]}),
    )
    .await;
    assert_eq!(st, 404);
    let officer = client_with_token(&token_for(&db, "0944555666", "tax_officer", 0).await);
    let (st, _) = get(&officer, &s.app, &format!("/api/v1/invoices/{id}")).await;
    assert_eq!(st, 200);
    let (st, _) = post(
        &officer,
        &s.app,
        &format!("/api/v1/registers/{reg}/sales"),
        &json!({"client_key": "v3", "method": "cash", "lines": [{"product_id": p, "quantity": 1}]}),
    )
    .await;
    assert_eq!(st, 403, "tax officers read, they do not sell");
    let cashier =
        client_with_token(&token_for(&db, "0955666777", "merchant_cashier", s.merchant).await);
    let (st, _) = post(
        &cashier,
        &s.app,
        &format!("/api/v1/registers/{reg}/sales"),
        &json!({"client_key": "v4", "method": "cash", "lines": [{"product_id": p, "quantity": 1}]}),
    )
    .await;
    assert_eq!(st, 201);
    let (st, _) = post(
        &cashier,
        &s.app,
        &format!("/api/v1/merchants/{}/products", s.merchant),
        &json!({"name": "Y", "unit": "kg", "unit_price": 1}),
    )
    .await;
    assert_eq!(st, 403, "cashiers sell, owners keep the catalogue");
}

#[tokio::test]
async fn receipt_pages_pdf_and_public_lookup() {
    let s = shop().await;
    let p = product(&s, "Chả mực Hạ Long", 380_000, "8%").await;
    let reg = register(&s, "Quầy A-1").await;
    let cashier = s
        .owner
        .get(s.app.url(&format!("/registers/{reg}")))
        .send()
        .await
        .unwrap();
    assert_eq!(cashier.status(), 200);
    let html = cashier.text().await.unwrap();
    assert!(html.contains("Chả mực Hạ Long") && html.contains("Tiền mặt (F1)"));
    let (_, sale) = post(&s.owner, &s.app, &format!("/api/v1/registers/{reg}/sales"), &json!({"client_key": "r1", "method": "cash", "lines": [{"product_id": p, "quantity": 1}], "buyer": {"name": "Công ty TNHH Vịnh Xanh", "tax_code": "0100233488"}})).await;
    let id = sale["invoice"]["id"].as_i64().unwrap();
    let code = sale["invoice"]["code"].as_str().unwrap().to_string();
    let page = s
        .owner
        .get(s.app.url(&format!("/invoices/{id}/receipt")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&code) && page.contains("410.400") && page.contains("Công ty TNHH Vịnh Xanh"),
        "{page}"
    );
    assert!(page.contains("<svg"), "the receipt carries the look-up QR");
    let pdf = s
        .owner
        .get(s.app.url(&format!("/invoices/{id}/receipt.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    let look = s
        .app
        .anonymous
        .get(
            s.app
                .url(&format!("/tra-cuu?mst={}&code={code}", s.tax_code)),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        look.contains("Chữ ký số hợp lệ") && look.contains("410.400"),
        "{look}"
    );
    let none = s
        .app
        .anonymous
        .get(s.app.url(&format!(
            "/tra-cuu?mst={}&code=M1-26-AB12C-00000000999",
            s.tax_code
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(none.contains("Không tìm thấy hóa đơn"));
    let xml = s
        .app
        .anonymous
        .get(
            s.app
                .url(&format!("/tra-cuu/xml?mst={}&code={code}", s.tax_code)),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml.contains("<HDon") && xml.contains("SignatureValue"));
}

#[tokio::test]
async fn an_invoice_left_unsigned_by_a_crash_is_signed_by_the_sweep() {
    let s = shop().await;
    let p = product(&s, "Mực khô", 800_000, "8%").await;
    let reg = register(&s, "Quầy A-1").await;
    let (_, sale) = post(
        &s.owner,
        &s.app,
        &format!("/api/v1/registers/{reg}/sales"),
        &json!({"client_key": "c1", "method": "cash", "lines": [{"product_id": p, "quantity": 1}]}),
    )
    .await;
    let id = sale["invoice"]["id"].as_i64().unwrap();
    let state = &s.app.running.as_ref().unwrap().state;
    // As if the process died between the commit and the signature.
    match &state.db {
        halong::db::Db::Sqlite(p) => sqlx::query("UPDATE invoices SET signed_xml = ''")
            .execute(p)
            .await
            .map(|_| ())
            .unwrap(),
        halong::db::Db::Pg(p) => sqlx::query("UPDATE invoices SET signed_xml = ''")
            .execute(p)
            .await
            .map(|_| ())
            .unwrap(),
    }
    let r = s
        .owner
        .get(s.app.url(&format!("/api/v1/invoices/{id}/xml")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        404,
        "no unsigned invoice is handed out as signed"
    );
    let signed =
        halong::invoices::issue::sign_unsigned(&state.db, state.invoice_signer.as_deref().unwrap())
            .await
            .unwrap();
    assert_eq!(signed, 1);
    let xml = s
        .owner
        .get(s.app.url(&format!("/api/v1/invoices/{id}/xml")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let reports = einvoice::verify_signatures(&xml, &einvoice::VerifyOptions::default()).unwrap();
    assert!(!reports.is_empty() && reports.iter().all(|r| r.is_valid()));
}

#[tokio::test]
async fn numbering_continues_across_a_restart() {
    let mut s = shop().await;
    let p = product(&s, "Gạo nếp", 35_000, "5%").await;
    let reg = register(&s, "Quầy A-1").await;
    for k in ["a", "b"] {
        let (st, _) = post(&s.owner, &s.app, &format!("/api/v1/registers/{reg}/sales"), &json!({"client_key": k, "method": "cash", "lines": [{"product_id": p, "quantity": 1}]})).await;
        assert_eq!(st, 201);
    }
    // Stop the server and start a new one on the same database.
    let running = s.app.running.take().unwrap();
    let database_url = s.app.database_url.clone();
    running.stop().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = halong::config::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        database_url,
        providers: common::provider_secrets(),
        einvoice: common::test_signer(),
        ..halong::config::Config::default()
    };
    let again = halong::server::start(&config).await.unwrap();
    let db = again.state.db.clone();
    let owner =
        client_with_token(&token_for(&db, "0911222334", "merchant_owner", s.merchant).await);
    let r = owner
        .post(format!("http://{}/api/v1/registers/{reg}/sales", again.addr))
        .json(&json!({"client_key": "c", "method": "cash", "lines": [{"product_id": p, "quantity": 1}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["invoice"]["number"], 3, "{v}");
    again.stop().await.unwrap();
}
