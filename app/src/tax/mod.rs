//! The tax authority (TCT, or a T-VAN in front of it) as business code sees it: submit a
//! `TDiep`, get the technical acknowledgement 999, and later collect the replies (103, 204,
//! 301, …) that refer to it. The real TCT/T-VAN transport is not public, so [`client::HttpTax`]
//! speaks a small protocol of our own (docs/tax.md), and [`sim`] is a tax authority that
//! speaks it, for tests and the demo. Business code only sees [`TaxAuthority`].

pub mod client;
pub mod sim;

use std::future::Future;
use std::pin::Pin;

use einvoice::envelope::{self, CheckResult, RegistrationResult, TechnicalAck};

pub use client::HttpTax;

/// Boxed so that the client can live behind `Arc<dyn TaxAuthority>` in the app state.
pub type TaxFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, TaxError>> + Send + 'a>>;

pub trait TaxAuthority: Send + Sync {
    /// Sends one `TDiep` (100, 206, 303, …) and returns its technical acknowledgement 999.
    /// A 999 with `TTTNhan` ≠ 0 is a normal answer (`TechnicalAck::is_ok` is false), not an
    /// error: the message was unreadable and will get no other reply.
    fn submit<'a>(&'a self, tdiep_xml: &'a str) -> TaxFuture<'a, TechnicalAck>;
    /// The replies so far that refer to message `message_id` (their `MTDTChieu`); empty
    /// while the authority has not answered yet.
    fn replies<'a>(&'a self, message_id: &'a str) -> TaxFuture<'a, Vec<TaxReply>>;
}

#[derive(Debug, thiserror::Error)]
pub enum TaxError {
    /// Worth retrying later: connection error, timeout, 5xx, 429.
    #[error("tax authority unavailable: {0}")]
    Unavailable(String),
    /// The request itself was refused (4xx): retrying the same request will not help.
    #[error("tax authority refused the request: {0}")]
    Refused(String),
    /// The answer could not be understood.
    #[error("tax authority answered something unreadable: {0}")]
    BadReply(String),
}

impl TaxError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, TaxError::Unavailable(_))
    }
}

/// A reply message, read by its `MLTDiep`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaxReply {
    /// 103: registration accepted (with the 5-character MTT code) or not.
    Registration(RegistrationResult),
    /// 204: data-check result of a 206 package.
    Check(CheckResult),
    /// 301: result of a 303 notice.
    NoticeResult(CheckResult),
    /// Any other message, kept as received.
    Other { code: u16, xml: String },
}

impl TaxReply {
    pub fn parse(xml: &str) -> Result<TaxReply, TaxError> {
        let bad = |e: einvoice::ReadError| TaxError::BadReply(e.to_string());
        let header = envelope::read_tdiep_header(xml).map_err(bad)?;
        Ok(match header.kind {
            envelope::code::REGISTRATION_RESULT => {
                TaxReply::Registration(envelope::read_103(xml).map_err(bad)?)
            }
            envelope::code::CHECK_RESULT => TaxReply::Check(envelope::read_204(xml).map_err(bad)?),
            envelope::code::ERROR_NOTICE_RESULT => {
                TaxReply::NoticeResult(envelope::read_301(xml).map_err(bad)?)
            }
            code => TaxReply::Other {
                code,
                xml: xml.to_owned(),
            },
        })
    }
}

/// Where a submitted message stands, from its replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No result yet: ask again later.
    Pending,
    /// Accepted without any reason (103 with a code, 204/301 without reasons).
    Accepted,
    /// Refused; the result carries the reasons.
    Refused,
}

/// The verdict of the first result among `replies` (103, 204 or 301).
pub fn verdict(replies: &[TaxReply]) -> Verdict {
    for r in replies {
        let ok = match r {
            TaxReply::Registration(r) => r.accepted_code().is_some(),
            TaxReply::Check(c) | TaxReply::NoticeResult(c) => c.is_ok(),
            TaxReply::Other { .. } => continue,
        };
        return if ok {
            Verdict::Accepted
        } else {
            Verdict::Refused
        };
    }
    Verdict::Pending
}

/// Wire form of a list of replies: `<DSTDiep>` holding the `TDiep` elements, without their
/// XML declarations.
pub fn join_replies(messages: &[String]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><DSTDiep>");
    for m in messages {
        let m = m.trim_start();
        let body = if m.starts_with("<?xml") {
            m.find("?>").map_or(m, |i| &m[i + 2..])
        } else {
            m
        };
        s.push_str(body);
    }
    s.push_str("</DSTDiep>");
    s
}

/// Reads `<DSTDiep>` back into the `TDiep` texts, byte for byte as sent (signatures in them
/// stay verifiable).
pub fn split_replies(xml: &str) -> Result<Vec<String>, TaxError> {
    let doc = einvoice::dom::Document::parse(xml).map_err(|e| TaxError::BadReply(e.to_string()))?;
    let root = doc.element(doc.root);
    if root.local() != "DSTDiep" {
        return Err(TaxError::BadReply(format!(
            "expected <DSTDiep>, got <{}>",
            root.name
        )));
    }
    doc.child_elements(doc.root)
        .map(|c| {
            let e = doc.element(c);
            if e.local() != "TDiep" {
                return Err(TaxError::BadReply(format!("unexpected <{}>", e.name)));
            }
            xml.get(e.start..e.end)
                .map(str::to_owned)
                .ok_or_else(|| TaxError::BadReply("element out of range".into()))
        })
        .collect()
}

/// Used when no tax authority is configured outside demo mode.
pub struct NoTax;

impl TaxAuthority for NoTax {
    fn submit<'a>(&'a self, _: &'a str) -> TaxFuture<'a, TechnicalAck> {
        Box::pin(async { Err(not_configured()) })
    }
    fn replies<'a>(&'a self, _: &'a str) -> TaxFuture<'a, Vec<TaxReply>> {
        Box::pin(async { Err(not_configured()) })
    }
}

fn not_configured() -> TaxError {
    TaxError::Unavailable("no tax authority configured (HALONG_TAX_URL)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_round_trip_byte_for_byte() {
        let a = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><TDiep><TTChung><MLTDiep>204</MLTDiep></TTChung></TDiep>".to_string();
        let b = "<TDiep a=\"1\"><X/></TDiep>".to_string();
        let wire = join_replies(&[a, b.clone()]);
        let back = split_replies(&wire).unwrap();
        assert_eq!(
            back,
            vec![
                "<TDiep><TTChung><MLTDiep>204</MLTDiep></TTChung></TDiep>".to_string(),
                b
            ]
        );
        assert!(split_replies(&join_replies(&[])).unwrap().is_empty());
        assert!(split_replies("<X/>").is_err());
        assert!(split_replies("<DSTDiep><Y/></DSTDiep>").is_err());
        assert!(split_replies("<DSTDiep>").is_err());
    }

    #[test]
    fn verdicts() {
        assert_eq!(verdict(&[]), Verdict::Pending);
        let other = TaxReply::Other {
            code: 999,
            xml: String::new(),
        };
        assert_eq!(verdict(std::slice::from_ref(&other)), Verdict::Pending);
        let h = envelope::Header::default();
        let ok = CheckResult::accepted(h.clone(), None, "t".into());
        assert_eq!(verdict(&[other, TaxReply::Check(ok)]), Verdict::Accepted);
        let bad =
            CheckResult::refused(h, "t".into(), vec![envelope::Reason::new("X", "y")], vec![]);
        assert_eq!(verdict(&[TaxReply::Check(bad)]), Verdict::Refused);
    }
}
