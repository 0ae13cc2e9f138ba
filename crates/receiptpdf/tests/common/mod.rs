//! A realistic cash-register receipt shared by the tests and the bench.

use receiptpdf::{Item, Receipt};

/// A receipt with `n` item lines (names cycle through real Vietnamese menu
/// items, one of them long enough to wrap).
pub fn sample(n: usize) -> Receipt {
    const NAMES: [&str; 5] = [
        "Cà phê sữa đá",
        "Bánh mì thịt nướng đặc biệt kèm trứng ốp la, pa-tê gan và dưa chuột muối chua ngọt",
        "Trà đá",
        "Phở bò tái chín",
        "Nước ép dưa hấu",
    ];
    let items: Vec<Item> = (0..n)
        .map(|i| {
            let qty = (i % 3 + 1) as i64;
            let price = 15_000 + 5_000 * (i as i64 % 7);
            Item {
                name: NAMES[i % NAMES.len()].to_string(),
                quantity: qty.to_string(),
                unit_price: price,
                amount: qty * price,
            }
        })
        .collect();
    let subtotal: i64 = items.iter().map(|i| i.amount).sum();
    let vat = subtotal * 8 / 100;
    Receipt {
        title: "HÓA ĐƠN GIÁ TRỊ GIA TĂNG".into(),
        header_lines: vec![
            "CÔNG TY TNHH ẨM THỰC HẠ LONG XANH".into(),
            "MST: 5701234567".into(),
            "Số 12 đường Bến Đoan, phường Hồng Gai, tỉnh Quảng Ninh".into(),
            "(Khởi tạo từ máy tính tiền) Quầy số 3".into(),
        ],
        meta_lines: vec![
            ("Ký hiệu".into(), "1C26MAB".into()),
            ("Số".into(), "00000042".into()),
            ("Ngày giờ".into(), "27/11/2026 08:15".into()),
            ("Thu ngân".into(), "Nguyễn Thị Ngọc Ánh".into()),
        ],
        items,
        summary: vec![
            ("Cộng tiền hàng".into(), subtotal),
            ("Thuế GTGT 8%".into(), vat),
        ],
        total: ("Tổng cộng thanh toán".into(), subtotal + vat),
        amount_in_words: "Bằng chữ: Năm trăm năm mươi nghìn tám trăm đồng (for 10 lines)".into(),
        footer_lines: vec![
            "Tra cứu hóa đơn điện tử tại hoadon.halong.vn".into(),
            "Cảm ơn quý khách! Hẹn gặp lại.".into(),
        ],
        code: "M1-26-AB12C-00000000042".into(),
        qr_payload: Some("https://hoadon.halong.vn/tra-cuu?ma=M1-26-AB12C-00000000042".into()),
    }
}
