//! The register through the real HTTP API, on SQLite by default and on PostgreSQL when
//! `HALONG_TEST_DATABASE_URL` is set (CI runs both).

mod common;

use common::TestApp;
use serde_json::{Value, json};

fn market(code: &str, name: &str, place: &str, points: i64) -> Value {
    json!({"code": code, "name": name, "place_code": place, "business_points": points})
}

fn merchant(tax: &str, name: &str) -> Value {
    json!({"tax_code": tax, "name": name, "owner_name": "Nguyễn Thị Lan", "place_code": "06685",
           "payment_methods": ["cash", "vietqr"], "phone": "0912 345 678"})
}

#[tokio::test]
async fn health_metrics_and_openapi() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get_json("/healthz").await["status"], "ok");
    let doc = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(doc["openapi"].as_str().unwrap().chars().next(), Some('3'));
    // Every documented path has an access rule for each of its methods, and every API rule
    // is documented: routes and their description come from one table.
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let m = method.to_uppercase();
            assert!(
                halong::auth::RULES
                    .iter()
                    .any(|(rm, rp, _)| *rm == m && rp == path),
                "{m} {path} has no access rule"
            );
            documented.push((m, path.clone()));
        }
    }
    for (m, p, _) in halong::auth::RULES
        .iter()
        .filter(|(_, p, _)| p.starts_with("/api/v1/"))
    {
        let listed = documented.iter().any(|(dm, dp)| dm == m && dp == p);
        assert!(
            listed || *p == "/api/v1/openapi.json",
            "{m} {p} is not in the OpenAPI document"
        );
    }
    assert!(documented.len() >= 38, "{} operations", documented.len());
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains(
        "halong_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
    ));
    assert!(metrics.contains("halong_db_pool_connections"));
    app.stop().await;
}

#[tokio::test]
async fn places_and_banks() {
    let app = TestApp::spawn().await;
    let places = app.get_json("/api/v1/places").await;
    let places = places.as_array().unwrap();
    assert_eq!(places.len(), 1 + 13 + 54);
    assert!(
        places
            .iter()
            .any(|p| p["code"] == "22" && p["name"] == "Quảng Ninh")
    );
    let banks = app.get_json("/api/v1/banks?q=vietcom").await;
    assert_eq!(banks[0]["bin"], "970436");
    let by_bin = app.get_json("/api/v1/banks?q=970415").await;
    assert_eq!(by_bin.as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn markets_crud_filters_and_search() {
    let app = TestApp::spawn().await;
    let (s, m1) = app
        .post_json(
            "/api/v1/markets",
            &market("hl-1", "Chợ Hạ Long I", "Hồng Gai", 520),
        )
        .await;
    assert_eq!(s, 201, "{m1}");
    assert_eq!(m1["code"], "HL-1");
    assert_eq!(m1["market_class"], 1);
    assert_eq!(m1["place_code"], "06685");
    let (s, _) = app
        .post_json(
            "/api/v1/markets",
            &market("MC-1", "Chợ Trung tâm Móng Cái", "06712", 300),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .post_json("/api/v1/markets", &market("CT-1", "Chợ Cô Tô", "07192", 40))
        .await;
    assert_eq!(s, 201);

    // Duplicate code → 409 with a stable code.
    let (s, e) = app
        .post_json("/api/v1/markets", &market("HL-1", "Khác", "06685", 10))
        .await;
    assert_eq!((s, e["code"].as_str()), (409, Some("duplicate")));

    // Every broken rule is reported, with Vietnamese and English messages.
    let (s, e) = app
        .post_json("/api/v1/markets", &market("", "", "Atlantis", -5))
        .await;
    assert_eq!(s, 422);
    assert_eq!(e["code"], "validation_failed");
    let fields: Vec<&str> = e["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["code", "place_code", "name", "business_points"]);
    assert!(e["message_vi"].as_str().unwrap().contains("không hợp lệ"));

    // Filters: class, former district (Hạ Long = 193 groups Hồng Gai), search without diacritics.
    assert_eq!(app.total("/api/v1/markets?class=1").await, 1);
    assert_eq!(app.total("/api/v1/markets?class=2").await, 1);
    assert_eq!(app.total("/api/v1/markets?place=193").await, 1);
    assert_eq!(app.total("/api/v1/markets?place=07192").await, 1);
    assert_eq!(app.total("/api/v1/markets?q=mong%20cai").await, 1);
    assert_eq!(app.total("/api/v1/markets?q=M%C3%93NG").await, 1);
    assert_eq!(
        app.total("/api/v1/markets?q=%25").await,
        3,
        "a bare wildcard matches like an empty search"
    );
    let page = app.get_json("/api/v1/markets?per_page=2&page=2").await;
    assert_eq!(
        (
            page["total"].as_i64(),
            page["items"].as_array().unwrap().len()
        ),
        (Some(3), 1)
    );

    // Update with a class override needs a reason.
    let id = m1["id"].as_i64().unwrap();
    let mut body = market("HL-1", "Chợ Hạ Long I", "06685", 520);
    body["class_override"] = json!(2);
    let (s, _) = app.put_json(&format!("/api/v1/markets/{id}"), &body).await;
    assert_eq!(s, 422);
    body["class_override_reason"] = json!("Chưa xây dựng kiên cố");
    let (s, m) = app.put_json(&format!("/api/v1/markets/{id}"), &body).await;
    assert_eq!((s, m["market_class"].as_i64()), (200, Some(2)));
    assert_eq!(
        app.get_json(&format!("/api/v1/markets/{id}")).await["class_override_reason"],
        "Chưa xây dựng kiên cố"
    );

    let r = app.get("/api/v1/markets/999999").await;
    assert_eq!(r.status(), 404);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["code"], "not_found");
    app.stop().await;
}

#[tokio::test]
async fn merchants_accounts_and_stalls() {
    let app = TestApp::spawn().await;
    let (_, m) = app
        .post_json(
            "/api/v1/markets",
            &market("HL-1", "Chợ Hạ Long I", "06685", 520),
        )
        .await;
    let market_id = m["id"].as_i64().unwrap();

    let (s, e) = app
        .post_json("/api/v1/merchants", &merchant("0100233480", "Sai mã"))
        .await;
    assert_eq!(s, 422);
    assert_eq!(e["details"]["errors"][0]["field"], "tax_code");
    let (s, r) = app
        .post_json(
            "/api/v1/merchants",
            &merchant("0100233488", "Hộ kinh doanh Lan"),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["phone"], "0912345678");
    assert_eq!(r["payment_methods"], "cash,vietqr");
    let rid = r["id"].as_i64().unwrap();
    let (s, _) = app
        .post_json("/api/v1/merchants", &merchant("0100233488", "Trùng"))
        .await;
    assert_eq!(s, 409);
    let (s, p) = app
        .post_json("/api/v1/merchants", &merchant("022190001234", "Hộ Bình"))
        .await;
    assert_eq!((s, p["tax_code"].as_str()), (201, Some("022190001234")));

    let path = format!("/api/v1/merchants/{rid}/bank-accounts");
    let (s, e) = app
        .post_json(
            &path,
            &json!({"bank_bin": "123456", "account_number": "1", "holder_name": "X"}),
        )
        .await;
    assert_eq!(
        (s, e["details"]["errors"][0]["code"].as_str()),
        (422, Some("unknown_bank"))
    );
    let (s, a) = app
        .post_json(&path, &json!({"bank_bin": "970436", "account_number": "0011 0012 3456", "holder_name": "NGUYEN THI LAN"}))
        .await;
    assert_eq!(
        (s, a["is_default"].as_bool()),
        (201, Some(true)),
        "first account is the default"
    );
    let (s, b) = app
        .post_json(&path, &json!({"bank_bin": "970415", "account_number": "10987654321", "holder_name": "NGUYEN THI LAN", "is_default": true}))
        .await;
    assert_eq!(s, 201);
    let accounts = app.get_json(&path).await;
    assert_eq!(accounts.as_array().unwrap().len(), 2);
    assert_eq!(accounts[0]["id"], b["id"], "the new default comes first");
    assert_eq!(accounts[1]["is_default"], false);
    let (s, _) = app
        .post_json(&path, &json!({"bank_bin": "970436", "account_number": "001100123456", "holder_name": "NGUYEN THI LAN"}))
        .await;
    assert_eq!(s, 409, "same account twice");
    let del = app
        .client
        .delete(app.url(&format!("{path}/{}", a["id"])))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);

    let stall = json!({"market_id": market_id, "code": "a-01", "zone": "Khu A", "category": "Hải sản", "merchant_id": rid});
    let (s, st) = app.post_json("/api/v1/stalls", &stall).await;
    assert_eq!((s, st["code"].as_str()), (201, Some("A-01")));
    let (s, _) = app.post_json("/api/v1/stalls", &stall).await;
    assert_eq!(s, 409, "stall codes are unique within a market");
    let (s, e) = app
        .post_json("/api/v1/stalls", &json!({"market_id": 999, "code": "B-1"}))
        .await;
    assert_eq!(
        (s, e["details"]["errors"][0]["field"].as_str()),
        (422, Some("market_id"))
    );
    assert_eq!(
        app.total(&format!("/api/v1/stalls?merchant_id={rid}"))
            .await,
        1
    );
    assert_eq!(
        app.total(&format!("/api/v1/merchants?market_id={market_id}"))
            .await,
        1
    );
    assert_eq!(app.total("/api/v1/stalls?q=hai%20san").await, 1);
    assert_eq!(
        app.total(&format!("/api/v1/markets?merchant_id={rid}"))
            .await,
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn demo_seed_is_idempotent_and_realistic() {
    let app = TestApp::spawn_with(true).await;
    assert_eq!(app.total("/api/v1/markets?class=1").await, 19);
    assert_eq!(app.total("/api/v1/markets?class=2").await, 11);
    assert_eq!(app.total("/api/v1/markets?class=3").await, 13);
    assert_eq!(app.total("/api/v1/markets?demo=false").await, 0);
    let stalls = app.total("/api/v1/stalls").await;
    let merchants = app.total("/api/v1/merchants").await;
    assert!(
        stalls > 5_000 && merchants > 4_000,
        "{stalls} stalls, {merchants} merchants"
    );
    // Every demo merchant's tax code and payout account are valid in form.
    let page = app.get_json("/api/v1/merchants?per_page=200").await;
    for m in page["items"].as_array().unwrap() {
        identity::tax_code::TaxCode::parse(m["tax_code"].as_str().unwrap()).unwrap();
    }
    // Seeding again (a restart with --demo) adds nothing.
    let state = app.running.as_ref().unwrap().state.clone();
    halong::demo::seed(&state.db, &state.places).await.unwrap();
    assert_eq!(app.total("/api/v1/stalls").await, stalls);
    assert_eq!(app.total("/api/v1/merchants").await, merchants);
    app.stop().await;
}
