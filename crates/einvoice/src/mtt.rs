//! Cash-register tax-authority code (`MCCQT` of an MTT invoice):
//! `M{form}-{yy}-{5-character code}-{11-digit sequence}`, 23 characters,
//! e.g. `M1-24-VZQYY-00000000001`. The 5-character code comes from acceptance notice 103;
//! the sequence starts at 1 and is kept per year by the seller's software.

use std::fmt;
use std::str::FromStr;

/// Why a string is not an MTT code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MttCodeError {
    /// Not 23 characters.
    Length,
    /// Does not start with `M`, or a `-` is missing.
    Layout,
    /// Form number not 1–6.
    Form,
    /// Year not two digits.
    Year,
    /// The 5-character code is not `A-Z0-9`.
    Code,
    /// The sequence is not 11 digits, or is zero.
    Sequence,
}

impl fmt::Display for MttCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            MttCodeError::Length => "MTT code must be 23 characters",
            MttCodeError::Layout => "MTT code must look like M1-24-ABCDE-00000000001",
            MttCodeError::Form => "MTT code form number must be 1-6",
            MttCodeError::Year => "MTT code year must be two digits",
            MttCodeError::Code => "MTT code must carry a 5-character code of A-Z, 0-9",
            MttCodeError::Sequence => "MTT code sequence must be 11 digits, from 1",
        };
        f.write_str(s)
    }
}

impl std::error::Error for MttCodeError {}

/// Largest 11-digit sequence.
pub const MAX_SEQUENCE: u64 = 99_999_999_999;

/// A parsed MTT code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MttCode {
    form: u8,
    year: u8,
    code: [u8; 5],
    sequence: u64,
}

fn valid_code_char(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}

impl MttCode {
    /// Build a code; `year` is the last two digits, `code` the 5-char code from notice 103.
    pub fn new(form: u8, year: u8, code: &str, sequence: u64) -> Result<MttCode, MttCodeError> {
        if !(1..=6).contains(&form) {
            return Err(MttCodeError::Form);
        }
        if year > 99 {
            return Err(MttCodeError::Year);
        }
        let cb = code.as_bytes();
        if cb.len() != 5 || !cb.iter().all(|b| valid_code_char(*b)) {
            return Err(MttCodeError::Code);
        }
        if sequence == 0 || sequence > MAX_SEQUENCE {
            return Err(MttCodeError::Sequence);
        }
        let mut c = [0u8; 5];
        c.copy_from_slice(cb);
        Ok(MttCode {
            form,
            year,
            code: c,
            sequence,
        })
    }

    /// Parse and validate.
    pub fn parse(s: &str) -> Result<MttCode, MttCodeError> {
        let b = s.as_bytes();
        if b.len() != 23 {
            return Err(MttCodeError::Length);
        }
        if b[0] != b'M' || b[2] != b'-' || b[5] != b'-' || b[11] != b'-' {
            return Err(MttCodeError::Layout);
        }
        if !b[1].is_ascii_digit() {
            return Err(MttCodeError::Form);
        }
        if !b[3].is_ascii_digit() || !b[4].is_ascii_digit() {
            return Err(MttCodeError::Year);
        }
        if !b[12..].iter().all(u8::is_ascii_digit) {
            return Err(MttCodeError::Sequence);
        }
        let code = std::str::from_utf8(&b[6..11]).map_err(|_| MttCodeError::Code)?;
        let seq: u64 = s[12..].parse().map_err(|_| MttCodeError::Sequence)?;
        MttCode::new(b[1] - b'0', (b[3] - b'0') * 10 + (b[4] - b'0'), code, seq)
    }

    /// Form number `KHMSHDon`.
    pub fn form(&self) -> u8 {
        self.form
    }
    /// Two-digit year.
    pub fn year(&self) -> u8 {
        self.year
    }
    /// The 5-character code from notice 103.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("")
    }
    /// The sequence number.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }
    /// The code with the next sequence, `None` after 99 999 999 999.
    pub fn next(&self) -> Option<MttCode> {
        (self.sequence < MAX_SEQUENCE).then(|| MttCode {
            sequence: self.sequence + 1,
            ..*self
        })
    }
}

impl fmt::Display for MttCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "M{}-{:02}-{}-{:011}",
            self.form,
            self.year,
            self.code(),
            self.sequence
        )
    }
}

impl FromStr for MttCode {
    type Err = MttCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MttCode::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_format() {
        let c = MttCode::parse("M1-24-VZQYY-00000000001").unwrap();
        assert_eq!(c.form(), 1);
        assert_eq!(c.year(), 24);
        assert_eq!(c.code(), "VZQYY");
        assert_eq!(c.sequence(), 1);
        assert_eq!(c.to_string(), "M1-24-VZQYY-00000000001");
        assert_eq!(c.next().unwrap().to_string(), "M1-24-VZQYY-00000000002");
        let m = MttCode::new(2, 5, "ZMFWJ", 12_345).unwrap();
        assert_eq!(m.to_string(), "M2-05-ZMFWJ-00000012345");
        assert_eq!(m.to_string().len(), 23);
        assert!(
            MttCode::new(1, 25, "AB1C2", MAX_SEQUENCE)
                .unwrap()
                .next()
                .is_none()
        );
    }

    #[test]
    fn errors() {
        use MttCodeError::*;
        for (s, e) in [
            ("M1-24-VZQYY-0000000001", Length),
            ("X1-24-VZQYY-00000000001", Layout),
            ("M1_24-VZQYY-00000000001", Layout),
            ("M7-24-VZQYY-00000000001", Form),
            ("M0-24-VZQYY-00000000001", Form),
            ("M1-2A-VZQYY-00000000001", Year),
            ("M1-24-VZqYY-00000000001", Code),
            ("M1-24-VZQYY-00000000000", Sequence),
            ("M1-24-VZQYY-0000000000a", Sequence),
            ("M1-24-VZQ\u{e0}-00000000001", Code),
        ] {
            assert_eq!(MttCode::parse(s), Err(e), "{s}");
        }
    }
}
