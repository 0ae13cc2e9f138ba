//! Passive authentication (ICAO 9303 Part 11 §5.1): data-group hashes, the SOD signature and the
//! document signer certificate against configured CSCA certificates.

use serde::{Deserialize, Serialize};

use super::cert::{Certificate, HashAlgorithm, SignatureAlgorithm};
use super::sod::{OID_LDS_SECURITY_OBJECT, Sod};

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Passed,
    Failed,
    /// Not applicable with the given inputs (e.g. no CSCA configured, no data group supplied).
    NotChecked,
}

/// What a [`PaCheck`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum PaCheckKind {
    /// (a) the hash of a supplied data group equals the SOD's value.
    DataGroupHash { number: u8 },
    /// (a) no data group was supplied at all (always `NotChecked`).
    DataGroups,
    /// (b) `messageDigest` equals the hash of the encapsulated LDSSecurityObject, and
    /// `contentType` names it.
    SignedAttributes,
    /// (c) the SignerInfo signature over the signed attributes verifies with the DS key.
    SignerSignature,
    /// (d) the DS certificate is within its validity at `now`.
    DsCertificateValidity,
    /// (d) the DS certificate is signed by one of the configured CSCA certificates (itself valid
    /// at `now`).
    DsCertificateChain,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PaCheck {
    #[serde(flatten)]
    pub kind: PaCheckKind,
    pub status: CheckStatus,
    /// English explanation (technical; contains no personal data).
    pub reason: String,
}

/// Result of [`passive_authentication`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PaReport {
    pub checks: Vec<PaCheck>,
    /// Hash algorithm of the SOD's data-group hashes.
    pub hash_algorithm: HashAlgorithm,
    /// Subject of the document signer certificate, when one was found.
    pub ds_subject: Option<String>,
    /// Subject of the CSCA certificate that issued it, when the chain verified.
    pub csca_subject: Option<String>,
    /// The `now` the validity checks used (Unix seconds).
    pub checked_at_unix: i64,
}

impl PaReport {
    /// True when no check failed and at least one passed: every applicable check passed.
    /// `NotChecked` lines (no CSCA configured, no data group supplied) do not count; use
    /// [`PaReport::chain_verified`] to know whether the document is anchored in a CSCA.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.status != CheckStatus::Failed)
            && self.checks.iter().any(|c| c.status == CheckStatus::Passed)
    }

    /// True when the DS certificate chain to a configured CSCA verified.
    pub fn chain_verified(&self) -> bool {
        self.status(PaCheckKind::DsCertificateChain) == Some(CheckStatus::Passed)
    }

    /// The status of a check, if it is in the report.
    pub fn status(&self, kind: PaCheckKind) -> Option<CheckStatus> {
        self.checks
            .iter()
            .find(|c| c.kind == kind)
            .map(|c| c.status)
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &PaCheck> {
        self.checks
            .iter()
            .filter(|c| c.status == CheckStatus::Failed)
    }
}

/// Runs passive authentication.
///
/// * `data_groups`: `(number, raw file bytes)` as read from the chip (e.g. `(1, dg1)`, `(2, dg2)`).
///   Each is reported; one the SOD does not list fails.
/// * `csca_certs_der`: trusted CSCA certificates (DER). Empty → the chain check is `NotChecked`.
///   Certificates that do not parse are skipped (and named in the reason if nothing verified).
/// * `now_unix`: the time for validity checks.
pub fn passive_authentication(
    sod: &Sod,
    data_groups: &[(u8, &[u8])],
    csca_certs_der: &[&[u8]],
    now_unix: i64,
) -> PaReport {
    let mut checks = Vec::new();
    let mut push = |kind, status, reason: String| {
        checks.push(PaCheck {
            kind,
            status,
            reason,
        })
    };
    use CheckStatus::{Failed, NotChecked, Passed};

    // (a) data-group hashes
    if data_groups.is_empty() {
        push(
            PaCheckKind::DataGroups,
            NotChecked,
            "no data group supplied".into(),
        );
    }
    for &(number, bytes) in data_groups {
        let kind = PaCheckKind::DataGroupHash { number };
        match sod.hash_of(number) {
            None => push(kind, Failed, format!("DG{number} is not listed in the SOD")),
            Some(expected) => {
                if sod.hash_algorithm.digest(bytes) == expected {
                    push(
                        kind,
                        Passed,
                        format!("{} of DG{number} matches", sod.hash_algorithm.name()),
                    )
                } else {
                    push(
                        kind,
                        Failed,
                        format!(
                            "{} of DG{number} differs from the SOD",
                            sod.hash_algorithm.name()
                        ),
                    )
                }
            }
        }
    }

    // (b) signed attributes
    let signer = &sod.signer;
    let digest = signer.digest_algorithm.digest(&sod.lds_security_object);
    let (status, reason) = match signer.content_type.as_deref() {
        None => (Failed, "contentType signed attribute missing".to_owned()),
        Some(ct) if ct != OID_LDS_SECURITY_OBJECT => (
            Failed,
            format!("contentType signed attribute is {ct}, not the LDSSecurityObject"),
        ),
        Some(_) if digest != signer.message_digest => (
            Failed,
            format!(
                "messageDigest differs from the {} of the LDSSecurityObject",
                signer.digest_algorithm.name()
            ),
        ),
        Some(_) => (
            Passed,
            format!(
                "messageDigest equals the {} of the LDSSecurityObject",
                signer.digest_algorithm.name()
            ),
        ),
    };
    push(PaCheckKind::SignedAttributes, status, reason);

    // (c) SignerInfo signature
    let ds = sod.ds_certificate();
    let (status, reason) = match ds {
        None if sod.certificates.is_empty() => (
            Failed,
            "the SOD carries no document signer certificate".to_owned(),
        ),
        None => (
            Failed,
            "no certificate in the SOD matches the SignerInfo".to_owned(),
        ),
        Some(cert) => {
            match SignatureAlgorithm::resolve(
                &signer.signature_algorithm,
                Some(signer.digest_algorithm),
            ) {
                Err(e) => (Failed, e),
                Ok(alg) => {
                    match cert
                        .public_key
                        .verify(alg, &signer.signed_attributes, &signer.signature)
                    {
                        Ok(()) => (
                            Passed,
                            format!(
                                "{:?} {} signature by the {} DS key verifies",
                                alg.scheme,
                                alg.hash.name(),
                                cert.public_key.describe()
                            ),
                        ),
                        Err(e) => (Failed, e),
                    }
                }
            }
        }
    };
    push(PaCheckKind::SignerSignature, status, reason);

    // (d) DS certificate validity and chain
    let mut csca_subject = None;
    match ds {
        None => {
            push(
                PaCheckKind::DsCertificateValidity,
                Failed,
                "no document signer certificate".into(),
            );
            let status = if csca_certs_der.is_empty() {
                NotChecked
            } else {
                Failed
            };
            push(
                PaCheckKind::DsCertificateChain,
                status,
                "no document signer certificate".into(),
            );
        }
        Some(cert) => {
            let (status, reason) = if cert.valid_at(now_unix) {
                (Passed, "DS certificate is within its validity".to_owned())
            } else if now_unix < cert.not_before {
                (Failed, "DS certificate is not yet valid".to_owned())
            } else {
                (Failed, "DS certificate has expired".to_owned())
            };
            push(PaCheckKind::DsCertificateValidity, status, reason);

            let (status, reason) = chain(cert, csca_certs_der, now_unix, &mut csca_subject);
            push(PaCheckKind::DsCertificateChain, status, reason);
        }
    }

    PaReport {
        checks,
        hash_algorithm: sod.hash_algorithm,
        ds_subject: ds.map(Certificate::subject_string),
        csca_subject,
        checked_at_unix: now_unix,
    }
}

fn chain(
    ds: &Certificate,
    csca_certs_der: &[&[u8]],
    now_unix: i64,
    csca_subject: &mut Option<String>,
) -> (CheckStatus, String) {
    if csca_certs_der.is_empty() {
        return (
            CheckStatus::NotChecked,
            "no CSCA certificate configured".into(),
        );
    }
    let mut problems = Vec::new();
    for (i, der) in csca_certs_der.iter().enumerate() {
        let csca = match Certificate::from_der(der) {
            Ok(c) => c,
            Err(e) => {
                problems.push(format!("CSCA #{i} does not parse: {}", e.message_en()));
                continue;
            }
        };
        if csca.subject != ds.issuer {
            continue;
        }
        if let Err(e) = ds.verify_issued_by(&csca) {
            problems.push(format!("CSCA \"{}\": {e}", csca.subject_string()));
            continue;
        }
        if !csca.valid_at(now_unix) {
            problems.push(format!(
                "CSCA \"{}\" is outside its validity",
                csca.subject_string()
            ));
            continue;
        }
        let subject = csca.subject_string();
        *csca_subject = Some(subject.clone());
        return (
            CheckStatus::Passed,
            format!("DS certificate is signed by CSCA \"{subject}\""),
        );
    }
    let mut reason = format!(
        "no configured CSCA signed the DS certificate (issuer \"{}\")",
        ds.issuer_string()
    );
    if !problems.is_empty() {
        reason.push_str(": ");
        reason.push_str(&problems.join("; "));
    }
    (CheckStatus::Failed, reason)
}
