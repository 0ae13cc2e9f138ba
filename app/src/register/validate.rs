//! Validation of register inputs. Pure: it needs only the reference data (places, banks), so
//! the API, the web forms and the CSV import apply exactly the same rules. Every broken rule
//! is reported, not only the first.

use identity::tax_code::TaxCode;

use super::*;
use crate::error::FieldError;
use crate::places::Places;
use crate::text;

/// A market ready to store: cleaned text, resolved place, class in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketRow {
    pub input: MarketInput,
    pub market_class: i16,
    pub search_text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StallRow {
    pub input: StallInput,
    pub search_text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerchantRow {
    pub input: MerchantInput,
    pub payment_methods: String,
    pub search_text: String,
}

type Checked<T> = Result<T, Vec<FieldError>>;

fn finish<T>(errors: Vec<FieldError>, value: T) -> Checked<T> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(errors)
    }
}

pub(crate) fn check_len(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    max: usize,
    required: bool,
) {
    if required && value.is_empty() {
        errors.push(FieldError::required(field));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("Dài quá {max} ký tự"),
            format!("Longer than {max} characters"),
        ));
    }
}

pub(crate) fn check_one_of(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    allowed: &[&str],
) {
    if !allowed.contains(&value) {
        errors.push(FieldError::new(
            field,
            "not_allowed",
            format!("Giá trị không hợp lệ; cho phép: {}", allowed.join(", ")),
            format!("Invalid value; allowed: {}", allowed.join(", ")),
        ));
    }
}

/// Codes are what people type on signs and in spreadsheets: letters, digits, `-`, `_`, `.`,
/// `/`; stored upper-case so that "a-01" and "A-01" are one stall.
fn clean_code(errors: &mut Vec<FieldError>, field: &str, raw: &str) -> String {
    let code = raw.trim().to_uppercase();
    check_len(errors, field, &code, 32, true);
    let ok = code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    if !code.is_empty() && !ok {
        errors.push(FieldError::new(
            field,
            "bad_code",
            "Mã chỉ gồm chữ, số và - _ . /",
            "Code may only contain letters, digits and - _ . /",
        ));
    }
    code
}

fn resolve_place(errors: &mut Vec<FieldError>, places: &Places, raw: &str) -> String {
    if raw.trim().is_empty() {
        errors.push(FieldError::required("place_code"));
        return String::new();
    }
    match places.resolve_commune(raw) {
        Some(p) => p.code.clone(),
        None => {
            errors.push(FieldError::new(
                "place_code",
                "unknown_place",
                format!("Không có xã/phường/đặc khu \"{}\" trong tỉnh", raw.trim()),
                format!("No commune-level unit \"{}\" in the province", raw.trim()),
            ));
            raw.trim().to_string()
        }
    }
}

pub fn market(input: &MarketInput, places: &Places) -> Checked<MarketRow> {
    let mut errors = Vec::new();
    let mut m = MarketInput {
        code: clean_code(&mut errors, "code", &input.code),
        name: text::clean(&input.name),
        address: text::clean(&input.address),
        place_code: resolve_place(&mut errors, places, &input.place_code),
        business_points: input.business_points,
        class_override: input.class_override,
        class_override_reason: input.class_override_reason.as_deref().map(text::clean),
        board_contact: text::clean(&input.board_contact),
        status: input.status.trim().to_lowercase(),
    };
    m.class_override_reason = m.class_override_reason.filter(|r| !r.is_empty());
    check_len(&mut errors, "name", &m.name, 200, true);
    check_len(&mut errors, "address", &m.address, 300, false);
    check_len(&mut errors, "board_contact", &m.board_contact, 200, false);
    if !(0..=100_000).contains(&m.business_points) {
        errors.push(FieldError::new(
            "business_points",
            "out_of_range",
            "Số điểm kinh doanh phải từ 0 đến 100.000",
            "Business points must be between 0 and 100,000",
        ));
    }
    match (m.class_override, &m.class_override_reason) {
        (Some(c), _) if !(1..=3).contains(&c) => errors.push(FieldError::new(
            "class_override",
            "not_allowed",
            "Hạng chợ phải là 1, 2 hoặc 3",
            "Market class must be 1, 2 or 3",
        )),
        (Some(_), None) => errors.push(FieldError::new(
            "class_override_reason",
            "required",
            "Cần ghi lý do khi đặt hạng chợ khác với số điểm kinh doanh",
            "A reason is required to override the class given by business points",
        )),
        (None, Some(_)) => m.class_override_reason = None,
        _ => {}
    }
    check_one_of(&mut errors, "status", &m.status, MARKET_STATUSES);
    let market_class = m
        .class_override
        .unwrap_or_else(|| class_for_points(m.business_points));
    let search_text = text::search_key(&[&m.code, &m.name, &m.address]);
    finish(
        errors,
        MarketRow {
            input: m,
            market_class,
            search_text,
        },
    )
}

pub fn stall(input: &StallInput) -> Checked<StallRow> {
    let mut errors = Vec::new();
    let s = StallInput {
        market_id: input.market_id,
        code: clean_code(&mut errors, "code", &input.code),
        zone: text::clean(&input.zone),
        category: text::clean(&input.category),
        status: input.status.trim().to_lowercase(),
        merchant_id: input.merchant_id,
    };
    check_len(&mut errors, "zone", &s.zone, 100, false);
    check_len(&mut errors, "category", &s.category, 100, false);
    check_one_of(&mut errors, "status", &s.status, STALL_STATUSES);
    let search_text = text::search_key(&[&s.code, &s.zone, &s.category]);
    finish(
        errors,
        StallRow {
            input: s,
            search_text,
        },
    )
}

pub fn tax_code(errors: &mut Vec<FieldError>, raw: &str) -> String {
    if raw.trim().is_empty() {
        errors.push(FieldError::required("tax_code"));
        return String::new();
    }
    match TaxCode::parse(raw) {
        Ok(t) => t.as_str().to_string(),
        Err(e) => {
            errors.push(FieldError::new(
                "tax_code",
                e.code(),
                e.message_vi(),
                e.message_en(),
            ));
            raw.trim().to_string()
        }
    }
}

/// Vietnamese phone numbers, stored in national form `0xxxxxxxxx`.
pub fn phone(errors: &mut Vec<FieldError>, raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let digits: String = raw.chars().filter(|c| !" .-()".contains(*c)).collect();
    let national = if let Some(rest) = digits.strip_prefix("+84") {
        format!("0{rest}")
    } else if digits.starts_with("84") && digits.len() == 11 {
        format!("0{}", &digits[2..])
    } else {
        digits
    };
    let ok = national.len() == 10
        && national.starts_with('0')
        && national.chars().all(|c| c.is_ascii_digit());
    if !ok {
        errors.push(FieldError::new(
            "phone",
            "bad_phone",
            "Số điện thoại phải có 10 chữ số, bắt đầu bằng 0 hoặc +84",
            "Phone number must have 10 digits, starting with 0 or +84",
        ));
    }
    Some(national)
}

pub fn merchant(input: &MerchantInput, places: &Places) -> Checked<MerchantRow> {
    let mut errors = Vec::new();
    let mut methods: Vec<String> = Vec::new();
    for m in &input.payment_methods {
        let m = m.trim().to_lowercase();
        if m.is_empty() || methods.contains(&m) {
            continue;
        }
        check_one_of(&mut errors, "payment_methods", &m, PAYMENT_METHODS);
        methods.push(m);
    }
    // Stored in the canonical order so that equal sets compare equal (re-imports no-op).
    methods.sort_by_key(|m| PAYMENT_METHODS.iter().position(|p| p == m));
    let m = MerchantInput {
        tax_code: tax_code(&mut errors, &input.tax_code),
        name: text::clean(&input.name),
        kind: input.kind.trim().to_lowercase(),
        owner_name: text::clean(&input.owner_name),
        phone: input.phone.as_deref().and_then(|p| phone(&mut errors, p)),
        address: text::clean(&input.address),
        place_code: resolve_place(&mut errors, places, &input.place_code),
        payment_methods: methods.clone(),
        status: input.status.trim().to_lowercase(),
    };
    check_len(&mut errors, "name", &m.name, 200, true);
    check_len(&mut errors, "owner_name", &m.owner_name, 200, true);
    check_len(&mut errors, "address", &m.address, 300, false);
    check_one_of(&mut errors, "kind", &m.kind, MERCHANT_KINDS);
    check_one_of(&mut errors, "status", &m.status, MERCHANT_STATUSES);
    if methods.is_empty() {
        errors.push(FieldError::required("payment_methods"));
    }
    let search_text = text::search_key(&[&m.tax_code, &m.name, &m.owner_name]);
    let payment_methods = methods.join(",");
    finish(
        errors,
        MerchantRow {
            input: m,
            payment_methods,
            search_text,
        },
    )
}

/// Account numbers as banks print them: 1–19 letters or digits (the VietQR limit), spaces
/// and dashes dropped.
pub fn bank_account(input: &BankAccountInput) -> Checked<BankAccountInput> {
    let mut errors = Vec::new();
    let bin = input.bank_bin.trim().to_string();
    if bin.is_empty() {
        errors.push(FieldError::required("bank_bin"));
    } else if vietqr::banks::by_bin(&bin).is_none() {
        errors.push(FieldError::new(
            "bank_bin",
            "unknown_bank",
            format!("Không có ngân hàng mang mã BIN {bin} trong danh bạ"),
            format!("No bank with BIN {bin} in the directory"),
        ));
    }
    let account: String = input
        .account_number
        .chars()
        .filter(|c| !" -.".contains(*c))
        .collect();
    let account = account.to_uppercase();
    if account.is_empty() {
        errors.push(FieldError::required("account_number"));
    } else if account.len() > 19 || !account.chars().all(|c| c.is_ascii_alphanumeric()) {
        errors.push(FieldError::new(
            "account_number",
            "bad_account",
            "Số tài khoản gồm 1–19 chữ hoặc số",
            "Account number must be 1–19 letters or digits",
        ));
    }
    let holder = text::clean(&input.holder_name);
    check_len(&mut errors, "holder_name", &holder, 100, true);
    let out = BankAccountInput {
        bank_bin: bin,
        account_number: account,
        holder_name: holder,
        is_default: input.is_default,
    };
    finish(errors, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places() -> Places {
        Places::load().unwrap()
    }

    fn good_market() -> MarketInput {
        MarketInput {
            code: "qn-hl-001".into(),
            name: " Chợ  Hạ Long 1 ".into(),
            place_code: "Hồng Gai".into(),
            business_points: 450,
            status: "active".into(),
            ..Default::default()
        }
    }

    #[test]
    fn class_boundaries() {
        assert_eq!(class_for_points(401), 1);
        assert_eq!(class_for_points(400), 2);
        assert_eq!(class_for_points(200), 2);
        assert_eq!(class_for_points(199), 3);
        assert_eq!(class_for_points(0), 3);
    }

    #[test]
    fn market_is_cleaned_and_classed() {
        let row = market(&good_market(), &places()).unwrap();
        assert_eq!(row.input.code, "QN-HL-001");
        assert_eq!(row.input.name, "Chợ Hạ Long 1");
        assert_eq!(row.input.place_code, "06685");
        assert_eq!(row.market_class, 1);
        assert_eq!(row.search_text, "qn-hl-001 cho ha long 1");
    }

    #[test]
    fn override_needs_a_reason() {
        let mut m = good_market();
        m.class_override = Some(2);
        let errs = market(&m, &places()).unwrap_err();
        assert_eq!(errs[0].field, "class_override_reason");
        m.class_override_reason = Some("Chưa xây kiên cố".into());
        assert_eq!(market(&m, &places()).unwrap().market_class, 2);
    }

    #[test]
    fn every_broken_rule_is_reported() {
        let m = MarketInput {
            code: "bad code!".into(),
            place_code: "Atlantis".into(),
            business_points: -1,
            status: "open".into(),
            ..Default::default()
        };
        let fields: Vec<_> = market(&m, &places())
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            ["code", "place_code", "name", "business_points", "status"]
        );
    }

    #[test]
    fn merchant_tax_code_and_phone() {
        let m = MerchantInput {
            tax_code: "0100233480".into(),
            name: "Hộ kinh doanh Lan".into(),
            kind: "household".into(),
            owner_name: "Nguyễn Thị Lan".into(),
            phone: Some("+84 912 345 678".into()),
            place_code: "06685".into(),
            payment_methods: vec!["vietqr".into(), "cash".into(), "cash".into()],
            status: "active".into(),
            ..Default::default()
        };
        let errs = merchant(&m, &places()).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "tax_code");
        let ok = MerchantInput {
            tax_code: "0100233488".into(),
            ..m
        };
        let row = merchant(&ok, &places()).unwrap();
        assert_eq!(row.input.phone.as_deref(), Some("0912345678"));
        assert_eq!(row.payment_methods, "cash,vietqr");
    }

    #[test]
    fn bank_account_checks_bin() {
        let a = BankAccountInput {
            bank_bin: "970436".into(),
            account_number: "0011 0012 3456".into(),
            holder_name: "NGUYEN THI LAN".into(),
            is_default: true,
        };
        assert_eq!(bank_account(&a).unwrap().account_number, "001100123456");
        let bad = BankAccountInput {
            bank_bin: "123456".into(),
            ..a
        };
        assert_eq!(bank_account(&bad).unwrap_err()[0].code, "unknown_bank");
    }
}
