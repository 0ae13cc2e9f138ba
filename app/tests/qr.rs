//! VietQR in the platform: stall codes, signs, the encode/decode API and the `halong qr` CLI.

mod common;

use common::TestApp;
use serde_json::json;

/// A market with one stall whose merchant has a Vietcombank account, and one empty stall.
async fn stall_with_account(app: &TestApp) -> (i64, i64) {
    let (_, m) = app
        .post_json("/api/v1/markets", &json!({"code": "HL-1", "name": "Chợ Hạ Long I", "place_code": "06685", "business_points": 450}))
        .await;
    let (_, r) = app
        .post_json("/api/v1/merchants", &json!({"tax_code": "0100233488", "name": "Hộ kinh doanh Lan", "owner_name": "Nguyễn Thị Lan", "place_code": "06685", "payment_methods": ["cash", "vietqr"]}))
        .await;
    let rid = r["id"].as_i64().unwrap();
    app.post_json(&format!("/api/v1/merchants/{rid}/bank-accounts"), &json!({"bank_bin": "970436", "account_number": "0011012345678", "holder_name": "NGUYEN THI LAN"}))
        .await;
    let (_, s) = app
        .post_json(
            "/api/v1/stalls",
            &json!({"market_id": m["id"], "code": "A-12", "merchant_id": rid}),
        )
        .await;
    let (_, e) = app
        .post_json(
            "/api/v1/stalls",
            &json!({"market_id": m["id"], "code": "A-13"}),
        )
        .await;
    (s["id"].as_i64().unwrap(), e["id"].as_i64().unwrap())
}

#[tokio::test]
async fn stall_codes_and_signs() {
    let app = TestApp::spawn().await;
    let (stall, empty) = stall_with_account(&app).await;
    let r = app.get(&format!("/api/v1/stalls/{stall}/qr.svg")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.text().await.unwrap().contains("<svg"));
    let r = app.get(&format!("/api/v1/stalls/{stall}/qr.png")).await;
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(&r.bytes().await.unwrap()[1..4], b"PNG");
    let sign = app
        .get(&format!("/api/v1/stalls/{stall}/sign"))
        .await
        .text()
        .await
        .unwrap();
    for needle in [
        "Chợ Hạ Long I",
        "A-12",
        "Hộ kinh doanh Lan",
        "Vietcombank",
        "5678",
    ] {
        assert!(sign.contains(needle), "sign shows {needle}");
    }
    assert!(
        !sign.contains("0011012345678"),
        "the account number is masked"
    );

    let r = app.get(&format!("/api/v1/stalls/{empty}/qr.svg")).await;
    assert_eq!(r.status(), 404);
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["code"], "no_payout_account");

    // The market page shows codes; the print document holds one sign per payable stall.
    let market = app.get_json("/api/v1/markets").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let page = app
        .get(&format!("/markets/{market}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/api/v1/stalls/{stall}/qr.svg")));
    assert!(page.contains("In tất cả bảng QR"));
    let print = app
        .get(&format!("/markets/{market}/signs"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(print.matches("class=\"sign\"").count(), 1);
    assert!(print.contains("size: A6"));
    app.stop().await;
}

#[tokio::test]
async fn stall_code_decodes_to_the_payout_account() {
    let app = TestApp::spawn().await;
    let (stall, _) = stall_with_account(&app).await;
    let png = app
        .get(&format!("/api/v1/stalls/{stall}/qr.png"))
        .await
        .bytes()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stall.png");
    std::fs::write(&file, &png).unwrap();
    let out = std::process::Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(&file)
        .output()
        .expect("zbarimg (Debian package zbar-tools) must be installed; .ci/run installs it");
    let payload = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let (s, d) = app
        .post_json("/api/v1/qr/decode", &json!({"payload": payload}))
        .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(
        (d["kind"].as_str(), d["initiation"].as_str()),
        (Some("vietqr"), Some("static"))
    );
    assert_eq!(
        (d["bin"].as_str(), d["account"].as_str()),
        (Some("970436"), Some("0011012345678"))
    );
    assert_eq!(d["memo"], "HL-1 A-12");
    app.stop().await;
}

#[tokio::test]
async fn encode_and_decode_api() {
    let app = TestApp::spawn().await;
    let body = json!({"initiation": "dynamic", "bin": "970415", "account": "113366668888", "service": "QRIBFTTA", "amount": 35000, "memo": "Tiền điện tháng 11"});
    let (s, r) = app.post_json("/api/v1/qr/encode", &body).await;
    assert_eq!(s, 200, "{r}");
    let payload = r["payload"].as_str().unwrap();
    let (_, d) = app
        .post_json("/api/v1/qr/decode", &json!({"payload": payload}))
        .await;
    assert_eq!(
        (d["amount"].as_u64(), d["memo"].as_str()),
        (Some(35000), Some("Tien dien thang 11"))
    );

    let tampered = payload.replace("35000", "95000");
    let (s, e) = app
        .post_json("/api/v1/qr/decode", &json!({"payload": tampered}))
        .await;
    assert_eq!((s, e["code"].as_str()), (422, Some("crc_mismatch")));
    assert!(
        e["details"]["offset"].as_u64().is_some() && !e["message_vi"].as_str().unwrap().is_empty()
    );

    let bad = json!({"initiation": "static", "bin": "970415", "account": "1", "service": "QRIBFTTA", "amount": 5});
    let (s, e) = app.post_json("/api/v1/qr/encode", &bad).await;
    assert_eq!(s, 422, "a static code with an amount is refused: {e}");
    app.stop().await;
}

#[test]
fn cli_encode_decode_render() {
    let bin = env!("CARGO_BIN_EXE_halong");
    let out = std::process::Command::new(bin)
        .args([
            "qr",
            "encode",
            "--bin",
            "VCB",
            "--account",
            "0011012345678",
            "--amount",
            "35000",
            "--memo",
            "Rau muống",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let payload = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(payload.starts_with("000201010212") && payload.len() > 60);
    let out = std::process::Command::new(bin)
        .args(["qr", "decode", &payload])
        .output()
        .unwrap();
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (d["bin"].as_str(), d["memo"].as_str()),
        (Some("970436"), Some("Rau muong"))
    );
    let bad = format!("{}FFFF", &payload[..payload.len() - 4]);
    let out = std::process::Command::new(bin)
        .args(["qr", "decode", &bad])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("crc_mismatch"));
    let dir = tempfile::tempdir().unwrap();
    for ext in ["png", "svg"] {
        let file = dir.path().join(format!("q.{ext}"));
        let st = std::process::Command::new(bin)
            .args(["qr", "render", &payload, "--out"])
            .arg(&file)
            .status()
            .unwrap();
        assert!(st.success() && std::fs::metadata(&file).unwrap().len() > 100);
    }
}
