//! Indicators against a hand-computed data set: three markets (one of each class), stalls with
//! and without payout accounts, cashless and cash receipts with a refund, fee bills (one paid
//! half in cash), taxpayers issuing invoices and not, people with eKYC levels; daily aggregates
//! equal to a full recomputation after the writes and after a rebuild. Runs on SQLite, or on
//! PostgreSQL with `HALONG_TEST_DATABASE_URL`.

mod common;

use std::time::Duration;

use common::{TestApp, client_with_token, token_for};
use halong::db::{Db, now_micros};
use halong::indicators::aggregates::{check_aggregates, local_day, rebuild_aggregates};
use halong::indicators::{IndicatorQuery, iso, period, today};
use halong::receipts::{DirectReceipt, Method, record_direct};
use serde_json::{Value, json};

const DAY: i64 = 86_400 * 1_000_000;

async fn count(db: &Db, sql: &'static str) -> i64 {
    halong::with_db!(db, p => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await).unwrap()
}

async fn exec(db: &Db, sql: &str) {
    halong::with_db!(db, p => sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(p).await.map(|_| ()))
        .unwrap();
}

/// Waits until the sweeper has posted every receipt and adjustment.
async fn settle(db: &Db) {
    for _ in 0..400 {
        let left = count(
            db,
            "SELECT (SELECT COUNT(*) FROM incoming_transfers WHERE ledger_posted = FALSE \
             AND merchant_id IS NOT NULL) + (SELECT COUNT(*) FROM receipt_adjustments \
             WHERE ledger_posted = FALSE)",
        )
        .await;
        if left == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the sweeper did not catch up");
}

struct World {
    app: TestApp,
    db: Db,
    markets: [i64; 3],
    /// (merchant, stall) A, B, C, D.
    ms: [(i64, i64); 4],
    owner_a: reqwest::Client,
}

async fn receipt(db: &Db, stall: i64, amount: i64, method: Method, days_ago: i64, id: &str) -> i64 {
    record_direct(
        db,
        &DirectReceipt {
            stall_id: Some(stall),
            merchant_id: None,
            amount,
            method,
            source: "test".into(),
            external_id: id.into(),
            at: now_micros() - days_ago * DAY,
            description: "Bán hàng".into(),
        },
    )
    .await
    .unwrap()
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let db = app.running.as_ref().unwrap().state.db.clone();
    // Class I and II in Hạ Long (06652, former district 193), class III in Móng Cái (194).
    let mut markets = [0; 3];
    for (i, (code, points, place)) in [
        ("T-1", 450, "06652"),
        ("T-2", 250, "06652"),
        ("T-3", 50, "06709"),
    ]
    .iter()
    .enumerate()
    {
        let (s, m) = app
            .post_json("/api/v1/markets", &json!({"code": code, "name": format!("Chợ {code}"), "place_code": place, "business_points": points}))
            .await;
        assert_eq!(s, 201, "{m}");
        assert_eq!(m["market_class"].as_i64(), Some(i as i64 + 1), "{m}");
        markets[i] = m["id"].as_i64().unwrap();
    }
    // A, B: households with accounts in market 1; C: enterprise without account in market 2;
    // D: household with account in market 3.
    let plan = [
        ("0100233488", "household", true, 0),
        ("5700100256", "household", true, 0),
        ("0101245486", "enterprise", false, 1),
        ("0100109106", "household", true, 2),
    ];
    let mut ms = [(0, 0); 4];
    for (i, (tax, kind, account, market)) in plan.iter().enumerate() {
        let (s, r) = app.post_json("/api/v1/merchants", &json!({"tax_code": tax, "name": format!("Người bán {i}"), "kind": kind, "owner_name": "Chủ", "place_code": "06652", "payment_methods": ["cash", "vietqr"]})).await;
        assert_eq!(s, 201, "{r}");
        let id = r["id"].as_i64().unwrap();
        if *account {
            let (s, r) = app
                .post_json(
                    &format!("/api/v1/merchants/{id}/bank-accounts"),
                    &json!({"bank_bin": "970436", "account_number": format!("00110{i}2345678"), "holder_name": "CHU"}),
                )
                .await;
            assert_eq!(s, 201, "{r}");
        }
        let (s, st) = app
            .post_json("/api/v1/stalls", &json!({"market_id": markets[*market], "code": format!("S-{i}"), "merchant_id": id}))
            .await;
        assert_eq!(s, 201, "{st}");
        ms[i] = (id, st["id"].as_i64().unwrap());
    }
    // A vacant stall in market 2 counts nowhere.
    let (s, _) = app
        .post_json(
            "/api/v1/stalls",
            &json!({"market_id": markets[1], "code": "V-1", "status": "vacant"}),
        )
        .await;
    assert_eq!(s, 201);

    // Receipts (days before now).
    let a_transfer = receipt(&db, ms[0].1, 100_000, Method::Ewallet, 1, "A-1").await;
    receipt(&db, ms[0].1, 50_000, Method::Card, 3, "A-2").await;
    receipt(&db, ms[0].1, 30_000, Method::Cash, 2, "A-3").await;
    receipt(&db, ms[1].1, 70_000, Method::Ewallet, 40, "B-1").await;
    receipt(&db, ms[2].1, 10_000, Method::Ewallet, 5, "C-1").await;
    receipt(&db, ms[3].1, 200_000, Method::Ewallet, 2, "D-1").await;
    // Before the 60-day period: counts only toward D's yearly revenue (e-invoice threshold).
    receipt(&db, ms[3].1, 1_000_000_000, Method::Ewallet, 70, "D-0").await;
    let (s, r) = app
        .post_json(
            &format!("/api/v1/receipts/{a_transfer}/refunds"),
            &json!({"amount": 20_000, "reason": "Trả lại hàng", "idempotency_key": "r1"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");

    // Fee bills of this month: paid cashless, paid half in cash, open, cancelled; and one of a
    // month outside the period.
    let month = &iso(today())[..7];
    let now = now_micros();
    for (stall, market, amount, cashless, cash, status, per) in [
        (ms[0].1, markets[0], 100_000, 100_000, 0, "paid", month),
        (ms[1].1, markets[0], 100_000, 50_000, 50_000, "paid", month),
        (ms[2].1, markets[1], 80_000, 0, 0, "open", month),
        (ms[3].1, markets[2], 60_000, 0, 0, "cancelled", month),
        (ms[3].1, markets[2], 60_000, 60_000, 0, "paid", "2020-01"),
    ] {
        exec(&db, &format!(
            "INSERT INTO fee_bills (market_id, stall_id, period, kind, amount, due_at, paid_cashless, \
             paid_cash, status, created_at, updated_at) VALUES ({market}, {stall}, '{per}', 'rent', \
             {amount}, {now}, {cashless}, {cash}, '{status}', {now}, {now})"
        )).await;
    }

    // Invoices: C (enterprise, required) issues one accepted; A (not required) one; D (required
    // by revenue) only a refused one.
    for (i, (m, tax_status)) in [
        (ms[2].0, "accepted"),
        (ms[0].0, "sent"),
        (ms[3].0, "refused"),
    ]
    .iter()
    .enumerate()
    {
        exec(
            &db,
            &format!(
                "INSERT INTO registers (merchant_id, kind, label, status, created_at) \
             VALUES ({m}, 'counter', 'Quầy {i}', 'active', {now})"
            ),
        )
        .await;
        exec(
            &db,
            &format!(
                "INSERT INTO invoices (merchant_id, register_id, form, symbol, number, year, code, \
             seller_tax_code, issued_at, total, vat_total, payment_method, status, tax_status, \
             xml, signed_xml) VALUES ({m}, (SELECT MAX(id) FROM registers), 2, 'C26MHL', 1, 2026, \
             'M2-26-TEST{i}', '0', {now}, 1000, 0, 'cash', 'issued', '{tax_status}', '', '')"
            ),
        )
        .await;
    }

    // eKYC: the owner of A at level 2, of B at level 1 (the admin of the harness stays at 0).
    let owner_a = client_with_token(&token_for(&db, "0911000001", "merchant_owner", ms[0].0).await);
    token_for(&db, "0911000002", "merchant_owner", ms[1].0).await;
    exec(
        &db,
        "UPDATE people SET ekyc_level = 2 WHERE phone = '0911000001'",
    )
    .await;
    exec(
        &db,
        "UPDATE people SET ekyc_level = 1 WHERE phone = '0911000002'",
    )
    .await;

    // The register existed a year before the test's periods (created_at decides membership).
    for table in ["markets", "stalls", "merchants", "people"] {
        exec(
            &db,
            &format!("UPDATE {table} SET created_at = created_at - {}", 400 * DAY),
        )
        .await;
    }
    settle(&db).await;
    World {
        app,
        db,
        markets,
        ms,
        owner_a,
    }
}

async fn get(client: &reqwest::Client, url: String) -> (u16, Value) {
    let r = client.get(url).send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn share(v: &Value) -> (i64, i64) {
    (
        v["accepting"].as_i64().unwrap(),
        v["total"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn indicators_match_hand_computed_values() {
    let w = world().await;
    let t = today();
    let base = format!("/api/v1/indicators?from={}&to={}", iso(t - 59), iso(t));
    let (s, r) = get(&w.app.anonymous, w.app.url(&base)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["period"]["days"], 60);
    // Markets 1 (A) and 3 (D) accept; market 2 (C has no account) does not.
    assert_eq!(share(&r["markets"]), (2, 3), "{r}");
    let by_class: Vec<(i64, i64)> = r["markets_by_class"]
        .as_array()
        .unwrap()
        .iter()
        .map(share)
        .collect();
    assert_eq!(by_class, vec![(1, 1), (0, 1), (1, 1)]);
    // Occupied stalls A, B, C, D; accepting: A and D (B's last cashless receipt is 40 days old,
    // C has no payout account). The vacant stall counts nowhere.
    assert_eq!(share(&r["stalls"]), (2, 4));
    assert_eq!(r["stalls"]["percent"], 50.0);
    assert_eq!(r["stalls_with_account"], 3);
    // Cashless receipts: 100k + 50k + 70k + 10k + 200k, less the 20k refund; cash 30k apart.
    let rc = &r["receipts"];
    assert_eq!(rc["count"], 5, "{rc}");
    assert_eq!(rc["received"], 430_000);
    assert_eq!(rc["refunded"], 20_000);
    assert_eq!(rc["amount"], 410_000);
    assert_eq!(
        (rc["cash_count"].as_i64(), rc["cash_amount"].as_i64()),
        (Some(1), Some(30_000))
    );
    // 410,000 / (4 stalls × 60 days) = 1,708.33 → 1,708; 5 / 240 = 0.0208 → 0.02.
    assert_eq!(rc["amount_per_stall_day"], 1_708);
    assert_eq!(rc["count_per_stall_day"], 0.02);
    let daily = rc["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 60);
    assert_eq!(
        daily
            .iter()
            .map(|d| d["amount"].as_i64().unwrap())
            .sum::<i64>(),
        410_000
    );
    // Fees: 3 bills (cancelled and 2020 ones out); 2 paid, 1 entirely cashless → 50% by count;
    // by amount 150k cashless of 200k paid → 75% (the half-cash bill counts its cashless half).
    let f = &r["fees"];
    assert_eq!(
        (
            f["bills"].as_i64(),
            f["paid_bills"].as_i64(),
            f["paid_cashless_bills"].as_i64()
        ),
        (Some(3), Some(2), Some(1)),
        "{f}"
    );
    assert_eq!(f["percent_by_count"], 50.0);
    assert_eq!(
        (
            f["paid_cashless"].as_i64(),
            f["paid_cash"].as_i64(),
            f["amount_billed"].as_i64()
        ),
        (Some(150_000), Some(50_000), Some(280_000))
    );
    assert_eq!(f["percent_by_amount"], 75.0);
    // E-invoices: required = C (enterprise) and D (over 1 billion in a year); C issues; D's only
    // invoice was refused; A issues but is not required.
    let e = &r["einvoice"];
    assert_eq!(
        (
            e["required"].as_i64(),
            e["required_issuing"].as_i64(),
            e["issuing"].as_i64()
        ),
        (Some(2), Some(1), Some(2)),
        "{e}"
    );
    assert_eq!(e["percent"], 50.0);
    // eKYC: people admin 0, owner B 1, owner A 2; merchants A 2, B 1, C and D without account.
    assert_eq!(r["ekyc"]["people"], json!([1, 1, 1]));
    assert_eq!(r["ekyc"]["merchants"], json!([0, 1, 1]));
    assert_eq!(r["ekyc"]["merchants_without_account"], 2);
    // Localities: former district 193 has markets 1 and 2; 194 has market 3.
    let d: Vec<(String, i64, i64)> = r["by_district"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap().to_string(),
                g["markets"].as_i64().unwrap(),
                g["stalls_accepting"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(d, vec![("193".into(), 2, 1), ("194".into(), 1, 1)]);
    // Public: no per-stall detail.
    assert!(r["stalls_detail"].is_null());
    assert!(
        r["targets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["key"] == "markets" && t["actual"] == 66.7)
    );

    // Filters: class II alone; the former district 194; one market.
    let (_, r2) = get(&w.app.anonymous, w.app.url(&format!("{base}&class=2"))).await;
    assert_eq!(
        (share(&r2["markets"]), share(&r2["stalls"])),
        ((0, 1), (0, 1)),
        "{r2}"
    );
    assert_eq!(r2["receipts"]["amount"], 10_000);
    assert_eq!(r2["fees"]["bills"], 1);
    assert_eq!(r2["einvoice"]["required"], 1);
    let (_, r3) = get(&w.app.anonymous, w.app.url(&format!("{base}&place=194"))).await;
    assert_eq!(
        (share(&r3["markets"]), r3["receipts"]["amount"].as_i64()),
        ((1, 1), Some(200_000))
    );
    let (_, r4) = get(
        &w.app.anonymous,
        w.app.url(&format!("{base}&market_id={}", w.markets[0])),
    )
    .await;
    assert_eq!(r4["receipts"]["amount"], 200_000, "{r4}");
    assert!(r4["stalls_detail"].is_null());

    // The 30-day window ends at the period end: ending 35 days ago, only B accepts.
    let (_, r5) = get(
        &w.app.anonymous,
        w.app.url(&format!(
            "/api/v1/indicators?from={}&to={}",
            iso(t - 59),
            iso(t - 35)
        )),
    )
    .await;
    assert_eq!(
        (share(&r5["markets"]), share(&r5["stalls"])),
        ((1, 3), (1, 4)),
        "{r5}"
    );
    assert_eq!(r5["receipts"]["amount"], 70_000);

    // Before the register existed there is nothing to count.
    let (_, r0) = get(
        &w.app.anonymous,
        w.app.url(&format!(
            "/api/v1/indicators?from={}&to={}",
            iso(t - 900),
            iso(t - 800)
        )),
    )
    .await;
    assert_eq!(
        (share(&r0["markets"]), share(&r0["stalls"])),
        ((0, 0), (0, 0)),
        "{r0}"
    );
    assert!(r0["markets"]["percent"].is_null());

    // Staff see the stalls of one market, scoped: the admin both, A's owner only A's.
    let url = w.app.url(&format!("{base}&market_id={}", w.markets[0]));
    let (_, ra) = get(&w.app.client, url.clone()).await;
    let rows = ra["stalls_detail"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["accepting"], true);
    assert_eq!(
        (rows[0]["count"].as_i64(), rows[0]["amount"].as_i64()),
        (Some(2), Some(130_000))
    );
    assert_eq!(rows[1]["accepting"], false);
    let (_, ro) = get(&w.owner_a, url).await;
    let rows = ro["stalls_detail"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["stall_id"], w.ms[0].1);

    // Staff work lists: C has no payout account; B has one but no cashless receipt in the 30
    // days; D must issue e-invoices (revenue) and has only a refused one. A's owner sees none of
    // them (A accepts and is not required); anonymous callers are refused.
    let follow = w.app.url(&format!(
        "/api/v1/indicators/follow-up?from={}&to={}",
        iso(t - 59),
        iso(t)
    ));
    let (s, f) = get(&w.app.client, follow.clone()).await;
    assert_eq!(s, 200, "{f}");
    let ids = |key: &str, id: &str| -> Vec<i64> {
        f[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[id].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        ids("stalls_without_account", "stall_id"),
        [w.ms[2].1],
        "{f}"
    );
    assert_eq!(ids("stalls_without_recent", "stall_id"), [w.ms[1].1], "{f}");
    assert_eq!(ids("einvoice_missing", "merchant_id"), [w.ms[3].0], "{f}");
    let (s, fo) = get(&w.owner_a, follow.clone()).await;
    assert_eq!(s, 200, "{fo}");
    for key in [
        "stalls_without_account",
        "stalls_without_recent",
        "einvoice_missing",
    ] {
        assert_eq!(fo[key], json!([]), "{key}: {fo}");
    }
    let (s, _) = get(&w.app.anonymous, follow).await;
    assert_eq!(s, 401);
    let page = w
        .app
        .client
        .get(w.app.url(&format!(
            "/dashboard/staff?from={}&to={}",
            iso(t - 59),
            iso(t)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Theo dõi chỉ số — cán bộ"), "{html}");
    assert!(html.contains("Chưa có tài khoản nhận tiền (1)"), "{html}");
    assert!(html.contains(&format!("/merchants/{}/einvoice", w.ms[3].0)));

    // Errors carry a code and both languages.
    for q in [
        "from=2026-12-01&to=2026-11-01",
        "from=2026-02-30",
        "class=5",
        "place=99999",
        "preset=week",
    ] {
        let (s, e) = get(
            &w.app.anonymous,
            w.app.url(&format!("/api/v1/indicators?{q}")),
        )
        .await;
        assert_eq!(s, 400, "{q}: {e}");
        assert!(
            e["code"].is_string() && e["message_vi"].is_string() && e["message_en"].is_string()
        );
    }

    // Aggregates kept on the write path equal a full recomputation, and a rebuild changes nothing.
    assert_eq!(check_aggregates(&w.db).await.unwrap(), Vec::<String>::new());
    let before = count(
        &w.db,
        "SELECT CAST(SUM(amount - refunded) AS BIGINT) FROM receipt_daily",
    )
    .await;
    assert_eq!(before, 1_000_000_000 + 430_000 + 30_000 - 20_000);
    // Tampering is found, and a rebuild repairs it.
    exec(
        &w.db,
        "UPDATE receipt_daily SET count = count + 1 WHERE method = 'card'",
    )
    .await;
    // Found against the records, and in every roll-up that counts receipts (the merchant's
    // monthly revenue holds amounts only).
    let found = check_aggregates(&w.db).await.unwrap();
    let tables: Vec<&str> = found.iter().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(
        tables,
        [
            "receipt_daily",
            "receipt_block",
            "receipt_market_daily",
            "stall_cashless_daily"
        ],
        "{found:?}"
    );
    exec(
        &w.db,
        "UPDATE receipt_merchant_monthly SET net = net + 1 WHERE merchant_id = 1",
    )
    .await;
    let found = check_aggregates(&w.db).await.unwrap();
    assert_eq!(found.len(), 5, "{found:?}");
    assert!(
        found[4].starts_with("receipt_merchant_monthly"),
        "{found:?}"
    );
    rebuild_aggregates(&w.db).await.unwrap();
    assert_eq!(check_aggregates(&w.db).await.unwrap(), Vec::<String>::new());
    let (_, again) = get(&w.app.anonymous, w.app.url(&base)).await;
    assert_eq!(again["receipts"], r["receipts"]);

    // A correction moves a receipt's amount between stalls, on the correction's day.
    let c1 = receipt(&w.db, w.ms[1].1, 40_000, Method::Ewallet, 0, "B-2").await;
    let (s, c) = w
        .app
        .post_json(
            &format!("/api/v1/receipts/{c1}/corrections"),
            &json!({"stall_id": w.ms[3].1, "reason": "Nhầm điểm", "idempotency_key": "c1"}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    settle(&w.db).await;
    assert_eq!(check_aggregates(&w.db).await.unwrap(), Vec::<String>::new());
    let (_, r6) = get(&w.app.anonymous, w.app.url(&format!("{base}&place=194"))).await;
    assert_eq!(r6["receipts"]["amount"], 240_000, "{r6}");

    // The dashboard and its exports show the same numbers.
    let page = w
        .app
        .anonymous
        .get(
            w.app
                .url(&format!("/dashboard?from={}&to={}", iso(t - 59), iso(t))),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<svg") && html.contains("Chỉ số thanh toán không dùng tiền mặt"));
    assert!(
        html.contains("1 chợ hạng I (trên 1), 0 chợ hạng II (trên 1), 1 chợ hạng III (trên 1)"),
        "{html}"
    );
    let csv = w
        .app
        .anonymous
        .get(w.app.url(&format!(
            "/dashboard.csv?from={}&to={}",
            iso(t - 59),
            iso(t)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert!(
        csv.contains("Điểm kinh doanh chấp nhận TTKDTM (%),50,2,4"),
        "{csv}"
    );
    assert!(
        csv.contains("Phí chợ thu không tiền mặt theo số tiền (%),75,150000,200000"),
        "{csv}"
    );
    let xlsx = w
        .app
        .anonymous
        .get(w.app.url("/dashboard.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));

    // Moving a stall to another market moves its receipts with it (B: 70,000 in the period,
    // +40,000 − 40,000 by the correction), in the same transaction.
    let (s, st) = w
        .app
        .put_json(
            &format!("/api/v1/stalls/{}", w.ms[1].1),
            &json!({"market_id": w.markets[2], "code": "S-1", "merchant_id": w.ms[1].0}),
        )
        .await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(check_aggregates(&w.db).await.unwrap(), Vec::<String>::new());
    let (_, r7) = get(&w.app.anonymous, w.app.url(&format!("{base}&place=194"))).await;
    assert_eq!(r7["receipts"]["amount"], 310_000, "{r7}");
    let (_, r8) = get(
        &w.app.anonymous,
        w.app.url(&format!("{base}&market_id={}", w.markets[0])),
    )
    .await;
    assert_eq!(r8["receipts"]["amount"], 130_000, "{r8}");
    w.app.stop().await;
}

/// A seeded random history — receipts on any day of a year, refunds, corrections between
/// stalls and stalls moved between markets, posted by the sweeper while it happens — leaves
/// every aggregate equal to a full recomputation, and the report equal to sums taken from the
/// raw records: each receipt counts, net of all its refunds, at the stall it ends at (its last
/// correction's, else its own), in the market that stall ends in.
#[tokio::test]
async fn random_history_keeps_aggregates_equal_to_the_records() {
    let w = world().await;
    let mut seed: u64 = 0x5EED_1A7E;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    // Direct receipts (transfers arrive by bank notification; their aggregates take the same
    // path once posted).
    let methods = [Method::Card, Method::Ewallet, Method::Ewallet, Method::Cash];
    let mut receipts: Vec<i64> = Vec::new();
    for step in 0..240u64 {
        match next(10) {
            0..=5 => {
                let stall = w.ms[next(4) as usize].1;
                let method = methods[next(4) as usize];
                let amount = (1 + next(500) as i64) * 1_000;
                let id = receipt(
                    &w.db,
                    stall,
                    amount,
                    method,
                    next(365) as i64,
                    &format!("R-{step}"),
                )
                .await;
                receipts.push(id);
            }
            6 | 7 if !receipts.is_empty() => {
                let r = receipts[next(receipts.len() as u64) as usize];
                let (s, body) = w
                    .app
                    .post_json(
                        &format!("/api/v1/receipts/{r}/refunds"),
                        &json!({"amount": (1 + next(100)) * 1_000, "reason": "Trả hàng",
                            "idempotency_key": format!("rf-{step}")}),
                    )
                    .await;
                assert!(s == 201 || s == 409, "{s} {body}");
            }
            8 if !receipts.is_empty() => {
                let r = receipts[next(receipts.len() as u64) as usize];
                let to = w.ms[next(4) as usize].1;
                let (s, body) = w
                    .app
                    .post_json(
                        &format!("/api/v1/receipts/{r}/corrections"),
                        &json!({"stall_id": to, "reason": "Nhầm điểm",
                            "idempotency_key": format!("co-{step}")}),
                    )
                    .await;
                assert!(s == 201 || s == 409, "{s} {body}");
            }
            _ => {
                let i = next(4) as usize;
                let (s, body) = w
                    .app
                    .put_json(
                        &format!("/api/v1/stalls/{}", w.ms[i].1),
                        &json!({"market_id": w.markets[next(3) as usize],
                            "code": format!("S-{i}"), "merchant_id": w.ms[i].0}),
                    )
                    .await;
                assert_eq!(s, 200, "{body}");
            }
        }
        if step % 40 == 0 {
            settle(&w.db).await;
        }
    }
    settle(&w.db).await;
    assert_eq!(check_aggregates(&w.db).await.unwrap(), Vec::<String>::new());

    // The report for the whole history against the raw records.
    let t = today();
    let (s, r) = get(
        &w.app.anonymous,
        w.app.url(&format!(
            "/api/v1/indicators?from={}&to={}",
            iso(t - 400),
            iso(t)
        )),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    type Expected = (i64, i64, i64);
    let expected: Vec<Expected> = halong::with_db!(&w.db, p => sqlx::query_as(
        "SELECT s.market_id, COUNT(*), CAST(SUM(t.amount - COALESCE((SELECT SUM(a.amount) \
         FROM receipt_adjustments a WHERE a.receipt_id = t.id AND a.kind = 'refund'), 0)) \
         AS BIGINT) FROM incoming_transfers t JOIN stalls s ON s.id = COALESCE((SELECT \
         a.to_stall_id FROM receipt_adjustments a WHERE a.receipt_id = t.id \
         AND a.kind = 'correction' ORDER BY a.id DESC LIMIT 1), t.stall_id) WHERE t.method <> 'cash' AND t.merchant_id IS NOT NULL GROUP BY s.market_id \
         ORDER BY s.market_id")
        .fetch_all(p).await)
    .unwrap();
    let by_market: Vec<Expected> = r["by_market"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap().parse().unwrap(),
                g["receipts_count"].as_i64().unwrap(),
                g["receipts_amount"].as_i64().unwrap(),
            )
        })
        .filter(|g| g.1 != 0 || g.2 != 0)
        .collect();
    assert_eq!(by_market, expected, "{r}");
    let total: i64 = expected.iter().map(|e| e.2).sum();
    assert_eq!(r["receipts"]["amount"], total, "{r}");
    w.app.stop().await;
}

#[test]
fn periods_and_local_days() {
    // 17:00 UTC is midnight in Hà Nội: the next local day.
    let d26 = halong::indicators::day_of(time::macros::date!(2026 - 11 - 26));
    assert_eq!(local_day(1_795_712_399_000_000), d26); // 2026-11-26 16:59:59 UTC
    assert_eq!(local_day(1_795_712_400_000_000), d26 + 1); // 17:00:00 UTC
    let today = d26 + 1;
    let q = |preset: &str| IndicatorQuery {
        preset: Some(preset.into()),
        ..IndicatorQuery::default()
    };
    assert_eq!(iso(period(&q("month"), today).unwrap().0), "2026-11-01");
    assert_eq!(iso(period(&q("quarter"), today).unwrap().0), "2026-10-01");
    assert_eq!(iso(period(&q("year"), today).unwrap().0), "2026-01-01");
    assert_eq!(period(&IndicatorQuery::default(), today).unwrap().1, today);
}
