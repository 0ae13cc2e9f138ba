//! Business validation. Every broken rule is reported (never only the first), each with a
//! stable code, the element path, and messages in Vietnamese and English.

use std::collections::BTreeMap;
use std::fmt;

use crate::model::*;
use crate::mtt::MttCode;
use crate::taxcode::{TaxCodeError, validate_tax_code};
use crate::words::{WordsStyle, amount_in_words, amount_in_words_with};

/// Rule broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// `KHMSHDon` not 1–6.
    FormNumber,
    /// `KHHDon` not `[CK]YY[TDLMNBGHX][A-Z0-9]{2}`.
    SymbolFormat,
    /// Symbol year differs from the issue year.
    SymbolYear,
    /// `SHDon` not 1..=99 999 999.
    NumberRange,
    /// Duplicate number within symbol and year.
    NumberDuplicate,
    /// Gap in the numbering within symbol and year.
    NumberGap,
    /// Higher number issued on an earlier date.
    NumberOrder,
    /// A required element is empty or missing.
    Required,
    /// Tax code form or check digit.
    TaxCode,
    /// `TSuat` outside the allowed list.
    VatRateNotAllowed,
    /// Goods line of a VAT invoice without `TSuat`.
    VatRateMissing,
    /// `ThTien` ≠ round(quantity × price) − discount.
    LineAmount,
    /// Per-rate totals differ from the lines.
    RateTotals,
    /// `TgTCThue`/`TgTThue` differ from the per-rate totals.
    Totals,
    /// `TgTTTBSo` ≠ `TgTCThue` + `TgTThue` + fees.
    GrandTotal,
    /// `TgTTTBChu` does not spell `TgTTTBSo`.
    TotalInWords,
    /// MTT invoice without a valid MTT code, or code inconsistent with the invoice.
    MttCode,
    /// Element not in the MTT format (1510 moved `DVTTe`, `TGia`, `HTTToan`, `MSTTCGP` out).
    MttElement,
    /// Coded-invoice `MCCQT` longer than 34.
    AuthorityCode,
    /// Element of a newer `PBan` used.
    VersionFeature,
    /// Issue date after today.
    FutureDate,
}

impl Rule {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Rule::FormNumber => "EINV-001",
            Rule::SymbolFormat => "EINV-002",
            Rule::SymbolYear => "EINV-003",
            Rule::NumberRange => "EINV-004",
            Rule::NumberDuplicate => "EINV-005",
            Rule::NumberGap => "EINV-006",
            Rule::NumberOrder => "EINV-007",
            Rule::Required => "EINV-010",
            Rule::TaxCode => "EINV-011",
            Rule::VatRateNotAllowed => "EINV-020",
            Rule::VatRateMissing => "EINV-021",
            Rule::LineAmount => "EINV-022",
            Rule::RateTotals => "EINV-023",
            Rule::Totals => "EINV-024",
            Rule::GrandTotal => "EINV-025",
            Rule::TotalInWords => "EINV-026",
            Rule::MttCode => "EINV-030",
            Rule::MttElement => "EINV-031",
            Rule::AuthorityCode => "EINV-032",
            Rule::VersionFeature => "EINV-040",
            Rule::FutureDate => "EINV-041",
        }
    }
}

/// Severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The invoice must not be issued/sent as is.
    Error,
    /// Accepted in practice but not per the format.
    Warning,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Which rule.
    pub rule: Rule,
    /// Severity.
    pub severity: Severity,
    /// Element path, e.g. `HDon/DLHDon/NDHDon/DSHHDVu/HHDVu[2]/ThTien`.
    pub path: String,
    /// Message in Vietnamese.
    pub message_vi: String,
    /// Message in English.
    pub message_en: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.rule.code(), self.path, self.message_en)
    }
}

/// Context of a validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Context {
    /// Today's date (local), to refuse future issue dates; `None` = not checked.
    pub today: Option<Date>,
}

struct Out(Vec<Violation>);

impl Out {
    fn push(
        &mut self,
        rule: Rule,
        path: impl Into<String>,
        vi: impl Into<String>,
        en: impl Into<String>,
    ) {
        self.push_sev(rule, Severity::Error, path, vi, en);
    }
    fn push_sev(
        &mut self,
        rule: Rule,
        severity: Severity,
        path: impl Into<String>,
        vi: impl Into<String>,
        en: impl Into<String>,
    ) {
        self.0.push(Violation {
            rule,
            severity,
            path: path.into(),
            message_vi: vi.into(),
            message_en: en.into(),
        });
    }
    fn required(&mut self, path: &str, value: &str) {
        if value.trim().is_empty() {
            self.push(
                Rule::Required,
                path,
                format!("Thiếu thông tin bắt buộc {path}"),
                format!("Required element {path} is missing or empty"),
            );
        }
    }
    fn tax_code(&mut self, path: &str, value: &str) {
        match validate_tax_code(value.trim()) {
            Ok(_) => {}
            Err(TaxCodeError::Format) => self.push(
                Rule::TaxCode,
                path,
                format!("Mã số thuế {value:?} sai định dạng (10, 12 hoặc 13 chữ số)"),
                format!("Tax code {value:?} is not 10, 12 or 13 digits"),
            ),
            Err(TaxCodeError::CheckDigit) => self.push(
                Rule::TaxCode,
                path,
                format!("Mã số thuế {value:?} sai chữ số kiểm tra"),
                format!("Tax code {value:?} has a wrong check digit"),
            ),
        }
    }
}

const P: &str = "HDon/DLHDon";

fn words_match(stated: &str, total: i64) -> bool {
    let norm = |s: &str| {
        let s = s.trim().trim_end_matches('.').trim();
        let s = s.strip_suffix("chẵn").unwrap_or(s).trim();
        s.to_lowercase()
    };
    let stated = norm(stated);
    let bon = WordsStyle {
        four_as_tu: false,
        ..WordsStyle::default()
    };
    [
        amount_in_words(total),
        amount_in_words_with(total, &bon),
        amount_in_words_with(
            total,
            &WordsStyle {
                zero_tens_le: true,
                ..WordsStyle::default()
            },
        ),
        amount_in_words_with(
            total,
            &WordsStyle {
                zero_tens_le: true,
                ..bon
            },
        ),
    ]
    .iter()
    .any(|w| norm(w) == stated || norm(&w.replace("nghìn", "ngàn")) == stated)
}

/// Validate one invoice; returns every violation found (empty = valid).
pub fn validate(inv: &Invoice, ctx: &Context) -> Vec<Violation> {
    let mut o = Out(Vec::new());
    let tc = format!("{P}/TTChung");
    // form, symbol, number, date
    if !(1..=6).contains(&inv.form) {
        o.push(
            Rule::FormNumber,
            format!("{tc}/KHMSHDon"),
            format!("Ký hiệu mẫu số hóa đơn {} không hợp lệ (1–6)", inv.form),
            format!("Form number {} is not 1-6", inv.form),
        );
    }
    let symbol = Symbol::parse(&inv.symbol);
    match &symbol {
        Err(_) => o.push(
            Rule::SymbolFormat,
            format!("{tc}/KHHDon"),
            format!(
                "Ký hiệu hóa đơn {:?} sai định dạng (ví dụ C25MAA)",
                inv.symbol
            ),
            format!("Invoice symbol {:?} is malformed (e.g. C25MAA)", inv.symbol),
        ),
        Ok(s) => {
            if u16::from(s.year) != inv.issue_date.year() % 100 {
                o.push(
                    Rule::SymbolYear,
                    format!("{tc}/KHHDon"),
                    format!(
                        "Năm trong ký hiệu ({:02}) khác năm lập hóa đơn ({})",
                        s.year,
                        inv.issue_date.year()
                    ),
                    format!(
                        "Symbol year {:02} differs from issue year {}",
                        s.year,
                        inv.issue_date.year()
                    ),
                );
            }
        }
    }
    if inv.number == 0 || inv.number > 99_999_999 {
        o.push(
            Rule::NumberRange,
            format!("{tc}/SHDon"),
            format!("Số hóa đơn {} ngoài khoảng 1–99.999.999", inv.number),
            format!("Invoice number {} outside 1-99,999,999", inv.number),
        );
    }
    if let Some(today) = ctx.today
        && inv.issue_date > today
    {
        o.push(
            Rule::FutureDate,
            format!("{tc}/NLap"),
            format!("Ngày lập {} sau ngày hiện tại {today}", inv.issue_date),
            format!("Issue date {} is after today {today}", inv.issue_date),
        );
    }
    // required
    o.required(&format!("{P}/@Id"), &inv.data_id);
    o.required(&format!("{tc}/THDon"), &inv.title);
    let nb = format!("{P}/NDHDon/NBan");
    o.required(&format!("{nb}/Ten"), &inv.seller.name);
    o.required(&format!("{nb}/DChi"), &inv.seller.address);
    if inv.seller.tax_code.trim().is_empty() {
        o.required(&format!("{nb}/MST"), "");
    } else {
        o.tax_code(&format!("{nb}/MST"), &inv.seller.tax_code);
    }
    if let Some(p) = &inv.provider_tax_code {
        o.tax_code(&format!("{tc}/MSTTCGP"), p);
    }
    let is_mtt = symbol.as_ref().is_ok_and(Symbol::is_cash_register);
    if !is_mtt {
        o.required(
            &format!("{tc}/DVTTe"),
            inv.currency.as_deref().unwrap_or(""),
        );
    }
    if let Some(b) = &inv.buyer {
        let nm = format!("{P}/NDHDon/NMua");
        if let Some(t) = b.tax_code.as_deref().filter(|t| !t.trim().is_empty()) {
            o.tax_code(&format!("{nm}/MST"), t);
            o.required(&format!("{nm}/Ten"), b.name.as_deref().unwrap_or(""));
        }
    }
    if inv.lines.is_empty() {
        o.required(&format!("{P}/NDHDon/DSHHDVu/HHDVu"), "");
    }
    // lines
    for (i, l) in inv.lines.iter().enumerate() {
        let lp = format!("{P}/NDHDon/DSHHDVu/HHDVu[{}]", i + 1);
        o.required(&format!("{lp}/THHDVu"), &l.name);
        match &l.vat_rate {
            Some(r) if !r.is_allowed() => o.push(
                Rule::VatRateNotAllowed,
                format!("{lp}/TSuat"),
                format!(
                    "Thuế suất {:?} không thuộc danh mục cho phép",
                    r.to_xml(inv.version)
                ),
                format!(
                    "VAT rate {:?} is not an allowed value",
                    r.to_xml(inv.version)
                ),
            ),
            None if inv.form == 1 && matches!(l.kind, ItemKind::Goods | ItemKind::Special) => o
                .push(
                    Rule::VatRateMissing,
                    format!("{lp}/TSuat"),
                    "Dòng hàng hóa của hóa đơn GTGT thiếu thuế suất",
                    "Goods line of a VAT invoice has no VAT rate",
                ),
            _ => {}
        }
        if let (Some(q), Some(p)) = (l.quantity, l.unit_price)
            && let Ok(expected) = line_amount(q, p, l.discount.unwrap_or(0))
            && l.amount != Some(expected)
        {
            o.push(
                Rule::LineAmount,
                format!("{lp}/ThTien"),
                format!(
                    "Thành tiền {} khác số lượng × đơn giá − chiết khấu = {expected}",
                    l.amount.map_or("(trống)".into(), |a| a.to_string())
                ),
                format!(
                    "Line amount {} differs from quantity × price − discount = {expected}",
                    l.amount.map_or("(none)".into(), |a| a.to_string())
                ),
            );
        }
        if l.kind == ItemKind::Special && inv.version != FormatVersion::V2_1_0 {
            o.push(
                Rule::VersionFeature,
                format!("{lp}/TChat"),
                "Tính chất 5 (hàng hóa đặc trưng) chỉ có từ phiên bản 2.1.0",
                "Item kind 5 (special goods) needs PBan 2.1.0",
            );
        }
    }
    for (i, r) in inv.totals.rates.iter().enumerate() {
        if !r.rate.is_allowed() {
            o.push(
                Rule::VatRateNotAllowed,
                format!("{P}/NDHDon/TToan/THTTLTSuat/LTSuat[{}]/TSuat", i + 1),
                format!(
                    "Thuế suất {:?} không thuộc danh mục cho phép",
                    r.rate.to_xml(inv.version)
                ),
                format!(
                    "VAT rate {:?} is not an allowed value",
                    r.rate.to_xml(inv.version)
                ),
            );
        }
    }
    // totals
    let tt = format!("{P}/NDHDon/TToan");
    let t = &inv.totals;
    if let Ok(expected) = compute_totals(&inv.lines, t.fees.clone()) {
        let stated: BTreeMap<String, (i64, i64)> = t
            .rates
            .iter()
            .map(|r| (r.rate.to_xml(inv.version), (r.base, r.tax)))
            .collect();
        let computed: BTreeMap<String, (i64, i64)> = expected
            .rates
            .iter()
            .map(|r| (r.rate.to_xml(inv.version), (r.base, r.tax)))
            .collect();
        if stated != computed && !(t.rates.is_empty() && inv.form != 1) {
            for (rate, (b, x)) in &computed {
                let s = stated.get(rate).copied();
                if s != Some((*b, *x)) {
                    let (sb, sx) = s.map_or(
                        ("(thiếu)".to_owned(), "(thiếu)".to_owned()),
                        |(a, c)| (a.to_string(), c.to_string()),
                    );
                    o.push(
                        Rule::RateTotals,
                        format!("{tt}/THTTLTSuat/LTSuat[TSuat={rate}]"),
                        format!(
                            "Tổng theo thuế suất {rate}: ghi {sb}/{sx}, tính từ các dòng {b}/{x}"
                        ),
                        format!(
                            "Totals for rate {rate}: stated {}/{}, from lines {b}/{x}",
                            sb.replace("(thiếu)", "(missing)"),
                            sx.replace("(thiếu)", "(missing)")
                        ),
                    );
                }
            }
            for rate in stated.keys().filter(|k| !computed.contains_key(*k)) {
                o.push(
                    Rule::RateTotals,
                    format!("{tt}/THTTLTSuat/LTSuat[TSuat={rate}]"),
                    format!("Thuế suất {rate} không có dòng hàng nào"),
                    format!("Rate {rate} has no line"),
                );
            }
        }
        if t.before_tax != expected.before_tax {
            o.push(
                Rule::Totals,
                format!("{tt}/TgTCThue"),
                format!(
                    "Tổng tiền chưa thuế {} khác tổng các dòng {}",
                    t.before_tax, expected.before_tax
                ),
                format!(
                    "Total before VAT {} differs from the lines' {}",
                    t.before_tax, expected.before_tax
                ),
            );
        }
        if t.tax != expected.tax {
            o.push(
                Rule::Totals,
                format!("{tt}/TgTThue"),
                format!(
                    "Tổng tiền thuế {} khác tổng thuế theo thuế suất {}",
                    t.tax, expected.tax
                ),
                format!(
                    "Total VAT {} differs from the per-rate VAT {}",
                    t.tax, expected.tax
                ),
            );
        }
    }
    let fees: i128 = t.fees.iter().map(|f| i128::from(f.amount)).sum();
    let sum = i128::from(t.before_tax) + i128::from(t.tax) + fees;
    if i128::from(t.total) != sum {
        o.push(
            Rule::GrandTotal,
            format!("{tt}/TgTTTBSo"),
            format!(
                "Tổng tiền thanh toán {} khác tiền chưa thuế + thuế + phí = {sum}",
                t.total
            ),
            format!(
                "Total {} differs from before-VAT + VAT + fees = {sum}",
                t.total
            ),
        );
    }
    if t.total_in_words.trim().is_empty() {
        o.required(&format!("{tt}/TgTTTBChu"), "");
    } else if !words_match(&t.total_in_words, t.total) {
        o.push(
            Rule::TotalInWords,
            format!("{tt}/TgTTTBChu"),
            format!(
                "Số tiền bằng chữ không khớp {}: \"{}\"",
                t.total,
                amount_in_words(t.total)
            ),
            format!("Total in words does not spell {}", t.total),
        );
    }
    // MTT
    if is_mtt {
        match inv.authority_code.as_deref().map(MttCode::parse) {
            None => o.push(
                Rule::MttCode,
                "HDon/MCCQT",
                "Hóa đơn khởi tạo từ máy tính tiền thiếu mã của cơ quan thuế",
                "Cash-register invoice has no MTT code (MCCQT)",
            ),
            Some(Err(e)) => o.push(
                Rule::MttCode,
                "HDon/MCCQT",
                format!(
                    "Mã MTT {:?} sai định dạng M1-YY-XXXXX-00000000001",
                    inv.authority_code.as_deref().unwrap_or("")
                ),
                format!("MTT code: {e}"),
            ),
            Some(Ok(code)) => {
                if code.form() != inv.form {
                    o.push(
                        Rule::MttCode,
                        "HDon/MCCQT",
                        format!(
                            "Mã MTT có mẫu số {} khác KHMSHDon {}",
                            code.form(),
                            inv.form
                        ),
                        format!(
                            "MTT code form {} differs from KHMSHDon {}",
                            code.form(),
                            inv.form
                        ),
                    );
                }
                if let Ok(s) = &symbol
                    && code.year() != s.year
                {
                    o.push(
                        Rule::MttCode,
                        "HDon/MCCQT",
                        format!(
                            "Năm trong mã MTT ({:02}) khác năm của ký hiệu ({:02})",
                            code.year(),
                            s.year
                        ),
                        format!(
                            "MTT code year {:02} differs from symbol year {:02}",
                            code.year(),
                            s.year
                        ),
                    );
                }
            }
        }
        for (name, present) in [
            ("DVTTe", inv.currency.is_some()),
            ("TGia", inv.exchange_rate.is_some()),
            ("HTTToan", inv.payment_method.is_some()),
            ("MSTTCGP", inv.provider_tax_code.is_some()),
        ] {
            if present {
                o.push_sev(
                    Rule::MttElement,
                    Severity::Warning,
                    format!("{tc}/{name}"),
                    format!("Định dạng hóa đơn MTT không có phần tử {name} (đưa vào TTKhac)"),
                    format!("The MTT format has no {name} element (put it in TTKhac)"),
                );
            }
        }
    } else if let Some(code) = &inv.authority_code
        && code.chars().count() > 34
    {
        o.push(
            Rule::AuthorityCode,
            "HDon/MCCQT",
            "Mã của cơ quan thuế dài quá 34 ký tự",
            "Tax-authority code longer than 34 characters",
        );
    }
    // version features
    if inv.version != FormatVersion::V2_1_0 {
        let mut newer = Vec::new();
        if inv.financial_leasing.is_some() {
            newer.push("TTChung/HDCTTChinh");
        }
        if inv.seller.store_code.is_some() {
            newer.push("NBan/MCHang");
        }
        if inv.seller.store_name.is_some() {
            newer.push("NBan/TCHang");
        }
        if let Some(b) = &inv.buyer {
            if b.budget_unit_code.is_some() {
                newer.push("NMua/MDVQHNSach");
            }
            if b.passport.is_some() {
                newer.push("NMua/SHChieu");
            }
        }
        for n in newer {
            o.push(
                Rule::VersionFeature,
                format!("{P}/{n}"),
                format!("Phần tử {n} chỉ có từ phiên bản 2.1.0"),
                format!("Element {n} needs PBan 2.1.0"),
            );
        }
    }
    o.0
}

/// Numbering rules over a batch (e.g. a day's MTT invoices, or a symbol's whole year):
/// within one seller, form, symbol and year, numbers are unique, without gaps, and a higher
/// number is never issued on an earlier date. `first_expected` gives, per full symbol
/// (`1C25MAA`), the number the batch must start with (e.g. last sent + 1).
pub fn validate_numbering(
    invoices: &[Invoice],
    first_expected: &BTreeMap<String, u32>,
) -> Vec<Violation> {
    let mut o = Out(Vec::new());
    // (seller MST, full symbol, year) -> [(number, date, index in batch)]
    type Key = (String, String, u16);
    let mut groups: BTreeMap<Key, Vec<(u32, Date, usize)>> = BTreeMap::new();
    for (i, inv) in invoices.iter().enumerate() {
        groups
            .entry((
                inv.seller.tax_code.clone(),
                inv.full_symbol(),
                inv.issue_date.year(),
            ))
            .or_default()
            .push((inv.number, inv.issue_date, i));
    }
    for ((_, sym, year), mut v) in groups {
        v.sort();
        let path = |i: usize| format!("[{i}]/HDon/DLHDon/TTChung/SHDon");
        if let Some(&start) = first_expected.get(&sym)
            && v[0].0 != start
        {
            o.push(
                Rule::NumberGap,
                path(v[0].2),
                format!("{sym} năm {year}: số đầu tiên {} thay vì {start}", v[0].0),
                format!("{sym} {year}: first number {} instead of {start}", v[0].0),
            );
        }
        for w in v.windows(2) {
            let (a, b) = (w[0], w[1]);
            if a.0 == b.0 {
                o.push(
                    Rule::NumberDuplicate,
                    path(b.2),
                    format!("{sym} năm {year}: trùng số {}", b.0),
                    format!("{sym} {year}: duplicate number {}", b.0),
                );
            } else if b.0 != a.0 + 1 {
                o.push(
                    Rule::NumberGap,
                    path(b.2),
                    format!("{sym} năm {year}: thiếu số từ {} đến {}", a.0 + 1, b.0 - 1),
                    format!("{sym} {year}: numbers {} to {} missing", a.0 + 1, b.0 - 1),
                );
            }
            if b.1 < a.1 {
                o.push(
                    Rule::NumberOrder,
                    path(b.2),
                    format!(
                        "{sym}: số {} lập ngày {} trước số {} ngày {}",
                        b.0, b.1, a.0, a.1
                    ),
                    format!(
                        "{sym}: number {} dated {} before number {} dated {}",
                        b.0, b.1, a.0, a.1
                    ),
                );
            }
        }
    }
    o.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Invoice {
        let mut inv = Invoice {
            data_id: "D1".into(),
            title: "Hóa đơn giá trị gia tăng khởi tạo từ máy tính tiền".into(),
            form: 1,
            symbol: "C25MAA".into(),
            number: 5,
            issue_date: Date::new(2025, 7, 1).unwrap(),
            seller: Seller {
                name: "Chợ Hạ Long".into(),
                tax_code: "0106324653".into(),
                address: "Hạ Long".into(),
                ..Seller::default()
            },
            lines: vec![
                Line::goods("Mực", "kg", Quantity(1500), 650_000, VatRate::Eight),
                Line::goods("Sách", "quyển", Quantity::units(1), 20_000, VatRate::Five),
            ],
            authority_code: Some("M1-25-ABCDE-00000000005".into()),
            ..Invoice::default()
        };
        inv.recompute_totals().unwrap();
        inv
    }

    #[test]
    fn valid_invoice_has_no_violation() {
        let v = validate(
            &good(),
            &Context {
                today: Some(Date::new(2025, 7, 1).unwrap()),
            },
        );
        assert!(v.is_empty(), "{v:#?}");
    }

    #[test]
    fn reports_every_broken_rule() {
        let mut inv = good();
        inv.form = 9;
        inv.symbol = "C24MA".into();
        inv.number = 0;
        inv.seller.tax_code = "0106324654".into();
        inv.seller.name.clear();
        inv.lines[0].amount = Some(1);
        inv.lines[1].vat_rate = Some(VatRate::parse("7%"));
        inv.totals.total += 1;
        inv.totals.total_in_words = "Một đồng".into();
        inv.authority_code = Some("M1-25-ABCDE-0000000005".into());
        inv.currency = Some("VND".into());
        inv.buyer = Some(Buyer {
            tax_code: Some("123".into()),
            passport: Some("B1234567".into()),
            ..Buyer::default()
        });
        let v = validate(
            &inv,
            &Context {
                today: Some(Date::new(2025, 6, 30).unwrap()),
            },
        );
        let rules: Vec<Rule> = v.iter().map(|x| x.rule).collect();
        for r in [
            Rule::FormNumber,
            Rule::SymbolFormat,
            Rule::NumberRange,
            Rule::TaxCode,
            Rule::Required,
            Rule::LineAmount,
            Rule::VatRateNotAllowed,
            Rule::RateTotals,
            Rule::Totals,
            Rule::GrandTotal,
            Rule::TotalInWords,
            Rule::VersionFeature,
            Rule::FutureDate,
        ] {
            assert!(rules.contains(&r), "{r:?} missing in {v:#?}");
        }
        // symbol unparsable: MTT checks not applicable, but the warning about DVTTe is not raised
        assert!(
            v.iter()
                .all(|x| !x.message_vi.is_empty() && !x.message_en.is_empty())
        );
        assert_eq!(
            v.iter().filter(|x| x.rule == Rule::TaxCode).count(),
            2,
            "seller and buyer"
        );
    }

    #[test]
    fn mtt_rules() {
        let mut inv = good();
        inv.authority_code = Some("M2-24-ABCDE-00000000005".into());
        inv.payment_method = Some("TM".into());
        let v = validate(&inv, &Context::default());
        assert_eq!(
            v.iter().filter(|x| x.rule == Rule::MttCode).count(),
            2,
            "{v:#?}"
        );
        assert!(
            v.iter()
                .any(|x| x.rule == Rule::MttElement && x.severity == Severity::Warning)
        );
        inv.authority_code = None;
        assert!(
            validate(&inv, &Context::default())
                .iter()
                .any(|x| x.rule == Rule::MttCode)
        );
        inv.symbol = "C24MAA".into();
        assert!(
            validate(&inv, &Context::default())
                .iter()
                .any(|x| x.rule == Rule::SymbolYear)
        );
    }

    #[test]
    fn words_variants_accepted() {
        assert!(words_match(
            "Một triệu hai trăm tám mươi bốn nghìn đồng.",
            1_284_000
        ));
        assert!(words_match(
            "Một triệu hai trăm tám mươi tư nghìn đồng chẵn",
            1_284_000
        ));
        assert!(words_match("Một trăm lẻ năm ngàn đồng", 105_000));
        assert!(!words_match("Một trăm đồng", 105_000));
    }

    #[test]
    fn numbering() {
        let mk = |n: u32, d: u8| Invoice {
            number: n,
            issue_date: Date::new(2025, 7, d).unwrap(),
            ..good()
        };
        let batch = vec![mk(5, 1), mk(6, 1), mk(6, 1), mk(9, 2), mk(10, 1)];
        let mut first = BTreeMap::new();
        first.insert("1C25MAA".to_owned(), 4);
        let v = validate_numbering(&batch, &first);
        let rules: Vec<Rule> = v.iter().map(|x| x.rule).collect();
        assert_eq!(
            rules,
            vec![
                Rule::NumberGap,
                Rule::NumberDuplicate,
                Rule::NumberGap,
                Rule::NumberOrder
            ],
            "{v:#?}"
        );
        assert!(validate_numbering(&[mk(1, 1), mk(2, 1)], &BTreeMap::new()).is_empty());
    }
}
