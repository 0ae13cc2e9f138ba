//! Signing and verification.

mod common;
use common::*;
use einvoice::dsig::{C14nMethod, ChainStatus};
use einvoice::*;

#[test]
fn sign_then_verify() {
    let xml = write_invoice(&mtt_invoice(7));
    let signed = sign_invoice(&xml, &key(), time()).unwrap();
    let reports = verify_signatures(&signed, &VerifyOptions::default()).unwrap();
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert!(r.is_valid(), "{r:?}");
    assert!(r.covers("HD-7"));
    assert_eq!(r.container, "NBan");
    assert_eq!(r.references.len(), 2);
    assert_eq!(r.references[0].target.as_deref(), Some("DLHDon"));
    assert_eq!(r.references[1].target.as_deref(), Some("Object"));
    let cert = r.certificate.as_ref().unwrap();
    assert!(
        cert.subject.contains("UID=MST:0106324653"),
        "{}",
        cert.subject
    );
    assert!(
        cert.subject.contains("CN=Chợ Hạ Long TEST"),
        "{}",
        cert.subject
    );
    assert_eq!(
        cert.issuer,
        "C=VN, O=Halong Test CA, CN=Halong Test Root CA"
    );
    assert_eq!(cert.rsa_bits, 2048);
    // the signed document still reads as the same invoice
    assert_eq!(read_invoice(&signed).unwrap(), mtt_invoice(7));
    assert!(signed.contains("<SigningTime>2025-07-01T09:30:00</SigningTime>"));
}

#[test]
fn changing_one_amount_fails() {
    let signed = sign_invoice(&write_invoice(&mtt_invoice(8)), &key(), time()).unwrap();
    let total = mtt_invoice(8).totals.total;
    let tampered = signed.replace(
        &format!("<TgTTTBSo>{total}</TgTTTBSo>"),
        &format!("<TgTTTBSo>{}</TgTTTBSo>", total + 1),
    );
    assert_ne!(tampered, signed);
    let r = &verify_signatures(&tampered, &VerifyOptions::default()).unwrap()[0];
    assert!(!r.is_valid());
    assert!(r.signature_valid, "SignedInfo untouched");
    assert!(!r.references[0].digest_valid);
    // tampering with the signing time breaks the second reference
    let t2 = signed.replace("2025-07-01T09:30:00", "2025-07-01T09:31:00");
    let r = &verify_signatures(&t2, &VerifyOptions::default()).unwrap()[0];
    assert!(!r.is_valid() && !r.references[1].digest_valid);
    // tampering with SignedInfo breaks the value
    let t3 = signed
        .replacen("<Reference URI=", "<Reference  URI=", 1)
        .replacen("Transform Algorithm", "Transform  Algorithm", 0);
    let t3 = t3.replacen("<DigestValue>", "<DigestValue> ", 1);
    let r = &verify_signatures(&t3, &VerifyOptions::default()).unwrap()[0];
    assert!(!r.signature_valid);
}

#[test]
fn exclusive_c14n_signature() {
    let xml = write_invoice(&mtt_invoice(9));
    let opts = SignOptions {
        target_id: "HD-9".into(),
        container: vec!["DSCKS".into(), "NBan".into()],
        signature_id: "seller".into(),
        signing_time: time(),
        c14n: C14nMethod::Exclusive,
    };
    let signed = sign_enveloped(&xml, &key(), &opts).unwrap();
    let r = &verify_signatures(&signed, &VerifyOptions::default()).unwrap()[0];
    assert!(r.is_valid(), "{r:?}");
    // signing twice is refused
    assert!(
        sign_enveloped(
            &signed,
            &key(),
            &SignOptions {
                signature_id: "x".into(),
                ..opts
            }
        )
        .is_err()
    );
}

#[test]
fn chain_check() {
    let signed = sign_invoice(&write_invoice(&mtt_invoice(3)), &key(), time()).unwrap();
    let opts = VerifyOptions {
        trust_anchors: vec![fixture("ca.cert.der")],
        now_unix: Some(1_800_000_000),
        ..VerifyOptions::default()
    };
    let r = &verify_signatures(&signed, &opts).unwrap()[0];
    assert_eq!(r.chain, ChainStatus::Trusted);
    assert_eq!(r.certificate.as_ref().unwrap().valid_now, Some(true));
    // the signer's own certificate is not a CA for itself
    let opts = VerifyOptions {
        trust_anchors: vec![fixture("seller.cert.der").iter().rev().copied().collect()],
        ..VerifyOptions::default()
    };
    let r = &verify_signatures(&signed, &opts).unwrap()[0];
    assert!(matches!(r.chain, ChainStatus::Untrusted(_)));
    // expired at a far future time
    let opts = VerifyOptions {
        trust_anchors: vec![fixture("ca.cert.der")],
        now_unix: Some(4_000_000_000),
        ..VerifyOptions::default()
    };
    let r = &verify_signatures(&signed, &opts).unwrap()[0];
    assert!(matches!(r.chain, ChainStatus::Untrusted(_)));
}

#[test]
fn key_and_certificate_must_match() {
    assert!(
        SigningKey::from_pkcs8_der(&fixture("seller.key.pk8.der"), &fixture("ca.cert.der"))
            .is_err()
    );
    assert!(SigningKey::from_pkcs8_der(b"junk", &fixture("seller.cert.der")).is_err());
}

fn legacy() -> VerifyOptions {
    VerifyOptions {
        min_rsa_bits: 1024,
        ..VerifyOptions::default()
    }
}

#[test]
fn real_samples_verify() {
    for (name, count) in [
        ("coded-C21TCT-14.xml", 2),
        ("tct-202-coded-C21TCT-14.xml", 2),
        ("noncoded-K23TKK-1063.xml", 1),
        ("noncoded-K23TLL-226.xml", 1),
    ] {
        let reports = verify_signatures(&sample(name), &legacy()).unwrap();
        assert_eq!(reports.len(), count, "{name}");
        for r in &reports {
            assert!(r.is_valid(), "{name}: {r:?}");
        }
    }
    let r = verify_signatures(&sample("coded-C21TCT-14.xml"), &legacy()).unwrap();
    assert_eq!(r[1].container, "CQT");
    assert!(r[1].covers("Id-3fca5333d7894598844aae52ece50271"));
    assert!(r[0].covers("TS24_2111051448445960106322455"));
    let c = r[0].certificate.as_ref().unwrap();
    assert!(c.subject.contains("UID=MST:0106324653"), "{}", c.subject);
    assert!(c.issuer.contains("SAFE-CA"), "{}", c.issuer);
    // 1024-bit key refused by default
    let r = verify_signatures(
        &sample("noncoded-K23TLL-226.xml"),
        &VerifyOptions::default(),
    )
    .unwrap();
    assert!(!r[0].is_valid());
    // SHA-1 refused on request
    let no_sha1 = VerifyOptions {
        allow_sha1: false,
        ..legacy()
    };
    let r = verify_signatures(&sample("noncoded-K23TKK-1063.xml"), &no_sha1).unwrap();
    assert!(!r[0].is_valid());
}

#[test]
fn tampered_samples_fail() {
    let s = sample("noncoded-K23TKK-1063.xml").replace("<TgTTTBSo>31030<", "<TgTTTBSo>31031<");
    assert!(!verify_signatures(&s, &legacy()).unwrap()[0].is_valid());
    let s = sample("coded-C21TCT-14.xml").replace(
        "00474597512BE94B7BAB367996EF464828",
        "00474597512BE94B7BAB367996EF464829",
    );
    let r = verify_signatures(&s, &legacy()).unwrap();
    assert!(r[0].is_valid(), "seller signature does not cover MCCQT");
    assert!(!r[1].is_valid(), "CQT signature covers MCCQT");
}
