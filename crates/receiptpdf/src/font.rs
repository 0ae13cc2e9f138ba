//! Embedded DejaVu Sans faces: measuring, glyph tracking, subsetting.

use std::collections::BTreeMap;

use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

use crate::Error;

static REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// Which of the two embedded faces a run of text uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Regular,
    Bold,
}

/// One embedded face plus the glyphs a document has used so far.
pub(crate) struct Font {
    pub(crate) data: &'static [u8],
    pub(crate) base_name: &'static str,
    pub(crate) face: Face<'static>,
    upem: f32,
    /// Original glyph id → subset glyph id (= CID, Identity mapping).
    remapper: GlyphRemapper,
    /// Subset glyph id → the character it was first used for (ToUnicode).
    unicode: BTreeMap<u16, char>,
}

impl Font {
    fn load(data: &'static [u8], base_name: &'static str) -> Result<Font, Error> {
        let face = Face::parse(data, 0).map_err(|_| Error::Font("embedded font unreadable"))?;
        let upem = f32::from(face.units_per_em().max(1));
        Ok(Font {
            data,
            base_name,
            face,
            upem,
            remapper: GlyphRemapper::new(),
            unicode: BTreeMap::new(),
        })
    }

    pub(crate) fn regular() -> Result<Font, Error> {
        Font::load(REGULAR_TTF, "DejaVuSans")
    }

    pub(crate) fn bold() -> Result<Font, Error> {
        Font::load(BOLD_TTF, "DejaVuSans-Bold")
    }

    fn glyph(&self, c: char) -> GlyphId {
        self.face.glyph_index(c).unwrap_or(GlyphId(0))
    }

    /// Advance of `gid` in font units.
    fn advance_units(&self, gid: GlyphId) -> f32 {
        f32::from(self.face.glyph_hor_advance(gid).unwrap_or(0))
    }

    /// Advance width of `c` at `size` points, from the `hmtx` table.
    pub(crate) fn char_width(&self, c: char, size: f32) -> f32 {
        self.advance_units(self.glyph(c)) * size / self.upem
    }

    /// Width of `text` at `size` points (no kerning: DejaVu's Vietnamese is
    /// precomposed, so one char = one glyph after NFC).
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.char_width(c, size)).sum()
    }

    /// Font-unit metric scaled to PDF glyph space (1000/em).
    pub(crate) fn to_pdf_units(&self, v: f32) -> f32 {
        v * 1000.0 / self.upem
    }

    /// Encodes `text` as big-endian 2-byte CIDs (Identity-H), recording every
    /// glyph for the subset and the ToUnicode map.
    pub(crate) fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let gid = self.glyph(c);
            let cid = self.remapper.remap(gid.0);
            if gid.0 != 0 {
                self.unicode.entry(cid).or_insert(c);
            }
            out.extend_from_slice(&cid.to_be_bytes());
        }
        out
    }

    /// True once any glyph besides `.notdef` has been encoded.
    pub(crate) fn used(&self) -> bool {
        self.remapper.num_gids() > 1
    }

    /// Widths of subset glyphs 0..n in PDF glyph space, in CID order.
    pub(crate) fn subset_widths(&self) -> Vec<f32> {
        self.remapper
            .remapped_gids()
            .map(|g| self.to_pdf_units(self.advance_units(GlyphId(g))))
            .collect()
    }

    pub(crate) fn unicode_pairs(&self) -> impl Iterator<Item = (u16, char)> + '_ {
        self.unicode.iter().map(|(g, c)| (*g, *c))
    }

    /// The TrueType subset holding only the encoded glyphs.
    pub(crate) fn subset(&self) -> Result<Vec<u8>, Error> {
        subsetter::subset(self.data, 0, &self.remapper).map_err(|e| Error::Subset(e.to_string()))
    }

    /// `ABCDEF+Name`: six capital letters derived from the glyph set, as PDF
    /// requires for subset fonts. Deterministic, so output is reproducible.
    pub(crate) fn subset_name(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for g in self.remapper.remapped_gids() {
            for b in g.to_be_bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        let mut tag = String::with_capacity(7 + self.base_name.len());
        for _ in 0..6 {
            tag.push(char::from(b'A' + (h % 26) as u8));
            h /= 26;
        }
        tag.push('+');
        tag.push_str(self.base_name);
        tag
    }
}

/// Both faces of one document.
pub(crate) struct Fonts {
    pub(crate) regular: Font,
    pub(crate) bold: Font,
}

impl Fonts {
    pub(crate) fn new() -> Result<Fonts, Error> {
        Ok(Fonts {
            regular: Font::regular()?,
            bold: Font::bold()?,
        })
    }

    pub(crate) fn get(&self, style: Style) -> &Font {
        match style {
            Style::Regular => &self.regular,
            Style::Bold => &self.bold,
        }
    }

    pub(crate) fn get_mut(&mut self, style: Style) -> &mut Font {
        match style {
            Style::Regular => &mut self.regular,
            Style::Bold => &mut self.bold,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_glyphs_present_in_both_faces() {
        let fonts = Fonts::new().unwrap();
        for f in [&fonts.regular, &fonts.bold] {
            for c in "ắặổữđĐƯươỹẠảẫệịọụỳ₫×".chars() {
                assert_ne!(f.glyph(c).0, 0, "{} lacks {c}", f.base_name);
            }
        }
    }

    #[test]
    fn widths_come_from_hmtx() {
        let f = Font::regular().unwrap();
        // DejaVu Sans: 'i' is much narrower than 'W'.
        assert!(f.width("i", 10.0) < f.width("W", 10.0) / 2.0);
        assert!(
            (f.width("ab", 8.0) - f.char_width('a', 8.0) - f.char_width('b', 8.0)).abs() < 1e-4
        );
    }

    #[test]
    fn encode_tracks_glyphs_and_unicode() {
        let mut f = Font::regular().unwrap();
        assert!(!f.used());
        let bytes = f.encode("ắa ắ");
        assert_eq!(bytes.len(), 8);
        assert_eq!(&bytes[0..2], &bytes[6..8]);
        assert!(f.used());
        let pairs: Vec<_> = f.unicode_pairs().collect();
        assert_eq!(pairs, vec![(1, 'ắ'), (2, 'a'), (3, ' ')]);
        assert_eq!(f.subset_widths().len(), 4);
        let sub = f.subset().unwrap();
        assert!(sub.len() < 20_000, "subset {} bytes", sub.len());
        assert!(f.subset_name().ends_with("+DejaVuSans"));
    }
}
