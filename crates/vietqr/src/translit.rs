//! Vietnamese → ASCII transliteration for payload text.
//!
//! Bank apps reject or mangle diacritics and libraries disagree on how to
//! count their length (bytes, chars, UTF-16 units), so every text VietQR
//! carries is made ASCII first: canonical decomposition (NFD), combining marks
//! dropped, and `đ`/`Đ` mapped by hand because they are base letters with a
//! stroke, not letters plus a mark, and survive NFD.

use std::borrow::Cow;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Strip Vietnamese diacritics: `"Đặng Thị Hồng"` → `"Dang Thi Hong"`.
///
/// Characters with no ASCII base (e.g. `€`, emoji) are left in place so the
/// caller's character check can name them.
pub fn transliterate(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.nfd()
            .filter(|c| !is_combining_mark(*c))
            .map(|c| match c {
                'đ' => 'd',
                'Đ' | 'Ð' => 'D',
                _ => c,
            })
            .collect(),
    )
}

/// Fold to lower-case ASCII for search: transliterate, then lower-case.
pub fn fold(s: &str) -> String {
    transliterate(s).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_all_vietnamese_marks() {
        assert_eq!(transliterate("Thanh toán hóa đơn"), "Thanh toan hoa don");
        assert_eq!(transliterate("ĐẶNG THỊ HỒNG"), "DANG THI HONG");
        assert_eq!(transliterate("Quảng Ninh, Hạ Long"), "Quang Ninh, Ha Long");
        assert_eq!(transliterate("ưởữựỳỹỵ"), "uouuyyy");
        assert_eq!(transliterate("Chợ Vườn Đào"), "Cho Vuon Dao");
    }

    #[test]
    fn ascii_is_borrowed_and_unknowns_kept() {
        assert!(matches!(transliterate("abc"), Cow::Borrowed(_)));
        assert_eq!(transliterate("5€"), "5€");
        assert_eq!(fold("Ngân Hàng Á Châu"), "ngan hang a chau");
    }
}
