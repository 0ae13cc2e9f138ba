//! Minimal DER reader for X.509 certificates: what signature verification and reporting
//! need (TBS bytes, names, validity, RSA public key, signature algorithm), nothing more.
//! Every length is bounds-checked; anything unexpected is an error, never a panic.

use std::fmt;

/// Error decoding a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertError(pub &'static str);

impl fmt::Display for CertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "certificate: {}", self.0)
    }
}

impl std::error::Error for CertError {}

type R<T> = Result<T, CertError>;

/// One DER TLV: tag byte, content, and the whole encoding.
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    raw: &'a [u8],
}

fn read_tlv(input: &[u8]) -> R<(Tlv<'_>, &[u8])> {
    let tag = *input.first().ok_or(CertError("truncated"))?;
    if tag & 0x1f == 0x1f {
        return Err(CertError("multi-byte tag"));
    }
    let l0 = *input.get(1).ok_or(CertError("truncated"))?;
    let (len, hdr) = if l0 < 0x80 {
        (l0 as usize, 2)
    } else {
        let n = (l0 & 0x7f) as usize;
        if n == 0 || n > 4 {
            return Err(CertError("bad length"));
        }
        let bytes = input.get(2..2 + n).ok_or(CertError("truncated"))?;
        let mut len = 0usize;
        for b in bytes {
            len = (len << 8) | *b as usize;
        }
        (len, 2 + n)
    };
    let end = hdr.checked_add(len).ok_or(CertError("bad length"))?;
    let content = input.get(hdr..end).ok_or(CertError("truncated"))?;
    Ok((
        Tlv {
            tag,
            content,
            raw: &input[..end],
        },
        &input[end..],
    ))
}

fn expect(input: &[u8], tag: u8) -> R<(Tlv<'_>, &[u8])> {
    let (t, rest) = read_tlv(input)?;
    if t.tag != tag {
        return Err(CertError("unexpected tag"));
    }
    Ok((t, rest))
}

/// Dotted form of an OID's content bytes.
pub fn oid_to_string(c: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut v: u64 = 0;
    for b in c {
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (v / 40).min(2);
                arcs.push(first);
                arcs.push(v - first * 40);
            } else {
                arcs.push(v);
            }
            v = 0;
        }
        if v > (u64::MAX >> 8) {
            break;
        }
    }
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

fn attr_short(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "SERIALNUMBER",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "T",
        "2.5.4.42" => "G",
        "1.2.840.113549.1.9.1" => "E",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        _ => return None,
    })
}

fn decode_string(tag: u8, c: &[u8]) -> Option<String> {
    match tag {
        0x0c | 0x13 | 0x16 | 0x12 | 0x1a => std::str::from_utf8(c).ok().map(str::to_owned),
        0x14 => Some(c.iter().map(|b| *b as char).collect()),
        0x1e => {
            if !c.len().is_multiple_of(2) {
                return None;
            }
            let u: Vec<u16> = c
                .chunks(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect();
            String::from_utf16(&u).ok()
        }
        0x1c => {
            if !c.len().is_multiple_of(4) {
                return None;
            }
            c.chunks(4)
                .map(|p| char::from_u32(u32::from_be_bytes([p[0], p[1], p[2], p[3]])))
                .collect()
        }
        _ => None,
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// Render a Name in certificate order, `CN=…, O=…, C=VN`; values with `,+"\<>;` or
/// leading/trailing spaces are double-quoted (as .NET does).
fn format_name(content: &[u8]) -> R<String> {
    let mut rdns = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (set, r) = expect(rest, 0x31)?;
        rest = r;
        let mut parts = Vec::new();
        let mut s = set.content;
        while !s.is_empty() {
            let (atv, r2) = expect(s, 0x30)?;
            s = r2;
            let (oid, r3) = expect(atv.content, 0x06)?;
            let (val, _) = read_tlv(r3)?;
            let oid_s = oid_to_string(oid.content);
            let key = attr_short(&oid_s).map_or_else(|| format!("OID.{oid_s}"), str::to_owned);
            let v =
                decode_string(val.tag, val.content).unwrap_or_else(|| format!("#{}", hex(val.raw)));
            let needs_quotes = v.contains([',', '+', '"', '\\', '<', '>', ';'])
                || v.starts_with(' ')
                || v.ends_with(' ');
            if needs_quotes {
                parts.push(format!("{key}=\"{}\"", v.replace('"', "\"\"")));
            } else {
                parts.push(format!("{key}={v}"));
            }
        }
        rdns.push(parts.join(" + "));
    }
    Ok(rdns.join(", "))
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since 1970 as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_unix(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn parse_time(t: &Tlv<'_>) -> R<i64> {
    let s = std::str::from_utf8(t.content).map_err(|_| CertError("bad time"))?;
    let digits = |a: usize, b: usize| -> R<i64> {
        s.get(a..b)
            .filter(|x| x.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|x| x.parse().ok())
            .ok_or(CertError("bad time"))
    };
    let (year, off) = match t.tag {
        0x17 => {
            let yy = digits(0, 2)?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, 2)
        }
        0x18 => (digits(0, 4)?, 4),
        _ => return Err(CertError("bad time tag")),
    };
    if s.len() != off + 11 || !s.ends_with('Z') {
        return Err(CertError("bad time"));
    }
    let mo = digits(off, off + 2)?;
    let d = digits(off + 2, off + 4)?;
    let h = digits(off + 4, off + 6)?;
    let mi = digits(off + 6, off + 8)?;
    let se = digits(off + 8, off + 10)?;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return Err(CertError("bad time"));
    }
    Ok(days_from_civil(year, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

/// A decoded certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The whole DER encoding.
    pub der: Vec<u8>,
    /// DER of `tbsCertificate` (what the issuer signed).
    pub tbs: Vec<u8>,
    /// Serial number, hex.
    pub serial_hex: String,
    /// Outer signature algorithm OID (dotted).
    pub signature_algorithm: String,
    /// Issuer's signature bits.
    pub signature: Vec<u8>,
    /// Issuer Name, DER (for matching).
    pub issuer_der: Vec<u8>,
    /// Subject Name, DER.
    pub subject_der: Vec<u8>,
    /// Issuer, rendered.
    pub issuer: String,
    /// Subject, rendered.
    pub subject: String,
    /// Not before, seconds since 1970 UTC.
    pub not_before: i64,
    /// Not after, seconds since 1970 UTC.
    pub not_after: i64,
    /// Public key algorithm OID (dotted).
    pub key_algorithm: String,
    /// Public key bits (for RSA: the DER `RSAPublicKey`).
    pub public_key: Vec<u8>,
    /// RSA modulus size in bits (0 if not RSA).
    pub rsa_bits: usize,
}

/// `rsaEncryption`.
pub const OID_RSA: &str = "1.2.840.113549.1.1.1";

fn rsa_modulus_bits(key: &[u8]) -> usize {
    let Ok((seq, _)) = expect(key, 0x30) else {
        return 0;
    };
    let Ok((n, _)) = expect(seq.content, 0x02) else {
        return 0;
    };
    let m: &[u8] = {
        let mut m = n.content;
        while m.first() == Some(&0) {
            m = &m[1..];
        }
        m
    };
    match m.first() {
        None => 0,
        Some(b) => (m.len() - 1) * 8 + (8 - b.leading_zeros() as usize),
    }
}

impl Certificate {
    /// Decode a DER certificate.
    pub fn from_der(der: &[u8]) -> R<Certificate> {
        let (cert, _) = expect(der, 0x30)?;
        let (tbs, rest) = expect(cert.content, 0x30)?;
        let (alg, rest) = expect(rest, 0x30)?;
        let (sig, _) = expect(rest, 0x03)?;
        let (alg_oid, _) = expect(alg.content, 0x06)?;
        let signature = sig
            .content
            .get(1..)
            .ok_or(CertError("empty signature"))?
            .to_vec();
        let mut t = tbs.content;
        if t.first() == Some(&0xa0) {
            t = read_tlv(t)?.1;
        }
        let (serial, t) = expect(t, 0x02)?;
        let (_sig_alg, t) = expect(t, 0x30)?;
        let (issuer, t) = expect(t, 0x30)?;
        let (validity, t) = expect(t, 0x30)?;
        let (subject, t) = expect(t, 0x30)?;
        let (spki, _) = expect(t, 0x30)?;
        let (nb, v) = read_tlv(validity.content)?;
        let (na, _) = read_tlv(v)?;
        let (kalg, krest) = expect(spki.content, 0x30)?;
        let (koid, _) = expect(kalg.content, 0x06)?;
        let (kbits, _) = expect(krest, 0x03)?;
        let public_key = kbits
            .content
            .get(1..)
            .ok_or(CertError("empty key"))?
            .to_vec();
        let key_algorithm = oid_to_string(koid.content);
        let rsa_bits = if key_algorithm == OID_RSA {
            rsa_modulus_bits(&public_key)
        } else {
            0
        };
        Ok(Certificate {
            der: cert.raw.to_vec(),
            tbs: tbs.raw.to_vec(),
            serial_hex: hex(serial.content),
            signature_algorithm: oid_to_string(alg_oid.content),
            signature,
            issuer_der: issuer.raw.to_vec(),
            subject_der: subject.raw.to_vec(),
            issuer: format_name(issuer.content)?,
            subject: format_name(subject.content)?,
            not_before: parse_time(&nb)?,
            not_after: parse_time(&na)?,
            key_algorithm,
            public_key,
            rsa_bits,
        })
    }

    /// Is `now` (seconds since 1970) within the validity period?
    pub fn valid_at(&self, now: i64) -> bool {
        self.not_before <= now && now <= self.not_after
    }

    /// Verify that `issuer` signed this certificate (RSA PKCS#1 v1.5, SHA-1/256/384/512).
    pub fn verify_issued_by(&self, issuer: &Certificate, allow_sha1: bool) -> bool {
        use ring::signature as s;
        if issuer.key_algorithm != OID_RSA || self.issuer_der != issuer.subject_der {
            return false;
        }
        let alg: &dyn s::VerificationAlgorithm = match self.signature_algorithm.as_str() {
            "1.2.840.113549.1.1.11" => &s::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            "1.2.840.113549.1.1.12" => &s::RSA_PKCS1_2048_8192_SHA384,
            "1.2.840.113549.1.1.13" => &s::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
            "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" if allow_sha1 => {
                &s::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY
            }
            _ => return false,
        };
        s::UnparsedPublicKey::new(alg, &issuer.public_key)
            .verify(&self.tbs, &self.signature)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formatting() {
        assert_eq!(format_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_unix(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn garbage_is_an_error() {
        for g in [
            &[][..],
            &[0x30],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x03, 0x02, 0x01],
        ] {
            assert!(Certificate::from_der(g).is_err());
        }
    }
}
