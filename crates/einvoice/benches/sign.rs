//! Issue + sign one invoice; build and sign a 206 message of 1,000 invoices.
//!
//! `CARGO_TARGET_DIR=/work/target-einvoice cargo bench -p einvoice --bench sign`

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use einvoice::envelope::{Header, build_signed_206, message_id};
use einvoice::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

fn invoice(number: u32) -> Invoice {
    let mut inv = Invoice {
        data_id: format!("HD-{number}"),
        title: "Hóa đơn giá trị gia tăng khởi tạo từ máy tính tiền".into(),
        form: 1,
        symbol: "C25MAA".into(),
        number,
        issue_date: Date::new(2025, 7, 1).unwrap(),
        seller: Seller {
            name: "Hộ kinh doanh Chợ Hạ Long".into(),
            tax_code: "0106324653".into(),
            address: "Phường Bạch Đằng, TP Hạ Long, Quảng Ninh".into(),
            ..Seller::default()
        },
        lines: vec![
            Line::goods(
                "Mực một nắng",
                "kg",
                Quantity(1500),
                650_000,
                VatRate::Eight,
            ),
            Line::goods("Chả mực", "kg", Quantity::units(2), 380_000, VatRate::Eight),
            Line::goods("Nước mắm", "chai", Quantity::units(1), 95_000, VatRate::Ten),
        ],
        authority_code: Some(
            MttCode::new(1, 25, "ABCDE", u64::from(number))
                .unwrap()
                .to_string(),
        ),
        ..Invoice::default()
    };
    inv.recompute_totals().unwrap();
    inv
}

fn benches(c: &mut Criterion) {
    let key =
        SigningKey::from_pkcs8_der(&fixture("seller.key.pk8.der"), &fixture("seller.cert.der"))
            .unwrap();
    let t = LocalDateTime::new(Date::new(2025, 7, 1).unwrap(), 9, 30, 0).unwrap();
    c.bench_function("issue_and_sign_one_invoice", |b| {
        b.iter(|| {
            let inv = invoice(black_box(42));
            let xml = write_invoice(&inv);
            black_box(sign_invoice(&xml, &key, t).unwrap())
        })
    });
    let invoices: Vec<Invoice> = (1..=1000).map(invoice).collect();
    let header = Header {
        version: "2.0.1".into(),
        sender: "0106324653".into(),
        receiver: "TCT".into(),
        kind: 206,
        id: message_id("0106324653", [9; 16]),
        reference_id: None,
        tax_code: "0106324653".into(),
        count: 0,
    };
    let mut group = c.benchmark_group("message_206");
    group.sample_size(10);
    group.bench_function("build_and_sign_1000_invoices", |b| {
        b.iter(|| black_box(build_signed_206(&header, "DLieu-1", &invoices, &key, t).unwrap()))
    });
    group.bench_function("verify_1000_invoices", |b| {
        let xml = build_signed_206(&header, "DLieu-1", &invoices, &key, t).unwrap();
        b.iter(|| {
            let r = verify_signatures(black_box(&xml), &VerifyOptions::default()).unwrap();
            assert!(r[0].is_valid());
        })
    });
    group.finish();
}

criterion_group!(sign, benches);
criterion_main!(sign);
