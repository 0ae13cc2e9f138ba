//! The Vietnamese web UI over real HTTP, and the real binary's start and graceful stop.

mod common;

use common::TestApp;

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.get(path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
    let r = app
        .client
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

#[tokio::test]
async fn pages_render_in_vietnamese_with_filters() {
    let app = TestApp::spawn_with(true).await;
    let (s, home) = page(&app, "/").await;
    assert_eq!(s, 200);
    assert!(home.contains("lang=\"vi\"") && home.contains("Chợ 4.0 tỉnh Quảng Ninh"));
    assert!(
        home.contains("name=\"viewport\""),
        "phone-friendly viewport"
    );
    assert!(home.contains("Chế độ trình diễn"), "demo mode is announced");
    let (s, css) = page(&app, "/assets/app.css").await;
    assert!(s == 200 && css.contains("@media"));

    let (s, list) = page(&app, "/markets?class=1&q=bai%20chay").await;
    assert_eq!(s, 200);
    assert!(
        list.contains("Chợ Bãi Cháy"),
        "search without diacritics finds Bãi Cháy"
    );
    assert!(!list.contains("Hạng 2</td>"));
    let id = app.get_json("/api/v1/markets?q=bai%20chay").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let (s, market) = page(&app, &format!("/markets/{id}")).await;
    assert_eq!(s, 200);
    assert!(
        market.contains("Quầy/sạp") && market.contains("A-001") && market.contains("Hộ kinh doanh")
    );
    let (s, merchants) = page(&app, "/merchants?q=nguyen").await;
    assert!(s == 200 && merchants.contains("Nguyễn"));
    let (s, _) = page(&app, "/markets/999999").await;
    assert_eq!(s, 404);
    app.stop().await;
}

#[tokio::test]
async fn forms_show_errors_inline_and_save_good_input() {
    let app = TestApp::spawn().await;
    let (s, form) = page(&app, "/markets/new").await;
    assert!(s == 200 && form.contains("name=\"business_points\""));

    let bad = [
        ("code", "HL 1!"),
        ("name", ""),
        ("place_code", "06685"),
        ("business_points", "nhiều"),
        ("status", "active"),
    ];
    let (s, _, body) = post_form(&app, "/markets/new", &bad).await;
    assert_eq!(s, 422);
    assert!(
        body.contains("Phải là số")
            && body.contains("Bắt buộc nhập")
            && body.contains("Mã chỉ gồm")
    );
    assert!(body.contains("value=\"HL 1!\""), "what was typed is kept");
    assert_eq!(app.total("/api/v1/markets").await, 0);

    let good = [
        ("code", "HL-1"),
        ("name", "Chợ Hạ Long I"),
        ("place_code", "06685"),
        ("business_points", "450"),
        ("status", "active"),
    ];
    let (s, location, _) = post_form(&app, "/markets/new", &good).await;
    assert_eq!(s, 303);
    assert!(location.starts_with("/markets/"));
    let (s, _, body) = post_form(&app, "/markets/new", &good).await;
    assert!(
        s == 422 && body.contains("Mã này đã có"),
        "a duplicate code is a field error"
    );

    let merchant = [
        ("tax_code", "0100233488"),
        ("name", "Hộ kinh doanh Lan"),
        ("kind", "household"),
        ("owner_name", "Nguyễn Thị Lan"),
        ("place_code", "06685"),
        ("status", "active"),
        ("vietqr", "on"),
    ];
    let (s, location, _) = post_form(&app, "/merchants/new", &merchant).await;
    assert_eq!(s, 303, "merchant saved");
    let (s, _, body) = post_form(
        &app,
        &format!("{location}/accounts"),
        &[
            ("bank_bin", "970436"),
            ("account_number", ""),
            ("holder_name", "NGUYEN THI LAN"),
        ],
    )
    .await;
    assert!(s == 422 && body.contains("Bắt buộc nhập"));
    let (s, _, _) = post_form(
        &app,
        &format!("{location}/accounts"),
        &[
            ("bank_bin", "970436"),
            ("account_number", "0011001234567"),
            ("holder_name", "NGUYEN THI LAN"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let (_, body) = page(&app, &location).await;
    assert!(body.contains("Vietcombank") && body.contains("0011001234567"));

    let market_path = app.get_json("/api/v1/markets").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let stall = [
        ("code", "A-01"),
        ("zone", "Khu A"),
        ("category", "Hải sản"),
        ("status", "active"),
        ("merchant_tax_code", "0100233480"),
    ];
    let (s, _, body) = post_form(&app, &format!("/markets/{market_path}/stalls/new"), &stall).await;
    assert!(
        s == 422 && body.contains("merchant_tax_code"),
        "bad tax code of the merchant is shown"
    );
    let stall = [
        ("code", "A-01"),
        ("zone", "Khu A"),
        ("category", "Hải sản"),
        ("status", "active"),
        ("merchant_tax_code", "0100233488"),
    ];
    let (s, _, _) = post_form(&app, &format!("/markets/{market_path}/stalls/new"), &stall).await;
    assert_eq!(s, 303);
    assert_eq!(app.total("/api/v1/stalls?q=hai%20san").await, 1);
    app.stop().await;
}

/// The real binary: starts on the configured address, serves, and on SIGTERM drains and exits 0.
#[tokio::test]
async fn binary_serves_and_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, pg) = common::fresh_database(dir.path()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_halong"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &database_url)
        .env("HALONG_DATA_DIR", dir.path())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/healthz");
    let mut up = false;
    for _ in 0..100 {
        if client
            .get(&url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "server answered /healthz");
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status}");
    if let Some((admin, name)) = pg {
        common::drop_database(&admin, &name).await;
    }
}
