//! Vietnamese tax codes (mã số thuế, MST).
//!
//! Three forms are accepted (Law on Tax Administration; Circular 105/2020/TT-BTC replaced by
//! Circular 86/2024/TT-BTC):
//!
//! * **Enterprise** — 10 digits `N1N2 N3…N9 N10`: province of establishment, a sequence
//!   `0000001–9999999` (never all zeros) and a check digit.
//! * **Branch** — 13 digits: a valid 10-digit parent code + a branch number `001–999`, normally
//!   written `0314409058-002`.
//! * **Personal** — since 1 July 2025 the 12-digit personal ID number is the tax code of
//!   individuals, households and household businesses. Only its structure (12 digits) is checked.
//!
//! Check digit: weights `31, 29, 23, 19, 17, 13, 7, 5, 3` over digits 1–9,
//! `c = 10 − (Σ wᵢ·dᵢ mod 11)`; valid iff `c == N10`. When `Σ mod 11 == 0` the check digit would be
//! 10, so no valid code has those first nine digits.
//!
//! ```
//! use identity::tax_code::{TaxCode, TaxCodeError, TaxCodeKind};
//! let mst = TaxCode::parse("0100233488").unwrap();
//! assert_eq!(mst.kind(), TaxCodeKind::Enterprise);
//! let branch = TaxCode::parse("0314409058 002").unwrap();
//! assert_eq!(branch.as_str(), "0314409058-002");
//! assert_eq!(branch.kind(), TaxCodeKind::Branch);
//! assert_eq!(
//!     TaxCode::parse("0100233480"),
//!     Err(TaxCodeError::BadCheckDigit { expected: Some(8), found: 0 })
//! );
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::personal_id::{self, PersonalId, PersonalIdError};

/// Weights applied to digits 1–9 for the check digit.
pub const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];

/// Which form a tax code has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxCodeKind {
    /// 10 digits: an enterprise or organisation.
    Enterprise,
    /// 13 digits: a branch or dependent unit (`parent-NNN`).
    Branch,
    /// 12 digits: the personal ID used as a tax code since 1 July 2025.
    Personal,
}

/// A validated tax code in normalised form: `"0100233488"`, `"0314409058-002"` or 12 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaxCode {
    normalised: String,
    kind: TaxCodeKind,
}

/// Why a string is not a valid tax code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TaxCodeError {
    /// Nothing left after removing separators.
    Empty,
    /// A character other than an ASCII digit, whitespace, `-` or `.`.
    NonDigit,
    /// Not 10, 12 or 13 digits; `len` is the number of digits found.
    WrongLength { len: usize },
    /// The 10th digit does not match. `expected` is `None` when the first nine digits admit no
    /// valid check digit (Σ mod 11 = 0).
    BadCheckDigit { expected: Option<u8>, found: u8 },
    /// Digits 3–9 (the sequence number) are all zero.
    ZeroSequence,
    /// The branch number (digits 11–13) is `000`.
    ZeroBranch,
    /// A 12-digit code that is not a valid personal ID.
    BadPersonalId(PersonalIdError),
}

impl TaxCodeError {
    /// Stable machine-readable code, e.g. `"tax_code.bad_check_digit"`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "tax_code.empty",
            Self::NonDigit => "tax_code.non_digit",
            Self::WrongLength { .. } => "tax_code.wrong_length",
            Self::BadCheckDigit { .. } => "tax_code.bad_check_digit",
            Self::ZeroSequence => "tax_code.zero_sequence",
            Self::ZeroBranch => "tax_code.zero_branch",
            Self::BadPersonalId(_) => "tax_code.bad_personal_id",
        }
    }

    /// Message for Vietnamese-speaking users.
    pub fn message_vi(&self) -> String {
        match self {
            Self::Empty => "Mã số thuế không được để trống".to_owned(),
            Self::NonDigit => {
                "Mã số thuế chỉ được chứa chữ số (cho phép dấu cách, dấu gạch ngang, dấu chấm)"
                    .to_owned()
            }
            Self::WrongLength { len } => format!(
                "Mã số thuế phải có 10 chữ số (doanh nghiệp), 13 chữ số (chi nhánh) hoặc 12 chữ số \
                 (số định danh cá nhân); nhận được {len} chữ số"
            ),
            Self::BadCheckDigit {
                expected: Some(e),
                found,
            } => format!("Chữ số kiểm tra của mã số thuế không đúng: cần {e}, nhận được {found}"),
            Self::BadCheckDigit {
                expected: None,
                found,
            } => format!(
                "Chữ số kiểm tra của mã số thuế không đúng: chín chữ số đầu không thể có chữ số \
                 kiểm tra hợp lệ (nhận được {found})"
            ),
            Self::ZeroSequence => {
                "Số thứ tự trong mã số thuế (chữ số thứ 3 đến 9) không được toàn số 0".to_owned()
            }
            Self::ZeroBranch => {
                "Mã đơn vị phụ thuộc (3 chữ số cuối) phải từ 001 đến 999".to_owned()
            }
            Self::BadPersonalId(e) => {
                format!("Mã số thuế cá nhân không hợp lệ: {}", e.message_vi())
            }
        }
    }

    /// Message for English-speaking users.
    pub fn message_en(&self) -> String {
        match self {
            Self::Empty => "The tax code is empty".to_owned(),
            Self::NonDigit => {
                "The tax code may contain digits only (spaces, '-' and '.' are allowed)".to_owned()
            }
            Self::WrongLength { len } => format!(
                "A tax code has 10 digits (enterprise), 13 digits (branch) or 12 digits \
                 (personal ID); got {len} digits"
            ),
            Self::BadCheckDigit {
                expected: Some(e),
                found,
            } => format!("Wrong tax code check digit: expected {e}, found {found}"),
            Self::BadCheckDigit {
                expected: None,
                found,
            } => format!(
                "Wrong tax code check digit: the first nine digits admit no valid check digit \
                 (found {found})"
            ),
            Self::ZeroSequence => {
                "The sequence number of the tax code (digits 3 to 9) cannot be all zeros".to_owned()
            }
            Self::ZeroBranch => {
                "The branch number (last 3 digits) must be between 001 and 999".to_owned()
            }
            Self::BadPersonalId(e) => format!("Invalid personal tax code: {}", e.message_en()),
        }
    }
}

impl fmt::Display for TaxCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en())
    }
}

impl std::error::Error for TaxCodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::BadPersonalId(e) => Some(e),
            _ => None,
        }
    }
}

impl From<PersonalIdError> for TaxCodeError {
    fn from(e: PersonalIdError) -> Self {
        Self::BadPersonalId(e)
    }
}

/// Check digit for the first nine digits of an enterprise tax code (digit values `0..=9`, not
/// ASCII). Returns `None` when `Σ wᵢ·dᵢ mod 11 == 0` (no valid code starts with these digits), and
/// also when an element is not a digit value (> 9).
///
/// ```
/// assert_eq!(identity::tax_code::check_digit(&[0, 1, 0, 0, 2, 3, 3, 4, 8]), Some(8));
/// ```
pub fn check_digit(first9: &[u8; 9]) -> Option<u8> {
    if first9.iter().any(|&d| d > 9) {
        return None;
    }
    let sum: u32 = first9
        .iter()
        .zip(WEIGHTS)
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    match sum % 11 {
        0 => None,
        r => Some((10 - r) as u8), // r in 1..=10 → 9..=0
    }
}

/// Validates 10 ASCII digits as an enterprise code.
fn check_enterprise(d: &[u8]) -> Result<(), TaxCodeError> {
    debug_assert_eq!(d.len(), 10);
    if d[2..9].iter().all(|&b| b == b'0') {
        return Err(TaxCodeError::ZeroSequence);
    }
    let mut first9 = [0u8; 9];
    for (dst, &b) in first9.iter_mut().zip(d) {
        *dst = b - b'0';
    }
    let expected = check_digit(&first9);
    let found = d[9] - b'0';
    if expected == Some(found) {
        Ok(())
    } else {
        Err(TaxCodeError::BadCheckDigit { expected, found })
    }
}

impl TaxCode {
    /// Parses and validates a tax code. Whitespace, `-` and `.` are removed first; then
    /// 10 digits = enterprise code with a valid check digit and non-zero sequence, 13 digits = a
    /// valid enterprise code + branch `001–999`, 12 digits = a personal ID.
    pub fn parse(input: &str) -> Result<TaxCode, TaxCodeError> {
        let mut digits = String::with_capacity(13);
        for c in input.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !personal_id::is_separator(c) {
                return Err(TaxCodeError::NonDigit);
            }
        }
        let bytes = digits.as_bytes();
        match bytes.len() {
            0 => Err(TaxCodeError::Empty),
            10 => {
                check_enterprise(bytes)?;
                Ok(TaxCode {
                    normalised: digits,
                    kind: TaxCodeKind::Enterprise,
                })
            }
            13 => {
                check_enterprise(&bytes[..10])?;
                if &bytes[10..] == b"000" {
                    return Err(TaxCodeError::ZeroBranch);
                }
                digits.insert(10, '-');
                Ok(TaxCode {
                    normalised: digits,
                    kind: TaxCodeKind::Branch,
                })
            }
            personal_id::LEN => {
                let id = PersonalId::from_digits(digits)?;
                Ok(TaxCode {
                    normalised: id.as_str().to_owned(),
                    kind: TaxCodeKind::Personal,
                })
            }
            len => Err(TaxCodeError::WrongLength { len }),
        }
    }

    /// Normalised form: `"0100233488"`, `"0314409058-002"` or the 12 digits of a personal ID.
    pub fn as_str(&self) -> &str {
        &self.normalised
    }

    /// Which form this code has.
    pub fn kind(&self) -> TaxCodeKind {
        self.kind
    }

    /// The digits only (no `-`): 10, 13 or 12 digits.
    pub fn digits(&self) -> String {
        self.normalised.replace('-', "")
    }

    /// The 10-digit parent code of a branch code; the code itself for an enterprise code; `None`
    /// for a personal tax code.
    pub fn parent(&self) -> Option<TaxCode> {
        match self.kind {
            TaxCodeKind::Enterprise => Some(self.clone()),
            TaxCodeKind::Branch => Some(TaxCode {
                normalised: self.normalised[..10].to_owned(),
                kind: TaxCodeKind::Enterprise,
            }),
            TaxCodeKind::Personal => None,
        }
    }

    /// Branch number (1–999) of a branch code.
    pub fn branch(&self) -> Option<u16> {
        match self.kind {
            TaxCodeKind::Branch => self.normalised[11..].parse().ok(),
            _ => None,
        }
    }

    /// Two-digit province-of-establishment prefix (`N1N2`) of an enterprise or branch code.
    pub fn province_prefix(&self) -> Option<&str> {
        match self.kind {
            TaxCodeKind::Personal => None,
            _ => Some(&self.normalised[..2]),
        }
    }

    /// The personal ID of a personal tax code.
    pub fn personal_id(&self) -> Option<PersonalId> {
        match self.kind {
            TaxCodeKind::Personal => PersonalId::parse(&self.normalised).ok(),
            _ => None,
        }
    }
}

impl fmt::Display for TaxCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalised)
    }
}

impl FromStr for TaxCode {
    type Err = TaxCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for TaxCode {
    fn as_ref(&self) -> &str {
        &self.normalised
    }
}

impl From<PersonalId> for TaxCode {
    fn from(id: PersonalId) -> Self {
        TaxCode {
            normalised: id.as_str().to_owned(),
            kind: TaxCodeKind::Personal,
        }
    }
}

impl Serialize for TaxCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.normalised)
    }
}

impl<'de> Deserialize<'de> for TaxCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        TaxCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_vectors() {
        // python-stdnum doctests and the worked example of the reference.
        let t = TaxCode::parse("0100233488").unwrap();
        assert_eq!(t.as_str(), "0100233488");
        assert_eq!(t.kind(), TaxCodeKind::Enterprise);
        assert_eq!(t.province_prefix(), Some("01"));

        let b = TaxCode::parse("0314409058-002").unwrap();
        assert_eq!(b.as_str(), "0314409058-002");
        assert_eq!(b.kind(), TaxCodeKind::Branch);
        assert_eq!(b.branch(), Some(2));
        assert_eq!(b.parent().unwrap().as_str(), "0314409058");
        assert_eq!(b.digits(), "0314409058002");

        assert_eq!(
            TaxCode::parse("0100233480"),
            Err(TaxCodeError::BadCheckDigit {
                expected: Some(8),
                found: 0
            })
        );
    }

    #[test]
    fn worked_example_sum() {
        let d = [0u32, 1, 0, 0, 2, 3, 3, 4, 8];
        let sum: u32 = d.iter().zip(WEIGHTS).map(|(a, w)| a * w).sum();
        assert_eq!(sum, 167);
        assert_eq!(sum % 11, 2);
        assert_eq!(check_digit(&[0, 1, 0, 0, 2, 3, 3, 4, 8]), Some(8));
        assert_eq!(check_digit(&[0, 3, 1, 4, 4, 0, 9, 0, 5]), Some(8));
    }

    #[test]
    fn separators_normalise() {
        for s in [
            "0100233488",
            " 0100 233 488 ",
            "01-00233488",
            "0100.233.488",
            "\t0100233488\n",
        ] {
            assert_eq!(TaxCode::parse(s).unwrap().as_str(), "0100233488", "{s:?}");
        }
        for s in [
            "0314409058002",
            "0314409058 002",
            "0314409058.002",
            "0314-409-058-002",
        ] {
            assert_eq!(
                TaxCode::parse(s).unwrap().as_str(),
                "0314409058-002",
                "{s:?}"
            );
        }
    }

    #[test]
    fn personal_tax_code() {
        let t = TaxCode::parse("022095001234").unwrap();
        assert_eq!(t.kind(), TaxCodeKind::Personal);
        assert_eq!(t.as_str(), "022095001234");
        assert_eq!(t.personal_id().unwrap().birth_year(), 1995);
        assert_eq!(t.parent(), None);
        assert_eq!(t.branch(), None);
        assert_eq!(t.province_prefix(), None);
        // Unknown prefixes are fine: only the 12-digit structure is checked.
        assert!(TaxCode::parse("999999999999").is_ok());
        assert_eq!(TaxCode::from(PersonalId::parse("022095001234").unwrap()), t);
    }

    #[test]
    fn errors() {
        assert_eq!(TaxCode::parse(""), Err(TaxCodeError::Empty));
        assert_eq!(TaxCode::parse("  -. "), Err(TaxCodeError::Empty));
        assert_eq!(TaxCode::parse("010023348A"), Err(TaxCodeError::NonDigit));
        assert_eq!(TaxCode::parse("0100/233488"), Err(TaxCodeError::NonDigit));
        assert_eq!(TaxCode::parse("٠١٠٠٢٣٣٤٨٨"), Err(TaxCodeError::NonDigit));
        assert_eq!(
            TaxCode::parse("010023348"),
            Err(TaxCodeError::WrongLength { len: 9 })
        );
        assert_eq!(
            TaxCode::parse("01002334881"),
            Err(TaxCodeError::WrongLength { len: 11 })
        );
        assert_eq!(
            TaxCode::parse("01002334880011"),
            Err(TaxCodeError::WrongLength { len: 14 })
        );
        // Zero sequence, even with an arithmetically valid check digit (Σ = 29 → c = 3).
        assert_eq!(
            TaxCode::parse("0100000003"),
            Err(TaxCodeError::ZeroSequence)
        );
        assert_eq!(
            TaxCode::parse("0314409058-000"),
            Err(TaxCodeError::ZeroBranch)
        );
        // Branch with a bad parent reports the parent's error.
        assert_eq!(
            TaxCode::parse("0314409059-002"),
            Err(TaxCodeError::BadCheckDigit {
                expected: Some(8),
                found: 9
            })
        );
    }

    #[test]
    fn impossible_check_digit() {
        // Search a small space for nine digits whose weighted sum is 0 mod 11 (non-zero sequence).
        let mut found = None;
        'outer: for a in 0..10u8 {
            for b in 0..10u8 {
                let first9 = [1, a, 0, 0, 0, 0, 0, 0, b];
                if check_digit(&first9).is_none() {
                    found = Some(first9);
                    break 'outer;
                }
            }
        }
        let first9 = found.unwrap();
        let s: String = first9.iter().map(|d| char::from(b'0' + d)).collect();
        for last in 0..10 {
            assert_eq!(
                TaxCode::parse(&format!("{s}{last}")),
                Err(TaxCodeError::BadCheckDigit {
                    expected: None,
                    found: last
                })
            );
        }
    }

    #[test]
    fn check_digit_rejects_non_digit_values() {
        assert_eq!(check_digit(&[0, 1, 0, 0, 2, 3, 3, 4, 10]), None);
        assert_eq!(check_digit(&[b'0'; 9]), None);
    }

    #[test]
    fn check_digit_zero_is_possible() {
        // Σ mod 11 = 10 gives check digit 0, so every digit 0–9 can be a check digit.
        let mut seen = [false; 10];
        for a in 0..10u8 {
            for b in 0..10u8 {
                if let Some(c) = check_digit(&[0, 1, a, 0, 0, 0, 0, 0, b]) {
                    seen[usize::from(c)] = true;
                }
            }
        }
        assert!(
            seen.iter().all(|&s| s),
            "every check digit 0–9 occurs: {seen:?}"
        );
        assert_eq!(check_digit(&[0, 0, 0, 0, 0, 0, 0, 0, 1]), Some(7));
    }

    #[test]
    fn error_texts_and_codes() {
        let all = [
            TaxCodeError::Empty,
            TaxCodeError::NonDigit,
            TaxCodeError::WrongLength { len: 3 },
            TaxCodeError::BadCheckDigit {
                expected: Some(8),
                found: 0,
            },
            TaxCodeError::BadCheckDigit {
                expected: None,
                found: 0,
            },
            TaxCodeError::ZeroSequence,
            TaxCodeError::ZeroBranch,
            TaxCodeError::BadPersonalId(PersonalIdError::WrongLength { len: 3 }),
        ];
        let mut codes: Vec<_> = all.iter().map(TaxCodeError::code).collect();
        codes.dedup();
        assert_eq!(codes.len(), 7);
        for e in &all {
            assert!(e.code().starts_with("tax_code."));
            assert!(!e.message_vi().is_empty());
            assert!(!e.message_en().is_empty());
            assert_eq!(e.to_string(), e.message_en());
        }
        assert!(
            TaxCodeError::BadCheckDigit {
                expected: Some(8),
                found: 0
            }
            .message_vi()
            .contains("cần 8")
        );
        let e = TaxCodeError::from(PersonalIdError::Empty);
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn traits() {
        let t: TaxCode = "0100233488".parse().unwrap();
        assert_eq!(t.to_string(), "0100233488");
        assert_eq!(t.as_ref(), "0100233488");
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"0100233488\"");
        assert_eq!(serde_json::from_str::<TaxCode>(&json).unwrap(), t);
        assert_eq!(
            serde_json::from_str::<TaxCode>("\"0314409058002\"")
                .unwrap()
                .as_str(),
            "0314409058-002"
        );
        assert!(serde_json::from_str::<TaxCode>("\"0100233480\"").is_err());
        assert_eq!(
            serde_json::to_string(&TaxCodeKind::Branch).unwrap(),
            "\"branch\""
        );
    }
}
