//! Fuzz `Sod::parse`, `Certificate::from_der` and passive authentication. Seed the corpus with
//! `tests/fixtures/chip/sod-*.bin` so that mutations of real SignedData structures are explored.
#![no_main]

use identity::chip::{Certificate, Sod, passive_authentication};
use libfuzzer_sys::fuzz_target;

const DG1: &[u8] = include_bytes!("../../tests/fixtures/chip/dg1.bin");
const DG2: &[u8] = include_bytes!("../../tests/fixtures/chip/dg2.bin");
const CSCA_RSA: &[u8] = include_bytes!("../../tests/fixtures/chip/csca-rsa.der");
const CSCA_EC: &[u8] = include_bytes!("../../tests/fixtures/chip/csca-ec.der");
const NOW: i64 = 1_795_000_000;

fuzz_target!(|data: &[u8]| {
    let first = Sod::parse(data);
    assert_eq!(first, Sod::parse(data));
    match first {
        Ok(sod) => {
            for h in &sod.data_group_hashes {
                assert!((1..=16).contains(&h.number));
                assert_eq!(h.hash.len(), sod.hash_algorithm.output_len());
            }
            let report =
                passive_authentication(&sod, &[(1, DG1), (2, DG2)], &[CSCA_RSA, CSCA_EC], NOW);
            // The report is internally consistent.
            assert_eq!(
                report.passed(),
                report.failures().count() == 0
                    && report
                        .checks
                        .iter()
                        .any(|c| c.status == identity::chip::CheckStatus::Passed)
            );
            let _ = passive_authentication(&sod, &[], &[], NOW);
            let _ = passive_authentication(&sod, &[(1, data)], &[data], i64::MIN);
        }
        Err(e) => {
            assert!(e.offset() <= data.len());
            let _ = (e.code(), e.message_vi(), e.message_en());
        }
    }
    if let Ok(cert) = Certificate::from_der(data) {
        let _ = (
            cert.subject_string(),
            cert.issuer_string(),
            cert.valid_at(NOW),
        );
        let _ = cert.verify_issued_by(&cert);
    }
});
