//! Amounts in Vietnamese words (`TgTTTBChu`).
//!
//! Rules (reference §10): `mười` for 10, `X mươi` for 20–90; after tens ≥ 2 a final 1 is
//! `mốt`, after any non-zero tens a final 5 is `lăm`, after tens ≥ 2 a final 4 is `tư`
//! (configurable); a zero tens digit inside a hundred is `linh` (or `lẻ`); a non-leading
//! group with zero hundreds says `không trăm`; an all-zero group is skipped; scales are
//! `nghìn`, `triệu`, `tỷ`, and above a billion the count of billions is itself spelled
//! recursively (`một nghìn tỷ`, `một tỷ tỷ`).

const DIGITS: [&str; 10] = [
    "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
];

const BILLION: u64 = 1_000_000_000;

/// Regional/vendor variants of the spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordsStyle {
    /// Say `tư` (true) or `bốn` (false) for a final 4 after tens ≥ 2 (`ba mươi tư`).
    pub four_as_tu: bool,
    /// Say `lẻ` (southern) instead of `linh` for a zero tens digit.
    pub zero_tens_le: bool,
    /// Word put before a negative amount (adjustment invoices).
    pub negative_word: &'static str,
}

impl Default for WordsStyle {
    fn default() -> Self {
        WordsStyle {
            four_as_tu: true,
            zero_tens_le: false,
            negative_word: "âm",
        }
    }
}

/// Spell an amount of đồng in Vietnamese, sentence case, ending in `đồng`.
///
/// `amount_in_words(31_030) == "Ba mươi mốt nghìn không trăm ba mươi đồng"`.
pub fn amount_in_words(amount: i64) -> String {
    amount_in_words_with(amount, &WordsStyle::default())
}

/// [`amount_in_words`] with an explicit [`WordsStyle`].
pub fn amount_in_words_with(amount: i64, style: &WordsStyle) -> String {
    let mut words: Vec<&'static str> = Vec::new();
    if amount < 0 {
        words.push(style.negative_word);
    }
    number_words(amount.unsigned_abs(), style, &mut words);
    words.push("đồng");
    let text = words.join(" ");
    capitalize_first(&text)
}

/// Spell a non-negative integer (no currency word, lower case).
pub fn number_in_words(n: u64) -> String {
    let mut words = Vec::new();
    number_words(n, &WordsStyle::default(), &mut words);
    words.join(" ")
}

fn number_words(n: u64, style: &WordsStyle, out: &mut Vec<&'static str>) {
    if n == 0 {
        out.push("không");
        return;
    }
    spell(n, true, style, out);
}

fn spell(n: u64, leading: bool, style: &WordsStyle, out: &mut Vec<&'static str>) {
    if n >= BILLION {
        spell(n / BILLION, leading, style, out);
        out.push("tỷ");
        let rest = n % BILLION;
        if rest > 0 {
            spell_below_billion(rest, false, style, out);
        }
    } else {
        spell_below_billion(n, leading, style, out);
    }
}

fn spell_below_billion(n: u64, leading: bool, style: &WordsStyle, out: &mut Vec<&'static str>) {
    let groups = [
        (n / 1_000_000, "triệu"),
        ((n / 1_000) % 1_000, "nghìn"),
        (n % 1_000, ""),
    ];
    let mut first = leading;
    for (g, scale) in groups {
        if g == 0 {
            continue;
        }
        triple(g, !first, style, out);
        if !scale.is_empty() {
            out.push(scale);
        }
        first = false;
    }
}

/// Read 1..=999; `full` forces the hundreds (`không trăm`) and `linh` forms.
fn triple(g: u64, full: bool, style: &WordsStyle, out: &mut Vec<&'static str>) {
    let h = (g / 100) as usize;
    let t = ((g / 10) % 10) as usize;
    let u = (g % 10) as usize;
    let has_hundreds = full || h > 0;
    if has_hundreds {
        out.push(DIGITS[h]);
        out.push("trăm");
    }
    match t {
        0 => {
            if u != 0 {
                if has_hundreds {
                    out.push(if style.zero_tens_le { "lẻ" } else { "linh" });
                }
                out.push(DIGITS[u]);
            }
        }
        1 => {
            out.push("mười");
            match u {
                0 => {}
                5 => out.push("lăm"),
                _ => out.push(DIGITS[u]),
            }
        }
        _ => {
            out.push(DIGITS[t]);
            out.push("mươi");
            match u {
                0 => {}
                1 => out.push("mốt"),
                4 if style.four_as_tu => out.push("tư"),
                5 => out.push("lăm"),
                _ => out.push(DIGITS[u]),
            }
        }
    }
}

fn capitalize_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_vectors() {
        assert_eq!(
            number_in_words(308_250_705),
            "ba trăm linh tám triệu hai trăm năm mươi nghìn bảy trăm linh năm"
        );
        assert_eq!(
            number_in_words(834_291_712),
            "tám trăm ba mươi tư triệu hai trăm chín mươi mốt nghìn bảy trăm mười hai"
        );
        assert_eq!(
            number_in_words(500_209_037),
            "năm trăm triệu hai trăm linh chín nghìn không trăm ba mươi bảy"
        );
        assert_eq!(
            amount_in_words(31_030),
            "Ba mươi mốt nghìn không trăm ba mươi đồng"
        );
        assert_eq!(amount_in_words(0), "Không đồng");
    }

    #[test]
    fn observed_invoice_style_bon() {
        let style = WordsStyle {
            four_as_tu: false,
            ..WordsStyle::default()
        };
        assert_eq!(
            amount_in_words_with(1_284_000, &style),
            "Một triệu hai trăm tám mươi bốn nghìn đồng"
        );
        assert_eq!(
            amount_in_words(1_284_000),
            "Một triệu hai trăm tám mươi tư nghìn đồng"
        );
    }

    #[test]
    fn small_numbers() {
        let cases = [
            (1, "một"),
            (5, "năm"),
            (10, "mười"),
            (11, "mười một"),
            (14, "mười bốn"),
            (15, "mười lăm"),
            (20, "hai mươi"),
            (21, "hai mươi mốt"),
            (24, "hai mươi tư"),
            (25, "hai mươi lăm"),
            (100, "một trăm"),
            (101, "một trăm linh một"),
            (105, "một trăm linh năm"),
            (110, "một trăm mười"),
            (115, "một trăm mười lăm"),
            (1_000, "một nghìn"),
            (1_001, "một nghìn không trăm linh một"),
            (1_010, "một nghìn không trăm mười"),
            (1_000_000, "một triệu"),
            (2_000_005, "hai triệu không trăm linh năm"),
            (2_000_500, "hai triệu năm trăm"),
            (2_005_000, "hai triệu không trăm linh năm nghìn"),
        ];
        for (n, w) in cases {
            assert_eq!(number_in_words(n), w, "{n}");
        }
    }

    #[test]
    fn above_one_billion() {
        assert_eq!(number_in_words(1_000_000_000), "một tỷ");
        assert_eq!(number_in_words(1_000_000_005), "một tỷ không trăm linh năm");
        assert_eq!(number_in_words(2_500_000_000), "hai tỷ năm trăm triệu");
        assert_eq!(
            number_in_words(1_234_000_000_000),
            "một nghìn hai trăm ba mươi tư tỷ"
        );
        assert_eq!(
            number_in_words(15_000_021_000),
            "mười lăm tỷ không trăm hai mươi mốt nghìn"
        );
        assert_eq!(number_in_words(1_000_000_000_000_000_000), "một tỷ tỷ");
        assert_eq!(
            amount_in_words(3_105_000_000),
            "Ba tỷ một trăm linh năm triệu đồng"
        );
    }

    #[test]
    fn negative_and_extremes() {
        assert_eq!(amount_in_words(-15_000), "Âm mười lăm nghìn đồng");
        let s = amount_in_words(i64::MIN);
        assert!(
            s.starts_with("Âm chín tỷ hai trăm hai mươi ba triệu"),
            "{s}"
        );
        assert!(
            s.ends_with(
                "tỷ tám trăm năm mươi tư triệu bảy trăm bảy mươi lăm nghìn tám trăm linh tám đồng"
            ),
            "{s}"
        );
        let s = amount_in_words(i64::MAX);
        assert!(s.starts_with("Chín tỷ hai trăm hai mươi ba triệu"), "{s}");
    }

    #[test]
    fn southern_le() {
        let style = WordsStyle {
            zero_tens_le: true,
            ..WordsStyle::default()
        };
        assert_eq!(amount_in_words_with(105, &style), "Một trăm lẻ năm đồng");
    }
}
