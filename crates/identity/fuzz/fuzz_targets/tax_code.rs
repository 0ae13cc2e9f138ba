//! Fuzz tax-code, personal-ID and phone parsing: no panics, normalised forms re-parse to
//! themselves, kinds match lengths.
#![no_main]

use identity::personal_id::PersonalId;
use identity::phone::{Phone, mask};
use identity::tax_code::{TaxCode, TaxCodeKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match TaxCode::parse(text) {
        Ok(t) => {
            assert_eq!(TaxCode::parse(t.as_str()).as_ref(), Ok(&t));
            let expected_len = match t.kind() {
                TaxCodeKind::Enterprise => 10,
                TaxCodeKind::Branch => 14,
                TaxCodeKind::Personal => 12,
            };
            assert_eq!(t.as_str().len(), expected_len);
        }
        Err(e) => {
            assert!(e.code().starts_with("tax_code."));
            let _ = (e.message_vi(), e.message_en());
        }
    }
    if let Ok(id) = PersonalId::parse(text) {
        assert_eq!(
            TaxCode::parse(id.as_str()).map(|t| t.kind()),
            Ok(TaxCodeKind::Personal)
        );
        let _ = (id.registration(), id.birth_year(), id.sex());
    }
    if let Ok(p) = Phone::parse(text) {
        assert_eq!(Phone::parse(p.as_e164()).as_ref(), Ok(&p));
        assert_eq!(Phone::parse(p.as_national()).as_ref(), Ok(&p));
    }
    assert_eq!(mask(text).chars().count(), text.chars().count());
});
