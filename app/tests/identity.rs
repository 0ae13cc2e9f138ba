//! Sign-in by SMS code and by password, sessions and CSRF, abuse limits, eKYC levels, the audit
//! log and the administrator bootstrap commands.

mod common;

use common::TestApp;
use serde_json::{Value, json};

const MRZ: &str = "IDVNM0950012340022095001234<<8\n9503157M3503155VNM<<<<<<<<<<<6\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<";

fn sim(app: &TestApp) -> halong::sms::SimState {
    app.running
        .as_ref()
        .unwrap()
        .state
        .sms_sim
        .clone()
        .expect("demo mode runs the SMS simulator")
}

/// The 6-digit code in the newest SMS to `phone`.
fn last_code(app: &TestApp, phone: &str) -> String {
    let m = sim(app).last_to(phone).expect("an SMS was sent");
    m.content
        .split_whitespace()
        .find(|w| w.len() == 7 && w.ends_with('.'))
        .map(|w| w[..6].to_string())
        .expect("code in SMS")
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value, reqwest::header::HeaderMap) {
    let r = app
        .anonymous
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let (s, h) = (r.status().as_u16(), r.headers().clone());
    (s, r.json().await.unwrap_or(Value::Null), h)
}

fn session_cookie(headers: &reqwest::header::HeaderMap) -> String {
    let c = headers
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap();
    assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
    c.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn otp_sign_in_works_once_and_makes_a_level_1_citizen() {
    let app = TestApp::spawn_with(true).await;
    let (s, r, _) = post(
        &app,
        "/api/v1/auth/otp/request",
        json!({"phone": "+84 912 345 678"}),
    )
    .await;
    assert_eq!((s, r["phone"].as_str()), (202, Some("0912345678")));
    let code = last_code(&app, "0912345678");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (s, e, _) = post(
        &app,
        "/api/v1/auth/otp/verify",
        json!({"phone": "0912345678", "code": wrong}),
    )
    .await;
    assert_eq!((s, e["code"].as_str()), (401, Some("bad_code")));
    let (s, person, headers) = post(
        &app,
        "/api/v1/auth/otp/verify",
        json!({"phone": "0912345678", "code": code}),
    )
    .await;
    assert_eq!(s, 200, "{person}");
    assert_eq!(person["ekyc_level"], 1);
    let cookie = session_cookie(&headers);
    let me: Value = app
        .anonymous
        .get(app.url("/api/v1/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["grants"][0]["role"], "citizen");
    assert!(me["csrf_token"].as_str().is_some_and(|t| t.len() == 32));
    // The same code works only once.
    let (s, _, _) = post(
        &app,
        "/api/v1/auth/otp/verify",
        json!({"phone": "0912345678", "code": code}),
    )
    .await;
    assert_eq!(s, 401);
    // A citizen sees no register records.
    let r = app
        .anonymous
        .get(app.url("/api/v1/markets"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The level change is recorded with how it happened.
    let id = person["id"].as_i64().unwrap();
    let detail = app.get_json(&format!("/api/v1/people/{id}")).await;
    assert_eq!(detail["ekyc_events"][0]["method"], "otp_sms");
    assert_eq!(detail["ekyc_events"][0]["to_level"], 1);
    app.stop().await;
}

#[tokio::test]
async fn a_thousand_wrong_guesses_never_succeed_and_lock_the_phone() {
    let app = TestApp::spawn_with(true).await;
    let phone = "0987654321";
    let (s, _, _) = post(&app, "/api/v1/auth/otp/request", json!({"phone": phone})).await;
    assert_eq!(s, 202);
    let code = last_code(&app, phone);
    let mut statuses = std::collections::BTreeMap::new();
    let mut guess = 0u32;
    for _ in 0..1000 {
        let mut g = format!("{guess:06}");
        if g == code {
            guess += 1;
            g = format!("{guess:06}");
        }
        guess += 1;
        let (s, body, _) = post(
            &app,
            "/api/v1/auth/otp/verify",
            json!({"phone": phone, "code": g}),
        )
        .await;
        assert_ne!(s, 200, "a wrong guess succeeded");
        *statuses
            .entry((s, body["code"].as_str().unwrap_or("").to_string()))
            .or_insert(0) += 1;
    }
    assert_eq!(
        statuses.get(&(401, "bad_code".into())),
        Some(&4),
        "{statuses:?}"
    );
    let locked = statuses.get(&(429, "locked".into())).copied().unwrap_or(0);
    assert_eq!(
        locked, 996,
        "the fifth failure locks the phone: {statuses:?}"
    );
    // While locked even the right code is refused, and no new code is sent.
    let (s, e, _) = post(
        &app,
        "/api/v1/auth/otp/verify",
        json!({"phone": phone, "code": code}),
    )
    .await;
    assert_eq!((s, e["code"].as_str()), (429, Some("locked")));
    assert!(
        e["details"]["retry_after_seconds"]
            .as_i64()
            .is_some_and(|s| (1..=60).contains(&s))
    );
    let (s, _, _) = post(&app, "/api/v1/auth/otp/request", json!({"phone": phone})).await;
    assert_eq!(s, 429);
    app.stop().await;
}

#[tokio::test]
async fn codes_are_rate_limited_and_expire() {
    let app = TestApp::spawn_with(true).await;
    for _ in 0..3 {
        let (s, _, _) = post(
            &app,
            "/api/v1/auth/otp/request",
            json!({"phone": "0912000111"}),
        )
        .await;
        assert_eq!(s, 202);
    }
    let (s, e, _) = post(
        &app,
        "/api/v1/auth/otp/request",
        json!({"phone": "0912000111"}),
    )
    .await;
    assert_eq!((s, e["code"].as_str()), (429, Some("too_many_codes")));
    let (s, e, _) = post(&app, "/api/v1/auth/otp/request", json!({"phone": "12345"})).await;
    assert_eq!(
        (s, e["details"]["errors"][0]["field"].as_str()),
        (422, Some("phone"))
    );

    post(
        &app,
        "/api/v1/auth/otp/request",
        json!({"phone": "0912000222"}),
    )
    .await;
    let code = last_code(&app, "0912000222");
    // Five minutes later (moved in the database) the code no longer works.
    let db = app.running.as_ref().unwrap().state.db.clone();
    halong::with_db!(&db, p => sqlx::query("UPDATE otp_challenges SET expires_at = 0 WHERE phone = $1")
        .bind("0912000222").execute(p).await.map(|_| ())).unwrap();
    let (s, _, _) = post(
        &app,
        "/api/v1/auth/otp/verify",
        json!({"phone": "0912000222", "code": code}),
    )
    .await;
    assert_eq!(s, 401);
    app.stop().await;
}

#[tokio::test]
async fn password_sessions_csrf_and_sign_out() {
    let app = TestApp::spawn_with(true).await;
    let (s, _, _) = post(
        &app,
        "/api/v1/auth/password",
        json!({"phone": "0900000001", "password": "wrong password"}),
    )
    .await;
    assert_eq!(s, 401);
    let (s, p, headers) = post(
        &app,
        "/api/v1/auth/password",
        json!({"phone": "0900000001", "password": halong::demo::DEMO_PASSWORD}),
    )
    .await;
    assert_eq!(s, 200, "{p}");
    let cookie = session_cookie(&headers);
    let with_cookie = |r: reqwest::RequestBuilder| r.header("cookie", &cookie);
    let me: Value = with_cookie(app.anonymous.get(app.url("/api/v1/me")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["grants"][0]["role"], "admin");
    let csrf = me["csrf_token"].as_str().unwrap().to_string();

    // A write with the cookie but without the CSRF token is refused; with it, it goes through.
    let body =
        json!({"code": "X-1", "name": "Chợ X", "place_code": "06685", "business_points": 10});
    let r = with_cookie(app.anonymous.post(app.url("/api/v1/markets")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = with_cookie(app.anonymous.post(app.url("/api/v1/markets")))
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // Forms carry the token as a field.
    let form = [
        ("code", "X-2"),
        ("name", "Chợ Y"),
        ("place_code", "06685"),
        ("business_points", "10"),
        ("status", "active"),
    ];
    let r = with_cookie(app.anonymous.post(app.url("/markets/new")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let mut with_token = form.to_vec();
    with_token.push(("csrf", &csrf));
    let r = with_cookie(app.anonymous.post(app.url("/markets/new")))
        .form(&with_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = with_cookie(app.anonymous.get(app.url("/markets/new")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("name=\"csrf\" value=\"{csrf}\"")),
        "forms embed the token"
    );

    // Signing out ends the session.
    let r = with_cookie(app.anonymous.post(app.url("/api/v1/auth/signout")))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = with_cookie(app.anonymous.get(app.url("/api/v1/me")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Five wrong passwords lock the account for a while.
    for _ in 0..5 {
        post(
            &app,
            "/api/v1/auth/password",
            json!({"phone": "0900000002", "password": "wrong password"}),
        )
        .await;
    }
    let (s, e, _) = post(
        &app,
        "/api/v1/auth/password",
        json!({"phone": "0900000002", "password": halong::demo::DEMO_PASSWORD}),
    )
    .await;
    assert_eq!((s, e["code"].as_str()), (429, Some("locked")));
    app.stop().await;
}

#[tokio::test]
async fn sign_in_pages_and_demo_accounts() {
    let app = TestApp::spawn_with(true).await;
    let page = app
        .anonymous
        .get(app.url("/signin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Tài khoản mẫu") && page.contains("0900000003"));
    let r = app
        .anonymous
        .post(app.url("/signin/otp"))
        .form(&[("phone", "0912777888")])
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Mã xác thực đã được gửi") && page.contains("091*****88"),
        "phone masked on the page"
    );
    let code = last_code(&app, "0912777888");
    let r = app
        .anonymous
        .post(app.url("/signin/verify"))
        .form(&[("phone", "0912777888"), ("code", &code)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers().get("set-cookie").is_some());
    let sms_page = app
        .anonymous
        .get(app.url("/sim/sms"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sms_page.contains("0912777888"));
    app.stop().await;
}

fn chip_file(name: &str) -> String {
    use base64::Engine;
    let path = format!(
        "{}/../crates/identity/tests/fixtures/chip/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(path).unwrap())
}

/// A citizen signed in by OTP, with their session cookie and CSRF token.
async fn citizen(app: &TestApp, phone: &str) -> (i64, String, String) {
    post(app, "/api/v1/auth/otp/request", json!({"phone": phone})).await;
    let code = last_code(app, phone);
    let (status, person, headers) = post(
        app,
        "/api/v1/auth/otp/verify",
        json!({"phone": phone, "code": code}),
    )
    .await;
    assert_eq!(status, 200, "OTP verify for {phone} with {code}: {person}");
    let cookie = session_cookie(&headers);
    let me: Value = app
        .anonymous
        .get(app.url("/api/v1/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        person["id"].as_i64().unwrap(),
        cookie,
        me["csrf_token"].as_str().unwrap().to_string(),
    )
}

fn document(name: &str, sod: &str) -> Value {
    json!({"mrz": MRZ, "name": name, "personal_id": "022095001234", "birth_date": "1995-03-15",
           "dg1": chip_file("dg1.bin"), "sod": chip_file(sod),
           "data_groups": [{"number": 2, "data": chip_file("dg2.bin")}, {"number": 13, "data": chip_file("dg13.bin")}]})
}

#[tokio::test]
async fn ekyc_level_2_from_the_chip_card() {
    let app = TestApp::spawn_with(true).await;
    let (id, cookie, csrf) = citizen(&app, "0912345000").await;
    let send = |body: Value| {
        app.anonymous
            .post(app.url(&format!("/api/v1/people/{id}/ekyc")))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
    };
    // A name that disagrees with the card is refused, level unchanged.
    let r: Value = send(document("Nguyễn Văn Bình", "sod-rsa.bin"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["ekyc_level"], 1, "{r}");
    assert!(!r["mismatches"].as_array().unwrap().is_empty());
    // A chip whose DG1 was altered fails the security object's hash.
    let mut tampered = document("Nguyễn Văn An", "sod-rsa.bin");
    tampered["data_groups"][0]["data"] = json!(chip_file("dg13.bin"));
    let r: Value = send(tampered).await.unwrap().json().await.unwrap();
    assert_eq!(r["ekyc_level"], 1, "{r}");
    assert!(!r["refusals"].as_array().unwrap().is_empty());
    // Consistent card, no CSCA configured: level 2, recorded as not configured.
    let r: Value = send(document("Nguyễn Văn An", "sod-rsa.bin"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (r["ekyc_level"].as_i64(), r["passive_auth"].as_str()),
        (Some(2), Some("not_configured")),
        "{r}"
    );
    let detail = app.get_json(&format!("/api/v1/people/{id}")).await;
    let last = &detail["ekyc_events"][1];
    assert_eq!(
        (last["from_level"].as_i64(), last["to_level"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(
        (last["method"].as_str(), last["actor_id"].as_i64()),
        (Some("chip_mrz_dg1_no_csca"), Some(id))
    );
    assert!(
        !last["details"].as_str().unwrap().contains("022095001234"),
        "the ID is masked in the record"
    );
    assert_eq!(detail["person"]["personal_id"], "022095001234");
    app.stop().await;
}

#[tokio::test]
async fn ekyc_passive_authentication_against_configured_csca() {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, pg) = common::fresh_database(dir.path()).await;
    let fixtures = format!(
        "{}/../crates/identity/tests/fixtures/chip",
        env!("CARGO_MANIFEST_DIR")
    );
    let config = halong::config::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url,
        data_dir: dir.path().into(),
        demo: true,
        csca_certs: vec![format!("{fixtures}/csca-rsa.der").into()],
        ..Default::default()
    };
    let running = halong::server::start(&config).await.unwrap();
    let app = TestApp::attach(running, dir, pg).await;
    let (id, cookie, csrf) = citizen(&app, "0912345001").await;
    let send = |body: Value| {
        app.anonymous
            .post(app.url(&format!("/api/v1/people/{id}/ekyc")))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
    };
    // Signed by a document signer of another CSCA: refused.
    let r: Value = send(document("Nguyễn Văn An", "sod-rogue.bin"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (r["ekyc_level"].as_i64(), r["passive_auth"].as_str()),
        (Some(1), Some("failed")),
        "{r}"
    );
    let r: Value = send(document("Nguyễn Văn An", "sod-rsa.bin"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (r["ekyc_level"].as_i64(), r["passive_auth"].as_str()),
        (Some(2), Some("passed")),
        "{r}"
    );
    assert_eq!(r["method"], "chip_mrz_dg1_pa");
    app.stop().await;
}

#[tokio::test]
async fn every_write_is_in_the_audit_log() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .post(app.url("/api/v1/markets"))
        .header("x-request-id", "req-audit-1")
        .json(
            &json!({"code": "A-1", "name": "Chợ A", "place_code": "06685", "business_points": 10}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let (s, _) = app.post_json("/api/v1/markets", &json!({})).await;
    assert_eq!(s, 422, "a refused write is not an entry");
    let log = app.get_json("/api/v1/audit?action=markets").await;
    assert_eq!(log["total"], 1);
    let e = &log["items"][0];
    assert_eq!(
        (e["action"].as_str(), e["object_kind"].as_str()),
        (Some("POST /api/v1/markets"), Some("market"))
    );
    assert_eq!(
        (e["object_id"].as_str(), e["request_id"].as_str()),
        (Some(id.to_string().as_str()), Some("req-audit-1"))
    );
    assert!(
        e["actor"].as_str().unwrap().contains("090*****99"),
        "actor with masked phone: {e}"
    );
    let csv = app
        .get("/api/v1/audit?format=csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("id,at_utc_micros,actor_id") && csv.contains("req-audit-1"));
    let page = app.get("/audit").await.text().await.unwrap();
    assert!(page.contains("POST /api/v1/markets") && page.contains("Tải CSV"));
    app.stop().await;
}

/// `halong admin create` and `halong admin token` work on the database a running server uses.
#[tokio::test]
async fn admin_bootstrap_commands() {
    let app = TestApp::spawn().await;
    let bin = env!("CARGO_BIN_EXE_halong");
    let out = std::process::Command::new(bin)
        .args([
            "admin",
            "create",
            "--phone",
            "0913000111",
            "--name",
            "Bà Quản Trị",
        ])
        .env("DATABASE_URL", &app.database_url)
        .env("HALONG_ADMIN_PASSWORD", "a long enough password")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = std::process::Command::new(bin)
        .args(["admin", "token", "--phone", "0913000111", "--scope", "read"])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("hl_"));
    let client = common::client_with_token(&token);
    let me: Value = client
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            me["person"]["name"].as_str(),
            me["grants"][0]["role"].as_str()
        ),
        (Some("Bà Quản Trị"), Some("admin"))
    );
    let r = client
        .post(app.url("/api/v1/markets"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "a read token cannot write");
    let (s, _, _) = post(
        &app,
        "/api/v1/auth/password",
        json!({"phone": "0913000111", "password": "a long enough password"}),
    )
    .await;
    assert_eq!(s, 200);
    app.stop().await;
}

/// The real SMS client against the standalone simulator (what `halong sim sms` serves).
#[tokio::test]
async fn otp_through_a_separate_sms_gateway() {
    let sim = halong::sms::SimState::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim_addr = listener.local_addr().unwrap();
    let router: axum::Router = halong::sms::sim_router(sim.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let dir = tempfile::tempdir().unwrap();
    let (database_url, pg) = common::fresh_database(dir.path()).await;
    let config = halong::config::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url,
        data_dir: dir.path().into(),
        sms: halong::config::SmsArgs {
            url: Some(format!("http://{sim_addr}")),
            api_key: "key".into(),
            secret: "secret".into(),
            brandname: "HALONG".into(),
        },
        ..Default::default()
    };
    let running = halong::server::start(&config).await.unwrap();
    let r = reqwest::Client::new()
        .post(format!("http://{}/api/v1/auth/otp/request", running.addr))
        .json(&json!({"phone": "0355123456"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let m = sim
        .last_to("0355123456")
        .expect("the gateway got the message");
    assert!(m.content.contains("Ma xac thuc Halong") && m.brandname == "HALONG");
    running.stop().await.unwrap();
    if let Some((admin, name)) = pg {
        common::drop_database(&admin, &name).await;
    }
}

#[tokio::test]
async fn organisations_and_members() {
    let app = TestApp::spawn().await;
    let (_, m) = app
        .post_json(
            "/api/v1/markets",
            &json!({"code": "A", "name": "Chợ A", "place_code": "06685", "business_points": 10}),
        )
        .await;
    let (s, e) = app
        .post_json(
            "/api/v1/organisations",
            &json!({"kind": "market_board", "name": "Ban quản lý chợ A"}),
        )
        .await;
    assert_eq!(
        (s, e["details"]["errors"][0]["field"].as_str()),
        (422, Some("market_id"))
    );
    let (s, board) = app
        .post_json(
            "/api/v1/organisations",
            &json!({"kind": "market_board", "name": "Ban quản lý chợ A", "market_id": m["id"]}),
        )
        .await;
    assert_eq!(s, 201, "{board}");
    let (s, tax) = app.post_json("/api/v1/organisations", &json!({"kind": "tax_office", "name": "Thuế cơ sở 1 tỉnh Quảng Ninh", "tax_code": "0100233488"})).await;
    assert_eq!(s, 201, "{tax}");
    let (s, _) = app
        .post_json(
            "/api/v1/organisations",
            &json!({"kind": "utility", "name": "Điện lực", "tax_code": "0100233480"}),
        )
        .await;
    assert_eq!(s, 422, "tax codes are checked");
    let (s, _) = app
        .post_json(
            "/api/v1/organisations",
            &json!({"kind": "tax_office", "name": "Thuế cơ sở 1 tỉnh Quảng Ninh"}),
        )
        .await;
    assert_eq!(s, 409);
    let db = app.running.as_ref().unwrap().state.db.clone();
    let p = halong::auth::store::ensure_person(&db, "Cán bộ", "0913111222", false)
        .await
        .unwrap();
    let r = app
        .client
        .post(app.url(&format!("/api/v1/organisations/{}/members", tax["id"])))
        .json(&json!({"person_id": p.id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let detail = app.get_json(&format!("/api/v1/people/{}", p.id)).await;
    assert_eq!(detail["organisations"][0]["kind"], "tax_office");
    assert_eq!(
        app.get_json("/api/v1/organisations")
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    app.stop().await;
}
