//! End-to-end checks with poppler (`pdftotext`, `pdftoppm`, `pdffonts`).
//! Those tests print a notice and pass when poppler-utils is not installed;
//! CI must install it (`apt-get install -y poppler-utils`).

mod common;

use std::path::PathBuf;
use std::process::Command;

use proptest::prelude::*;
use receiptpdf::{Error, Item, Receipt, format_dong, render};

fn out_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("receiptpdf")
}

fn write_pdf(name: &str, pdf: &[u8]) -> PathBuf {
    let dir = out_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, pdf).unwrap();
    path
}

/// Runs a poppler (or zbar) tool; `None` (with a notice) when it is not installed.
fn poppler(tool: &str, args: &[&str]) -> Option<std::process::Output> {
    match Command::new(tool).args(args).output() {
        Ok(out) => Some(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("SKIPPED: `{tool}` not found; install poppler-utils to run this test");
            None
        }
        Err(e) => panic!("running {tool}: {e}"),
    }
}

#[test]
fn text_extracts_with_diacritics() {
    let r = common::sample(10);
    let path = write_pdf("text.pdf", &render(&r).unwrap());
    let Some(out) = poppler("pdftotext", &["-enc", "UTF-8", path.to_str().unwrap(), "-"]) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "pdftotext: {stderr}"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // Lines wrap on the 72-mm width: compare with whitespace collapsed.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "HÓA ĐƠN GIÁ TRỊ GIA TĂNG",
        "CÔNG TY TNHH ẨM THỰC HẠ LONG XANH",
        "Cà phê sữa đá",
        "Phở bò tái chín",
        "Nguyễn Thị Ngọc Ánh",
        "Thuế GTGT 8%",
        "Tổng cộng thanh toán",
        &format_dong(r.total.1),
        "Bằng chữ: Năm trăm năm mươi nghìn tám trăm đồng",
        "Bánh mì thịt nướng đặc biệt kèm trứng ốp la, pa-tê gan và dưa chuột muối chua ngọt",
        "M1-26-AB12C-00000000042",
        "Cảm ơn quý khách! Hẹn gặp lại.",
    ] {
        assert!(flat.contains(needle), "{needle:?} not in:\n{text}");
    }
}

#[test]
fn fonts_are_embedded_subsets() {
    let path = write_pdf("fonts.pdf", &render(&common::sample(10)).unwrap());
    let Some(out) = poppler("pdffonts", &[path.to_str().unwrap()]) else {
        return;
    };
    let listing = String::from_utf8_lossy(&out.stdout);
    // name / type / encoding / emb / sub / uni
    let rows: Vec<&str> = listing.lines().skip(2).collect();
    assert_eq!(rows.len(), 2, "{listing}");
    for row in rows {
        assert!(row.contains("+DejaVuSans"), "{row}");
        assert!(row.contains("CID TrueType"), "{row}");
        assert!(row.contains("Identity-H"), "{row}");
        assert!(
            row.contains("yes yes yes"),
            "embedded, subset, ToUnicode: {row}"
        );
    }
}

#[test]
fn rasterises_to_png() {
    let path = write_pdf("receipt.pdf", &render(&common::sample(10)).unwrap());
    let prefix = out_dir().join("receipt");
    // 203 dpi: the usual thermal head (8 dots/mm).
    let Some(out) = poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "203",
            "-singlefile",
            path.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    ) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "pdftoppm: {stderr}"
    );
    let png = std::fs::read(prefix.with_extension("png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    // 80 mm at 203 dpi = 639 or 640 px wide.
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    assert!((638..=641).contains(&width), "width {width}");
    let png_path = prefix.with_extension("png");
    eprintln!("PNG written to {}", png_path.display());
    // Optional: the QR must decode back to the payload (zbar-tools).
    if let Some(out) = poppler("zbarimg", &["-q", "--raw", png_path.to_str().unwrap()]) {
        let decoded = String::from_utf8_lossy(&out.stdout);
        let payload = common::sample(10).qr_payload.unwrap();
        assert_eq!(decoded.trim_end(), payload);
    }
}

#[test]
fn odd_input_still_gives_a_valid_pdf() {
    let mut r = common::sample(3);
    r.title = "Tie\u{0302}\u{0300}n 💸 שלום \u{0}\u{7}\r\n(xuống dòng) \\ ) (".into();
    r.items[0].name = "Ữ".repeat(300);
    r.items[1].quantity = "1,5 kg rất rất rất rất rất rất rất rất rất rất dài".into();
    r.meta_lines.push((
        "Địa chỉ".into(),
        "Tổ 5, khu 3, phường Bãi Cháy, thành phố Hạ Long, tỉnh Quảng Ninh, Việt Nam".into(),
    ));
    r.summary.push(("Chiết khấu".into(), -5_000));
    let path = write_pdf("odd.pdf", &render(&r).unwrap());
    let Some(out) = poppler("pdftotext", &["-enc", "UTF-8", path.to_str().unwrap(), "-"]) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "pdftotext: {stderr}"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // NFD input comes out NFC.
    assert!(flat.contains("Tiền"), "{flat}");
    assert!(flat.contains("-5.000"), "{flat}");
    assert!(
        flat.contains("thành phố Hạ Long, tỉnh Quảng Ninh"),
        "{flat}"
    );
    let prefix = out_dir().join("odd");
    if let Some(out) = poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "203",
            "-singlefile",
            path.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    ) {
        assert!(out.status.success());
    }
}

#[test]
fn ten_line_receipt_is_small() {
    for n in [1, 100] {
        let len = render(&common::sample(n)).unwrap().len();
        eprintln!("{n}-line receipt: {len} bytes");
    }
    let pdf = render(&common::sample(10)).unwrap();
    eprintln!("10-line receipt: {} bytes", pdf.len());
    assert!(pdf.len() < 60_000, "{} bytes", pdf.len());
}

#[test]
fn page_grows_with_content() {
    let height = |n| {
        let pdf = render(&common::sample(n)).unwrap();
        let s = String::from_utf8_lossy(&pdf).into_owned();
        let i = s.find("/MediaBox [").unwrap() + "/MediaBox [".len();
        let nums: Vec<f32> = s[i..]
            .split(']')
            .next()
            .unwrap()
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        nums[3]
    };
    let (h1, h10, h40) = (height(1), height(10), height(40));
    assert!(h1 < h10 && h10 < h40, "{h1} {h10} {h40}");
}

#[test]
fn qr_too_long_is_typed_error() {
    let mut r = common::sample(1);
    r.qr_payload = Some("x".repeat(3000));
    assert!(matches!(render(&r), Err(Error::QrPayloadTooLong(3000))));
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Zà-ỹÀ-Ỹ0-9 \\n\\t]{0,120}",
        Just(String::new()),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    (text(), text(), any::<i64>(), any::<i64>()).prop_map(|(name, quantity, unit_price, amount)| {
        Item {
            name,
            quantity,
            unit_price,
            amount,
        }
    })
}

prop_compose! {
    fn receipt()(
        title in text(),
        header_lines in prop::collection::vec(text(), 0..4),
        meta_lines in prop::collection::vec((text(), text()), 0..5),
        items in prop::collection::vec(item(), 0..12),
        summary in prop::collection::vec((text(), any::<i64>()), 0..4),
        total in (text(), any::<i64>()),
        amount_in_words in text(),
        footer_lines in prop::collection::vec(text(), 0..3),
        code in text(),
        qr_payload in prop::option::of(prop_oneof![text(), "[ -~]{0,3000}"]),
    ) -> Receipt {
        Receipt { title, header_lines, meta_lines, items, summary, total, amount_in_words, footer_lines, code, qr_payload }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn never_panics(r in receipt()) {
        match render(&r) {
            Ok(pdf) => prop_assert!(pdf.starts_with(b"%PDF-")),
            Err(Error::QrPayloadTooLong(n)) => {
                prop_assert_eq!(Some(n), r.qr_payload.as_ref().map(String::len));
            }
            Err(Error::TooLong { height_mm }) => prop_assert!(height_mm > 5000),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}
