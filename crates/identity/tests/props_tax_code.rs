//! Property tests for tax codes and personal IDs.

use identity::personal_id::PersonalId;
use identity::tax_code::{TaxCode, TaxCodeError, TaxCodeKind, check_digit};
use proptest::prelude::*;

fn digits_string(d: &[u8]) -> String {
    d.iter().map(|&x| char::from(b'0' + x)).collect()
}

proptest! {
    #[test]
    fn tax_code_parse_never_panics(s in any::<String>()) {
        let _ = TaxCode::parse(&s);
    }

    #[test]
    fn tax_code_parse_never_panics_on_digitish(s in "[0-9 .\\-]{0,20}") {
        if let Ok(t) = TaxCode::parse(&s) {
            // Normalised form re-parses to itself.
            prop_assert_eq!(TaxCode::parse(t.as_str()).unwrap(), t.clone());
            prop_assert_eq!(TaxCode::parse(&format!("{t}")).unwrap(), t);
        }
    }

    #[test]
    fn generated_codes_always_parse(first9 in proptest::array::uniform9(0u8..10), branch in 1u16..1000) {
        prop_assume!(first9[2..].iter().any(|&d| d != 0));
        if let Some(c) = check_digit(&first9) {
            let code = format!("{}{}", digits_string(&first9), c);
            let t = TaxCode::parse(&code).unwrap();
            prop_assert_eq!(t.kind(), TaxCodeKind::Enterprise);
            prop_assert_eq!(t.as_str(), code.as_str());

            let b = TaxCode::parse(&format!("{code}{branch:03}")).unwrap();
            prop_assert_eq!(b.kind(), TaxCodeKind::Branch);
            prop_assert_eq!(b.as_str(), format!("{code}-{branch:03}"));
            prop_assert_eq!(b.branch(), Some(branch));
            prop_assert_eq!(TaxCode::parse(b.as_str()).unwrap(), b);

            // Any other last digit is rejected with the expected check digit.
            let wrong = (c + 1) % 10;
            prop_assert_eq!(
                TaxCode::parse(&format!("{}{}", digits_string(&first9), wrong)),
                Err(TaxCodeError::BadCheckDigit { expected: Some(c), found: wrong })
            );
        } else {
            for last in 0..10u8 {
                let parsed = TaxCode::parse(&format!("{}{}", digits_string(&first9), last));
                prop_assert_eq!(parsed, Err(TaxCodeError::BadCheckDigit { expected: None, found: last }));
            }
        }
    }

    #[test]
    fn twelve_digits_are_personal(d in proptest::array::uniform12(0u8..10)) {
        let s = digits_string(&d);
        let t = TaxCode::parse(&s).unwrap();
        prop_assert_eq!(t.kind(), TaxCodeKind::Personal);
        prop_assert_eq!(t.as_str(), s.as_str());
        let id = PersonalId::parse(&s).unwrap();
        prop_assert_eq!(PersonalId::parse(&format!("{id}")).unwrap(), id.clone());
        prop_assert!((1900..2400).contains(&id.birth_year()));
    }

    #[test]
    fn personal_id_parse_never_panics(s in any::<String>()) {
        let _ = PersonalId::parse(&s);
    }

    #[test]
    fn serde_round_trip(first9 in proptest::array::uniform9(0u8..10)) {
        prop_assume!(first9[2..].iter().any(|&d| d != 0));
        if let Some(c) = check_digit(&first9) {
            let t = TaxCode::parse(&format!("{}{}", digits_string(&first9), c)).unwrap();
            let json = serde_json::to_string(&t).unwrap();
            prop_assert_eq!(serde_json::from_str::<TaxCode>(&json).unwrap(), t);
        }
    }
}
