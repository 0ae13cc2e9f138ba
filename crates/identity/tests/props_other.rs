//! Property tests for phone numbers, masking, MRZ, OTP and eKYC name folding.

use identity::ekyc::fold_name;
use identity::mrz::{self, Mrz, MrzSex};
use identity::otp::{Algorithm, Hotp, Totp, base32_decode, base32_encode};
use identity::phone::{PREFIXES, Phone, mask};
use proptest::prelude::*;

fn filled(s: &str, width: usize) -> String {
    format!("{s:<<width$}")
}

/// A TD1 MRZ with correct check digits in the Vietnamese layout.
fn vn_mrz(id: &str, dob: &str, sex: char, exp: &str, surname: &str, given: &str) -> String {
    let doc = &id[3..];
    let l1 = format!(
        "IDVNM{doc}{}{id}<<{}",
        mrz::check_digit(doc).unwrap(),
        mrz::check_digit(id).unwrap()
    );
    let dob_field = format!("{dob}{}", mrz::check_digit(dob).unwrap());
    let exp_field = format!("{exp}{}", mrz::check_digit(exp).unwrap());
    let composite = format!("{}{dob_field}{exp_field}<<<<<<<<<<<", &l1[5..]);
    let l2 = format!(
        "{dob_field}{sex}{exp_field}VNM<<<<<<<<<<<{}",
        mrz::check_digit(&composite).unwrap()
    );
    let name = filled(&format!("{surname}<<{}", given.replace(' ', "<")), 30);
    format!("{l1}\n{l2}\n{}", &name[..30])
}

fn date() -> impl Strategy<Value = String> {
    (0u8..100, 1u8..13, 1u8..29).prop_map(|(y, m, d)| format!("{y:02}{m:02}{d:02}"))
}

proptest! {
    #[test]
    fn phone_parse_never_panics(s in any::<String>()) {
        let _ = Phone::parse(&s);
    }

    #[test]
    fn phone_parse_never_panics_digitish(s in "[+0-9 .()\\-]{0,20}") {
        if let Ok(p) = Phone::parse(&s) {
            prop_assert_eq!(Phone::parse(p.as_e164()).unwrap(), p.clone());
            prop_assert_eq!(Phone::parse(p.as_national()).unwrap(), p);
        }
    }

    #[test]
    fn phone_round_trip(i in 0..PREFIXES.len(), rest in 0u32..10_000_000, form in 0..4usize) {
        let (prefix, carrier) = PREFIXES[i];
        let national = format!("{prefix}{rest:07}");
        let input = match form {
            0 => national.clone(),
            1 => format!("+84{}", &national[1..]),
            2 => format!("84 {} {}", &national[1..4], &national[4..]),
            _ => format!("{}.{}.{}", &national[..4], &national[4..7], &national[7..]),
        };
        let p = Phone::parse(&input).unwrap();
        prop_assert_eq!(p.as_national(), national.as_str());
        prop_assert_eq!(p.as_e164(), format!("+84{}", &national[1..]));
        prop_assert_eq!(p.carrier(), carrier);
        prop_assert_eq!(Phone::parse(&p.to_string()).unwrap(), p);
    }

    #[test]
    fn mask_keeps_length_and_ends(s in any::<String>()) {
        let m = mask(&s);
        let n = s.chars().count();
        prop_assert_eq!(m.chars().count(), n);
        if n > 5 {
            prop_assert!(m.chars().take(3).eq(s.chars().take(3)));
            prop_assert!(m.chars().skip(n - 2).eq(s.chars().skip(n - 2)));
            prop_assert!(m.chars().skip(3).take(n - 5).all(|c| c == '*'));
        } else {
            prop_assert!(m.chars().all(|c| c == '*'));
        }
    }

    #[test]
    fn mrz_parse_never_panics(s in any::<String>()) {
        let _ = Mrz::parse(&s);
    }

    #[test]
    fn mrz_parse_never_panics_on_alphabet(
        a in "[A-Z0-9<]{30}", b in "[A-Z0-9<]{30}", c in "[A-Z0-9<]{28,31}"
    ) {
        let _ = Mrz::parse(&format!("{a}\n{b}\n{c}"));
        let _ = Mrz::parse(&format!("ID{}\n{b}\n{c}", &a[2..]));
    }

    #[test]
    fn mrz_generated_round_trip(
        id in "[0-9]{12}",
        dob in date(),
        exp in date(),
        male in any::<bool>(),
        surname in "[A-Z]{1,10}",
        given in "[A-Z]{1,6}( [A-Z]{1,6}){0,1}",
    ) {
        let sex = if male { 'M' } else { 'F' };
        let text = vn_mrz(&id, &dob, sex, &exp, &surname, &given);
        let m = Mrz::parse(&text).unwrap();
        prop_assert_eq!(m.vietnamese_id().unwrap().as_str(), id.as_str());
        prop_assert_eq!(m.birth_date.to_yymmdd(), dob);
        prop_assert_eq!(m.expiry_date.unwrap().to_yymmdd(), exp);
        prop_assert_eq!(m.sex, if male { MrzSex::Male } else { MrzSex::Female });
        prop_assert_eq!(&m.surname, &surname);
        prop_assert_eq!(&m.given_names, &given);
        prop_assert_eq!(fold_name(&m.full_name()), format!("{surname} {given}"));

        // Any single-character substitution in lines 1–2 is rejected or changes nothing
        // observable only when it is a weight-neutral filler swap; at least it never panics.
        let bytes = text.as_bytes();
        for pos in [5usize, 14, 20, 29, 31, 37, 40, 60] {
            let mut changed = bytes.to_vec();
            changed[pos] = if changed[pos] == b'7' { b'8' } else { b'7' };
            let _ = Mrz::parse(std::str::from_utf8(&changed).unwrap());
        }
    }

    #[test]
    fn mrz_digit_change_detected(id in "[0-9]{12}", dob in date(), exp in date(), pos in 0usize..12, d in 0u8..10) {
        let text = vn_mrz(&id, &dob, 'M', &exp, "NGUYEN", "VAN AN");
        let mut changed = id.clone().into_bytes();
        prop_assume!(changed[pos] != b'0' + d);
        changed[pos] = b'0' + d;
        let changed_id = String::from_utf8(changed).unwrap();
        // Replace the ID in optional data only (document number and checks unchanged).
        let tampered = text.replacen(&format!("{id}<<"), &format!("{changed_id}<<"), 1);
        prop_assert!(Mrz::parse(&tampered).is_err());
    }

    #[test]
    fn hotp_verify_finds_generated(secret in proptest::collection::vec(any::<u8>(), 16..64),
                                   counter in any::<u64>(), digits in 6u8..=8, alg in 0..3usize) {
        let algorithm = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512][alg];
        let hotp = Hotp::new(secret, digits, algorithm).unwrap();
        let code = hotp.generate(counter);
        prop_assert_eq!(code.len(), usize::from(digits));
        prop_assert_eq!(hotp.verify(&code, counter, 0), Some(counter));
    }

    #[test]
    fn totp_verify_never_panics(code in any::<String>(), t in any::<u64>(), window in 0u64..5, last in any::<Option<u64>>()) {
        let totp = Totp::new(b"12345678901234567890".to_vec(), 6, Algorithm::Sha1, 30).unwrap();
        let _ = totp.verify_after(&code, t, window, last);
        let own = totp.generate_at(t);
        prop_assert_eq!(totp.verify_at(&own, t, window), totp.verify_at(&own, t, window));
        prop_assert!(totp.verify_at(&own, t, window).is_some());
    }

    #[test]
    fn base32_round_trip(data in proptest::collection::vec(any::<u8>(), 0..64)) {
        prop_assert_eq!(base32_decode(&base32_encode(&data)).unwrap(), data);
    }

    #[test]
    fn base32_decode_never_panics(s in any::<String>()) {
        let _ = base32_decode(&s);
    }

    #[test]
    fn fold_name_is_idempotent(s in any::<String>()) {
        let once = fold_name(&s);
        prop_assert_eq!(fold_name(&once), once.clone());
    }
}
