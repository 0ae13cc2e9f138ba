//! Property tests for the chip parsers: no panic on any bytes, and mutations of the synthetic
//! SOD never verify when they touch the signed content.

use identity::chip::{Dg1, Sod, passive_authentication};
use proptest::prelude::*;

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
const SOD_EC: &[u8] = fixture!("sod-ec.bin");
const CSCA_RSA: &[u8] = fixture!("csca-rsa.der");
const CSCA_EC: &[u8] = fixture!("csca-ec.der");
const NOW: i64 = 1_795_000_000;

/// Arbitrary bytes, often starting with the expected outer tag and a plausible length.
fn tlvish(tag: u8) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        (proptest::collection::vec(any::<u8>(), 0..300), any::<u8>()).prop_map(
            move |(mut v, l)| {
                v.insert(0, l);
                v.insert(0, tag);
                v
            }
        ),
    ]
}

/// Mutations of a valid input: byte flips, truncation, insertion.
fn mutated(base: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec((0..base.len(), any::<u8>()), 1..4),
        0..=base.len(),
        any::<bool>(),
    )
        .prop_map(move |(flips, cut, truncate)| {
            let mut v = base.to_vec();
            for (i, x) in flips {
                v[i] ^= x | 1;
            }
            if truncate {
                v.truncate(cut);
            }
            v
        })
}

proptest! {
    #[test]
    fn dg1_parse_never_panics(bytes in tlvish(0x61)) {
        let first = Dg1::parse(&bytes);
        prop_assert_eq!(&first, &Dg1::parse(&bytes));
        if let Err(e) = first {
            prop_assert!(e.offset() <= bytes.len());
            prop_assert!(!e.message_vi().is_empty() && !e.code().is_empty());
        }
    }

    #[test]
    fn dg1_mutations_never_panic(bytes in mutated(DG1)) {
        if let Ok(d) = Dg1::parse(&bytes) {
            prop_assert_eq!(d.mrz_text().len(), 90);
        }
    }

    #[test]
    fn sod_parse_never_panics(bytes in tlvish(0x77)) {
        let first = Sod::parse(&bytes);
        prop_assert_eq!(&first, &Sod::parse(&bytes));
        if let Ok(sod) = first {
            let _ = passive_authentication(&sod, &[(1, &bytes)], &[&bytes], 0);
        }
    }

    /// Any mutation that still parses and changes the LDS security object, the signed
    /// attributes or the signature never passes passive authentication.
    #[test]
    fn sod_mutations_never_verify(
        which in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let base = if which { SOD_RSA } else { SOD_EC };
        let original = Sod::parse(base).unwrap();
        // A deterministic mutation from the seed (proptest shrinks the seed).
        let mut v = base.to_vec();
        let i = (seed as usize) % v.len();
        v[i] ^= ((seed >> 32) as u8) | 1;
        if let Ok(sod) = Sod::parse(&v) {
            let report = passive_authentication(
                &sod,
                &[(1, DG1), (2, DG2), (13, DG13)],
                &[CSCA_RSA, CSCA_EC],
                NOW,
            );
            let signed_changed = sod.lds_security_object != original.lds_security_object
                || sod.signer.signed_attributes != original.signer.signed_attributes
                || sod.signer.signature != original.signer.signature
                || sod.certificates != original.certificates;
            if signed_changed {
                prop_assert!(!report.passed() || !report.chain_verified(), "byte {} accepted", i);
            }
        }
    }

    #[test]
    fn sod_random_mutations_never_panic(bytes in mutated(SOD_RSA)) {
        if let Ok(sod) = Sod::parse(&bytes) {
            let _ = passive_authentication(&sod, &[(1, DG1)], &[CSCA_RSA], NOW);
        }
    }
}
