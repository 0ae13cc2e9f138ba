//! Tag paths such as `38/01/00` that name where a data object sits.

use std::fmt;
use std::str::FromStr;

/// Where a data object lives: its ID and the IDs of the templates that enclose it.
///
/// VietQR nests at most three levels deep (`38/01/00`), so a fixed-size value
/// keeps the type `Copy` and lets errors carry it without allocating.
///
/// Packed into one `u32` (ID bytes 0-2, depth byte 3) so that building a
/// child tag is register arithmetic: a byte-array version caused
/// store-forwarding stalls that cost a third of the decode time.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Tag(u32);

impl Tag {
    /// The root pseudo-template (the payload itself); it prints as `root`.
    pub const ROOT: Tag = Tag(0);

    /// A root-level data object.
    pub const fn root(id: u8) -> Tag {
        Tag::ROOT.child(id)
    }

    /// The data object `id` inside template `self`. Deeper than three levels
    /// replaces the last level (VietQR never nests deeper; the decoder never
    /// descends further).
    pub const fn child(self, id: u8) -> Tag {
        let depth = self.0 >> 24;
        let slot = if depth < 3 { depth } else { 2 };
        let shift = slot * 8;
        let ids = self.0 & 0x00FF_FFFF & !(0xFF << shift);
        Tag(ids | (id as u32) << shift | (slot + 1) << 24)
    }

    /// The IDs from the root down (empty for [`Tag::ROOT`]).
    pub fn ids(&self) -> Ids {
        let b = self.0.to_le_bytes();
        Ids {
            buf: [b[0], b[1], b[2]],
            len: self.depth() as u8,
        }
    }

    /// The innermost ID (0 for the root).
    pub fn id(&self) -> u8 {
        match self.depth() {
            0 => 0,
            d => (self.0 >> (8 * (d - 1))) as u8,
        }
    }

    /// Nesting depth: 1 for a root object, 2 for `62/08`, ...
    pub fn depth(&self) -> usize {
        (self.0 >> 24) as usize
    }
}

/// The IDs of a [`Tag`], usable as a `&[u8]`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Ids {
    buf: [u8; 3],
    len: u8,
}

impl std::ops::Deref for Ids {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.depth() == 0 {
            return f.write_str("root");
        }
        for (i, id) in self.ids().iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            write!(f, "{id:02}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({self})")
    }
}

/// The string is not a tag path of one to three two-digit IDs joined by `/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadTagPath;

impl FromStr for Tag {
    type Err = BadTagPath;

    fn from_str(s: &str) -> Result<Tag, BadTagPath> {
        let mut tag = Tag::ROOT;
        for part in s.split('/') {
            let b = part.as_bytes();
            if b.len() != 2 || !b[0].is_ascii_digit() || !b[1].is_ascii_digit() || tag.depth() == 3
            {
                return Err(BadTagPath);
            }
            tag = tag.child((b[0] - b'0') * 10 + (b[1] - b'0'));
        }
        Ok(tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_and_parses_paths() {
        let t = Tag::root(38).child(1).child(0);
        assert_eq!(t.to_string(), "38/01/00");
        assert_eq!("38/01/00".parse::<Tag>(), Ok(t));
        assert_eq!(Tag::ROOT.to_string(), "root");
        assert_eq!(t.id(), 0);
        assert_eq!(t.depth(), 3);
        assert!("38/1".parse::<Tag>().is_err());
        assert!("38/01/00/00".parse::<Tag>().is_err());
        assert!("".parse::<Tag>().is_err());
    }
}
