//! `TDiep` transmission envelopes: message 206 (MTT invoices sent to the tax authority,
//! signed once in `CKSNNT`), registration 100, and the replies a sender must understand:
//! 999 (technical acknowledgement), 204 (data-check result) and 103 (registration
//! accepted, carrying the 5-character MTT code).
//!
//! Header fields and 206/103 paths follow the reference (§7); the inner fields of 999, 204
//! and 100 follow the 1450 message tables as transcribed in open-source code and are read
//! leniently (unknown elements ignored). Mark: verify against the official XSD.

use std::fmt;

use crate::dom::{Document, NodeId};
use crate::dsig::{C14nMethod, SignError, SignOptions, SigningKey, sign_enveloped};
use crate::model::{Date, Invoice, LocalDateTime};
use crate::xml::{MAX_DOCUMENT_BYTES, ReadError, XmlOut, read_invoice_at, write_invoice_into};

/// Message type codes `MLTDiep` used here.
pub mod code {
    /// Registration/change declaration 01/ĐKTĐ-HĐĐT.
    pub const REGISTRATION: u16 = 100;
    /// TCT: registration accepted / not accepted (01/TB-ĐKĐT), carries the MTT code.
    pub const REGISTRATION_RESULT: u16 = 103;
    /// TCT: data-check result 01/TB-KTDL.
    pub const CHECK_RESULT: u16 = 204;
    /// MTT invoices sent to the tax authority.
    pub const MTT_INVOICES: u16 = 206;
    /// Notice of erroneous MTT invoices (04/SS-HĐĐT shaped).
    pub const MTT_ERROR_NOTICE: u16 = 303;
    /// TCT: receipt and result of an erroneous-invoice notice (04/TB-HĐĐT shaped).
    pub const ERROR_NOTICE_RESULT: u16 = 301;
    /// Technical acknowledgement.
    pub const TECHNICAL_ACK: u16 = 999;
}

/// `TDiep/TTChung`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    /// `PBan` (6).
    pub version: String,
    /// `MNGui` sender code (14): T-VAN `V<MST>`, `TCT`, or the taxpayer.
    pub sender: String,
    /// `MNNhan` receiver code (14).
    pub receiver: String,
    /// `MLTDiep` message type.
    pub kind: u16,
    /// `MTDiep` message id (46) = `MNGui` + 32 uppercase hex digits.
    pub id: String,
    /// `MTDTChieu` referenced message id (46), on replies.
    pub reference_id: Option<String>,
    /// `MST` taxpayer.
    pub tax_code: String,
    /// `SLuong` number of items.
    pub count: u32,
}

/// `MTDiep` from a sender code and 16 random bytes (a GUID without dashes, uppercase).
pub fn message_id(sender: &str, random: [u8; 16]) -> String {
    let mut s = String::with_capacity(sender.len() + 32);
    s.push_str(sender);
    for b in random {
        s.push_str(&format!("{b:02X}"));
    }
    s
}

fn write_header(o: &mut XmlOut, h: &Header) {
    o.start("TTChung");
    o.el("PBan", &h.version);
    o.el("MNGui", &h.sender);
    o.el("MNNhan", &h.receiver);
    o.el("MLTDiep", &h.kind.to_string());
    o.el("MTDiep", &h.id);
    o.el("MTDTChieu", h.reference_id.as_deref().unwrap_or(""));
    o.el("MST", &h.tax_code);
    o.el("SLuong", &h.count.to_string());
    o.end("TTChung");
}

fn parse_doc(xml: &str) -> Result<Document, ReadError> {
    if xml.len() > MAX_DOCUMENT_BYTES {
        return Err(ReadError::Invalid {
            path: "TDiep".into(),
            value: format!("{} bytes", xml.len()),
        });
    }
    let doc = Document::parse(xml)?;
    if doc.element(doc.root).local() != "TDiep" {
        return Err(ReadError::Missing("TDiep".into()));
    }
    Ok(doc)
}

fn text(doc: &Document, parent: NodeId, name: &str) -> Option<String> {
    doc.child(parent, name).map(|c| doc.text(c))
}

fn read_header(doc: &Document) -> Result<Header, ReadError> {
    let tc = doc
        .child(doc.root, "TTChung")
        .ok_or_else(|| ReadError::Missing("TDiep/TTChung".into()))?;
    let req =
        |n: &str| text(doc, tc, n).ok_or_else(|| ReadError::Missing(format!("TDiep/TTChung/{n}")));
    let kind_s = req("MLTDiep")?;
    let kind = kind_s.trim().parse().map_err(|_| ReadError::Invalid {
        path: "TDiep/TTChung/MLTDiep".into(),
        value: kind_s.clone(),
    })?;
    let count = match text(doc, tc, "SLuong") {
        None => 0,
        Some(s) if s.trim().is_empty() => 0,
        Some(s) => s.trim().parse().map_err(|_| ReadError::Invalid {
            path: "TDiep/TTChung/SLuong".into(),
            value: s.clone(),
        })?,
    };
    Ok(Header {
        version: req("PBan")?,
        sender: req("MNGui")?,
        receiver: text(doc, tc, "MNNhan").unwrap_or_default(),
        kind,
        id: req("MTDiep")?,
        reference_id: text(doc, tc, "MTDTChieu").filter(|s| !s.is_empty()),
        tax_code: text(doc, tc, "MST").unwrap_or_default(),
        count,
    })
}

/// Read only the `TTChung` header of any `TDiep`, e.g. to route a message by `MLTDiep`.
pub fn read_tdiep_header(xml: &str) -> Result<Header, ReadError> {
    read_header(&parse_doc(xml)?)
}

fn expect_kind(h: &Header, kind: u16) -> Result<(), ReadError> {
    if h.kind == kind {
        Ok(())
    } else {
        Err(ReadError::Invalid {
            path: "TDiep/TTChung/MLTDiep".into(),
            value: h.kind.to_string(),
        })
    }
}

// ---------------------------------------------------------------- 206

/// A message 206: MTT invoices in `DLieu`, signed by the taxpayer in `CKSNNT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message206 {
    /// Header (`MLTDiep` = 206, `SLuong` = number of invoices).
    pub header: Header,
    /// `DLieu/@Id`, the signed element.
    pub data_id: String,
    /// The invoices.
    pub invoices: Vec<Invoice>,
}

/// Write message 206 (unsigned; `CKSNNT` empty). `SLuong` and `MLTDiep` are set from the
/// arguments.
pub fn write_206(header: &Header, data_id: &str, invoices: &[Invoice]) -> String {
    let h = Header {
        kind: code::MTT_INVOICES,
        count: invoices.len() as u32,
        ..header.clone()
    };
    let mut o = XmlOut::new(true);
    o.start("TDiep");
    write_header(&mut o, &h);
    o.start_with("DLieu", &[("Id", data_id)]);
    for inv in invoices {
        write_invoice_into(&mut o, inv);
    }
    o.end("DLieu");
    o.empty("CKSNNT");
    o.end("TDiep");
    o.finish()
}

/// Write and sign message 206: one RSA-SHA256 signature in `TDiep/CKSNNT` over `DLieu`.
pub fn build_signed_206(
    header: &Header,
    data_id: &str,
    invoices: &[Invoice],
    key: &SigningKey,
    signing_time: LocalDateTime,
) -> Result<String, SignError> {
    let xml = write_206(header, data_id, invoices);
    sign_enveloped(
        &xml,
        key,
        &SignOptions {
            target_id: data_id.to_owned(),
            container: vec!["CKSNNT".into()],
            signature_id: format!("CKSNNT-{data_id}"),
            signing_time,
            c14n: C14nMethod::Inclusive,
        },
    )
}

/// Read message 206 (signature not checked: use [`crate::verify_signatures`]).
pub fn read_206(xml: &str) -> Result<Message206, ReadError> {
    let doc = parse_doc(xml)?;
    let header = read_header(&doc)?;
    expect_kind(&header, code::MTT_INVOICES)?;
    let dl = doc
        .child(doc.root, "DLieu")
        .ok_or_else(|| ReadError::Missing("TDiep/DLieu".into()))?;
    let invoices = doc
        .children_named(dl, "HDon")
        .map(|h| read_invoice_at(&doc, h))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Message206 {
        header,
        data_id: doc.element(dl).attr("Id").unwrap_or_default().to_owned(),
        invoices,
    })
}

/// Read the invoices carried by any `TDiep` (e.g. 202 from the tax authority).
pub fn read_envelope_invoices(xml: &str) -> Result<(Header, Vec<Invoice>), ReadError> {
    let doc = parse_doc(xml)?;
    let header = read_header(&doc)?;
    let mut out = Vec::new();
    if let Some(dl) = doc.child(doc.root, "DLieu") {
        for h in doc.children_named(dl, "HDon") {
            out.push(read_invoice_at(&doc, h)?);
        }
    }
    Ok((header, out))
}

// ---------------------------------------------------------------- replies

/// A reason `LDo` (error code, description, advice, note).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reason {
    /// `MLoi`.
    pub code: String,
    /// `MTLoi`.
    pub description: String,
    /// `HDXLy` advice.
    pub advice: Option<String>,
    /// `GChu`.
    pub note: Option<String>,
    /// Where it was found (path of local names under `DLieu`), to tell invoice-level reasons.
    pub location: String,
}

fn collect_reasons(doc: &Document, start: NodeId, path: &str, out: &mut Vec<Reason>) {
    for c in doc.child_elements(start) {
        let name = doc.element(c).local();
        let p = format!("{path}/{name}");
        if name == "LDo" {
            out.push(Reason {
                code: text(doc, c, "MLoi").unwrap_or_default(),
                description: text(doc, c, "MTLoi").unwrap_or_default(),
                advice: text(doc, c, "HDXLy"),
                note: text(doc, c, "GChu"),
                location: path.to_owned(),
            });
        } else {
            collect_reasons(doc, c, &p, out);
        }
    }
}

/// Message 999: technical acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TechnicalAck {
    /// Header (`MTDTChieu` points to the acknowledged message).
    pub header: Header,
    /// `TBao/MTDiep`: id of the acknowledged message.
    pub acknowledged_id: Option<String>,
    /// `TBao/TTTNhan`: 0 = received without technical error, 1 = error.
    pub status: Option<u8>,
    /// `TBao/NNhan`: receipt time as written.
    pub received_at: Option<String>,
    /// Reasons (`DSLDo/LDo`).
    pub reasons: Vec<Reason>,
}

impl TechnicalAck {
    /// Received without technical error (`TTTNhan` 0 and no reason).
    pub fn is_ok(&self) -> bool {
        self.status == Some(0) && self.reasons.is_empty()
    }
}

fn dl_tbao(doc: &Document) -> Result<NodeId, ReadError> {
    let dl = doc
        .child(doc.root, "DLieu")
        .ok_or_else(|| ReadError::Missing("TDiep/DLieu".into()))?;
    doc.child(dl, "TBao")
        .ok_or_else(|| ReadError::Missing("TDiep/DLieu/TBao".into()))
}

/// Read message 999.
pub fn read_999(xml: &str) -> Result<TechnicalAck, ReadError> {
    let doc = parse_doc(xml)?;
    let header = read_header(&doc)?;
    expect_kind(&header, code::TECHNICAL_ACK)?;
    let tb = dl_tbao(&doc)?;
    let mut reasons = Vec::new();
    collect_reasons(&doc, tb, "TBao", &mut reasons);
    Ok(TechnicalAck {
        acknowledged_id: text(&doc, tb, "MTDiep"),
        status: text(&doc, tb, "TTTNhan").and_then(|s| s.trim().parse().ok()),
        received_at: text(&doc, tb, "NNhan"),
        reasons,
        header,
    })
}

/// Write message 999 (used by tests and simulators).
pub fn write_999(header: &Header, ack: &TechnicalAck) -> String {
    let h = Header {
        kind: code::TECHNICAL_ACK,
        ..header.clone()
    };
    let mut o = XmlOut::new(true);
    o.start("TDiep");
    write_header(&mut o, &h);
    o.start("DLieu");
    o.start("TBao");
    o.opt("MTDiep", &ack.acknowledged_id);
    o.opt("MNGui", &Some(h.sender.clone()));
    o.opt("NNhan", &ack.received_at);
    if let Some(s) = ack.status {
        o.el("TTTNhan", &s.to_string());
    }
    write_reasons(&mut o, &ack.reasons);
    o.end("TBao");
    o.end("DLieu");
    o.end("TDiep");
    o.finish()
}

fn write_reasons(o: &mut XmlOut, reasons: &[Reason]) {
    if reasons.is_empty() {
        return;
    }
    o.start("DSLDo");
    for r in reasons {
        o.start("LDo");
        o.el("MLoi", &r.code);
        o.el("MTLoi", &r.description);
        o.opt("HDXLy", &r.advice);
        o.opt("GChu", &r.note);
        o.end("LDo");
    }
    o.end("DSLDo");
}

/// An invoice named in a 204 notice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NoticeInvoice {
    /// `KHMSHDon`.
    pub form: Option<String>,
    /// `KHHDon`.
    pub symbol: Option<String>,
    /// `SHDon`.
    pub number: Option<String>,
    /// `NLap`.
    pub date: Option<String>,
    /// Reasons for this invoice.
    pub reasons: Vec<Reason>,
}

/// Message 204: data-check result (01/TB-KTDL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// Header.
    pub header: Header,
    /// `DLTBao/LTBao`: notice type (`7` = invalid MTT data package).
    pub notice_type: Option<u8>,
    /// `DLTBao/MSo` form code, e.g. `01/TB-KTDL`.
    pub form_code: Option<String>,
    /// `DLTBao/MGDDTu` electronic transaction code.
    pub transaction_code: Option<String>,
    /// `DLTBao/TGGui` time as written.
    pub sent_at: Option<String>,
    /// Message-level reasons.
    pub reasons: Vec<Reason>,
    /// Invoices named with their reasons (`…/HDon`).
    pub invoices: Vec<NoticeInvoice>,
}

/// `LTBao` of a 204 refusing an MTT data package (reference §7).
pub const NOTICE_INVALID_MTT: u8 = 7;

impl CheckResult {
    /// No reason at all was given.
    pub fn is_ok(&self) -> bool {
        self.reasons.is_empty() && self.invoices.iter().all(|i| i.reasons.is_empty())
    }

    /// A 204 that accepts: no `LTBao`, no reason. The real "no errors" form is not in the
    /// reference (verify); senders tell acceptance by [`CheckResult::is_ok`].
    pub fn accepted(header: Header, transaction_code: Option<String>, sent_at: String) -> Self {
        CheckResult {
            header,
            notice_type: None,
            form_code: Some("01/TB-KTDL".into()),
            transaction_code,
            sent_at: Some(sent_at),
            reasons: Vec::new(),
            invoices: Vec::new(),
        }
    }

    /// A 204 refusing a package (`LTBao` 7) with message-level and per-invoice reasons.
    /// Invoices without reasons are left out.
    pub fn refused(
        header: Header,
        sent_at: String,
        reasons: Vec<Reason>,
        invoices: Vec<NoticeInvoice>,
    ) -> Self {
        CheckResult {
            header,
            notice_type: Some(NOTICE_INVALID_MTT),
            form_code: Some("01/TB-KTDL".into()),
            transaction_code: None,
            sent_at: Some(sent_at),
            reasons,
            invoices: invoices
                .into_iter()
                .filter(|i| !i.reasons.is_empty())
                .collect(),
        }
    }
}

impl NoticeInvoice {
    /// The identifying fields of an invoice, without reasons.
    pub fn of(inv: &Invoice) -> NoticeInvoice {
        NoticeInvoice {
            form: Some(inv.form.to_string()),
            symbol: Some(inv.symbol.clone()),
            number: Some(inv.number.to_string()),
            date: Some(inv.issue_date.to_string()),
            reasons: Vec::new(),
        }
    }
}

impl Reason {
    /// A reason with a code and a description only.
    pub fn new(code: impl Into<String>, description: impl Into<String>) -> Reason {
        Reason {
            code: code.into(),
            description: description.into(),
            ..Reason::default()
        }
    }
}

/// Read message 204.
pub fn read_204(xml: &str) -> Result<CheckResult, ReadError> {
    read_check(xml, code::CHECK_RESULT)
}

/// Read message 301 (result of a 303 notice). It has the shape of a 204 here: invoices named
/// with their reasons, none = accepted. The real 01/TB-HĐSS fields are not in the reference
/// (verify).
pub fn read_301(xml: &str) -> Result<CheckResult, ReadError> {
    read_check(xml, code::ERROR_NOTICE_RESULT)
}

fn read_check(xml: &str, kind: u16) -> Result<CheckResult, ReadError> {
    let doc = parse_doc(xml)?;
    let header = read_header(&doc)?;
    expect_kind(&header, kind)?;
    let tb = dl_tbao(&doc)?;
    let dlt = doc.child(tb, "DLTBao").unwrap_or(tb);
    let mut invoices = Vec::new();
    let mut hdon_nodes = Vec::new();
    for n in doc.descendants(dlt) {
        if doc.element(n).local() == "HDon" {
            hdon_nodes.push(n);
        }
    }
    for h in &hdon_nodes {
        let mut reasons = Vec::new();
        collect_reasons(&doc, *h, "HDon", &mut reasons);
        invoices.push(NoticeInvoice {
            form: text(&doc, *h, "KHMSHDon"),
            symbol: text(&doc, *h, "KHHDon"),
            number: text(&doc, *h, "SHDon"),
            date: text(&doc, *h, "NLap"),
            reasons,
        });
    }
    // message-level reasons: LDo not under an HDon
    let mut all = Vec::new();
    collect_reasons(&doc, dlt, "DLTBao", &mut all);
    let reasons = all
        .into_iter()
        .filter(|r| !r.location.split('/').any(|p| p == "HDon"))
        .collect();
    Ok(CheckResult {
        notice_type: text(&doc, dlt, "LTBao").and_then(|s| s.trim().parse().ok()),
        form_code: text(&doc, dlt, "MSo"),
        transaction_code: text(&doc, dlt, "MGDDTu"),
        sent_at: text(&doc, dlt, "TGGui"),
        reasons,
        invoices,
        header,
    })
}

/// Write message 204 (used by tests and simulators).
pub fn write_204(header: &Header, r: &CheckResult) -> String {
    write_check(header, r, code::CHECK_RESULT)
}

/// Write message 301 (see [`read_301`]).
pub fn write_301(header: &Header, r: &CheckResult) -> String {
    write_check(header, r, code::ERROR_NOTICE_RESULT)
}

fn write_check(header: &Header, r: &CheckResult, kind: u16) -> String {
    let h = Header {
        kind,
        ..header.clone()
    };
    let mut o = XmlOut::new(true);
    o.start("TDiep");
    write_header(&mut o, &h);
    o.start("DLieu");
    o.start("TBao");
    o.start("DLTBao");
    o.opt("MSo", &r.form_code);
    if let Some(t) = r.notice_type {
        o.el("LTBao", &t.to_string());
    }
    o.opt("MGDDTu", &r.transaction_code);
    o.opt("TGGui", &r.sent_at);
    write_reasons(&mut o, &r.reasons);
    if !r.invoices.is_empty() {
        o.start("DSHDon");
        for i in &r.invoices {
            o.start("HDon");
            o.opt("KHMSHDon", &i.form);
            o.opt("KHHDon", &i.symbol);
            o.opt("SHDon", &i.number);
            o.opt("NLap", &i.date);
            write_reasons(&mut o, &i.reasons);
            o.end("HDon");
        }
        o.end("DSHDon");
    }
    o.end("DLTBao");
    o.end("TBao");
    o.end("DLieu");
    o.end("TDiep");
    o.finish()
}

// ---------------------------------------------------------------- 100 / 103

/// Registration declaration 01/ĐKTĐ-HĐĐT (message 100), reduced to what an MTT seller
/// fills in. Field names from the 1450 transcription (verify).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Registration {
    /// `DLTKhai/@Id`.
    pub data_id: String,
    /// `HThuc`: 1 new registration, 2 change.
    pub kind: u8,
    /// `TNNT` taxpayer name.
    pub taxpayer_name: String,
    /// `MST`.
    pub tax_code: String,
    /// `CQTQLy` managing tax office name; `MCQTQLy` its code.
    pub tax_office: (String, String),
    /// `NLHe` contact person, `DCLHe` address, `DCTDTu` email, `DTLHe` phone.
    pub contact: (String, String, String, String),
    /// `DDanh` place.
    pub place: String,
    /// `NLap` date.
    pub date: Date,
    /// `HTHDon/CMTMTTien`: coded invoices generated from a cash register.
    pub cash_register: bool,
    /// `LHDSDung`: form numbers used (1 `HDGTGT`, 2 `HDBHang`, …).
    pub forms: Vec<u8>,
}

/// Write message 100 (unsigned; the declaration is signed in `DSCKS/NNT`).
pub fn write_100(header: &Header, r: &Registration) -> String {
    let h = Header {
        kind: code::REGISTRATION,
        count: 1,
        ..header.clone()
    };
    let mut o = XmlOut::new(true);
    o.start("TDiep");
    write_header(&mut o, &h);
    o.start("DLieu");
    o.start("TKhai");
    o.start_with("DLTKhai", &[("Id", &r.data_id)]);
    o.start("TTChung");
    o.el("PBan", &h.version);
    o.el("MSo", "01/ĐKTĐ-HĐĐT");
    o.el(
        "Ten",
        "Tờ khai đăng ký/thay đổi thông tin sử dụng hóa đơn điện tử",
    );
    o.el("HThuc", &r.kind.to_string());
    o.el("TNNT", &r.taxpayer_name);
    o.el("MST", &r.tax_code);
    o.el("CQTQLy", &r.tax_office.0);
    o.el("MCQTQLy", &r.tax_office.1);
    o.el("NLHe", &r.contact.0);
    o.el("DCLHe", &r.contact.1);
    o.el("DCTDTu", &r.contact.2);
    o.el("DTLHe", &r.contact.3);
    o.el("DDanh", &r.place);
    o.el("NLap", &r.date.to_string());
    o.end("TTChung");
    o.start("NDTKhai");
    o.start("HTHDon");
    o.el("CMa", "1");
    o.el("CMTMTTien", if r.cash_register { "1" } else { "0" });
    o.end("HTHDon");
    o.start("LHDSDung");
    for (f, tag) in [
        (1, "HDGTGT"),
        (2, "HDBHang"),
        (3, "HDBTSCong"),
        (4, "HDBHDTQGia"),
        (5, "HDKhac"),
        (6, "CTu"),
    ] {
        o.el(tag, if r.forms.contains(&f) { "1" } else { "0" });
    }
    o.end("LHDSDung");
    o.end("NDTKhai");
    o.end("DLTKhai");
    o.start("DSCKS");
    o.empty("NNT");
    o.end("DSCKS");
    o.end("TKhai");
    o.end("DLieu");
    o.end("TDiep");
    o.finish()
}

/// Read back message 100 (round trip of [`write_100`]; lenient).
pub fn read_100(xml: &str) -> Result<(Header, Registration), ReadError> {
    let doc = parse_doc(xml)?;
    let header = read_header(&doc)?;
    expect_kind(&header, code::REGISTRATION)?;
    let miss = |p: &str| ReadError::Missing(p.to_owned());
    let dl = doc
        .child(doc.root, "DLieu")
        .ok_or_else(|| miss("TDiep/DLieu"))?;
    let tk = doc
        .child(dl, "TKhai")
        .ok_or_else(|| miss("TDiep/DLieu/TKhai"))?;
    let dlt = doc
        .child(tk, "DLTKhai")
        .ok_or_else(|| miss("TKhai/DLTKhai"))?;
    let tc = doc
        .child(dlt, "TTChung")
        .ok_or_else(|| miss("DLTKhai/TTChung"))?;
    let t = |n: &str| text(&doc, tc, n).unwrap_or_default();
    let nd = doc.child(dlt, "NDTKhai");
    let flag = |parent: &str, n: &str| {
        nd.and_then(|nd| doc.child(nd, parent))
            .and_then(|p| text(&doc, p, n))
            .is_some_and(|v| v.trim() == "1")
    };
    let mut forms = Vec::new();
    for (f, tag) in [
        (1, "HDGTGT"),
        (2, "HDBHang"),
        (3, "HDBTSCong"),
        (4, "HDBHDTQGia"),
        (5, "HDKhac"),
        (6, "CTu"),
    ] {
        if flag("LHDSDung", tag) {
            forms.push(f);
        }
    }
    let date_s = t("NLap");
    let date = Date::parse(&date_s).map_err(|_| ReadError::Invalid {
        path: "DLTKhai/TTChung/NLap".into(),
        value: date_s,
    })?;
    Ok((
        header,
        Registration {
            data_id: doc.element(dlt).attr("Id").unwrap_or_default().to_owned(),
            kind: t("HThuc").trim().parse().unwrap_or(0),
            taxpayer_name: t("TNNT"),
            tax_code: t("MST"),
            tax_office: (t("CQTQLy"), t("MCQTQLy")),
            contact: (t("NLHe"), t("DCLHe"), t("DCTDTu"), t("DTLHe")),
            place: t("DDanh"),
            date,
            cash_register: flag("HTHDon", "CMTMTTien"),
            forms,
        },
    ))
}

/// Message 103: registration accepted or not (01/TB-ĐKĐT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationResult {
    /// Header.
    pub header: Header,
    /// `DLTBao/TTXNCQT`: 1 accepted, 2 not accepted (verify).
    pub status: Option<u8>,
    /// `DLTBao/MCCQT`: the 5-character code for MTT codes (stored up to 23 chars).
    pub mtt_code: Option<String>,
    /// Reasons when not accepted.
    pub reasons: Vec<Reason>,
}

impl RegistrationResult {
    /// Accepted and carrying a well-formed 5-character code (`A-Z0-9`).
    pub fn accepted_code(&self) -> Option<&str> {
        let c = self.mtt_code.as_deref()?.trim();
        let ok = c.len() == 5
            && c.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        (ok && self.status != Some(2)).then_some(c)
    }
}

/// Read message 103.
pub fn read_103(xml: &str) -> Result<RegistrationResult, ReadError> {
    let doc = parse_doc(xml)?;
    let header = read_header(&doc)?;
    expect_kind(&header, code::REGISTRATION_RESULT)?;
    let tb = dl_tbao(&doc)?;
    let dlt = doc.child(tb, "DLTBao").unwrap_or(tb);
    let mut reasons = Vec::new();
    collect_reasons(&doc, dlt, "DLTBao", &mut reasons);
    Ok(RegistrationResult {
        status: text(&doc, dlt, "TTXNCQT").and_then(|s| s.trim().parse().ok()),
        mtt_code: text(&doc, dlt, "MCCQT"),
        reasons,
        header,
    })
}

/// Write message 103 (used by tests and simulators).
pub fn write_103(header: &Header, r: &RegistrationResult) -> String {
    let h = Header {
        kind: code::REGISTRATION_RESULT,
        ..header.clone()
    };
    let mut o = XmlOut::new(true);
    o.start("TDiep");
    write_header(&mut o, &h);
    o.start("DLieu");
    o.start("TBao");
    o.start("DLTBao");
    o.el("MSo", "01/TB-ĐKĐT");
    if let Some(s) = r.status {
        o.el("TTXNCQT", &s.to_string());
    }
    o.opt("MCCQT", &r.mtt_code);
    write_reasons(&mut o, &r.reasons);
    o.end("DLTBao");
    o.end("TBao");
    o.end("DLieu");
    o.end("TDiep");
    o.finish()
}

// ---------------------------------------------------------------- 303

/// `TCTBao`: what the taxpayer did or does about an erroneous invoice (04/SS-HĐĐT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeAction {
    /// 1: cancelled.
    Cancel,
    /// 2: adjusted.
    Adjust,
    /// 3: replaced.
    Replace,
    /// 4: explained.
    Explain,
}

impl NoticeAction {
    /// The `TCTBao` value.
    pub fn code(self) -> u8 {
        match self {
            NoticeAction::Cancel => 1,
            NoticeAction::Adjust => 2,
            NoticeAction::Replace => 3,
            NoticeAction::Explain => 4,
        }
    }
    /// From a `TCTBao` value.
    pub fn from_code(c: u8) -> Option<NoticeAction> {
        Some(match c {
            1 => NoticeAction::Cancel,
            2 => NoticeAction::Adjust,
            3 => NoticeAction::Replace,
            4 => NoticeAction::Explain,
            _ => return None,
        })
    }
}

/// One invoice named in a 303 notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorNoticeInvoice {
    /// `MCCQT`: the invoice's MTT code.
    pub authority_code: String,
    /// `KHMSHDon`.
    pub form: u8,
    /// `KHHDon`.
    pub symbol: String,
    /// `SHDon`.
    pub number: u32,
    /// `NLap`.
    pub date: Date,
    /// `TCTBao`.
    pub action: NoticeAction,
    /// `LDo`: why (free text).
    pub reason: String,
}

impl ErrorNoticeInvoice {
    /// Names `inv` (which must carry its MTT code in `MCCQT`).
    pub fn of(inv: &Invoice, action: NoticeAction, reason: &str) -> ErrorNoticeInvoice {
        ErrorNoticeInvoice {
            authority_code: inv.authority_code.clone().unwrap_or_default(),
            form: inv.form,
            symbol: inv.symbol.clone(),
            number: inv.number,
            date: inv.issue_date,
            action,
            reason: reason.to_owned(),
        }
    }
}

/// Message 303: notice of erroneous MTT invoices, shaped like form 04/SS-HĐĐT. Element names
/// beyond those of 204 follow the 1450 transcription as remembered (verify against the XSD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorNotice {
    /// Header (`MLTDiep` 303, `SLuong` = number of invoices).
    pub header: Header,
    /// `DLTBao/@Id`.
    pub data_id: String,
    /// `Loai`: 1 the taxpayer's own notice, 2 answering a tax-authority notice.
    pub notice_kind: u8,
    /// `MCQT` tax office code, `TCQT` its name.
    pub tax_office: (String, String),
    /// `TNNT`.
    pub taxpayer_name: String,
    /// `MST`.
    pub tax_code: String,
    /// `DDanh` place.
    pub place: String,
    /// `NTBao` notice date.
    pub date: Date,
    /// `DSHDon/HDon`.
    pub invoices: Vec<ErrorNoticeInvoice>,
}

/// Write message 303 (unsigned; `DSCKS/NNT` is left for the taxpayer's signature).
pub fn write_303(header: &Header, n: &ErrorNotice) -> String {
    let h = Header {
        kind: code::MTT_ERROR_NOTICE,
        count: n.invoices.len() as u32,
        ..header.clone()
    };
    let mut o = XmlOut::new(true);
    o.start("TDiep");
    write_header(&mut o, &h);
    o.start("DLieu");
    o.start("TBao");
    o.start_with("DLTBao", &[("Id", &n.data_id)]);
    o.el("PBan", &h.version);
    o.el("MSo", "04/SS-HĐĐT");
    o.el(
        "Ten",
        "Thông báo hóa đơn điện tử có sai sót (hóa đơn khởi tạo từ máy tính tiền)",
    );
    o.el("Loai", &n.notice_kind.to_string());
    o.el("MCQT", &n.tax_office.0);
    o.el("TCQT", &n.tax_office.1);
    o.el("TNNT", &n.taxpayer_name);
    o.el("MST", &n.tax_code);
    o.el("DDanh", &n.place);
    o.el("NTBao", &n.date.to_string());
    o.start("DSHDon");
    for (i, inv) in n.invoices.iter().enumerate() {
        o.start("HDon");
        o.el("STT", &(i + 1).to_string());
        o.el("MCCQT", &inv.authority_code);
        o.el("KHMSHDon", &inv.form.to_string());
        o.el("KHHDon", &inv.symbol);
        o.el("SHDon", &inv.number.to_string());
        o.el("NLap", &inv.date.to_string());
        o.el("TCTBao", &inv.action.code().to_string());
        o.el("LDo", &inv.reason);
        o.end("HDon");
    }
    o.end("DSHDon");
    o.end("DLTBao");
    o.start("DSCKS");
    o.empty("NNT");
    o.end("DSCKS");
    o.end("TBao");
    o.end("DLieu");
    o.end("TDiep");
    o.finish()
}

/// Read message 303. Every field is required and checked for form; the signature, if any, is
/// not checked here.
pub fn read_303(xml: &str) -> Result<ErrorNotice, ReadError> {
    let doc = parse_doc(xml)?;
    let header = read_header(&doc)?;
    expect_kind(&header, code::MTT_ERROR_NOTICE)?;
    let tb = dl_tbao(&doc)?;
    let dlt = doc
        .child(tb, "DLTBao")
        .ok_or_else(|| ReadError::Missing("TBao/DLTBao".into()))?;
    let req = |parent: NodeId, path: &str, n: &str| {
        text(&doc, parent, n).ok_or_else(|| ReadError::Missing(format!("{path}/{n}")))
    };
    let invalid = |path: String, value: String| ReadError::Invalid { path, value };
    let d = |parent: NodeId, path: &str, n: &str| {
        let s = req(parent, path, n)?;
        Date::parse(s.trim()).map_err(|_| invalid(format!("{path}/{n}"), s))
    };
    let num = |parent: NodeId, path: &str, n: &str| {
        let s = req(parent, path, n)?;
        s.trim()
            .parse::<u32>()
            .map_err(|_| invalid(format!("{path}/{n}"), s))
    };
    let p = "DLTBao";
    let notice_kind = num(dlt, p, "Loai")?;
    if !(1..=2).contains(&notice_kind) {
        return Err(invalid(format!("{p}/Loai"), notice_kind.to_string()));
    }
    let list = doc
        .child(dlt, "DSHDon")
        .ok_or_else(|| ReadError::Missing("DLTBao/DSHDon".into()))?;
    let mut invoices = Vec::new();
    for (i, h) in doc.children_named(list, "HDon").enumerate() {
        let hp = format!("DLTBao/DSHDon/HDon[{}]", i + 1);
        let form = num(h, &hp, "KHMSHDon")?;
        let action = num(h, &hp, "TCTBao")?;
        invoices.push(ErrorNoticeInvoice {
            authority_code: req(h, &hp, "MCCQT")?,
            form: u8::try_from(form)
                .map_err(|_| invalid(format!("{hp}/KHMSHDon"), form.to_string()))?,
            symbol: req(h, &hp, "KHHDon")?,
            number: num(h, &hp, "SHDon")?,
            date: d(h, &hp, "NLap")?,
            action: u8::try_from(action)
                .ok()
                .and_then(NoticeAction::from_code)
                .ok_or_else(|| invalid(format!("{hp}/TCTBao"), action.to_string()))?,
            reason: req(h, &hp, "LDo")?,
        });
    }
    if invoices.is_empty() {
        return Err(ReadError::Missing("DLTBao/DSHDon/HDon".into()));
    }
    if header.count as usize != invoices.len() {
        return Err(invalid(
            "TDiep/TTChung/SLuong".into(),
            header.count.to_string(),
        ));
    }
    Ok(ErrorNotice {
        data_id: doc.element(dlt).attr("Id").unwrap_or_default().to_owned(),
        notice_kind: notice_kind as u8,
        tax_office: (req(dlt, p, "MCQT")?, req(dlt, p, "TCQT")?),
        taxpayer_name: req(dlt, p, "TNNT")?,
        tax_code: req(dlt, p, "MST")?,
        place: req(dlt, p, "DDanh")?,
        date: d(dlt, p, "NTBao")?,
        invoices,
        header,
    })
}

impl fmt::Display for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} → {} ({})",
            self.kind, self.sender, self.receiver, self.id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            version: "2.0.1".into(),
            sender: "V0106324653".into(),
            receiver: "TCT".into(),
            kind: 0,
            id: message_id("V0106324653", [0xab; 16]),
            reference_id: None,
            tax_code: "0106324653".into(),
            count: 1,
        }
    }

    fn notice() -> ErrorNotice {
        ErrorNotice {
            header: Header {
                kind: 303,
                count: 1,
                ..header()
            },
            data_id: "TB-1".into(),
            notice_kind: 1,
            tax_office: ("22701".into(), "Thuế cơ sở Hạ Long".into()),
            taxpayer_name: "Hộ kinh doanh Chợ Hạ Long".into(),
            tax_code: "0106324653".into(),
            place: "Hạ Long".into(),
            date: Date::new(2025, 7, 2).unwrap(),
            invoices: vec![ErrorNoticeInvoice {
                authority_code: "M1-25-ABCDE-00000000002".into(),
                form: 1,
                symbol: "C25MAA".into(),
                number: 2,
                date: Date::new(2025, 7, 1).unwrap(),
                action: NoticeAction::Replace,
                reason: "Sai đơn giá <mực> & số lượng".into(),
            }],
        }
    }

    #[test]
    fn notice_303_round_trip_and_errors() {
        let n = notice();
        let xml = write_303(&n.header, &n);
        assert_eq!(read_303(&xml).unwrap(), n);
        assert!(read_204(&xml).is_err(), "wrong MLTDiep");
        let bad = xml.replace("<TCTBao>3</TCTBao>", "<TCTBao>9</TCTBao>");
        assert!(
            matches!(read_303(&bad), Err(ReadError::Invalid { path, .. }) if path.ends_with("TCTBao"))
        );
        let bad = xml.replace("<NLap>2025-07-01</NLap>", "<NLap>1/7/2025</NLap>");
        assert!(matches!(read_303(&bad), Err(ReadError::Invalid { .. })));
        let bad = xml.replace("<KHHDon>C25MAA</KHHDon>", "");
        assert!(matches!(read_303(&bad), Err(ReadError::Missing(p)) if p.ends_with("KHHDon")));
        let bad = xml.replace("<SLuong>1</SLuong>", "<SLuong>2</SLuong>");
        assert!(read_303(&bad).is_err(), "SLuong must match");
        let mut empty = notice();
        empty.invoices.clear();
        assert!(read_303(&write_303(&empty.header, &empty)).is_err());
    }

    #[test]
    fn accepted_and_refused_204_and_301() {
        let h = Header {
            kind: 204,
            ..header()
        };
        let ok = CheckResult::accepted(h.clone(), Some("GD1".into()), "2025-07-01T10:00:00".into());
        let back = read_204(&write_204(&h, &ok)).unwrap();
        assert_eq!(back, ok);
        assert!(back.is_ok());
        let mut inv = NoticeInvoice {
            number: Some("3".into()),
            ..NoticeInvoice::default()
        };
        let clean = inv.clone();
        inv.reasons.push(Reason::new("EINV-006", "Thiếu số"));
        let bad = CheckResult::refused(h.clone(), "t".into(), vec![], vec![clean, inv]);
        assert_eq!(
            bad.invoices.len(),
            1,
            "invoices without reasons are left out"
        );
        let back = read_204(&write_204(&h, &bad)).unwrap();
        assert!(!back.is_ok());
        assert_eq!(back.notice_type, Some(NOTICE_INVALID_MTT));
        assert_eq!(back.invoices[0].reasons[0].code, "EINV-006");
        let back = read_301(&write_301(&h, &bad)).unwrap();
        assert_eq!(back.header.kind, 301);
        assert!(read_204(&write_301(&h, &bad)).is_err());
    }

    #[test]
    fn message_ids() {
        let id = message_id("V0106324653", [0x0f; 16]);
        assert_eq!(id.len(), 11 + 32);
        assert!(id.ends_with("0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F"));
    }

    #[test]
    fn ack_and_check_round_trip() {
        let ack = TechnicalAck {
            header: Header {
                kind: 999,
                reference_id: Some("VX".into()),
                ..header()
            },
            acknowledged_id: Some("VX".into()),
            status: Some(0),
            received_at: Some("2025-07-01T10:00:00".into()),
            reasons: vec![],
        };
        let back = read_999(&write_999(&ack.header, &ack)).unwrap();
        assert_eq!(back, ack);
        assert!(back.is_ok());

        let r = CheckResult {
            header: Header {
                kind: 204,
                ..header()
            },
            notice_type: Some(7),
            form_code: Some("01/TB-KTDL".into()),
            transaction_code: None,
            sent_at: None,
            reasons: vec![Reason {
                code: "20001".into(),
                description: "Sai chữ ký".into(),
                advice: None,
                note: None,
                location: "DLTBao/DSLDo".into(),
            }],
            invoices: vec![NoticeInvoice {
                form: Some("1".into()),
                symbol: Some("C25MAA".into()),
                number: Some("42".into()),
                date: None,
                reasons: vec![Reason {
                    code: "3".into(),
                    description: "Sai tổng tiền".into(),
                    advice: Some("Lập hóa đơn thay thế".into()),
                    note: None,
                    location: "HDon/DSLDo".into(),
                }],
            }],
        };
        let back = read_204(&write_204(&r.header, &r)).unwrap();
        assert_eq!(back, r);
        assert!(!back.is_ok());
    }

    #[test]
    fn registration_round_trip_and_103() {
        let reg = Registration {
            data_id: "TK-1".into(),
            kind: 1,
            taxpayer_name: "Hộ kinh doanh Chợ Hạ Long".into(),
            tax_code: "0106324653".into(),
            tax_office: ("Chi cục Thuế khu vực Hạ Long".into(), "22701".into()),
            contact: (
                "Nguyễn Văn A".into(),
                "Hạ Long".into(),
                "a@example.vn".into(),
                "0912345678".into(),
            ),
            place: "Hạ Long".into(),
            date: Date::new(2025, 6, 1).unwrap(),
            cash_register: true,
            forms: vec![1, 2],
        };
        let xml = write_100(&header(), &reg);
        let (h, back) = read_100(&xml).unwrap();
        assert_eq!(h.kind, 100);
        assert_eq!(back, reg);

        let res = RegistrationResult {
            header: Header {
                kind: 103,
                sender: "TCT".into(),
                ..header()
            },
            status: Some(1),
            mtt_code: Some("VZQYY".into()),
            reasons: vec![],
        };
        let back = read_103(&write_103(&res.header, &res)).unwrap();
        assert_eq!(back.accepted_code(), Some("VZQYY"));
        assert!(
            read_999(&write_103(&res.header, &res)).is_err(),
            "wrong MLTDiep"
        );
    }
}
