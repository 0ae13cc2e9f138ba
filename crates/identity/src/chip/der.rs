//! A small strict DER/BER-TLV reader: definite lengths only, minimal length and tag encodings,
//! every length checked against the bytes that are there. Offsets are absolute (from the start of
//! the outermost input) so that errors point at the offending byte.

use super::ChipError;

/// One tag-length-value element.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    /// The tag bytes as a big-endian number, as ICAO 9303 writes them (`0x61`, `0x5F1F`, `0x30`).
    pub tag: u32,
    /// Offset of the first tag byte.
    pub offset: usize,
    /// Offset of the first value byte.
    pub value_offset: usize,
    /// The value (contents) bytes.
    pub value: &'a [u8],
    /// The whole element: tag, length and value.
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// A reader over the contents of this element.
    pub fn reader(&self) -> Reader<'a> {
        Reader::new(self.value, self.value_offset)
    }

    /// The value of a non-negative INTEGER (tag `02`) that fits in a `u64`.
    pub fn small_uint(&self) -> Result<u64, ChipError> {
        let v = self.integer_bytes()?;
        if v.first().is_some_and(|b| b & 0x80 != 0) {
            return Err(self.malformed("negative INTEGER"));
        }
        let digits = match v {
            [0, rest @ ..] => rest,
            _ => v,
        };
        if digits.len() > 8 {
            return Err(self.malformed("INTEGER too large"));
        }
        Ok(digits
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// The contents of an INTEGER after checking minimal two's-complement encoding.
    pub fn integer_bytes(&self) -> Result<&'a [u8], ChipError> {
        let v = self.value;
        match v {
            [] => Err(self.malformed("empty INTEGER")),
            [0x00, b, ..] if b & 0x80 == 0 => Err(self.malformed("non-minimal INTEGER")),
            [0xFF, b, ..] if b & 0x80 != 0 => Err(self.malformed("non-minimal INTEGER")),
            _ => Ok(v),
        }
    }

    /// The contents of a BIT STRING with no unused bits.
    pub fn bit_string_bytes(&self) -> Result<&'a [u8], ChipError> {
        match self.value {
            [0, rest @ ..] => Ok(rest),
            _ => Err(self.malformed("BIT STRING with unused bits")),
        }
    }

    /// The dotted form of an OBJECT IDENTIFIER (tag `06`).
    pub fn oid(&self) -> Result<String, ChipError> {
        oid_to_string(self.value).ok_or_else(|| self.malformed("invalid OBJECT IDENTIFIER"))
    }

    pub fn malformed(&self, what: &'static str) -> ChipError {
        ChipError::Malformed {
            offset: self.offset,
            what,
        }
    }
}

/// Sequential reader over the concatenated elements of a byte range.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// `base` is the absolute offset of `data[0]`.
    pub fn new(data: &'a [u8], base: usize) -> Reader<'a> {
        Reader { data, pos: 0, base }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Absolute offset of the next unread byte.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// The tag of the next element, if it can be read.
    pub fn peek_tag(&self) -> Option<u32> {
        self.clone().read_tag().ok()
    }

    fn byte(&mut self) -> Result<u8, ChipError> {
        let b = *self.data.get(self.pos).ok_or(ChipError::Truncated {
            offset: self.offset(),
        })?;
        self.pos += 1;
        Ok(b)
    }

    fn read_tag(&mut self) -> Result<u32, ChipError> {
        let start = self.offset();
        let first = self.byte()?;
        let mut tag = u32::from(first);
        if first & 0x1F == 0x1F {
            // High tag number form: continuation bytes while bit 8 is set; at most 3 bytes in all.
            let mut count = 0;
            loop {
                let b = self.byte()?;
                if count == 0 && b == 0x80 {
                    return Err(ChipError::NonMinimal { offset: start });
                }
                count += 1;
                if count > 2 {
                    return Err(ChipError::Malformed {
                        offset: start,
                        what: "tag longer than 3 bytes",
                    });
                }
                tag = (tag << 8) | u32::from(b);
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        Ok(tag)
    }

    fn read_length(&mut self) -> Result<usize, ChipError> {
        let at = self.offset();
        let first = self.byte()?;
        if first < 0x80 {
            return Ok(usize::from(first));
        }
        if first == 0x80 {
            return Err(ChipError::IndefiniteLength { offset: at });
        }
        let n = usize::from(first & 0x7F);
        if n > 4 {
            return Err(ChipError::LengthTooLarge { offset: at });
        }
        let mut len: usize = 0;
        for i in 0..n {
            let b = self.byte()?;
            if i == 0 && b == 0 {
                return Err(ChipError::NonMinimal { offset: at });
            }
            len = (len << 8) | usize::from(b);
        }
        if len < 0x80 {
            return Err(ChipError::NonMinimal { offset: at });
        }
        Ok(len)
    }

    /// Reads the next element.
    pub fn read(&mut self) -> Result<Tlv<'a>, ChipError> {
        let start = self.pos;
        let offset = self.offset();
        let tag = self.read_tag()?;
        let len = self.read_length()?;
        let value_start = self.pos;
        let available = self.data.len() - value_start;
        if len > available {
            return Err(ChipError::LengthOverrun {
                offset,
                length: len,
                available,
            });
        }
        self.pos = value_start + len;
        Ok(Tlv {
            tag,
            offset,
            value_offset: self.base + value_start,
            value: &self.data[value_start..self.pos],
            raw: &self.data[start..self.pos],
        })
    }

    /// Reads the next element and requires its tag.
    pub fn expect(&mut self, tag: u32) -> Result<Tlv<'a>, ChipError> {
        let offset = self.offset();
        let tlv = self.read()?;
        if tlv.tag != tag {
            return Err(ChipError::UnexpectedTag {
                offset,
                expected: tag,
                found: tlv.tag,
            });
        }
        Ok(tlv)
    }

    /// Reads the next element only if it has this tag.
    pub fn optional(&mut self, tag: u32) -> Result<Option<Tlv<'a>>, ChipError> {
        if self.peek_tag() == Some(tag) {
            self.read().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Requires that everything was read.
    pub fn finish(&self) -> Result<(), ChipError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(ChipError::TrailingData {
                offset: self.offset(),
                len: self.data.len() - self.pos,
            })
        }
    }
}

/// Reads exactly one element spanning all of `data`.
pub(crate) fn single(data: &[u8], tag: u32) -> Result<Tlv<'_>, ChipError> {
    let mut r = Reader::new(data, 0);
    let tlv = r.expect(tag)?;
    r.finish()?;
    Ok(tlv)
}

/// Dotted decimal form of the contents of an OBJECT IDENTIFIER; `None` if malformed.
pub(crate) fn oid_to_string(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() || bytes.last().is_some_and(|b| b & 0x80 != 0) {
        return None;
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    let mut fresh = true;
    for &b in bytes {
        if fresh && b == 0x80 {
            return None; // non-minimal arc
        }
        if value > (u64::MAX >> 7) {
            return None;
        }
        value = (value << 7) | u64::from(b & 0x7F);
        fresh = b & 0x80 == 0;
        if fresh {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        }
    }
    Some(
        arcs.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths() {
        let t = single(&[0x04, 0x02, 1, 2], 0x04).unwrap();
        assert_eq!(t.value, &[1, 2]);
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([7u8; 0x80]);
        assert_eq!(single(&long, 0x04).unwrap().value.len(), 0x80);
        let mut long2 = vec![0x04, 0x82, 0x01, 0x00];
        long2.extend([7u8; 0x100]);
        assert_eq!(single(&long2, 0x04).unwrap().value.len(), 0x100);
    }

    #[test]
    fn strict_lengths() {
        assert_eq!(
            single(&[0x04, 0x81, 0x01, 9], 0x04).unwrap_err(),
            ChipError::NonMinimal { offset: 1 }
        );
        assert_eq!(
            single(&[0x04, 0x82, 0x00, 0x81], 0x04).unwrap_err(),
            ChipError::NonMinimal { offset: 1 }
        );
        assert_eq!(
            single(&[0x30, 0x80, 0, 0], 0x30).unwrap_err(),
            ChipError::IndefiniteLength { offset: 1 }
        );
        assert_eq!(
            single(&[0x04, 0x85, 1, 1, 1, 1, 1], 0x04).unwrap_err(),
            ChipError::LengthTooLarge { offset: 1 }
        );
        assert_eq!(
            single(&[0x04, 0x03, 1, 2], 0x04).unwrap_err(),
            ChipError::LengthOverrun {
                offset: 0,
                length: 3,
                available: 2
            }
        );
        assert_eq!(
            single(&[0x04, 0x01, 1, 2], 0x04).unwrap_err(),
            ChipError::TrailingData { offset: 3, len: 1 }
        );
        assert_eq!(
            single(&[0x04, 0x82, 0x01], 0x04).unwrap_err(),
            ChipError::Truncated { offset: 3 }
        );
        assert_eq!(
            single(&[0x04], 0x04).unwrap_err(),
            ChipError::Truncated { offset: 1 }
        );
    }

    #[test]
    fn multi_byte_tags() {
        let t = single(&[0x5F, 0x1F, 0x01, b'I'], 0x5F1F).unwrap();
        assert_eq!(t.value_offset, 3);
        let t = single(&[0x7F, 0x61, 0x00], 0x7F61).unwrap();
        assert!(t.value.is_empty());
        assert_eq!(
            single(&[0x5F, 0x80, 0x01, 0x00], 0x5F).unwrap_err(),
            ChipError::NonMinimal { offset: 0 }
        );
        assert!(single(&[0x5F, 0x81, 0x81, 0x01, 0x00], 0x5F).is_err());
    }

    #[test]
    fn oids_and_integers() {
        assert_eq!(
            oid_to_string(&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]).unwrap(),
            "2.16.840.1.101.3.4.2.1"
        );
        assert_eq!(
            oid_to_string(&[0x67, 0x81, 0x08, 0x01, 0x01, 0x01]).unwrap(),
            "2.23.136.1.1.1"
        );
        assert_eq!(
            oid_to_string(&[0x2B, 0x0E, 0x03, 0x02, 0x1A]).unwrap(),
            "1.3.14.3.2.26"
        );
        assert!(oid_to_string(&[0x2B, 0x80, 0x01]).is_none());
        assert!(oid_to_string(&[0x2B, 0x81]).is_none());
        assert!(oid_to_string(&[]).is_none());
        assert_eq!(single(&[2, 1, 5], 2).unwrap().small_uint().unwrap(), 5);
        assert_eq!(
            single(&[2, 2, 0, 0x80], 2).unwrap().small_uint().unwrap(),
            128
        );
        assert!(single(&[2, 2, 0, 0x05], 2).unwrap().small_uint().is_err());
        assert!(single(&[2, 1, 0x85], 2).unwrap().small_uint().is_err());
        assert!(single(&[2, 0], 2).unwrap().small_uint().is_err());
    }
}
