//! QR images (SVG, PNG) and a printable A6 stall sign.
//!
//! All output is self-contained: no external fonts, images or URLs, so a
//! sign prints the same on any machine. QR codes use error-correction level M
//! and the standard quiet zone of 4 modules.

use crate::banks;
use crate::model::VietQr;
use qrcode::{Color, EcLevel, QrCode};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Modules of light margin around the symbol (ISO/IEC 18004 minimum).
pub const QUIET_ZONE: usize = 4;

/// The payload does not fit in a QR symbol at level M (over ~2,300 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLong;

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("payload too long for a QR code at error-correction level M")
    }
}

impl std::error::Error for TooLong {}

/// The dark/light module matrix, `width × width`, without quiet zone.
struct Matrix {
    width: usize,
    dark: Vec<bool>,
}

impl Matrix {
    fn new(payload: &str) -> Result<Matrix, TooLong> {
        let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
            .map_err(|_| TooLong)?;
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        Ok(Matrix {
            width: code.width(),
            dark,
        })
    }

    fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }

    /// Size including the quiet zone on both sides, in modules.
    fn full(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    /// SVG path data, one sub-path per horizontal run of dark modules, in
    /// module units with the quiet zone already added.
    fn path(&self) -> String {
        let mut d = String::with_capacity(self.width * self.width * 4);
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if !self.is_dark(x, y) {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < self.width && self.is_dark(x, y) {
                    x += 1;
                }
                let (px, py, run) = (start + QUIET_ZONE, y + QUIET_ZONE, x - start);
                let _ = write!(d, "M{px} {py}h{run}v1h-{run}z");
            }
        }
        d
    }
}

/// SVG of the QR code, or [`TooLong`].
pub fn try_to_svg(payload: &str) -> Result<String, TooLong> {
    let m = Matrix::new(payload)?;
    let n = m.full();
    Ok(format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 {n} {n}" "#,
            r#"width="{px}" height="{px}" shape-rendering="crispEdges">"#,
            r##"<rect width="{n}" height="{n}" fill="#fff"/>"##,
            r##"<path fill="#000" d="{d}"/></svg>"##
        ),
        n = n,
        px = n * 8,
        d = m.path()
    ))
}

/// SVG of the QR code (8 px per module by default; it scales freely).
///
/// # Panics
/// Only for payloads longer than a QR symbol holds at level M (~2,300
/// bytes); anything [`VietQr::encode`] produces is far shorter. Use
/// [`try_to_svg`] for untrusted input.
pub fn to_svg(payload: &str) -> String {
    try_to_svg(payload).unwrap_or_else(|e| panic!("{e}"))
}

/// 8-bit greyscale PNG of the QR code, `module_px` pixels per module
/// (at least 1), or [`TooLong`].
pub fn try_to_png(payload: &str, module_px: u32) -> Result<Vec<u8>, TooLong> {
    let m = Matrix::new(payload)?;
    let scale = module_px.max(1) as usize;
    let side = m.full() * scale;
    let mut pixels = vec![255u8; side * side];
    for y in 0..m.width {
        for x in 0..m.width {
            if m.is_dark(x, y) {
                fill(&mut pixels, side, x + QUIET_ZONE, y + QUIET_ZONE, scale);
            }
        }
    }
    Ok(encode_png(&pixels, side as u32))
}

/// PNG of the QR code. Panics only like [`to_svg`].
pub fn to_png(payload: &str, module_px: u32) -> Vec<u8> {
    try_to_png(payload, module_px).unwrap_or_else(|e| panic!("{e}"))
}

fn fill(pixels: &mut [u8], side: usize, mx: usize, my: usize, scale: usize) {
    for row in my * scale..(my + 1) * scale {
        let start = row * side + mx * scale;
        pixels[start..start + scale].fill(0);
    }
}

fn encode_png(pixels: &[u8], side: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, side, side);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    // Writing into a Vec cannot fail and the sizes match by construction.
    let mut w = enc.write_header().expect("PNG header into memory");
    w.write_image_data(pixels).expect("PNG data into memory");
    w.finish().expect("PNG end into memory");
    out
}

/// What goes on a printed stall sign.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SignInfo {
    /// The VietQR payload to print (usually a static QRIBFTTA).
    pub payload: String,
    /// e.g. `Chợ Hạ Long I`.
    pub market_name: String,
    /// e.g. `A-12`.
    pub stall_code: String,
    /// Stall holder's name, with diacritics.
    pub merchant_name: String,
    /// e.g. `Vietcombank`.
    pub bank_short_name: String,
    /// Account number; only its tail is printed (see [`mask_account`]).
    pub account: String,
}

impl SignInfo {
    /// Fill a sign from an encodable QR, taking the bank name from the directory.
    pub fn from_vietqr(
        qr: &VietQr,
        market: &str,
        stall: &str,
        merchant: &str,
    ) -> Result<SignInfo, crate::Error> {
        let bank = banks::by_bin(&qr.bin).map_or_else(|| qr.bin.clone(), |b| b.short_name.clone());
        Ok(SignInfo {
            payload: qr.encode()?,
            market_name: market.into(),
            stall_code: stall.into(),
            merchant_name: merchant.into(),
            bank_short_name: bank,
            account: qr.account.clone(),
        })
    }
}

/// Show only the tail of an account: `"0011012346789"` → `"•••• 6789"`.
///
/// At most 4 characters and never more than half of the account are shown,
/// so a short merchant id is not printed in full.
pub fn mask_account(account: &str) -> String {
    let chars: Vec<char> = account.trim().chars().collect();
    let shown = (chars.len() / 2).min(4);
    let tail: String = chars[chars.len() - shown..].iter().collect();
    if tail.is_empty() {
        "••••".to_owned()
    } else {
        format!("•••• {tail}")
    }
}

/// Escape text for SVG/XML content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0 at all.
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A6 page (mm) and where the QR sits on it.
const PAGE_W: f32 = 105.0;
const PAGE_H: f32 = 148.0;
const QR_SIDE: f32 = 78.0;
const QR_TOP: f32 = 34.0;

/// A printable A6 (105 × 148 mm) SVG sign: market, stall code, QR, merchant,
/// bank and masked account, in Vietnamese with diacritics. Panics only like
/// [`to_svg`]; use [`try_stall_sign_svg`] for untrusted payloads.
pub fn stall_sign_svg(info: &SignInfo) -> String {
    try_stall_sign_svg(info).unwrap_or_else(|e| panic!("{e}"))
}

/// [`stall_sign_svg`], or [`TooLong`].
pub fn try_stall_sign_svg(info: &SignInfo) -> Result<String, TooLong> {
    let m = Matrix::new(&info.payload)?;
    let scale = QR_SIDE / m.full() as f32;
    let qr_x = (PAGE_W - QR_SIDE) / 2.0;
    let mut s = String::with_capacity(16 * 1024);
    let _ = write!(
        s,
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}mm" height="{h}mm" "#,
            r#"viewBox="0 0 {w} {h}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif">"#,
            r##"<rect width="{w}" height="{h}" fill="#fff"/>"##,
            r##"<rect x="3" y="3" width="99" height="142" rx="4" fill="none" stroke="#c8102e" stroke-width="1"/>"##
        ),
        w = PAGE_W,
        h = PAGE_H
    );
    text(&mut s, 12.0, 5.0, "normal", &info.market_name);
    text(
        &mut s,
        25.0,
        10.0,
        "bold",
        &format!("Sạp {}", info.stall_code),
    );
    text(&mut s, 31.5, 3.8, "normal", "Quét mã VietQR để thanh toán");
    let _ = write!(
        s,
        r##"<g transform="translate({qr_x} {QR_TOP}) scale({scale})"><rect width="{n}" height="{n}" fill="#fff"/><path fill="#000" d="{d}" shape-rendering="crispEdges"/></g>"##,
        n = m.full(),
        d = m.path()
    );
    text(&mut s, 121.0, 6.0, "bold", &info.merchant_name);
    text(&mut s, 130.0, 4.8, "normal", &info.bank_short_name);
    text(&mut s, 137.0, 4.8, "normal", &mask_account(&info.account));
    s.push_str("</svg>");
    Ok(s)
}

/// Usable line width inside the border, mm.
const LINE_W: f32 = 90.0;

fn text(s: &mut String, y: f32, size: f32, weight: &str, content: &str) {
    // Shrink long lines to fit: without embedded fonts the exact advance is
    // unknown, so assume a generous average of 0.62 em per character.
    let chars = content.chars().count().max(1) as f32;
    let size = size.min(LINE_W / (0.62 * chars));
    let _ = write!(
        s,
        r##"<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}" text-anchor="middle" fill="#111">{t}</text>"##,
        x = PAGE_W / 2.0,
        t = xml_escape(content)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q4: &str = "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304AE9F";

    #[test]
    fn masks_account_tail_only() {
        assert_eq!(mask_account("0011012346789"), "•••• 6789");
        assert_eq!(mask_account("123456"), "•••• 456");
        assert_eq!(mask_account("12"), "•••• 2");
        assert_eq!(mask_account("1"), "••••");
        assert_eq!(mask_account(""), "••••");
    }

    #[test]
    fn escapes_xml() {
        assert_eq!(
            xml_escape(r#"<a & "b" 'c'>"#),
            "&lt;a &amp; &quot;b&quot; &apos;c&apos;&gt;"
        );
        assert_eq!(xml_escape("Chợ\u{7}"), "Chợ");
    }

    #[test]
    fn svg_is_self_contained() {
        let svg = to_svg(Q4);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("href") && !svg.contains("url("));
        // Version 4 at level M is 33 modules, plus 2 × 4 quiet zone.
        assert!(svg.contains(r#"viewBox="0 0 41 41""#), "{}", &svg[..120]);
    }

    #[test]
    fn png_has_signature_and_size() {
        let png = to_png(Q4, 4);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        assert_eq!(width, 41 * 4);
        assert!(try_to_png(&"a".repeat(3000), 1).is_err());
    }

    #[test]
    fn stall_sign_is_a6_with_escaped_vietnamese() {
        let info = SignInfo {
            payload: Q4.into(),
            market_name: "Chợ Hạ Long I".into(),
            stall_code: "A-12 <rau>".into(),
            merchant_name: "Đặng Thị Hồng & con".into(),
            bank_short_name: "ACB".into(),
            account: "257678859".into(),
        };
        let svg = stall_sign_svg(&info);
        assert!(svg.contains(r#"width="105mm" height="148mm""#));
        assert!(svg.contains("Chợ Hạ Long I"));
        assert!(svg.contains("Sạp A-12 &lt;rau&gt;"));
        assert!(svg.contains("Đặng Thị Hồng &amp; con"));
        assert!(svg.contains("•••• 8859"));
        assert!(!svg.contains("257678859"));
        assert!(!svg.contains("href") && !svg.contains("@font-face"));
    }

    #[test]
    fn long_names_shrink_to_fit() {
        let mut s = String::new();
        text(&mut s, 10.0, 6.0, "bold", &"Đ".repeat(60));
        let size: f32 = s
            .split("font-size=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(size * 0.62 * 60.0 <= LINE_W + 0.01, "{size}");
    }
}
