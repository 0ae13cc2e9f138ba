//! One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA-1, SHA-256 or SHA-512.
//!
//! Time is always passed in as unix seconds (the crate never reads a clock). Verification scans a
//! window of counters without stopping at the first match, compares codes in constant time, and
//! returns the matched counter so that the caller can store it and refuse its reuse
//! ([`Totp::verify_after`]).
//!
//! ```
//! use identity::otp::{Algorithm, Totp};
//! let totp = Totp::new(b"12345678901234567890".to_vec(), 8, Algorithm::Sha1, 30).unwrap();
//! assert_eq!(totp.generate_at(59), "94287082");
//! assert_eq!(totp.verify_at("94287082", 59 + 30, 1), Some(1));
//! assert_eq!(totp.verify_after("94287082", 59 + 30, 1, Some(1)), None); // already used
//! ```

use std::fmt;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Sha256, Sha512};

/// Minimum shared-secret length: RFC 4226 §4 requires at least 128 bits.
pub const MIN_SECRET_LEN: usize = 16;

/// HMAC hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Algorithm {
    #[default]
    #[serde(rename = "SHA1")]
    Sha1,
    #[serde(rename = "SHA256")]
    Sha256,
    #[serde(rename = "SHA512")]
    Sha512,
}

/// Invalid OTP parameters or secret encoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OtpError {
    /// Only 6, 7 or 8 digits are supported.
    InvalidDigits { digits: u8 },
    /// The shared secret is shorter than 16 bytes.
    SecretTooShort { len: usize },
    /// The TOTP time step must be at least one second.
    InvalidStep,
    /// A character that is not in the RFC 4648 base32 alphabet (0-based char index).
    InvalidBase32 { position: usize },
}

impl OtpError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidDigits { .. } => "otp.invalid_digits",
            Self::SecretTooShort { .. } => "otp.secret_too_short",
            Self::InvalidStep => "otp.invalid_step",
            Self::InvalidBase32 { .. } => "otp.invalid_base32",
        }
    }

    /// Message for Vietnamese-speaking users.
    pub fn message_vi(&self) -> String {
        match self {
            Self::InvalidDigits { digits } => {
                format!("Mã OTP phải có 6 đến 8 chữ số (cấu hình {digits})")
            }
            Self::SecretTooShort { len } => {
                format!("Khóa bí mật OTP phải dài ít nhất 16 byte (nhận được {len})")
            }
            Self::InvalidStep => "Bước thời gian TOTP phải ít nhất 1 giây".to_owned(),
            Self::InvalidBase32 { position } => format!(
                "Khóa bí mật base32 có ký tự không hợp lệ ở vị trí {}",
                position + 1
            ),
        }
    }

    /// Message for English-speaking users.
    pub fn message_en(&self) -> String {
        match self {
            Self::InvalidDigits { digits } => {
                format!("OTP codes must have 6 to 8 digits (configured {digits})")
            }
            Self::SecretTooShort { len } => {
                format!("The OTP secret must be at least 16 bytes long (got {len})")
            }
            Self::InvalidStep => "The TOTP time step must be at least 1 second".to_owned(),
            Self::InvalidBase32 { position } => format!(
                "Invalid base32 character in the secret at position {}",
                position + 1
            ),
        }
    }
}

impl fmt::Display for OtpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en())
    }
}

impl std::error::Error for OtpError {}

fn hmac_digest(algorithm: Algorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
    fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }
    match algorithm {
        Algorithm::Sha1 => run::<Hmac<Sha1>>(key, message),
        Algorithm::Sha256 => run::<Hmac<Sha256>>(key, message),
        Algorithm::Sha512 => run::<Hmac<Sha512>>(key, message),
    }
}

/// RFC 4226 §5.3 dynamic truncation of an HMAC value to a 31-bit integer.
fn dynamic_truncation(digest: &[u8]) -> u32 {
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ])
}

/// The 31-bit value `DT(HMAC(secret, counter))` before reduction to digits (RFC 4226 `Snum`).
pub fn truncated_value(secret: &[u8], counter: u64, algorithm: Algorithm) -> u32 {
    dynamic_truncation(&hmac_digest(algorithm, secret, &counter.to_be_bytes()))
}

/// Constant-time equality of two byte strings of the same length (length itself is not secret).
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

fn check_params(secret: &[u8], digits: u8) -> Result<(), OtpError> {
    if !(6..=8).contains(&digits) {
        return Err(OtpError::InvalidDigits { digits });
    }
    if secret.len() < MIN_SECRET_LEN {
        return Err(OtpError::SecretTooShort { len: secret.len() });
    }
    Ok(())
}

/// HOTP generator / verifier (RFC 4226).
#[derive(Clone, PartialEq, Eq)]
pub struct Hotp {
    secret: Vec<u8>,
    digits: u8,
    algorithm: Algorithm,
}

impl fmt::Debug for Hotp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hotp")
            .field("secret", &"<redacted>")
            .field("digits", &self.digits)
            .field("algorithm", &self.algorithm)
            .finish()
    }
}

impl Hotp {
    /// `digits` must be 6–8 and the secret at least 16 bytes.
    pub fn new(secret: Vec<u8>, digits: u8, algorithm: Algorithm) -> Result<Hotp, OtpError> {
        check_params(&secret, digits)?;
        Ok(Hotp {
            secret,
            digits,
            algorithm,
        })
    }

    pub fn digits(&self) -> u8 {
        self.digits
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The code for `counter`, zero-padded to `digits`.
    pub fn generate(&self, counter: u64) -> String {
        let value = truncated_value(&self.secret, counter, self.algorithm);
        let modulus = 10u32.pow(u32::from(self.digits));
        format!(
            "{:0width$}",
            value % modulus,
            width = usize::from(self.digits)
        )
    }

    /// Checks `code` against counters `counter ..= counter + look_ahead` and returns the matching
    /// counter (the caller then stores `matched + 1` as the next counter). Every candidate is
    /// computed and compared in constant time.
    pub fn verify(&self, code: &str, counter: u64, look_ahead: u64) -> Option<u64> {
        let end = counter.saturating_add(look_ahead);
        self.verify_range(code, counter, end)
    }

    fn verify_range(&self, code: &str, start: u64, end: u64) -> Option<u64> {
        if code.len() != usize::from(self.digits) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut matched = None;
        let mut c = start;
        loop {
            if ct_eq(self.generate(c).as_bytes(), code.as_bytes()) && matched.is_none() {
                matched = Some(c);
            }
            if c >= end {
                break;
            }
            c += 1;
        }
        matched
    }
}

/// TOTP generator / verifier (RFC 6238).
#[derive(Clone, PartialEq, Eq)]
pub struct Totp {
    hotp: Hotp,
    step: u64,
    t0: u64,
}

impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Totp")
            .field("hotp", &self.hotp)
            .field("step", &self.step)
            .field("t0", &self.t0)
            .finish()
    }
}

impl Totp {
    /// `step` is the time step X in seconds (30 is usual), T0 = 0.
    pub fn new(
        secret: Vec<u8>,
        digits: u8,
        algorithm: Algorithm,
        step: u64,
    ) -> Result<Totp, OtpError> {
        if step == 0 {
            return Err(OtpError::InvalidStep);
        }
        Ok(Totp {
            hotp: Hotp::new(secret, digits, algorithm)?,
            step,
            t0: 0,
        })
    }

    /// Sets the epoch T0 (unix seconds).
    pub fn with_t0(mut self, t0: u64) -> Totp {
        self.t0 = t0;
        self
    }

    pub fn digits(&self) -> u8 {
        self.hotp.digits
    }

    pub fn algorithm(&self) -> Algorithm {
        self.hotp.algorithm
    }

    pub fn step(&self) -> u64 {
        self.step
    }

    /// Time counter `T = (unix_time − T0) / X` (times before T0 count as 0).
    pub fn counter_at(&self, unix_time: u64) -> u64 {
        unix_time.saturating_sub(self.t0) / self.step
    }

    /// Seconds until the code valid at `unix_time` changes.
    pub fn remaining_at(&self, unix_time: u64) -> u64 {
        self.step - unix_time.saturating_sub(self.t0) % self.step
    }

    /// The code valid at `unix_time`.
    pub fn generate_at(&self, unix_time: u64) -> String {
        self.hotp.generate(self.counter_at(unix_time))
    }

    /// Checks `code` against time steps `T − window ..= T + window` and returns the matched
    /// counter. Store it and pass it to [`Totp::verify_after`] next time to forbid reuse.
    pub fn verify_at(&self, code: &str, unix_time: u64, window: u64) -> Option<u64> {
        self.verify_after(code, unix_time, window, None)
    }

    /// Like [`Totp::verify_at`], but only counters strictly greater than `last_used` can match,
    /// so a code (or an older one) cannot be replayed.
    pub fn verify_after(
        &self,
        code: &str,
        unix_time: u64,
        window: u64,
        last_used: Option<u64>,
    ) -> Option<u64> {
        let t = self.counter_at(unix_time);
        let mut start = t.saturating_sub(window);
        let end = t.saturating_add(window);
        if let Some(used) = last_used {
            if used >= end {
                return None;
            }
            start = start.max(used + 1);
        }
        self.hotp.verify_range(code, start, end)
    }
}

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 encoding without padding (the usual form of authenticator-app secrets).
pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let mut buffer = 0u64;
    let mut bits = 0u32;
    for &byte in data {
        buffer = (buffer << 8) | u64::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(
                BASE32_ALPHABET[((buffer >> bits) & 31) as usize],
            ));
        }
    }
    if bits > 0 {
        out.push(char::from(
            BASE32_ALPHABET[((buffer << (5 - bits)) & 31) as usize],
        ));
    }
    out
}

/// RFC 4648 base32 decoding; case-insensitive, ignores whitespace, `-` and trailing `=` padding.
pub fn base32_decode(text: &str) -> Result<Vec<u8>, OtpError> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut buffer = 0u64;
    let mut bits = 0u32;
    let mut padding = false;
    for (position, c) in text.chars().enumerate() {
        if c.is_whitespace() || c == '-' {
            continue;
        }
        if c == '=' {
            padding = true;
            continue;
        }
        let upper = c.to_ascii_uppercase();
        let value = match upper {
            'A'..='Z' if !padding => upper as u64 - 'A' as u64,
            '2'..='7' if !padding => upper as u64 - '2' as u64 + 26,
            _ => return Err(OtpError::InvalidBase32 { position }),
        };
        buffer = ((buffer << 5) | value) & 0xffff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED20: &[u8] = b"12345678901234567890";
    const SEED32: &[u8] = b"12345678901234567890123456789012";
    const SEED64: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// RFC 4226 Appendix D: HMAC-SHA-1 values, truncated values and 6-digit HOTP, counts 0–9.
    #[test]
    fn rfc4226_appendix_d() {
        let vectors: [(&str, u32, &str); 10] = [
            (
                "cc93cf18508d94934c64b65d8ba7667fb7cde4b0",
                1284755224,
                "755224",
            ),
            (
                "75a48a19d4cbe100644e8ac1397eea747a2d33ab",
                1094287082,
                "287082",
            ),
            (
                "0bacb7fa082fef30782211938bc1c5e70416ff44",
                137359152,
                "359152",
            ),
            (
                "66c28227d03a2d5529262ff016a1e6ef76557ece",
                1726969429,
                "969429",
            ),
            (
                "a904c900a64b35909874b33e61c5938a8e15ed1c",
                1640338314,
                "338314",
            ),
            (
                "a37e783d7b7233c083d4f62926c7a25f238d0316",
                868254676,
                "254676",
            ),
            (
                "bc9cd28561042c83f219324d3c607256c03272ae",
                1918287922,
                "287922",
            ),
            (
                "a4fb960c0bc06e1eabb804e5b397cdc4b45596fa",
                82162583,
                "162583",
            ),
            (
                "1b3c89f65e6c9e883012052823443f048b4332db",
                673399871,
                "399871",
            ),
            (
                "1637409809a679dc698207310c8c7fc07290d9e5",
                645520489,
                "520489",
            ),
        ];
        let hotp = Hotp::new(SEED20.to_vec(), 6, Algorithm::Sha1).unwrap();
        for (count, (hmac_hex, truncated, code)) in vectors.into_iter().enumerate() {
            let count = count as u64;
            let digest = hmac_digest(Algorithm::Sha1, SEED20, &count.to_be_bytes());
            assert_eq!(hex(&digest), hmac_hex, "HMAC, count {count}");
            assert_eq!(truncated_value(SEED20, count, Algorithm::Sha1), truncated);
            assert_eq!(hotp.generate(count), code, "count {count}");
            assert_eq!(hotp.verify(code, count, 0), Some(count));
        }
    }

    /// RFC 6238 Appendix B: all 18 vectors (SHA-1, SHA-256, SHA-512; 8 digits; X = 30, T0 = 0).
    #[test]
    fn rfc6238_appendix_b() {
        let vectors: [(u64, u64, &str, &str, &str); 6] = [
            (59, 0x1, "94287082", "46119246", "90693936"),
            (1111111109, 0x23523EC, "07081804", "68084774", "25091201"),
            (1111111111, 0x23523ED, "14050471", "67062674", "99943326"),
            (1234567890, 0x273EF07, "89005924", "91819424", "93441116"),
            (2000000000, 0x3F940AA, "69279037", "90698825", "38618901"),
            (20000000000, 0x27BC86AA, "65353130", "77737706", "47863826"),
        ];
        let sha1 = Totp::new(SEED20.to_vec(), 8, Algorithm::Sha1, 30).unwrap();
        let sha256 = Totp::new(SEED32.to_vec(), 8, Algorithm::Sha256, 30).unwrap();
        let sha512 = Totp::new(SEED64.to_vec(), 8, Algorithm::Sha512, 30).unwrap();
        for (time, counter, c1, c256, c512) in vectors {
            for (totp, code) in [(&sha1, c1), (&sha256, c256), (&sha512, c512)] {
                assert_eq!(totp.counter_at(time), counter);
                assert_eq!(
                    totp.generate_at(time),
                    code,
                    "{:?} at {time}",
                    totp.algorithm()
                );
                assert_eq!(totp.verify_at(code, time, 0), Some(counter));
            }
        }
    }

    #[test]
    fn window_and_reuse() {
        let totp = Totp::new(SEED20.to_vec(), 6, Algorithm::Sha1, 30).unwrap();
        let now = 1_700_000_000;
        let t = totp.counter_at(now);
        let previous = totp.generate_at(now - 30);
        let next = totp.generate_at(now + 30);
        assert_eq!(totp.verify_at(&previous, now, 1), Some(t - 1));
        assert_eq!(totp.verify_at(&next, now, 1), Some(t + 1));
        assert_eq!(totp.verify_at(&previous, now, 0), None);
        let far = totp.generate_at(now - 90);
        assert_eq!(totp.verify_at(&far, now, 1), None);
        // Replay protection.
        let current = totp.generate_at(now);
        assert_eq!(totp.verify_after(&current, now, 1, Some(t - 1)), Some(t));
        assert_eq!(totp.verify_after(&current, now, 1, Some(t)), None);
        assert_eq!(totp.verify_after(&next, now, 1, Some(t)), Some(t + 1));
        assert_eq!(totp.verify_after(&next, now, 1, Some(t + 1)), None);
        assert_eq!(totp.verify_after(&next, now, 1, Some(u64::MAX)), None);
        // Malformed codes never match.
        assert_eq!(totp.verify_at("", now, 1), None);
        assert_eq!(totp.verify_at(&format!("{current}0"), now, 1), None);
        assert_eq!(totp.verify_at("12345a", now, 1), None);
        assert_eq!(totp.remaining_at(now), 30 - now % 30);
    }

    #[test]
    fn hotp_look_ahead_and_edges() {
        let hotp = Hotp::new(SEED20.to_vec(), 6, Algorithm::Sha1).unwrap();
        assert_eq!(hotp.verify("520489", 5, 4), Some(9));
        assert_eq!(hotp.verify("520489", 5, 3), None);
        assert_eq!(hotp.verify("755224", u64::MAX, 10), None);
        let _ = hotp.generate(u64::MAX);
        let seven = Hotp::new(SEED20.to_vec(), 7, Algorithm::Sha1).unwrap();
        assert_eq!(seven.generate(0), "4755224");
        let totp = Totp::new(SEED20.to_vec(), 8, Algorithm::Sha1, 30)
            .unwrap()
            .with_t0(100);
        assert_eq!(totp.counter_at(50), 0);
        assert_eq!(totp.counter_at(159), 1);
    }

    #[test]
    fn parameter_errors() {
        assert_eq!(
            Hotp::new(SEED20.to_vec(), 5, Algorithm::Sha1),
            Err(OtpError::InvalidDigits { digits: 5 })
        );
        assert_eq!(
            Hotp::new(SEED20.to_vec(), 9, Algorithm::Sha1),
            Err(OtpError::InvalidDigits { digits: 9 })
        );
        assert_eq!(
            Hotp::new(vec![1; 15], 6, Algorithm::Sha1),
            Err(OtpError::SecretTooShort { len: 15 })
        );
        assert_eq!(
            Totp::new(SEED20.to_vec(), 6, Algorithm::Sha1, 0),
            Err(OtpError::InvalidStep)
        );
        for e in [
            OtpError::InvalidDigits { digits: 5 },
            OtpError::SecretTooShort { len: 1 },
            OtpError::InvalidStep,
            OtpError::InvalidBase32 { position: 0 },
        ] {
            assert!(e.code().starts_with("otp."));
            assert!(!e.message_vi().is_empty());
            assert_eq!(e.to_string(), e.message_en());
        }
        let hotp = Hotp::new(SEED20.to_vec(), 6, Algorithm::Sha1).unwrap();
        assert!(!format!("{hotp:?}").contains("1234"));
    }

    #[test]
    fn base32_rfc4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base32_encode(plain.as_bytes()), encoded);
            assert_eq!(base32_decode(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(base32_decode("MZXW6YQ=").unwrap(), b"foob");
        assert_eq!(base32_decode("mzxw 6ytb-oi").unwrap(), b"foobar");
        assert_eq!(
            base32_decode("MZXW1"),
            Err(OtpError::InvalidBase32 { position: 4 })
        );
        assert_eq!(
            base32_decode("MY=A"),
            Err(OtpError::InvalidBase32 { position: 3 })
        );
        assert_eq!(
            base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap(),
            SEED20
        );
    }

    #[test]
    fn constant_time_eq() {
        assert!(ct_eq(b"123456", b"123456"));
        assert!(!ct_eq(b"123456", b"123457"));
        assert!(!ct_eq(b"123456", b"12345"));
    }

    #[test]
    fn algorithm_serde() {
        assert_eq!(
            serde_json::to_string(&Algorithm::Sha256).unwrap(),
            "\"SHA256\""
        );
        assert_eq!(
            serde_json::from_str::<Algorithm>("\"SHA512\"").unwrap(),
            Algorithm::Sha512
        );
    }
}
