//! The Document Security Object (EF.SOD): `77 L { ContentInfo(SignedData) }` whose encapsulated
//! content is the `LDSSecurityObject` (ICAO 9303 Part 10 §4.6.2, Part 11 §5.1; RFC 5652).

use serde::{Deserialize, Serialize};

use super::ChipError;
use super::cert::{AlgorithmId, Certificate, HashAlgorithm, hex_bytes, parse_time};
use super::der::{Reader, Tlv, single};

/// `id-signedData`.
pub const OID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
/// `id-icao-mrtd-security-ldsSecurityObject`.
pub const OID_LDS_SECURITY_OBJECT: &str = "2.23.136.1.1.1";
const OID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const OID_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";

/// One `DataGroupHash` of the LDS security object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DataGroupHash {
    /// 1..=16.
    pub number: u8,
    #[serde(with = "hex_bytes")]
    pub hash: Vec<u8>,
}

/// How the SignerInfo names its certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SignerIdentifier {
    /// Issuer `Name` (DER) and serial number contents.
    IssuerAndSerial { issuer: Vec<u8>, serial: Vec<u8> },
    /// Subject key identifier.
    SubjectKeyId(Vec<u8>),
}

impl SignerIdentifier {
    /// Whether `cert` is the one named.
    pub fn matches(&self, cert: &Certificate) -> bool {
        match self {
            Self::IssuerAndSerial { issuer, serial } => {
                &cert.issuer == issuer && &cert.serial == serial
            }
            Self::SubjectKeyId(id) => cert.subject_key_id.as_ref() == Some(id),
        }
    }
}

/// The (single) SignerInfo of the SOD.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SignerInfo {
    pub sid: SignerIdentifier,
    /// Digest algorithm for `messageDigest` and the signature.
    pub digest_algorithm: HashAlgorithm,
    /// The signed attributes, DER-encoded with the `SET OF` tag (`31`): the signed message.
    pub signed_attributes: Vec<u8>,
    /// Value of the `contentType` attribute (dotted OID), if present.
    pub content_type: Option<String>,
    /// Value of the `messageDigest` attribute.
    pub message_digest: Vec<u8>,
    /// `signingTime` attribute as Unix seconds, if present.
    pub signing_time: Option<i64>,
    pub signature_algorithm: AlgorithmId,
    pub signature: Vec<u8>,
}

/// A parsed Document Security Object.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sod {
    /// `LDSSecurityObject.version` (0, or 1 with `ldsVersionInfo`).
    pub lds_version: u8,
    /// Hash algorithm of the data-group hashes.
    pub hash_algorithm: HashAlgorithm,
    /// Data-group hashes in SOD order (numbers unique).
    pub data_group_hashes: Vec<DataGroupHash>,
    /// The encapsulated content: the DER `LDSSecurityObject` that `messageDigest` covers.
    pub lds_security_object: Vec<u8>,
    /// `SignedData.certificates` (normally exactly the document signer certificate).
    pub certificates: Vec<Certificate>,
    pub signer: SignerInfo,
}

impl Sod {
    /// Parses EF.SOD. Strict DER (definite, minimal lengths; no trailing bytes); exactly one
    /// SignerInfo with signed attributes holding one `messageDigest`. Unknown signature
    /// algorithms are kept (as [`AlgorithmId`]) and reported by passive authentication; an
    /// unknown hash algorithm is an error.
    pub fn parse(bytes: &[u8]) -> Result<Sod, ChipError> {
        let outer = single(bytes, 0x77)?;
        let mut r = outer.reader();
        let content_info = r.expect(0x30)?;
        r.finish()?;

        let mut ci = content_info.reader();
        let ct = ci.expect(0x06)?;
        expect_oid(&ct, OID_SIGNED_DATA, "id-signedData")?;
        let explicit = ci.expect(0xA0)?;
        ci.finish()?;
        let mut e = explicit.reader();
        let signed_data = e.expect(0x30)?;
        e.finish()?;

        let mut sd = signed_data.reader();
        // Version 3: the eContentType is not id-data (RFC 5652 §5.1; ICAO 9303-10 §4.6.2.2).
        let version = sd.expect(0x02)?;
        if version.small_uint()? != 3 {
            return Err(version.malformed("SignedData version is not 3"));
        }
        let digest_algorithms = sd.expect(0x31)?;
        let mut d = digest_algorithms.reader();
        let mut listed_digests = Vec::new();
        while !d.is_empty() {
            listed_digests.push(HashAlgorithm::from_algorithm_identifier(&d.read()?)?);
        }

        // encapContentInfo
        let encap = sd.expect(0x30)?;
        let mut ec = encap.reader();
        let econtent_type = ec.expect(0x06)?;
        expect_oid(
            &econtent_type,
            OID_LDS_SECURITY_OBJECT,
            "id-icao-mrtd-security-ldsSecurityObject",
        )?;
        let econtent_explicit = ec.read().and_then(|t| {
            if t.tag == 0xA0 {
                Ok(t)
            } else {
                Err(ChipError::Missing {
                    offset: t.offset,
                    what: "encapsulated LDSSecurityObject",
                })
            }
        })?;
        ec.finish()?;
        let mut x = econtent_explicit.reader();
        let econtent = x.expect(0x04)?;
        x.finish()?;
        let (lds_version, hash_algorithm, data_group_hashes) = parse_lds(&econtent)?;

        let mut certificates = Vec::new();
        if let Some(certs) = sd.optional(0xA0)? {
            let mut c = certs.reader();
            while !c.is_empty() {
                let cert = c.expect(0x30)?;
                certificates.push(Certificate::from_tlv(&cert)?);
            }
        }
        sd.optional(0xA1)?; // crls: not used
        let signer_infos = sd.expect(0x31)?;
        sd.finish()?;
        let mut si = signer_infos.reader();
        if si.is_empty() {
            return Err(ChipError::Missing {
                offset: signer_infos.offset,
                what: "SignerInfo",
            });
        }
        let signer_tlv = si.expect(0x30)?;
        let signer = parse_signer_info(&signer_tlv)?;
        if !listed_digests.contains(&signer.digest_algorithm) {
            return Err(ChipError::Malformed {
                offset: signer_tlv.offset,
                what: "SignerInfo digest algorithm not in SignedData.digestAlgorithms",
            });
        }
        if !si.is_empty() {
            return Err(ChipError::Malformed {
                offset: si.offset(),
                what: "more than one SignerInfo",
            });
        }

        Ok(Sod {
            lds_version,
            hash_algorithm,
            data_group_hashes,
            lds_security_object: econtent.value.to_vec(),
            certificates,
            signer,
        })
    }

    /// The hash the SOD lists for data group `number`.
    pub fn hash_of(&self, number: u8) -> Option<&[u8]> {
        self.data_group_hashes
            .iter()
            .find(|h| h.number == number)
            .map(|h| h.hash.as_slice())
    }

    /// The document signer certificate: the one in `certificates` that the SignerInfo names.
    pub fn ds_certificate(&self) -> Option<&Certificate> {
        self.certificates
            .iter()
            .find(|c| self.signer.sid.matches(c))
    }
}

fn expect_oid(t: &Tlv<'_>, expected: &'static str, name: &'static str) -> Result<(), ChipError> {
    let found = t.oid()?;
    if found == expected {
        Ok(())
    } else {
        Err(ChipError::UnexpectedOid {
            offset: t.offset,
            expected: name,
            found,
        })
    }
}

type Lds = (u8, HashAlgorithm, Vec<DataGroupHash>);

/// `LDSSecurityObject ::= SEQUENCE { version, hashAlgorithm, dataGroupHashValues,
/// ldsVersionInfo OPTIONAL }`, read from the eContent OCTET STRING.
fn parse_lds(econtent: &Tlv<'_>) -> Result<Lds, ChipError> {
    let mut outer = Reader::new(econtent.value, econtent.value_offset);
    let seq = outer.expect(0x30)?;
    outer.finish()?;
    let mut r = seq.reader();
    let version_tlv = r.expect(0x02)?;
    let version = match version_tlv.small_uint()? {
        v @ (0 | 1) => v as u8,
        _ => return Err(version_tlv.malformed("unknown LDSSecurityObject version")),
    };
    let hash = HashAlgorithm::from_algorithm_identifier(&r.expect(0x30)?)?;
    let list = r.expect(0x30)?;
    let mut l = list.reader();
    let mut hashes: Vec<DataGroupHash> = Vec::new();
    while !l.is_empty() {
        let item = l.expect(0x30)?;
        let mut i = item.reader();
        let n = i.expect(0x02)?;
        let number = match n.small_uint()? {
            v @ 1..=16 => v as u8,
            _ => return Err(n.malformed("data group number outside 1..=16")),
        };
        let h = i.expect(0x04)?;
        i.finish()?;
        if h.value.len() != hash.output_len() {
            return Err(h.malformed("data group hash length does not match the hash algorithm"));
        }
        if hashes.iter().any(|x| x.number == number) {
            return Err(n.malformed("data group listed twice"));
        }
        hashes.push(DataGroupHash {
            number,
            hash: h.value.to_vec(),
        });
    }
    if hashes.is_empty() {
        return Err(ChipError::Missing {
            offset: list.offset,
            what: "data group hashes",
        });
    }
    if version == 1 {
        // ldsVersionInfo ::= SEQUENCE { ldsVersion PrintableString, unicodeVersion PrintableString }
        let info = r.expect(0x30)?;
        let mut v = info.reader();
        v.expect(0x13)?;
        v.expect(0x13)?;
        v.finish()?;
    }
    r.finish()?;
    Ok((version, hash, hashes))
}

fn parse_signer_info(tlv: &Tlv<'_>) -> Result<SignerInfo, ChipError> {
    let mut r = tlv.reader();
    let version = r.expect(0x02)?;
    let sid = match version.small_uint()? {
        1 => {
            let ias = r.expect(0x30)?;
            let mut i = ias.reader();
            let issuer = i.expect(0x30)?;
            super::cert::name_to_string(&issuer)?;
            let serial = i.expect(0x02)?.integer_bytes()?;
            i.finish()?;
            SignerIdentifier::IssuerAndSerial {
                issuer: issuer.raw.to_vec(),
                serial: serial.to_vec(),
            }
        }
        3 => SignerIdentifier::SubjectKeyId(r.expect(0x80)?.value.to_vec()),
        _ => return Err(version.malformed("SignerInfo version is not 1 or 3")),
    };
    let digest_algorithm = HashAlgorithm::from_algorithm_identifier(&r.expect(0x30)?)?;
    let attrs = match r.optional(0xA0)? {
        Some(a) => a,
        None => {
            return Err(ChipError::Missing {
                offset: r.offset(),
                what: "signed attributes",
            });
        }
    };
    let mut content_type = None;
    let mut message_digest = None;
    let mut signing_time = None;
    let mut seen: Vec<String> = Vec::new();
    let mut a = attrs.reader();
    while !a.is_empty() {
        let attr = a.expect(0x30)?;
        let mut f = attr.reader();
        let oid = f.expect(0x06)?.oid()?;
        let values = f.expect(0x31)?;
        f.finish()?;
        if seen.contains(&oid) {
            return Err(attr.malformed("signed attribute repeated"));
        }
        let single_value = |tag: u32| -> Result<Tlv<'_>, ChipError> {
            let mut v = values.reader();
            let t = v.expect(tag)?;
            v.finish()?;
            Ok(t)
        };
        match oid.as_str() {
            OID_CONTENT_TYPE => content_type = Some(single_value(0x06)?.oid()?),
            OID_MESSAGE_DIGEST => message_digest = Some(single_value(0x04)?.value.to_vec()),
            OID_SIGNING_TIME => {
                let mut v = values.reader();
                signing_time = Some(parse_time(&v.read()?)?);
                v.finish()?;
            }
            _ => {}
        }
        seen.push(oid);
    }
    let message_digest = message_digest.ok_or(ChipError::Missing {
        offset: attrs.offset,
        what: "messageDigest signed attribute",
    })?;
    // What is signed is the DER of the attributes with the universal SET OF tag (RFC 5652 §5.4).
    let mut signed_attributes = attrs.raw.to_vec();
    signed_attributes[0] = 0x31;

    let signature_algorithm = AlgorithmId::parse(&r.expect(0x30)?)?;
    let signature = r.expect(0x04)?.value.to_vec();
    r.optional(0xA1)?; // unsignedAttrs
    r.finish()?;
    Ok(SignerInfo {
        sid,
        digest_algorithm,
        signed_attributes,
        content_type,
        message_digest,
        signing_time,
        signature_algorithm,
        signature,
    })
}
