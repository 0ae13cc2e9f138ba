//! The 12-digit personal identification number (số định danh cá nhân, printed on the CCCD /
//! Căn cước card).
//!
//! Validity is **only** "exactly 12 ASCII digits" (Law on Identification 26/2023/QH15 Art. 12). The
//! legacy layout of Decree 137/2015 / Circular 07/2016 / Circular 59/2021 (expired 1 Jul 2024) is
//! decoded here for display and cross-checks, but it is advisory: an unknown registration prefix is
//! never a rejection.
//!
//! | Positions | Meaning (legacy) |
//! |---|---|
//! | 1–3 | birth-registration place: `0` + GSO province code, otherwise a country code (abroad) |
//! | 4 | century + sex: 0/1 = 1900s male/female, 2/3 = 2000s, 4/5 = 2100s, 6/7 = 2200s, 8/9 = 2300s |
//! | 5–6 | last two digits of the birth year |
//! | 7–12 | random |
//!
//! ```
//! use identity::personal_id::{PersonalId, Sex};
//! let id = PersonalId::parse("022095001234").unwrap();
//! assert_eq!(id.registration_code(), "022");
//! assert_eq!(id.province_name(), Some("Quảng Ninh"));
//! assert_eq!(id.sex(), Sex::Male);
//! assert_eq!(id.birth_year(), 1995);
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Number of digits of a personal ID.
pub const LEN: usize = 12;

/// A syntactically valid 12-digit personal ID (stored as its 12 ASCII digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonalId {
    digits: String,
}

/// Sex encoded in digit 4 (even = male, odd = female).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

/// Decoded birth-registration place (digits 1–3). Advisory only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Registration {
    /// `0` + a 2-digit GSO province code; `name` is the pre-2025 province name when the code is in
    /// the table (codes are frozen and do not follow the 2025 province mergers).
    Province {
        code: u16,
        name: Option<&'static str>,
    },
    /// First digit not `0`: registered abroad, 3-digit country code.
    Abroad { code: u16 },
}

/// Why a string is not a personal ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PersonalIdError {
    /// Nothing left after removing separators.
    Empty,
    /// A character other than an ASCII digit or an allowed separator, at this 0-based char index
    /// of the input.
    NonDigit { position: usize },
    /// Not exactly 12 digits; `len` is the number of digits found.
    WrongLength { len: usize },
}

impl PersonalIdError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "personal_id.empty",
            Self::NonDigit { .. } => "personal_id.non_digit",
            Self::WrongLength { .. } => "personal_id.wrong_length",
        }
    }

    /// Message for Vietnamese-speaking users.
    pub fn message_vi(&self) -> String {
        match self {
            Self::Empty => "Số định danh cá nhân không được để trống".to_owned(),
            Self::NonDigit { position } => format!(
                "Số định danh cá nhân chỉ được chứa chữ số (ký tự không hợp lệ ở vị trí {})",
                position + 1
            ),
            Self::WrongLength { len } => {
                format!("Số định danh cá nhân phải có đúng 12 chữ số (nhận được {len})")
            }
        }
    }

    /// Message for English-speaking users.
    pub fn message_en(&self) -> String {
        match self {
            Self::Empty => "The personal ID number is empty".to_owned(),
            Self::NonDigit { position } => format!(
                "The personal ID number may contain digits only (invalid character at position {})",
                position + 1
            ),
            Self::WrongLength { len } => {
                format!("The personal ID number must have exactly 12 digits (got {len})")
            }
        }
    }
}

impl fmt::Display for PersonalIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en())
    }
}

impl std::error::Error for PersonalIdError {}

/// Separators tolerated in user input (grouping such as `022 095 001 234`).
pub(crate) fn is_separator(c: char) -> bool {
    c.is_whitespace() || c == '-' || c == '.'
}

impl PersonalId {
    /// Parses a personal ID. Whitespace, `-` and `.` are ignored; what remains must be exactly 12
    /// ASCII digits. No other rule applies (the legacy structure is not a validity rule).
    pub fn parse(input: &str) -> Result<PersonalId, PersonalIdError> {
        let mut digits = String::with_capacity(LEN);
        for (position, c) in input.chars().enumerate() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !is_separator(c) {
                return Err(PersonalIdError::NonDigit { position });
            }
        }
        Self::from_digits(digits)
    }

    /// Validates an already separator-free string of ASCII digits.
    pub(crate) fn from_digits(digits: String) -> Result<PersonalId, PersonalIdError> {
        if digits.is_empty() {
            return Err(PersonalIdError::Empty);
        }
        if let Some(position) = digits.chars().position(|c| !c.is_ascii_digit()) {
            return Err(PersonalIdError::NonDigit { position });
        }
        if digits.len() != LEN {
            return Err(PersonalIdError::WrongLength { len: digits.len() });
        }
        Ok(PersonalId { digits })
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    fn digit(&self, i: usize) -> u8 {
        self.digits.as_bytes()[i] - b'0'
    }

    /// Digits 1–3, the (legacy) birth-registration code, e.g. `"022"`.
    pub fn registration_code(&self) -> &str {
        &self.digits[..3]
    }

    /// Decoded birth-registration place (advisory).
    pub fn registration(&self) -> Registration {
        let code = u16::from(self.digit(0)) * 100
            + u16::from(self.digit(1)) * 10
            + u16::from(self.digit(2));
        if self.digit(0) == 0 {
            Registration::Province {
                code,
                name: province_name(code),
            }
        } else {
            Registration::Abroad { code }
        }
    }

    /// Pre-2025 province name for the registration code, if it is a known province code.
    pub fn province_name(&self) -> Option<&'static str> {
        match self.registration() {
            Registration::Province { name, .. } => name,
            Registration::Abroad { .. } => None,
        }
    }

    /// Digit 4: century and sex code (0–9).
    pub fn century_sex_digit(&self) -> u8 {
        self.digit(3)
    }

    /// Sex from digit 4 (even = male, odd = female). Advisory.
    pub fn sex(&self) -> Sex {
        if self.digit(3).is_multiple_of(2) {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// First year of the birth century from digit 4: 1900, 2000, 2100, 2200 or 2300.
    pub fn century_start(&self) -> u16 {
        (u16::from(self.digit(3) / 2) + 19) * 100
    }

    /// Birth year: century from digit 4 + digits 5–6. Advisory.
    pub fn birth_year(&self) -> u16 {
        self.century_start() + u16::from(self.digit(4)) * 10 + u16::from(self.digit(5))
    }

    /// The last two digits of the birth year (digits 5–6).
    pub fn birth_year_2(&self) -> u8 {
        self.digit(4) * 10 + self.digit(5)
    }
}

impl fmt::Display for PersonalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.digits)
    }
}

impl FromStr for PersonalId {
    type Err = PersonalIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for PersonalId {
    fn as_ref(&self) -> &str {
        &self.digits
    }
}

impl Serialize for PersonalId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.digits)
    }
}

impl<'de> Deserialize<'de> for PersonalId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        PersonalId::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Pre-2025 province names by 3-digit birth-registration code (`0` + GSO code). The codes are
/// frozen: they do not follow the 2025 province mergers.
pub const PROVINCES: &[(u16, &str)] = &[
    (1, "Hà Nội"),
    (2, "Hà Giang"),
    (4, "Cao Bằng"),
    (6, "Bắc Kạn"),
    (8, "Tuyên Quang"),
    (10, "Lào Cai"),
    (11, "Điện Biên"),
    (12, "Lai Châu"),
    (14, "Sơn La"),
    (15, "Yên Bái"),
    (17, "Hòa Bình"),
    (19, "Thái Nguyên"),
    (20, "Lạng Sơn"),
    (22, "Quảng Ninh"),
    (24, "Bắc Giang"),
    (25, "Phú Thọ"),
    (26, "Vĩnh Phúc"),
    (27, "Bắc Ninh"),
    (30, "Hải Dương"),
    (31, "Hải Phòng"),
    (33, "Hưng Yên"),
    (34, "Thái Bình"),
    (35, "Hà Nam"),
    (36, "Nam Định"),
    (37, "Ninh Bình"),
    (38, "Thanh Hóa"),
    (40, "Nghệ An"),
    (42, "Hà Tĩnh"),
    (44, "Quảng Bình"),
    (45, "Quảng Trị"),
    (46, "Thừa Thiên Huế"),
    (48, "Đà Nẵng"),
    (49, "Quảng Nam"),
    (51, "Quảng Ngãi"),
    (52, "Bình Định"),
    (54, "Phú Yên"),
    (56, "Khánh Hòa"),
    (58, "Ninh Thuận"),
    (60, "Bình Thuận"),
    (62, "Kon Tum"),
    (64, "Gia Lai"),
    (66, "Đắk Lắk"),
    (67, "Đắk Nông"),
    (68, "Lâm Đồng"),
    (70, "Bình Phước"),
    (72, "Tây Ninh"),
    (74, "Bình Dương"),
    (75, "Đồng Nai"),
    (77, "Bà Rịa – Vũng Tàu"),
    (79, "TP. Hồ Chí Minh"),
    (80, "Long An"),
    (82, "Tiền Giang"),
    (83, "Bến Tre"),
    (84, "Trà Vinh"),
    (86, "Vĩnh Long"),
    (87, "Đồng Tháp"),
    (89, "An Giang"),
    (91, "Kiên Giang"),
    (92, "Cần Thơ"),
    (93, "Hậu Giang"),
    (94, "Sóc Trăng"),
    (95, "Bạc Liêu"),
    (96, "Cà Mau"),
];

/// Pre-2025 province name for a 3-digit registration code (e.g. `22` → `"Quảng Ninh"`).
pub fn province_name(code: u16) -> Option<&'static str> {
    PROVINCES
        .binary_search_by_key(&code, |&(c, _)| c)
        .ok()
        .map(|i| PROVINCES[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_quang_ninh_male_1995() {
        let id = PersonalId::parse("022095001234").unwrap();
        assert_eq!(id.as_str(), "022095001234");
        assert_eq!(
            id.registration(),
            Registration::Province {
                code: 22,
                name: Some("Quảng Ninh")
            }
        );
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(id.century_start(), 1900);
        assert_eq!(id.birth_year(), 1995);
        assert_eq!(id.birth_year_2(), 95);
    }

    #[test]
    fn century_and_sex_table() {
        let cases = [
            ('0', 1900, Sex::Male),
            ('1', 1900, Sex::Female),
            ('2', 2000, Sex::Male),
            ('3', 2000, Sex::Female),
            ('4', 2100, Sex::Male),
            ('5', 2100, Sex::Female),
            ('6', 2200, Sex::Male),
            ('7', 2200, Sex::Female),
            ('8', 2300, Sex::Male),
            ('9', 2300, Sex::Female),
        ];
        for (d, century, sex) in cases {
            let id = PersonalId::parse(&format!("001{d}07123456")).unwrap();
            assert_eq!(id.century_start(), century);
            assert_eq!(id.birth_year(), century + 7);
            assert_eq!(id.sex(), sex);
        }
    }

    #[test]
    fn unknown_prefix_is_accepted() {
        let id = PersonalId::parse("003095001234").unwrap();
        assert_eq!(
            id.registration(),
            Registration::Province {
                code: 3,
                name: None
            }
        );
        let id = PersonalId::parse("704195001234").unwrap();
        assert_eq!(id.registration(), Registration::Abroad { code: 704 });
        assert_eq!(id.province_name(), None);
    }

    #[test]
    fn separators_and_errors() {
        assert_eq!(
            PersonalId::parse(" 022 095.001-234 ").unwrap().as_str(),
            "022095001234"
        );
        assert_eq!(PersonalId::parse(""), Err(PersonalIdError::Empty));
        assert_eq!(PersonalId::parse(" - "), Err(PersonalIdError::Empty));
        assert_eq!(
            PersonalId::parse("02209500123A"),
            Err(PersonalIdError::NonDigit { position: 11 })
        );
        assert_eq!(
            PersonalId::parse("02209500123"),
            Err(PersonalIdError::WrongLength { len: 11 })
        );
        assert_eq!(
            PersonalId::parse("０22095001234"),
            Err(PersonalIdError::NonDigit { position: 0 })
        );
    }

    #[test]
    fn province_table_sorted_and_complete() {
        assert_eq!(PROVINCES.len(), 63);
        assert!(PROVINCES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(province_name(30), Some("Hải Dương"));
        assert_eq!(province_name(96), Some("Cà Mau"));
        assert_eq!(province_name(0), None);
    }

    #[test]
    fn error_texts() {
        for e in [
            PersonalIdError::Empty,
            PersonalIdError::NonDigit { position: 3 },
            PersonalIdError::WrongLength { len: 5 },
        ] {
            assert!(e.code().starts_with("personal_id."));
            assert!(!e.message_vi().is_empty());
            assert_eq!(e.to_string(), e.message_en());
        }
    }

    #[test]
    fn serde_as_string() {
        let id = PersonalId::parse("022095001234").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"022095001234\"");
        assert_eq!(serde_json::from_str::<PersonalId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<PersonalId>("\"12345\"").is_err());
    }
}
