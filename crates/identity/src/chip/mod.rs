//! The chip of the CCCD / Căn cước card (ICAO 9303 Parts 10 and 11, LDS 1.7): DG1 (the MRZ),
//! EF.SOD (the Document Security Object) and passive authentication.
//!
//! * [`Dg1::parse`] — `61 L { 5F1F L <90 MRZ bytes> }` → [`Mrz`].
//! * [`Sod::parse`] — `77 L { ContentInfo(SignedData(LDSSecurityObject)) }`: hash algorithm,
//!   data-group hashes, document signer (DS) certificate, signed attributes, signature.
//! * [`passive_authentication`] — DG hashes, `messageDigest`, the SOD signature (with `ring`),
//!   and the DS certificate against configured CSCA certificates, in a [`PaReport`].
//!
//! Parsing uses a small strict DER reader (definite minimal lengths, no trailing bytes, errors
//! with absolute byte offsets) and never panics on any input.
//!
//! ```
//! use identity::chip::Dg1;
//! let mut dg1 = vec![0x61, 0x5D, 0x5F, 0x1F, 0x5A];
//! dg1.extend_from_slice(
//!     b"IDVNM0950012340022095001234<<89503157M3503155VNM<<<<<<<<<<<6NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<",
//! );
//! let dg1 = Dg1::parse(&dg1).unwrap();
//! assert_eq!(dg1.mrz.full_name(), "NGUYEN VAN AN");
//! assert_eq!(dg1.mrz_lines()[1], "9503157M3503155VNM<<<<<<<<<<<6");
//! ```

use std::fmt;

use crate::mrz::{Mrz, MrzError};

mod cert;
mod der;
mod pa;
mod sod;

pub use cert::{
    AlgorithmId, Certificate, HashAlgorithm, PublicKey, SignatureAlgorithm, SignatureScheme,
};
pub use pa::{CheckStatus, PaCheck, PaCheckKind, PaReport, passive_authentication};
pub use sod::{
    DataGroupHash, OID_LDS_SECURITY_OBJECT, OID_SIGNED_DATA, SignerIdentifier, SignerInfo, Sod,
};

/// Why chip data was rejected. Offsets are 0-based byte positions in the parsed input (for a
/// certificate: in the certificate's own bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChipError {
    /// The input ends inside a tag, a length or a required element.
    Truncated { offset: usize },
    /// BER indefinite length (`80`), not allowed.
    IndefiniteLength { offset: usize },
    /// A tag or length not in its shortest form.
    NonMinimal { offset: usize },
    /// A length of more than 4 bytes.
    LengthTooLarge { offset: usize },
    /// A length beyond the bytes available in the enclosing element.
    LengthOverrun {
        offset: usize,
        length: usize,
        available: usize,
    },
    /// A different element than the structure requires. Tags as ICAO writes them (`0x5F1F`).
    UnexpectedTag {
        offset: usize,
        expected: u32,
        found: u32,
    },
    /// Bytes after the end of a structure.
    TrailingData { offset: usize, len: usize },
    /// A structural rule broken (bad INTEGER, OID, BIT STRING, time, duplicate, ...).
    Malformed { offset: usize, what: &'static str },
    /// An object identifier other than the one required.
    UnexpectedOid {
        offset: usize,
        expected: &'static str,
        found: String,
    },
    /// A hash or other algorithm this crate does not implement.
    UnsupportedAlgorithm { offset: usize, oid: String },
    /// A required element is absent.
    Missing { offset: usize, what: &'static str },
    /// The DG1 MRZ is not 90 characters (TD1).
    MrzLength { offset: usize, len: usize },
    /// A DG1 MRZ byte that is not printable ASCII.
    MrzEncoding { offset: usize },
    /// The DG1 MRZ does not parse; `offset` is where the MRZ bytes start.
    Mrz { offset: usize, error: MrzError },
}

impl ChipError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Truncated { .. } => "chip.truncated",
            Self::IndefiniteLength { .. } => "chip.indefinite_length",
            Self::NonMinimal { .. } => "chip.non_minimal",
            Self::LengthTooLarge { .. } => "chip.length_too_large",
            Self::LengthOverrun { .. } => "chip.length_overrun",
            Self::UnexpectedTag { .. } => "chip.unexpected_tag",
            Self::TrailingData { .. } => "chip.trailing_data",
            Self::Malformed { .. } => "chip.malformed",
            Self::UnexpectedOid { .. } => "chip.unexpected_oid",
            Self::UnsupportedAlgorithm { .. } => "chip.unsupported_algorithm",
            Self::Missing { .. } => "chip.missing",
            Self::MrzLength { .. } => "chip.mrz_length",
            Self::MrzEncoding { .. } => "chip.mrz_encoding",
            Self::Mrz { .. } => "chip.mrz",
        }
    }

    /// Byte offset the error refers to.
    pub fn offset(&self) -> usize {
        match self {
            Self::Truncated { offset }
            | Self::IndefiniteLength { offset }
            | Self::NonMinimal { offset }
            | Self::LengthTooLarge { offset }
            | Self::LengthOverrun { offset, .. }
            | Self::UnexpectedTag { offset, .. }
            | Self::TrailingData { offset, .. }
            | Self::Malformed { offset, .. }
            | Self::UnexpectedOid { offset, .. }
            | Self::UnsupportedAlgorithm { offset, .. }
            | Self::Missing { offset, .. }
            | Self::MrzLength { offset, .. }
            | Self::MrzEncoding { offset }
            | Self::Mrz { offset, .. } => *offset,
        }
    }

    /// Message for Vietnamese-speaking users.
    pub fn message_vi(&self) -> String {
        let o = self.offset();
        match self {
            Self::Truncated { .. } => format!("Dữ liệu chip bị cắt cụt tại byte {o}"),
            Self::IndefiniteLength { .. } => {
                format!("Độ dài không xác định (BER) tại byte {o} không được chấp nhận")
            }
            Self::NonMinimal { .. } => format!("Mã hóa thẻ/độ dài không tối giản tại byte {o}"),
            Self::LengthTooLarge { .. } => format!("Độ dài quá lớn tại byte {o}"),
            Self::LengthOverrun {
                length, available, ..
            } => format!(
                "Phần tử tại byte {o} khai báo độ dài {length} nhưng chỉ còn {available} byte"
            ),
            Self::UnexpectedTag {
                expected, found, ..
            } => format!("Tại byte {o} cần thẻ {expected:02X}, nhận được {found:02X}"),
            Self::TrailingData { len, .. } => format!("Thừa {len} byte từ byte {o}"),
            Self::Malformed { what, .. } => format!("Cấu trúc sai tại byte {o}: {what}"),
            Self::UnexpectedOid {
                expected, found, ..
            } => format!("Tại byte {o} cần OID {expected}, nhận được {found}"),
            Self::UnsupportedAlgorithm { oid, .. } => {
                format!("Thuật toán {oid} tại byte {o} không được hỗ trợ")
            }
            Self::Missing { what, .. } => format!("Thiếu {what} (byte {o})"),
            Self::MrzLength { len, .. } => {
                format!("MRZ trong DG1 (byte {o}) phải có 90 ký tự, nhận được {len}")
            }
            Self::MrzEncoding { .. } => {
                format!("Ký tự không hợp lệ trong MRZ của DG1 tại byte {o}")
            }
            Self::Mrz { error, .. } => format!("MRZ trong DG1 (byte {o}): {}", error.message_vi()),
        }
    }

    /// Message for English-speaking users.
    pub fn message_en(&self) -> String {
        let o = self.offset();
        match self {
            Self::Truncated { .. } => format!("Chip data truncated at byte {o}"),
            Self::IndefiniteLength { .. } => {
                format!("Indefinite (BER) length at byte {o} is not accepted")
            }
            Self::NonMinimal { .. } => format!("Non-minimal tag or length encoding at byte {o}"),
            Self::LengthTooLarge { .. } => format!("Length too large at byte {o}"),
            Self::LengthOverrun {
                length, available, ..
            } => format!(
                "Element at byte {o} declares length {length} but only {available} bytes remain"
            ),
            Self::UnexpectedTag {
                expected, found, ..
            } => format!("Expected tag {expected:02X} at byte {o}, found {found:02X}"),
            Self::TrailingData { len, .. } => {
                format!("{len} unexpected trailing bytes at byte {o}")
            }
            Self::Malformed { what, .. } => format!("Malformed structure at byte {o}: {what}"),
            Self::UnexpectedOid {
                expected, found, ..
            } => format!("Expected OID {expected} at byte {o}, found {found}"),
            Self::UnsupportedAlgorithm { oid, .. } => {
                format!("Unsupported algorithm {oid} at byte {o}")
            }
            Self::Missing { what, .. } => format!("Missing {what} (byte {o})"),
            Self::MrzLength { len, .. } => {
                format!("The DG1 MRZ at byte {o} must have 90 characters, got {len}")
            }
            Self::MrzEncoding { .. } => format!("Invalid character in the DG1 MRZ at byte {o}"),
            Self::Mrz { error, .. } => format!("DG1 MRZ at byte {o}: {}", error.message_en()),
        }
    }
}

impl fmt::Display for ChipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en())
    }
}

impl std::error::Error for ChipError {}

/// Data group 1: the MRZ as stored on the chip.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dg1 {
    /// The parsed, check-digit-verified MRZ.
    pub mrz: Mrz,
    text: String,
}

impl Dg1 {
    /// Tag of the DG1 file (`EF.DG1`).
    pub const TAG: u32 = 0x61;
    /// Tag of the MRZ data element inside it.
    pub const MRZ_TAG: u32 = 0x5F1F;

    /// Parses `61 L { 5F1F L <MRZ> }`: exactly one MRZ element, no other bytes; the MRZ must be a
    /// 90-character TD1 zone (split into 3×30 and parsed with [`Mrz::from_lines`]).
    pub fn parse(bytes: &[u8]) -> Result<Dg1, ChipError> {
        let outer = der::single(bytes, Self::TAG)?;
        let mut r = outer.reader();
        let mrz_tlv = r.expect(Self::MRZ_TAG)?;
        r.finish()?;
        let raw = mrz_tlv.value;
        let offset = mrz_tlv.value_offset;
        if let Some(i) = raw.iter().position(|b| !(0x20..0x7F).contains(b)) {
            return Err(ChipError::MrzEncoding { offset: offset + i });
        }
        if raw.len() != 90 {
            return Err(ChipError::MrzLength {
                offset,
                len: raw.len(),
            });
        }
        // Printable ASCII only, so every index is a char boundary.
        let text = String::from_utf8_lossy(raw).into_owned();
        let mrz = Mrz::from_lines([&text[..30], &text[30..60], &text[60..]])
            .map_err(|error| ChipError::Mrz { offset, error })?;
        Ok(Dg1 { mrz, text })
    }

    /// The 90 MRZ characters as stored.
    pub fn mrz_text(&self) -> &str {
        &self.text
    }

    /// The three 30-character lines.
    pub fn mrz_lines(&self) -> [&str; 3] {
        [&self.text[..30], &self.text[30..60], &self.text[60..]]
    }

    /// Whether an MRZ typed or scanned from the card is the same zone (whitespace and line breaks
    /// in `scanned` are ignored; characters must be identical).
    pub fn matches_scanned(&self, scanned: &str) -> bool {
        let compact: String = scanned.chars().filter(|c| !c.is_whitespace()).collect();
        compact == self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MRZ: &[u8; 90] =
        b"IDVNM0950012340022095001234<<89503157M3503155VNM<<<<<<<<<<<6NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<";

    fn dg1(mrz: &[u8]) -> Vec<u8> {
        let mut inner = vec![0x5F, 0x1F];
        push_len(&mut inner, mrz.len());
        inner.extend_from_slice(mrz);
        let mut out = vec![0x61];
        push_len(&mut out, inner.len());
        out.extend(inner);
        out
    }

    fn push_len(v: &mut Vec<u8>, n: usize) {
        if n < 0x80 {
            v.push(n as u8);
        } else {
            v.push(0x81);
            v.push(n as u8);
        }
    }

    #[test]
    fn parses_synthetic_dg1() {
        let d = Dg1::parse(&dg1(MRZ)).unwrap();
        assert_eq!(d.mrz.personal_id.as_ref().unwrap().as_str(), "022095001234");
        assert_eq!(d.mrz_text().as_bytes(), MRZ);
        assert!(d.matches_scanned(
            "IDVNM0950012340022095001234<<8\n9503157M3503155VNM<<<<<<<<<<<6\r\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<\n"
        ));
        assert!(!d.matches_scanned(
            "IDVNM0950012340022095001234<<8\n9503157M3503155VNM<<<<<<<<<<<6\nNGUYEN<<VAN<ANH<<<<<<<<<<<<<<<"
        ));
    }

    #[test]
    fn dg1_errors_have_offsets() {
        let good = dg1(MRZ);
        // Wrong outer tag.
        let mut b = good.clone();
        b[0] = 0x75;
        assert_eq!(
            Dg1::parse(&b).unwrap_err(),
            ChipError::UnexpectedTag {
                offset: 0,
                expected: 0x61,
                found: 0x75
            }
        );
        // Wrong inner tag.
        let mut b = good.clone();
        b[3] = 0x1E;
        assert!(matches!(
            Dg1::parse(&b).unwrap_err(),
            ChipError::UnexpectedTag { offset: 2, .. }
        ));
        // Truncated.
        assert_eq!(
            Dg1::parse(&good[..50]).unwrap_err(),
            ChipError::LengthOverrun {
                offset: 0,
                length: 93,
                available: 48
            }
        );
        // Trailing byte after the DG and inside it.
        let mut b = good.clone();
        b.push(0);
        assert_eq!(
            Dg1::parse(&b).unwrap_err(),
            ChipError::TrailingData { offset: 95, len: 1 }
        );
        let mut inner = vec![0x5F, 0x1F, 0x5A];
        inner.extend_from_slice(MRZ);
        inner.push(0x00);
        let mut b = vec![0x61, inner.len() as u8];
        b.extend(inner);
        assert_eq!(
            Dg1::parse(&b).unwrap_err(),
            ChipError::TrailingData { offset: 95, len: 1 }
        );
        // Non-minimal long form.
        let mut b = vec![0x61, 0x81, 0x5D];
        b.extend_from_slice(&good[2..]);
        assert_eq!(
            Dg1::parse(&b).unwrap_err(),
            ChipError::NonMinimal { offset: 1 }
        );
        // TD3-sized MRZ.
        assert_eq!(
            Dg1::parse(&dg1(&[b'<'; 88])).unwrap_err(),
            ChipError::MrzLength { offset: 5, len: 88 }
        );
        // 130-byte long form length is read fine, then rejected as not TD1.
        assert!(matches!(
            Dg1::parse(&dg1(&[b'<'; 130])).unwrap_err(),
            ChipError::MrzLength {
                offset: 7,
                len: 130
            }
        ));
        // Non-ASCII byte.
        let mut m = *MRZ;
        m[10] = 0xC3;
        assert_eq!(
            Dg1::parse(&dg1(&m)).unwrap_err(),
            ChipError::MrzEncoding { offset: 15 }
        );
        // Bad check digit.
        let mut m = *MRZ;
        m[14] = b'1';
        let e = Dg1::parse(&dg1(&m)).unwrap_err();
        assert_eq!(e.code(), "chip.mrz");
        assert_eq!(e.offset(), 5);
        assert!(e.message_en().contains("check digit"));
        assert!(!e.message_vi().is_empty());
        assert_eq!(
            Dg1::parse(&[]).unwrap_err(),
            ChipError::Truncated { offset: 0 }
        );
    }
}
