//! Receipts paid without a bank notification (card, e-wallet, cash), daily totals by stall and
//! method, refunds and corrections as new ledger transfers, and the statement reconciliation
//! page. Runs on SQLite, or on PostgreSQL with `HALONG_TEST_DATABASE_URL`.

mod common;

use std::time::Duration;

use banknotify::{Direction, Provider, SimTransfer};
use common::{TestApp, client_with_token, token_for};
use halong::db::{Db, now_micros};
use halong::receipts::{DirectReceipt, Method, record_direct};
use serde_json::{Value, json};

struct Shop {
    app: TestApp,
    db: Db,
    /// Owner of merchant A (stall A).
    owner_a: reqwest::Client,
    owner_b: reqwest::Client,
    cashier_a: reqwest::Client,
    /// (merchant, stall) for A and B.
    a: (i64, i64),
    b: (i64, i64),
    account_a: String,
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
    let owner_a =
        client_with_token(&token_for(&db, "0911222333", "merchant_owner", ids[0].0).await);
    let owner_b =
        client_with_token(&token_for(&db, "0911222444", "merchant_owner", ids[1].0).await);
    let cashier_a =
        client_with_token(&token_for(&db, "0911222555", "merchant_cashier", ids[0].0).await);
    Shop {
        app,
        db,
        owner_a,
        owner_b,
        cashier_a,
        a: ids[0],
        b: ids[1],
        account_a: "0011012345678".into(),
    }
}

fn now_s() -> i64 {
    now_micros() / 1_000_000
}

fn sale(stall: i64, amount: i64, method: Method, external_id: &str) -> DirectReceipt {
    DirectReceipt {
        stall_id: Some(stall),
        merchant_id: None,
        amount,
        method,
        source: "cashier".into(),
        external_id: external_id.into(),
        at: now_micros(),
        description: "Bán rau".into(),
    }
}

/// A correctly signed payOS notification of a transfer to `account`.
async fn notify(s: &Shop, id: &str, account: &str, amount: i64, memo: &str) {
    let t = SimTransfer {
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
    };
    let signed = banknotify::sign(Provider::Payos, &t, common::PROVIDER_SECRET, now_s()).unwrap();
    let mut req = s
        .app
        .anonymous
        .post(s.app.url("/api/v1/notifications/payos"));
    for (k, v) in &signed.headers {
        req = req.header(k, v);
    }
    let r = req.body(signed.body).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    halong::with_db!(db, p => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await).unwrap()
}

/// Waits until the posting task has posted every receipt and adjustment, then checks that the
/// ledger balances.
async fn settle(db: &Db) {
    for _ in 0..200 {
        let left = count(
            db,
            "SELECT (SELECT COUNT(*) FROM incoming_transfers WHERE ledger_posted = FALSE \
             AND merchant_id IS NOT NULL) + (SELECT COUNT(*) FROM receipt_adjustments \
             WHERE ledger_posted = FALSE)",
        )
        .await;
        if left == 0 {
            let report = halong::payments::ledger_store::check_invariants(db)
                .await
                .unwrap();
            assert!(report.is_ok(), "{report:?}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the ledger did not catch up");
}

/// The merchant's receipts account in the ledger: credits − debits (đồng).
async fn merchant_balance(db: &Db, merchant: i64) -> i64 {
    let (c, d): (i64, i64) = halong::with_db!(db, p => sqlx::query_as(
        "SELECT credits_posted, debits_posted FROM ledger_accounts WHERE code = 2100 \
         AND user_data_64 = $1").bind(merchant).fetch_optional(p).await)
    .unwrap()
    .unwrap_or((0, 0));
    c - d
}

async fn post(client: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let r = client.post(url).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn get(client: &reqwest::Client, url: String) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn a_direct_sale_is_recorded_once_and_posted() {
    let s = shop().await;
    let card = sale(s.a.1, 120_000, Method::Card, "HD-0001");
    let id = record_direct(&s.db, &card).await.unwrap();
    assert_eq!(
        record_direct(&s.db, &card).await.unwrap(),
        id,
        "a retry answers the same receipt"
    );
    // The same key with other content is refused, and changes nothing.
    let e = record_direct(
        &s.db,
        &DirectReceipt {
            amount: 99_000,
            ..card.clone()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        (e.status.as_u16(), e.body.code.as_str()),
        (409, "external_id_reused")
    );
    // Bad input stores nothing.
    for bad in [
        DirectReceipt {
            amount: 0,
            external_id: "HD-x1".into(),
            ..card.clone()
        },
        DirectReceipt {
            method: Method::Transfer,
            external_id: "HD-x2".into(),
            ..card.clone()
        },
        DirectReceipt {
            source: "payos".into(),
            external_id: "HD-x3".into(),
            ..card.clone()
        },
        DirectReceipt {
            stall_id: Some(999_999),
            external_id: "HD-x4".into(),
            ..card.clone()
        },
        DirectReceipt {
            merchant_id: Some(s.b.0),
            external_id: "HD-x5".into(),
            ..card.clone()
        },
    ] {
        let e = record_direct(&s.db, &bad).await.unwrap_err();
        assert_eq!(e.status.as_u16(), 422, "{bad:?}");
    }
    // A merchant-level sale (no stall).
    let cash = DirectReceipt {
        stall_id: None,
        merchant_id: Some(s.b.0),
        ..sale(0, 7_000, Method::Cash, "HD-0002")
    };
    record_direct(&s.db, &cash).await.unwrap();
    assert_eq!(
        count(&s.db, "SELECT COUNT(*) FROM incoming_transfers").await,
        2
    );

    // The owner sees it (with its method) in the list and in the event stream.
    let list = get(&s.owner_a, s.app.url("/api/v1/receipts")).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (
            &list[0]["id"],
            &list[0]["method"],
            &list[0]["amount"],
            &list[0]["refunded"]
        ),
        (&json!(id), &json!("card"), &json!(120_000), &json!(0))
    );
    let mut stream = s
        .owner_a
        .get(
            s.app
                .url(&format!("/api/v1/receipts/stream?since_id={}", id - 1)),
        )
        .send()
        .await
        .unwrap();
    let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&chunk);
    assert!(
        text.contains("event: receipt") && text.contains("\"method\":\"card\""),
        "{text}"
    );
    drop(stream);

    // Posted like the bank receipts: the merchants' accounts hold exactly the sales.
    settle(&s.db).await;
    assert_eq!(merchant_balance(&s.db, s.a.0).await, 120_000);
    assert_eq!(merchant_balance(&s.db, s.b.0).await, 7_000);
    s.app.stop().await;
}

#[tokio::test]
async fn totals_by_stall_and_method_net_of_refunds() {
    let s = shop().await;
    notify(&s, "9001", &s.account_a, 35_000, "HL-1 A-1").await;
    record_direct(&s.db, &sale(s.a.1, 20_000, Method::Card, "T-1"))
        .await
        .unwrap();
    let cash = record_direct(&s.db, &sale(s.a.1, 10_000, Method::Cash, "T-2"))
        .await
        .unwrap();
    record_direct(&s.db, &sale(s.a.1, 4_000, Method::Ewallet, "T-3"))
        .await
        .unwrap();
    record_direct(&s.db, &sale(s.b.1, 8_000, Method::Cash, "T-4"))
        .await
        .unwrap();
    // Yesterday's sale is not today's.
    let yesterday = DirectReceipt {
        at: now_micros() - 86_400 * 1_000_000,
        ..sale(s.a.1, 1_000_000, Method::Cash, "T-0")
    };
    record_direct(&s.db, &yesterday).await.unwrap();
    let (status, _) = post(
        &s.app.client,
        s.app.url(&format!("/api/v1/receipts/{cash}/refunds")),
        json!({"amount": 3_000, "reason": "Trả lại hàng hỏng", "idempotency_key": "r1"}),
    )
    .await;
    assert_eq!(status, 201);

    let t = get(&s.app.client, s.app.url("/api/v1/receipts/totals")).await;
    assert_eq!(
        (t["count"].as_i64(), t["amount"].as_i64()),
        (Some(5), Some(35_000 + 20_000 + 7_000 + 4_000 + 8_000)),
        "{t}"
    );
    assert_eq!(t["refunded"], 3_000);
    let by_method: Vec<(String, i64, i64)> = t["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["method"].as_str().unwrap().to_string(),
                m["count"].as_i64().unwrap(),
                m["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_method,
        [
            ("transfer".to_string(), 1, 35_000),
            ("card".to_string(), 1, 20_000),
            ("ewallet".to_string(), 1, 4_000),
            ("cash".to_string(), 2, 10_000 - 3_000 + 8_000),
        ]
    );
    let stall_a = t["stalls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["stall_id"] == s.a.1)
        .unwrap()
        .clone();
    assert_eq!(stall_a["amount"], 35_000 + 20_000 + 7_000 + 4_000);
    let cash_a = stall_a["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["method"] == "cash")
        .unwrap()
        .clone();
    assert_eq!(
        (
            cash_a["received"].as_i64(),
            cash_a["refunded"].as_i64(),
            cash_a["amount"].as_i64()
        ),
        (Some(10_000), Some(3_000), Some(7_000))
    );
    // Scoped: B's owner sees only stall B.
    let tb = get(&s.owner_b, s.app.url("/api/v1/receipts/totals")).await;
    assert_eq!(tb["stalls"].as_array().unwrap().len(), 1);
    assert_eq!(tb["amount"], 8_000);
    // Another day, and a malformed one.
    let day = {
        let t = halong::web::local_time(now_micros() - 86_400 * 1_000_000);
        format!("{}-{}-{}", &t[6..10], &t[3..5], &t[0..2])
    };
    let ty = get(
        &s.app.client,
        s.app.url(&format!("/api/v1/receipts/totals?day={day}")),
    )
    .await;
    assert_eq!(ty["amount"], 1_000_000);
    let r = s.app.get("/api/v1/receipts/totals?day=hôm-qua").await;
    assert_eq!(r.status(), 422);
    // The live page shows the same, in Vietnamese.
    let page = s
        .owner_a
        .get(s.app.url("/live"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Theo hình thức") && page.contains("Tiền mặt") && page.contains("Ví điện tử")
    );
    assert!(page.contains("66.000 đ"), "A's net total today");
    assert!(page.contains("đã hoàn 3.000 đ"));
    settle(&s.db).await;
    s.app.stop().await;
}

#[tokio::test]
async fn partial_refunds_up_to_the_receipt_then_refused() {
    let s = shop().await;
    let id = record_direct(&s.db, &sale(s.a.1, 30_000, Method::Card, "R-1"))
        .await
        .unwrap();
    let url = s.app.url(&format!("/api/v1/receipts/{id}/refunds"));
    let adjustments = "SELECT COUNT(*) FROM receipt_adjustments";

    // Access: the cashier may see it but not refund it; another merchant's owner cannot see it.
    let (status, e) = post(
        &s.cashier_a,
        url.clone(),
        json!({"amount": 1_000, "reason": "x", "idempotency_key": "c"}),
    )
    .await;
    assert_eq!((status, e["code"].as_str()), (403, Some("forbidden")));
    let (status, _) = post(
        &s.owner_b,
        url.clone(),
        json!({"amount": 1_000, "reason": "x", "idempotency_key": "b"}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(count(&s.db, adjustments).await, 0);

    // The owner refunds 10.000; a retry with the same key answers the same refund.
    let first = json!({"amount": 10_000, "reason": "Khách trả một phần", "idempotency_key": "k1"});
    let (status, r1) = post(&s.owner_a, url.clone(), first.clone()).await;
    assert_eq!(
        (status, r1["kind"].as_str(), r1["amount"].as_i64()),
        (201, Some("refund"), Some(10_000))
    );
    let (status, again) = post(&s.owner_a, url.clone(), first.clone()).await;
    assert_eq!((status, &again["id"]), (200, &r1["id"]));
    // The key given as a header works the same.
    let r = s
        .owner_a
        .post(url.clone())
        .header("Idempotency-Key", "k1")
        .json(&json!({"amount": 10_000, "reason": "Khách trả một phần"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The same key for another amount is refused.
    let (status, e) = post(
        &s.owner_a,
        url.clone(),
        json!({"amount": 5_000, "reason": "Khách trả một phần", "idempotency_key": "k1"}),
    )
    .await;
    assert_eq!(
        (status, e["code"].as_str()),
        (409, Some("idempotency_key_reused"))
    );
    assert_eq!(count(&s.db, adjustments).await, 1);

    // Bad input changes nothing.
    for bad in [
        json!({"amount": 0, "reason": "x", "idempotency_key": "k9"}),
        json!({"amount": 1_000, "reason": "  ", "idempotency_key": "k9"}),
        json!({"amount": 1_000, "reason": "x"}),
        json!({"amount": "nhiều"}),
    ] {
        let (status, _) = post(&s.owner_a, url.clone(), bad.clone()).await;
        assert_eq!(status, 422, "{bad}");
    }
    // More than what remains (20.000) is refused and changes nothing.
    let (status, e) = post(
        &s.app.client,
        url.clone(),
        json!({"amount": 20_001, "reason": "Hoàn", "idempotency_key": "k2"}),
    )
    .await;
    assert_eq!(
        (
            status,
            e["code"].as_str(),
            e["details"]["refundable"].as_i64()
        ),
        (409, Some("exceeds_refundable"), Some(20_000))
    );
    assert_eq!(count(&s.db, adjustments).await, 1);
    // The rest, exactly, then nothing more.
    let (status, _) = post(
        &s.app.client,
        url.clone(),
        json!({"amount": 20_000, "reason": "Hoàn nốt", "idempotency_key": "k2"}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, e) = post(
        &s.app.client,
        url.clone(),
        json!({"amount": 1, "reason": "Hoàn", "idempotency_key": "k3"}),
    )
    .await;
    assert_eq!(
        (status, e["code"].as_str()),
        (409, Some("exceeds_refundable"))
    );
    assert_eq!(count(&s.db, adjustments).await, 2);
    // Unknown receipts: 404.
    let (status, _) = post(
        &s.app.client,
        s.app.url("/api/v1/receipts/999999/refunds"),
        first,
    )
    .await;
    assert_eq!(status, 404);

    // The receipt is unchanged; the list shows what was refunded.
    let list = get(&s.owner_a, s.app.url("/api/v1/receipts")).await;
    assert_eq!(
        (list[0]["amount"].as_i64(), list[0]["refunded"].as_i64()),
        (Some(30_000), Some(30_000))
    );
    // Ledger: received 30.000, refunded 30.000, balanced.
    settle(&s.db).await;
    assert_eq!(merchant_balance(&s.db, s.a.0).await, 0);
    let refunds = count(
        &s.db,
        "SELECT COUNT(*) FROM ledger_transfers WHERE code = 2",
    )
    .await;
    assert_eq!(
        refunds, 2,
        "one reversing transfer per refund, retries add none"
    );
    s.app.stop().await;
}

#[tokio::test]
async fn concurrent_refunds_never_exceed_the_receipt() {
    let s = shop().await;
    let id = record_direct(&s.db, &sale(s.a.1, 10_000, Method::Cash, "C-1"))
        .await
        .unwrap();
    let url = s.app.url(&format!("/api/v1/receipts/{id}/refunds"));
    let calls = (0..16).map(|i| {
        let (client, url) = (s.app.client.clone(), url.clone());
        async move {
            post(
                &client,
                url,
                json!({"amount": 1_500, "reason": "Hoàn", "idempotency_key": format!("p{i}")}),
            )
            .await
            .0
        }
    });
    let statuses = futures_util::future::join_all(calls).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        6,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        10,
        "{statuses:?}"
    );
    settle(&s.db).await;
    assert_eq!(merchant_balance(&s.db, s.a.0).await, 1_000);
    s.app.stop().await;
}

#[tokio::test]
async fn a_correction_moves_the_receipt_to_another_stall() {
    let s = shop().await;
    // Paid to A's account, but the buyer was at stall B.
    notify(&s, "9101", &s.account_a, 50_000, "HL-1 A-1").await;
    let list = get(&s.app.client, s.app.url("/api/v1/receipts")).await;
    let id = list[0]["id"].as_i64().unwrap();
    let refunds = s.app.url(&format!("/api/v1/receipts/{id}/refunds"));
    let corrections = s.app.url(&format!("/api/v1/receipts/{id}/corrections"));
    let (status, _) = post(
        &s.app.client,
        refunds.clone(),
        json!({"amount": 10_000, "reason": "Thiếu hàng", "idempotency_key": "a"}),
    )
    .await;
    assert_eq!(status, 201);
    settle(&s.db).await;
    assert_eq!(merchant_balance(&s.db, s.a.0).await, 40_000);

    // Only administrators correct; a bad stall changes nothing.
    let (status, _) = post(
        &s.owner_a,
        corrections.clone(),
        json!({"stall_id": s.b.1, "reason": "Nhầm quầy"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = post(
        &s.app.client,
        corrections.clone(),
        json!({"stall_id": 999_999, "reason": "Nhầm quầy"}),
    )
    .await;
    assert_eq!(status, 422);
    let (status, e) = post(
        &s.app.client,
        corrections.clone(),
        json!({"stall_id": s.a.1, "reason": "Nhầm quầy"}),
    )
    .await;
    assert_eq!((status, e["code"].as_str()), (409, Some("same_stall")));
    assert_eq!(
        count(
            &s.db,
            "SELECT COUNT(*) FROM receipt_adjustments WHERE kind = 'correction'"
        )
        .await,
        0
    );

    let body = json!({"stall_id": s.b.1, "reason": "Nhầm quầy"});
    let (status, c) = post(&s.app.client, corrections.clone(), body.clone()).await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(
        (
            c["amount"].as_i64(),
            c["from_stall_id"].as_i64(),
            c["to_stall_id"].as_i64(),
            c["to_merchant_id"].as_i64()
        ),
        (Some(40_000), Some(s.a.1), Some(s.b.1), Some(s.b.0)),
        "what remains after the refund moves"
    );
    let (status, again) = post(&s.app.client, corrections.clone(), body).await;
    assert_eq!(
        (status, &again["id"]),
        (200, &c["id"]),
        "a retry changes nothing"
    );
    settle(&s.db).await;
    assert_eq!(merchant_balance(&s.db, s.a.0).await, 0);
    assert_eq!(merchant_balance(&s.db, s.b.0).await, 40_000);
    // The history is kept: the receipt still names the stall it was matched to, and the ledger
    // has the receipt, the refund, the reversal and the new transfer.
    let r = &get(&s.app.client, s.app.url("/api/v1/receipts")).await[0];
    assert_eq!(
        (r["stall_id"].as_i64(), r["amount"].as_i64()),
        (Some(s.a.1), Some(50_000))
    );
    let codes = count(&s.db, "SELECT COUNT(DISTINCT code) FROM ledger_transfers").await;
    assert_eq!(codes, 4);
    // Totals: A received 50.000, refunded 10.000, moved 40.000 out; B got 40.000.
    let t = get(&s.app.client, s.app.url("/api/v1/receipts/totals")).await;
    let stall = |id: i64| {
        t["stalls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["stall_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            stall(s.a.1)["amount"].as_i64(),
            stall(s.a.1)["corrected"].as_i64()
        ),
        (Some(0), Some(-40_000))
    );
    assert_eq!(stall(s.b.1)["amount"], 40_000);
    assert_eq!(t["amount"], 40_000);
    // B now holds it: B's owner may refund it, A's may not any more.
    let (status, _) = post(
        &s.owner_a,
        refunds.clone(),
        json!({"amount": 1_000, "reason": "x", "idempotency_key": "z"}),
    )
    .await;
    assert!(matches!(status, 403 | 404), "{status}");
    let (status, r) = post(
        &s.owner_b,
        refunds.clone(),
        json!({"amount": 40_000, "reason": "Khách trả hàng", "idempotency_key": "b1"}),
    )
    .await;
    assert_eq!((status, r["from_merchant_id"].as_i64()), (201, Some(s.b.0)));
    // Fully refunded: nothing left to move.
    let (status, e) = post(
        &s.app.client,
        corrections.clone(),
        json!({"stall_id": s.a.1, "reason": "Trả lại"}),
    )
    .await;
    assert_eq!((status, e["code"].as_str()), (409, Some("nothing_to_move")));
    settle(&s.db).await;
    assert_eq!(merchant_balance(&s.db, s.b.0).await, 0);
    s.app.stop().await;
}

#[tokio::test]
async fn unmatched_receipts_are_assigned_not_corrected() {
    let s = shop().await;
    notify(&s, "9201", "555000111", 9_000, "khong ro").await;
    let id = get(&s.app.client, s.app.url("/api/v1/receipts")).await[0]["id"]
        .as_i64()
        .unwrap();
    let (status, e) = post(
        &s.app.client,
        s.app.url(&format!("/api/v1/receipts/{id}/corrections")),
        json!({"stall_id": s.b.1, "reason": "x"}),
    )
    .await;
    assert_eq!(
        (status, e["code"].as_str()),
        (409, Some("receipt_not_matched"))
    );
    let (status, e) = post(
        &s.app.client,
        s.app.url(&format!("/api/v1/receipts/{id}/refunds")),
        json!({"amount": 1_000, "reason": "x", "idempotency_key": "u"}),
    )
    .await;
    assert_eq!(
        (status, e["code"].as_str()),
        (409, Some("receipt_not_matched"))
    );
    s.app.stop().await;
}

/// The HTML of the table with this id.
fn table<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("<table id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table {id}"));
    let end = page[start..].find("</table>").unwrap() + start;
    &page[start..end]
}

#[tokio::test]
async fn the_statements_page_posts_what_notifications_missed_once() {
    let s = shop().await;
    notify(&s, "8101", &s.account_a, 11_000, "HL-1 A-1").await;
    notify(&s, "8102", &s.account_a, 22_000, "HL-1 A-1").await;
    let now = halong::web::local_time(now_micros());
    let today = format!("{}-{}-{}", &now[6..10], &now[3..5], &now[0..2]);
    let time = format!("{today} {}", &now[11..19]);
    let csv = format!(
        "Mã giao dịch,Thời gian,Số tiền,Nội dung\nFT8101,{time},11.000,HL-1 A-1\nFT9999,{time},33.000,tien hang\nFT9998,{time},-1.000,phi\n"
    );
    // Administrators see the page in the navigation; others are refused.
    let form = s.app.get("/statements").await.text().await.unwrap();
    assert!(form.contains("Đối chiếu sao kê") && form.contains("name=\"csv\""));
    let home = s.app.get("/live").await.text().await.unwrap();
    assert!(home.contains("href=\"/statements\""));
    assert_eq!(
        s.owner_a
            .get(s.app.url("/statements"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );

    let fields = [
        ("account", s.account_a.as_str()),
        ("from", today.as_str()),
        ("to", today.as_str()),
        ("csv", csv.as_str()),
    ];
    let r = s
        .app
        .client
        .post(s.app.url("/statements"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("<span class=\"num\" id=\"matched\">1</span>"),
        "{page}"
    );
    let missing = table(&page, "missing-halong");
    assert!(
        missing.contains("FT9999") && missing.contains("33.000"),
        "the line Halong lacks"
    );
    let lacking = table(&page, "missing-statement");
    assert!(
        lacking.contains("<td>8102</td><td>payos</td>") && lacking.contains("22.000"),
        "the transfer the statement lacks: {page}"
    );
    assert!(!lacking.contains("8101"));
    assert!(
        !missing.contains("FT9998") && !missing.contains("FT8101"),
        "debits and matched lines are not missing"
    );
    assert!(page.contains("action=\"/statements/confirm\""));
    assert_eq!(
        count(&s.db, "SELECT COUNT(*) FROM incoming_transfers").await,
        2,
        "previewing changes nothing"
    );

    let confirm = s
        .app
        .client
        .post(s.app.url("/statements/confirm"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status(), 200);
    let done = confirm.text().await.unwrap();
    assert!(done.contains("Đã ghi mới <strong>1</strong>"), "{done}");
    assert_eq!(
        count(
            &s.db,
            "SELECT COUNT(*) FROM incoming_transfers WHERE provider = 'statement'"
        )
        .await,
        1
    );
    // Confirming again posts nothing new; the preview now finds nothing missing.
    let again = s
        .app
        .client
        .post(s.app.url("/statements/confirm"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("Đã ghi mới <strong>0</strong>")
    );
    assert_eq!(
        count(&s.db, "SELECT COUNT(*) FROM incoming_transfers").await,
        3
    );
    let page = s
        .app
        .client
        .post(s.app.url("/statements"))
        .form(&fields)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<span class=\"num\" id=\"matched\">2</span>")
            && !page.contains("action=\"/statements/confirm\"")
    );
    // A broken statement shows the form again with the problem, and changes nothing.
    let bad = [
        ("account", s.account_a.as_str()),
        ("from", "hôm nay"),
        ("to", today.as_str()),
        ("csv", "a,b\n1,2\n"),
    ];
    let r = s
        .app
        .client
        .post(s.app.url("/statements"))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("name=\"csv\""));
    // The posted line reaches the ledger, which balances.
    settle(&s.db).await;
    assert_eq!(
        merchant_balance(&s.db, s.a.0).await,
        11_000 + 22_000 + 33_000
    );
    s.app.stop().await;
}
