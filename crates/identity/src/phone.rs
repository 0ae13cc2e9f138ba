//! Vietnamese mobile phone numbers and masking of identifiers for logs and UI.
//!
//! Since the 2018 conversion of 11-digit numbers every Vietnamese mobile number is `0` + 9 digits
//! nationally, `+84` + 9 digits internationally. The carrier is given by the first three national
//! digits:
//!
//! | Carrier | Prefixes |
//! |---|---|
//! | Viettel | 032–039, 086, 096, 097, 098 |
//! | Vinaphone | 081–085, 088, 091, 094 |
//! | MobiFone | 070, 076–079, 089, 090, 093 |
//! | Vietnamobile | 052, 056, 058, 092 |
//! | Gmobile / Wintel | 059, 099 |
//! | Itelecom | 087 |
//! | Reddi | 055 |
//!
//! Numbers keep their prefix when a subscriber ports to another network, so [`Phone::carrier`] is
//! the *original* carrier of the range, good enough for display and routing hints only.
//!
//! ```
//! use identity::phone::{Carrier, Phone, mask};
//! let p = Phone::parse("+84 912 345 678").unwrap();
//! assert_eq!(p.as_e164(), "+84912345678");
//! assert_eq!(p.as_national(), "0912345678");
//! assert_eq!(p.carrier(), Carrier::Vinaphone);
//! assert_eq!(mask("022095001245"), "022*******45");
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Original network operator of a mobile number range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Carrier {
    Viettel,
    Vinaphone,
    MobiFone,
    Vietnamobile,
    /// Gtel Mobile, branded Gmobile and later Wintel.
    Gmobile,
    Itelecom,
    Reddi,
}

impl Carrier {
    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Viettel => "Viettel",
            Self::Vinaphone => "Vinaphone",
            Self::MobiFone => "MobiFone",
            Self::Vietnamobile => "Vietnamobile",
            Self::Gmobile => "Gmobile/Wintel",
            Self::Itelecom => "Itelecom",
            Self::Reddi => "Reddi",
        }
    }

    /// Carrier of a 3-digit national prefix such as `"091"`.
    pub fn from_prefix(prefix: &str) -> Option<Carrier> {
        PREFIXES
            .iter()
            .find(|(p, _)| *p == prefix)
            .map(|&(_, carrier)| carrier)
    }
}

impl fmt::Display for Carrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Current 3-digit national mobile prefixes and their carriers.
pub const PREFIXES: &[(&str, Carrier)] = &[
    ("032", Carrier::Viettel),
    ("033", Carrier::Viettel),
    ("034", Carrier::Viettel),
    ("035", Carrier::Viettel),
    ("036", Carrier::Viettel),
    ("037", Carrier::Viettel),
    ("038", Carrier::Viettel),
    ("039", Carrier::Viettel),
    ("052", Carrier::Vietnamobile),
    ("055", Carrier::Reddi),
    ("056", Carrier::Vietnamobile),
    ("058", Carrier::Vietnamobile),
    ("059", Carrier::Gmobile),
    ("070", Carrier::MobiFone),
    ("076", Carrier::MobiFone),
    ("077", Carrier::MobiFone),
    ("078", Carrier::MobiFone),
    ("079", Carrier::MobiFone),
    ("081", Carrier::Vinaphone),
    ("082", Carrier::Vinaphone),
    ("083", Carrier::Vinaphone),
    ("084", Carrier::Vinaphone),
    ("085", Carrier::Vinaphone),
    ("086", Carrier::Viettel),
    ("087", Carrier::Itelecom),
    ("088", Carrier::Vinaphone),
    ("089", Carrier::MobiFone),
    ("090", Carrier::MobiFone),
    ("091", Carrier::Vinaphone),
    ("092", Carrier::Vietnamobile),
    ("093", Carrier::MobiFone),
    ("094", Carrier::Vinaphone),
    ("096", Carrier::Viettel),
    ("097", Carrier::Viettel),
    ("098", Carrier::Viettel),
    ("099", Carrier::Gmobile),
];

/// 11-digit prefixes retired in 2018 and the 10-digit prefixes that replaced them.
pub const LEGACY_PREFIXES: &[(&str, &str)] = &[
    ("0120", "070"),
    ("0121", "079"),
    ("0122", "077"),
    ("0123", "083"),
    ("0124", "084"),
    ("0125", "085"),
    ("0126", "076"),
    ("0127", "081"),
    ("0128", "078"),
    ("0129", "082"),
    ("0162", "032"),
    ("0163", "033"),
    ("0164", "034"),
    ("0165", "035"),
    ("0166", "036"),
    ("0167", "037"),
    ("0168", "038"),
    ("0169", "039"),
    ("0186", "056"),
    ("0188", "058"),
    ("0199", "059"),
];

/// A valid Vietnamese mobile number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone {
    /// `+84` followed by 9 digits.
    e164: String,
    /// `0` followed by the same 9 digits.
    national: String,
    carrier: Carrier,
}

/// Why a string is not a Vietnamese mobile number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PhoneError {
    /// Nothing left after removing separators.
    Empty,
    /// A character other than digits, a leading `+`, whitespace, `.`, `-`, `(`, `)`.
    InvalidCharacter { position: usize },
    /// Not one of `0` + 9 digits, `84` + 9 digits, `+84` + 9 digits (`+84 0…` and `0084…` are also
    /// tolerated). `len` counts the digits found.
    WrongLength { len: usize },
    /// An international number of another country.
    NotVietnamese,
    /// 10 digits, but the prefix is not a current mobile prefix (e.g. a landline `02x`).
    UnknownPrefix { prefix: String },
    /// A retired 11-digit number (`01xx…`); `suggestion` is its current 10-digit national form.
    LegacyPrefix { suggestion: String },
}

impl PhoneError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "phone.empty",
            Self::InvalidCharacter { .. } => "phone.invalid_character",
            Self::WrongLength { .. } => "phone.wrong_length",
            Self::NotVietnamese => "phone.not_vietnamese",
            Self::UnknownPrefix { .. } => "phone.unknown_prefix",
            Self::LegacyPrefix { .. } => "phone.legacy_prefix",
        }
    }

    /// Message for Vietnamese-speaking users.
    pub fn message_vi(&self) -> String {
        match self {
            Self::Empty => "Số điện thoại không được để trống".to_owned(),
            Self::InvalidCharacter { position } => format!(
                "Số điện thoại chứa ký tự không hợp lệ ở vị trí {}",
                position + 1
            ),
            Self::WrongLength { len } => format!(
                "Số điện thoại di động phải có 10 chữ số (dạng 0xxxxxxxxx) hoặc dạng +84xxxxxxxxx; \
                 nhận được {len} chữ số"
            ),
            Self::NotVietnamese => "Số điện thoại không phải số Việt Nam (+84)".to_owned(),
            Self::UnknownPrefix { prefix } => {
                format!("Đầu số {prefix} không phải đầu số di động Việt Nam hiện hành")
            }
            Self::LegacyPrefix { suggestion } => format!(
                "Số 11 chữ số đã được chuyển sang 10 chữ số từ năm 2018; số mới là {suggestion}"
            ),
        }
    }

    /// Message for English-speaking users.
    pub fn message_en(&self) -> String {
        match self {
            Self::Empty => "The phone number is empty".to_owned(),
            Self::InvalidCharacter { position } => format!(
                "The phone number has an invalid character at position {}",
                position + 1
            ),
            Self::WrongLength { len } => format!(
                "A Vietnamese mobile number has 10 digits (0xxxxxxxxx) or the form +84xxxxxxxxx; \
                 got {len} digits"
            ),
            Self::NotVietnamese => "The phone number is not a Vietnamese (+84) number".to_owned(),
            Self::UnknownPrefix { prefix } => {
                format!("{prefix} is not a current Vietnamese mobile prefix")
            }
            Self::LegacyPrefix { suggestion } => format!(
                "11-digit mobile numbers were converted to 10 digits in 2018; the new number is \
                 {suggestion}"
            ),
        }
    }
}

impl fmt::Display for PhoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en())
    }
}

impl std::error::Error for PhoneError {}

impl Phone {
    /// Parses a Vietnamese mobile number written as `0912345678`, `84912345678`, `+84912345678`,
    /// with any whitespace, `.`, `-`, `(`, `)` between digits (`+84 (0) 912…` and `0084…` too).
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let mut digits = String::with_capacity(16);
        let mut plus = false;
        for (position, c) in input.chars().enumerate() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if c == '+' && !plus && digits.is_empty() {
                plus = true;
            } else if !(c.is_whitespace() || matches!(c, '.' | '-' | '(' | ')')) {
                return Err(PhoneError::InvalidCharacter { position });
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        // Reduce to the 9 significant digits.
        let international = if plus {
            Some(digits.as_str())
        } else if let Some(rest) = digits.strip_prefix("00") {
            Some(rest)
        } else if digits.len() >= 11 && digits.starts_with("84") {
            Some(digits.as_str())
        } else {
            None
        };
        let significant = match international {
            Some(intl) => {
                let Some(rest) = intl.strip_prefix("84") else {
                    return Err(PhoneError::NotVietnamese);
                };
                // Tolerate the trunk prefix written after the country code: +84 (0)912…
                let rest = if rest.len() == 10 {
                    rest.strip_prefix('0').unwrap_or(rest)
                } else {
                    rest
                };
                if rest.len() == 10 && rest.starts_with('1') {
                    return Err(legacy(&format!("0{rest}")));
                }
                rest
            }
            None => {
                if digits.len() == 11 && digits.starts_with("01") {
                    return Err(legacy(&digits));
                }
                match digits.strip_prefix('0') {
                    Some(rest) if digits.len() == 10 => rest,
                    _ => return Err(PhoneError::WrongLength { len: digits.len() }),
                }
            }
        };
        if significant.len() != 9 {
            return Err(PhoneError::WrongLength {
                len: significant.len() + 1,
            });
        }
        let national = format!("0{significant}");
        let Some(carrier) = Carrier::from_prefix(&national[..3]) else {
            return Err(PhoneError::UnknownPrefix {
                prefix: national[..3].to_owned(),
            });
        };
        Ok(Phone {
            e164: format!("+84{significant}"),
            national,
            carrier,
        })
    }

    /// E.164 form, e.g. `"+84912345678"`.
    pub fn as_e164(&self) -> &str {
        &self.e164
    }

    /// National form, e.g. `"0912345678"`.
    pub fn as_national(&self) -> &str {
        &self.national
    }

    /// Original carrier of the number range.
    pub fn carrier(&self) -> Carrier {
        self.carrier
    }

    /// National form masked for logs: `"091*****78"`.
    pub fn masked(&self) -> String {
        mask(&self.national)
    }
}

/// Error for a retired 11-digit national number `01xx…` (exactly 11 digits).
fn legacy(national11: &str) -> PhoneError {
    for &(old, new) in LEGACY_PREFIXES {
        if let Some(rest) = national11.strip_prefix(old) {
            return PhoneError::LegacyPrefix {
                suggestion: format!("{new}{rest}"),
            };
        }
    }
    PhoneError::UnknownPrefix {
        prefix: national11[..4].to_owned(),
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.e164)
    }
}

impl FromStr for Phone {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Phone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.e164)
    }
}

impl<'de> Deserialize<'de> for Phone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Phone::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Masks all but the first 3 and the last 2 characters with `*` (one `*` per character), e.g.
/// `"022095001245"` → `"022*******45"`, `"0912345678"` → `"091*****78"`.
///
/// Strings of 5 characters or fewer would reveal everything, so they are masked entirely.
/// Counts Unicode scalar values, never splits a character.
pub fn mask(s: &str) -> String {
    let n = s.chars().count();
    if n <= 5 {
        return "*".repeat(n);
    }
    s.chars()
        .enumerate()
        .map(|(i, c)| if i < 3 || i >= n - 2 { c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_normalise() {
        for s in [
            "0912345678",
            "091 234 5678",
            "0912.345.678",
            "0912-345-678",
            "84912345678",
            "+84912345678",
            "+84 912 345 678",
            "+84 (0) 912 345 678",
            "+840912345678",
            "0084912345678",
            "(+84) 912-345-678",
        ] {
            let p = Phone::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
            assert_eq!(p.as_e164(), "+84912345678", "{s:?}");
            assert_eq!(p.as_national(), "0912345678", "{s:?}");
            assert_eq!(p.carrier(), Carrier::Vinaphone);
        }
    }

    #[test]
    fn carriers() {
        let cases = [
            ("0321234567", Carrier::Viettel),
            ("0861234567", Carrier::Viettel),
            ("0981234567", Carrier::Viettel),
            ("0811234567", Carrier::Vinaphone),
            ("0881234567", Carrier::Vinaphone),
            ("0941234567", Carrier::Vinaphone),
            ("0701234567", Carrier::MobiFone),
            ("0891234567", Carrier::MobiFone),
            ("0901234567", Carrier::MobiFone),
            ("0521234567", Carrier::Vietnamobile),
            ("0921234567", Carrier::Vietnamobile),
            ("0591234567", Carrier::Gmobile),
            ("0991234567", Carrier::Gmobile),
            ("0871234567", Carrier::Itelecom),
            ("0551234567", Carrier::Reddi),
        ];
        for (s, carrier) in cases {
            assert_eq!(Phone::parse(s).unwrap().carrier(), carrier, "{s}");
        }
        assert_eq!(Carrier::Gmobile.to_string(), "Gmobile/Wintel");
        assert!(PREFIXES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn errors() {
        assert_eq!(Phone::parse(""), Err(PhoneError::Empty));
        assert_eq!(Phone::parse(" + "), Err(PhoneError::Empty));
        assert_eq!(
            Phone::parse("09123a5678"),
            Err(PhoneError::InvalidCharacter { position: 5 })
        );
        assert_eq!(
            Phone::parse("09+12345678"),
            Err(PhoneError::InvalidCharacter { position: 2 })
        );
        assert_eq!(
            Phone::parse("091234567"),
            Err(PhoneError::WrongLength { len: 9 })
        );
        assert_eq!(
            Phone::parse("912345678"),
            Err(PhoneError::WrongLength { len: 9 })
        );
        assert_eq!(
            Phone::parse("+8491234567"),
            Err(PhoneError::WrongLength { len: 9 })
        );
        assert_eq!(Phone::parse("+14155552671"), Err(PhoneError::NotVietnamese));
        assert_eq!(
            Phone::parse("0014155552671"),
            Err(PhoneError::NotVietnamese)
        );
        assert_eq!(
            Phone::parse("02033123456"),
            Err(PhoneError::WrongLength { len: 11 })
        );
        assert_eq!(
            Phone::parse("0203312345"),
            Err(PhoneError::UnknownPrefix {
                prefix: "020".into()
            })
        );
        assert_eq!(
            Phone::parse("0951234567"),
            Err(PhoneError::UnknownPrefix {
                prefix: "095".into()
            })
        );
        assert_eq!(
            Phone::parse("01681234567"),
            Err(PhoneError::LegacyPrefix {
                suggestion: "0381234567".into()
            })
        );
        assert_eq!(
            Phone::parse("+84 168 123 4567"),
            Err(PhoneError::LegacyPrefix {
                suggestion: "0381234567".into()
            })
        );
        assert_eq!(
            Phone::parse("01111234567"),
            Err(PhoneError::UnknownPrefix {
                prefix: "0111".into()
            })
        );
    }

    #[test]
    fn error_texts() {
        let all = [
            PhoneError::Empty,
            PhoneError::InvalidCharacter { position: 0 },
            PhoneError::WrongLength { len: 3 },
            PhoneError::NotVietnamese,
            PhoneError::UnknownPrefix {
                prefix: "020".into(),
            },
            PhoneError::LegacyPrefix {
                suggestion: "0381234567".into(),
            },
        ];
        for e in &all {
            assert!(e.code().starts_with("phone."));
            assert!(!e.message_vi().is_empty());
            assert_eq!(e.to_string(), e.message_en());
        }
    }

    #[test]
    fn masking() {
        assert_eq!(mask("022095001245"), "022*******45");
        assert_eq!(mask("0912345678"), "091*****78");
        assert_eq!(mask("123456"), "123*56");
        assert_eq!(mask("12345"), "*****");
        assert_eq!(mask(""), "");
        assert_eq!(mask("Nguyễn Văn An"), "Ngu********An");
        let p = Phone::parse("0912345678").unwrap();
        assert_eq!(p.masked(), "091*****78");
    }

    #[test]
    fn traits() {
        let p: Phone = "0912345678".parse().unwrap();
        assert_eq!(p.to_string(), "+84912345678");
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, "\"+84912345678\"");
        assert_eq!(serde_json::from_str::<Phone>(&json).unwrap(), p);
        assert!(serde_json::from_str::<Phone>("\"0201234567\"").is_err());
    }
}
