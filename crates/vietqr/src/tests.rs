//! Codec tests: the reference vectors (vietqr.md §3), must-reject payloads,
//! encoder rules and property tests.

use crate::*;
use proptest::prelude::*;

pub(crate) const Q1: &str = "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA530370454061800005802VN62340107NPS68690819thanh toan don hang63042E2E";
pub(crate) const Q2: &str = "00020101021138600010A00000072701300006970403011697040311012345670208QRIBFTTC53037045802VN63044F52";
pub(crate) const Q3: &str = "00020101021238540010A00000072701240006970436011010175956000208QRIBFTTA530370454061800005802VN62230819thanh toan don hang630470FA";
pub(crate) const Q4: &str =
    "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304AE9F";
pub(crate) const Q5: &str = "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA53037045405100005802VN62150811Chuyen tien630453E6";
pub(crate) const Q6: &str = "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN62170813ung ho lu lut6304C15C";
pub(crate) const Q7: &str =
    "00020101021138540010A00000072701240006970423011000999999990208QRIBFTTA53037045802VN6304CBB4";
pub(crate) const Q8: &str = "00020101021138540010A00000072701240006970407011003865776720208QRIBFTTA5303704540710000005802VN62160812henry an cut6304A322";
pub(crate) const Q9: &str = "00020101021238570010A00000072701390006970422011301234567890200208QRIBFTTA53037045405100005802VN62260822Thanh toán hóa đơn630432F8";
/// subiz/vietqr README "final" example: no GUID, wrong CRC (vietqr.md X1).
const X1: &str = "0002010102113838000697042201120023457923440208QRIBFTTA530370454061800005802VN62160814ung ho bao lut6304E69F";

fn qr(v: &str) -> VietQr {
    match decode(v) {
        Ok(Decoded::VietQr(q)) => q,
        other => panic!("{v}: {other:?}"),
    }
}

/// Replace the CRC so a hand-edited payload is checked for what it is.
fn with_crc(body_through_6304: &str) -> String {
    let crc = crc16(body_through_6304.as_bytes());
    format!("{body_through_6304}{crc:04X}")
}

fn tlv(id: u8, v: &str) -> String {
    format!("{id:02}{:02}{v}", v.len())
}

fn resign(payload: &str) -> String {
    with_crc(&payload[..payload.len() - 4])
}

fn account(init: Initiation, bin: &str, acc: &str, svc: Option<Service>) -> VietQr {
    VietQr {
        initiation: init,
        bin: bin.into(),
        account: acc.into(),
        service: svc,
        ..VietQr::default()
    }
}

fn s(v: &str) -> Option<String> {
    Some(v.into())
}

#[test]
fn q1_napas_dynamic_account() {
    let mut want = account(
        Initiation::Dynamic,
        "970403",
        "0011012345678",
        Some(Service::ToAccount),
    );
    want.amount = Some(180_000);
    want.bill_number = s("NPS6869");
    want.memo = s("thanh toan don hang");
    assert_eq!(qr(Q1), want);
    let p = Payload::parse(Q1).unwrap();
    assert_eq!(p.crc, 0x2E2E);
    assert_eq!(p.currency.unwrap().value, "704");
    assert_eq!(p.country.unwrap().value, "VN");
}

#[test]
fn q2_to_q8_decode_to_documented_fields() {
    let ta = Some(Service::ToAccount);
    let mut q2 = account(
        Initiation::Static,
        "970403",
        "9704031101234567",
        Some(Service::ToCard),
    );
    assert_eq!(qr(Q2), q2.clone());
    let mut q3 = account(Initiation::Dynamic, "970436", "1017595600", ta);
    (q3.amount, q3.memo) = (Some(180_000), s("thanh toan don hang"));
    assert_eq!(qr(Q3), q3);
    assert_eq!(
        qr(Q4),
        account(Initiation::Static, "970416", "257678859", ta)
    );
    let mut q5 = account(Initiation::Dynamic, "970416", "257678859", ta);
    (q5.amount, q5.memo) = (Some(10_000), s("Chuyen tien"));
    assert_eq!(qr(Q5), q5);
    let mut q6 = account(Initiation::Dynamic, "970415", "0011001932418", ta);
    (q6.amount, q6.memo) = (Some(120_000), s("ung ho lu lut"));
    assert_eq!(qr(Q6), q6);
    assert_eq!(
        qr(Q7),
        account(Initiation::Static, "970423", "0099999999", ta)
    );
    // Q8: static yet with amount and memo; decoders accept it.
    let mut q8 = account(Initiation::Static, "970407", "0386577672", ta);
    (q8.amount, q8.memo) = (Some(1_000_000), s("henry an cut"));
    assert_eq!(qr(Q8), q8.clone());
    // ... but the encoder will not make one.
    assert_eq!(
        q8.encode(),
        Err(Error::AmountOnStatic { tag: Tag::root(54) })
    );
    q2.amount = None;
    assert_eq!(q2.encode().unwrap(), Q2);
}

#[test]
fn q9_lengths_count_utf8_bytes() {
    // 38/01 declares 39 bytes and so swallows the service code: it becomes an
    // unknown beneficiary sub-field and the account keeps "020".
    let mut want = account(Initiation::Dynamic, "970422", "0123456789020", None);
    want.amount = Some(10_000);
    want.memo = s("Thanh toán hóa đơn");
    want.extra = vec![Field {
        tag: "38/01/02".into(),
        value: "QRIBFTTA".into(),
    }];
    assert_eq!(qr(Q9), want);
}

#[test]
fn canonical_vectors_re_encode_byte_for_byte() {
    for v in [Q1, Q2, Q3, Q4, Q5, Q6, Q7] {
        assert_eq!(qr(v).encode().unwrap(), v);
    }
}

#[test]
fn x1_subiz_readme_example_is_rejected_on_crc() {
    let n = X1.len();
    assert_eq!(
        decode(X1),
        Err(Error::CrcMismatch {
            offset: n - 8,
            tag: Tag::root(63),
            expected: 0x13BC,
            found: 0xE69F
        })
    );
    // With the CRC fixed it still is not NAPAS: 38/00 holds a BIN, not the GUID.
    let fixed = resign(X1);
    assert!(fixed.ends_with("13BC"));
    let tag = Tag::root(38).child(0);
    assert_eq!(decode(&fixed), Err(Error::BadGuid { offset: 16, tag }));
}

#[test]
fn zero_crc_fixture_is_rejected() {
    let bad = format!("{}0000", &Q1[..Q1.len() - 4]);
    let e = decode(&bad).unwrap_err();
    assert!(
        matches!(
            e,
            Error::CrcMismatch {
                expected: 0x2E2E,
                found: 0,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.code(), "crc_mismatch");
}

#[test]
fn crc_is_compared_case_insensitively() {
    let lower = Q6.replace("6304C15C", "6304c15c");
    assert_eq!(qr(&lower), qr(Q6));
}

#[test]
fn dynamic_22_is_rejected() {
    let bad = resign(&Q1.replacen("010212", "010222", 1));
    let tag = Tag::root(1);
    assert_eq!(decode(&bad), Err(Error::BadInitiation { offset: 6, tag }));
}

#[test]
fn length_typos_are_rejected_by_parsing() {
    // 62 declares 35 instead of 34: the template runs into the CRC object.
    let bad = resign(&Q1.replacen("62340107", "62350107", 1));
    let e = decode(&bad).unwrap_err();
    let end_of_62 = Q1.len() - 8;
    assert_eq!(
        e,
        Error::Truncated {
            offset: end_of_62,
            tag: Tag::root(62)
        },
        "{e}"
    );
    // 62/08 declares 20 for a 19-char memo: it runs past its template.
    let bad = resign(&Q1.replacen("0819thanh", "0820thanh", 1));
    let e = decode(&bad).unwrap_err();
    let at = Q1.find("0819").unwrap();
    assert_eq!(
        e,
        Error::BadLength {
            offset: at,
            tag: Tag::root(62).child(8)
        },
        "{e}"
    );
    // 62/08 declares 18: one byte is left over, too short for a header.
    let bad = resign(&Q1.replacen("0819thanh", "0818thanh", 1));
    let e = decode(&bad).unwrap_err();
    assert_eq!(
        e,
        Error::Truncated {
            offset: end_of_62 - 1,
            tag: Tag::root(62)
        },
        "{e}"
    );
}

#[test]
fn structural_errors_name_offset_and_tag() {
    let cases: Vec<(String, Error)> = vec![
        (
            with_crc("010212000201026304"),
            Error::FormatIndicatorNotFirst {
                offset: 0,
                tag: Tag::root(1),
            },
        ),
        (
            with_crc("0002026304"),
            Error::BadFormatIndicator {
                offset: 0,
                tag: Tag::root(0),
            },
        ),
        (
            with_crc("000201AB026304"),
            Error::BadId {
                offset: 6,
                tag: Tag::ROOT,
            },
        ),
        (
            with_crc("0002015800VN6304"),
            Error::EmptyValue {
                offset: 6,
                tag: Tag::root(58),
            },
        ),
        (
            with_crc("0002015802VN5802VN6304"),
            Error::DuplicateTag {
                offset: 12,
                tag: Tag::root(58),
            },
        ),
        ("000201".into(), Error::MissingCrc { offset: 6 }),
        (
            "00020163".into(),
            Error::Truncated {
                offset: 6,
                tag: Tag::ROOT,
            },
        ),
        (
            "0002016305ABCDE".into(),
            Error::BadCrcFormat {
                offset: 6,
                tag: Tag::root(63),
            },
        ),
        (
            "0002016304ZZZZ".into(),
            Error::BadCrcFormat {
                offset: 6,
                tag: Tag::root(63),
            },
        ),
        (
            with_crc("0002015801é6304"),
            Error::SplitsCharacter {
                offset: 6,
                tag: Tag::root(58),
            },
        ),
        ("0002015802VN".into(), Error::MissingCrc { offset: 12 }),
    ];
    for (payload, want) in cases {
        assert_eq!(decode(&payload), Err(want.clone()), "{payload}");
        assert!(!want.to_string().is_empty());
        assert!(!want.message_vi().is_empty());
    }
}

#[test]
fn crc_must_be_last() {
    let mut p = Q4.to_string();
    p.push_str("9902ab");
    let e = decode(&p).unwrap_err();
    assert_eq!(
        e,
        Error::CrcNotLast {
            offset: Q4.len() - 8,
            tag: Tag::root(63)
        }
    );
}

#[test]
fn vietqr_meaning_is_checked() {
    let bad_ccy = resign(&Q4.replacen("5303704", "5303840", 1));
    assert!(matches!(decode(&bad_ccy), Err(Error::BadCurrency { .. })));
    let bad_country = resign(&Q4.replacen("5802VN", "5802TH", 1));
    assert!(matches!(
        decode(&bad_country),
        Err(Error::BadCountry { .. })
    ));
    let bad_amount = resign(&Q5.replacen("540510000", "54051.000", 1));
    let e = decode(&bad_amount).unwrap_err();
    let at = Q5.find("540510000").unwrap();
    assert_eq!(
        e,
        Error::BadAmount {
            offset: at,
            tag: Tag::root(54)
        }
    );
    let bad_svc = resign(&Q4.replacen("0208QRIBFTTA", "0208QRIBFTTX", 1));
    assert!(matches!(decode(&bad_svc), Err(Error::BadService { .. })));
    let bad_bin = resign(&Q4.replacen("0006970416", "000697041X", 1));
    assert!(matches!(decode(&bad_bin), Err(Error::BadBin { .. })));
    let no_ccy = resign(&Q4.replacen("5303704", "", 1));
    let want = Error::Missing {
        offset: 0,
        tag: Tag::root(53),
    };
    assert_eq!(decode(&no_ccy), Err(want));
}

#[test]
fn other_schemes_decode_as_such() {
    // A VNPAY-QR-style payload: GUID A000000775 in tag 26, no NAPAS template.
    let acct = format!("{}{}", tlv(0, VNPAY_GUID), tlv(1, "12345678"));
    let body = format!(
        "000201010212{}520458125303704540450005802VN5906SHOP A6005HANOI6304",
        tlv(26, &acct)
    );
    let d = decode(&with_crc(&body)).unwrap();
    let Decoded::OtherScheme(o) = d else {
        panic!("{d:?}")
    };
    assert_eq!(o.scheme, Scheme::VnpayQr);
    assert_eq!(o.accounts[0].guid.as_deref(), Some(VNPAY_GUID));
    assert_eq!(o.fields.len(), 8);
    assert_eq!(o.fields[0].tag, "01");
    // No merchant account at all is an error.
    let none = with_crc("00020101021253037046304");
    assert_eq!(decode(&none), Err(Error::NoMerchantAccount { offset: 0 }));
}

#[test]
fn napas_payload_keeps_other_schemes_and_unknowns_in_order() {
    let mut q = qr(Q5);
    q.extra = vec![
        Field {
            tag: "26".into(),
            value: "0010A000000775".into(),
        },
        Field {
            tag: "38/01/05".into(),
            value: "x".into(),
        },
        Field {
            tag: "38/07".into(),
            value: "y".into(),
        },
        Field {
            tag: "62/50".into(),
            value: "z".into(),
        },
        Field {
            tag: "99".into(),
            value: "end".into(),
        },
    ];
    let p = q.encode().unwrap();
    assert_eq!(qr(&p), q);
    let view = Payload::parse(&p).unwrap();
    assert_eq!(view.schemes.len(), 1);
    assert_eq!(view.extra.len(), 4);
}

#[test]
fn full_field_set_round_trips() {
    let q = VietQr {
        initiation: Initiation::Dynamic,
        bin: "970436".into(),
        account: "MERCHANT42".into(),
        service: Some(Service::Push),
        amount: Some(9_999_999_999_999),
        memo: s("HL-000123"),
        bill_number: s("HD 42/2026"),
        merchant_name: s("CHO HA LONG I"),
        merchant_city: s("HA LONG"),
        mcc: s("5411"),
        postal_code: s("200000"),
        additional: Additional {
            mobile: s("0912345678"),
            store_label: s("A-12"),
            terminal_label: s("T1"),
            consumer_data_request: s("ME"),
            ..Additional::default()
        },
        language: Some(Language {
            preference: "vi".into(),
            merchant_name: "Chợ Hạ Long I".into(),
            merchant_city: s("Hạ Long"),
        }),
        extra: vec![],
    };
    let p = q.encode().unwrap();
    assert_eq!(qr(&p), q);
    let json = serde_json::to_string(&Decoded::VietQr(q.clone())).unwrap();
    assert!(json.contains(r#""kind":"vietqr""#) && json.contains(r#""service":"QRPUSH""#));
    let back: Decoded = serde_json::from_str(&json).unwrap();
    assert_eq!(back.into_vietqr(), Some(q));
}

#[test]
fn encoder_transliterates_and_checks() {
    let mut q = account(
        Initiation::Dynamic,
        "970436",
        "0011012345678",
        Some(Service::ToAccount),
    );
    q.amount = Some(3_000);
    q.memo = s("Đặng Thị Hồng rau");
    q.merchant_name = s("Bà Tư bán cá");
    let p = q.encode().unwrap();
    let back = qr(&p);
    assert_eq!(back.memo.as_deref(), Some("Dang Thi Hong rau"));
    assert_eq!(back.merchant_name.as_deref(), Some("Ba Tu ban ca"));
    assert_eq!(back, q.normalized().unwrap());

    let memo = Tag::root(62).child(8);
    q.memo = s("Tiền rau, 3k");
    assert_eq!(q.encode(), Err(Error::BadChar { tag: memo, ch: ',' }));
    q.memo = s(&"a".repeat(26));
    assert_eq!(
        q.encode(),
        Err(Error::TooLong {
            tag: memo,
            max: 25,
            len: 26
        })
    );
    q.memo = s("");
    assert_eq!(qr(&q.encode().unwrap()).memo, None, "empty means absent");
    q.amount = Some(0);
    assert!(matches!(q.encode(), Err(Error::Invalid { .. })));
    q.amount = Some(10_000_000_000_000);
    assert!(matches!(q.encode(), Err(Error::Invalid { .. })));
    q.amount = Some(1);
    q.bin = "97043".into();
    assert_eq!(q.encode().unwrap_err().code(), "invalid");
    q.bin = "970436".into();
    q.account = "0011-0123".into();
    assert_eq!(
        q.encode().unwrap_err().tag(),
        Some("38/01/01".parse().unwrap())
    );
}

/// Fuzz finding (crash-9a6dd325): extras inside `64` were not written.
#[test]
fn language_template_extras_round_trip() {
    let p = "00020101021238540010A00000072701240006970436011010175956002008QRIBFTTA530370454061800005802VN64240002ye0102126008hye0627u";
    let p = with_crc(&format!("{p}6304"));
    let q = qr(&p);
    assert_eq!(q.extra.len(), 2);
    assert_eq!(qr(&q.encode().unwrap()), q);
    // Without a language template a 64/xx extra has nowhere to go.
    let mut q = q;
    q.language = None;
    let want = Error::BadExtraTag {
        tag: "64/60".into(),
    };
    assert_eq!(q.encode(), Err(want));
}

#[test]
fn encoder_rejects_bad_extras() {
    let mut q = qr(Q4);
    for bad in ["62/08", "00", "63", "38/01/01", "62/50/01", "x", "54"] {
        q.extra = vec![Field {
            tag: bad.into(),
            value: "v".into(),
        }];
        assert_eq!(
            q.encode(),
            Err(Error::BadExtraTag { tag: bad.into() }),
            "{bad}"
        );
    }
    q.extra = vec![Field {
        tag: "26".into(),
        value: "0010A000000727".into(),
    }];
    assert!(
        q.encode().is_err(),
        "a second NAPAS template never leaves the encoder"
    );
}

#[test]
fn qrcash_needs_dynamic_reference_and_terminal() {
    let mut q = account(Initiation::Static, "970436", "ATM0042", Some(Service::Cash));
    let e = q.encode().unwrap_err();
    assert_eq!(e.tag(), Some(Tag::root(38).child(2)));
    assert_eq!(e.code(), "invalid");
    q.initiation = Initiation::Dynamic;
    q.additional.reference_label = s("REF1");
    assert!(q.encode().is_err());
    q.additional.terminal_label = s("T42");
    assert_eq!(qr(&q.encode().unwrap()), q);
}

#[test]
fn template_overflow_is_an_error() {
    let mut q = qr(Q4);
    q.initiation = Initiation::Dynamic;
    let long = "x".repeat(25);
    q.bill_number = s(&long);
    q.additional.store_label = s(&long);
    q.additional.customer_label = s(&long);
    q.additional.terminal_label = s(&long);
    let e = q.encode().unwrap_err();
    assert_eq!(
        e,
        Error::TooLong {
            tag: Tag::root(62),
            max: 99,
            len: 116
        }
    );
}

/// A payload whose CRC has leading zeros survives encode and decode intact.
#[test]
fn crc_below_0x1000_keeps_leading_zeros() {
    let mut q = account(
        Initiation::Dynamic,
        "970436",
        "0011012345678",
        Some(Service::ToAccount),
    );
    q.memo = s("HL");
    let (amount, p) = (1_000u64..)
        .map(|a| {
            q.amount = Some(a);
            (a, q.encode().unwrap())
        })
        .find(|(_, p)| p.as_bytes()[p.len() - 4] == b'0')
        .unwrap();
    let crc = u16::from_str_radix(&p[p.len() - 4..], 16).unwrap();
    assert!(crc < 0x1000, "{p}");
    assert_eq!(qr(&p).amount, Some(amount));
    // The first such amount, pinned so a regression shows as a diff.
    assert_eq!(p, FOUND_LOW_CRC);
}

const FOUND_LOW_CRC: &str = "00020101021238570010A00000072701270006970436011300110123456780208QRIBFTTA5303704540410995802VN62060802HL630408E0";

#[test]
fn decode_bytes_reports_bad_utf8() {
    let mut b = Q4.as_bytes().to_vec();
    b[20] = 0xFF;
    assert_eq!(decode_bytes(&b), Err(Error::NotUtf8 { offset: 20 }));
    assert_eq!(decode_bytes(Q4.as_bytes()), decode(Q4));
}

#[test]
fn error_codes_are_stable_and_localised() {
    let e = Error::BadLength {
        offset: 12,
        tag: Tag::root(38),
    };
    assert_eq!(e.code(), "bad_length");
    assert_eq!(e.to_string(), "bad length for 38 at byte 12");
    assert_eq!(
        e.message_vi(),
        "Độ dài trường không hợp lệ (thẻ 38, vị trí byte 12)"
    );
    assert_eq!(e.offset(), Some(12));
}

// ---------- property tests ----------

fn opt(re: &'static str) -> impl Strategy<Value = Option<String>> {
    proptest::option::of(re)
}

prop_compose! {
    fn additional()(
        mobile in opt("[0-9+]{1,12}"),
        store_label in opt("[ -~]{1,10}"),
        reference_label in opt("[A-Z0-9]{1,10}"),
        consumer_data_request in proptest::option::of(prop_oneof!["A", "M", "E", "AME", "EA"]),
    ) -> Additional {
        Additional { mobile, store_label, reference_label, consumer_data_request, ..Additional::default() }
    }
}

prop_compose! {
    fn language()(preference in "[a-z]{2}", name in "\\PC{1,6}", city in opt("\\PC{1,3}")) -> Language {
        Language { preference, merchant_name: name, merchant_city: city }
    }
}

prop_compose! {
    fn canonical()(
        dynamic in any::<bool>(),
        bin in "[0-9]{6}",
        account in "[A-Za-z0-9]{1,19}",
        service in proptest::option::of(prop_oneof![
            Just(Service::ToAccount), Just(Service::ToCard), Just(Service::Push), Just(Service::Cash)
        ]),
        amount in 1u64..=9_999_999_999_999,
        memo in opt("[A-Za-z0-9 _.-]{1,25}"),
        bill_number in opt("[ -~]{1,25}"),
        merchant_name in opt("[ -~]{1,25}"),
        merchant_city in opt("[ -~]{1,15}"),
        mcc in opt("[0-9]{4}"),
        postal_code in opt("[0-9A-Z]{1,10}"),
        additional in additional(),
        language in proptest::option::of(language()),
    ) -> VietQr {
        VietQr {
            initiation: if dynamic { Initiation::Dynamic } else { Initiation::Static },
            amount: dynamic.then_some(amount),
            bin, account, service, memo, bill_number, merchant_name, merchant_city,
            mcc, postal_code, additional, language, extra: vec![],
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn round_trip_decode_encode(x in canonical()) {
        match x.encode() {
            Ok(p) => {
                prop_assert!(p.is_char_boundary(p.len() - 4));
                let crc = &p[p.len() - 4..];
                prop_assert!(crc.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)));
                prop_assert_eq!(decode(&p), Ok(Decoded::VietQr(x)));
            }
            // The only legitimate refusals for canonical input: a template over
            // 99 bytes, and a QRCASH without its mandatory fields.
            Err(Error::TooLong { tag, max: 99, .. }) => prop_assert!(tag.depth() == 1),
            Err(Error::Invalid { tag, .. }) => prop_assert_eq!(tag, Tag::root(38).child(2)),
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }

    #[test]
    fn round_trip_with_extras(
        x in canonical(),
        picks in proptest::collection::btree_map(0usize..5, (3u8..100, "[ -~]{1,8}"), 0..4),
    ) {
        let mut x = x;
        let parents = ["", "38/", "38/01/", "62/", "64/"];
        for (parent, (id, value)) in picks {
            let id = if parent == 0 { id.max(65) } else { id.max(10) };
            if parent == 4 && x.language.is_none() {
                continue;
            }
            x.extra.push(Field { tag: format!("{}{id:02}", parents[parent]), value });
        }
        match x.encode() {
            Ok(p) => prop_assert_eq!(decode(&p), Ok(Decoded::VietQr(x.normalized().unwrap()))),
            Err(Error::TooLong { max: 99, .. }) => {}
            Err(Error::Invalid { tag, .. }) => prop_assert_eq!(tag, Tag::root(38).child(2)),
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }

    #[test]
    fn any_text_normalises_or_errors(memo in "\\PC{0,30}", name in "\\PC{0,30}") {
        let mut q = account(Initiation::Static, "970436", "123", Some(Service::ToAccount));
        q.memo = Some(memo);
        q.merchant_name = Some(name);
        if let Ok(p) = q.encode() {
            prop_assert_eq!(decode(&p), Ok(Decoded::VietQr(q.normalized().unwrap())));
        }
    }

    #[test]
    fn decoding_arbitrary_strings_never_panics(s in "\\PC{0,200}") {
        let _ = decode(&s);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(b in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_bytes(&b);
    }

    #[test]
    fn decoding_mutated_payloads_never_panics(
        which in 0usize..9, at in any::<prop::sample::Index>(), byte in any::<u8>(),
    ) {
        // Structure-aware: mutate one byte of a real vector, then fix the CRC
        // so the structural code paths (not only the CRC check) are reached.
        let v = [Q1, Q2, Q3, Q4, Q5, Q6, Q7, Q8, Q9][which];
        let mut b = v.as_bytes().to_vec();
        let i = at.index(b.len() - 8);
        b[i] = byte;
        if let Ok(s) = String::from_utf8(b) {
            let _ = decode(&resign(&s));
        }
    }
}
