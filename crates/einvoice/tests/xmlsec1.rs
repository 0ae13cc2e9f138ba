//! Cross-check with the reference implementation: `xmlsec1 --verify` must accept
//! Halong-signed XML and reject a tampered copy. CI installs xmlsec1 (Debian package
//! `xmlsec1`); the test fails, not skips, when it is missing.

mod common;
use common::*;
use einvoice::dsig::C14nMethod;
use einvoice::*;
use std::process::Command;

fn xmlsec1_verify(xml: &str, id_attrs: &[&str], tag: &str) -> (bool, String) {
    let probe = Command::new("xmlsec1").arg("--version").output();
    if probe.is_err() {
        panic!(
            "xmlsec1 is not installed: this test needs it (Debian: `apt-get update && apt-get install -y xmlsec1`)"
        );
    }
    let dir = std::env::temp_dir().join(format!("einvoice-xmlsec1-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{tag}.xml"));
    std::fs::write(&file, xml).unwrap();
    let ca = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ca.pem");
    let mut cmd = Command::new("xmlsec1");
    cmd.arg("--verify").arg("--trusted-pem").arg(&ca);
    for a in id_attrs {
        cmd.arg("--id-attr:Id").arg(a);
    }
    cmd.arg("--enabled-reference-uris")
        .arg("same-doc")
        .arg(&file);
    let out = cmd.output().expect("run xmlsec1");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&file);
    (out.status.success(), text)
}

#[test]
fn xmlsec1_accepts_signed_invoice_and_rejects_tampered() {
    let inv = mtt_invoice(11);
    let signed = sign_invoice(&write_invoice(&inv), &key(), time()).unwrap();
    let (ok, log) = xmlsec1_verify(&signed, &["DLHDon"], "signed");
    assert!(ok, "xmlsec1 rejected the Halong signature:\n{log}");
    assert!(log.contains("OK"), "{log}");

    let total = inv.totals.total;
    let tampered = signed.replace(
        &format!("<TgTTTBSo>{total}</TgTTTBSo>"),
        &format!("<TgTTTBSo>{}</TgTTTBSo>", total + 1000),
    );
    assert_ne!(tampered, signed);
    let (ok, log) = xmlsec1_verify(&tampered, &["DLHDon"], "tampered");
    assert!(!ok, "xmlsec1 accepted a tampered document:\n{log}");
}

#[test]
fn xmlsec1_accepts_exclusive_c14n_signature() {
    let xml = write_invoice(&mtt_invoice(12));
    let signed = sign_enveloped(
        &xml,
        &key(),
        &SignOptions {
            target_id: "HD-12".into(),
            container: vec!["DSCKS".into(), "NBan".into()],
            signature_id: "seller".into(),
            signing_time: time(),
            c14n: C14nMethod::Exclusive,
        },
    )
    .unwrap();
    let (ok, log) = xmlsec1_verify(&signed, &["DLHDon"], "exc");
    assert!(ok, "xmlsec1 rejected the exclusive-C14N signature:\n{log}");
}

#[test]
fn xmlsec1_accepts_signed_206() {
    use einvoice::envelope::{Header, build_signed_206, message_id};
    let h = Header {
        version: "2.0.1".into(),
        sender: "0106324653".into(),
        receiver: "TCT".into(),
        kind: 206,
        id: message_id("0106324653", [1; 16]),
        reference_id: None,
        tax_code: "0106324653".into(),
        count: 0,
    };
    let invoices: Vec<Invoice> = (1..=5).map(mtt_invoice).collect();
    let xml = build_signed_206(&h, "DLieu-206", &invoices, &key(), time()).unwrap();
    let (ok, log) = xmlsec1_verify(&xml, &["DLieu"], "msg206");
    assert!(ok, "xmlsec1 rejected the 206 signature:\n{log}");
    let tampered = xml.replacen("<SHDon>3</SHDon>", "<SHDon>4</SHDon>", 1);
    let (ok, log) = xmlsec1_verify(&tampered, &["DLieu"], "msg206t");
    assert!(!ok, "xmlsec1 accepted a tampered 206:\n{log}");
}
