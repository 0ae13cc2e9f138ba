//! Payment requests and bank notifications end to end: signed webhooks of every provider,
//! exactly-once recording, matching, late payments, scoping and the live stream.

mod common;

use banknotify::{Direction, Provider, SimTransfer};
use common::{TestApp, client_with_token, token_for};
use serde_json::{Value, json};

const SECRET: &str = common::PROVIDER_SECRET;

struct Shop {
    app: TestApp,
    owner: reqwest::Client,
    stall: i64,
    account: String,
}

async fn shop() -> Shop {
    let app = TestApp::spawn().await;
    let (_, m) = app.post_json("/api/v1/markets", &json!({"code": "HL-1", "name": "Chợ Hạ Long I", "place_code": "06685", "business_points": 450})).await;
    let mut ids = Vec::new();
    for (tax, account) in [
        ("0100233488", "0011012345678"),
        ("5700100256", "9988776655"),
    ] {
        let (_, r) = app.post_json("/api/v1/merchants", &json!({"tax_code": tax, "name": format!("Hộ {tax}"), "owner_name": "Chủ", "place_code": "06685", "payment_methods": ["cash", "vietqr"]})).await;
        let rid = r["id"].as_i64().unwrap();
        app.post_json(
            &format!("/api/v1/merchants/{rid}/bank-accounts"),
            &json!({"bank_bin": "970436", "account_number": account, "holder_name": "CHU"}),
        )
        .await;
        let (_, s) = app.post_json("/api/v1/stalls", &json!({"market_id": m["id"], "code": format!("A-{}", ids.len() + 1), "merchant_id": rid})).await;
        ids.push((rid, s["id"].as_i64().unwrap()));
    }
    let db = app.running.as_ref().unwrap().state.db.clone();
    let owner = client_with_token(&token_for(&db, "0911222333", "merchant_owner", ids[0].0).await);
    Shop {
        app,
        owner,
        stall: ids[0].1,
        account: "0011012345678".into(),
    }
}

fn transfer(id: &str, account: &str, amount: i64, memo: &str) -> SimTransfer {
    SimTransfer {
        provider_tx_id: id.into(),
        account_number: account.into(),
        virtual_account: None,
        bank_name: Some("Vietcombank".into()),
        amount,
        direction: Direction::In,
        description: memo.into(),
        bank_reference: Some(format!("FT{id}")),
        order_id: None,
        occurred_at_unix: now_s(),
        counter_account: None,
        balance_after: None,
    }
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Sends a correctly signed notification in the provider's own format.
async fn notify(s: &Shop, provider: Provider, t: &SimTransfer) -> (u16, String) {
    let signed = banknotify::sign(provider, t, SECRET, now_s()).unwrap();
    send_raw(s, provider, &signed.headers, signed.body).await
}

async fn send_raw(
    s: &Shop,
    provider: Provider,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> (u16, String) {
    let mut req = s
        .app
        .anonymous
        .post(s.app.url(&format!("/api/v1/notifications/{provider}")));
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let r = req.body(body).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn request(s: &Shop, amount: i64) -> Value {
    let r = s
        .owner
        .post(s.app.url("/api/v1/payment-requests"))
        .json(&json!({"stall_id": s.stall, "amount": amount}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

async fn request_status(s: &Shop, id: &Value) -> (String, i64) {
    let r: Value = s
        .owner
        .get(s.app.url(&format!("/api/v1/payment-requests/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        r["status"].as_str().unwrap().to_string(),
        r["paid_amount"].as_i64().unwrap(),
    )
}

async fn receipts(s: &Shop, client: &reqwest::Client) -> Vec<Value> {
    let v: Value = client
        .get(s.app.url("/api/v1/receipts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_request_is_paid_once_whatever_the_retries() {
    let s = shop().await;
    let r = request(&s, 35_000).await;
    let reference = r["reference"].as_str().unwrap().to_string();
    let decoded = vietqr::decode(r["payload"].as_str().unwrap())
        .unwrap()
        .into_vietqr()
        .unwrap();
    assert_eq!(
        (decoded.amount, decoded.memo.as_deref()),
        (Some(35_000), Some(reference.as_str()))
    );
    assert_eq!(decoded.account, s.account);

    // Banks mangle the memo; the reference is still found.
    let memo = format!("MBVCB.1234.5678.{} CHUYEN TIEN", reference.to_lowercase());
    let t = transfer("1001", &s.account, 35_000, &memo);
    let (status, ack) = notify(&s, Provider::Payos, &t).await;
    assert_eq!(status, 200, "{ack}");
    for _ in 0..3 {
        let (status, _) = notify(&s, Provider::Payos, &t).await;
        assert_eq!(status, 200, "a retry is acknowledged");
    }
    assert_eq!(request_status(&s, &r["id"]).await, ("paid".into(), 35_000));
    let list = receipts(&s, &s.owner).await;
    assert_eq!(list.len(), 1, "stored exactly once");
    assert_eq!(
        (list[0]["match_kind"].as_str(), list[0]["stall_id"].as_i64()),
        (Some("reference"), Some(s.stall))
    );
    s.app.stop().await;
}

#[tokio::test]
async fn every_provider_format_is_accepted_and_checked() {
    let s = shop().await;
    let mut unsigned_bodies = 0;
    for (i, provider) in Provider::ALL.into_iter().enumerate() {
        let t = transfer(
            &format!("200{i}"),
            &s.account,
            10_000 + i as i64,
            "TIEN HANG",
        );
        let (status, body) = notify(&s, provider, &t).await;
        assert_eq!(status, 200, "{provider}: {body}");
        // The same body with one amount changed fails the signature (where the scheme signs it).
        let signed = banknotify::sign(
            provider,
            &transfer(&format!("300{i}"), &s.account, 20_000, "X"),
            SECRET,
            now_s(),
        )
        .unwrap();
        let tampered = String::from_utf8(signed.body)
            .unwrap()
            .replace("20000", "90000");
        let (status, _) = send_raw(&s, provider, &signed.headers, tampered.into_bytes()).await;
        let body_signed = signed
            .headers
            .iter()
            .any(|(k, _)| k.to_lowercase().contains("signature"))
            || matches!(provider, Provider::Payos);
        if body_signed {
            assert_eq!(status, 401, "{provider} rejects a tampered body");
        } else {
            // VietQR.vn's bearer token and SePay's API key do not cover the body
            // (docs/banknotify.md): the provider's TLS channel is what protects it.
            assert_eq!(status, 200, "{provider}");
            unsigned_bodies += 1;
        }
        // Wrong key.
        let wrong = banknotify::sign(
            provider,
            &transfer(&format!("400{i}"), &s.account, 1, "X"),
            "another-secret-0000000000",
            now_s(),
        )
        .unwrap();
        let (status, _) = send_raw(&s, provider, &wrong.headers, wrong.body).await;
        assert_eq!(status, 401, "{provider} rejects a wrong key");
    }
    assert_eq!(receipts(&s, &s.app.client).await.len(), 4 + unsigned_bodies);
    assert!(unsigned_bodies <= 2);
    // A stale Casso timestamp is refused.
    let old = banknotify::sign(
        Provider::Casso,
        &transfer("5001", &s.account, 5, "X"),
        SECRET,
        now_s() - 3600,
    )
    .unwrap();
    let (status, _) = send_raw(&s, Provider::Casso, &old.headers, old.body).await;
    assert_eq!(status, 401);
    s.app.stop().await;
}

#[tokio::test]
async fn partial_over_static_unmatched_and_late_payments() {
    let s = shop().await;
    // Partial, then the rest.
    let r = request(&s, 100_000).await;
    let reference = r["reference"].as_str().unwrap();
    notify(
        &s,
        Provider::Sepay,
        &transfer("6001", &s.account, 40_000, reference),
    )
    .await;
    assert_eq!(
        request_status(&s, &r["id"]).await,
        ("partially_paid".into(), 40_000)
    );
    notify(
        &s,
        Provider::Sepay,
        &transfer("6002", &s.account, 70_000, reference),
    )
    .await;
    assert_eq!(
        request_status(&s, &r["id"]).await,
        ("overpaid".into(), 110_000)
    );

    // No reference but exact amount to the account of an open request: a weaker match.
    let r2 = request(&s, 12_345).await;
    notify(
        &s,
        Provider::Casso,
        &transfer("6003", &s.account, 12_345, "chuyen tien"),
    )
    .await;
    assert_eq!(request_status(&s, &r2["id"]).await, ("paid".into(), 12_345));

    // A static-code transfer: recorded as a receipt of the stall.
    notify(
        &s,
        Provider::Casso,
        &transfer("6004", &s.account, 5_000, "HL-1 A-1 mua rau"),
    )
    .await;
    // A transfer to an account nobody registered: queued as unmatched (seen by administrators).
    notify(
        &s,
        Provider::Casso,
        &transfer("6005", "123123123", 7_000, "???"),
    )
    .await;
    let all = receipts(&s, &s.app.client).await;
    let kind = |tx: i64| {
        all.iter().find(|x| x["amount"] == tx).unwrap()["match_kind"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(kind(12_345), "account_amount");
    assert_eq!(kind(5_000), "static");
    assert_eq!(kind(7_000), "unmatched");

    // A payment after the request expired is kept and flagged late; the request stays expired.
    let r3 = request(&s, 8_000).await;
    let db = s.app.running.as_ref().unwrap().state.db.clone();
    halong::with_db!(&db, p => sqlx::query("UPDATE payment_requests SET expires_at = 1 WHERE id = $1")
        .bind(r3["id"].as_i64().unwrap()).execute(p).await.map(|_| ())).unwrap();
    notify(
        &s,
        Provider::Vietqr,
        &transfer("6006", &s.account, 8_000, r3["reference"].as_str().unwrap()),
    )
    .await;
    assert_eq!(
        request_status(&s, &r3["id"]).await,
        ("expired".into(), 8_000)
    );
    let late = receipts(&s, &s.owner)
        .await
        .into_iter()
        .find(|x| x["amount"] == 8_000)
        .unwrap();
    assert_eq!(
        (late["late"].as_bool(), late["match_kind"].as_str()),
        (Some(true), Some("reference"))
    );

    // The other merchant's owner sees none of it; this owner does not see the unmatched one.
    let db2 = s.app.running.as_ref().unwrap().state.db.clone();
    let other_id = halong::register::store::list_merchants(
        &db2,
        &halong::register::ListQuery {
            q: Some("5700100256".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items[0]
        .id;
    let other = client_with_token(&token_for(&db2, "0911222444", "merchant_owner", other_id).await);
    assert!(receipts(&s, &other).await.is_empty());
    assert!(
        receipts(&s, &s.owner)
            .await
            .iter()
            .all(|x| x["match_kind"] != "unmatched")
    );
    let totals: Value = s
        .owner
        .get(s.app.url("/api/v1/receipts/totals"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        totals["stalls"][0]["amount"].as_i64(),
        Some(40_000 + 70_000 + 12_345 + 5_000 + 8_000)
    );
    s.app.stop().await;
}

#[tokio::test]
async fn the_merchant_sees_each_payment_as_it_lands() {
    let s = shop().await;
    let mut stream = s
        .owner
        .get(s.app.url("/api/v1/receipts/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let started = std::time::Instant::now();
    let (status, _) = notify(
        &s,
        Provider::Payos,
        &transfer("7001", &s.account, 35_000, "HL-1 A-1"),
    )
    .await;
    assert_eq!(status, 200);
    let mut seen = String::new();
    while !seen.contains("event: receipt") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), stream.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("\"amount\":35000"), "{seen}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "within a second or so: {:?}",
        started.elapsed()
    );
    let page = s
        .owner
        .get(s.app.url("/live"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Tiền về hôm nay") && page.contains("35.000") && page.contains("Đã nhận")
    );
    // The open stream ends when the server shuts down: stopping does not hang on it.
    tokio::time::timeout(std::time::Duration::from_secs(10), s.app.stop())
        .await
        .expect("graceful stop with an open stream");
    drop(stream);
}

/// The bank simulator pays codes with duplicated, delayed (reordered) and dropped
/// notifications; every acknowledged transfer is counted exactly once, dropped ones not at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_simulator_with_faults_counts_each_payment_once() {
    use halong::sim_bank::{BankSim, Faults, scan_and_pay};
    let s = shop().await;
    let r = request(&s, 50_000).await;
    let stall_code = s
        .owner
        .get(s.app.url(&format!("/api/v1/stalls/{}/sign", s.stall)))
        .send()
        .await
        .unwrap();
    assert_eq!(stall_code.status(), 200);
    let static_payload = {
        let db = s.app.running.as_ref().unwrap().state.db.clone();
        halong::qr::stall_code(&db, s.stall)
            .await
            .unwrap()
            .unwrap()
            .qr
            .encode()
            .unwrap()
    };
    let mut payments = vec![scan_and_pay(r["payload"].as_str().unwrap(), None, "900000").unwrap()];
    for i in 1..120 {
        payments.push(
            scan_and_pay(
                &static_payload,
                Some(1_000 + i),
                &format!("{}", 900_000 + i),
            )
            .unwrap(),
        );
    }
    let sim = BankSim {
        target: format!("http://{}", s.app.addr),
        provider: Provider::Payos,
        secret: SECRET.into(),
        faults: Faults {
            duplicate_pct: 40,
            drop_pct: 10,
            max_delay: std::time::Duration::from_millis(100),
        },
        seed: 7,
    };
    let report = sim.run(payments.clone(), 16).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(
        report.duplicates_sent > 20 && !report.dropped.is_empty(),
        "faults happened: {report:?}"
    );
    assert_eq!(report.acknowledged.len() + report.dropped.len(), 120);
    let stored: Value = s
        .app
        .client
        .get(s.app.url("/api/v1/receipts?limit=500"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut ids: Vec<i64> = stored
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["amount"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    let mut expected: Vec<i64> = payments
        .iter()
        .filter(|p| report.acknowledged.contains(&p.provider_tx_id))
        .map(|p| p.amount)
        .collect();
    expected.sort_unstable();
    assert_eq!(
        ids, expected,
        "each acknowledged payment exactly once, dropped ones absent"
    );
    if report.acknowledged.contains(&"900000".to_string()) {
        assert_eq!(request_status(&s, &r["id"]).await, ("paid".into(), 50_000));
    }
    // The CLI runs the same simulator.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_halong"))
        .args([
            "sim",
            "bank",
            "--target",
            &format!("http://{}", s.app.addr),
            "--provider",
            "sepay",
            "--payload",
            &static_payload,
            "--amount",
            "2500",
            "--count",
            "3",
        ])
        .env("HALONG_SIM_SECRET", SECRET)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli["acknowledged"].as_array().unwrap().len(), 3);
    s.app.stop().await;
}

#[tokio::test]
async fn an_unmatched_receipt_is_assigned_by_hand_once() {
    let s = shop().await;
    notify(
        &s,
        Provider::Casso,
        &transfer("8001", "555000111", 9_000, "khong ro"),
    )
    .await;
    let page = s.app.get("/unmatched").await.text().await.unwrap();
    assert!(page.contains("9.000") && page.contains("khong ro"));
    let id = receipts(&s, &s.app.client).await[0]["id"].as_i64().unwrap();
    let (status, r) = s
        .app
        .post_json(
            &format!("/api/v1/receipts/{id}/assign"),
            &json!({"stall_id": s.stall}),
        )
        .await;
    assert_eq!(
        (status, r["match_kind"].as_str(), r["stall_id"].as_i64()),
        (200, Some("manual"), Some(s.stall))
    );
    let (status, e) = s
        .app
        .post_json(
            &format!("/api/v1/receipts/{id}/assign"),
            &json!({"stall_id": s.stall}),
        )
        .await;
    assert_eq!(
        (status, e["code"].as_str()),
        (409, Some("not_unmatched")),
        "matched receipts are not edited"
    );
    assert_eq!(
        receipts(&s, &s.owner).await.len(),
        1,
        "the stall's owner now sees it"
    );
    s.app.stop().await;
}

#[tokio::test]
async fn a_bank_statement_is_reconciled_and_missing_lines_posted_once() {
    let s = shop().await;
    notify(
        &s,
        Provider::Payos,
        &transfer("8101", &s.account, 11_000, "HL-1 A-1"),
    )
    .await;
    notify(
        &s,
        Provider::Payos,
        &transfer("8102", &s.account, 22_000, "HL-1 A-1"),
    )
    .await;
    let now = halong::web::local_time(halong::db::now_micros());
    let (d, m, y) = (&now[0..2], &now[3..5], &now[6..10]);
    let today = format!("{y}-{m}-{d}");
    let time = format!("{today} {}", &now[11..19]);
    // The statement has the first (by the bank's id), a line nobody reported, and a debit.
    let csv = format!(
        "Mã giao dịch,Thời gian,Số tiền,Nội dung\nFT8101,{time},11.000,HL-1 A-1\nFT9999,{time},33.000,tien hang\nFT9998,{time},-1.000,phi\n"
    );
    let url = s.app.url(&format!(
        "/api/v1/statements/reconcile?account={}&from={today}&to={today}",
        s.account
    ));
    let r: Value = s
        .app
        .client
        .post(&url)
        .body(csv)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["matched"], 1, "{r}");
    assert_eq!(r["missing_in_halong"][0]["transaction_id"], "FT9999");
    assert_eq!(r["missing_in_statement"][0]["amount"], 22_000);
    let post = json!({"account": s.account, "lines": r["missing_in_halong"]});
    let (status, p) = s.app.post_json("/api/v1/statements/post", &post).await;
    assert_eq!((status, p["posted"].as_i64()), (200, Some(1)));
    let (_, p) = s.app.post_json("/api/v1/statements/post", &post).await;
    assert_eq!(
        (p["posted"].as_i64(), p["already"].as_i64()),
        (Some(0), Some(1)),
        "posting twice changes nothing"
    );
    let all = receipts(&s, &s.owner).await;
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["provider"], "statement");
    assert_eq!(
        all[0]["match_kind"], "static",
        "a posted line is matched like a notification"
    );
    s.app.stop().await;
}

fn notification(
    id: &str,
    account: &str,
    amount: i64,
    memo: &str,
    at: i64,
) -> banknotify::Notification {
    banknotify::Notification {
        provider: Provider::Casso,
        provider_tx_id: id.into(),
        account_number: account.into(),
        virtual_account: None,
        bank_bin: None,
        bank_name: None,
        amount,
        direction: Direction::In,
        description: memo.into(),
        reference: banknotify::extract_reference(memo, banknotify::DEFAULT_PREFIX),
        bank_reference: None,
        order_id: None,
        occurred_at_unix: at,
        time_from_provider: true,
        counter_account: None,
        balance_after: None,
        is_test: false,
        raw: json!({}),
    }
}

/// The writer matches a whole group with a few batched reads; every rule must give what the
/// one-by-one matcher gives, whatever else is in the group.
#[tokio::test]
async fn batch_matching_agrees_with_one_by_one() {
    let s = shop().await;
    let db = s.app.running.as_ref().unwrap().state.db.clone();
    // A second stall of the same merchant, named in some memos.
    let stall = halong::register::store::get_stall(&db, s.stall)
        .await
        .unwrap()
        .unwrap();
    let (status, _) = s
        .app
        .post_json(
            "/api/v1/stalls",
            &json!({"market_id": stall.market_id, "code": "B-9", "merchant_id": stall.merchant_id}),
        )
        .await;
    assert_eq!(status, 201);
    let open = request(&s, 21_000).await;
    let expired = request(&s, 22_000).await;
    let by_amount = request(&s, 23_000).await;
    let old = request(&s, 24_000).await;
    halong::with_db!(&db, p => sqlx::query(
        "UPDATE payment_requests SET status = 'expired', expires_at = $2 WHERE id = $1")
        .bind(expired["id"].as_i64().unwrap()).bind(halong::db::now_micros() - 1_000_000)
        .execute(p).await.map(|_| ()))
    .unwrap();
    // Expired an hour ago: beyond the grace period of an amount match.
    halong::with_db!(&db, p => sqlx::query(
        "UPDATE payment_requests SET status = 'expired', expires_at = $2 WHERE id = $1")
        .bind(old["id"].as_i64().unwrap()).bind(halong::db::now_micros() - 3_600_000_000)
        .execute(p).await.map(|_| ()))
    .unwrap();
    let t = now_s();
    let reference = |r: &Value| r["reference"].as_str().unwrap().to_string();
    let mut out = notification("o1", &s.account, 1_000, "rut tien", t);
    out.direction = Direction::Out;
    let group = vec![
        notification("b1", &s.account, 21_000, &reference(&open), t),
        notification("b2", &s.account, 22_000, &reference(&expired), t),
        notification("b3", &s.account, 23_000, "chuyen khoan", t),
        notification("b4", &s.account, 24_000, "chuyen khoan", t),
        notification("b5", &s.account, 5_000, "HL-1 B-9 mua ca", t),
        notification("b6", &s.account, 5_000, "mua rau", t),
        notification("b7", "9988776655", 6_000, "A-2", t),
        notification("b8", "000000000", 7_000, "???", t),
        notification("b9", &s.account, 21_000, "HLZZZZZZZZ unknown reference", t),
        notification("b10", &s.account, 23_000, "early", t - 3_600),
        out,
    ];
    let refs: Vec<&banknotify::Notification> = group.iter().collect();
    let batch = halong::receipts::notify::match_batch(&db, &refs)
        .await
        .unwrap();
    let mut one_by_one = Vec::new();
    for n in &group {
        one_by_one.push(
            halong::receipts::notify::match_transfer(&db, n)
                .await
                .unwrap(),
        );
    }
    assert_eq!(batch, one_by_one);
    let kinds: Vec<&str> = batch.iter().map(|m| m.match_kind).collect();
    assert_eq!(
        kinds,
        [
            "reference",
            "reference",
            "account_amount",
            "static",
            "static",
            "static",
            "static",
            "unmatched",
            "account_amount",
            "static",
            "outgoing"
        ]
    );
    assert!(batch[1].late && !batch[0].late);
    assert_eq!(batch[2].payment_request_id, by_amount["id"].as_i64());
    assert_eq!(
        batch[8].payment_request_id,
        open["id"].as_i64(),
        "an unknown reference falls back to the amount"
    );
    assert_ne!(
        batch[4].stall_id, batch[5].stall_id,
        "the memo names the second stall"
    );
    s.app.stop().await;
}

/// One group may hold a transaction twice (a provider's quick retry) and one stored earlier:
/// only the first copy is new, and the request is paid once.
#[tokio::test]
async fn a_group_with_repeats_stores_and_pays_once() {
    let s = shop().await;
    let db = s.app.running.as_ref().unwrap().state.db.clone();
    let r = request(&s, 31_000).await;
    let memo = r["reference"].as_str().unwrap().to_string();
    let earlier = notification("g0", &s.account, 5_000, "HL-1 A-1", now_s());
    let n = notification("g1", &s.account, 31_000, &memo, now_s());
    let group = [&earlier, &n, &n, &earlier];
    let first = halong::receipts::notify::match_batch(&db, &group[..1])
        .await
        .unwrap();
    halong::receipts::notify::store_batch(&db, &[(&earlier, &first[0])])
        .await
        .unwrap();
    let matched = halong::receipts::notify::match_batch(&db, &group)
        .await
        .unwrap();
    let items: Vec<_> = group.iter().copied().zip(matched.iter()).collect();
    let new = halong::receipts::notify::store_batch(&db, &items)
        .await
        .unwrap();
    assert_eq!(new, [false, true, false, false]);
    assert_eq!(request_status(&s, &r["id"]).await, ("paid".into(), 31_000));
    assert_eq!(receipts(&s, &s.app.client).await.len(), 2);
    s.app.stop().await;
}
