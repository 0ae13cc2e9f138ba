//! `halong invoice parse|verify`, run as the built binary on real samples and on signed MTT
//! messages made with the test key.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/einvoice")
        .join(name)
}

fn key_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/einvoice/tests/fixtures")
        .join(name)
}

struct Run {
    ok: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn halong(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_halong"))
        .args(args)
        .output()
        .expect("run halong");
    Run {
        ok: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn write_temp(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

#[test]
fn parse_prints_json() {
    let r = halong(&[
        "invoice",
        "parse",
        fixture("noncoded-K23TKK-1063.xml").to_str().unwrap(),
    ]);
    assert!(r.ok, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["symbol"], "K23TKK");
    assert_eq!(v["number"], 1063);
    assert_eq!(v["seller"]["tax_code"], "0102182292-998");
    assert_eq!(v["totals"]["total"], 31030);
    assert_eq!(v["lines"].as_array().unwrap().len(), 6);
}

#[test]
fn parse_lists_every_broken_rule() {
    // The real coded sample states the wrong VAT: both rules it breaks are named.
    let r = halong(&[
        "invoice",
        "parse",
        fixture("coded-C21TCT-14.xml").to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.contains("EINV-023") && r.stderr.contains("EINV-024"),
        "{}",
        r.stderr
    );

    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(fixture("noncoded-K23TKK-1063.xml")).unwrap();
    let bad = good
        .replacen(
            "<TgTTTBSo>31030</TgTTTBSo>",
            "<TgTTTBSo>31031</TgTTTBSo>",
            1,
        )
        .replacen("<KHHDon>K23TKK</KHHDon>", "<KHHDon>Q23TKK</KHHDon>", 1);
    let r = halong(&["invoice", "parse", &write_temp(&dir, "bad.xml", &bad)]);
    assert_eq!(r.code, Some(1));
    for rule in ["EINV-002", "EINV-025"] {
        assert!(r.stderr.contains(rule), "{rule} missing: {}", r.stderr);
    }
    let r = halong(&[
        "invoice",
        "parse",
        &write_temp(&dir, "broken.xml", "<HDon><DLHDon>"),
    ]);
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("unreadable"), "{}", r.stderr);
    let r = halong(&[
        "invoice",
        "parse",
        &write_temp(
            &dir,
            "nosym.xml",
            &good.replacen("<SHDon>1063</SHDon>", "", 1),
        ),
    ]);
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("SHDon"), "{}", r.stderr);
    let r = halong(&["invoice", "parse", "/nonexistent/x.xml"]);
    assert_eq!(r.code, Some(2));
}

#[test]
fn verify_real_samples() {
    let r = halong(&[
        "invoice",
        "verify",
        fixture("coded-C21TCT-14.xml").to_str().unwrap(),
    ]);
    assert!(r.ok, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("CN=MÃ SỐ THUẾ TEST 109"), "{}", r.stdout);
    assert!(
        r.stdout.contains("CN=Tổng cục thuế Test 01"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("issuer: C=VN, O=SAFETY CERTIFY CORPORATION")
    );
    assert_eq!(r.stdout.matches("HỢP LỆ / VALID").count(), 2);
    // RSA-SHA1 with a 1024-bit key: accepted by default, refused when 2048 bits are required.
    let sha1 = fixture("noncoded-K23TLL-226.xml");
    let r = halong(&["invoice", "verify", sha1.to_str().unwrap()]);
    assert!(r.ok, "{}", r.stdout);
    assert!(r.stdout.contains("rsa-sha1"));
    let r = halong(&[
        "invoice",
        "verify",
        "--min-rsa-bits",
        "2048",
        sha1.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    // With a CA that did not issue it, the chain is reported and the check fails.
    let ca = key_fixture("ca.pem");
    let r = halong(&[
        "invoice",
        "verify",
        "--ca",
        ca.to_str().unwrap(),
        fixture("noncoded-K23TKK-1063.xml").to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(1));
    assert!(r.stdout.contains("untrusted"), "{}", r.stdout);
}

#[test]
fn verify_refuses_a_tampered_copy() {
    let dir = tempfile::tempdir().unwrap();
    let xml = std::fs::read_to_string(fixture("coded-C21TCT-14.xml")).unwrap();
    let total = xml
        .split("<TgTTTBSo>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    let tampered = xml.replacen(
        &format!("<TgTTTBSo>{total}</TgTTTBSo>"),
        "<TgTTTBSo>1</TgTTTBSo>",
        1,
    );
    assert_ne!(tampered, xml);
    let r = halong(&["invoice", "verify", &write_temp(&dir, "t.xml", &tampered)]);
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    assert!(
        r.stdout.contains("SAI / INVALID") && r.stdout.contains("MISMATCH"),
        "{}",
        r.stdout
    );
    let unsigned = halong(&["invoice", "verify", &write_temp(&dir, "u.xml", "<HDon/>")]);
    assert_eq!(unsigned.code, Some(1));
}

#[test]
fn verify_a_signed_mtt_package_against_the_test_ca() {
    use einvoice::envelope;
    let key = einvoice::SigningKey::from_pkcs8_der(
        &std::fs::read(key_fixture("seller.key.pk8.der")).unwrap(),
        &std::fs::read(key_fixture("seller.cert.der")).unwrap(),
    )
    .unwrap();
    let mut inv = einvoice::Invoice {
        data_id: "HD-1".into(),
        title: "Hóa đơn bán hàng khởi tạo từ máy tính tiền".into(),
        form: 2,
        symbol: "C25MAA".into(),
        number: 1,
        issue_date: einvoice::Date::new(2025, 7, 1).unwrap(),
        seller: einvoice::Seller {
            name: "Hộ kinh doanh Chợ Hạ Long".into(),
            tax_code: "0106324653".into(),
            address: "Hạ Long".into(),
            ..Default::default()
        },
        lines: vec![einvoice::Line::goods(
            "Chả mực",
            "kg",
            einvoice::Quantity::units(1),
            380_000,
            einvoice::VatRate::Kct,
        )],
        authority_code: Some("M2-25-ABCDE-00000000001".into()),
        ..Default::default()
    };
    inv.recompute_totals().unwrap();
    let header = envelope::Header {
        version: "2.0.1".into(),
        sender: "0106324653".into(),
        receiver: "TCT".into(),
        id: envelope::message_id("0106324653", [1; 16]),
        tax_code: "0106324653".into(),
        ..Default::default()
    };
    let time = einvoice::LocalDateTime::new(inv.issue_date, 8, 0, 0).unwrap();
    let xml = envelope::build_signed_206(&header, "DLieu-1", &[inv], &key, time).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = write_temp(&dir, "206.xml", &xml);
    let ca = key_fixture("ca.pem");
    let r = halong(&["invoice", "verify", "--ca", ca.to_str().unwrap(), &file]);
    assert!(r.ok, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("TDiep 206"), "{}", r.stdout);
    assert!(r.stdout.contains("in CKSNNT"));
    assert!(r.stdout.contains("UID=MST:0106324653"), "{}", r.stdout);
    assert!(r.stdout.contains("trusted"));
    let r = halong(&["invoice", "parse", &file]);
    assert!(r.ok, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["envelope"]["kind"], 206);
    assert_eq!(
        v["invoices"][0]["authority_code"],
        "M2-25-ABCDE-00000000001"
    );
}
