//! ICAO Doc 9303 TD1 machine-readable zone (3 lines × 30 characters), as printed on the back of
//! the Vietnamese chip ID card (CCCD / Căn cước).
//!
//! Layout (1-based positions):
//!
//! | Line | Positions | Field |
//! |---|---|---|
//! | 1 | 1–2 | document code (`ID`) |
//! | 1 | 3–5 | issuing state (`VNM`) |
//! | 1 | 6–14, 15 | document number, check digit |
//! | 1 | 16–30 | optional data 1 |
//! | 2 | 1–6, 7 | date of birth `YYMMDD`, check digit |
//! | 2 | 8 | sex `M`, `F`, `<` (or `X`) |
//! | 2 | 9–14, 15 | date of expiry `YYMMDD`, check digit |
//! | 2 | 16–18 | nationality |
//! | 2 | 19–29 | optional data 2 |
//! | 2 | 30 | composite check over line 1 [6–30], line 2 [1–7], [9–15], [19–29] |
//! | 3 | 1–30 | `SURNAME<<GIVEN<NAMES` |
//!
//! Check digits: `0–9` → 0–9, `A–Z` → 10–35, `<` → 0, weights 7, 3, 1 repeating, sum mod 10.
//!
//! **Vietnamese filling (observed, not published):** the document-number field holds the last 9
//! digits of the 12-digit personal ID, and optional data 1 holds the full 12-digit ID, `<<`, and
//! the ICAO check digit of those 12 digits. [`Mrz::parse`] verifies that check digit whenever
//! optional data 1 of a `VNM` document starts with 12 digits; [`Mrz::vietnamese_id`] additionally
//! requires the layout and the document-number consistency.
//!
//! ```
//! use identity::mrz::Mrz;
//! let mrz = Mrz::parse(
//!     "IDVNM0950012340022095001234<<8\n\
//!      9503157M3503155VNM<<<<<<<<<<<6\n\
//!      NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<",
//! )
//! .unwrap();
//! assert_eq!(mrz.vietnamese_id().unwrap().as_str(), "022095001234");
//! assert_eq!(mrz.full_name(), "NGUYEN VAN AN");
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::personal_id::PersonalId;

/// Characters per TD1 line.
pub const LINE_LEN: usize = 30;

/// ICAO 9303 value of an MRZ character: `0–9` → 0–9, `A–Z` → 10–35, `<` → 0.
pub fn char_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        b'<' => Some(0),
        _ => None,
    }
}

/// ICAO 9303 check digit of a field (weights 7, 3, 1). `None` if a character is outside
/// `0–9 A–Z <`.
///
/// ```
/// assert_eq!(identity::mrz::check_digit("L898902C3"), Some(6));
/// assert_eq!(identity::mrz::check_digit("740812"), Some(2));
/// ```
pub fn check_digit(field: &str) -> Option<u8> {
    check_digit_bytes(field.as_bytes())
}

fn check_digit_bytes(field: &[u8]) -> Option<u8> {
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let mut sum = 0u32;
    for (i, &c) in field.iter().enumerate() {
        sum += char_value(c)? * WEIGHTS[i % 3];
    }
    Some((sum % 10) as u8)
}

/// Which check digit failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckField {
    DocumentNumber,
    BirthDate,
    ExpiryDate,
    /// The check digit of the 12-digit personal ID in optional data 1 (Vietnamese filling).
    OptionalData,
    Composite,
}

impl CheckField {
    fn name_en(self) -> &'static str {
        match self {
            Self::DocumentNumber => "document number",
            Self::BirthDate => "date of birth",
            Self::ExpiryDate => "date of expiry",
            Self::OptionalData => "personal ID in optional data",
            Self::Composite => "composite",
        }
    }

    fn name_vi(self) -> &'static str {
        match self {
            Self::DocumentNumber => "số giấy tờ",
            Self::BirthDate => "ngày sinh",
            Self::ExpiryDate => "ngày hết hạn",
            Self::OptionalData => "số định danh trong dữ liệu tùy chọn",
            Self::Composite => "tổng hợp",
        }
    }
}

/// Why an MRZ was rejected. Lines and positions are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MrzError {
    /// Not 3 non-empty lines (or one 90-character string).
    LineCount { found: usize },
    /// A line that is not 30 characters long.
    LineLength { line: u8, len: usize },
    /// A character outside `A–Z 0–9 <`.
    InvalidChar { line: u8, position: u8, found: char },
    /// The document code does not start with `I`, `A` or `C` (TD1).
    DocumentCode { found: String },
    /// A check digit mismatch; `found` is the character at the check position.
    CheckDigit {
        field: CheckField,
        line: u8,
        position: u8,
        expected: u8,
        found: char,
    },
    /// A `YYMMDD` field that is not a calendar date.
    InvalidDate {
        field: CheckField,
        line: u8,
        position: u8,
        value: String,
    },
    /// Sex is not `M`, `F`, `X` or `<`.
    Sex { line: u8, position: u8, found: char },
    /// A Vietnamese ID card whose optional data 1 is not `12 digits` + `<<` + check digit.
    NotVietnameseLayout { line: u8, position: u8 },
    /// The document-number field is not the last 9 digits of the 12-digit ID.
    DocumentNumberMismatch {
        document_number: String,
        personal_id: String,
    },
}

impl MrzError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::LineCount { .. } => "mrz.line_count",
            Self::LineLength { .. } => "mrz.line_length",
            Self::InvalidChar { .. } => "mrz.invalid_char",
            Self::DocumentCode { .. } => "mrz.document_code",
            Self::CheckDigit { .. } => "mrz.check_digit",
            Self::InvalidDate { .. } => "mrz.invalid_date",
            Self::Sex { .. } => "mrz.sex",
            Self::NotVietnameseLayout { .. } => "mrz.not_vietnamese_layout",
            Self::DocumentNumberMismatch { .. } => "mrz.document_number_mismatch",
        }
    }

    /// Message for Vietnamese-speaking users.
    pub fn message_vi(&self) -> String {
        match self {
            Self::LineCount { found } => {
                format!("Vùng MRZ phải có 3 dòng, mỗi dòng 30 ký tự (nhận được {found} dòng)")
            }
            Self::LineLength { line, len } => {
                format!("Dòng {line} của MRZ phải có 30 ký tự (nhận được {len})")
            }
            Self::InvalidChar {
                line,
                position,
                found,
            } => format!("Ký tự không hợp lệ {found:?} ở dòng {line}, vị trí {position} của MRZ"),
            Self::DocumentCode { found } => {
                format!("Mã loại giấy tờ {found:?} không phải thẻ căn cước (TD1)")
            }
            Self::CheckDigit {
                field,
                line,
                position,
                expected,
                found,
            } => format!(
                "Sai số kiểm tra {} ở dòng {line}, vị trí {position}: cần {expected}, nhận được \
                 {found:?}",
                field.name_vi()
            ),
            Self::InvalidDate {
                field,
                line,
                position,
                value,
            } => format!(
                "{} {value:?} ở dòng {line}, vị trí {position} không phải ngày hợp lệ",
                capitalise(field.name_vi())
            ),
            Self::Sex {
                line,
                position,
                found,
            } => format!("Giới tính {found:?} ở dòng {line}, vị trí {position} không hợp lệ"),
            Self::NotVietnameseLayout { line, position } => format!(
                "Dữ liệu tùy chọn ở dòng {line}, vị trí {position} không chứa số định danh 12 chữ số"
            ),
            Self::DocumentNumberMismatch {
                document_number,
                personal_id,
            } => format!(
                "Số giấy tờ {document_number} không khớp 9 chữ số cuối của số định danh \
                 {personal_id}"
            ),
        }
    }

    /// Message for English-speaking users.
    pub fn message_en(&self) -> String {
        match self {
            Self::LineCount { found } => {
                format!("An MRZ has 3 lines of 30 characters (got {found} lines)")
            }
            Self::LineLength { line, len } => {
                format!("MRZ line {line} must have 30 characters (got {len})")
            }
            Self::InvalidChar {
                line,
                position,
                found,
            } => format!("Invalid character {found:?} at MRZ line {line}, position {position}"),
            Self::DocumentCode { found } => {
                format!("Document code {found:?} is not an identity card (TD1)")
            }
            Self::CheckDigit {
                field,
                line,
                position,
                expected,
                found,
            } => format!(
                "Wrong {} check digit at line {line}, position {position}: expected {expected}, \
                 found {found:?}",
                field.name_en()
            ),
            Self::InvalidDate {
                field,
                line,
                position,
                value,
            } => format!(
                "Invalid {} {value:?} at line {line}, position {position}",
                field.name_en()
            ),
            Self::Sex {
                line,
                position,
                found,
            } => format!("Invalid sex {found:?} at line {line}, position {position}"),
            Self::NotVietnameseLayout { line, position } => format!(
                "Optional data at line {line}, position {position} does not hold a 12-digit \
                 personal ID"
            ),
            Self::DocumentNumberMismatch {
                document_number,
                personal_id,
            } => format!(
                "Document number {document_number} is not the last 9 digits of personal ID \
                 {personal_id}"
            ),
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl fmt::Display for MrzError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en())
    }
}

impl std::error::Error for MrzError {}

/// Sex field of the MRZ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MrzSex {
    Male,
    Female,
    /// `<` or `X`.
    Unspecified,
}

/// A `YYMMDD` date from the MRZ. The century is not encoded; see [`MrzDate::resolve_birth`] and
/// [`Mrz::birth_year`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MrzDate {
    pub yy: u8,
    pub month: u8,
    pub day: u8,
}

impl MrzDate {
    fn parse(s: &[u8]) -> Option<MrzDate> {
        if s.len() != 6 || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = |i: usize| (s[i] - b'0') * 10 + (s[i + 1] - b'0');
        let (yy, month, day) = (n(0), n(2), n(4));
        // Without the century, 29 February is accepted for every year divisible by 4 (2000 was a
        // leap year; 1900 was not, and cannot be distinguished here).
        let max = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if yy % 4 == 0 => 29,
            2 => 28,
            _ => return None,
        };
        (1..=max)
            .contains(&day)
            .then_some(MrzDate { yy, month, day })
    }

    /// Full year of a birth date given the current year (passed in; no clock is read): the latest
    /// year ending in `yy` that is not after `current_year`.
    pub fn resolve_birth(&self, current_year: u16) -> u16 {
        let yy = u16::from(self.yy);
        let century = current_year - current_year % 100;
        if century + yy <= current_year {
            century + yy
        } else {
            century.saturating_sub(100) + yy
        }
    }

    /// `YYMMDD`.
    pub fn to_yymmdd(&self) -> String {
        format!("{:02}{:02}{:02}", self.yy, self.month, self.day)
    }
}

/// A parsed, check-digit-verified TD1 MRZ.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Mrz {
    /// Document code with filler removed, e.g. `"ID"`.
    pub document_code: String,
    /// Issuing state, e.g. `"VNM"` (filler kept out).
    pub issuing_state: String,
    /// Document number with filler removed (for Vietnamese cards: the last 9 ID digits).
    pub document_number: String,
    /// Optional data 1 as printed (15 characters, fillers included).
    pub optional_data_1: String,
    pub birth_date: MrzDate,
    pub sex: MrzSex,
    /// `None` when the field is all filler (no expiry).
    pub expiry_date: Option<MrzDate>,
    pub nationality: String,
    /// Optional data 2 as printed (11 characters).
    pub optional_data_2: String,
    /// Primary identifier (surname), words separated by single spaces.
    pub surname: String,
    /// Secondary identifier (given names), words separated by single spaces.
    pub given_names: String,
    /// Line 3 has no trailing filler, so the name may have been truncated.
    pub name_truncated: bool,
    /// The 12-digit personal ID from optional data 1 of a `VNM` document, check digit verified.
    pub personal_id: Option<PersonalId>,
}

fn check_at(
    data: &[u8],
    check: u8,
    field: CheckField,
    line: u8,
    position: u8,
) -> Result<(), MrzError> {
    // All characters were validated before, so the check digit is always computable.
    let expected = check_digit_bytes(data).unwrap_or(0);
    if check == b'0' + expected {
        Ok(())
    } else {
        Err(MrzError::CheckDigit {
            field,
            line,
            position,
            expected,
            found: char::from(check),
        })
    }
}

fn strip_filler(s: &[u8]) -> String {
    String::from_utf8_lossy(s).trim_end_matches('<').to_owned()
}

fn name_words(s: &[u8]) -> String {
    String::from_utf8_lossy(s)
        .split('<')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Mrz {
    /// Parses three lines separated by line breaks (surrounding whitespace and blank lines are
    /// ignored), or one 90-character string. Verifies the alphabet, every check digit (document
    /// number, birth date, expiry, the Vietnamese personal-ID check in optional data 1, composite),
    /// the dates and the sex field.
    pub fn parse(text: &str) -> Result<Mrz, MrzError> {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        match lines.as_slice() {
            [a, b, c] => Self::from_lines([a, b, c]),
            [one] if one.len() == 3 * LINE_LEN && one.is_ascii() => {
                Self::from_lines([&one[..30], &one[30..60], &one[60..]])
            }
            _ => Err(MrzError::LineCount { found: lines.len() }),
        }
    }

    /// Parses and verifies three 30-character lines.
    pub fn from_lines(lines: [&str; 3]) -> Result<Mrz, MrzError> {
        for (i, l) in lines.iter().enumerate() {
            let line = i as u8 + 1;
            for (p, c) in l.chars().enumerate().take(LINE_LEN) {
                if !matches!(c, 'A'..='Z' | '0'..='9' | '<') {
                    return Err(MrzError::InvalidChar {
                        line,
                        position: p as u8 + 1,
                        found: c,
                    });
                }
            }
            let len = l.chars().count();
            if len != LINE_LEN {
                return Err(MrzError::LineLength { line, len });
            }
        }
        let [l1, l2, l3] = lines.map(str::as_bytes);

        // Line 1.
        if !matches!(l1[0], b'I' | b'A' | b'C') {
            return Err(MrzError::DocumentCode {
                found: String::from_utf8_lossy(&l1[..2]).into_owned(),
            });
        }
        let document_code = strip_filler(&l1[..2]);
        let issuing_state = strip_filler(&l1[2..5]);
        let optional_data_1 = String::from_utf8_lossy(&l1[15..30]).into_owned();
        let document_number = if l1[14] == b'<' && l1[13] != b'<' {
            // ICAO extension for numbers longer than 9 characters: the rest of the number and its
            // check digit follow in optional data 1, up to the first filler.
            let ext_len = l1[15..].iter().position(|&c| c == b'<').unwrap_or(15);
            if ext_len == 0 {
                return Err(MrzError::CheckDigit {
                    field: CheckField::DocumentNumber,
                    line: 1,
                    position: 15,
                    expected: check_digit_bytes(&l1[5..14]).unwrap_or(0),
                    found: '<',
                });
            }
            let mut number = l1[5..14].to_vec();
            number.extend_from_slice(&l1[15..15 + ext_len - 1]);
            let check_pos = 15 + ext_len - 1;
            check_at(
                &number,
                l1[check_pos],
                CheckField::DocumentNumber,
                1,
                check_pos as u8 + 1,
            )?;
            String::from_utf8_lossy(&number).into_owned()
        } else {
            check_at(&l1[5..14], l1[14], CheckField::DocumentNumber, 1, 15)?;
            strip_filler(&l1[5..14])
        };

        // Vietnamese filling of optional data 1: 12-digit ID, "<<", its check digit.
        let od = &l1[15..30];
        let personal_id = if issuing_state == "VNM" && od[..12].iter().all(u8::is_ascii_digit) {
            if &od[12..14] != b"<<" {
                return Err(MrzError::NotVietnameseLayout {
                    line: 1,
                    position: 28,
                });
            }
            check_at(&od[..12], od[14], CheckField::OptionalData, 1, 30)?;
            PersonalId::parse(&String::from_utf8_lossy(&od[..12])).ok()
        } else {
            None
        };

        // Line 2.
        check_at(&l2[0..6], l2[6], CheckField::BirthDate, 2, 7)?;
        let birth_date = MrzDate::parse(&l2[0..6]).ok_or_else(|| MrzError::InvalidDate {
            field: CheckField::BirthDate,
            line: 2,
            position: 1,
            value: String::from_utf8_lossy(&l2[0..6]).into_owned(),
        })?;
        let sex = match l2[7] {
            b'M' => MrzSex::Male,
            b'F' => MrzSex::Female,
            b'<' | b'X' => MrzSex::Unspecified,
            other => {
                return Err(MrzError::Sex {
                    line: 2,
                    position: 8,
                    found: char::from(other),
                });
            }
        };
        let expiry_date = if &l2[8..15] == b"<<<<<<<" {
            None
        } else {
            check_at(&l2[8..14], l2[14], CheckField::ExpiryDate, 2, 15)?;
            Some(
                MrzDate::parse(&l2[8..14]).ok_or_else(|| MrzError::InvalidDate {
                    field: CheckField::ExpiryDate,
                    line: 2,
                    position: 9,
                    value: String::from_utf8_lossy(&l2[8..14]).into_owned(),
                })?,
            )
        };
        let nationality = strip_filler(&l2[15..18]);
        let optional_data_2 = String::from_utf8_lossy(&l2[18..29]).into_owned();
        let mut composite = Vec::with_capacity(25 + 7 + 7 + 11);
        composite.extend_from_slice(&l1[5..30]);
        composite.extend_from_slice(&l2[0..7]);
        composite.extend_from_slice(&l2[8..15]);
        composite.extend_from_slice(&l2[18..29]);
        check_at(&composite, l2[29], CheckField::Composite, 2, 30)?;

        // Line 3.
        let (surname, given_names) = match l3.windows(2).position(|w| w == b"<<") {
            Some(i) => (name_words(&l3[..i]), name_words(&l3[i + 2..])),
            None => (name_words(l3), String::new()),
        };
        let name_truncated = l3[29] != b'<';

        Ok(Mrz {
            document_code,
            issuing_state,
            document_number,
            optional_data_1,
            birth_date,
            sex,
            expiry_date,
            nationality,
            optional_data_2,
            surname,
            given_names,
            name_truncated,
            personal_id,
        })
    }

    /// `SURNAME GIVEN NAMES`, the order of Vietnamese names.
    pub fn full_name(&self) -> String {
        match (self.surname.is_empty(), self.given_names.is_empty()) {
            (_, true) => self.surname.clone(),
            (true, false) => self.given_names.clone(),
            (false, false) => format!("{} {}", self.surname, self.given_names),
        }
    }

    /// The 12-digit ID of a Vietnamese chip ID card: requires document code `I…`, issuing state
    /// `VNM`, optional data 1 in the Vietnamese layout, and the document number equal to the last 9
    /// digits of the ID (observed layout).
    pub fn vietnamese_id(&self) -> Result<&PersonalId, MrzError> {
        let not_vn = MrzError::NotVietnameseLayout {
            line: 1,
            position: 16,
        };
        if self.issuing_state != "VNM" || !self.document_code.starts_with('I') {
            return Err(not_vn);
        }
        let id = self.personal_id.as_ref().ok_or(not_vn)?;
        if self.document_number != id.as_str()[3..] {
            return Err(MrzError::DocumentNumberMismatch {
                document_number: self.document_number.clone(),
                personal_id: id.as_str().to_owned(),
            });
        }
        Ok(id)
    }

    /// Full birth year using the century digit of the Vietnamese personal ID, when present and
    /// consistent with the MRZ birth date (`yy` equal to ID digits 5–6).
    pub fn birth_year(&self) -> Option<u16> {
        let id = self.personal_id.as_ref()?;
        (id.birth_year_2() == self.birth_date.yy).then(|| id.birth_year())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L1: &str = "IDVNM0950012340022095001234<<8";
    const L2: &str = "9503157M3503155VNM<<<<<<<<<<<6";
    const L3: &str = "NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<";

    fn sample() -> String {
        format!("{L1}\n{L2}\n{L3}")
    }

    #[test]
    fn icao_check_digit_vectors() {
        // ICAO 9303 Part 3/5 worked examples.
        assert_eq!(check_digit("520727"), Some(3));
        assert_eq!(check_digit("L898902C3"), Some(6));
        assert_eq!(check_digit("D23145890"), Some(7));
        assert_eq!(check_digit("740812"), Some(2));
        assert_eq!(check_digit("120415"), Some(9));
        assert_eq!(check_digit("AB2134<<<"), Some(5));
        assert_eq!(check_digit("<<<<<<"), Some(0));
        assert_eq!(check_digit(""), Some(0));
        assert_eq!(check_digit("a"), None);
        // Reference sample fields.
        assert_eq!(check_digit("095001234"), Some(0));
        assert_eq!(check_digit("022095001234"), Some(8));
        assert_eq!(check_digit("950315"), Some(7));
        assert_eq!(check_digit("350315"), Some(5));
        // Observed public line 1 quoted by the reference.
        assert_eq!(check_digit("091005513"), Some(4));
        assert_eq!(check_digit("051091005513"), Some(0));
    }

    #[test]
    fn icao_td1_specimen() {
        // ICAO 9303 Part 5 TD1 specimen (Utopia).
        let mrz = Mrz::parse(
            "I<UTOD231458907<<<<<<<<<<<<<<<\n\
             7408122F1204159UTO<<<<<<<<<<<6\n\
             ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
        )
        .unwrap();
        assert_eq!(mrz.document_code, "I");
        assert_eq!(mrz.issuing_state, "UTO");
        assert_eq!(mrz.document_number, "D23145890");
        assert_eq!(
            mrz.birth_date,
            MrzDate {
                yy: 74,
                month: 8,
                day: 12
            }
        );
        assert_eq!(mrz.sex, MrzSex::Female);
        assert_eq!(mrz.surname, "ERIKSSON");
        assert_eq!(mrz.given_names, "ANNA MARIA");
        assert_eq!(mrz.personal_id, None);
        assert!(mrz.vietnamese_id().is_err());
    }

    #[test]
    fn reference_sample() {
        let mrz = Mrz::parse(&sample()).unwrap();
        assert_eq!(mrz.document_code, "ID");
        assert_eq!(mrz.issuing_state, "VNM");
        assert_eq!(mrz.document_number, "095001234");
        assert_eq!(mrz.optional_data_1, "022095001234<<8");
        assert_eq!(
            mrz.birth_date,
            MrzDate {
                yy: 95,
                month: 3,
                day: 15
            }
        );
        assert_eq!(mrz.birth_date.to_yymmdd(), "950315");
        assert_eq!(mrz.sex, MrzSex::Male);
        assert_eq!(
            mrz.expiry_date,
            Some(MrzDate {
                yy: 35,
                month: 3,
                day: 15
            })
        );
        assert_eq!(mrz.nationality, "VNM");
        assert_eq!(mrz.surname, "NGUYEN");
        assert_eq!(mrz.given_names, "VAN AN");
        assert_eq!(mrz.full_name(), "NGUYEN VAN AN");
        assert!(!mrz.name_truncated);
        let id = mrz.vietnamese_id().unwrap();
        assert_eq!(id.as_str(), "022095001234");
        assert_eq!(id.province_name(), Some("Quảng Ninh"));
        assert_eq!(mrz.birth_year(), Some(1995));
        assert_eq!(mrz.birth_date.resolve_birth(2026), 1995);
        // 90 characters on one line, CRLF line breaks, surrounding blank lines.
        assert_eq!(Mrz::parse(&format!("{L1}{L2}{L3}")).unwrap(), mrz);
        assert_eq!(
            Mrz::parse(&format!("\r\n  {L1}\r\n{L2}\r\n{L3}  \r\n\n")).unwrap(),
            mrz
        );
    }

    fn with_char(line: usize, pos: usize, c: char) -> String {
        let mut lines = [L1.to_owned(), L2.to_owned(), L3.to_owned()];
        lines[line - 1].replace_range(pos - 1..pos, &c.to_string());
        lines.join("\n")
    }

    #[test]
    fn each_check_digit_is_verified() {
        let cases = [
            (1, 15, CheckField::DocumentNumber, 0),
            (2, 7, CheckField::BirthDate, 7),
            (2, 15, CheckField::ExpiryDate, 5),
            (1, 30, CheckField::OptionalData, 8),
            (2, 30, CheckField::Composite, 6),
        ];
        for (line, position, field, expected) in cases {
            let err = Mrz::parse(&with_char(line, position, '1')).unwrap_err();
            assert_eq!(
                err,
                MrzError::CheckDigit {
                    field,
                    line: line as u8,
                    position: position as u8,
                    expected,
                    found: '1'
                }
            );
            assert!(err.message_en().contains(&format!("position {position}")));
        }
        // A changed data character breaks its own check first.
        assert!(matches!(
            Mrz::parse(&with_char(1, 6, '1')),
            Err(MrzError::CheckDigit {
                field: CheckField::DocumentNumber,
                ..
            })
        ));
        // A changed personal ID digit breaks the optional-data check.
        assert!(matches!(
            Mrz::parse(&with_char(1, 18, '3')),
            Err(MrzError::CheckDigit {
                field: CheckField::OptionalData,
                ..
            })
        ));
        // Optional data 2 is only covered by the composite.
        assert!(matches!(
            Mrz::parse(&with_char(2, 20, 'B')),
            Err(MrzError::CheckDigit {
                field: CheckField::Composite,
                ..
            })
        ));
    }

    #[test]
    fn structural_errors() {
        assert_eq!(
            Mrz::parse(&format!("{L1}\n{L2}")),
            Err(MrzError::LineCount { found: 2 })
        );
        assert_eq!(Mrz::parse(""), Err(MrzError::LineCount { found: 0 }));
        assert_eq!(
            Mrz::parse(&format!("{L1}\n{L2}<\n{L3}")),
            Err(MrzError::LineLength { line: 2, len: 31 })
        );
        assert_eq!(
            Mrz::parse(&with_char(3, 4, 'y')),
            Err(MrzError::InvalidChar {
                line: 3,
                position: 4,
                found: 'y'
            })
        );
        assert_eq!(
            Mrz::parse(&with_char(3, 4, 'Ễ')),
            Err(MrzError::InvalidChar {
                line: 3,
                position: 4,
                found: 'Ễ'
            })
        );
        assert_eq!(
            Mrz::parse(&with_char(1, 1, 'P')),
            Err(MrzError::DocumentCode { found: "PD".into() })
        );
        // Sex is covered by no check digit.
        assert_eq!(
            Mrz::parse(&with_char(2, 8, 'Q')),
            Err(MrzError::Sex {
                line: 2,
                position: 8,
                found: 'Q'
            })
        );
        let f = Mrz::parse(&with_char(2, 8, 'F')).unwrap();
        assert_eq!(f.sex, MrzSex::Female);
    }

    /// Builds a TD1 MRZ with correct check digits.
    fn build(doc: &str, opt1: &str, dob: &str, sex: char, exp: &str, l3: &str) -> String {
        let l1_head = format!("IDVNM{doc}{}", check_digit(doc).unwrap());
        let l1 = format!("{l1_head}{opt1:<<15}");
        let exp_field = if exp.is_empty() {
            "<<<<<<<".to_owned()
        } else {
            format!("{exp}{}", check_digit(exp).unwrap())
        };
        let dob_field = format!("{dob}{}", check_digit(dob).unwrap());
        let l2_head = format!("{dob_field}{sex}{exp_field}VNM<<<<<<<<<<<");
        let composite = format!("{}{}{}{}", &l1[5..], dob_field, exp_field, "<<<<<<<<<<<");
        let l2 = format!("{l2_head}{}", check_digit(&composite).unwrap());
        format!("{l1}\n{l2}\n{l3:<<30}")
    }

    #[test]
    fn builder_matches_reference() {
        assert_eq!(
            build(
                "095001234",
                "022095001234<<8",
                "950315",
                'M',
                "350315",
                "NGUYEN<<VAN<AN"
            ),
            sample()
        );
    }

    #[test]
    fn invalid_dates() {
        let m = build(
            "095001234",
            "022095001234<<8",
            "951315",
            'M',
            "350315",
            "A<<B",
        );
        assert_eq!(
            Mrz::parse(&m),
            Err(MrzError::InvalidDate {
                field: CheckField::BirthDate,
                line: 2,
                position: 1,
                value: "951315".into()
            })
        );
        let m = build(
            "095001234",
            "022095001234<<8",
            "950315",
            'M',
            "350230",
            "A<<B",
        );
        assert!(matches!(
            Mrz::parse(&m),
            Err(MrzError::InvalidDate {
                field: CheckField::ExpiryDate,
                ..
            })
        ));
        let m = build(
            "095001234",
            "022095001234<<8",
            "960229",
            'M',
            "350315",
            "A<<B",
        );
        assert!(Mrz::parse(&m).is_ok());
        let m = build(
            "095001234",
            "022095001234<<8",
            "950229",
            'M',
            "350315",
            "A<<B",
        );
        assert!(Mrz::parse(&m).is_err());
    }

    #[test]
    fn no_expiry_and_truncated_name() {
        let m = build(
            "095001234",
            "022095001234<<8",
            "500101",
            'F',
            "",
            "NGUYENTHIMINHKHAIHOANGLONGTRAN",
        );
        let mrz = Mrz::parse(&m).unwrap();
        assert_eq!(mrz.expiry_date, None);
        assert_eq!(mrz.sex, MrzSex::Female);
        assert!(mrz.name_truncated);
        assert_eq!(mrz.surname, "NGUYENTHIMINHKHAIHOANGLONGTRAN");
        assert_eq!(mrz.given_names, "");
        assert_eq!(mrz.full_name(), "NGUYENTHIMINHKHAIHOANGLONGTRAN");
    }

    #[test]
    fn vietnamese_layout_checks() {
        // Document number not matching the ID's last 9 digits.
        let m = build(
            "095001235",
            "022095001234<<8",
            "950315",
            'M',
            "350315",
            "A<<B",
        );
        let mrz = Mrz::parse(&m).unwrap();
        assert!(matches!(
            mrz.vietnamese_id(),
            Err(MrzError::DocumentNumberMismatch { .. })
        ));
        // 12 digits not followed by "<<".
        let m = build(
            "095001234",
            "0220950012341<8",
            "950315",
            'M',
            "350315",
            "A<<B",
        );
        assert_eq!(
            Mrz::parse(&m),
            Err(MrzError::NotVietnameseLayout {
                line: 1,
                position: 28
            })
        );
        // No ID in optional data: parses, but is not a Vietnamese ID card MRZ.
        let m = build("095001234", "", "950315", 'M', "350315", "A<<B");
        let mrz = Mrz::parse(&m).unwrap();
        assert_eq!(mrz.personal_id, None);
        assert!(matches!(
            mrz.vietnamese_id(),
            Err(MrzError::NotVietnameseLayout { .. })
        ));
        // Birth year needs consistent yy.
        let m = build(
            "095001234",
            "022095001234<<8",
            "960315",
            'M',
            "350315",
            "A<<B",
        );
        assert_eq!(Mrz::parse(&m).unwrap().birth_year(), None);
    }

    #[test]
    fn long_document_number_extension() {
        // Number "D23145890123" (12 chars): 9 in the field, '<', then "123" + check digit.
        let number = "D23145890123";
        let cd = check_digit(number).unwrap();
        let opt1 = format!("123{cd}");
        let l1 = format!("I<UTOD23145890<{opt1:<<15}");
        let dob = "7408122";
        let exp = "1204159";
        let composite = format!("{}{dob}{exp}<<<<<<<<<<<", &l1[5..]);
        let l2 = format!(
            "{dob}F{exp}UTO<<<<<<<<<<<{}",
            check_digit(&composite).unwrap()
        );
        let text = format!("{l1}\n{l2}\nERIKSSON<<ANNA<MARIA<<<<<<<<<<");
        let mrz = Mrz::parse(&text).unwrap();
        assert_eq!(mrz.document_number, number);
    }

    #[test]
    fn resolve_birth_century() {
        let d = MrzDate {
            yy: 26,
            month: 1,
            day: 1,
        };
        assert_eq!(d.resolve_birth(2026), 2026);
        assert_eq!(d.resolve_birth(2025), 1926);
        let d = MrzDate {
            yy: 0,
            month: 1,
            day: 1,
        };
        assert_eq!(d.resolve_birth(2026), 2000);
    }

    #[test]
    fn error_texts() {
        let errs = [
            MrzError::LineCount { found: 1 },
            MrzError::LineLength { line: 1, len: 2 },
            MrzError::InvalidChar {
                line: 1,
                position: 1,
                found: 'a',
            },
            MrzError::DocumentCode { found: "P<".into() },
            MrzError::CheckDigit {
                field: CheckField::Composite,
                line: 2,
                position: 30,
                expected: 6,
                found: '1',
            },
            MrzError::InvalidDate {
                field: CheckField::BirthDate,
                line: 2,
                position: 1,
                value: "991399".into(),
            },
            MrzError::Sex {
                line: 2,
                position: 8,
                found: 'Q',
            },
            MrzError::NotVietnameseLayout {
                line: 1,
                position: 16,
            },
            MrzError::DocumentNumberMismatch {
                document_number: "1".into(),
                personal_id: "2".into(),
            },
        ];
        for e in &errs {
            assert!(e.code().starts_with("mrz."));
            assert!(!e.message_vi().is_empty());
            assert_eq!(e.to_string(), e.message_en());
        }
        assert!(errs[5].message_vi().starts_with("Ngày sinh"));
    }
}
