//! Turns a [`Receipt`] into positioned drawing operations on one long page.
//!
//! Coordinates here are PDF points with `y` growing *downwards* from the top
//! of the page; `pdf.rs` flips them once the page height is known.

use qrcode::{Color, EcLevel, QrCode};
use unicode_normalization::UnicodeNormalization;

use crate::font::{Fonts, Style};
use crate::{Error, Receipt, format_dong};

/// 1 mm in PDF points.
pub(crate) const MM: f32 = 72.0 / 25.4;
/// Paper width: 80 mm roll.
pub(crate) const PAGE_WIDTH: f32 = 80.0 * MM;
/// Printable width of an 80-mm thermal head.
pub(crate) const CONTENT_WIDTH: f32 = 72.0 * MM;
const MARGIN_X: f32 = (PAGE_WIDTH - CONTENT_WIDTH) / 2.0;
const MARGIN_Y: f32 = 4.0 * MM;
/// Largest page side PDF readers accept (PDF 1.7 Annex C: 14 400 units).
pub(crate) const MAX_PAGE_HEIGHT: f32 = 14_400.0;

const BODY: f32 = 8.0;
const SELLER: f32 = 9.0;
const TITLE: f32 = 11.0;
const TOTAL: f32 = 10.0;
const LEADING: f32 = 1.3;
const GAP: f32 = 6.0;
/// Target QR symbol side (without quiet zone).
const QR_SIDE: f32 = 30.0 * MM;
/// Smallest module printed (3 dots at 203 dpi); bigger symbols grow instead.
const QR_MIN_MODULE: f32 = 0.375 * MM;
const QR_QUIET: usize = 4;
/// Indent of an item's `quantity × price` line under its name.
const ITEM_INDENT: f32 = 3.0 * MM;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// Text with its baseline at `y`.
    Text {
        style: Style,
        size: f32,
        x: f32,
        y: f32,
        text: String,
    },
    /// Filled black rectangle, top-left corner at (`x`, `y`).
    Rect { x: f32, y: f32, w: f32, h: f32 },
    /// Horizontal dashed rule across the printable width.
    Rule { y: f32 },
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Center,
    Right,
}

/// NFC, with control and other whitespace characters turned into spaces.
pub(crate) fn clean(text: &str) -> String {
    text.nfc()
        .map(|c| {
            if c.is_control() || c.is_whitespace() {
                ' '
            } else {
                c
            }
        })
        .collect()
}

pub(crate) struct Layout<'f> {
    fonts: &'f Fonts,
    pub(crate) ops: Vec<Op>,
    /// Current top of the next line.
    pub(crate) y: f32,
    /// Extra left indent for left-aligned lines.
    indent: f32,
}

impl<'f> Layout<'f> {
    pub(crate) fn new(fonts: &'f Fonts) -> Self {
        Layout {
            fonts,
            ops: Vec::new(),
            y: MARGIN_Y,
            indent: 0.0,
        }
    }

    fn width(&self, style: Style, size: f32, text: &str) -> f32 {
        self.fonts.get(style).width(text, size)
    }

    /// Greedy word wrap to `max` points using real advance widths. `\n`
    /// forces a break; a word wider than `max` is broken between characters.
    pub(crate) fn wrap(&self, style: Style, size: f32, text: &str, max: f32) -> Vec<String> {
        let font = self.fonts.get(style);
        let space = font.char_width(' ', size);
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let para = clean(para);
            let mut line = String::new();
            let mut line_w = 0.0f32;
            let mut words = para.split(' ').filter(|w| !w.is_empty()).peekable();
            if words.peek().is_none() {
                lines.push(String::new());
                continue;
            }
            for word in words {
                let word_w = font.width(word, size);
                if !line.is_empty() && line_w + space + word_w <= max {
                    line.push(' ');
                    line.push_str(word);
                    line_w += space + word_w;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                }
                if word_w <= max {
                    line.push_str(word);
                    line_w = word_w;
                    continue;
                }
                for c in word.chars() {
                    let cw = font.char_width(c, size);
                    if !line.is_empty() && line_w + cw > max {
                        lines.push(std::mem::take(&mut line));
                        line_w = 0.0;
                    }
                    line.push(c);
                    line_w += cw;
                }
            }
            if !line.is_empty() {
                lines.push(line);
            }
        }
        lines
    }

    fn line_height(size: f32) -> f32 {
        size * LEADING
    }

    /// Places one already-wrapped line and advances `y`.
    fn put(&mut self, style: Style, size: f32, text: String, align: Align) {
        let h = Self::line_height(size);
        if !text.is_empty() {
            let w = self.width(style, size, &text);
            let x = match align {
                Align::Left => MARGIN_X + self.indent,
                Align::Center => MARGIN_X + (CONTENT_WIDTH - w).max(0.0) / 2.0,
                Align::Right => MARGIN_X + (CONTENT_WIDTH - w).max(0.0),
            };
            // Baseline sits ~ascender below the line top.
            let y = self.y + size * 0.95;
            self.ops.push(Op::Text {
                style,
                size,
                x,
                y,
                text,
            });
        }
        self.y += h;
    }

    fn paragraph(&mut self, style: Style, size: f32, text: &str, align: Align) {
        for line in self.wrap(style, size, text, CONTENT_WIDTH) {
            self.put(style, size, line, align);
        }
    }

    /// `left` flush left, `right` flush right on the same line; `left` wraps in
    /// the room `right` leaves. If `right` is too wide to share a line it goes
    /// on its own line(s) below `left`, right-aligned.
    fn pair(&mut self, style: Style, size: f32, left: &str, right: &str) {
        let right_lines = self.wrap(style, size, right, CONTENT_WIDTH);
        let right_w = right_lines
            .iter()
            .map(|l| self.width(style, size, l))
            .fold(0.0f32, f32::max);
        let gutter = size;
        let room = CONTENT_WIDTH - self.indent - right_w - gutter;
        if right_lines.len() == 1 && room >= CONTENT_WIDTH * 0.35 {
            let left_lines = self.wrap(style, size, left, room);
            let top = self.y;
            let right_text = right_lines.into_iter().next().unwrap_or_default();
            self.put(style, size, right_text, Align::Right);
            self.y = top;
            for line in left_lines {
                self.put(style, size, line, Align::Left);
            }
        } else {
            self.paragraph(style, size, left, Align::Left);
            for line in right_lines {
                self.put(style, size, line, Align::Right);
            }
        }
    }

    fn rule(&mut self) {
        self.y += GAP / 2.0;
        self.ops.push(Op::Rule { y: self.y });
        self.y += GAP / 2.0;
    }

    fn qr(&mut self, payload: &str) -> Result<(), Error> {
        let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
            .map_err(|_| Error::QrPayloadTooLong(payload.len()))?;
        let n = code.width();
        let colors = code.to_colors();
        let total = n + 2 * QR_QUIET;
        let max_module = CONTENT_WIDTH / total as f32;
        let module = (QR_SIDE / n as f32).max(QR_MIN_MODULE).min(max_module);
        let side = module * n as f32;
        let x0 = MARGIN_X + (CONTENT_WIDTH - side) / 2.0;
        self.y += module * QR_QUIET as f32;
        let y0 = self.y;
        for row in 0..n {
            // One rectangle per horizontal run of dark modules.
            let mut col = 0;
            while col < n {
                if colors.get(row * n + col) == Some(&Color::Dark) {
                    let start = col;
                    while col < n && colors.get(row * n + col) == Some(&Color::Dark) {
                        col += 1;
                    }
                    self.ops.push(Op::Rect {
                        x: x0 + start as f32 * module,
                        y: y0 + row as f32 * module,
                        w: (col - start) as f32 * module,
                        h: module,
                    });
                } else {
                    col += 1;
                }
            }
        }
        self.y += side + module * QR_QUIET as f32;
        Ok(())
    }

    /// Lays out the whole receipt.
    pub(crate) fn receipt(&mut self, r: &Receipt) -> Result<(), Error> {
        for (i, line) in r.header_lines.iter().enumerate() {
            if i == 0 {
                self.paragraph(Style::Bold, SELLER, line, Align::Center);
            } else {
                self.paragraph(Style::Regular, BODY, line, Align::Center);
            }
        }
        if !r.header_lines.is_empty() {
            self.rule();
        }
        self.paragraph(Style::Bold, TITLE, &r.title, Align::Center);
        self.y += GAP / 2.0;
        for (label, value) in &r.meta_lines {
            self.pair(Style::Regular, BODY, label, value);
        }
        self.rule();
        for item in &r.items {
            self.paragraph(Style::Regular, BODY, &item.name, Align::Left);
            let detail = if item.quantity.trim().is_empty() {
                format_dong(item.unit_price)
            } else {
                format!("{} × {}", item.quantity, format_dong(item.unit_price))
            };
            self.indent = ITEM_INDENT;
            self.pair(Style::Regular, BODY, &detail, &format_dong(item.amount));
            self.indent = 0.0;
        }
        self.rule();
        for (label, amount) in &r.summary {
            self.pair(Style::Regular, BODY, label, &format_dong(*amount));
        }
        self.y += GAP / 3.0;
        self.pair(Style::Bold, TOTAL, &r.total.0, &format_dong(r.total.1));
        if !r.amount_in_words.is_empty() {
            self.y += GAP / 3.0;
            self.paragraph(Style::Regular, BODY, &r.amount_in_words, Align::Left);
        }
        self.rule();
        if let Some(payload) = &r.qr_payload {
            self.qr(payload)?;
        }
        if !r.code.is_empty() {
            self.paragraph(Style::Bold, BODY, &r.code, Align::Center);
            self.y += GAP / 2.0;
        }
        for line in &r.footer_lines {
            self.paragraph(Style::Regular, BODY, line, Align::Center);
        }
        self.y += MARGIN_Y;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> Fonts {
        Fonts::new().unwrap()
    }

    #[test]
    fn clean_is_nfc_and_strips_controls() {
        // "ắ" decomposed: a + combining breve + combining acute.
        assert_eq!(clean("a\u{306}\u{301}\tb\r"), "ắ b ");
    }

    #[test]
    fn wrap_respects_width_and_keeps_words() {
        let f = fonts();
        let l = Layout::new(&f);
        let text = "Bánh mì thịt nướng đặc biệt kèm trứng ốp la và dưa chuột muối chua ngọt";
        let lines = l.wrap(Style::Regular, BODY, text, CONTENT_WIDTH);
        assert!(lines.len() >= 2, "{lines:?}");
        for line in &lines {
            assert!(l.width(Style::Regular, BODY, line) <= CONTENT_WIDTH + 1e-3);
        }
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn wrap_breaks_overlong_word() {
        let f = fonts();
        let l = Layout::new(&f);
        let word = "Ữ".repeat(200);
        let lines = l.wrap(Style::Bold, TITLE, &word, CONTENT_WIDTH);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), word);
        for line in &lines {
            assert!(l.width(Style::Bold, TITLE, line) <= CONTENT_WIDTH + 1e-3);
        }
    }

    #[test]
    fn wrap_newlines_and_empty() {
        let f = fonts();
        let l = Layout::new(&f);
        assert_eq!(l.wrap(Style::Regular, BODY, "", 100.0), vec![String::new()]);
        assert_eq!(l.wrap(Style::Regular, BODY, "a\nb", 100.0), vec!["a", "b"]);
        // Zero width never loops forever: one char per line.
        assert_eq!(l.wrap(Style::Regular, BODY, "abc", 0.0).len(), 3);
    }

    #[test]
    fn amounts_are_right_aligned() {
        let f = fonts();
        let mut l = Layout::new(&f);
        l.pair(Style::Regular, BODY, "Cộng tiền hàng", "35.000");
        let right = l
            .ops
            .iter()
            .find_map(|op| match op {
                Op::Text { x, text, .. } if text == "35.000" => Some(*x),
                _ => None,
            })
            .unwrap();
        let w = l.width(Style::Regular, BODY, "35.000");
        assert!((right + w - (MARGIN_X + CONTENT_WIDTH)).abs() < 1e-3);
    }

    #[test]
    fn qr_is_about_30mm_and_centred() {
        let f = fonts();
        let mut l = Layout::new(&f);
        l.qr("https://hoadon.example.vn/tra-cuu?ma=M1-26-AB12C-00000000042")
            .unwrap();
        let (mut min_x, mut max_x) = (f32::MAX, f32::MIN);
        for op in &l.ops {
            if let Op::Rect { x, w, .. } = op {
                min_x = min_x.min(*x);
                max_x = max_x.max(x + w);
            }
        }
        let side_mm = (max_x - min_x) / MM;
        assert!((29.0..=30.5).contains(&side_mm), "{side_mm} mm");
        let centre = (min_x + max_x) / 2.0;
        assert!((centre - PAGE_WIDTH / 2.0).abs() < 0.5);
    }

    #[test]
    fn qr_too_long_is_an_error() {
        let f = fonts();
        let mut l = Layout::new(&f);
        let err = l.qr(&"x".repeat(5000)).unwrap_err();
        assert!(matches!(err, Error::QrPayloadTooLong(5000)));
    }
}
