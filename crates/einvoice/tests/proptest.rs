//! Property tests: write→read round trip, and no panic on arbitrary input.

use einvoice::envelope::{
    ErrorNotice, ErrorNoticeInvoice, Header, NoticeAction, read_103, read_204, read_206, read_303,
    read_999, write_303,
};
use einvoice::*;
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // printable text including XML specials, Vietnamese letters, tabs/newlines/CR
    proptest::string::string_regex("[a-zA-Z0-9 <>&\"'ăâđêôơưĂÂĐÊÔƠƯáàảãạếềểễệ\t\n\r.,:/-]{0,24}")
        .unwrap()
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn extra() -> impl Strategy<Value = Vec<ExtraField>> {
    proptest::collection::vec(
        (
            text(),
            prop_oneof![Just("string".to_owned()), Just("numeric".to_owned())],
            opt_text(),
        )
            .prop_map(|(name, kind, value)| ExtraField { name, kind, value }),
        0..3,
    )
}

fn rate() -> impl Strategy<Value = VatRate> {
    prop_oneof![
        Just(VatRate::Zero),
        Just(VatRate::Five),
        Just(VatRate::Eight),
        Just(VatRate::Ten),
        Just(VatRate::Kct),
        Just(VatRate::Kkknt),
        (0u16..=9999).prop_map(VatRate::Other),
    ]
}

fn date() -> impl Strategy<Value = Date> {
    (2000u16..2100, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

fn amount() -> impl Strategy<Value = i64> {
    -1_000_000_000_000i64..1_000_000_000_000
}

fn line() -> impl Strategy<Value = Line> {
    (
        (0u8..5).prop_map(|k| ItemKind::from_code(k + 1).unwrap()),
        proptest::option::of(1u32..10_000),
        opt_text(),
        text(),
        opt_text(),
        proptest::option::of((-10_000_000i64..10_000_000).prop_map(Quantity)),
        proptest::option::of(amount()),
        proptest::option::of((0i64..1_000_000).prop_map(Percent4)),
        proptest::option::of(amount()),
        proptest::option::of(amount()),
        proptest::option::of(rate()),
        extra(),
    )
        .prop_map(
            |(
                kind,
                number,
                code,
                name,
                unit,
                quantity,
                unit_price,
                discount_rate,
                discount,
                amount,
                vat_rate,
                extra,
            )| Line {
                kind,
                number,
                code,
                name,
                unit,
                quantity,
                unit_price,
                discount_rate,
                discount,
                amount,
                vat_rate,
                extra,
            },
        )
}

fn invoice() -> impl Strategy<Value = Invoice> {
    let head = (
        prop_oneof![
            Just(FormatVersion::V2_0_0),
            Just(FormatVersion::V2_0_1),
            Just(FormatVersion::V2_1_0)
        ],
        "[A-Za-z][A-Za-z0-9_-]{0,20}",
        text(),
        0u8..=9,
        "[A-Z0-9]{6}",
        0u32..100_000_000,
        opt_text(),
        date(),
        proptest::option::of(any::<bool>()),
        opt_text(),
        proptest::option::of(0i64..100_000_000),
        opt_text(),
    );
    let seller = (
        text(),
        text(),
        text(),
        opt_text(),
        opt_text(),
        opt_text(),
        extra(),
    )
        .prop_map(
            |(name, tax_code, address, store_code, phone, website, extra)| Seller {
                name,
                tax_code,
                address,
                store_code,
                phone,
                website,
                extra,
                ..Seller::default()
            },
        );
    let buyer = proptest::option::of(
        (
            opt_text(),
            opt_text(),
            opt_text(),
            opt_text(),
            opt_text(),
            extra(),
        )
            .prop_map(
                |(name, tax_code, address, citizen_id, passport, extra)| Buyer {
                    name,
                    tax_code,
                    address,
                    citizen_id,
                    passport,
                    extra,
                    ..Buyer::default()
                },
            ),
    );
    let totals = (
        proptest::collection::vec(
            (rate(), amount(), amount()).prop_map(|(rate, base, tax)| RateTotal {
                rate,
                base,
                tax,
            }),
            0..3,
        ),
        amount(),
        amount(),
        proptest::collection::vec(
            (text(), amount()).prop_map(|(name, amount)| Fee { name, amount }),
            0..2,
        ),
        proptest::option::of(amount()),
        amount(),
        text(),
        extra(),
    )
        .prop_map(
            |(rates, before_tax, tax, fees, trade_discount, total, total_in_words, extra)| Totals {
                rates,
                before_tax,
                tax,
                fees,
                trade_discount,
                total,
                total_in_words,
                extra,
            },
        );
    let related = proptest::option::of(
        (1u8..3, 1u8..5, text(), text(), text(), date(), opt_text()).prop_map(
            |(relation, source_kind, form, symbol, number, date, note)| RelatedInvoice {
                relation,
                source_kind,
                form,
                symbol,
                number,
                date,
                note,
            },
        ),
    );
    (
        head,
        seller,
        buyer,
        proptest::collection::vec(line(), 0..4),
        totals,
        related,
        (
            extra(),
            extra(),
            opt_text(),
            opt_text(),
            proptest::option::of("[A-Za-z0-9-]{1,20}"),
        ),
    )
        .prop_map(
            |(
                h,
                seller,
                buyer,
                lines,
                totals,
                related,
                (content_extra, data_extra, qr_code, authority_code, code_id),
            )| {
                let (
                    version,
                    data_id,
                    title,
                    form,
                    symbol,
                    number,
                    record_code,
                    issue_date,
                    financial_leasing,
                    currency,
                    exchange_rate,
                    payment_method,
                ) = h;
                Invoice {
                    version,
                    data_id,
                    title,
                    form,
                    symbol,
                    number,
                    record_code,
                    issue_date,
                    financial_leasing,
                    currency,
                    exchange_rate,
                    payment_method,
                    provider_tax_code: None,
                    related,
                    header_extra: Vec::new(),
                    seller,
                    buyer,
                    lines,
                    totals,
                    content_extra,
                    data_extra,
                    qr_code,
                    authority_code_id: if authority_code.is_some() {
                        code_id
                    } else {
                        None
                    },
                    authority_code,
                }
            },
        )
}

fn notice() -> impl Strategy<Value = ErrorNotice> {
    let item = (
        (text(), any::<u8>(), text(), any::<u32>()),
        (date(), 1u8..=4, text()),
    )
        .prop_map(
            |((authority_code, form, symbol, number), (date, action, reason))| ErrorNoticeInvoice {
                authority_code,
                form,
                symbol,
                number,
                date,
                action: NoticeAction::from_code(action).unwrap(),
                reason,
            },
        );
    (
        (text(), 1u8..=2, (text(), text()), text()),
        (text(), text(), date()),
        proptest::collection::vec(item, 1..4),
    )
        .prop_map(
            |(
                (data_id, notice_kind, tax_office, taxpayer_name),
                (tax_code, place, date),
                invoices,
            )| {
                ErrorNotice {
                    header: Header {
                        version: "2.0.1".into(),
                        sender: "0106324653".into(),
                        receiver: "TCT".into(),
                        kind: 303,
                        id: "0106324653ABCDEF".into(),
                        reference_id: None,
                        tax_code: "0106324653".into(),
                        count: invoices.len() as u32,
                    },
                    data_id,
                    notice_kind,
                    tax_office,
                    taxpayer_name,
                    tax_code,
                    place,
                    date,
                    invoices,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn notice_303_round_trip(n in notice()) {
        prop_assert_eq!(read_303(&write_303(&n.header, &n)).unwrap(), n);
    }

    #[test]
    fn write_read_round_trip(inv in invoice()) {
        let xml = write_invoice(&inv);
        let back = read_invoice(&xml).unwrap();
        prop_assert_eq!(back, inv);
    }

    #[test]
    fn words_never_panic(n in any::<i64>()) {
        let w = amount_in_words(n);
        prop_assert!(w.ends_with("đồng"));
    }

    #[test]
    fn readers_never_panic_on_arbitrary_text(s in "\\PC{0,300}") {
        let _ = read_invoice(&s);
        let _ = read_206(&s);
        let _ = read_999(&s);
        let _ = read_204(&s);
        let _ = read_103(&s);
        let _ = read_303(&s);
        let _ = verify_signatures(&s, &VerifyOptions::default());
        let _ = MttCode::parse(&s);
        let _ = validate_tax_code(&s);
        let _ = Symbol::parse(&s);
        let _ = VatRate::parse(&s);
    }

    #[test]
    fn readers_never_panic_on_mutated_xml(inv in invoice(), cut in 0usize..4000, byte in any::<u8>(), pos in 0usize..4000) {
        let xml = write_invoice(&inv);
        let mut bytes = xml.into_bytes();
        if !bytes.is_empty() {
            let p = pos % bytes.len();
            bytes[p] = byte;
            bytes.truncate(cut.max(1).min(bytes.len()));
        }
        let s = String::from_utf8_lossy(&bytes);
        if let Ok(inv) = read_invoice(&s) {
            let _ = validate(&inv, &Context::default());
        }
        let _ = verify_signatures(&s, &VerifyOptions::default());
    }
}
