//! Passive authentication against the synthetic chip of `tests/fixtures/chip/` (see its README).

use identity::chip::{
    Certificate, CheckStatus, ChipError, Dg1, HashAlgorithm, PaCheckKind, PaReport, PublicKey,
    SignatureAlgorithm, SignatureScheme, SignerIdentifier, Sod, passive_authentication,
};
use identity::ekyc::{BirthDate, ChipEvidence, EkycLevel, PassiveAuth, chip_level2};

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/chip/",
            $name
        ))
        .as_slice()
    };
}

const DG1: &[u8] = fixture!("dg1.bin");
const DG2: &[u8] = fixture!("dg2.bin");
const DG13: &[u8] = fixture!("dg13.bin");
const SOD_RSA: &[u8] = fixture!("sod-rsa.bin");
const SOD_RSA_PSS: &[u8] = fixture!("sod-rsa-pss.bin");
const SOD_EC: &[u8] = fixture!("sod-ec.bin");
const SOD_EXPIRED: &[u8] = fixture!("sod-rsa-expired.bin");
const SOD_ROGUE: &[u8] = fixture!("sod-rogue.bin");
const CSCA_RSA: &[u8] = fixture!("csca-rsa.der");
const CSCA_EC: &[u8] = fixture!("csca-ec.der");
const CSCA_ROGUE: &[u8] = fixture!("csca-rogue.der");
const DS_RSA: &[u8] = fixture!("ds-rsa.der");

/// 2026-11-18T00:53:20Z: inside every fixture validity except the expired DS.
const NOW: i64 = 1_795_000_000;
/// 2025-01-01T00:00:00Z and 2036-01-01T00:00:00Z: the DS validity.
const DS_FROM: i64 = 1_735_689_600;
const DS_TO: i64 = 2_082_758_400;

const SCANNED: &str = "IDVNM0950012340022095001234<<8\n\
                       9503157M3503155VNM<<<<<<<<<<<6\n\
                       NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<";

fn groups() -> Vec<(u8, &'static [u8])> {
    vec![(1, DG1), (2, DG2), (13, DG13)]
}

fn pa(sod: &[u8], groups: &[(u8, &[u8])], cscas: &[&[u8]], now: i64) -> PaReport {
    passive_authentication(&Sod::parse(sod).unwrap(), groups, cscas, now)
}

fn status(r: &PaReport, kind: PaCheckKind) -> CheckStatus {
    r.status(kind)
        .unwrap_or_else(|| panic!("{kind:?} missing: {r:#?}"))
}

fn assert_all_passed(r: &PaReport) {
    assert!(r.passed(), "{r:#?}");
    assert!(r.chain_verified(), "{r:#?}");
    assert_eq!(r.checks.len(), 7, "{r:#?}");
    assert!(
        r.checks.iter().all(|c| c.status == CheckStatus::Passed),
        "{r:#?}"
    );
}

#[test]
fn dg1_fixture_is_the_reference_sample() {
    let dg1 = Dg1::parse(DG1).unwrap();
    assert_eq!(dg1.mrz.full_name(), "NGUYEN VAN AN");
    assert_eq!(dg1.mrz.vietnamese_id().unwrap().as_str(), "022095001234");
    assert!(dg1.matches_scanned(SCANNED));
}

#[test]
fn sod_rsa_fields() {
    let sod = Sod::parse(SOD_RSA).unwrap();
    assert_eq!(sod.lds_version, 0);
    assert_eq!(sod.hash_algorithm, HashAlgorithm::Sha256);
    let numbers: Vec<u8> = sod.data_group_hashes.iter().map(|h| h.number).collect();
    assert_eq!(numbers, [1, 2, 13]);
    assert_eq!(
        sod.hash_of(1).unwrap(),
        HashAlgorithm::Sha256.digest(DG1).as_slice()
    );
    assert_eq!(sod.hash_of(3), None);
    assert_eq!(sod.certificates.len(), 1);
    let ds = sod.ds_certificate().unwrap();
    assert_eq!(ds.der, DS_RSA);
    assert_eq!(
        ds.subject_string(),
        "C=VN, O=Halong Test, CN=Halong Test DS RSA"
    );
    assert_eq!(
        ds.issuer_string(),
        "C=VN, O=Halong Test, CN=Halong Test CSCA RSA"
    );
    assert_eq!((ds.not_before, ds.not_after), (DS_FROM, DS_TO));
    assert!(matches!(ds.public_key, PublicKey::Rsa(_)));
    assert!(ds.subject_key_id.is_some());
    assert!(matches!(
        sod.signer.sid,
        SignerIdentifier::IssuerAndSerial { .. }
    ));
    assert_eq!(sod.signer.digest_algorithm, HashAlgorithm::Sha256);
    assert_eq!(
        sod.signer.message_digest,
        HashAlgorithm::Sha256.digest(&sod.lds_security_object)
    );
    assert_eq!(sod.signer.signed_attributes[0], 0x31);
    assert!(sod.signer.signing_time.is_some());
    assert_eq!(
        SignatureAlgorithm::resolve(&sod.signer.signature_algorithm, Some(HashAlgorithm::Sha256))
            .unwrap(),
        SignatureAlgorithm {
            scheme: SignatureScheme::RsaPkcs1v15,
            hash: HashAlgorithm::Sha256
        }
    );
    assert_eq!(sod.signer.signature.len(), 256);
    assert_eq!(Certificate::from_der(DS_RSA).unwrap(), *ds);
}

#[test]
fn sod_ec_and_pss_fields() {
    let sod = Sod::parse(SOD_EC).unwrap();
    assert_eq!(sod.hash_algorithm, HashAlgorithm::Sha384);
    assert_eq!(sod.hash_of(13).unwrap().len(), 48);
    assert!(matches!(
        sod.ds_certificate().unwrap().public_key,
        PublicKey::EcP256(_)
    ));
    assert!(matches!(
        Certificate::from_der(CSCA_EC).unwrap().public_key,
        PublicKey::EcP384(_)
    ));
    let pss = Sod::parse(SOD_RSA_PSS).unwrap();
    assert_eq!(
        SignatureAlgorithm::resolve(&pss.signer.signature_algorithm, None).unwrap(),
        SignatureAlgorithm {
            scheme: SignatureScheme::RsaPss,
            hash: HashAlgorithm::Sha256
        }
    );
}

#[test]
fn everything_verifies_rsa_pkcs1() {
    let r = pa(SOD_RSA, &groups(), &[CSCA_RSA], NOW);
    assert_all_passed(&r);
    assert_eq!(
        r.csca_subject.as_deref(),
        Some("C=VN, O=Halong Test, CN=Halong Test CSCA RSA")
    );
    assert_eq!(r.checked_at_unix, NOW);
}

#[test]
fn everything_verifies_rsa_pss() {
    assert_all_passed(&pa(SOD_RSA_PSS, &groups(), &[CSCA_RSA], NOW));
}

#[test]
fn everything_verifies_ecdsa() {
    let r = pa(SOD_EC, &groups(), &[CSCA_EC], NOW);
    assert_all_passed(&r);
    assert!(r.checks.iter().any(|c| c.reason.contains("ECDSA P-256")));
}

#[test]
fn the_right_csca_among_several() {
    assert_all_passed(&pa(
        SOD_RSA,
        &groups(),
        &[CSCA_EC, CSCA_ROGUE, CSCA_RSA],
        NOW,
    ));
    assert_all_passed(&pa(SOD_EC, &groups(), &[b"junk", CSCA_RSA, CSCA_EC], NOW));
}

#[test]
fn validity_boundaries_are_inclusive() {
    assert!(pa(SOD_RSA, &groups(), &[CSCA_RSA], DS_FROM).passed());
    assert!(pa(SOD_RSA, &groups(), &[CSCA_RSA], DS_TO).passed());
}

#[test]
fn changed_dg1_byte_fails_a() {
    for i in [0, 1, 4, 5, 50, DG1.len() - 1] {
        let mut dg1 = DG1.to_vec();
        dg1[i] ^= 0x01;
        let r = pa(
            SOD_RSA,
            &[(1, &dg1), (2, DG2), (13, DG13)],
            &[CSCA_RSA],
            NOW,
        );
        assert!(!r.passed());
        assert_eq!(
            status(&r, PaCheckKind::DataGroupHash { number: 1 }),
            CheckStatus::Failed
        );
        assert_eq!(
            status(&r, PaCheckKind::DataGroupHash { number: 2 }),
            CheckStatus::Passed
        );
        assert_eq!(
            status(&r, PaCheckKind::SignerSignature),
            CheckStatus::Passed
        );
        assert_eq!(r.failures().count(), 1);
    }
}

#[test]
fn data_group_missing_from_sod_fails() {
    let r = pa(SOD_RSA, &[(1, DG1), (3, b"fingerprints")], &[CSCA_RSA], NOW);
    assert_eq!(
        status(&r, PaCheckKind::DataGroupHash { number: 3 }),
        CheckStatus::Failed
    );
    assert!(!r.passed());
}

#[test]
fn no_data_group_supplied_is_not_checked() {
    let r = pa(SOD_RSA, &[], &[CSCA_RSA], NOW);
    assert_eq!(status(&r, PaCheckKind::DataGroups), CheckStatus::NotChecked);
    assert!(r.passed());
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("needle in SOD")
}

#[test]
fn changed_hash_in_sod_fails_b() {
    for (sod_bytes, alg) in [
        (SOD_RSA, HashAlgorithm::Sha256),
        (SOD_EC, HashAlgorithm::Sha384),
    ] {
        let mut sod = sod_bytes.to_vec();
        let at = find(&sod, &alg.digest(DG1));
        sod[at + 3] ^= 0x80;
        let r = pa(&sod, &groups(), &[CSCA_RSA, CSCA_EC], NOW);
        assert_eq!(
            status(&r, PaCheckKind::DataGroupHash { number: 1 }),
            CheckStatus::Failed
        );
        assert_eq!(
            status(&r, PaCheckKind::SignedAttributes),
            CheckStatus::Failed
        );
        // The signature is over the signed attributes, which did not change.
        assert_eq!(
            status(&r, PaCheckKind::SignerSignature),
            CheckStatus::Passed
        );
        assert!(!r.passed());
    }
}

#[test]
fn changed_message_digest_fails_b_and_c() {
    let mut sod = SOD_RSA.to_vec();
    let parsed = Sod::parse(SOD_RSA).unwrap();
    let at = find(&sod, &parsed.signer.message_digest);
    sod[at] ^= 0x01;
    let r = pa(&sod, &groups(), &[CSCA_RSA], NOW);
    assert_eq!(
        status(&r, PaCheckKind::SignedAttributes),
        CheckStatus::Failed
    );
    assert_eq!(
        status(&r, PaCheckKind::SignerSignature),
        CheckStatus::Failed
    );
    assert_eq!(
        status(&r, PaCheckKind::DataGroupHash { number: 1 }),
        CheckStatus::Passed
    );
}

#[test]
fn changed_signature_fails_c() {
    for sod_bytes in [SOD_RSA, SOD_RSA_PSS, SOD_EC] {
        let parsed = Sod::parse(sod_bytes).unwrap();
        let mut sod = sod_bytes.to_vec();
        let at = find(&sod, &parsed.signer.signature);
        sod[at + 20] ^= 0x04;
        let r = pa(&sod, &groups(), &[CSCA_RSA, CSCA_EC], NOW);
        assert_eq!(
            status(&r, PaCheckKind::SignerSignature),
            CheckStatus::Failed,
            "{r:#?}"
        );
        assert_eq!(
            status(&r, PaCheckKind::SignedAttributes),
            CheckStatus::Passed
        );
        assert!(!r.passed());
    }
}

#[test]
fn ds_from_another_csca_fails_d() {
    // Same issuer name, other key: the name matches but the signature does not.
    let r = pa(SOD_RSA, &groups(), &[CSCA_ROGUE], NOW);
    assert_eq!(
        status(&r, PaCheckKind::DsCertificateChain),
        CheckStatus::Failed
    );
    assert_eq!(
        status(&r, PaCheckKind::SignerSignature),
        CheckStatus::Passed
    );
    assert!(!r.passed());
    assert!(r.csca_subject.is_none());
    // A DS issued by the rogue CSCA, checked against the genuine one.
    let r = pa(SOD_ROGUE, &groups(), &[CSCA_RSA], NOW);
    assert_eq!(
        status(&r, PaCheckKind::DsCertificateChain),
        CheckStatus::Failed
    );
    assert!(!r.passed());
    // An unrelated CSCA (other name).
    let r = pa(SOD_RSA, &groups(), &[CSCA_EC], NOW);
    assert_eq!(
        status(&r, PaCheckKind::DsCertificateChain),
        CheckStatus::Failed
    );
    assert!(!r.passed());
    // The rogue chip verifies against its own CSCA: only the trust anchor makes the difference.
    assert_all_passed(&pa(SOD_ROGUE, &groups(), &[CSCA_ROGUE], NOW));
}

#[test]
fn expired_ds_fails_d() {
    let r = pa(SOD_EXPIRED, &groups(), &[CSCA_RSA], NOW);
    assert_eq!(
        status(&r, PaCheckKind::DsCertificateValidity),
        CheckStatus::Failed
    );
    assert_eq!(
        status(&r, PaCheckKind::DsCertificateChain),
        CheckStatus::Passed
    );
    assert!(!r.passed());
    // The valid DS, after its end and before its start.
    for now in [DS_TO + 1, DS_FROM - 1] {
        let r = pa(SOD_RSA, &groups(), &[CSCA_RSA], now);
        assert_eq!(
            status(&r, PaCheckKind::DsCertificateValidity),
            CheckStatus::Failed
        );
        assert!(!r.passed());
    }
}

#[test]
fn expired_csca_fails_d() {
    // 2044-01-01T00:00:01Z: the CSCA has expired (and so has the DS).
    let r = pa(SOD_RSA, &groups(), &[CSCA_RSA], 2_335_219_201);
    assert_eq!(
        status(&r, PaCheckKind::DsCertificateChain),
        CheckStatus::Failed
    );
}

#[test]
fn no_csca_is_not_checked() {
    for sod in [SOD_RSA, SOD_RSA_PSS, SOD_EC, SOD_ROGUE] {
        let r = pa(sod, &groups(), &[], NOW);
        assert_eq!(
            status(&r, PaCheckKind::DsCertificateChain),
            CheckStatus::NotChecked
        );
        assert!(r.passed());
        assert!(!r.chain_verified());
        assert_eq!(
            r.checks
                .iter()
                .filter(|c| c.status == CheckStatus::Passed)
                .count(),
            6
        );
    }
}

#[test]
fn report_serialises() {
    let r = pa(SOD_RSA, &groups(), &[], NOW);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["hash_algorithm"], "SHA-256");
    assert_eq!(json["checks"][0]["check"], "data_group_hash");
    assert_eq!(json["checks"][0]["number"], 1);
    assert_eq!(json["checks"][0]["status"], "passed");
    assert_eq!(json["checks"][6]["check"], "ds_certificate_chain");
    assert_eq!(json["checks"][6]["status"], "not_checked");
    let back: PaReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn sod_parse_errors_have_offsets() {
    assert_eq!(
        Sod::parse(&SOD_RSA[..100]).unwrap_err(),
        ChipError::LengthOverrun {
            offset: 0,
            length: SOD_RSA.len() - 4,
            available: 96
        }
    );
    let mut trailing = SOD_RSA.to_vec();
    trailing.push(0);
    assert_eq!(
        Sod::parse(&trailing).unwrap_err(),
        ChipError::TrailingData {
            offset: SOD_RSA.len(),
            len: 1
        }
    );
    // Bare ContentInfo without the 77 wrapper.
    assert!(matches!(
        Sod::parse(&SOD_RSA[4..]).unwrap_err(),
        ChipError::UnexpectedTag {
            offset: 0,
            expected: 0x77,
            found: 0x30
        }
    ));
    // eContentType changed from the LDS security object (2.23.136.1.1.1 → .2).
    let mut other = SOD_RSA.to_vec();
    let at = find(&other, &[0x06, 0x06, 0x67, 0x81, 0x08, 0x01, 0x01, 0x01]);
    other[at + 7] = 0x02;
    let e = Sod::parse(&other).unwrap_err();
    assert_eq!(e.code(), "chip.unexpected_oid");
    assert_eq!(e.offset(), at);
    // The LDS hash algorithm changed to an unknown OID (sha256 → 2.16.840.1.101.3.4.2.99).
    let parsed = Sod::parse(SOD_RSA).unwrap();
    let lds_at = find(&other, &parsed.lds_security_object);
    let mut unknown = SOD_RSA.to_vec();
    let alg_at = lds_at + find(&parsed.lds_security_object, &[0x65, 0x03, 0x04, 0x02, 0x01]);
    unknown[alg_at + 4] = 0x63;
    let e = Sod::parse(&unknown).unwrap_err();
    assert_eq!(e.code(), "chip.unsupported_algorithm");
    assert!(e.message_en().contains("2.16.840.1.101.3.4.2.99"));
    assert!(!e.message_vi().is_empty());
}

// ----- eKYC level 2 --------------------------------------------------------------------------

fn evidence<'a>(
    sod: &'a [u8],
    dg1: &'a [u8],
    others: &'a [(u8, &'a [u8])],
    cscas: &'a [&'a [u8]],
) -> ChipEvidence<'a> {
    ChipEvidence {
        scanned_mrz: SCANNED,
        full_name: "Nguyễn Văn An",
        personal_id: "022 095 001 234",
        birth_date: BirthDate {
            year: 1995,
            month: 3,
            day: 15,
        },
        dg1,
        sod,
        other_data_groups: others,
        csca_certs_der: cscas,
        now_unix: NOW,
    }
}

const OTHERS: &[(u8, &[u8])] = &[(2, DG2), (13, DG13)];

#[test]
fn level2_with_csca() {
    let d = chip_level2(&evidence(SOD_RSA, DG1, OTHERS, &[CSCA_RSA]));
    assert!(d.eligible, "{d:#?}");
    assert_eq!(d.level(), Some(EkycLevel::DocumentVerified));
    assert_eq!(d.passive_auth, PassiveAuth::Passed);
    assert_eq!(d.method, "chip_mrz_dg1_pa");
    assert_eq!(d.personal_id.as_deref(), Some("022095001234"));
    assert_eq!(d.document_number.as_deref(), Some("095001234"));
    assert_eq!(d.decided_at_unix, NOW);
    assert!(d.dg1_matches_scanned_mrz);
    assert!(d.refusals.is_empty());
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["passive_auth"], "passed");
    assert_eq!(json["pa_report"]["checks"].as_array().unwrap().len(), 7);
}

#[test]
fn level2_without_csca_is_recorded() {
    let d = chip_level2(&evidence(SOD_EC, DG1, OTHERS, &[]));
    assert!(d.eligible, "{d:#?}");
    assert_eq!(d.passive_auth, PassiveAuth::NotConfigured);
    assert_eq!(d.method, "chip_mrz_dg1_no_csca");
    assert_eq!(
        serde_json::to_value(&d).unwrap()["passive_auth"],
        "not_configured"
    );
}

#[test]
fn level2_refusals() {
    let refused = |d: identity::ekyc::ChipDecision, code: &str| {
        assert!(!d.eligible, "{d:#?}");
        assert_eq!(d.level(), None);
        assert!(d.refusals.iter().any(|r| r == code), "{code}: {d:#?}");
    };
    // Entered name differs.
    let mut e = evidence(SOD_RSA, DG1, OTHERS, &[CSCA_RSA]);
    e.full_name = "Nguyễn Văn Anh";
    let d = chip_level2(&e);
    assert_eq!(d.mismatches.len(), 1);
    assert_eq!(d.passive_auth, PassiveAuth::Passed);
    refused(d, "ekyc.entered_data_mismatch");
    // Scanned MRZ unreadable.
    let mut e = evidence(SOD_RSA, DG1, OTHERS, &[CSCA_RSA]);
    e.scanned_mrz = "IDVNM095001234";
    refused(chip_level2(&e), "ekyc.scanned_mrz_invalid");
    // Scanned MRZ of another (valid) card whose data the user entered: DG1 differs.
    let mut e = evidence(SOD_RSA, DG1, OTHERS, &[CSCA_RSA]);
    e.scanned_mrz = "IDVNM0950012340022095001234<<8\n\
                     9503157M3503155VNM<<<<<<<<<<<6\n\
                     NGUYEN<<VAN<AN<B<<<<<<<<<<<<<<";
    e.full_name = "Nguyễn Văn An B";
    let d = chip_level2(&e);
    assert!(d.mismatches.is_empty());
    assert!(!d.dg1_matches_scanned_mrz);
    refused(d, "ekyc.dg1_differs_from_scanned_mrz");
    // DG1 unreadable.
    refused(
        chip_level2(&evidence(SOD_RSA, &DG1[..40], OTHERS, &[CSCA_RSA])),
        "ekyc.dg1_invalid",
    );
    // SOD unreadable.
    let d = chip_level2(&evidence(&SOD_RSA[..500], DG1, OTHERS, &[CSCA_RSA]));
    assert_eq!(d.passive_auth, PassiveAuth::Failed);
    assert!(d.sod_error.is_some());
    refused(d, "ekyc.sod_invalid");
    // DS not from the configured CSCA.
    let d = chip_level2(&evidence(SOD_ROGUE, DG1, OTHERS, &[CSCA_RSA]));
    assert_eq!(d.passive_auth, PassiveAuth::Failed);
    refused(d, "ekyc.passive_authentication_failed");
    // Without CSCA a failed integrity check still refuses (tampered DG2).
    let mut dg2 = DG2.to_vec();
    dg2[10] ^= 1;
    let others: &[(u8, &[u8])] = &[(2, &dg2), (13, DG13)];
    let d = chip_level2(&evidence(SOD_RSA, DG1, others, &[]));
    assert_eq!(d.passive_auth, PassiveAuth::Failed);
    refused(d, "ekyc.passive_authentication_failed");
    // Without CSCA, an expired DS refuses too.
    let d = chip_level2(&evidence(SOD_EXPIRED, DG1, OTHERS, &[]));
    refused(d, "ekyc.passive_authentication_failed");
}

/// Every single-bit change (bit 1 and bit 8) of every byte of the SODs is detected: either the
/// SOD no longer parses or passive authentication with the CSCA fails. (The unsigned parts, the
/// SignedData version, digest algorithm list and signature algorithm parameters, are checked
/// strictly for this.)
#[test]
fn every_bit_flip_of_signed_content_is_detected() {
    for (base, csca) in [(SOD_RSA, CSCA_RSA), (SOD_EC, CSCA_EC)] {
        let original = Sod::parse(base).unwrap();
        let mut accepted = Vec::new();
        for i in 0..base.len() {
            for bit in [0x01u8, 0x80] {
                let mut v = base.to_vec();
                v[i] ^= bit;
                let Ok(sod) = Sod::parse(&v) else { continue };
                let r = passive_authentication(&sod, &groups(), &[csca], NOW);
                if r.passed() && r.chain_verified() {
                    assert_eq!(sod.lds_security_object, original.lds_security_object);
                    assert_eq!(
                        sod.signer.signed_attributes,
                        original.signer.signed_attributes
                    );
                    assert_eq!(sod.signer.signature, original.signer.signature);
                    assert_eq!(sod.data_group_hashes, original.data_group_hashes);
                    accepted.push(i);
                }
            }
        }
        assert!(accepted.is_empty(), "accepted flips at {accepted:?}");
    }
}
