//! Fuzz `Dg1::parse` with raw bytes and with bytes behind a correct `61 L 5F1F L` header (so the
//! MRZ parser is reached often).
#![no_main]

use identity::chip::Dg1;
use libfuzzer_sys::fuzz_target;

fn exercise(bytes: &[u8]) {
    let first = Dg1::parse(bytes);
    assert_eq!(first, Dg1::parse(bytes));
    match first {
        Ok(d) => {
            assert_eq!(d.mrz_text().len(), 90);
            assert!(d.matches_scanned(&d.mrz_lines().join("\n")));
        }
        Err(e) => {
            assert!(e.offset() <= bytes.len());
            let _ = (e.code(), e.message_vi(), e.message_en());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    exercise(data);
    // The same bytes as the MRZ payload of a well-formed DG1 (lengths < 128 use short form).
    if data.len() < 0x7A {
        let mut dg1 = vec![0x61, (data.len() + 3) as u8, 0x5F, 0x1F, data.len() as u8];
        dg1.extend_from_slice(data);
        exercise(&dg1);
    }
});
