//! Halong payment references and their extraction from mangled bank memos.
//!
//! # Format
//!
//! A reference is `prefix` + a body of [`BODY_LEN`] = 8 Crockford base32 characters
//! (`0-9 A-Z` without `I L O U`): 7 payload characters (35 bits) and 1 check character
//! (Luhn mod 32 over the payload), e.g. `HL` + `K7Q2M9X` + check. The default prefix is
//! [`DEFAULT_PREFIX`] (`HL`); the whole reference is 10 ASCII characters, well under the 25
//! allowed in VietQR tag `62/08`. Generate references with [`generate_reference`].
//!
//! # Extraction
//!
//! Banks upper-case memos, drop or insert spaces, dashes and dots, and wrap them in their own text
//! (`MBVCB.3278907687.HLK7Q2M9XA.CT tu …`, `IBFT HL K7Q2 M9XA`, `CT DEN:0123 HLK7Q2M9XA`,
//! `…FT24123HLK7Q2M9XAchuyen khoan`). [`extract_reference`] therefore:
//!
//! 1. upper-cases ASCII and treats every character that is not an ASCII letter or digit as a
//!    separator (so `-`, `.`, spaces, `:` and Vietnamese letters all split groups);
//! 2. looks for the prefix inside one group, at the start of a group or right after a digit
//!    (bank transaction numbers are often glued in front);
//! 3. reads the next 8 letters/digits, crossing separators, decoding Crockford look-alikes
//!    (`O`→`0`, `I`/`L`→`1`); `U` and anything else ends the candidate;
//! 4. accepts the candidate if it lies within one group (text glued after it is allowed), or, when
//!    it crosses separators, if it spans at most [`MAX_GROUPS`] groups and ends at a group end;
//! 5. with [`ReferenceFormat::checked`] (default) requires the check character; a second pass then
//!    also tries prefixes glued after letters (`IBFTHLK7…`), which only a valid check can accept.
//!
//! The first accepted candidate, in memo order, is returned in canonical form (`prefix` + body).

/// Default prefix of Halong payment references.
pub const DEFAULT_PREFIX: &str = "HL";
/// Characters after the prefix: 7 payload + 1 check.
pub const BODY_LEN: usize = 8;
/// A candidate that crosses separators may span at most this many groups (prefix included).
pub const MAX_GROUPS: usize = 3;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The shape of references to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceFormat {
    /// ASCII letters/digits, matched case-insensitively; canonical form is upper case.
    pub prefix: String,
    /// Whether the last body character is a Luhn mod 32 check character (default true).
    pub checked: bool,
}

impl Default for ReferenceFormat {
    fn default() -> Self {
        Self {
            prefix: DEFAULT_PREFIX.to_owned(),
            checked: true,
        }
    }
}

impl ReferenceFormat {
    /// Default format with another prefix.
    pub fn with_prefix(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
            ..Self::default()
        }
    }

    /// Whether `s` is exactly a canonical reference of this format.
    pub fn is_canonical(&self, s: &str) -> bool {
        let Some(body) = s.strip_prefix(self.prefix.to_ascii_uppercase().as_str()) else {
            return false;
        };
        body.len() == BODY_LEN
            && body.bytes().all(|c| ALPHABET.contains(&c))
            && (!self.checked || luhn_valid(body.as_bytes()))
    }
}

/// Value of a Crockford character, decoding look-alikes; `None` if not in the alphabet.
fn crockford(c: u8) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        b'O' => b'0',
        b'I' | b'L' => b'1',
        c => c,
    };
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u8)
}

fn luhn_check_char(payload: &[u8]) -> u8 {
    let mut factor = 2;
    let mut sum = 0u32;
    for &c in payload.iter().rev() {
        let v = u32::from(crockford(c).unwrap_or(0)) * factor;
        sum += v / 32 + v % 32;
        factor = if factor == 2 { 1 } else { 2 };
    }
    ALPHABET[((32 - sum % 32) % 32) as usize]
}

fn luhn_valid(body: &[u8]) -> bool {
    match body.split_last() {
        Some((&check, payload)) => luhn_check_char(payload) == check,
        None => false,
    }
}

/// A reference for `value` (its low 35 bits) with `prefix`: `prefix` + 7 payload characters +
/// check character. Feed it a random or sequence number; 35 bits give 34 billion references.
pub fn generate_reference(prefix: &str, value: u64) -> String {
    let mut body = [0u8; BODY_LEN];
    for (i, slot) in body[..BODY_LEN - 1].iter_mut().enumerate() {
        let shift = 5 * (BODY_LEN - 2 - i);
        *slot = ALPHABET[((value >> shift) & 31) as usize];
    }
    body[BODY_LEN - 1] = luhn_check_char(&body[..BODY_LEN - 1]);
    let mut s = prefix.to_ascii_uppercase();
    s.extend(body.iter().map(|&c| c as char));
    s
}

/// Find a Halong payment reference with `prefix` (default format, check character required) in a
/// bank memo. See the [module docs](self) for the rules.
pub fn extract_reference(description: &str, prefix: &str) -> Option<String> {
    extract_reference_with(description, &ReferenceFormat::with_prefix(prefix))
}

/// [`extract_reference`] with an explicit format.
pub fn extract_reference_with(description: &str, format: &ReferenceFormat) -> Option<String> {
    let prefix = format.prefix.to_ascii_uppercase();
    let pre = prefix.as_bytes();
    if pre.is_empty() || !pre.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    // Compact view: ASCII letters/digits (upper-cased) with their group number.
    let mut chars: Vec<u8> = Vec::with_capacity(description.len());
    let mut group: Vec<usize> = Vec::with_capacity(description.len());
    let mut g = 0usize;
    let mut in_group = false;
    for c in description.bytes() {
        if c.is_ascii_alphanumeric() {
            if !in_group {
                g += 1;
                in_group = true;
            }
            chars.push(c.to_ascii_uppercase());
            group.push(g);
        } else {
            in_group = false;
        }
    }
    let n = chars.len();
    let candidate = |i: usize| -> Option<String> {
        let end = i + pre.len() + BODY_LEN;
        if end > n || &chars[i..i + pre.len()] != pre || group[i + pre.len() - 1] != group[i] {
            return None;
        }
        let mut body = [0u8; BODY_LEN];
        for (k, slot) in body.iter_mut().enumerate() {
            *slot = ALPHABET[crockford(chars[i + pre.len() + k])? as usize];
        }
        let (g0, g1) = (group[i], group[end - 1]);
        if g1 != g0 {
            let ends_group = end == n || group[end] != g1;
            if g1 - g0 + 1 > MAX_GROUPS || !ends_group {
                return None;
            }
        }
        if format.checked && !luhn_valid(&body) {
            return None;
        }
        let mut s = prefix.clone();
        s.extend(body.iter().map(|&c| c as char));
        Some(s)
    };
    let strict_start =
        |i: usize| i == 0 || group[i - 1] != group[i] || chars[i - 1].is_ascii_digit();
    (0..n)
        .filter(|&i| strict_start(i))
        .find_map(candidate)
        .or_else(|| {
            if format.checked {
                (0..n).filter(|&i| !strict_start(i)).find_map(candidate)
            } else {
                None
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r() -> String {
        generate_reference("HL", 0x5_1234_5678)
    }

    #[test]
    fn generated_is_canonical() {
        let f = ReferenceFormat::default();
        for v in [0u64, 1, 31, 32, 0x7_FFFF_FFFF, 123_456_789] {
            let s = generate_reference("hl", v);
            assert_eq!(s.len(), 10);
            assert!(f.is_canonical(&s), "{s}");
            assert_eq!(extract_reference(&s, "HL").as_deref(), Some(s.as_str()));
        }
    }

    #[test]
    fn mangled_memos() {
        let r = r();
        let (p, b) = r.split_at(2);
        let spaced = format!("{p} {} {}", &b[..4], &b[4..]);
        let dashed = format!("{p}-{}-{}", &b[..4], &b[4..]);
        let lower = r.to_lowercase();
        let memos = [
            format!("MBVCB.3278907687.{r}.CT tu 0123456789 NGUYEN VAN A toi 9704150112113366"),
            format!("IBFT {spaced}"),
            format!("CT DEN:0123456789 {r} mua rau"),
            format!("{lower} chuyen tien"),
            format!("FT24123{r}chuyen khoan"),
            format!("NGUYEN VAN A chuyen khoan {dashed}"),
            format!("{p} {b}"),
            format!("ACB;0123456;{r}-GD 123456-081124 09:01:02"),
            format!("Thanh toán đơn {r} cảm ơn"),
            format!("IBFT{r}"),
            r.clone(),
        ];
        for m in &memos {
            assert_eq!(
                extract_reference(m, "HL").as_deref(),
                Some(r.as_str()),
                "{m}"
            );
        }
    }

    #[test]
    fn lookalikes_decoded() {
        // A body containing 0 and 1, typed by a person with O and I/L.
        let r = (0..1000u64)
            .map(|v| generate_reference("HL", v * 7919))
            .find(|s| s[2..].contains('0') && s[2..].contains('1'))
            .unwrap();
        let typed = format!("HL{}", r[2..].replace('0', "O").replace('1', "l"));
        assert_eq!(extract_reference(&typed, "HL").as_deref(), Some(r.as_str()));
    }

    #[test]
    fn rejects_noise() {
        let r = r();
        let mut bad = r.clone().into_bytes();
        // Change one body character: the check character catches it.
        bad[4] = if bad[4] == b'A' { b'B' } else { b'A' };
        let bad = String::from_utf8(bad).unwrap();
        assert_eq!(extract_reference(&bad, "HL"), None);
        for m in [
            "",
            "HL",
            "chuyen tien mua rau",
            "HL HOMESTAY thanh toan",
            "HLUUUUUUUU",
            "MBVCB.3278907687.CT tu 0123456789",
        ] {
            // HOMESTAY has no valid check character in this format.
            assert_eq!(extract_reference(m, "HL"), None, "{m}");
        }
        // Too many groups.
        let (p, b) = r.split_at(2);
        let scattered = format!("{p} {} {} {} {}", &b[..2], &b[2..4], &b[4..6], &b[6..]);
        assert_eq!(extract_reference(&scattered, "HL"), None);
        // Crossing separators but not ending at a group end.
        let runon = format!("{p} {}chuyen", b);
        assert_eq!(extract_reference(&runon, "HL"), None);
    }

    #[test]
    fn unchecked_format() {
        let f = ReferenceFormat {
            prefix: "HL".into(),
            checked: false,
        };
        assert_eq!(
            extract_reference_with("MBVCB.1234.5678.HLK7Q2M9XA.CT", &f).as_deref(),
            Some("HLK7Q2M9XA")
        );
        assert_eq!(
            extract_reference_with("hl-k7q2-m9xa", &f).as_deref(),
            Some("HLK7Q2M9XA")
        );
        assert_eq!(extract_reference_with("IBFTHLK7Q2M9XA", &f), None);
    }

    #[test]
    fn other_prefix() {
        let r = generate_reference("QN", 42);
        assert_eq!(
            extract_reference(&format!("ck {r}"), "qn").as_deref(),
            Some(r.as_str())
        );
        assert_eq!(extract_reference(&format!("ck {r}"), "HL"), None);
    }
}
