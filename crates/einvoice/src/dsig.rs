//! XML-DSig: enveloped RSA-SHA256 signatures as Vietnamese e-invoices carry them, and
//! verification of every signature in a document (RSA-SHA256/384/512 and RSA-SHA1).
//!
//! A new signature (placed in `HDon/DSCKS/NBan`, or `TDiep/CKSNNT` for message 206) has:
//! - `SignedInfo` canonicalised with C14N 1.0 (default; exclusive C14N on request),
//!   `SignatureMethod` `xmldsig-more#rsa-sha256`;
//! - `Reference URI="#<Id>"` to the signed data (`DLHDon`, `DLieu`) with the transforms
//!   enveloped-signature + the canonicalisation, digest SHA-256;
//! - `Reference URI="#SigningTime-<sigId>"` (Type `…#SignatureProperties`) to
//!   `Object/SignatureProperties/SignatureProperty/SigningTime` (local time
//!   `yyyy-MM-ddTHH:mm:ss`, passed in by the caller);
//! - `KeyInfo/X509Data` with `X509SubjectName` and the signer's `X509Certificate`.
//!
//! No whitespace is added inside the signature (whitespace in `SignedInfo` is signed).

use std::fmt;

use ring::digest;
use ring::rand::SystemRandom;
use ring::signature::{self as rs, KeyPair, RsaKeyPair};

use crate::base64;
use crate::c14n::{self, C14nOptions, canonicalize_document, canonicalize_subtree};
use crate::dom::{DSIG_NS, Document, Node, NodeId, XmlError};
use crate::model::LocalDateTime;
use crate::x509::{self, Certificate, OID_RSA};

/// Algorithm URIs.
pub mod alg {
    /// RSA PKCS#1 v1.5 with SHA-256.
    pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
    /// RSA PKCS#1 v1.5 with SHA-384.
    pub const RSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384";
    /// RSA PKCS#1 v1.5 with SHA-512.
    pub const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
    /// RSA PKCS#1 v1.5 with SHA-1 (verification only).
    pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
    /// SHA-256 digest.
    pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
    /// SHA-384 digest.
    pub const SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#sha384";
    /// SHA-512 digest.
    pub const SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";
    /// SHA-1 digest (verification only).
    pub const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
    /// Enveloped-signature transform.
    pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
    /// Reference type of the SigningTime object.
    pub const SIGNATURE_PROPERTIES: &str = "http://www.w3.org/2000/09/xmldsig#SignatureProperties";
}

/// Error signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignError {
    /// The document is not well-formed.
    Xml(XmlError),
    /// The private key is not an acceptable RSA PKCS#8 key.
    Key(String),
    /// The certificate cannot be decoded or does not match the key.
    Certificate(String),
    /// The element to sign (`Id`) is missing or not unique.
    Target(String),
    /// The container for the signature is missing or already signed.
    Container(String),
    /// The signature `Id` collides with an existing `Id`.
    IdInUse(String),
    /// The RSA operation failed.
    Crypto,
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::Xml(e) => e.fmt(f),
            SignError::Key(m) => write!(f, "private key: {m}"),
            SignError::Certificate(m) => write!(f, "certificate: {m}"),
            SignError::Target(m) => write!(f, "element to sign: {m}"),
            SignError::Container(m) => write!(f, "signature container: {m}"),
            SignError::IdInUse(m) => write!(f, "Id already used in the document: {m}"),
            SignError::Crypto => f.write_str("RSA signing failed"),
        }
    }
}

impl std::error::Error for SignError {}

impl From<XmlError> for SignError {
    fn from(e: XmlError) -> Self {
        SignError::Xml(e)
    }
}

/// An RSA private key with its certificate.
pub struct SigningKey {
    key: RsaKeyPair,
    cert: Certificate,
    rng: SystemRandom,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("subject", &self.cert.subject)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// From an RSA private key (PKCS#8 DER, 2048–8192 bits) and its X.509 certificate (DER).
    pub fn from_pkcs8_der(pkcs8: &[u8], certificate_der: &[u8]) -> Result<SigningKey, SignError> {
        let key = RsaKeyPair::from_pkcs8(pkcs8).map_err(|e| SignError::Key(e.to_string()))?;
        let cert = Certificate::from_der(certificate_der)
            .map_err(|e| SignError::Certificate(e.to_string()))?;
        if cert.key_algorithm != OID_RSA || cert.public_key != key.public_key().as_ref() {
            return Err(SignError::Certificate(
                "public key does not match the private key".into(),
            ));
        }
        Ok(SigningKey {
            key,
            cert,
            rng: SystemRandom::new(),
        })
    }
    /// The signer's certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut sig = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(&rs::RSA_PKCS1_SHA256, &self.rng, msg, &mut sig)
            .map_err(|_| SignError::Crypto)?;
        Ok(sig)
    }
}

/// Canonicalisation used by new signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum C14nMethod {
    /// C14N 1.0 (`REC-xml-c14n-20010315`), as the tax authority and TS24 sign.
    #[default]
    Inclusive,
    /// Exclusive C14N 1.0.
    Exclusive,
}

impl C14nMethod {
    fn uri(self) -> &'static str {
        match self {
            C14nMethod::Inclusive => c14n::alg::C14N,
            C14nMethod::Exclusive => c14n::alg::EXC_C14N,
        }
    }
    fn options(self) -> C14nOptions {
        C14nOptions {
            exclusive: self == C14nMethod::Exclusive,
            ..C14nOptions::default()
        }
    }
}

/// Where and how to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOptions {
    /// `Id` of the element to sign (`DLHDon/@Id`, `DLieu/@Id`).
    pub target_id: String,
    /// Path of local names from the root's children to the container of the signature,
    /// e.g. `["DSCKS", "NBan"]` or `["CKSNNT"]`; missing last element is created.
    pub container: Vec<String>,
    /// `Signature/@Id`; the SigningTime object gets `SigningTime-<Id>`.
    pub signature_id: String,
    /// Signing time (local time, no offset).
    pub signing_time: LocalDateTime,
    /// Canonicalisation.
    pub c14n: C14nMethod,
}

fn find_container(doc: &Document, path: &[String]) -> Result<(NodeId, bool), SignError> {
    let mut cur = doc.root;
    for (i, name) in path.iter().enumerate() {
        match doc.child(cur, name) {
            Some(c) => cur = c,
            None if i + 1 == path.len() => return Ok((cur, false)),
            None => return Err(SignError::Container(format!("no {name} element"))),
        }
    }
    Ok((cur, true))
}

/// Insert `xml` as the last child of the container (creating its last element if needed).
fn insert_into(
    src: &str,
    doc: &Document,
    container: NodeId,
    exists: bool,
    name: &str,
    xml: &str,
) -> String {
    let el = doc.element(container);
    let mut out = String::with_capacity(src.len() + xml.len() + 32);
    let wrapped;
    let (at_start, at_end, piece): (usize, usize, &str) = if !exists {
        wrapped = format!("<{name}>{xml}</{name}>");
        (el.content_end, el.content_end, &wrapped)
    } else if el.self_closing {
        wrapped = format!("<{0}>{xml}</{0}>", el.name);
        (el.start, el.end, &wrapped)
    } else {
        (el.content_end, el.content_end, xml)
    };
    if !exists && el.self_closing {
        // parent itself is <X/>: expand it
        let full = format!("<{0}>{piece}</{0}>", el.name);
        out.push_str(&src[..el.start]);
        out.push_str(&full);
        out.push_str(&src[el.end..]);
        return out;
    }
    out.push_str(&src[..at_start]);
    out.push_str(piece);
    out.push_str(&src[at_end..]);
    out
}

fn b64_sha256(data: &[u8]) -> String {
    base64::encode(digest::digest(&digest::SHA256, data).as_ref())
}

fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn find_signature_by_id(doc: &Document, id: &str) -> Option<NodeId> {
    doc.find_by_id(id)
        .into_iter()
        .find(|n| doc.element(*n).local() == "Signature")
}

/// Sign the element with `Id = opts.target_id` and insert an enveloped signature.
pub fn sign_enveloped(
    xml: &str,
    key: &SigningKey,
    opts: &SignOptions,
) -> Result<String, SignError> {
    let doc = Document::parse(xml)?;
    let targets = doc.find_by_id(&opts.target_id);
    let target = match targets.as_slice() {
        [t] => *t,
        [] => {
            return Err(SignError::Target(format!(
                "no element with Id {}",
                opts.target_id
            )));
        }
        _ => {
            return Err(SignError::Target(format!(
                "Id {} not unique",
                opts.target_id
            )));
        }
    };
    let sig_id = &opts.signature_id;
    let obj_id = format!("SigningTime-{sig_id}");
    for id in [sig_id.as_str(), obj_id.as_str()] {
        if !doc.find_by_id(id).is_empty() || id == opts.target_id {
            return Err(SignError::IdInUse(id.to_owned()));
        }
    }
    let (container, exists) = find_container(&doc, &opts.container)?;
    let last_name = opts.container.last().map_or("NBan", String::as_str);
    if exists
        && doc
            .child_elements(container)
            .any(|c| doc.element(c).local() == "Signature")
    {
        return Err(SignError::Container("already signed".into()));
    }
    let c14n_uri = opts.c14n.uri();
    let c14n_opts = opts.c14n.options();
    let attr = crate::xml::escape_attr;

    // 1. digest of the target (the signature is not there yet: same as enveloped transform)
    let target_digest = b64_sha256(canonicalize_subtree(&doc, target, &c14n_opts, None).as_bytes());

    // 2. digest of the SigningTime object, canonicalised in its final context
    let object = format!(
        "<Object Id=\"{}\"><SignatureProperties><SignatureProperty Target=\"#{}\"><SigningTime>{}</SigningTime></SignatureProperty></SignatureProperties></Object>",
        attr(&obj_id),
        attr(sig_id),
        opts.signing_time
    );
    let sig_open = format!("<Signature xmlns=\"{DSIG_NS}\" Id=\"{}\">", attr(sig_id));
    let probe = insert_into(
        xml,
        &doc,
        container,
        exists,
        last_name,
        &format!("{sig_open}{object}</Signature>"),
    );
    let pdoc = Document::parse(&probe)?;
    let pobj = pdoc
        .find_by_id(&obj_id)
        .into_iter()
        .next()
        .ok_or_else(|| SignError::Container("object not found after insertion".into()))?;
    let object_digest = b64_sha256(canonicalize_subtree(&pdoc, pobj, &c14n_opts, None).as_bytes());

    // 3. SignedInfo, canonicalised in context, signed
    let signed_info = format!(
        "<SignedInfo><CanonicalizationMethod Algorithm=\"{c14n_uri}\"/><SignatureMethod Algorithm=\"{}\"/>\
<Reference URI=\"#{}\"><Transforms><Transform Algorithm=\"{}\"/><Transform Algorithm=\"{c14n_uri}\"/></Transforms><DigestMethod Algorithm=\"{}\"/><DigestValue>{target_digest}</DigestValue></Reference>\
<Reference Type=\"{}\" URI=\"#{}\"><Transforms><Transform Algorithm=\"{c14n_uri}\"/></Transforms><DigestMethod Algorithm=\"{}\"/><DigestValue>{object_digest}</DigestValue></Reference></SignedInfo>",
        alg::RSA_SHA256,
        attr(&opts.target_id),
        alg::ENVELOPED,
        alg::SHA256,
        alg::SIGNATURE_PROPERTIES,
        attr(&obj_id),
        alg::SHA256,
    );
    let key_info = format!(
        "<KeyInfo><X509Data><X509SubjectName>{}</X509SubjectName><X509Certificate>{}</X509Certificate></X509Data></KeyInfo>",
        xml_text(&key.cert.subject),
        base64::encode(&key.cert.der)
    );
    let build = |value: &str| {
        format!(
            "{sig_open}{signed_info}<SignatureValue>{value}</SignatureValue>{key_info}{object}</Signature>"
        )
    };
    let probe = insert_into(xml, &doc, container, exists, last_name, &build(""));
    let pdoc = Document::parse(&probe)?;
    let psig = find_signature_by_id(&pdoc, sig_id)
        .ok_or_else(|| SignError::Container("signature not found after insertion".into()))?;
    let psi = pdoc
        .child(psig, "SignedInfo")
        .ok_or_else(|| SignError::Container("SignedInfo not found".into()))?;
    let si_c14n = canonicalize_subtree(&pdoc, psi, &c14n_opts, None);
    let value = base64::encode(&key.sign(si_c14n.as_bytes())?);
    Ok(insert_into(
        xml,
        &doc,
        container,
        exists,
        last_name,
        &build(&value),
    ))
}

/// Sign an invoice written by [`crate::write_invoice`]: seller signature in
/// `HDon/DSCKS/NBan` over `DLHDon` (Id from the document), signature Id `NBan-<DLHDon Id>`.
pub fn sign_invoice(
    xml: &str,
    key: &SigningKey,
    signing_time: LocalDateTime,
) -> Result<String, SignError> {
    let doc = Document::parse(xml)?;
    let dl = doc
        .child(doc.root, "DLHDon")
        .ok_or_else(|| SignError::Target("no HDon/DLHDon".into()))?;
    let id = doc
        .element(dl)
        .attr("Id")
        .ok_or_else(|| SignError::Target("DLHDon has no Id".into()))?
        .to_owned();
    sign_enveloped(
        xml,
        key,
        &SignOptions {
            signature_id: format!("NBan-{id}"),
            target_id: id,
            container: vec!["DSCKS".into(), "NBan".into()],
            signing_time,
            c14n: C14nMethod::Inclusive,
        },
    )
}

// ---------------------------------------------------------------- verification

/// Verification policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Accept RSA-SHA1 signatures and SHA-1 digests (sellers still use them).
    pub allow_sha1: bool,
    /// Smallest RSA modulus accepted (1024 admits the old test-system certificates).
    pub min_rsa_bits: usize,
    /// Trusted CA certificates (DER); empty = no chain check.
    pub trust_anchors: Vec<Vec<u8>>,
    /// Current time, seconds since 1970 UTC, for certificate validity; `None` = not checked.
    pub now_unix: Option<i64>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            allow_sha1: true,
            min_rsa_bits: 2048,
            trust_anchors: Vec::new(),
            now_unix: None,
        }
    }
}

/// Error that prevents verification altogether.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// Not well-formed or refused XML.
    Xml(XmlError),
    /// The document has no XML-DSig `Signature`.
    NoSignature,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Xml(e) => e.fmt(f),
            VerifyError::NoSignature => f.write_str("no signature in the document"),
        }
    }
}

impl std::error::Error for VerifyError {}

/// Certificate facts of a signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// Subject, e.g. `CN=…, O=…, UID=MST:0106324653, C=VN`.
    pub subject: String,
    /// Issuer.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// Validity start, seconds since 1970 UTC.
    pub not_before: i64,
    /// Validity end, seconds since 1970 UTC.
    pub not_after: i64,
    /// Validity as text (`YYYY-MM-DDTHH:MM:SSZ`).
    pub validity: (String, String),
    /// RSA key size.
    pub rsa_bits: usize,
    /// Valid at `VerifyOptions::now_unix`, if given.
    pub valid_now: Option<bool>,
}

/// Chain check result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainStatus {
    /// No trust anchors were given.
    NotChecked,
    /// The certificate chains to a given CA.
    Trusted,
    /// It does not (reason).
    Untrusted(String),
}

/// One `Reference` checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceReport {
    /// `URI` attribute.
    pub uri: String,
    /// Local name of the referenced element (`DLHDon`, `Object`, `MCCQT`…), `None` for the
    /// whole document or when unresolved.
    pub target: Option<String>,
    /// Digest matches.
    pub digest_valid: bool,
    /// Why the reference failed, if it did.
    pub error: Option<String>,
}

/// One signature checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureReport {
    /// `Signature/@Id`.
    pub signature_id: Option<String>,
    /// Local name of the element holding the signature (`NBan`, `CQT`, `CKSNNT`…).
    pub container: String,
    /// `SignatureMethod/@Algorithm`.
    pub algorithm: String,
    /// References.
    pub references: Vec<ReferenceReport>,
    /// `SignatureValue` verifies over the canonical `SignedInfo` with the certificate's key.
    pub signature_valid: bool,
    /// The certificate from `KeyInfo`.
    pub certificate: Option<CertificateInfo>,
    /// Chain check.
    pub chain: ChainStatus,
    /// First problem found, if any.
    pub error: Option<String>,
}

impl SignatureReport {
    /// Signature value and every reference digest verify (chain and validity not included).
    pub fn is_valid(&self) -> bool {
        self.signature_valid
            && !self.references.is_empty()
            && self.references.iter().all(|r| r.digest_valid)
    }
    /// Does a verified reference cover the element with this `Id`?
    pub fn covers(&self, id: &str) -> bool {
        self.is_valid()
            && self
                .references
                .iter()
                .any(|r| r.uri.strip_prefix('#') == Some(id))
    }
}

fn dsig_children<'a>(
    doc: &'a Document,
    id: NodeId,
    local: &'a str,
) -> impl Iterator<Item = NodeId> + 'a {
    doc.children_named(id, local)
}

fn c14n_options_of(doc: &Document, method_el: NodeId, uri: &str) -> Option<C14nOptions> {
    let mut o = C14nOptions::from_uri(uri)?;
    if o.exclusive
        && let Some(inc) = doc.child(method_el, "InclusiveNamespaces")
        && let Some(list) = doc.element(inc).attr("PrefixList")
    {
        o.inclusive_prefixes = list.split_whitespace().map(str::to_owned).collect();
    }
    Some(o)
}

fn digest_alg(uri: &str, allow_sha1: bool) -> Result<&'static digest::Algorithm, String> {
    match uri {
        alg::SHA256 => Ok(&digest::SHA256),
        alg::SHA384 => Ok(&digest::SHA384),
        alg::SHA512 => Ok(&digest::SHA512),
        alg::SHA1 if allow_sha1 => Ok(&digest::SHA1_FOR_LEGACY_USE_ONLY),
        _ => Err(format!("digest algorithm not accepted: {uri}")),
    }
}

/// Compute the octets of a reference (dereference + transforms + final C14N).
fn reference_octets(
    doc: &Document,
    signature: NodeId,
    reference: NodeId,
) -> Result<(Vec<u8>, Option<String>), String> {
    let uri = doc.element(reference).attr("URI").unwrap_or("");
    let (apex, with_comments_default) = if uri.is_empty() {
        (None, false)
    } else if uri == "#xpointer(/)" {
        (None, true)
    } else if let Some(id) = uri.strip_prefix('#') {
        let id = id
            .strip_prefix("xpointer(id('")
            .and_then(|x| x.strip_suffix("'))"))
            .unwrap_or(id);
        match doc.find_by_id(id).as_slice() {
            [one] => (Some(*one), false),
            [] => return Err(format!("no element with Id {id}")),
            _ => return Err(format!("Id {id} is not unique")),
        }
    } else {
        return Err(format!("external reference not supported: {uri}"));
    };
    let target_name = apex.map(|a| doc.element(a).local().to_owned());
    let mut exclude: Option<NodeId> = None;
    let mut octets: Option<Vec<u8>> = None;
    if let Some(ts) = doc.child(reference, "Transforms") {
        for t in dsig_children(doc, ts, "Transform") {
            let a = doc.element(t).attr("Algorithm").unwrap_or("");
            if a == alg::ENVELOPED {
                if octets.is_some() {
                    return Err("enveloped-signature after canonicalisation".into());
                }
                exclude = Some(signature);
                continue;
            }
            let Some(opts) = c14n_options_of(doc, t, a) else {
                return Err(format!("transform not supported: {a}"));
            };
            let next = match &octets {
                None => match apex {
                    Some(ap) => canonicalize_subtree(doc, ap, &opts, exclude),
                    None => canonicalize_document(
                        doc,
                        &C14nOptions {
                            with_comments: opts.with_comments && with_comments_default,
                            ..opts.clone()
                        },
                        exclude,
                    ),
                },
                Some(bytes) => {
                    // canonicalisation of an octet stream: re-parse, then the whole document
                    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_owned())?;
                    let d2 = Document::parse(text).map_err(|e| e.to_string())?;
                    canonicalize_document(&d2, &opts, None)
                }
            };
            octets = Some(next.into_bytes());
        }
    }
    let out = match octets {
        Some(o) => o,
        None => {
            let opts = C14nOptions {
                with_comments: with_comments_default,
                ..C14nOptions::default()
            };
            match apex {
                Some(ap) => canonicalize_subtree(doc, ap, &opts, exclude),
                None => canonicalize_document(doc, &opts, exclude),
            }
            .into_bytes()
        }
    };
    Ok((out, target_name))
}

fn signature_alg(
    uri: &str,
    allow_sha1: bool,
) -> Result<&'static dyn rs::VerificationAlgorithm, String> {
    Ok(match uri {
        alg::RSA_SHA256 => &rs::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
        alg::RSA_SHA384 => &rs::RSA_PKCS1_2048_8192_SHA384,
        alg::RSA_SHA512 => &rs::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
        alg::RSA_SHA1 if allow_sha1 => &rs::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
        _ => return Err(format!("signature algorithm not accepted: {uri}")),
    })
}

fn chain_status(cert: &Certificate, extra: &[Certificate], opts: &VerifyOptions) -> ChainStatus {
    if opts.trust_anchors.is_empty() {
        return ChainStatus::NotChecked;
    }
    let anchors: Vec<Certificate> = opts
        .trust_anchors
        .iter()
        .filter_map(|d| Certificate::from_der(d).ok())
        .collect();
    let mut cur = cert.clone();
    for _ in 0..8 {
        if anchors.iter().any(|a| a.der == cur.der) {
            return ChainStatus::Trusted;
        }
        if let Some(now) = opts.now_unix
            && !cur.valid_at(now)
        {
            return ChainStatus::Untrusted(format!("{} is not valid now", cur.subject));
        }
        if let Some(a) = anchors
            .iter()
            .find(|a| cur.verify_issued_by(a, opts.allow_sha1))
        {
            if let Some(now) = opts.now_unix
                && !a.valid_at(now)
            {
                return ChainStatus::Untrusted(format!("{} is not valid now", a.subject));
            }
            return ChainStatus::Trusted;
        }
        match extra
            .iter()
            .find(|c| c.der != cur.der && cur.verify_issued_by(c, opts.allow_sha1))
        {
            Some(next) => cur = next.clone(),
            None => {
                return ChainStatus::Untrusted(format!("no trusted issuer for {}", cur.issuer));
            }
        }
    }
    ChainStatus::Untrusted("chain too long".into())
}

fn verify_one(doc: &Document, sig: NodeId, opts: &VerifyOptions) -> SignatureReport {
    let el = doc.element(sig);
    let container = el
        .parent
        .map(|p| doc.element(p).local().to_owned())
        .unwrap_or_default();
    let mut report = SignatureReport {
        signature_id: el.attr("Id").map(str::to_owned),
        container,
        algorithm: String::new(),
        references: Vec::new(),
        signature_valid: false,
        certificate: None,
        chain: ChainStatus::NotChecked,
        error: None,
    };
    let fail = |mut r: SignatureReport, m: String| {
        if r.error.is_none() {
            r.error = Some(m);
        }
        r
    };
    let Some(si) = doc.child(sig, "SignedInfo") else {
        return fail(report, "no SignedInfo".into());
    };
    // references
    for r in dsig_children(doc, si, "Reference") {
        let uri = doc.element(r).attr("URI").unwrap_or("").to_owned();
        let mut rr = ReferenceReport {
            uri,
            target: None,
            digest_valid: false,
            error: None,
        };
        let dm = doc
            .child(r, "DigestMethod")
            .and_then(|d| doc.element(d).attr("Algorithm"))
            .unwrap_or("");
        let expected = doc
            .child(r, "DigestValue")
            .and_then(|d| base64::decode(&doc.text(d)));
        match (digest_alg(dm, opts.allow_sha1), expected) {
            (Err(e), _) => rr.error = Some(e),
            (_, None) => rr.error = Some("bad DigestValue".into()),
            (Ok(a), Some(exp)) => match reference_octets(doc, sig, r) {
                Err(e) => rr.error = Some(e),
                Ok((bytes, target)) => {
                    rr.target = target;
                    rr.digest_valid = digest::digest(a, &bytes).as_ref() == exp.as_slice();
                    if !rr.digest_valid {
                        rr.error = Some("digest mismatch".into());
                    }
                }
            },
        }
        if let (Some(e), None) = (&rr.error, &report.error) {
            report.error = Some(format!("reference {}: {e}", rr.uri));
        }
        report.references.push(rr);
    }
    if report.references.is_empty() {
        report = fail(report, "no Reference".into());
    }
    // certificate(s)
    let mut certs = Vec::new();
    if let Some(ki) = doc.child(sig, "KeyInfo") {
        for xd in dsig_children(doc, ki, "X509Data") {
            for c in dsig_children(doc, xd, "X509Certificate") {
                if let Some(der) = base64::decode(&doc.text(c)) {
                    match Certificate::from_der(&der) {
                        Ok(cert) => certs.push(cert),
                        Err(e) => report.error = report.error.or(Some(e.to_string())),
                    }
                }
            }
        }
    }
    if certs.is_empty() {
        return fail(report, "no usable X509Certificate in KeyInfo".into());
    }
    // signature value
    let sm_uri = doc
        .child(si, "SignatureMethod")
        .and_then(|m| doc.element(m).attr("Algorithm"))
        .unwrap_or("")
        .to_owned();
    report.algorithm = sm_uri.clone();
    let cm = doc.child(si, "CanonicalizationMethod");
    let cm_uri = cm
        .and_then(|m| doc.element(m).attr("Algorithm"))
        .unwrap_or("");
    let c14n_opts = match cm.and_then(|m| c14n_options_of(doc, m, cm_uri)) {
        Some(o) => o,
        None => return fail(report, format!("canonicalisation not supported: {cm_uri}")),
    };
    let sig_alg = match signature_alg(&sm_uri, opts.allow_sha1) {
        Ok(a) => a,
        Err(e) => return fail(report, e),
    };
    let Some(value) = doc
        .child(sig, "SignatureValue")
        .and_then(|v| base64::decode(&doc.text(v)))
    else {
        return fail(report, "bad SignatureValue".into());
    };
    let si_bytes = canonicalize_subtree(doc, si, &c14n_opts, None);
    let mut signer = None;
    for c in &certs {
        if c.key_algorithm != OID_RSA || c.rsa_bits < opts.min_rsa_bits {
            continue;
        }
        if rs::UnparsedPublicKey::new(sig_alg, &c.public_key)
            .verify(si_bytes.as_bytes(), &value)
            .is_ok()
        {
            signer = Some(c.clone());
            break;
        }
    }
    report.signature_valid = signer.is_some();
    let cert = signer.unwrap_or_else(|| certs[0].clone());
    if !report.signature_valid {
        let m = if cert.rsa_bits < opts.min_rsa_bits {
            format!(
                "RSA key of {} bits below the minimum {}",
                cert.rsa_bits, opts.min_rsa_bits
            )
        } else {
            "signature value does not verify".to_owned()
        };
        report.error = report.error.or(Some(m));
    }
    report.chain = chain_status(&cert, &certs, opts);
    report.certificate = Some(CertificateInfo {
        subject: cert.subject.clone(),
        issuer: cert.issuer.clone(),
        serial: cert.serial_hex.clone(),
        not_before: cert.not_before,
        not_after: cert.not_after,
        validity: (
            x509::format_unix(cert.not_before),
            x509::format_unix(cert.not_after),
        ),
        rsa_bits: cert.rsa_bits,
        valid_now: opts.now_unix.map(|n| cert.valid_at(n)),
    });
    report
}

/// Verify every XML-DSig `Signature` in a parsed document.
pub fn verify_document(
    doc: &Document,
    opts: &VerifyOptions,
) -> Result<Vec<SignatureReport>, VerifyError> {
    let sigs: Vec<NodeId> = doc
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(i, n)| match n {
            Node::Element(e)
                if e.local() == "Signature"
                    && Document::resolve(&doc.in_scope(i), &e.name, false) == DSIG_NS =>
            {
                Some(i)
            }
            _ => None,
        })
        .collect();
    if sigs.is_empty() {
        return Err(VerifyError::NoSignature);
    }
    Ok(sigs.into_iter().map(|s| verify_one(doc, s, opts)).collect())
}

/// Parse and verify every signature of a document.
pub fn verify_signatures(
    xml: &str,
    opts: &VerifyOptions,
) -> Result<Vec<SignatureReport>, VerifyError> {
    if xml.len() > crate::xml::MAX_DOCUMENT_BYTES {
        return Err(VerifyError::Xml(XmlError {
            offset: 0,
            message: "document too large".into(),
        }));
    }
    let doc = Document::parse(xml).map_err(VerifyError::Xml)?;
    verify_document(&doc, opts)
}
