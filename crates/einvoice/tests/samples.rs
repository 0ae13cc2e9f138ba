//! The real published samples in shared/samples/einvoice parse.

use einvoice::*;

mod common;
use common::sample;

#[test]
fn coded_c21tct_14() {
    let inv = read_invoice(&sample("coded-C21TCT-14.xml")).unwrap();
    assert_eq!(inv.version, FormatVersion::V2_0_0);
    assert_eq!(inv.full_symbol(), "1C21TCT");
    assert_eq!(inv.number, 14);
    assert_eq!(inv.data_id, "TS24_2111051448445960106322455");
    assert_eq!(inv.seller.tax_code, "0106324653");
    assert_eq!(
        inv.buyer.as_ref().unwrap().tax_code.as_deref(),
        Some("0106322455")
    );
    assert_eq!(inv.lines.len(), 1);
    assert_eq!(inv.lines[0].unit_price, Some(1_200_000));
    assert_eq!(inv.totals.total, 1_284_000);
    assert_eq!(inv.totals.rates[0].tax, 84_000); // written "84000.0"
    assert_eq!(
        inv.authority_code.as_deref(),
        Some("00474597512BE94B7BAB367996EF464828")
    );
    assert_eq!(
        inv.authority_code_id.as_deref(),
        Some("Id-3fca5333d7894598844aae52ece50271")
    );
    assert_eq!(inv.header_extra.len(), 12);
    assert_eq!(inv.header_extra[3].value.as_deref(), Some(""));
}

#[test]
fn noncoded_k23tkk_1063() {
    let inv = read_invoice(&sample("noncoded-K23TKK-1063.xml")).unwrap();
    assert_eq!(inv.version, FormatVersion::V2_0_1);
    assert_eq!(inv.full_symbol(), "1K23TKK");
    assert_eq!(inv.lines.len(), 6);
    assert_eq!(inv.totals.rates.len(), 2);
    assert_eq!(inv.totals.total, 31_030);
    assert_eq!(inv.totals.total_in_words, amount_in_words(31_030));
    assert!(inv.qr_code.as_deref().unwrap().starts_with("000201"));
    assert_eq!(inv.seller.tax_code, "0102182292-998");
}

#[test]
fn noncoded_k23tll_226() {
    let inv = read_invoice(&sample("noncoded-K23TLL-226.xml")).unwrap();
    assert_eq!(inv.full_symbol(), "1K23TLL");
    assert_eq!(inv.number, 226);
    assert_eq!(inv.totals.total, 0);
    assert_eq!(inv.totals.total_in_words, "Không đồng");
}

#[test]
fn samples_round_trip_through_writer() {
    for name in [
        "coded-C21TCT-14.xml",
        "noncoded-K23TKK-1063.xml",
        "noncoded-K23TLL-226.xml",
    ] {
        let inv = read_invoice(&sample(name)).unwrap();
        let again = read_invoice(&write_invoice(&inv)).unwrap();
        assert_eq!(again, inv, "{name}");
    }
}

#[test]
fn samples_validate_with_expected_findings() {
    use einvoice::validate::{Context, Rule, validate};
    // VNPAY non-coded invoices: consistent
    for name in ["noncoded-K23TKK-1063.xml", "noncoded-K23TLL-226.xml"] {
        let v = validate(&read_invoice(&sample(name)).unwrap(), &Context::default());
        assert!(v.is_empty(), "{name}: {v:#?}");
    }
    // TS24 test invoice: per-rate VAT written 84 000 for a 10 % base of 1 200 000
    let v = validate(
        &read_invoice(&sample("coded-C21TCT-14.xml")).unwrap(),
        &Context::default(),
    );
    let rules: Vec<Rule> = v.iter().map(|x| x.rule).collect();
    assert_eq!(rules, vec![Rule::RateTotals, Rule::Totals], "{v:#?}");
}
