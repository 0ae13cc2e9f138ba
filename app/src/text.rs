//! Vietnamese text: NFC normalisation for storage, and diacritic-free folding for search.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// NFC form with surrounding whitespace trimmed and inner runs of whitespace collapsed:
/// how every name is stored, so that equal-looking names compare equal.
pub fn clean(s: &str) -> String {
    let nfc: String = s.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lower-case ASCII-ish key for diacritic-insensitive search: "Chợ Hạ Long" → "cho ha long".
/// đ/Đ are letters of their own (no combining mark) and are mapped explicitly.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Builds a search key from several fields.
pub fn search_key(parts: &[&str]) -> String {
    let joined = parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    fold(&joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Chợ Hạ Long 1"), "cho ha long 1");
        assert_eq!(fold("ĐẦM HÀ"), "dam ha");
        assert_eq!(fold("Quảng  Yên"), "quang yen");
        // Decomposed input folds the same as composed input.
        let nfd: String = "Cẩm Phả".nfd().collect();
        assert_eq!(fold(&nfd), fold("Cẩm Phả"));
    }

    #[test]
    fn clean_makes_nfc() {
        let nfd: String = " Bãi   Cháy ".nfd().collect();
        assert_eq!(clean(&nfd), "Bãi Cháy");
        assert_eq!(clean(&nfd).len(), "Bãi Cháy".len());
    }
}
