//! Algorithms, X.509 certificates (the parts passive authentication needs) and signature
//! verification with `ring`.

use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use super::ChipError;
use super::der::{Tlv, oid_to_string, single};

pub(crate) const OID_SHA1: &str = "1.3.14.3.2.26";
pub(crate) const OID_SHA224: &str = "2.16.840.1.101.3.4.2.4";
pub(crate) const OID_SHA256: &str = "2.16.840.1.101.3.4.2.1";
pub(crate) const OID_SHA384: &str = "2.16.840.1.101.3.4.2.2";
pub(crate) const OID_SHA512: &str = "2.16.840.1.101.3.4.2.3";
const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
const OID_MGF1: &str = "1.2.840.113549.1.1.8";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_SUBJECT_KEY_ID: &str = "2.5.29.14";

/// A hash algorithm of the LDS security object or of CMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HashAlgorithm {
    #[serde(rename = "SHA-1")]
    Sha1,
    #[serde(rename = "SHA-224")]
    Sha224,
    #[serde(rename = "SHA-256")]
    Sha256,
    #[serde(rename = "SHA-384")]
    Sha384,
    #[serde(rename = "SHA-512")]
    Sha512,
}

impl HashAlgorithm {
    /// The algorithm of a dotted OID.
    pub fn from_oid(oid: &str) -> Option<HashAlgorithm> {
        Some(match oid {
            OID_SHA1 => Self::Sha1,
            OID_SHA224 => Self::Sha224,
            OID_SHA256 => Self::Sha256,
            OID_SHA384 => Self::Sha384,
            OID_SHA512 => Self::Sha512,
            _ => return None,
        })
    }

    /// `"SHA-256"` etc.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha224 => "SHA-224",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }

    /// Digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => Sha1::digest(data).to_vec(),
            Self::Sha224 => Sha224::digest(data).to_vec(),
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha384 => Sha384::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// Parses a digest `AlgorithmIdentifier` (parameters absent or NULL).
    pub(crate) fn from_algorithm_identifier(tlv: &Tlv<'_>) -> Result<HashAlgorithm, ChipError> {
        let alg = AlgorithmId::parse(tlv)?;
        if !(alg.parameters.is_empty() || alg.parameters == [0x05, 0x00]) {
            return Err(tlv.malformed("unexpected digest algorithm parameters"));
        }
        HashAlgorithm::from_oid(&alg.oid).ok_or(ChipError::UnsupportedAlgorithm {
            offset: tlv.offset,
            oid: alg.oid,
        })
    }
}

/// An `AlgorithmIdentifier`: dotted OID and the raw DER of its parameters (empty when absent).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AlgorithmId {
    pub oid: String,
    #[serde(with = "hex_bytes")]
    pub parameters: Vec<u8>,
}

impl AlgorithmId {
    pub(crate) fn parse(tlv: &Tlv<'_>) -> Result<AlgorithmId, ChipError> {
        if tlv.tag != 0x30 {
            return Err(ChipError::UnexpectedTag {
                offset: tlv.offset,
                expected: 0x30,
                found: tlv.tag,
            });
        }
        let mut r = tlv.reader();
        let oid = r.expect(0x06)?.oid()?;
        let parameters = if r.is_empty() {
            Vec::new()
        } else {
            r.read()?.raw.to_vec()
        };
        r.finish()?;
        Ok(AlgorithmId { oid, parameters })
    }
}

/// Signature padding / scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureScheme {
    RsaPkcs1v15,
    RsaPss,
    Ecdsa,
}

/// A resolved signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SignatureAlgorithm {
    pub scheme: SignatureScheme,
    pub hash: HashAlgorithm,
}

impl SignatureAlgorithm {
    /// Resolves a signature `AlgorithmIdentifier`. `digest` is the CMS digest algorithm, used when
    /// the identifier names only the key type (`rsaEncryption`, as OpenSSL writes in SignerInfo).
    /// RSA-PSS is accepted when MGF1 uses the same hash, the salt is as long as the hash and the
    /// trailer field is 1 (what `ring` verifies).
    pub fn resolve(
        alg: &AlgorithmId,
        digest: Option<HashAlgorithm>,
    ) -> Result<SignatureAlgorithm, String> {
        use HashAlgorithm as H;
        use SignatureScheme as S;
        let no_params = alg.parameters.is_empty() || alg.parameters == [0x05, 0x00];
        if alg.oid != OID_RSA_PSS && !no_params {
            return Err(format!(
                "unexpected parameters for signature algorithm {}",
                alg.oid
            ));
        }
        let (scheme, hash) = match alg.oid.as_str() {
            "1.2.840.113549.1.1.5" => (S::RsaPkcs1v15, H::Sha1),
            "1.2.840.113549.1.1.14" => (S::RsaPkcs1v15, H::Sha224),
            "1.2.840.113549.1.1.11" => (S::RsaPkcs1v15, H::Sha256),
            "1.2.840.113549.1.1.12" => (S::RsaPkcs1v15, H::Sha384),
            "1.2.840.113549.1.1.13" => (S::RsaPkcs1v15, H::Sha512),
            OID_RSA => match digest {
                Some(h) => (S::RsaPkcs1v15, h),
                None => return Err("rsaEncryption without a digest algorithm".into()),
            },
            "1.2.840.10045.4.1" => (S::Ecdsa, H::Sha1),
            "1.2.840.10045.4.3.1" => (S::Ecdsa, H::Sha224),
            "1.2.840.10045.4.3.2" => (S::Ecdsa, H::Sha256),
            "1.2.840.10045.4.3.3" => (S::Ecdsa, H::Sha384),
            "1.2.840.10045.4.3.4" => (S::Ecdsa, H::Sha512),
            OID_RSA_PSS => (S::RsaPss, pss_hash(&alg.parameters)?),
            other => return Err(format!("unsupported signature algorithm {other}")),
        };
        Ok(SignatureAlgorithm { scheme, hash })
    }
}

/// Checks RSASSA-PSS-params and returns the hash.
fn pss_hash(params: &[u8]) -> Result<HashAlgorithm, String> {
    let parse = || -> Result<(HashAlgorithm, HashAlgorithm, u64, u64), ChipError> {
        let seq = single(params, 0x30)?;
        let mut r = seq.reader();
        let mut hash = HashAlgorithm::Sha1;
        let mut mgf_hash = HashAlgorithm::Sha1;
        let mut salt = 20;
        let mut trailer = 1;
        if let Some(t) = r.optional(0xA0)? {
            let inner = single_in(&t, 0x30)?;
            hash = HashAlgorithm::from_algorithm_identifier(&inner)?;
        }
        if let Some(t) = r.optional(0xA1)? {
            let inner = single_in(&t, 0x30)?;
            let mgf = AlgorithmId::parse(&inner)?;
            if mgf.oid != OID_MGF1 {
                return Err(ChipError::UnsupportedAlgorithm {
                    offset: inner.offset,
                    oid: mgf.oid,
                });
            }
            let h = single(&mgf.parameters, 0x30)?;
            mgf_hash = HashAlgorithm::from_algorithm_identifier(&h)?;
        }
        if let Some(t) = r.optional(0xA2)? {
            salt = single_in(&t, 0x02)?.small_uint()?;
        }
        if let Some(t) = r.optional(0xA3)? {
            trailer = single_in(&t, 0x02)?.small_uint()?;
        }
        r.finish()?;
        Ok((hash, mgf_hash, salt, trailer))
    };
    let (hash, mgf_hash, salt, trailer) =
        parse().map_err(|e| format!("invalid RSA-PSS parameters: {}", e.message_en()))?;
    if hash != mgf_hash || salt != hash.output_len() as u64 || trailer != 1 {
        return Err(format!(
            "unsupported RSA-PSS parameters (hash {}, MGF1 {}, salt {salt}, trailer {trailer})",
            hash.name(),
            mgf_hash.name()
        ));
    }
    Ok(hash)
}

/// The single element inside an explicitly tagged element.
fn single_in<'a>(outer: &Tlv<'a>, tag: u32) -> Result<Tlv<'a>, ChipError> {
    let mut r = outer.reader();
    let t = r.expect(tag)?;
    r.finish()?;
    Ok(t)
}

/// Public key of a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PublicKey {
    /// `RSAPublicKey` DER (modulus, exponent).
    Rsa(Vec<u8>),
    /// Uncompressed point on a named curve.
    EcP256(Vec<u8>),
    EcP384(Vec<u8>),
    /// Anything `ring` does not verify (Brainpool, explicit curve parameters, DSA, ...).
    Unsupported {
        algorithm: String,
        curve: Option<String>,
    },
}

impl PublicKey {
    fn parse(spki: &Tlv<'_>) -> Result<PublicKey, ChipError> {
        let mut r = spki.reader();
        let alg_tlv = r.expect(0x30)?;
        let alg = AlgorithmId::parse(&alg_tlv)?;
        let key = r.expect(0x03)?.bit_string_bytes()?.to_vec();
        r.finish()?;
        Ok(match alg.oid.as_str() {
            OID_RSA | OID_RSA_PSS => PublicKey::Rsa(key),
            OID_EC_PUBLIC_KEY => {
                let curve = single(&alg.parameters, 0x06)
                    .ok()
                    .and_then(|t| oid_to_string(t.value));
                match curve.as_deref() {
                    Some(OID_P256) => PublicKey::EcP256(key),
                    Some(OID_P384) => PublicKey::EcP384(key),
                    _ => PublicKey::Unsupported {
                        algorithm: alg.oid,
                        curve: Some(curve.unwrap_or_else(|| "explicit parameters".into())),
                    },
                }
            }
            _ => PublicKey::Unsupported {
                algorithm: alg.oid,
                curve: None,
            },
        })
    }

    /// Short description, e.g. `"RSA"`, `"ECDSA P-256"`.
    pub fn describe(&self) -> String {
        match self {
            Self::Rsa(_) => "RSA".into(),
            Self::EcP256(_) => "ECDSA P-256".into(),
            Self::EcP384(_) => "ECDSA P-384".into(),
            Self::Unsupported { algorithm, curve } => match curve {
                Some(c) => format!("{algorithm} ({c})"),
                None => algorithm.clone(),
            },
        }
    }

    /// Verifies `signature` over `message`. `Err` carries a human-readable reason.
    pub fn verify(
        &self,
        alg: SignatureAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), String> {
        use HashAlgorithm as H;
        use SignatureScheme as S;
        use ring::signature as rs;
        let (verifier, key): (&'static dyn rs::VerificationAlgorithm, &[u8]) =
            match (self, alg.scheme, alg.hash) {
                (Self::Rsa(k), S::RsaPkcs1v15, H::Sha1) => {
                    (&rs::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY, k)
                }
                (Self::Rsa(k), S::RsaPkcs1v15, H::Sha256) => (&rs::RSA_PKCS1_2048_8192_SHA256, k),
                (Self::Rsa(k), S::RsaPkcs1v15, H::Sha384) => (&rs::RSA_PKCS1_2048_8192_SHA384, k),
                (Self::Rsa(k), S::RsaPkcs1v15, H::Sha512) => (&rs::RSA_PKCS1_2048_8192_SHA512, k),
                (Self::Rsa(k), S::RsaPss, H::Sha256) => (&rs::RSA_PSS_2048_8192_SHA256, k),
                (Self::Rsa(k), S::RsaPss, H::Sha384) => (&rs::RSA_PSS_2048_8192_SHA384, k),
                (Self::Rsa(k), S::RsaPss, H::Sha512) => (&rs::RSA_PSS_2048_8192_SHA512, k),
                (Self::EcP256(k), S::Ecdsa, H::Sha256) => (&rs::ECDSA_P256_SHA256_ASN1, k),
                (Self::EcP256(k), S::Ecdsa, H::Sha384) => (&rs::ECDSA_P256_SHA384_ASN1, k),
                (Self::EcP384(k), S::Ecdsa, H::Sha256) => (&rs::ECDSA_P384_SHA256_ASN1, k),
                (Self::EcP384(k), S::Ecdsa, H::Sha384) => (&rs::ECDSA_P384_SHA384_ASN1, k),
                _ => {
                    return Err(format!(
                        "unsupported combination: {} key with {:?} over {}",
                        self.describe(),
                        alg.scheme,
                        alg.hash.name()
                    ));
                }
            };
        rs::UnparsedPublicKey::new(verifier, key)
            .verify(message, signature)
            .map_err(|_| "signature does not verify".to_owned())
    }
}

/// An X.509 certificate, with the fields passive authentication uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Certificate {
    /// The whole certificate (DER).
    pub der: Vec<u8>,
    /// `tbsCertificate` (DER), what the issuer signed.
    pub tbs: Vec<u8>,
    /// Serial number contents (big-endian two's complement).
    pub serial: Vec<u8>,
    /// Issuer `Name` (DER), compared byte for byte with a CSCA's subject.
    pub issuer: Vec<u8>,
    /// Subject `Name` (DER).
    pub subject: Vec<u8>,
    /// Validity as Unix seconds (inclusive).
    pub not_before: i64,
    pub not_after: i64,
    pub public_key: PublicKey,
    /// Subject key identifier extension, if present.
    pub subject_key_id: Option<Vec<u8>>,
    /// Outer signature algorithm and value (the issuer's signature over `tbs`).
    pub signature_algorithm: AlgorithmId,
    pub signature: Vec<u8>,
}

impl Certificate {
    /// Parses a DER certificate (strict: the input must be exactly one certificate).
    pub fn from_der(der: &[u8]) -> Result<Certificate, ChipError> {
        let outer = single(der, 0x30)?;
        Certificate::from_tlv(&outer)
    }

    /// Parses a certificate element (offsets in errors are relative to the enclosing input).
    pub(crate) fn from_tlv(outer: &Tlv<'_>) -> Result<Certificate, ChipError> {
        let mut r = outer.reader();
        let tbs = r.expect(0x30)?;
        let sig_alg = AlgorithmId::parse(&r.expect(0x30)?)?;
        let signature = r.expect(0x03)?.bit_string_bytes()?.to_vec();
        r.finish()?;

        let mut t = tbs.reader();
        if let Some(v) = t.optional(0xA0)? {
            let version = single_in(&v, 0x02)?.small_uint()?;
            if version > 2 {
                return Err(v.malformed("unknown certificate version"));
            }
        }
        let serial = t.expect(0x02)?.integer_bytes()?.to_vec();
        let inner_alg_tlv = t.expect(0x30)?;
        let inner_alg = AlgorithmId::parse(&inner_alg_tlv)?;
        if inner_alg != sig_alg {
            return Err(inner_alg_tlv.malformed("signature algorithms of the certificate differ"));
        }
        let issuer = t.expect(0x30)?;
        name_to_string(&issuer)?;
        let validity = t.expect(0x30)?;
        let mut v = validity.reader();
        let not_before = parse_time(&v.read()?)?;
        let not_after = parse_time(&v.read()?)?;
        v.finish()?;
        let subject = t.expect(0x30)?;
        name_to_string(&subject)?;
        let public_key = PublicKey::parse(&t.expect(0x30)?)?;
        t.optional(0x81)?; // issuerUniqueID
        t.optional(0x82)?; // subjectUniqueID
        let mut subject_key_id = None;
        if let Some(ext) = t.optional(0xA3)? {
            let exts = single_in(&ext, 0x30)?;
            let mut e = exts.reader();
            while !e.is_empty() {
                let one = e.expect(0x30)?;
                let mut f = one.reader();
                let oid = f.expect(0x06)?.oid()?;
                f.optional(0x01)?; // critical
                let value = f.expect(0x04)?;
                f.finish()?;
                if oid == OID_SUBJECT_KEY_ID {
                    let inner = single(value.value, 0x04).map_err(|_| {
                        value.malformed("subject key identifier is not an OCTET STRING")
                    })?;
                    subject_key_id = Some(inner.value.to_vec());
                }
            }
        }
        t.finish()?;
        Ok(Certificate {
            der: outer.raw.to_vec(),
            tbs: tbs.raw.to_vec(),
            serial,
            issuer: issuer.raw.to_vec(),
            subject: subject.raw.to_vec(),
            not_before,
            not_after,
            public_key,
            subject_key_id,
            signature_algorithm: sig_alg,
            signature,
        })
    }

    /// Readable subject, e.g. `"C=VN, O=Halong Test, CN=Halong Test DS RSA"`.
    pub fn subject_string(&self) -> String {
        readable_name(&self.subject)
    }

    /// Readable issuer.
    pub fn issuer_string(&self) -> String {
        readable_name(&self.issuer)
    }

    /// Whether `now_unix` is within `[not_before, not_after]`.
    pub fn valid_at(&self, now_unix: i64) -> bool {
        self.not_before <= now_unix && now_unix <= self.not_after
    }

    /// Verifies that `issuer` signed this certificate (names must match too).
    pub fn verify_issued_by(&self, issuer: &Certificate) -> Result<(), String> {
        if self.issuer != issuer.subject {
            return Err(format!(
                "issuer \"{}\" is not the subject \"{}\"",
                self.issuer_string(),
                issuer.subject_string()
            ));
        }
        let alg = SignatureAlgorithm::resolve(&self.signature_algorithm, None)?;
        issuer.public_key.verify(alg, &self.tbs, &self.signature)
    }
}

fn readable_name(der: &[u8]) -> String {
    single(der, 0x30)
        .and_then(|t| name_to_string(&t))
        .unwrap_or_else(|_| "?".into())
}

/// `Name` → `"C=VN, O=..., CN=..."` (unknown attribute types as dotted OIDs); also validates the
/// structure.
pub(crate) fn name_to_string(name: &Tlv<'_>) -> Result<String, ChipError> {
    let mut parts = Vec::new();
    let mut r = name.reader();
    while !r.is_empty() {
        let rdn = r.expect(0x31)?;
        let mut s = rdn.reader();
        while !s.is_empty() {
            let atv = s.expect(0x30)?;
            let mut a = atv.reader();
            let oid = a.expect(0x06)?.oid()?;
            let value = a.read()?;
            a.finish()?;
            let key = match oid.as_str() {
                "2.5.4.3" => "CN".to_owned(),
                "2.5.4.5" => "serialNumber".to_owned(),
                "2.5.4.6" => "C".to_owned(),
                "2.5.4.7" => "L".to_owned(),
                "2.5.4.8" => "ST".to_owned(),
                "2.5.4.10" => "O".to_owned(),
                "2.5.4.11" => "OU".to_owned(),
                _ => oid,
            };
            parts.push(format!("{key}={}", String::from_utf8_lossy(value.value)));
        }
    }
    Ok(parts.join(", "))
}

/// UTCTime (`YYMMDDHHMMSSZ`, years 1950–2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) → Unix s.
pub(crate) fn parse_time(t: &Tlv<'_>) -> Result<i64, ChipError> {
    let v = t.value;
    let bad = || t.malformed("invalid time");
    let digits = |s: &[u8]| -> Option<i64> {
        s.iter().try_fold(0i64, |acc, b| {
            b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
        })
    };
    let (year, rest) = match (t.tag, v.len()) {
        (0x17, 13) => {
            let yy = digits(&v[..2]).ok_or_else(bad)?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &v[2..])
        }
        (0x18, 15) => (digits(&v[..4]).ok_or_else(bad)?, &v[4..]),
        (0x17 | 0x18, _) => return Err(bad()),
        (found, _) => {
            return Err(ChipError::UnexpectedTag {
                offset: t.offset,
                expected: 0x17,
                found,
            });
        }
    };
    if rest[10] != b'Z' {
        return Err(bad());
    }
    let field = |i: usize| digits(&rest[i..i + 2]).ok_or_else(bad);
    let (month, day, hour, minute, second) =
        (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_len = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if day < 1 || day > month_len || hour > 23 || minute > 59 || second > 59 {
        return Err(bad());
    }
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Serde helper: bytes as lower-case hex.
pub(crate) mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn to_hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        if s.len() % 2 != 0 || !s.is_ascii() {
            return Err(serde::de::Error::custom("odd-length or non-ASCII hex"));
        }
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(serde::de::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(tag: u8, s: &str) -> Result<i64, ChipError> {
        let mut der = vec![tag, s.len() as u8];
        der.extend(s.as_bytes());
        parse_time(&single(&der, u32::from(tag)).unwrap())
    }

    #[test]
    fn times() {
        assert_eq!(time(0x17, "700101000000Z").unwrap(), 0);
        assert_eq!(time(0x17, "491231235959Z").unwrap(), 2_524_607_999);
        assert_eq!(time(0x17, "500101000000Z").unwrap(), -631_152_000);
        assert_eq!(time(0x18, "20360101000000Z").unwrap(), 2_082_758_400);
        assert_eq!(time(0x17, "240229120000Z").unwrap(), 1_709_208_000);
        assert!(time(0x17, "230229120000Z").is_err());
        assert!(time(0x17, "250101000000+0700").is_err());
        assert!(time(0x17, "2501010000Z").is_err());
        assert!(time(0x18, "2025010100000Z").is_err());
        assert!(time(0x17, "251301000000Z").is_err());
        assert!(time(0x17, "25010100006AZ").is_err());
    }

    #[test]
    fn hashes() {
        for h in [
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha224,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ] {
            assert_eq!(h.digest(b"abc").len(), h.output_len());
        }
        assert_eq!(
            hex_bytes::to_hex(&HashAlgorithm::Sha256.digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
