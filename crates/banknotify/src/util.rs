//! Shared helpers: headers, hex, HMAC, constant-time compare, amounts, provider times.

use hmac::{Hmac, Mac};
use serde_json::{Number, Value};
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;

use crate::NotifyError;

/// Vietnam has used UTC+7 all year round since 1975 (no DST): Asia/Ho_Chi_Minh.
pub const VN_OFFSET_SECS: i64 = 7 * 3600;

/// First header named `name` (ASCII case-insensitive), value trimmed.
pub(crate) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decode hex (either case). `None` for odd length or a non-hex character.
pub(crate) fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks_exact(2)
        .map(|p| Some((hex_val(p[0])? << 4) | hex_val(p[1])?))
        .collect()
}

pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

pub(crate) fn hmac_sha512(key: &[u8], parts: &[&[u8]]) -> [u8; 64] {
    let mut m = <Hmac<Sha512> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// Constant-time comparison of a computed MAC with a hex string from the wire.
pub(crate) fn mac_matches_hex(expected: &[u8], provided_hex: &str) -> bool {
    match hex_decode(provided_hex) {
        Some(got) if got.len() == expected.len() => bool::from(got.ct_eq(expected)),
        _ => false,
    }
}

/// Constant-time equality of two secrets (length is not hidden).
pub(crate) fn secret_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Largest amount accepted: 10^15 đồng (far above any real transfer, far below i64 overflow).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// A signed integer amount from a JSON number, or from a string of digits (VietQR sends both).
pub(crate) fn amount_from_value(v: &Value, field: &'static str) -> Result<i64, NotifyError> {
    let bad = |reason| NotifyError::InvalidField { field, reason };
    let n = match v {
        Value::Null => return Err(NotifyError::MissingField(field)),
        Value::Number(n) => number_to_i64(n).ok_or(bad("not an integer number of đồng"))?,
        Value::String(s) => {
            let t = s.trim();
            let (neg, digits) = match t.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, t),
            };
            if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|c| c.is_ascii_digit())
            {
                return Err(bad("not an integer number of đồng"));
            }
            let m: i64 = digits.parse().map_err(|_| bad("out of range"))?;
            if neg { -m } else { m }
        }
        _ => return Err(bad("not a number")),
    };
    if n.unsigned_abs() > MAX_AMOUNT as u64 {
        return Err(bad("out of range"));
    }
    Ok(n)
}

fn number_to_i64(n: &Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let f = n.as_f64()?;
    if f.is_finite() && f.fract() == 0.0 && f.abs() <= MAX_AMOUNT as f64 {
        Some(f as i64)
    } else {
        None
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// `unix` as Vietnamese local time `YYYY-MM-DD HH:MM:SS` (the form payOS, Casso and SePay send).
pub fn format_vn_local(unix: i64) -> String {
    let local = unix + VN_OFFSET_SECS;
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let s = local.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = b.get(at..at + n)?;
    if !part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(part.iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0')))
}

/// Parse a provider time string to UTC unix seconds.
///
/// Accepted: `YYYY-MM-DD[ T]HH:MM[:SS[.fff]]`, `YYYY-MM-DDHH:MM[:SS]` (the VietQR sample), a bare
/// `YYYY-MM-DD` (midnight), and `DD/MM/YYYY HH:MM[:SS]`. Without an explicit `Z` or `±HH:MM`
/// suffix the time is Asia/Ho_Chi_Minh local time (UTC+7).
pub fn parse_vn_time(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    let (y, mo, d) = if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
        (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?)
    } else if b.len() >= 10 && b[2] == b'/' && b[5] == b'/' {
        (digits(b, 6, 4)?, digits(b, 3, 2)?, digits(b, 0, 2)?)
    } else {
        return None;
    };
    let y = i64::from(y);
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) {
        return None;
    }
    let mut p = 10;
    let (mut hh, mut mi, mut ss) = (0, 0, 0);
    let mut offset = VN_OFFSET_SECS;
    if p < b.len() {
        if b[p] == b' ' || b[p] == b'T' {
            p += 1;
        }
        hh = digits(b, p, 2)?;
        if b.get(p + 2) != Some(&b':') {
            return None;
        }
        mi = digits(b, p + 3, 2)?;
        p += 5;
        if b.get(p) == Some(&b':') {
            ss = digits(b, p + 1, 2)?;
            p += 3;
            if b.get(p) == Some(&b'.') {
                p += 1;
                let start = p;
                while b.get(p).is_some_and(u8::is_ascii_digit) {
                    p += 1;
                }
                if p == start {
                    return None;
                }
            }
        }
        match b.get(p) {
            None => {}
            Some(b'Z') if p + 1 == b.len() => offset = 0,
            Some(&sign @ (b'+' | b'-')) => {
                let oh = digits(b, p + 1, 2)?;
                let om = match b.get(p + 3) {
                    Some(b':') => digits(b, p + 4, 2)?,
                    _ => digits(b, p + 3, 2)?,
                };
                let len = if b.get(p + 3) == Some(&b':') { 6 } else { 5 };
                if p + len != b.len() || oh > 14 || om > 59 {
                    return None;
                }
                let o = i64::from(oh * 3600 + om * 60);
                offset = if sign == b'+' { o } else { -o };
            }
            _ => return None,
        }
        if hh > 23 || mi > 59 || ss > 59 {
            return None;
        }
    }
    Some(days_from_civil(y, mo, d) * 86_400 + i64::from(hh * 3600 + mi * 60 + ss) - offset)
}

/// A provider time that may be a local-time string or an epoch number (seconds, or milliseconds
/// when above 10^11). `Ok(None)` when absent.
pub(crate) fn time_from_value(
    v: Option<&Value>,
    field: &'static str,
) -> Result<Option<i64>, NotifyError> {
    let bad = NotifyError::InvalidField {
        field,
        reason: "unrecognised date-time",
    };
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => {
            let t = s.trim();
            if t.bytes().all(|c| c.is_ascii_digit()) {
                epoch(t.parse::<i64>().map_err(|_| bad.clone())?)
                    .map(Some)
                    .ok_or(bad)
            } else {
                parse_vn_time(t).map(Some).ok_or(bad)
            }
        }
        Some(Value::Number(n)) => n.as_i64().and_then(epoch).map(Some).ok_or(bad),
        Some(_) => Err(bad),
    }
}

fn epoch(n: i64) -> Option<i64> {
    if n < 0 {
        None
    } else if n > 100_000_000_000 {
        Some(n / 1000)
    } else {
        Some(n)
    }
}

/// A JSON value that providers may send as a string or a number, as a string; `None` for null,
/// absent or empty.
pub(crate) fn opt_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn parse_json(body: &[u8]) -> Result<Value, NotifyError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| NotifyError::MalformedJson(e.to_string()))?;
    if !v.is_object() {
        return Err(NotifyError::MalformedJson(
            "top level is not an object".into(),
        ));
    }
    Ok(v)
}

/// Check a signed timestamp (unix seconds) against `now` and the window.
pub(crate) fn check_window(ts: i64, now: i64, window_secs: i64) -> Result<(), NotifyError> {
    let age = now.saturating_sub(ts);
    if age.unsigned_abs() > window_secs.unsigned_abs() {
        return Err(NotifyError::StaleTimestamp {
            age_secs: age,
            window_secs,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vn_times() {
        // 2025-12-12 09:00:00 in Hà Nội is 02:00:00 UTC.
        assert_eq!(parse_vn_time("2025-12-12 09:00:00"), Some(1_765_504_800));
        assert_eq!(parse_vn_time("2025-12-12T09:00:00"), Some(1_765_504_800));
        assert_eq!(parse_vn_time("2025-12-12T02:00:00Z"), Some(1_765_504_800));
        assert_eq!(
            parse_vn_time("2025-12-12T09:00:00+07:00"),
            Some(1_765_504_800)
        );
        assert_eq!(
            parse_vn_time("2025-12-12 09:00:00.123"),
            Some(1_765_504_800)
        );
        assert_eq!(parse_vn_time("12/12/2025 09:00:00"), Some(1_765_504_800));
        assert_eq!(parse_vn_time("2025-12-12 09:00"), Some(1_765_504_800));
        // The VietQR callback sample's odd form.
        assert_eq!(
            parse_vn_time("2024-05-1701:53"),
            parse_vn_time("2024-05-17 01:53")
        );
        assert_eq!(parse_vn_time("2025-12-12"), Some(1_765_504_800 - 9 * 3600));
        assert_eq!(parse_vn_time("2025-02-29 00:00:00"), None);
        assert!(parse_vn_time("2024-02-29 00:00:00").is_some());
        assert_eq!(parse_vn_time("2025-12-12 24:00:00"), None);
        assert_eq!(parse_vn_time("2025-12-12 09:00:00 junk"), None);
        assert_eq!(format_vn_local(1_765_504_800), "2025-12-12 09:00:00");
    }

    #[test]
    fn civil_round_trip() {
        for z in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn amounts() {
        assert_eq!(amount_from_value(&serde_json::json!(20000), "a"), Ok(20000));
        assert_eq!(
            amount_from_value(&serde_json::json!(20000.0), "a"),
            Ok(20000)
        );
        assert_eq!(
            amount_from_value(&serde_json::json!("100000"), "a"),
            Ok(100_000)
        );
        assert_eq!(amount_from_value(&serde_json::json!(-5000), "a"), Ok(-5000));
        assert!(amount_from_value(&serde_json::json!(1.5), "a").is_err());
        assert!(amount_from_value(&serde_json::json!("1e5"), "a").is_err());
        assert!(amount_from_value(&serde_json::json!(u64::MAX), "a").is_err());
    }
}

/// Serde helpers for fields that providers send as a string or a number.
pub(crate) mod de {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// String or number → trimmed text; null, empty or absent → `None`.
    pub(crate) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let v = Option::<Value>::deserialize(d)?;
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                let t = s.trim();
                Ok((!t.is_empty()).then(|| t.to_owned()))
            }
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(serde::de::Error::custom("expected a string or a number")),
        }
    }

    /// String verbatim (memos keep their spacing) or number; null/absent → `None`.
    pub(crate) fn opt_memo<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let v = Option::<Value>::deserialize(d)?;
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(serde::de::Error::custom("expected a string")),
        }
    }
}
