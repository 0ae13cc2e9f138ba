#![allow(dead_code)]

use einvoice::*;

pub fn fixture(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn sample(name: &str) -> String {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples/einvoice");
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn key() -> SigningKey {
    SigningKey::from_pkcs8_der(&fixture("seller.key.pk8.der"), &fixture("seller.cert.der")).unwrap()
}

pub fn time() -> LocalDateTime {
    LocalDateTime::new(Date::new(2025, 7, 1).unwrap(), 9, 30, 0).unwrap()
}

pub fn mtt_invoice(number: u32) -> Invoice {
    let mut inv = Invoice {
        version: FormatVersion::V2_0_1,
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
