//! Invoice XML (`HDon`) writer and reader, `PBan` 2.0.0 / 2.0.1 / 2.1.0.
//!
//! The writer emits no whitespace between elements (signed content must not be
//! re-indented), no namespace, elements in the order of the TCT tables, and only the
//! optional elements that are `Some`/non-empty in the model. It ends with
//! `<DSCKS><NBan/></DSCKS>`, the place where [`crate::dsig::sign_invoice`] puts the seller
//! signature. The reader is lenient about order, ignores unknown elements and
//! namespaces (real files declare unused `inv`/`ds` prefixes), and keeps invalid values that
//! validation must report (symbol, tax codes, unknown `TSuat`).

use std::borrow::Cow;
use std::fmt;

use quick_xml::Writer;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::QName;

use crate::dom::{Document, NodeId, XmlError};
use crate::model::*;

/// Error reading an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Not well-formed or refused XML.
    Xml(XmlError),
    /// A required element is missing (path like `HDon/DLHDon/TTChung/PBan`).
    Missing(String),
    /// An element holds a value of the wrong form.
    Invalid {
        /// Element path.
        path: String,
        /// The value found.
        value: String,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Xml(e) => e.fmt(f),
            ReadError::Missing(p) => write!(f, "missing element {p}"),
            ReadError::Invalid { path, value } => write!(f, "invalid value {value:?} in {path}"),
        }
    }
}

impl std::error::Error for ReadError {}

impl From<XmlError> for ReadError {
    fn from(e: XmlError) -> Self {
        ReadError::Xml(e)
    }
}

/// Largest document the readers accept (bytes).
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024 * 1024;

// ---------------------------------------------------------------- writer

fn escape_text(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '\r']) {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '\r' => o.push_str("&#xD;"),
            _ => o.push(c),
        }
    }
    Cow::Owned(o)
}

pub(crate) fn escape_attr(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '"' => o.push_str("&quot;"),
            '\t' => o.push_str("&#x9;"),
            '\n' => o.push_str("&#xA;"),
            '\r' => o.push_str("&#xD;"),
            _ => o.push(c),
        }
    }
    o
}

/// Characters XML 1.0 cannot carry are replaced by U+FFFD (they could not be read back).
fn xml_safe(s: &str) -> Cow<'_, str> {
    let bad = |c: char| !matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    if s.chars().any(bad) {
        Cow::Owned(
            s.chars()
                .map(|c| if bad(c) { '\u{FFFD}' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// Thin wrapper over a quick-xml writer into memory (writes cannot fail).
pub(crate) struct XmlOut {
    w: Writer<Vec<u8>>,
}

impl XmlOut {
    pub(crate) fn new(with_decl: bool) -> XmlOut {
        let mut w = Writer::new(Vec::with_capacity(4096));
        if with_decl {
            let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        }
        XmlOut { w }
    }
    pub(crate) fn start(&mut self, name: &str) {
        let _ = self.w.write_event(Event::Start(BytesStart::new(name)));
    }
    pub(crate) fn start_with(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let mut s = BytesStart::new(name);
        for (k, v) in attrs {
            s.push_attribute(Attribute {
                key: QName(k),
                value: Cow::Owned(escape_attr(&xml_safe(v))),
            });
        }
        let _ = self.w.write_event(Event::Start(s));
    }
    pub(crate) fn empty(&mut self, name: &str) {
        let _ = self.w.write_event(Event::Empty(BytesStart::new(name)));
    }
    pub(crate) fn end(&mut self, name: &str) {
        let _ = self.w.write_event(Event::End(BytesEnd::new(name)));
    }
    pub(crate) fn text(&mut self, t: &str) {
        let safe = xml_safe(t);
        let _ = self
            .w
            .write_event(Event::Text(BytesText::from_escaped(escape_text(&safe))));
    }
    pub(crate) fn el(&mut self, name: &str, t: &str) {
        self.start(name);
        self.text(t);
        self.end(name);
    }
    pub(crate) fn opt(&mut self, name: &str, t: &Option<String>) {
        if let Some(v) = t {
            self.el(name, v);
        }
    }
    pub(crate) fn finish(self) -> String {
        String::from_utf8(self.w.into_inner()).unwrap_or_default()
    }
}

fn write_extra(o: &mut XmlOut, fields: &[ExtraField]) {
    if fields.is_empty() {
        return;
    }
    o.start("TTKhac");
    for f in fields {
        o.start("TTin");
        o.el("TTruong", &f.name);
        o.el("KDLieu", &f.kind);
        o.opt("DLieu", &f.value);
        o.end("TTin");
    }
    o.end("TTKhac");
}

/// Write the invoice as a standalone document (with XML declaration).
pub fn write_invoice(inv: &Invoice) -> String {
    let mut o = XmlOut::new(true);
    write_invoice_into(&mut o, inv);
    o.finish()
}

/// Write `HDon` into a writer (used by the 206 envelope).
pub(crate) fn write_invoice_into(o: &mut XmlOut, inv: &Invoice) {
    let v = inv.version;
    o.start("HDon");
    o.start_with("DLHDon", &[("Id", &inv.data_id)]);
    // TTChung
    o.start("TTChung");
    o.el("PBan", v.as_str());
    o.el("THDon", &inv.title);
    o.el("KHMSHDon", &inv.form.to_string());
    o.el("KHHDon", &inv.symbol);
    o.el("SHDon", &inv.number.to_string());
    o.opt("MHSo", &inv.record_code);
    o.el("NLap", &inv.issue_date.to_string());
    if let Some(b) = inv.financial_leasing {
        o.el("HDCTTChinh", if b { "1" } else { "0" });
    }
    o.opt("DVTTe", &inv.currency);
    if let Some(r) = inv.exchange_rate {
        o.el("TGia", &format_fixed(r, 2));
    }
    o.opt("HTTToan", &inv.payment_method);
    o.opt("MSTTCGP", &inv.provider_tax_code);
    if let Some(r) = &inv.related {
        o.start("TTHDLQuan");
        o.el("TCHDon", &r.relation.to_string());
        o.el("LHDCLQuan", &r.source_kind.to_string());
        o.el("KHMSHDCLQuan", &r.form);
        o.el("KHHDCLQuan", &r.symbol);
        o.el("SHDCLQuan", &r.number);
        o.el("NLHDCLQuan", &r.date.to_string());
        o.opt("GChu", &r.note);
        o.end("TTHDLQuan");
    }
    write_extra(o, &inv.header_extra);
    o.end("TTChung");
    // NDHDon
    o.start("NDHDon");
    let s = &inv.seller;
    o.start("NBan");
    o.el("Ten", &s.name);
    o.el("MST", &s.tax_code);
    o.el("DChi", &s.address);
    o.opt("MCHang", &s.store_code);
    o.opt("TCHang", &s.store_name);
    o.opt("SDThoai", &s.phone);
    o.opt("DCTDTu", &s.email);
    o.opt("STKNHang", &s.bank_account);
    o.opt("TNHang", &s.bank_name);
    o.opt("Fax", &s.fax);
    o.opt("Website", &s.website);
    write_extra(o, &s.extra);
    o.end("NBan");
    if let Some(b) = &inv.buyer {
        o.start("NMua");
        o.opt("Ten", &b.name);
        o.opt("MST", &b.tax_code);
        o.opt("MDVQHNSach", &b.budget_unit_code);
        o.opt("DChi", &b.address);
        o.opt("MKHang", &b.customer_code);
        o.opt("SDThoai", &b.phone);
        o.opt("CCCDan", &b.citizen_id);
        o.opt("SHChieu", &b.passport);
        o.opt("DCTDTu", &b.email);
        o.opt("HVTNMHang", &b.contact_name);
        o.opt("STKNHang", &b.bank_account);
        o.opt("TNHang", &b.bank_name);
        write_extra(o, &b.extra);
        o.end("NMua");
    }
    o.start("DSHHDVu");
    for l in &inv.lines {
        o.start("HHDVu");
        o.el("TChat", &l.kind.code().to_string());
        if let Some(n) = l.number {
            o.el("STT", &n.to_string());
        }
        o.opt("MHHDVu", &l.code);
        o.el("THHDVu", &l.name);
        o.opt("DVTinh", &l.unit);
        if let Some(q) = l.quantity {
            o.el("SLuong", &q.to_string());
        }
        if let Some(p) = l.unit_price {
            o.el("DGia", &p.to_string());
        }
        if let Some(r) = l.discount_rate {
            o.el("TLCKhau", &r.to_string());
        }
        if let Some(d) = l.discount {
            o.el("STCKhau", &d.to_string());
        }
        if let Some(a) = l.amount {
            o.el("ThTien", &a.to_string());
        }
        if let Some(r) = &l.vat_rate {
            o.el("TSuat", &r.to_xml(v));
        }
        write_extra(o, &l.extra);
        o.end("HHDVu");
    }
    o.end("DSHHDVu");
    let t = &inv.totals;
    o.start("TToan");
    if !t.rates.is_empty() {
        o.start("THTTLTSuat");
        for r in &t.rates {
            o.start("LTSuat");
            o.el("TSuat", &r.rate.to_xml(v));
            o.el("ThTien", &r.base.to_string());
            o.el("TThue", &r.tax.to_string());
            o.end("LTSuat");
        }
        o.end("THTTLTSuat");
    }
    o.el("TgTCThue", &t.before_tax.to_string());
    o.el("TgTThue", &t.tax.to_string());
    if !t.fees.is_empty() {
        o.start("DSLPhi");
        for f in &t.fees {
            o.start("LPhi");
            o.el("TLPhi", &f.name);
            o.el("TPhi", &f.amount.to_string());
            o.end("LPhi");
        }
        o.end("DSLPhi");
    }
    if let Some(d) = t.trade_discount {
        o.el("TTCKTMai", &d.to_string());
    }
    o.el("TgTTTBSo", &t.total.to_string());
    o.el("TgTTTBChu", &t.total_in_words);
    write_extra(o, &t.extra);
    o.end("TToan");
    write_extra(o, &inv.content_extra);
    o.end("NDHDon");
    write_extra(o, &inv.data_extra);
    o.end("DLHDon");
    o.opt("DLQRCode", &inv.qr_code);
    if let Some(code) = &inv.authority_code {
        match &inv.authority_code_id {
            Some(id) => o.start_with("MCCQT", &[("Id", id)]),
            None => o.start("MCCQT"),
        }
        o.text(code);
        o.end("MCCQT");
    }
    o.start("DSCKS");
    o.empty("NBan");
    o.end("DSCKS");
    o.end("HDon");
}

// ---------------------------------------------------------------- reader

struct Ctx<'d> {
    doc: &'d Document,
}

impl Ctx<'_> {
    fn opt(&self, parent: NodeId, name: &str) -> Option<String> {
        self.doc.child(parent, name).map(|c| self.doc.text(c))
    }
    fn req(&self, parent: NodeId, name: &str, path: &str) -> Result<String, ReadError> {
        self.opt(parent, name)
            .ok_or_else(|| ReadError::Missing(format!("{path}/{name}")))
    }
    fn node(&self, parent: NodeId, name: &str, path: &str) -> Result<NodeId, ReadError> {
        self.doc
            .child(parent, name)
            .ok_or_else(|| ReadError::Missing(format!("{path}/{name}")))
    }
    fn parse<T>(
        &self,
        parent: NodeId,
        name: &str,
        path: &str,
        f: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, ReadError> {
        match self.opt(parent, name) {
            None => Ok(None),
            Some(s) => f(s.trim()).map(Some).ok_or_else(|| ReadError::Invalid {
                path: format!("{path}/{name}"),
                value: s,
            }),
        }
    }
    fn amount(&self, parent: NodeId, name: &str, path: &str) -> Result<Option<i64>, ReadError> {
        self.parse(parent, name, path, |s| parse_amount(s).ok())
    }
    fn req_amount(&self, parent: NodeId, name: &str, path: &str) -> Result<i64, ReadError> {
        self.amount(parent, name, path)?
            .ok_or_else(|| ReadError::Missing(format!("{path}/{name}")))
    }
    fn extra(&self, parent: NodeId) -> Vec<ExtraField> {
        let Some(tt) = self.doc.child(parent, "TTKhac") else {
            return Vec::new();
        };
        self.doc
            .children_named(tt, "TTin")
            .map(|t| ExtraField {
                name: self.opt(t, "TTruong").unwrap_or_default(),
                kind: self.opt(t, "KDLieu").unwrap_or_default(),
                value: self.opt(t, "DLieu"),
            })
            .collect()
    }
}

/// Read an invoice document whose root is `HDon`.
pub fn read_invoice(xml: &str) -> Result<Invoice, ReadError> {
    if xml.len() > MAX_DOCUMENT_BYTES {
        return Err(ReadError::Invalid {
            path: "HDon".into(),
            value: format!("{} bytes", xml.len()),
        });
    }
    let doc = Document::parse(xml)?;
    if doc.element(doc.root).local() != "HDon" {
        return Err(ReadError::Missing("HDon".into()));
    }
    read_invoice_at(&doc, doc.root)
}

/// Read the `HDon` element `hdon` of a parsed document.
pub fn read_invoice_at(doc: &Document, hdon: NodeId) -> Result<Invoice, ReadError> {
    let c = Ctx { doc };
    let p = "HDon";
    let dl = c.node(hdon, "DLHDon", p)?;
    let data_id = doc.element(dl).attr("Id").unwrap_or_default().to_owned();
    let p = "HDon/DLHDon";
    let tc = c.node(dl, "TTChung", p)?;
    let pt = "HDon/DLHDon/TTChung";
    let pban = c.req(tc, "PBan", pt)?;
    let version = FormatVersion::parse(&pban).map_err(|_| ReadError::Invalid {
        path: format!("{pt}/PBan"),
        value: pban.clone(),
    })?;
    let form = c
        .parse(tc, "KHMSHDon", pt, |s| {
            s.parse::<u8>().ok().filter(|v| *v <= 9)
        })?
        .ok_or_else(|| ReadError::Missing(format!("{pt}/KHMSHDon")))?;
    let number = c
        .parse(tc, "SHDon", pt, |s| {
            (s.len() <= 8 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u32>().ok())
                .flatten()
        })?
        .ok_or_else(|| ReadError::Missing(format!("{pt}/SHDon")))?;
    let issue_date = c
        .parse(tc, "NLap", pt, |s| Date::parse(s).ok())?
        .ok_or_else(|| ReadError::Missing(format!("{pt}/NLap")))?;
    let related = match doc.child(tc, "TTHDLQuan") {
        None => None,
        Some(r) => {
            let pr = "HDon/DLHDon/TTChung/TTHDLQuan";
            Some(RelatedInvoice {
                relation: c.parse(r, "TCHDon", pr, |s| s.parse().ok())?.unwrap_or(0),
                source_kind: c
                    .parse(r, "LHDCLQuan", pr, |s| s.parse().ok())?
                    .unwrap_or(0),
                form: c.opt(r, "KHMSHDCLQuan").unwrap_or_default(),
                symbol: c.opt(r, "KHHDCLQuan").unwrap_or_default(),
                number: c.opt(r, "SHDCLQuan").unwrap_or_default(),
                date: c
                    .parse(r, "NLHDCLQuan", pr, |s| Date::parse(s).ok())?
                    .ok_or_else(|| ReadError::Missing(format!("{pr}/NLHDCLQuan")))?,
                note: c.opt(r, "GChu"),
            })
        }
    };
    let nd = c.node(dl, "NDHDon", p)?;
    let pn = "HDon/DLHDon/NDHDon";
    let nb = c.node(nd, "NBan", pn)?;
    let seller = Seller {
        name: c.opt(nb, "Ten").unwrap_or_default(),
        tax_code: c.opt(nb, "MST").unwrap_or_default(),
        address: c.opt(nb, "DChi").unwrap_or_default(),
        store_code: c.opt(nb, "MCHang"),
        store_name: c.opt(nb, "TCHang"),
        phone: c.opt(nb, "SDThoai"),
        email: c.opt(nb, "DCTDTu"),
        bank_account: c.opt(nb, "STKNHang"),
        bank_name: c.opt(nb, "TNHang"),
        fax: c.opt(nb, "Fax"),
        website: c.opt(nb, "Website"),
        extra: c.extra(nb),
    };
    let buyer = doc.child(nd, "NMua").map(|nm| Buyer {
        name: c.opt(nm, "Ten"),
        tax_code: c.opt(nm, "MST"),
        budget_unit_code: c.opt(nm, "MDVQHNSach"),
        address: c.opt(nm, "DChi"),
        customer_code: c.opt(nm, "MKHang"),
        phone: c.opt(nm, "SDThoai"),
        citizen_id: c.opt(nm, "CCCDan"),
        passport: c.opt(nm, "SHChieu"),
        email: c.opt(nm, "DCTDTu"),
        contact_name: c.opt(nm, "HVTNMHang"),
        bank_account: c.opt(nm, "STKNHang"),
        bank_name: c.opt(nm, "TNHang"),
        extra: c.extra(nm),
    });
    let mut lines = Vec::new();
    if let Some(ds) = doc.child(nd, "DSHHDVu") {
        let pl = "HDon/DLHDon/NDHDon/DSHHDVu/HHDVu";
        for h in doc.children_named(ds, "HHDVu") {
            let kind = c
                .parse(h, "TChat", pl, |s| {
                    s.parse::<u8>().ok().and_then(ItemKind::from_code)
                })?
                .ok_or_else(|| ReadError::Missing(format!("{pl}/TChat")))?;
            lines.push(Line {
                kind,
                number: c.parse(h, "STT", pl, |s| s.parse().ok())?,
                code: c.opt(h, "MHHDVu"),
                name: c.opt(h, "THHDVu").unwrap_or_default(),
                unit: c.opt(h, "DVTinh"),
                quantity: c.parse(h, "SLuong", pl, |s| Quantity::parse(s).ok())?,
                unit_price: c.amount(h, "DGia", pl)?,
                discount_rate: c.parse(h, "TLCKhau", pl, |s| Percent4::parse(s).ok())?,
                discount: c.amount(h, "STCKhau", pl)?,
                amount: c.amount(h, "ThTien", pl)?,
                vat_rate: c.opt(h, "TSuat").map(|s| VatRate::parse(&s)),
                extra: c.extra(h),
            });
        }
    }
    let tt = c.node(nd, "TToan", pn)?;
    let ptt = "HDon/DLHDon/NDHDon/TToan";
    let mut rates = Vec::new();
    if let Some(th) = doc.child(tt, "THTTLTSuat") {
        let pr = "HDon/DLHDon/NDHDon/TToan/THTTLTSuat/LTSuat";
        for l in doc.children_named(th, "LTSuat") {
            rates.push(RateTotal {
                rate: VatRate::parse(&c.req(l, "TSuat", pr)?),
                base: c.amount(l, "ThTien", pr)?.unwrap_or(0),
                tax: c.amount(l, "TThue", pr)?.unwrap_or(0),
            });
        }
    }
    let mut fees = Vec::new();
    if let Some(dsl) = doc.child(tt, "DSLPhi") {
        let pf = "HDon/DLHDon/NDHDon/TToan/DSLPhi/LPhi";
        for l in doc.children_named(dsl, "LPhi") {
            fees.push(Fee {
                name: c.opt(l, "TLPhi").unwrap_or_default(),
                amount: c.amount(l, "TPhi", pf)?.unwrap_or(0),
            });
        }
    }
    let totals = Totals {
        rates,
        before_tax: c.amount(tt, "TgTCThue", ptt)?.unwrap_or(0),
        tax: c.amount(tt, "TgTThue", ptt)?.unwrap_or(0),
        fees,
        trade_discount: c.amount(tt, "TTCKTMai", ptt)?,
        total: c.req_amount(tt, "TgTTTBSo", ptt)?,
        total_in_words: c.opt(tt, "TgTTTBChu").unwrap_or_default(),
        extra: c.extra(tt),
    };
    let mccqt = doc.child(hdon, "MCCQT");
    Ok(Invoice {
        version,
        data_id,
        title: c.opt(tc, "THDon").unwrap_or_default(),
        form,
        symbol: c.opt(tc, "KHHDon").unwrap_or_default(),
        number,
        record_code: c.opt(tc, "MHSo"),
        issue_date,
        financial_leasing: c.parse(tc, "HDCTTChinh", pt, |s| match s {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        })?,
        currency: c.opt(tc, "DVTTe"),
        exchange_rate: c.parse(tc, "TGia", pt, |s| parse_fixed(s, 2))?,
        payment_method: c.opt(tc, "HTTToan"),
        provider_tax_code: c.opt(tc, "MSTTCGP"),
        related,
        header_extra: c.extra(tc),
        seller,
        buyer,
        lines,
        totals,
        content_extra: c.extra(nd),
        data_extra: c.extra(dl),
        qr_code: c.opt(hdon, "DLQRCode"),
        authority_code: mccqt.map(|m| doc.text(m)),
        authority_code_id: mccqt.and_then(|m| doc.element(m).attr("Id").map(str::to_owned)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample_invoice() -> Invoice {
        let mut inv = Invoice {
            version: FormatVersion::V2_0_1,
            data_id: "DLHDon-1".into(),
            title: "Hóa đơn giá trị gia tăng khởi tạo từ máy tính tiền".into(),
            form: 1,
            symbol: "C25MAA".into(),
            number: 42,
            issue_date: Date::new(2025, 7, 1).unwrap(),
            seller: Seller {
                name: "Hộ kinh doanh Chợ Hạ Long <1> & Co".into(),
                tax_code: "0106324653".into(),
                address: "Phường Bạch Đằng, Hạ Long, Quảng Ninh".into(),
                ..Seller::default()
            },
            lines: vec![
                Line::goods(
                    "Mực một nắng",
                    "kg",
                    Quantity(1500),
                    650_000,
                    VatRate::Eight,
                ),
                Line::goods("Chả mực", "kg", Quantity::units(2), 380_000, VatRate::Eight),
            ],
            authority_code: Some("M1-25-ABCDE-00000000042".into()),
            ..Invoice::default()
        };
        inv.recompute_totals().unwrap();
        inv
    }

    #[test]
    fn write_read_round_trip() {
        let inv = sample_invoice();
        let xml = write_invoice(&inv);
        assert!(xml.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><HDon><DLHDon Id=\"DLHDon-1\">"
        ));
        assert!(xml.contains("<THDon>"));
        assert!(xml.contains("&lt;1&gt; &amp; Co"));
        assert!(xml.ends_with("<DSCKS><NBan/></DSCKS></HDon>"));
        let back = read_invoice(&xml).unwrap();
        assert_eq!(back, inv);
    }

    #[test]
    fn reader_errors() {
        assert!(matches!(read_invoice("<a/>"), Err(ReadError::Missing(_))));
        assert!(matches!(read_invoice("<HDon>"), Err(ReadError::Xml(_))));
        let xml = write_invoice(&sample_invoice()).replace("<SHDon>42<", "<SHDon>4x2<");
        assert!(matches!(read_invoice(&xml), Err(ReadError::Invalid { .. })));
    }
}
