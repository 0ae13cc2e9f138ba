//! CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection), the EMVCo CRC.

use crc::{CRC_16_IBM_3740, Crc, Table};

// Slice-by-16 tables: a payload is ~100-200 bytes and the CRC is the single
// largest cost of a decode, so the 8 KiB of tables pay for themselves.
static CRC16: Crc<u16, Table<16>> = Crc::<u16, Table<16>>::new(&CRC_16_IBM_3740);

/// CRC-16/CCITT-FALSE of `data` (same as CRC-16/IBM-3740 and CRC-16/AUTOSAR).
pub fn crc16(data: &[u8]) -> u16 {
    CRC16.checksum(data)
}

/// Parse four hex digits (either case) as written in tag `63`.
pub(crate) fn parse_hex4(s: &[u8]) -> Option<u16> {
    if s.len() != 4 {
        return None;
    }
    s.iter().try_fold(0u16, |acc, &b| {
        let d = (b as char).to_digit(16)?;
        Some(acc << 4 | d as u16)
    })
}

/// The four upper-case hex digits written into tag `63` (leading zeros kept:
/// dropping them is the most common bug in other encoders).
pub(crate) fn hex4(v: u16) -> [u8; 4] {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    [
        HEX[(v >> 12) as usize],
        HEX[(v >> 8 & 0xF) as usize],
        HEX[(v >> 4 & 0xF) as usize],
        HEX[(v & 0xF) as usize],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value() {
        assert_eq!(crc16(b"123456789"), 0x29B1);
    }

    #[test]
    fn hex_round_trip_keeps_leading_zeros() {
        assert_eq!(&hex4(0x00D7), b"00D7");
        assert_eq!(&hex4(0x0000), b"0000");
        assert_eq!(parse_hex4(b"00d7"), Some(0x00D7));
        assert_eq!(parse_hex4(b"106f"), Some(0x106F));
        assert_eq!(parse_hex4(b"10G6"), None);
        assert_eq!(parse_hex4(b"+106"), None);
        assert_eq!(parse_hex4(b"D7"), None);
    }
}
