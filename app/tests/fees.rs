//! Market fees end to end: schedules, bills per period (idempotent), each paid by its own
//! VietQR through a real signed bank notification, cash with receipts (never more than what
//! remains, retries answered once), SMS reminders at most once, access, pages.

mod common;

use banknotify::{Direction, Provider, SimTransfer};
use common::{TestApp, client_with_token, token_for};
use serde_json::{Value, json};

const BOARD_ACCOUNT: &str = "0451000777888";

struct World {
    app: TestApp,
    sms: halong::sms::SimState,
    market_a: i64,
    market_b: i64,
    manager_a: reqwest::Client,
    manager_b: reqwest::Client,
    owner_1: reqwest::Client,
    stall_veg: i64,
    stall_meat: i64,
}

/// Market A with two occupied stalls (vegetables: merchant 1 with a phone; meat: merchant 2
/// without one), a vacant stall, and market B; the app sends SMS to a simulated gateway.
async fn world() -> World {
    let sms = halong::sms::SimState::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim_addr = listener.local_addr().unwrap();
    let router: axum::Router = halong::sms::sim_router(sms.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let dir = tempfile::tempdir().unwrap();
    let (database_url, pg) = common::fresh_database(dir.path()).await;
    let config = halong::config::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url,
        data_dir: dir.path().into(),
        providers: common::provider_secrets(),
        sms: halong::config::SmsArgs {
            url: Some(format!("http://{sim_addr}")),
            api_key: "key".into(),
            secret: "secret".into(),
            brandname: "HALONG".into(),
        },
        ..Default::default()
    };
    let running = halong::server::start(&config).await.unwrap();
    let app = TestApp::attach(running, dir, pg).await;
    let mk = |code: &str| json!({"code": code, "name": format!("Chợ Hạ Long {code}"), "place_code": "06685", "business_points": 100});
    let (_, a) = app.post_json("/api/v1/markets", &mk("A")).await;
    let (_, b) = app.post_json("/api/v1/markets", &mk("B")).await;
    let (market_a, market_b) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let (_, m1) = app.post_json("/api/v1/merchants", &json!({"tax_code": "0100233488", "name": "Hộ Rau Lan", "owner_name": "Nguyễn Thị Lan", "phone": "0912345678", "place_code": "06685"})).await;
    let (_, m2) = app.post_json("/api/v1/merchants", &json!({"tax_code": "5700100256", "name": "Hộ Thịt Hùng", "owner_name": "Trần Văn Hùng", "place_code": "06685"})).await;
    let (m1, m2) = (m1["id"].as_i64().unwrap(), m2["id"].as_i64().unwrap());
    let stall = |code: &str, category: &str, merchant: Option<i64>| {
        json!({"market_id": market_a, "code": code, "category": category, "merchant_id": merchant,
            "status": if merchant.is_some() { "active" } else { "vacant" }})
    };
    let (s, veg) = app
        .post_json("/api/v1/stalls", &stall("A-1", "Rau củ", Some(m1)))
        .await;
    assert_eq!(s, 201, "{veg}");
    let (_, meat) = app
        .post_json("/api/v1/stalls", &stall("A-2", "Thịt lợn", Some(m2)))
        .await;
    let (s, _) = app
        .post_json("/api/v1/stalls", &stall("A-3", "Rau củ", None))
        .await;
    assert_eq!(s, 201);
    let db = app.running.as_ref().unwrap().state.db.clone();
    World {
        manager_a: client_with_token(
            &token_for(&db, "0911000003", "market_manager", market_a).await,
        ),
        manager_b: client_with_token(
            &token_for(&db, "0911000006", "market_manager", market_b).await,
        ),
        owner_1: client_with_token(&token_for(&db, "0911000004", "merchant_owner", m1).await),
        sms,
        market_a,
        market_b,
        stall_veg: veg["id"].as_i64().unwrap(),
        stall_meat: meat["id"].as_i64().unwrap(),
        app,
    }
}

async fn call(
    w: &World,
    client: &reqwest::Client,
    method: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let url = w.app.url(path);
    let req = match method {
        "GET" => client.get(url),
        "PUT" => client.put(url).json(&body),
        _ => client.post(url).json(&body),
    };
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Board account and schedules: rent and sanitation for every stall, dearer sanitation for meat.
async fn set_up_fees(w: &World) {
    let a = w.market_a;
    let m = &w.manager_a;
    let (s, v) = call(
        w,
        m,
        "PUT",
        &format!("/api/v1/markets/{a}/fee-account"),
        json!({"bank_bin": "970436", "account_number": BOARD_ACCOUNT, "holder_name": "BQL CHO A"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    for (category, kind, amount) in [
        ("", "rent", 300_000),
        ("", "sanitation", 30_000),
        ("Thịt lợn", "sanitation", 50_000),
    ] {
        let (s, v) = call(
            w,
            m,
            "POST",
            &format!("/api/v1/markets/{a}/fee-schedules"),
            json!({"stall_category": category, "kind": kind, "amount": amount}),
        )
        .await;
        assert_eq!(s, 201, "{v}");
    }
}

async fn generate(w: &World, period: &str) -> (u16, Value) {
    call(
        w,
        &w.manager_a,
        "POST",
        &format!("/api/v1/markets/{}/fee-bills/generate", w.market_a),
        json!({"period": period, "due_day": 10}),
    )
    .await
}

async fn bills(w: &World, period: &str) -> Vec<Value> {
    let (s, v) = call(
        w,
        &w.manager_a,
        "GET",
        &format!("/api/v1/markets/{}/fee-bills?period={period}", w.market_a),
        Value::Null,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v.as_array().unwrap().clone()
}

fn find<'a>(bills: &'a [Value], stall: i64, kind: &str) -> &'a Value {
    bills
        .iter()
        .find(|b| b["stall_id"] == stall && b["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} bill for stall {stall}"))
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Pays `amount` into the board's account with the bill's reference in the memo, through a
/// correctly signed Casso webhook.
async fn pay_by_qr(w: &World, bill: &Value, amount: i64, tx_id: &str) {
    let t = SimTransfer {
        provider_tx_id: tx_id.into(),
        account_number: BOARD_ACCOUNT.into(),
        virtual_account: None,
        bank_name: Some("Vietcombank".into()),
        amount,
        direction: Direction::In,
        description: format!("{} nop phi cho", bill["reference"].as_str().unwrap()),
        bank_reference: Some(format!("FT{tx_id}")),
        order_id: None,
        occurred_at_unix: now_s(),
        counter_account: None,
        balance_after: None,
    };
    let signed = banknotify::sign(Provider::Casso, &t, common::PROVIDER_SECRET, now_s()).unwrap();
    let mut req = w
        .app
        .anonymous
        .post(w.app.url("/api/v1/notifications/casso"));
    for (k, v) in &signed.headers {
        req = req.header(k, v);
    }
    let r = req.body(signed.body).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

async fn cash(w: &World, bill: i64, amount: i64, key: &str) -> (u16, Value) {
    call(
        w,
        &w.manager_a,
        "POST",
        &format!("/api/v1/fee-bills/{bill}/cash"),
        json!({"amount": amount, "idempotency_key": key}),
    )
    .await
}

async fn bill(w: &World, id: i64) -> Value {
    let (s, v) = call(
        w,
        &w.manager_a,
        "GET",
        &format!("/api/v1/fee-bills/{id}"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v
}

#[tokio::test]
async fn generating_a_period_twice_creates_nothing_new() {
    let w = world().await;
    // Without the board's account nothing can be billed.
    let (s, v) = generate(&w, "2026-11").await;
    assert_eq!((s, v["code"].as_str()), (422, Some("no_market_account")));
    set_up_fees(&w).await;
    for bad in [
        json!({"period": "2026-13"}),
        json!({"period": "2026-11", "due_day": 31}),
    ] {
        let (s, _) = call(
            &w,
            &w.manager_a,
            "POST",
            &format!("/api/v1/markets/{}/fee-bills/generate", w.market_a),
            bad,
        )
        .await;
        assert_eq!(s, 422);
    }
    assert!(bills(&w, "2026-11").await.is_empty());
    let (s, r) = generate(&w, "2026-11").await;
    assert_eq!(s, 200, "{r}");
    // Two occupied stalls × (rent, sanitation); the vacant stall is not billed.
    assert_eq!(
        (r["created"].as_i64(), r["existing"].as_i64()),
        (Some(4), Some(0))
    );
    let first = bills(&w, "2026-11").await;
    assert_eq!(first.len(), 4);
    let (s, r) = generate(&w, "2026-11").await;
    assert_eq!(s, 200);
    assert_eq!(
        (r["created"].as_i64(), r["existing"].as_i64()),
        (Some(0), Some(4))
    );
    let again = bills(&w, "2026-11").await;
    // A period that is not YYYY-MM is an error, not an empty list.
    let (s, e) = call(
        &w,
        &w.manager_a,
        "GET",
        &format!("/api/v1/markets/{}/fee-bills?period=2026-13", w.market_a),
        Value::Null,
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (422, Some("validation_failed")),
        "{e}"
    );
    let ids = |b: &[Value]| {
        b.iter()
            .map(|b| (b["id"].as_i64(), b["payment_request_id"].as_i64()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&first),
        ids(&again),
        "same bills, same payment requests"
    );
    // The category schedule overrides the market-wide one of the same kind.
    assert_eq!(find(&again, w.stall_meat, "sanitation")["amount"], 50_000);
    assert_eq!(find(&again, w.stall_veg, "sanitation")["amount"], 30_000);
    // Due at the end of the 10th, Vietnam time (17:00 UTC).
    assert_eq!(
        find(&again, w.stall_veg, "rent")["due_at"],
        1_794_330_000_000_000i64
    );
    // Each bill has its own dynamic VietQR to the board's account for its amount.
    let rent = find(&again, w.stall_veg, "rent");
    let (_, req) = call(
        &w,
        &w.manager_a,
        "GET",
        &format!("/api/v1/payment-requests/{}", rent["payment_request_id"]),
        Value::Null,
    )
    .await;
    assert_eq!(req["kind"], "bill");
    assert_eq!(req["account_number"], BOARD_ACCOUNT);
    assert_eq!(req["amount"], 300_000);
    let qr = vietqr::decode(req["payload"].as_str().unwrap())
        .unwrap()
        .into_vietqr()
        .unwrap();
    assert_eq!(qr.account, BOARD_ACCOUNT);
    assert_eq!(qr.memo.as_deref(), rent["reference"].as_str());
    w.app.stop().await;
}

#[tokio::test]
async fn a_qr_payment_marks_the_bill_paid_cashless() {
    let w = world().await;
    set_up_fees(&w).await;
    generate(&w, "2026-11").await;
    let b = find(&bills(&w, "2026-11").await, w.stall_veg, "rent").clone();
    assert_eq!(b["status"], "open");
    pay_by_qr(&w, &b, 300_000, "880001").await;
    // The provider retries: nothing changes.
    pay_by_qr(&w, &b, 300_000, "880001").await;
    let after = bill(&w, b["id"].as_i64().unwrap()).await;
    assert_eq!(after["status"], "paid");
    assert_eq!(after["paid_cashless"], 300_000);
    assert_eq!(after["paid_cash"], 0);
    assert!(after["paid_at"].is_i64());
    assert_eq!(after["overdue"], false);
    // Paid into the board's account: no receipt of the stall's merchant.
    let receipts: Value = w
        .owner_1
        .get(w.app.url("/api/v1/receipts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(receipts.as_array().unwrap().len(), 0, "{receipts}");
    // Nothing more can be taken in cash.
    let (s, v) = cash(&w, b["id"].as_i64().unwrap(), 1, "k-after").await;
    assert_eq!((s, v["code"].as_str()), (422, Some("exceeds_remaining")));
    w.app.stop().await;
}

#[tokio::test]
async fn half_in_cash_half_by_qr_and_cash_never_exceeds_what_remains() {
    let w = world().await;
    set_up_fees(&w).await;
    generate(&w, "2026-11").await;
    let b = find(&bills(&w, "2026-11").await, w.stall_meat, "rent").clone();
    let id = b["id"].as_i64().unwrap();
    let (s, first) = cash(&w, id, 150_000, "cash-1").await;
    assert_eq!(s, 201, "{first}");
    let receipt_no = first["payment"]["receipt_no"].as_str().unwrap().to_string();
    assert!(
        receipt_no.starts_with(&format!("PT-{}-", w.market_a)) && receipt_no.ends_with("-00001"),
        "{receipt_no}"
    );
    assert_eq!(first["bill"]["status"], "partially_paid");
    // A retry answers the first payment and takes nothing more.
    let (s, retry) = cash(&w, id, 150_000, "cash-1").await;
    assert_eq!(s, 200);
    assert_eq!(retry["replayed"], true);
    assert_eq!(retry["payment"]["receipt_no"], receipt_no.as_str());
    // The same key for another amount is refused.
    let (s, v) = cash(&w, id, 10_000, "cash-1").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("idempotency_key_reused"))
    );
    // More than what remains is refused and changes nothing.
    let (s, v) = cash(&w, id, 150_001, "cash-2").await;
    assert_eq!((s, v["code"].as_str()), (422, Some("exceeds_remaining")));
    assert_eq!(v["details"]["remaining"], 150_000);
    let (s, _) = cash(&w, id, 0, "cash-3").await;
    assert_eq!(s, 422);
    let now = bill(&w, id).await;
    assert_eq!(
        (now["paid_cash"].as_i64(), now["status"].as_str()),
        (Some(150_000), Some("partially_paid"))
    );
    // The other half by QR.
    pay_by_qr(&w, &b, 150_000, "880002").await;
    let done = bill(&w, id).await;
    assert_eq!(done["status"], "paid");
    assert_eq!(
        (done["paid_cash"].as_i64(), done["paid_cashless"].as_i64()),
        (Some(150_000), Some(150_000))
    );
    // The printable receipt.
    let payment = first["payment"]["id"].as_i64().unwrap();
    let page = w
        .manager_a
        .get(w.app.url(&format!("/fee-receipts/{payment}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("PHIẾU THU") && html.contains(&receipt_no) && html.contains("150.000"),
        "{html}"
    );
    // Through the page's form too (a double submit records once).
    let rent_veg = find(&bills(&w, "2026-11").await, w.stall_veg, "rent")["id"]
        .as_i64()
        .unwrap();
    for _ in 0..2 {
        let r = w
            .manager_a
            .post(w.app.url(&format!("/fee-bills/{rent_veg}/cash")))
            .form(&[("amount", "100000"), ("idempotency_key", "form-1")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
    }
    assert_eq!(bill(&w, rent_veg).await["paid_cash"], 100_000);
    w.app.stop().await;
}

#[tokio::test]
async fn overdue_bills_are_reminded_once() {
    let w = world().await;
    set_up_fees(&w).await;
    // A past period: everything unpaid is overdue.
    generate(&w, "2026-01").await;
    let all = bills(&w, "2026-01").await;
    assert!(all.iter().all(|b| b["overdue"] == true));
    // One bill paid in full is not overdue any more, nor reminded.
    let paid = find(&all, w.stall_veg, "sanitation");
    cash(&w, paid["id"].as_i64().unwrap(), 30_000, "k").await;
    let path = format!("/api/v1/markets/{}/fee-bills/remind", w.market_a);
    let (s, r) = call(&w, &w.manager_a, "POST", &path, json!({})).await;
    assert_eq!(s, 200, "{r}");
    // Merchant 1 (one message for its one overdue bill); merchant 2 has no phone (two bills).
    assert_eq!(r["messages_sent"], 1);
    assert_eq!(r["bills_reminded"], 1);
    assert_eq!(r["no_phone"], 2);
    let sent = w.sms.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].phone, "0912345678");
    assert!(sent[0].content.contains("300.000"), "{}", sent[0].content);
    // Again at once: nothing is sent.
    let (_, r) = call(&w, &w.manager_a, "POST", &path, json!({})).await;
    assert_eq!(
        (r["messages_sent"].as_i64(), r["recently_reminded"].as_i64()),
        (Some(0), Some(1))
    );
    assert_eq!(w.sms.sent().len(), 1);
    // The page shows who is overdue.
    let html = w
        .manager_a
        .get(
            w.app
                .url(&format!("/markets/{}/fees?period=2026-01", w.market_a)),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Quá hạn") && html.contains("Hộ Thịt Hùng") && html.contains("Thu phí chợ"),
        "{html}"
    );
    let market = w
        .manager_a
        .get(w.app.url(&format!("/markets/{}", w.market_a)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        market.contains(&format!("/markets/{}/fees", w.market_a)),
        "the market page links to its fees"
    );
    w.app.stop().await;
}

#[tokio::test]
async fn only_the_market_board_runs_its_fees() {
    let w = world().await;
    set_up_fees(&w).await;
    generate(&w, "2026-11").await;
    let b = find(&bills(&w, "2026-11").await, w.stall_veg, "rent").clone();
    let id = b["id"].as_i64().unwrap();
    let a = w.market_a;
    // The manager of another market sees nothing of market A.
    for (method, path) in [
        ("GET", format!("/api/v1/markets/{a}/fee-bills")),
        ("GET", format!("/api/v1/markets/{a}/fee-schedules")),
        ("POST", format!("/api/v1/markets/{a}/fee-bills/generate")),
        ("GET", format!("/api/v1/fee-bills/{id}")),
        ("POST", format!("/api/v1/fee-bills/{id}/cash")),
        ("GET", format!("/markets/{a}/fees")),
    ] {
        let (s, _) = call(
            &w,
            &w.manager_b,
            method,
            &path,
            json!({"period": "2026-12", "amount": 1, "idempotency_key": "x"}),
        )
        .await;
        assert_eq!(s, 404, "{method} {path}");
    }
    let (s, _) = call(
        &w,
        &w.manager_b,
        "GET",
        &format!("/api/v1/markets/{}/fee-bills", w.market_b),
        Value::Null,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        bills(&w, "2026-12").await.len(),
        0,
        "nothing generated by the other manager"
    );
    // The merchant's owner reads its own bill but takes no cash.
    let (s, v) = call(
        &w,
        &w.owner_1,
        "GET",
        &format!("/api/v1/fee-bills/{id}"),
        Value::Null,
    )
    .await;
    assert_eq!((s, v["amount"].as_i64()), (200, Some(300_000)));
    let (s, _) = call(
        &w,
        &w.owner_1,
        "POST",
        &format!("/api/v1/fee-bills/{id}/cash"),
        json!({"amount": 1, "idempotency_key": "o"}),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(bill(&w, id).await["paid_cash"], 0);
    // Its own bills (only those of its stalls).
    let merchant = b["merchant_id"].as_i64().unwrap();
    let (s, mine) = call(
        &w,
        &w.owner_1,
        "GET",
        &format!("/api/v1/merchants/{merchant}/fee-bills"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(mine.as_array().unwrap().len(), 2);
    let page = w
        .owner_1
        .get(w.app.url(&format!("/merchants/{merchant}/fees")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Phí chợ phải nộp"));
    let merchant_page = w
        .owner_1
        .get(w.app.url(&format!("/merchants/{merchant}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        merchant_page.contains(&format!("/merchants/{merchant}/fees")),
        "linked from the merchant's page"
    );
    w.app.stop().await;
}

#[tokio::test]
async fn the_demo_has_bills_paid_every_way() {
    let app = TestApp::spawn_with(true).await;
    let db = app.running.as_ref().unwrap().state.db.clone();
    let market = halong::register::store::market_by_code(&db, "DEMO-QN-001")
        .await
        .unwrap()
        .unwrap();
    // The demo's payments agree with their requests: following them changes nothing.
    assert_eq!(halong::fees::sync_market(&db, market.id).await.unwrap(), 0);
    let bills = halong::fees::list_bills(&db, market.id, None)
        .await
        .unwrap();
    let count = |f: &dyn Fn(&halong::fees::Bill) -> bool| bills.iter().filter(|b| f(b)).count();
    assert!(
        count(&|b| b.status == "paid" && b.paid_cashless == b.amount) > 0,
        "paid by QR"
    );
    assert!(
        count(&|b| b.status == "paid" && b.paid_cash == b.amount) > 0,
        "paid in cash"
    );
    assert!(
        count(&|b| b.status == "paid" && b.paid_cash > 0 && b.paid_cashless > 0) > 0,
        "half and half"
    );
    assert!(count(&|b| b.overdue) > 0, "overdue");
    assert!(
        bills
            .iter()
            .all(|b| b.is_demo && b.payment_request_id.is_some())
    );
    let periods: std::collections::BTreeSet<&str> =
        bills.iter().map(|b| b.period.as_str()).collect();
    assert_eq!(periods.len(), 3);
    app.stop().await;
}

#[tokio::test]
async fn two_clerks_cannot_overpay_a_bill_together() {
    let w = world().await;
    set_up_fees(&w).await;
    generate(&w, "2026-11").await;
    let id = find(&bills(&w, "2026-11").await, w.stall_veg, "rent")["id"]
        .as_i64()
        .unwrap();
    let (a, b) = tokio::join!(
        cash(&w, id, 300_000, "clerk-1"),
        cash(&w, id, 300_000, "clerk-2")
    );
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 422]);
    let now = bill(&w, id).await;
    assert_eq!(
        (now["paid_cash"].as_i64(), now["status"].as_str()),
        (Some(300_000), Some("paid"))
    );
    w.app.stop().await;
}

#[tokio::test]
async fn schedules_are_checked_and_updated() {
    let w = world().await;
    let a = w.market_a;
    let path = format!("/api/v1/markets/{a}/fee-schedules");
    let (s, v) = call(
        &w,
        &w.manager_a,
        "POST",
        &path,
        json!({"kind": "parking", "amount": 0}),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(
        v["details"]["errors"].as_array().map(Vec::len),
        Some(2),
        "{v}"
    );
    let (s, created) = call(
        &w,
        &w.manager_a,
        "POST",
        &path,
        json!({"kind": "rent", "amount": 250_000}),
    )
    .await;
    assert_eq!(s, 201);
    // Creating it again sets its amount (200), no second schedule.
    let (s, again) = call(
        &w,
        &w.manager_a,
        "POST",
        &path,
        json!({"kind": "rent", "amount": 260_000}),
    )
    .await;
    assert_eq!(
        (s, again["id"].clone(), again["amount"].as_i64()),
        (200, created["id"].clone(), Some(260_000))
    );
    let put = format!("/api/v1/fee-schedules/{}", created["id"]);
    let (s, _) = call(&w, &w.manager_a, "PUT", &put, json!({"amount": -5})).await;
    assert_eq!(s, 422);
    let (s, v) = call(
        &w,
        &w.manager_a,
        "PUT",
        &put,
        json!({"amount": 280_000, "active": false}),
    )
    .await;
    assert_eq!(
        (s, v["amount"].as_i64(), v["active"].as_bool()),
        (200, Some(280_000), Some(false))
    );
    let (s, _) = call(&w, &w.manager_b, "PUT", &put, json!({"amount": 1})).await;
    assert_eq!(s, 404);
    let (_, list) = call(&w, &w.manager_a, "GET", &path, Value::Null).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["amount"], 280_000);
    w.app.stop().await;
}

/// A gateway that is down.
struct Down;

impl halong::sms::SmsSender for Down {
    fn send<'a>(&'a self, _: &'a str, _: &'a str) -> halong::sms::SendFuture<'a> {
        Box::pin(async { Err(halong::sms::SmsError::Transport("down".into())) })
    }
}

#[tokio::test]
async fn a_reminder_that_could_not_be_sent_is_tried_again() {
    let w = world().await;
    set_up_fees(&w).await;
    generate(&w, "2026-01").await;
    let db = w.app.running.as_ref().unwrap().state.db.clone();
    let r = halong::fees::remind(&db, &Down, w.market_a, None)
        .await
        .unwrap();
    assert_eq!((r.messages_sent, r.failed), (0, 2));
    let path = format!("/api/v1/markets/{}/fee-bills/remind", w.market_a);
    let (_, r) = call(&w, &w.manager_a, "POST", &path, json!({})).await;
    assert_eq!(
        (r["messages_sent"].as_i64(), r["bills_reminded"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(w.sms.sent().len(), 1);
    let outcomes: Vec<String> = halong::with_db!(&db, p => sqlx::query_scalar(
        "SELECT outcome FROM fee_reminders ORDER BY id").fetch_all(p).await)
    .unwrap();
    assert_eq!(outcomes, ["failed", "failed", "sent", "sent"]);
    w.app.stop().await;
}
