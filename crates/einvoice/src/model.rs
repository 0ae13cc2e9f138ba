//! Invoice model (`HDon`), amounts and the totals rule.
//!
//! Money is integer đồng (`i64`). Quantities are fixed-point thousandths ([`Quantity`]),
//! discount percentages are ten-thousandths of a percent ([`Percent4`]) and VAT rates are
//! basis points (hundredths of a percent).
//!
//! Fields that validation must be able to judge (form number, symbol, tax codes, VAT rate,
//! authority code) hold what the document says, even when it is wrong: see
//! [`crate::validate`].

use std::fmt;

use crate::words::amount_in_words;

/// Errors building or computing a model value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelError {
    /// A value is not in the expected format.
    Format(&'static str, String),
    /// An amount computation overflowed `i64`.
    Overflow,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::Format(what, v) => write!(f, "invalid {what}: {v:?}"),
            ModelError::Overflow => f.write_str("amount overflow"),
        }
    }
}

impl std::error::Error for ModelError {}

/// A calendar date (`YYYY-MM-DD`, proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

fn parse_digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl Date {
    /// A valid date with year 1..=9999.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Date, ModelError> {
        if (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
        {
            Ok(Date { year, month, day })
        } else {
            Err(ModelError::Format(
                "date",
                format!("{year:04}-{month:02}-{day:02}"),
            ))
        }
    }
    /// Year.
    pub fn year(&self) -> u16 {
        self.year
    }
    /// Month 1..=12.
    pub fn month(&self) -> u8 {
        self.month
    }
    /// Day of month.
    pub fn day(&self) -> u8 {
        self.day
    }
    /// Parse `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Date, ModelError> {
        let err = || ModelError::Format("date", s.to_owned());
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(err());
        }
        let y = parse_digits(&s[0..4]).ok_or_else(err)?;
        let m = parse_digits(&s[5..7]).ok_or_else(err)?;
        let d = parse_digits(&s[8..10]).ok_or_else(err)?;
        Date::new(y as u16, m as u8, d as u8).map_err(|_| err())
    }
}

impl Default for Date {
    fn default() -> Self {
        Date {
            year: 2025,
            month: 1,
            day: 1,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Local date and time without offset (`yyyy-MM-ddTHH:mm:ss`, as `SigningTime` is written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LocalDateTime {
    /// Date part.
    pub date: Date,
    /// Hour 0..=23.
    pub hour: u8,
    /// Minute 0..=59.
    pub minute: u8,
    /// Second 0..=59.
    pub second: u8,
}

impl LocalDateTime {
    /// A valid date-time.
    pub fn new(date: Date, hour: u8, minute: u8, second: u8) -> Result<Self, ModelError> {
        if hour < 24 && minute < 60 && second < 60 {
            Ok(LocalDateTime {
                date,
                hour,
                minute,
                second,
            })
        } else {
            Err(ModelError::Format(
                "time",
                format!("{hour:02}:{minute:02}:{second:02}"),
            ))
        }
    }
    /// Parse `yyyy-MM-ddTHH:mm:ss` (fractions and an offset, if any, are ignored).
    pub fn parse(s: &str) -> Result<Self, ModelError> {
        let err = || ModelError::Format("date-time", s.to_owned());
        if s.len() < 19 || !s.is_char_boundary(19) || s.as_bytes()[10] != b'T' {
            return Err(err());
        }
        let date = Date::parse(&s[..10])?;
        let t = &s[11..19];
        let tb = t.as_bytes();
        if tb[2] != b':' || tb[5] != b':' {
            return Err(err());
        }
        let h = parse_digits(&t[0..2]).ok_or_else(err)?;
        let m = parse_digits(&t[3..5]).ok_or_else(err)?;
        let sec = parse_digits(&t[6..8]).ok_or_else(err)?;
        LocalDateTime::new(date, h as u8, m as u8, sec as u8).map_err(|_| err())
    }
}

impl fmt::Display for LocalDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}T{:02}:{:02}:{:02}",
            self.date, self.hour, self.minute, self.second
        )
    }
}

/// XML format version `PBan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FormatVersion {
    /// `2.0.0` (Decision 1450/QĐ-TCT).
    V2_0_0,
    /// `2.0.1` (Decision 1510/QĐ-TCT: MTT formats and message 206).
    #[default]
    V2_0_1,
    /// `2.1.0` (2025 update for Decree 70/2025).
    V2_1_0,
}

impl FormatVersion {
    /// The `PBan` text.
    pub fn as_str(self) -> &'static str {
        match self {
            FormatVersion::V2_0_0 => "2.0.0",
            FormatVersion::V2_0_1 => "2.0.1",
            FormatVersion::V2_1_0 => "2.1.0",
        }
    }
    /// Parse a `PBan` text.
    pub fn parse(s: &str) -> Result<Self, ModelError> {
        match s.trim() {
            "2.0.0" => Ok(FormatVersion::V2_0_0),
            "2.0.1" => Ok(FormatVersion::V2_0_1),
            "2.1.0" => Ok(FormatVersion::V2_1_0),
            _ => Err(ModelError::Format("PBan", s.to_owned())),
        }
    }
}

/// Parsed invoice symbol `KHHDon` (6 characters, e.g. `C25MAA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Symbol {
    /// `true` for `C` (coded by the tax authority), `false` for `K`.
    pub coded: bool,
    /// Last two digits of the year.
    pub year: u8,
    /// Type letter (char 4): `T`, `D`, `L`, `M` (cash register), `N`, `B`, `G`, `H`, `X`.
    pub kind: char,
    /// The seller's two characters (`A-Z`, `0-9`).
    pub suffix: [char; 2],
}

/// Type letters accepted in symbol position 4.
pub const SYMBOL_KINDS: &str = "TDLMNBGHX";

impl Symbol {
    /// Parse a 6-character symbol. `F` (reported for 2026) is not accepted: unverified.
    pub fn parse(s: &str) -> Result<Symbol, ModelError> {
        let err = || ModelError::Format("KHHDon", s.to_owned());
        let c: Vec<char> = s.chars().collect();
        if c.len() != 6 {
            return Err(err());
        }
        let coded = match c[0] {
            'C' => true,
            'K' => false,
            _ => return Err(err()),
        };
        if !c[1].is_ascii_digit() || !c[2].is_ascii_digit() {
            return Err(err());
        }
        let year = (c[1] as u8 - b'0') * 10 + (c[2] as u8 - b'0');
        if !SYMBOL_KINDS.contains(c[3]) {
            return Err(err());
        }
        let ok = |x: char| x.is_ascii_uppercase() || x.is_ascii_digit();
        if !ok(c[4]) || !ok(c[5]) {
            return Err(err());
        }
        Ok(Symbol {
            coded,
            year,
            kind: c[3],
            suffix: [c[4], c[5]],
        })
    }
    /// Cash-register invoice (`M`).
    pub fn is_cash_register(&self) -> bool {
        self.kind == 'M'
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{:02}{}{}{}",
            if self.coded { 'C' } else { 'K' },
            self.year,
            self.kind,
            self.suffix[0],
            self.suffix[1]
        )
    }
}

/// Quantity in thousandths of a unit (`SLuong` `1.5` is `Quantity(1500)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Quantity(pub i64);

impl Quantity {
    /// Whole units.
    pub fn units(n: i64) -> Quantity {
        Quantity(n * 1000)
    }
    /// Parse a decimal with at most 3 significant fraction digits (`"2"`, `"1.25"`, `"3.000"`).
    pub fn parse(s: &str) -> Result<Quantity, ModelError> {
        parse_fixed(s, 3)
            .map(Quantity)
            .ok_or_else(|| ModelError::Format("quantity", s.to_owned()))
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_fixed(self.0, 3))
    }
}

/// A percentage with four decimals, stored ×10⁴ (`TLCKhau` `12.5` is `Percent4(125_000)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Percent4(pub i64);

impl Percent4 {
    /// Parse a decimal with at most 4 significant fraction digits.
    pub fn parse(s: &str) -> Result<Percent4, ModelError> {
        parse_fixed(s, 4)
            .map(Percent4)
            .ok_or_else(|| ModelError::Format("percentage", s.to_owned()))
    }
}

impl fmt::Display for Percent4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_fixed(self.0, 4))
    }
}

/// Parse `[-]digits[.digits]` into an integer scaled by 10^`scale`; extra fraction digits
/// must be zeros.
pub(crate) fn parse_fixed(s: &str, scale: u32) -> Option<i64> {
    let s = s.trim();
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int.is_empty() || int.len() > 19 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || (body.contains('.') && frac.is_empty()) {
        return None;
    }
    let mut v: i128 = int.parse().ok()?;
    for i in 0..scale as usize {
        let d = frac.as_bytes().get(i).map_or(0, |b| b - b'0');
        v = v * 10 + i128::from(d);
    }
    if frac.len() > scale as usize && !frac.as_bytes()[scale as usize..].iter().all(|b| *b == b'0')
    {
        return None;
    }
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

/// Format a scaled integer with no trailing fraction zeros (`1500`, scale 3 → `1.5`).
pub(crate) fn format_fixed(v: i64, scale: u32) -> String {
    let p = 10i128.pow(scale);
    let a = i128::from(v).abs();
    let int = a / p;
    let frac = a % p;
    let sign = if v < 0 { "-" } else { "" };
    if frac == 0 {
        format!("{sign}{int}")
    } else {
        let f = format!("{:0width$}", frac, width = scale as usize);
        format!("{sign}{int}.{}", f.trim_end_matches('0'))
    }
}

/// Parse an amount of đồng: an integer, optionally with a fraction of zeros (`84000.0`).
pub fn parse_amount(s: &str) -> Result<i64, ModelError> {
    parse_fixed(s, 0).ok_or_else(|| ModelError::Format("amount", s.to_owned()))
}

/// VAT rate `TSuat`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VatRate {
    /// `0%`.
    Zero,
    /// `5%`.
    Five,
    /// `8%` (temporary reduction).
    Eight,
    /// `10%`.
    Ten,
    /// `KCT`: not subject to VAT.
    Kct,
    /// `KKKNT`: not declared/paid.
    Kkknt,
    /// `KHAC:AB.CD`: another rate, in basis points (5.26 % = 526), at most 99.99 %.
    Other(u16),
    /// A value outside the allowed list, kept so validation can report it.
    Unknown(String),
}

impl VatRate {
    /// Parse a `TSuat` value; unknown values become [`VatRate::Unknown`].
    pub fn parse(s: &str) -> VatRate {
        match s.trim() {
            "0%" => VatRate::Zero,
            "5%" => VatRate::Five,
            "8%" => VatRate::Eight,
            "10%" => VatRate::Ten,
            "KCT" => VatRate::Kct,
            "KKKNT" => VatRate::Kkknt,
            t => {
                if let Some(rest) = t.strip_prefix("KHAC:") {
                    let num = rest.strip_suffix('%').unwrap_or(rest);
                    let (i, f) = num.split_once('.').unwrap_or((num, ""));
                    if (1..=2).contains(&i.len())
                        && f.len() <= 2
                        && let Some(bp) = parse_fixed(num, 2)
                        && (0..=9999).contains(&bp)
                    {
                        return VatRate::Other(bp as u16);
                    }
                }
                VatRate::Unknown(s.to_owned())
            }
        }
    }
    /// The rate in basis points, `None` for `KCT`/`KKKNT`/unknown (no VAT computed).
    pub fn basis_points(&self) -> Option<u16> {
        match self {
            VatRate::Zero => Some(0),
            VatRate::Five => Some(500),
            VatRate::Eight => Some(800),
            VatRate::Ten => Some(1000),
            VatRate::Other(bp) => Some(*bp),
            VatRate::Kct | VatRate::Kkknt | VatRate::Unknown(_) => None,
        }
    }
    /// `TSuat` text. `KHAC` is written `KHAC:AB.CD%` (11 chars, the 1510 length) for
    /// `PBan` ≥ 2.0.1 and `KHAC:AB.CD` (10 chars) for 2.0.0.
    pub fn to_xml(&self, version: FormatVersion) -> String {
        match self {
            VatRate::Zero => "0%".into(),
            VatRate::Five => "5%".into(),
            VatRate::Eight => "8%".into(),
            VatRate::Ten => "10%".into(),
            VatRate::Kct => "KCT".into(),
            VatRate::Kkknt => "KKKNT".into(),
            VatRate::Other(bp) => {
                let pct = if version == FormatVersion::V2_0_0 {
                    ""
                } else {
                    "%"
                };
                format!("KHAC:{}.{:02}{pct}", bp / 100, bp % 100)
            }
            VatRate::Unknown(s) => s.clone(),
        }
    }
    /// Is this one of the allowed values?
    pub fn is_allowed(&self) -> bool {
        !matches!(self, VatRate::Unknown(_))
    }
}

/// Line kind `TChat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ItemKind {
    /// 1: goods or service.
    #[default]
    Goods,
    /// 2: promotion (free goods; amount not counted in totals).
    Promotion,
    /// 3: trade discount (amount subtracted from its rate's base).
    TradeDiscount,
    /// 4: note/description line (no amount).
    Note,
    /// 5: special goods (2.1.0; counted like goods, needs `TTHHDTrung`).
    Special,
}

impl ItemKind {
    /// The `TChat` digit.
    pub fn code(self) -> u8 {
        match self {
            ItemKind::Goods => 1,
            ItemKind::Promotion => 2,
            ItemKind::TradeDiscount => 3,
            ItemKind::Note => 4,
            ItemKind::Special => 5,
        }
    }
    /// From a `TChat` digit.
    pub fn from_code(c: u8) -> Option<ItemKind> {
        Some(match c {
            1 => ItemKind::Goods,
            2 => ItemKind::Promotion,
            3 => ItemKind::TradeDiscount,
            4 => ItemKind::Note,
            5 => ItemKind::Special,
            _ => return None,
        })
    }
    /// Sign of the line amount in the totals: +1, −1 or 0.
    pub fn total_sign(self) -> i64 {
        match self {
            ItemKind::Goods | ItemKind::Special => 1,
            ItemKind::TradeDiscount => -1,
            ItemKind::Promotion | ItemKind::Note => 0,
        }
    }
}

/// One `TTKhac/TTin` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ExtraField {
    /// `TTruong` field name.
    pub name: String,
    /// `KDLieu` data kind (`string`, `numeric`, `dateTime`, `date`).
    pub kind: String,
    /// `DLieu` value; `None` when the element is absent.
    pub value: Option<String>,
}

impl ExtraField {
    /// A `string` field.
    pub fn string(name: &str, value: &str) -> ExtraField {
        ExtraField {
            name: name.into(),
            kind: "string".into(),
            value: Some(value.into()),
        }
    }
}

/// Related invoice `TTHDLQuan` (replacement or adjustment).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RelatedInvoice {
    /// `TCHDon`: 1 replacement, 2 adjustment.
    pub relation: u8,
    /// `LHDCLQuan`: 1 e-invoice under Decree 123, 2 old coded, 3 Decree 51/04, 4 printed.
    pub source_kind: u8,
    /// `KHMSHDCLQuan` (up to 11 chars).
    pub form: String,
    /// `KHHDCLQuan`.
    pub symbol: String,
    /// `SHDCLQuan`.
    pub number: String,
    /// `NLHDCLQuan`.
    pub date: Date,
    /// `GChu`.
    pub note: Option<String>,
}

/// Seller `NBan`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Seller {
    /// `Ten`.
    pub name: String,
    /// `MST`.
    pub tax_code: String,
    /// `DChi`.
    pub address: String,
    /// `MCHang` store code (2.1.0).
    pub store_code: Option<String>,
    /// `TCHang` store name (2.1.0).
    pub store_name: Option<String>,
    /// `SDThoai`.
    pub phone: Option<String>,
    /// `DCTDTu`.
    pub email: Option<String>,
    /// `STKNHang`.
    pub bank_account: Option<String>,
    /// `TNHang`.
    pub bank_name: Option<String>,
    /// `Fax`.
    pub fax: Option<String>,
    /// `Website`.
    pub website: Option<String>,
    /// `TTKhac`.
    pub extra: Vec<ExtraField>,
}

/// Buyer `NMua` (optional on retail/MTT invoices).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Buyer {
    /// `Ten`.
    pub name: Option<String>,
    /// `MST`.
    pub tax_code: Option<String>,
    /// `MDVQHNSach` budget-unit code (2.1.0).
    pub budget_unit_code: Option<String>,
    /// `DChi`.
    pub address: Option<String>,
    /// `MKHang` customer code.
    pub customer_code: Option<String>,
    /// `SDThoai`.
    pub phone: Option<String>,
    /// `CCCDan` citizen ID.
    pub citizen_id: Option<String>,
    /// `SHChieu` passport (2.1.0).
    pub passport: Option<String>,
    /// `DCTDTu`.
    pub email: Option<String>,
    /// `HVTNMHang` contact person.
    pub contact_name: Option<String>,
    /// `STKNHang`.
    pub bank_account: Option<String>,
    /// `TNHang`.
    pub bank_name: Option<String>,
    /// `TTKhac`.
    pub extra: Vec<ExtraField>,
}

/// One line `HHDVu`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Line {
    /// `TChat`.
    pub kind: ItemKind,
    /// `STT`.
    pub number: Option<u32>,
    /// `MHHDVu` item code.
    pub code: Option<String>,
    /// `THHDVu` name.
    pub name: String,
    /// `DVTinh` unit.
    pub unit: Option<String>,
    /// `SLuong`.
    pub quantity: Option<Quantity>,
    /// `DGia` unit price in đồng.
    pub unit_price: Option<i64>,
    /// `TLCKhau` discount rate.
    pub discount_rate: Option<Percent4>,
    /// `STCKhau` discount amount in đồng.
    pub discount: Option<i64>,
    /// `ThTien` line amount before VAT in đồng.
    pub amount: Option<i64>,
    /// `TSuat`.
    pub vat_rate: Option<VatRate>,
    /// `TTKhac`.
    pub extra: Vec<ExtraField>,
}

impl Line {
    /// A goods line with its amount computed by [`line_amount`] (no discount).
    pub fn goods(
        name: &str,
        unit: &str,
        quantity: Quantity,
        unit_price: i64,
        rate: VatRate,
    ) -> Line {
        Line {
            kind: ItemKind::Goods,
            name: name.into(),
            unit: Some(unit.into()),
            quantity: Some(quantity),
            unit_price: Some(unit_price),
            amount: line_amount(quantity, unit_price, 0).ok(),
            vat_rate: Some(rate),
            ..Line::default()
        }
    }
}

/// Other fee `LPhi`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fee {
    /// `TLPhi`.
    pub name: String,
    /// `TPhi`.
    pub amount: i64,
}

/// Per-rate total `LTSuat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateTotal {
    /// `TSuat`.
    pub rate: VatRate,
    /// `ThTien`: sum of line amounts at this rate (trade discounts subtracted).
    pub base: i64,
    /// `TThue`: VAT at this rate.
    pub tax: i64,
}

/// Invoice totals `TToan`, as stated on the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Totals {
    /// `THTTLTSuat/LTSuat*`.
    pub rates: Vec<RateTotal>,
    /// `TgTCThue`: total before VAT.
    pub before_tax: i64,
    /// `TgTThue`: total VAT.
    pub tax: i64,
    /// `DSLPhi/LPhi*`.
    pub fees: Vec<Fee>,
    /// `TTCKTMai`: total trade discount.
    pub trade_discount: Option<i64>,
    /// `TgTTTBSo`: total to pay.
    pub total: i64,
    /// `TgTTTBChu`: total in words.
    pub total_in_words: String,
    /// `TTKhac`.
    pub extra: Vec<ExtraField>,
}

/// An invoice `HDon`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// `PBan`.
    pub version: FormatVersion,
    /// `DLHDon/@Id` (the signed element's id).
    pub data_id: String,
    /// `THDon` title.
    pub title: String,
    /// `KHMSHDon` form number (1–6 valid).
    pub form: u8,
    /// `KHHDon` symbol as written (see [`Symbol::parse`]).
    pub symbol: String,
    /// `SHDon` number within the symbol and year (1..=99 999 999).
    pub number: u32,
    /// `MHSo`.
    pub record_code: Option<String>,
    /// `NLap` issue date.
    pub issue_date: Date,
    /// `HDCTTChinh` (2.1.0): financial-leasing invoice.
    pub financial_leasing: Option<bool>,
    /// `DVTTe` currency (not an element on MTT invoices).
    pub currency: Option<String>,
    /// `TGia` exchange rate, ×100.
    pub exchange_rate: Option<i64>,
    /// `HTTToan` payment method (free text, e.g. `TM/CK`).
    pub payment_method: Option<String>,
    /// `MSTTCGP` solution provider's tax code.
    pub provider_tax_code: Option<String>,
    /// `TTHDLQuan`.
    pub related: Option<RelatedInvoice>,
    /// `TTChung/TTKhac`.
    pub header_extra: Vec<ExtraField>,
    /// `NBan`.
    pub seller: Seller,
    /// `NMua`.
    pub buyer: Option<Buyer>,
    /// `DSHHDVu/HHDVu*`.
    pub lines: Vec<Line>,
    /// `TToan`.
    pub totals: Totals,
    /// `NDHDon/TTKhac`.
    pub content_extra: Vec<ExtraField>,
    /// `DLHDon/TTKhac`.
    pub data_extra: Vec<ExtraField>,
    /// `DLQRCode`.
    pub qr_code: Option<String>,
    /// `MCCQT` text: 34-char coded-invoice code or 23-char MTT code.
    pub authority_code: Option<String>,
    /// `MCCQT/@Id`.
    pub authority_code_id: Option<String>,
}

impl Default for Invoice {
    fn default() -> Self {
        Invoice {
            version: FormatVersion::V2_0_1,
            data_id: "SigningData".into(),
            title: String::new(),
            form: 1,
            symbol: String::new(),
            number: 1,
            record_code: None,
            issue_date: Date::default(),
            financial_leasing: None,
            currency: None,
            exchange_rate: None,
            payment_method: None,
            provider_tax_code: None,
            related: None,
            header_extra: Vec::new(),
            seller: Seller::default(),
            buyer: None,
            lines: Vec::new(),
            totals: Totals::default(),
            content_extra: Vec::new(),
            data_extra: Vec::new(),
            qr_code: None,
            authority_code: None,
            authority_code_id: None,
        }
    }
}

impl Invoice {
    /// Parsed symbol, if well-formed.
    pub fn parsed_symbol(&self) -> Option<Symbol> {
        Symbol::parse(&self.symbol).ok()
    }
    /// Whether the symbol marks a cash-register (MTT) invoice.
    pub fn is_cash_register(&self) -> bool {
        self.parsed_symbol().is_some_and(|s| s.is_cash_register())
    }
    /// Full symbol `1C25MAA` (form digit + symbol).
    pub fn full_symbol(&self) -> String {
        format!("{}{}", self.form, self.symbol)
    }
    /// Replace [`Invoice::totals`] with [`compute_totals`] of the lines and the current fees
    /// (keeps `totals.extra`).
    pub fn recompute_totals(&mut self) -> Result<(), ModelError> {
        let fees = std::mem::take(&mut self.totals.fees);
        let extra = std::mem::take(&mut self.totals.extra);
        let mut t = compute_totals(&self.lines, fees)?;
        t.extra = extra;
        self.totals = t;
        Ok(())
    }
}

/// Round `num / den` half away from zero (`den > 0`).
pub fn div_round_half_away(num: i128, den: i128) -> i128 {
    let q = num / den;
    let r = num % den;
    if 2 * r.abs() >= den {
        q + num.signum()
    } else {
        q
    }
}

/// Line amount rule: `round(quantity × unit price) − discount`, rounding half away from zero
/// to whole đồng (quantity is in thousandths).
pub fn line_amount(quantity: Quantity, unit_price: i64, discount: i64) -> Result<i64, ModelError> {
    let gross = div_round_half_away(i128::from(quantity.0) * i128::from(unit_price), 1000);
    i64::try_from(gross - i128::from(discount)).map_err(|_| ModelError::Overflow)
}

/// VAT of a per-rate base: `round(base × bp / 10 000)`, half away from zero.
pub fn vat_of(base: i64, basis_points: u16) -> Result<i64, ModelError> {
    i64::try_from(div_round_half_away(
        i128::from(base) * i128::from(basis_points),
        10_000,
    ))
    .map_err(|_| ModelError::Overflow)
}

/// The totals rule (documented in `docs/einvoice.md`):
///
/// 1. each line's stated `ThTien` is taken with the sign of its kind ([`ItemKind::total_sign`]:
///    goods/special +, trade discount −, promotion and notes 0) and summed per `TSuat`,
///    in order of first appearance (lines without rate are skipped);
/// 2. VAT is computed **once per rate** on that sum, rounded half away from zero to đồng
///    (`KCT`, `KKKNT`: 0);
/// 3. `TgTCThue` = Σ bases, `TgTThue` = Σ per-rate VAT, `TTCKTMai` = Σ trade-discount line
///    amounts, `TgTTTBSo` = `TgTCThue` + `TgTThue` + Σ fees, `TgTTTBChu` =
///    [`amount_in_words`] of the total.
pub fn compute_totals(lines: &[Line], fees: Vec<Fee>) -> Result<Totals, ModelError> {
    let mut rates: Vec<RateTotal> = Vec::new();
    let mut trade_discount: i64 = 0;
    // Lines without a rate (sales invoices, form 2, carry no VAT) count in the total before
    // tax but in no per-rate group.
    let mut unrated: i64 = 0;
    for l in lines {
        let (rate, Some(amount)) = (&l.vat_rate, l.amount) else {
            continue;
        };
        let Some(rate) = rate else {
            let signed = amount
                .checked_mul(l.kind.total_sign())
                .ok_or(ModelError::Overflow)?;
            unrated = unrated.checked_add(signed).ok_or(ModelError::Overflow)?;
            continue;
        };
        let signed = amount
            .checked_mul(l.kind.total_sign())
            .ok_or(ModelError::Overflow)?;
        if l.kind == ItemKind::TradeDiscount {
            trade_discount = trade_discount
                .checked_add(amount)
                .ok_or(ModelError::Overflow)?;
        }
        if l.kind.total_sign() == 0 {
            continue;
        }
        match rates.iter_mut().find(|r| &r.rate == rate) {
            Some(r) => r.base = r.base.checked_add(signed).ok_or(ModelError::Overflow)?,
            None => rates.push(RateTotal {
                rate: rate.clone(),
                base: signed,
                tax: 0,
            }),
        }
    }
    let mut before_tax: i64 = unrated;
    let mut tax: i64 = 0;
    for r in &mut rates {
        r.tax = match r.rate.basis_points() {
            Some(bp) => vat_of(r.base, bp)?,
            None => 0,
        };
        before_tax = before_tax.checked_add(r.base).ok_or(ModelError::Overflow)?;
        tax = tax.checked_add(r.tax).ok_or(ModelError::Overflow)?;
    }
    let mut total = before_tax.checked_add(tax).ok_or(ModelError::Overflow)?;
    for f in &fees {
        total = total.checked_add(f.amount).ok_or(ModelError::Overflow)?;
    }
    Ok(Totals {
        rates,
        before_tax,
        tax,
        fees,
        trade_discount: Some(trade_discount),
        total,
        total_in_words: amount_in_words(total),
        extra: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(Date::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        assert!(Date::parse("2023-02-29").is_err());
        assert!(Date::parse("2023-13-01").is_err());
        assert!(Date::parse("2023-1-01").is_err());
        let t = LocalDateTime::parse("2023-10-19T11:11:51").unwrap();
        assert_eq!(t.to_string(), "2023-10-19T11:11:51");
        assert!(LocalDateTime::parse("2023-10-19T24:11:51").is_err());
    }

    #[test]
    fn symbols() {
        let s = Symbol::parse("C25MAA").unwrap();
        assert!(s.coded && s.is_cash_register() && s.year == 25);
        assert_eq!(s.to_string(), "C25MAA");
        assert!(Symbol::parse("K23TKK").is_ok());
        for bad in [
            "1C25MAA", "A25MAA", "C2XMAA", "C25QAA", "C25Maa", "C25MA", "",
        ] {
            assert!(Symbol::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fixed_point() {
        assert_eq!(Quantity::parse("1.5").unwrap(), Quantity(1500));
        assert_eq!(Quantity::parse("2").unwrap(), Quantity(2000));
        assert_eq!(Quantity::parse("0.125000").unwrap(), Quantity(125));
        assert!(Quantity::parse("0.1255").is_err());
        assert!(Quantity::parse("1.").is_err());
        assert!(Quantity::parse("abc").is_err());
        assert_eq!(Quantity(1500).to_string(), "1.5");
        assert_eq!(Quantity(-20).to_string(), "-0.02");
        assert_eq!(parse_amount("84000.0").unwrap(), 84_000);
        assert!(parse_amount("84000.5").is_err());
        assert!(parse_amount("99999999999999999999").is_err());
    }

    #[test]
    fn vat_rates() {
        for (s, r) in [
            ("0%", VatRate::Zero),
            ("8%", VatRate::Eight),
            ("KCT", VatRate::Kct),
            ("KHAC:5.26", VatRate::Other(526)),
            ("KHAC:5.26%", VatRate::Other(526)),
            ("KHAC:12.5%", VatRate::Other(1250)),
        ] {
            assert_eq!(VatRate::parse(s), r, "{s}");
        }
        assert_eq!(
            VatRate::Other(526).to_xml(FormatVersion::V2_0_1),
            "KHAC:5.26%"
        );
        assert_eq!(
            VatRate::Other(526).to_xml(FormatVersion::V2_0_0),
            "KHAC:5.26"
        );
        assert!(!VatRate::parse("7%").is_allowed());
        assert!(!VatRate::parse("KHAC:123.4").is_allowed());
    }

    #[test]
    fn rounding() {
        assert_eq!(div_round_half_away(5, 10), 1);
        assert_eq!(div_round_half_away(-5, 10), -1);
        assert_eq!(div_round_half_away(4, 10), 0);
        // 1.5 kg × 33 333 đ = 49 999.5 → 50 000
        assert_eq!(line_amount(Quantity(1500), 33_333, 0).unwrap(), 50_000);
        assert_eq!(vat_of(12_345, 800).unwrap(), 988); // 987.6
        assert_eq!(vat_of(12_343, 800).unwrap(), 987); // 987.44
    }

    #[test]
    fn sales_invoice_lines_without_rate_count_before_tax() {
        let mut a = Line::goods("Rau", "bó", Quantity::units(3), 10_000, VatRate::Kct);
        a.vat_rate = None;
        let t = compute_totals(&[a], Vec::new()).unwrap();
        assert_eq!((t.before_tax, t.tax, t.total), (30_000, 0, 30_000));
        assert!(t.rates.is_empty());
    }

    #[test]
    fn totals_per_rate() {
        let mut lines = vec![
            Line::goods("Phở bò", "bát", Quantity::units(2), 45_000, VatRate::Eight),
            Line::goods("Trà đá", "cốc", Quantity::units(3), 3_333, VatRate::Eight),
            Line::goods("Sách", "quyển", Quantity::units(1), 20_000, VatRate::Five),
        ];
        lines.push(Line {
            kind: ItemKind::TradeDiscount,
            name: "Chiết khấu".into(),
            amount: Some(5_000),
            vat_rate: Some(VatRate::Eight),
            ..Line::default()
        });
        let t = compute_totals(&lines, vec![]).unwrap();
        assert_eq!(t.rates.len(), 2);
        assert_eq!(t.rates[0].base, 90_000 + 9_999 - 5_000);
        assert_eq!(t.rates[0].tax, 7_600); // 94 999 × 8 % = 7 599.92
        assert_eq!(t.rates[1].tax, 1_000);
        assert_eq!(t.before_tax, 114_999);
        assert_eq!(t.tax, 8_600);
        assert_eq!(t.total, 123_599);
        assert_eq!(t.trade_discount, Some(5_000));
        assert!(t.total_in_words.ends_with("đồng"));
    }
}
