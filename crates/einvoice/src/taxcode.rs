//! Vietnamese tax codes (mã số thuế, `MST`).
//!
//! Accepted forms: 10 digits (enterprise/individual, last digit is a check digit), 13 digits
//! or `10 digits-3 digits` (dependent unit/branch: the first ten must be a valid 10-digit code),
//! and 12 digits (personal identification number used as tax code since 2025; no check digit).

/// Which form a valid tax code has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxCodeKind {
    /// 10 digits with check digit.
    Ten,
    /// 13 digits, written `NNNNNNNNNN-NNN` or without the dash.
    Branch,
    /// 12-digit personal identification number.
    PersonalId,
}

/// Why a tax code is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxCodeError {
    /// Not 10, 12 or 13 digits (optionally with a dash after the 10th).
    Format,
    /// The 10th digit does not match the check digit.
    CheckDigit,
}

const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];

/// Check digit of the first nine digits: `c = 10 − (Σ dᵢ·wᵢ mod 11)`; `None` when that is 10
/// (no code with such a prefix is issued).
pub fn check_digit(first9: &[u8; 9]) -> Option<u8> {
    let sum: u32 = first9
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    let c = 10 - (sum % 11);
    if c >= 10 { None } else { Some(c as u8) }
}

fn check_ten(d: &[u8]) -> Result<(), TaxCodeError> {
    let mut first9 = [0u8; 9];
    first9.copy_from_slice(&d[..9]);
    match check_digit(&first9) {
        Some(c) if c == d[9] => Ok(()),
        _ => Err(TaxCodeError::CheckDigit),
    }
}

/// Validate a tax code and tell its form.
pub fn validate_tax_code(s: &str) -> Result<TaxCodeKind, TaxCodeError> {
    let b = s.as_bytes();
    let digits: Vec<u8> = if b.len() == 14 && b[10] == b'-' {
        b[..10].iter().chain(&b[11..]).copied().collect()
    } else {
        b.to_vec()
    };
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(TaxCodeError::Format);
    }
    let d: Vec<u8> = digits.iter().map(|c| c - b'0').collect();
    match (d.len(), b.len()) {
        (10, 10) => check_ten(&d).map(|()| TaxCodeKind::Ten),
        (13, _) => check_ten(&d).map(|()| TaxCodeKind::Branch),
        (12, 12) => Ok(TaxCodeKind::PersonalId),
        _ => Err(TaxCodeError::Format),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_codes() {
        for ok in [
            "0106324653",
            "0102182292",
            "0309478306",
            "0106322455",
            "0101352495",
        ] {
            assert_eq!(validate_tax_code(ok), Ok(TaxCodeKind::Ten), "{ok}");
        }
        assert_eq!(validate_tax_code("0102182292-998"), Ok(TaxCodeKind::Branch));
        assert_eq!(validate_tax_code("0102182292998"), Ok(TaxCodeKind::Branch));
        assert_eq!(
            validate_tax_code("001099012345"),
            Ok(TaxCodeKind::PersonalId)
        );
    }

    #[test]
    fn bad_codes() {
        assert_eq!(
            validate_tax_code("0106324654"),
            Err(TaxCodeError::CheckDigit)
        );
        assert_eq!(
            validate_tax_code("0102182293-998"),
            Err(TaxCodeError::CheckDigit)
        );
        assert_eq!(validate_tax_code("010632465"), Err(TaxCodeError::Format));
        assert_eq!(validate_tax_code("01063246a3"), Err(TaxCodeError::Format));
        assert_eq!(validate_tax_code(""), Err(TaxCodeError::Format));
        assert_eq!(
            validate_tax_code("0102182292-99"),
            Err(TaxCodeError::Format)
        );
    }
}
