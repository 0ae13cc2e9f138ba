//! Render QR PNGs and read them back with an independent decoder, `zbarimg`
//! (Debian package `zbar-tools`). Missing zbarimg is a failure, not a skip:
//! CI installs it, and a silently skipped scan test proves nothing.

use std::path::PathBuf;
use std::process::Command;
use vietqr::{Initiation, Service, VietQr, render};

const VECTORS: &[&str] = &[
    "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA530370454061800005802VN62340107NPS68690819thanh toan don hang63042E2E",
    "00020101021138600010A00000072701300006970403011697040311012345670208QRIBFTTC53037045802VN63044F52",
    "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304AE9F",
    // CRC below 0x1000: the leading zero must survive the image too.
    "00020101021238570010A00000072701270006970436011300110123456780208QRIBFTTA5303704540410995802VN62060802HL630408E0",
];

fn zbarimg(png: &[u8], name: &str) -> String {
    let path: PathBuf =
        std::env::temp_dir().join(format!("vietqr-zbar-{}-{name}.png", std::process::id()));
    std::fs::write(&path, png).expect("write temporary PNG");
    let out = Command::new("zbarimg")
        .args(["--raw", "-q", "-Sdisable", "-Sqrcode.enable"])
        .arg(&path)
        .output();
    let _ = std::fs::remove_file(&path);
    let out = out.unwrap_or_else(|e| {
        panic!(
            "zbarimg could not be run ({e}). Install it: `apt-get update && apt-get install -y zbar-tools`"
        )
    });
    assert!(out.status.success(), "zbarimg failed on {name}: {out:?}");
    let text = String::from_utf8(out.stdout).expect("zbarimg prints UTF-8");
    text.strip_suffix('\n').unwrap_or(&text).to_owned()
}

fn stall_qr() -> String {
    VietQr {
        initiation: Initiation::Static,
        bin: "970436".into(),
        account: "0011012346789".into(),
        service: Some(Service::ToAccount),
        memo: Some("Chợ Hạ Long sạp A12".into()),
        ..VietQr::default()
    }
    .encode()
    .unwrap()
}

fn dynamic_qr() -> String {
    VietQr {
        initiation: Initiation::Dynamic,
        bin: "970422".into(),
        account: "MBV123456789".into(),
        service: Some(Service::Push),
        amount: Some(3_000),
        memo: Some("HL-2026-000001".into()),
        bill_number: Some("HD-42".into()),
        merchant_name: Some("Bà Tư bán rau".into()),
        merchant_city: Some("Hạ Long".into()),
        ..VietQr::default()
    }
    .encode()
    .unwrap()
}

#[test]
fn pngs_scan_back_to_the_exact_payload() {
    let mut payloads: Vec<String> = VECTORS.iter().map(|s| s.to_string()).collect();
    payloads.push(stall_qr());
    payloads.push(dynamic_qr());
    for (i, p) in payloads.iter().enumerate() {
        for px in [3, 8] {
            let png = render::to_png(p, px);
            assert_eq!(
                zbarimg(&png, &format!("{i}-{px}")),
                *p,
                "payload {i} at {px} px/module"
            );
        }
    }
}
