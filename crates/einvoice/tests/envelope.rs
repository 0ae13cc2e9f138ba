//! Message 206 and the real 202.

mod common;
use common::*;
use einvoice::envelope::*;
use einvoice::*;

fn header() -> Header {
    Header {
        version: "2.0.1".into(),
        sender: "0106324653".into(),
        receiver: "TCT".into(),
        kind: 0,
        id: message_id("0106324653", [7; 16]),
        reference_id: None,
        tax_code: "0106324653".into(),
        count: 0,
    }
}

#[test]
fn signed_206_round_trip_and_verify() {
    let invoices: Vec<Invoice> = (1..=3).map(mtt_invoice).collect();
    let xml = build_signed_206(&header(), "DLieu-1", &invoices, &key(), time()).unwrap();
    let msg = read_206(&xml).unwrap();
    assert_eq!(msg.header.kind, 206);
    assert_eq!(msg.header.count, 3);
    assert_eq!(msg.data_id, "DLieu-1");
    assert_eq!(msg.invoices, invoices);
    let reports = verify_signatures(&xml, &VerifyOptions::default()).unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].container, "CKSNNT");
    assert!(reports[0].covers("DLieu-1"));

    let tampered = xml.replacen("<SHDon>2</SHDon>", "<SHDon>5</SHDon>", 1);
    assert_ne!(tampered, xml);
    assert!(!verify_signatures(&tampered, &VerifyOptions::default()).unwrap()[0].is_valid());
    assert!(read_999(&xml).is_err());
}

#[test]
fn real_202_reads() {
    let (h, invs) = read_envelope_invoices(&sample("tct-202-coded-C21TCT-14.xml")).unwrap();
    assert_eq!(h.kind, 202);
    assert_eq!(h.sender, "TCT");
    assert_eq!(h.receiver, "V0309478306");
    assert_eq!(h.id, "TCTB2C5E9AF7DEF49B5BA33411171A2DF30");
    assert_eq!(
        h.reference_id.as_deref(),
        Some("V03094783068DD2707F86154E8594A24EFC2BAE1227")
    );
    assert_eq!(h.count, 1);
    assert_eq!(invs.len(), 1);
    assert_eq!(
        invs[0],
        read_invoice(&sample("coded-C21TCT-14.xml")).unwrap()
    );
}
