//! Renders an 80-mm cash-register receipt (a Vietnamese e-invoice "khởi tạo
//! từ máy tính tiền") as a one-page PDF whose height grows with the content,
//! the way a thermal printer feeds paper.
//!
//! * Pure: no I/O. DejaVu Sans / DejaVu Sans Bold are compiled in and only the
//!   glyphs used are embedded (TrueType subset, CIDFontType2, Identity-H),
//!   with a `ToUnicode` CMap so text can be searched and copied.
//! * Every word printed comes from the caller ([`Receipt`]); the crate adds
//!   only numbers (`35.000`, Vietnamese thousands separator) and `×`.
//! * The QR code is drawn as vector rectangles (EC level M, 4-module quiet
//!   zone, ~30 mm), centred, with [`Receipt::code`] printed under it.
//! * Output is deterministic: same receipt, same bytes.
//!
//! ```
//! let receipt = receiptpdf::Receipt {
//!     title: "HÓA ĐƠN BÁN HÀNG".into(),
//!     items: vec![receiptpdf::Item {
//!         name: "Cà phê sữa đá".into(),
//!         quantity: "2".into(),
//!         unit_price: 17_500,
//!         amount: 35_000,
//!     }],
//!     total: ("Tổng cộng".into(), 35_000),
//!     code: "M1-26-AB12C-00000000042".into(),
//!     ..Default::default()
//! };
//! let pdf = receiptpdf::render(&receipt).unwrap();
//! assert!(pdf.starts_with(b"%PDF-"));
//! ```

mod font;
mod layout;
mod pdf;

/// One receipt, already in display form (strings are printed verbatim after
/// NFC normalisation; control characters become spaces, `\n` breaks a line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Receipt {
    /// Document title, bold and centred, e.g. "HÓA ĐƠN GIÁ TRỊ GIA TĂNG".
    pub title: String,
    /// Centred lines at the top: seller name (set in bold), tax code,
    /// address, register…
    pub header_lines: Vec<String>,
    /// `label → value` lines under the title (Số, Ký hiệu, Ngày giờ, Thu
    /// ngân…); label flush left, value flush right.
    pub meta_lines: Vec<(String, String)>,
    /// Sold lines.
    pub items: Vec<Item>,
    /// `label → amount` lines above the total (Cộng tiền hàng, Thuế GTGT 8%…).
    pub summary: Vec<(String, i64)>,
    /// `label → amount`, printed bold and larger.
    pub total: (String, i64),
    /// E.g. "Bằng chữ: Ba mươi lăm nghìn đồng". Omitted when empty.
    pub amount_in_words: String,
    /// Centred lines at the bottom.
    pub footer_lines: Vec<String>,
    /// Invoice code printed (bold, centred) under the QR, e.g.
    /// `M1-26-AB12C-00000000042`. Omitted when empty.
    pub code: String,
    /// Look-up URL encoded in the QR code; no QR when `None`.
    pub qr_payload: Option<String>,
}

/// One sold line: the name wraps over the full width, then
/// `quantity × unit_price` on the left and `amount` flush right.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    pub name: String,
    /// Already formatted by the caller (e.g. "2", "1,5 kg").
    pub quantity: String,
    /// Đồng.
    pub unit_price: i64,
    /// Đồng.
    pub amount: i64,
}

/// Why a receipt could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The QR payload does not fit in a version-40 QR code at EC level M
    /// (2 331 bytes). Carries the payload length in bytes.
    #[error("QR payload of {0} bytes does not fit a QR code at EC level M")]
    QrPayloadTooLong(usize),
    /// The receipt would be taller than the 14 400 pt (≈ 5.08 m) PDF readers
    /// accept for a page side. Carries the height it would have needed, in mm.
    #[error("receipt would be {height_mm} mm long; a PDF page is at most 5080 mm")]
    TooLong { height_mm: u32 },
    /// An embedded font could not be read (a build defect, not an input one).
    #[error("embedded font: {0}")]
    Font(&'static str),
    /// Subsetting an embedded font failed (a build defect, not an input one).
    #[error("font subsetting failed: {0}")]
    Subset(String),
}

/// Formats đồng the Vietnamese way: `.` between thousands, `-` for negative
/// amounts, no unit. `35000 → "35.000"`, `-1234567 → "-1.234.567"`.
pub fn format_dong(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if amount < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// Renders `receipt` as a PDF (one 80 mm wide page, as tall as needed).
///
/// Never panics; fails only for a QR payload too long for a QR code or a
/// receipt over ~5 m long.
pub fn render(receipt: &Receipt) -> Result<Vec<u8>, Error> {
    let mut fonts = font::Fonts::new()?;
    let mut layout = layout::Layout::new(&fonts);
    layout.receipt(receipt)?;
    let height = layout.y;
    let ops = std::mem::take(&mut layout.ops);
    if height.is_nan() || height > layout::MAX_PAGE_HEIGHT {
        // `as` saturates: absurd heights report u32::MAX.
        let height_mm = (height / layout::MM).ceil() as u32;
        return Err(Error::TooLong { height_mm });
    }
    pdf::write(&mut fonts, &ops, height, &receipt.title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dong_formatting() {
        assert_eq!(format_dong(0), "0");
        assert_eq!(format_dong(999), "999");
        assert_eq!(format_dong(1000), "1.000");
        assert_eq!(format_dong(35_000), "35.000");
        assert_eq!(format_dong(-1_234_567), "-1.234.567");
        assert_eq!(format_dong(i64::MAX), "9.223.372.036.854.775.807");
        assert_eq!(format_dong(i64::MIN), "-9.223.372.036.854.775.808");
    }

    #[test]
    fn empty_receipt_renders() {
        let pdf = render(&Receipt::default()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn too_long_is_an_error() {
        let r = Receipt {
            footer_lines: vec!["x".into(); 2000],
            ..Default::default()
        };
        assert!(matches!(render(&r), Err(Error::TooLong { height_mm }) if height_mm > 5080));
    }

    #[test]
    fn deterministic() {
        let r = Receipt {
            title: "HÓA ĐƠN".into(),
            qr_payload: Some("https://x.vn/?a=1".into()),
            ..Default::default()
        };
        assert_eq!(render(&r).unwrap(), render(&r).unwrap());
    }
}
