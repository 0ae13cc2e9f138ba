//! JSON API of the cash registers: products, registers, sales (which issue invoices), the
//! invoice list and signed XML, and the public buyer look-up.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::store::{self, InvoiceQuery, NewProduct, NewRegister, NewSale};
use super::{
    BuyerInput, CartLine, InvoiceRow, Product, Register, Sale, Taxpayer, can_manage, can_read,
    can_sell, issue,
};
use crate::auth::{Caller, Principal, forbidden};
use crate::error::{ApiError, ApiResult, ErrorBody, FieldError, parse_json};
use crate::receipts::requests::{self, NewPaymentRequest, PaymentRequest};
use crate::register::Page;
use crate::register::validate::{check_len, check_one_of};
use crate::server::AppState;

use crate::api::{audited, created};

fn bad(errors: Vec<FieldError>) -> ApiResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// The merchant's e-invoice registration.
#[utoipa::path(get, path = "/api/v1/merchants/{id}/einvoice", tag = "einvoice",
    responses((status = 200, body = Taxpayer), (status = 404, body = ErrorBody)))]
pub async fn get_taxpayer(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Taxpayer>> {
    readable_merchant(&st, &caller, id).await?;
    Ok(Json(store::taxpayer(&st.db, id).await?.ok_or_else(
        || ApiError::not_found("einvoice_registration"),
    )?))
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct RegistrationInput {
    /// 1 VAT invoices (credit method), 2 sales invoices (households, direct method).
    pub form: i16,
    /// Characters 5–6 of the invoice symbol: two capital letters or digits.
    pub symbol_suffix: String,
}

/// Registers the merchant for invoices generated from cash registers: declaration 01/ĐKTĐ-HĐĐT
/// (message 100) to the tax authority, whose acceptance (103) brings the 5-character code.
/// Answers 202 while the authority has not answered; a repeat while pending or after
/// acceptance changes nothing.
#[utoipa::path(post, path = "/api/v1/merchants/{id}/einvoice/registration", tag = "einvoice",
    request_body = RegistrationInput,
    responses((status = 202, body = Taxpayer), (status = 200, body = Taxpayer),
        (status = 422, body = ErrorBody)))]
pub async fn register_taxpayer(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Response> {
    let m = readable_merchant(&st, &caller, id).await?;
    if !can_manage(caller.person()?, id) {
        return Err(forbidden());
    }
    let input: RegistrationInput = parse_json(&body)?;
    let suffix = input.symbol_suffix.trim().to_ascii_uppercase();
    let mut e = Vec::new();
    if !matches!(input.form, 1 | 2) {
        e.push(FieldError::new(
            "form",
            "not_allowed",
            "Mẫu số 1 (GTGT) hoặc 2 (bán hàng)",
            "Form 1 (VAT) or 2 (sales)",
        ));
    }
    if suffix.len() != 2
        || !suffix
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        e.push(FieldError::new(
            "symbol_suffix",
            "invalid",
            "Hai chữ in hoa hoặc chữ số",
            "Two capital letters or digits",
        ));
    }
    bad(e)?;
    if let Some(t) = store::taxpayer(&st.db, id).await?
        && (t.status == "registered" || t.status == "pending")
    {
        return Ok((StatusCode::OK, Json(t)).into_response());
    }
    let today = issue::local_datetime(crate::db::now_micros()).date;
    let header = super::sender::header(&m.tax_code, einvoice::envelope::code::REGISTRATION);
    let reg = einvoice::envelope::Registration {
        data_id: "DLTKhai".into(),
        kind: 1,
        taxpayer_name: m.name.clone(),
        tax_code: m.tax_code.clone(),
        tax_office: ("Thuế tỉnh Quảng Ninh".into(), "22700".into()),
        contact: (
            m.owner_name.clone(),
            m.address.clone(),
            String::new(),
            m.phone.clone().unwrap_or_default(),
        ),
        place: "Quảng Ninh".into(),
        date: today,
        cash_register: true,
        forms: vec![u8::try_from(input.form).unwrap_or(2)],
    };
    let xml = einvoice::envelope::write_100(&header, &reg);
    // Signed with the platform's certificate: the authority binds it to the taxpayer, so the
    // 206 packages signed with it later are accepted as the taxpayer's.
    let signer = st
        .invoice_signer
        .as_deref()
        .ok_or(issue::IssueError::NoSigner)?;
    let xml = einvoice::sign_enveloped(
        &xml,
        signer,
        &einvoice::SignOptions {
            target_id: reg.data_id.clone(),
            container: ["DLieu", "TKhai", "DSCKS", "NNT"]
                .map(String::from)
                .to_vec(),
            signature_id: "NNT".into(),
            signing_time: issue::local_datetime(crate::db::now_micros()),
            c14n: einvoice::dsig::C14nMethod::Inclusive,
        },
    )
    .map_err(|e| issue::IssueError::Invalid(e.to_string()))?;
    store::taxpayer_pending(&st.db, id, input.form, &suffix, &header.id, m.is_demo).await?;
    super::sender::queue(&st.db, id, "100", &header.id, &xml, 0).await?;
    let t = store::taxpayer(&st.db, id)
        .await?
        .ok_or_else(ApiError::internal)?;
    Ok(audited(
        StatusCode::ACCEPTED,
        "einvoice_registration",
        id,
        t,
    ))
}

async fn readable_merchant(
    st: &AppState,
    caller: &Caller,
    id: i64,
) -> ApiResult<crate::register::Merchant> {
    let m = crate::api::visible_merchant(st, caller, id).await?;
    if !can_read(caller.person()?, id) {
        return Err(ApiError::not_found("merchant"));
    }
    Ok(m)
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct ProductInput {
    pub name: String,
    pub unit: String,
    /// Integer đồng: before VAT on VAT invoices (form 1), the final price on sales invoices.
    pub unit_price: i64,
    /// 0%, 5%, 8%, 10%, KCT, KKKNT or KHAC:AB.CD%.
    #[serde(default = "default_rate")]
    pub vat_rate: String,
    #[serde(default)]
    pub is_fuel: bool,
}

fn default_rate() -> String {
    "8%".into()
}

pub fn check_product(p: &ProductInput) -> Vec<FieldError> {
    let mut e = Vec::new();
    check_len(&mut e, "name", p.name.trim(), 200, true);
    check_len(&mut e, "unit", p.unit.trim(), 20, true);
    if !(0..=1_000_000_000_000).contains(&p.unit_price) {
        e.push(FieldError::new(
            "unit_price",
            "out_of_range",
            "Đơn giá từ 0 đến 1.000.000.000.000 đồng",
            "Unit price from 0 to 1,000,000,000,000 đồng",
        ));
    }
    if !einvoice::VatRate::parse(&p.vat_rate).is_allowed() {
        e.push(FieldError::new(
            "vat_rate",
            "not_allowed",
            "Thuế suất là 0%, 5%, 8%, 10%, KCT, KKKNT hoặc KHAC:AB.CD%",
            "VAT rate is 0%, 5%, 8%, 10%, KCT, KKKNT or KHAC:AB.CD%",
        ));
    }
    e
}

#[utoipa::path(get, path = "/api/v1/merchants/{id}/products", tag = "einvoice",
    responses((status = 200, body = Vec<Product>), (status = 404, body = ErrorBody)))]
pub async fn list_products(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Product>>> {
    readable_merchant(&st, &caller, id).await?;
    Ok(Json(store::products(&st.db, id).await?))
}

#[utoipa::path(post, path = "/api/v1/merchants/{id}/products", tag = "einvoice",
    request_body = ProductInput,
    responses((status = 201, body = Product), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_product(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Response> {
    let m = readable_merchant(&st, &caller, id).await?;
    if !can_manage(caller.person()?, id) {
        return Err(forbidden());
    }
    let input: ProductInput = parse_json(&body)?;
    bad(check_product(&input))?;
    let name = crate::text::clean(&input.name);
    let unit = crate::text::clean(&input.unit);
    let res = store::create_product(
        &st.db,
        &NewProduct {
            merchant_id: id,
            name: &name,
            unit: &unit,
            unit_price: input.unit_price,
            vat_rate: input.vat_rate.trim(),
            is_fuel: input.is_fuel,
            is_demo: m.is_demo,
        },
    )
    .await;
    match res {
        Ok(p) => Ok(created("product", p.id, p)),
        Err(e) if crate::db::is_unique_violation(&e) => Err(ApiError::conflict(
            "product_exists",
            "Đã có mặt hàng cùng tên",
            "A product with this name exists",
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct RegisterInput {
    /// counter, stall or fuel_pump.
    pub kind: String,
    pub label: String,
    #[serde(default)]
    pub stall_id: Option<i64>,
    /// The product a fuel-pump nozzle dispenses.
    #[serde(default)]
    pub fuel_product_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/merchants/{id}/registers", tag = "einvoice",
    responses((status = 200, body = Vec<Register>), (status = 404, body = ErrorBody)))]
pub async fn list_registers(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Register>>> {
    readable_merchant(&st, &caller, id).await?;
    Ok(Json(store::registers(&st.db, id).await?))
}

#[utoipa::path(post, path = "/api/v1/merchants/{id}/registers", tag = "einvoice",
    request_body = RegisterInput,
    responses((status = 201, body = Register), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_register(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Response> {
    let m = readable_merchant(&st, &caller, id).await?;
    if !can_manage(caller.person()?, id) {
        return Err(forbidden());
    }
    let input: RegisterInput = parse_json(&body)?;
    let mut e = Vec::new();
    check_len(&mut e, "label", input.label.trim(), 60, true);
    check_one_of(
        &mut e,
        "kind",
        &input.kind,
        &["counter", "stall", "fuel_pump"],
    );
    match input.stall_id {
        Some(s) => {
            let stall = crate::register::store::get_stall(&st.db, s).await?;
            if stall.and_then(|s| s.merchant_id) != Some(id) {
                e.push(FieldError::new(
                    "stall_id",
                    "not_merchants_stall",
                    "Quầy không thuộc người bán này",
                    "The stall is not this merchant's",
                ));
            }
        }
        None if input.kind == "stall" => e.push(FieldError::required("stall_id")),
        None => {}
    }
    match (input.kind.as_str(), input.fuel_product_id) {
        ("fuel_pump", Some(pid)) => {
            let ok = store::product(&st.db, pid)
                .await?
                .is_some_and(|p| p.merchant_id == id && p.is_fuel);
            if !ok {
                e.push(FieldError::new(
                    "fuel_product_id",
                    "not_fuel",
                    "Vòi bơm phải gắn với một mặt hàng nhiên liệu của người bán",
                    "A pump nozzle needs one of the merchant's fuel products",
                ));
            }
        }
        ("fuel_pump", None) => e.push(FieldError::required("fuel_product_id")),
        (_, Some(_)) => e.push(FieldError::new(
            "fuel_product_id",
            "only_for_pumps",
            "Chỉ vòi bơm nhiên liệu mới gắn mặt hàng",
            "Only fuel-pump nozzles carry a product",
        )),
        _ => {}
    }
    bad(e)?;
    let label = crate::text::clean(&input.label);
    let res = store::create_register(
        &st.db,
        &NewRegister {
            merchant_id: id,
            stall_id: input.stall_id,
            kind: &input.kind,
            label: &label,
            fuel_product_id: input.fuel_product_id,
            is_demo: m.is_demo,
        },
    )
    .await;
    match res {
        Ok(r) => Ok(created("register", r.id, r)),
        Err(e) if crate::db::is_unique_violation(&e) => Err(ApiError::conflict(
            "register_exists",
            "Đã có máy tính tiền cùng tên",
            "A register with this label exists",
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct SaleLineInput {
    pub product_id: i64,
    /// A decimal with at most 3 decimals, as a string or a number ("1.5", 2).
    #[schema(value_type = String)]
    pub quantity: serde_json::Value,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct SaleInput {
    /// Chosen by the register, unique per register: a retried sale returns the first one.
    pub client_key: String,
    pub lines: Vec<SaleLineInput>,
    /// cash, qr (dynamic VietQR; the invoice is issued once paid), card or ewallet.
    pub method: String,
    /// Buyer details, only if the buyer asks for them.
    #[serde(default)]
    pub buyer: Option<BuyerInput>,
}

/// A sale with its invoice (once issued) and its payment request (QR sales).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SaleResult {
    pub sale: Sale,
    pub invoice: Option<InvoiceRow>,
    pub payment_request: Option<PaymentRequest>,
}

fn quantity_milli(v: &serde_json::Value) -> Option<i64> {
    let s = match v {
        serde_json::Value::String(s) => s.trim().to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    einvoice::Quantity::parse(&s)
        .ok()
        .map(|q| q.0)
        .filter(|q| (1..=1_000_000_000).contains(q))
}

/// Checks a sale against the register and the catalogue; returns the cart.
async fn check_sale(
    st: &AppState,
    register: &Register,
    input: &SaleInput,
) -> ApiResult<Vec<CartLine>> {
    let mut e = Vec::new();
    let key_ok = (1..=64).contains(&input.client_key.len())
        && input
            .client_key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    if !key_ok {
        e.push(FieldError::new(
            "client_key",
            "invalid",
            "Mã giao dịch 1–64 ký tự chữ, số, - _ . :",
            "client_key: 1–64 characters of letters, digits, - _ . :",
        ));
    }
    check_one_of(
        &mut e,
        "method",
        &input.method,
        &["cash", "qr", "card", "ewallet"],
    );
    if input.lines.is_empty() || input.lines.len() > 200 {
        e.push(FieldError::new(
            "lines",
            "count",
            "Từ 1 đến 200 dòng hàng",
            "From 1 to 200 lines",
        ));
    }
    if register.kind == "fuel_pump"
        && (input.lines.len() != 1 || Some(input.lines[0].product_id) != register.fuel_product_id)
    {
        e.push(FieldError::new(
            "lines",
            "one_fuel_sale",
            "Mỗi lần bơm là một hóa đơn với đúng nhiên liệu của vòi",
            "Each pump sale is one invoice of the nozzle's fuel",
        ));
    }
    if let Some(tc) = input.buyer.as_ref().and_then(|b| b.tax_code.as_deref())
        && einvoice::validate_tax_code(tc).is_err()
    {
        e.push(FieldError::new(
            "buyer.tax_code",
            "invalid",
            "Mã số thuế người mua không hợp lệ",
            "Invalid buyer tax code",
        ));
    }
    let mut cart = Vec::with_capacity(input.lines.len());
    for (i, l) in input.lines.iter().enumerate() {
        let product = store::product(&st.db, l.product_id)
            .await?
            .filter(|p| p.merchant_id == register.merchant_id && p.active);
        let Some(p) = product else {
            e.push(FieldError::new(
                &format!("lines[{i}].product_id"),
                "unknown",
                "Không có mặt hàng này",
                "No such product",
            ));
            continue;
        };
        let Some(q) = quantity_milli(&l.quantity) else {
            e.push(FieldError::new(
                &format!("lines[{i}].quantity"),
                "invalid",
                "Số lượng dương, tối đa 3 chữ số thập phân",
                "Quantity: positive, at most 3 decimals",
            ));
            continue;
        };
        cart.push(CartLine {
            product_id: p.id,
            name: p.name,
            unit: p.unit,
            quantity_milli: q,
            unit_price: p.unit_price,
            vat_rate: p.vat_rate,
        });
    }
    bad(e)?;
    Ok(cart)
}

async fn sellable_register(st: &AppState, p: &Principal, id: i64) -> ApiResult<Register> {
    let r = store::register(&st.db, id)
        .await?
        .filter(|r| can_read(p, r.merchant_id))
        .ok_or_else(|| ApiError::not_found("register"))?;
    if !can_sell(p, r.merchant_id) {
        return Err(forbidden());
    }
    if r.status != "active" {
        return Err(ApiError::conflict(
            "register_closed",
            "Máy tính tiền đã ngừng",
            "The register is closed",
        ));
    }
    Ok(r)
}

/// Rings up a sale. Cash, card and e-wallet sales are invoiced at once; a QR sale gets a
/// dynamic VietQR and is invoiced when its payment lands. A retry with the same `client_key`
/// returns the first sale and changes nothing.
#[utoipa::path(post, path = "/api/v1/registers/{id}/sales", tag = "einvoice",
    request_body = SaleInput,
    responses((status = 201, body = SaleResult), (status = 200, body = SaleResult),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_sale(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Response> {
    let p = caller.person()?;
    let register = sellable_register(&st, p, id).await?;
    let input: SaleInput = parse_json(&body)?;
    let cart = check_sale(&st, &register, &input).await?;
    let Priced {
        merchant,
        total,
        cart_json,
        buyer,
    } = priced(&st, &register, &cart, input.buyer.as_ref()).await?;
    // A retry of a QR sale must not create a second payment request: look first.
    if let Some(existing) = existing_sale(&st, &register, &input.client_key).await? {
        return Ok((StatusCode::OK, Json(existing)).into_response());
    }
    let payment_request = if input.method == "qr" {
        Some(qr_request(&st, &register, total, p.person_id).await?)
    } else {
        None
    };
    let new = NewSale {
        register_id: register.id,
        merchant_id: register.merchant_id,
        client_key: &input.client_key,
        cart: &cart_json,
        total,
        method: &input.method,
        buyer: buyer.as_deref(),
        payment_request_id: payment_request.as_ref().map(|r| r.id),
        replaces: None,
        status: if input.method == "qr" {
            "awaiting_payment"
        } else {
            "paid"
        },
        created_by: Some(p.person_id),
    };
    let (sale, fresh) = if input.method == "qr" {
        store::insert_sale(&st.db, &new).await?
    } else {
        // Paid at the register: the sale and its invoice are one transaction.
        let (sale, _, fresh) =
            issue::sell(&st.db, st.invoice_signer.as_deref(), &new, merchant.is_demo).await?;
        (sale, fresh)
    };
    sale_answer(&st, sale, fresh).await
}

/// A checked cart, priced as its invoice will state it, ready to store.
struct Priced {
    merchant: crate::register::Merchant,
    total: i64,
    cart_json: String,
    buyer: Option<String>,
}

/// Builds and validates the invoice the cart would give (refusing a sale that cannot be
/// invoiced before anything is stored) and serialises what the sale keeps.
async fn priced(
    st: &AppState,
    register: &Register,
    cart: &[CartLine],
    buyer: Option<&BuyerInput>,
) -> ApiResult<Priced> {
    let taxpayer = store::taxpayer(&st.db, register.merchant_id)
        .await?
        .filter(|t| t.mtt_code.is_some())
        .ok_or(issue::IssueError::NotRegistered)?;
    let merchant = crate::register::store::get_merchant(&st.db, register.merchant_id)
        .await?
        .ok_or_else(|| ApiError::not_found("merchant"))?;
    let total = issue::check(&merchant, &taxpayer, cart, buyer)?;
    let buyer = buyer
        .map(serde_json::to_string)
        .transpose()
        .map_err(|_| ApiError::internal())?;
    let cart_json = serde_json::to_string(cart).map_err(|_| ApiError::internal())?;
    Ok(Priced {
        merchant,
        total,
        cart_json,
        buyer,
    })
}

async fn existing_sale(
    st: &AppState,
    register: &Register,
    key: &str,
) -> ApiResult<Option<SaleResult>> {
    match store::sale_by_key(&st.db, register.id, key).await? {
        Some(s) => Ok(Some(settle(st, s).await?)),
        None => Ok(None),
    }
}

async fn qr_request(
    st: &AppState,
    register: &Register,
    total: i64,
    person: i64,
) -> ApiResult<PaymentRequest> {
    let no_qr = || {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_payout_account",
            "Máy tính tiền này chưa gắn quầy có tài khoản nhận tiền",
            "This register has no stall with a payout account",
        )
    };
    let stall_id = register.stall_id.ok_or_else(no_qr)?;
    let account = crate::register::store::stall_payout_account(&st.db, stall_id)
        .await?
        .ok_or_else(no_qr)?;
    let n = NewPaymentRequest {
        stall_id,
        amount: total,
        kind: "stall_sale".into(),
        description: format!("Hoa don {}", register.label),
        expires_in_seconds: None,
    };
    let expiry = requests::check_input(&n)?;
    requests::insert(&st.db, &account, stall_id, &n, expiry, Some(person)).await
}

/// Brings a sale up to date: issues its invoice when it is paid (or not paid by QR).
/// A new sale answers 201 (audited), a repeated one 200 with the first sale.
async fn sale_answer(st: &AppState, sale: Sale, fresh: bool) -> ApiResult<Response> {
    let result = settle(st, sale).await?;
    if fresh {
        Ok(created("sale", result.sale.id, result))
    } else {
        Ok((StatusCode::OK, Json(result)).into_response())
    }
}

pub async fn settle(st: &AppState, sale: Sale) -> ApiResult<SaleResult> {
    let payment_request = match sale.payment_request_id {
        Some(id) => requests::by_id(&st.db, id).await?,
        None => None,
    };
    let paid = payment_request
        .as_ref()
        .is_none_or(|r| matches!(r.status.as_str(), "paid" | "overpaid"));
    let invoice = if paid && sale.status != "cancelled" {
        let demo = crate::register::store::get_merchant(&st.db, sale.merchant_id)
            .await?
            .is_some_and(|m| m.is_demo);
        Some(issue::issue_sale(&st.db, st.invoice_signer.as_deref(), &sale, demo).await?)
    } else {
        None
    };
    // Money taken at the register (not by QR, which the bank reports) is a receipt too, so
    // the live view and the day's totals by method include it. Idempotent per sale.
    if let Some(inv) = &invoice
        && sale.replaces_invoice_id.is_none()
    {
        let method = match sale.method.as_str() {
            "cash" => Some(crate::receipts::Method::Cash),
            "card" => Some(crate::receipts::Method::Card),
            "ewallet" => Some(crate::receipts::Method::Ewallet),
            _ => None,
        };
        if let Some(method) = method {
            let stall_id = store::register(&st.db, sale.register_id)
                .await?
                .and_then(|r| r.stall_id);
            crate::receipts::record_direct(
                &st.db,
                &crate::receipts::DirectReceipt {
                    stall_id,
                    merchant_id: stall_id.is_none().then_some(sale.merchant_id),
                    amount: sale.total,
                    method,
                    source: "register".into(),
                    external_id: format!("sale-{}", sale.id),
                    at: inv.issued_at,
                    description: format!("Hóa đơn {}", inv.code),
                },
            )
            .await?;
        }
    }
    let sale = match invoice {
        Some(_) => store::sale(&st.db, sale.id).await?.unwrap_or(sale),
        None => sale,
    };
    Ok(SaleResult {
        sale,
        invoice,
        payment_request,
    })
}

/// A sale and its state; a paid QR sale gets its invoice here if it has none yet.
#[utoipa::path(get, path = "/api/v1/sales/{id}", tag = "einvoice",
    responses((status = 200, body = SaleResult), (status = 404, body = ErrorBody)))]
pub async fn get_sale(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<SaleResult>> {
    let p = caller.person()?;
    let sale = store::sale(&st.db, id)
        .await?
        .filter(|s| can_read(p, s.merchant_id))
        .ok_or_else(|| ApiError::not_found("sale"))?;
    Ok(Json(settle(&st, sale).await?))
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct ReplacementInput {
    /// Chosen by the register, unique per register (a retry returns the first replacement).
    pub client_key: String,
    /// The corrected lines.
    pub lines: Vec<SaleLineInput>,
    #[serde(default)]
    pub buyer: Option<BuyerInput>,
    /// Why the invoice is replaced (printed on the notice 303).
    pub reason: String,
}

/// Corrects an invoice by replacement: a new invoice (next number) that names the old one,
/// which becomes `replaced`, and a notice 303 to the tax authority. Invoices are never edited.
/// Money differences are settled as refunds on the receipt, not here.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/replacement", tag = "einvoice",
    request_body = ReplacementInput,
    responses((status = 201, body = SaleResult), (status = 200, body = SaleResult),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn replace_invoice(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Response> {
    let p = caller.person()?;
    let old = readable_invoice(&st, &caller, id).await?;
    let register = sellable_register(&st, p, old.register_id).await?;
    let input: ReplacementInput = parse_json(&body)?;
    let reason = crate::text::clean(&input.reason);
    let mut e = Vec::new();
    check_len(&mut e, "reason", reason.trim(), 255, true);
    bad(e)?;
    let as_sale = SaleInput {
        client_key: input.client_key.clone(),
        lines: input.lines.clone(),
        method: old.payment_method.clone(),
        buyer: input.buyer.clone(),
    };
    let cart = check_sale(&st, &register, &as_sale).await?;
    if let Some(existing) = existing_sale(&st, &register, &input.client_key).await? {
        return Ok((StatusCode::OK, Json(existing)).into_response());
    }
    if old.status != "issued" {
        return Err(ApiError::conflict(
            "invoice_replaced",
            "Hóa đơn đã được thay thế",
            "The invoice was already replaced",
        ));
    }
    let Priced {
        merchant,
        total,
        cart_json,
        buyer,
    } = priced(&st, &register, &cart, input.buyer.as_ref()).await?;
    let (sale, _, fresh) = issue::sell(
        &st.db,
        st.invoice_signer.as_deref(),
        &NewSale {
            register_id: register.id,
            merchant_id: register.merchant_id,
            client_key: &input.client_key,
            cart: &cart_json,
            total,
            method: &old.payment_method,
            buyer: buyer.as_deref(),
            payment_request_id: None,
            replaces: Some((old.id, &reason)),
            status: "paid",
            created_by: Some(p.person_id),
        },
        merchant.is_demo,
    )
    .await?;
    sale_answer(&st, sale, fresh).await
}

/// The merchants whose invoices the person may read (`None`: all).
pub fn invoice_scope(p: &Principal) -> Option<Vec<i64>> {
    if p.sees_all() {
        return None;
    }
    let mut ms: Vec<i64> = p
        .scopes("merchant_owner")
        .chain(p.scopes("merchant_cashier"))
        .collect();
    ms.sort_unstable();
    ms.dedup();
    Some(ms)
}

/// Invoices the caller may read, newest first, paged like the other lists.
#[utoipa::path(get, path = "/api/v1/invoices", tag = "einvoice", params(InvoiceQuery),
    responses((status = 200, body = Page<InvoiceRow>)))]
pub async fn list_invoices(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<InvoiceQuery>,
) -> ApiResult<Json<Page<InvoiceRow>>> {
    let scope = invoice_scope(caller.person()?);
    let (items, total) = store::list_invoices(&st.db, &q, scope.as_deref()).await?;
    Ok(Json(Page { items, total }))
}

async fn readable_invoice(st: &AppState, caller: &Caller, id: i64) -> ApiResult<InvoiceRow> {
    let p = caller.person()?;
    store::invoice(&st.db, id)
        .await?
        .filter(|i| can_read(p, i.merchant_id))
        .ok_or_else(|| ApiError::not_found("invoice"))
}

#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "einvoice",
    responses((status = 200, body = InvoiceRow), (status = 404, body = ErrorBody)))]
pub async fn get_invoice(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<InvoiceRow>> {
    Ok(Json(readable_invoice(&st, &caller, id).await?))
}

/// The signed invoice XML (HDon with the seller's XML-DSig signature).
#[utoipa::path(get, path = "/api/v1/invoices/{id}/xml", tag = "einvoice",
    responses((status = 200, content_type = "application/xml", body = String),
        (status = 404, body = ErrorBody)))]
pub async fn invoice_xml(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let inv = readable_invoice(&st, &caller, id).await?;
    let xml = store::signed_xml(&st.db, inv.id)
        .await?
        .ok_or_else(|| ApiError::not_found("invoice"))?;
    Ok(xml_download(&inv.code, xml))
}

pub fn xml_download(code: &str, xml: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/xml; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{code}.xml\""),
            ),
        ],
        xml,
    )
        .into_response()
}

#[derive(Clone, Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// The seller's tax code.
    pub mst: String,
    /// The invoice's tax-authority code (M1-26-XXXXX-00000000001).
    pub code: String,
}

/// What a buyer sees: the invoice, and whether its signature verifies.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LookupResult {
    pub code: String,
    pub seller_name: String,
    pub seller_tax_code: String,
    pub issued_at: i64,
    pub total: i64,
    pub vat_total: i64,
    pub total_in_words: String,
    pub lines: Vec<LookupLine>,
    pub tax_status: String,
    pub replaced: bool,
    pub signature_valid: bool,
    /// Subject of the signing certificate.
    pub signer: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LookupLine {
    pub name: String,
    pub unit: String,
    pub quantity: String,
    pub unit_price: i64,
    pub amount: i64,
    pub vat_rate: String,
}

/// Finds an invoice by seller tax code and code and checks its signature.
pub async fn lookup(
    db: &crate::db::Db,
    mst: &str,
    code: &str,
) -> ApiResult<(LookupResult, String)> {
    let not_found = || ApiError::not_found("invoice");
    let row = store::invoice_by_code(db, mst.trim(), code.trim().to_ascii_uppercase().as_str())
        .await?
        .ok_or_else(not_found)?;
    let xml = store::signed_xml(db, row.id).await?.ok_or_else(not_found)?;
    let inv = einvoice::read_invoice(&xml).map_err(|e| stored_unreadable(row.id, &e))?;
    let reports = einvoice::verify_signatures(&xml, &einvoice::VerifyOptions::default());
    let (valid, signer) = match &reports {
        Ok(r) if !r.is_empty() => (
            r.iter().all(|s| s.is_valid()),
            r.first()
                .and_then(|s| s.certificate.as_ref())
                .map(|c| c.subject.clone()),
        ),
        _ => (false, None),
    };
    let lines = inv
        .lines
        .iter()
        .map(|l| LookupLine {
            name: l.name.clone(),
            unit: l.unit.clone().unwrap_or_default(),
            quantity: l.quantity.map(quantity_text).unwrap_or_default(),
            unit_price: l.unit_price.unwrap_or(0),
            amount: l.amount.unwrap_or(0),
            vat_rate: l
                .vat_rate
                .as_ref()
                .map(|r| r.to_xml(inv.version))
                .unwrap_or_default(),
        })
        .collect();
    Ok((
        LookupResult {
            code: row.code.clone(),
            seller_name: inv.seller.name.clone(),
            seller_tax_code: row.seller_tax_code.clone(),
            issued_at: row.issued_at,
            total: row.total,
            vat_total: row.vat_total,
            total_in_words: inv.totals.total_in_words.clone(),
            lines,
            tax_status: row.tax_status.clone(),
            replaced: row.status == "replaced",
            signature_valid: valid,
            signer,
        },
        xml,
    ))
}

/// 1500 thousandths → "1,5" (Vietnamese decimal comma).
pub fn quantity_text(q: einvoice::Quantity) -> String {
    let whole = q.0 / 1000;
    let frac = (q.0 % 1000).abs();
    if frac == 0 {
        whole.to_string()
    } else {
        let f = format!("{frac:03}");
        format!("{whole},{}", f.trim_end_matches('0'))
    }
}

/// Public buyer look-up by the seller's tax code and the invoice code.
#[utoipa::path(get, path = "/api/v1/invoices/lookup", tag = "einvoice", params(LookupQuery),
    responses((status = 200, body = LookupResult), (status = 404, body = ErrorBody)))]
pub async fn lookup_api(
    State(st): State<AppState>,
    Query(q): Query<LookupQuery>,
) -> ApiResult<Json<LookupResult>> {
    Ok(Json(lookup(&st.db, &q.mst, &q.code).await?.0))
}

/// An invoice this server stored and now cannot read is a fault of ours, not a missing page.
pub(super) fn stored_unreadable(id: i64, e: &einvoice::ReadError) -> ApiError {
    tracing::error!(invoice = id, error = %e, "stored invoice XML unreadable");
    ApiError::internal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(quantity_milli(&serde_json::json!("1.5")), Some(1500));
        assert_eq!(quantity_milli(&serde_json::json!(2)), Some(2000));
        assert_eq!(quantity_milli(&serde_json::json!(12.345)), Some(12345));
        assert_eq!(quantity_milli(&serde_json::json!("0")), None);
        assert_eq!(quantity_milli(&serde_json::json!("1.2345")), None);
        assert_eq!(quantity_milli(&serde_json::json!(true)), None);
        assert_eq!(quantity_text(einvoice::Quantity(1500)), "1,5");
        assert_eq!(quantity_text(einvoice::Quantity(12345)), "12,345");
        assert_eq!(quantity_text(einvoice::Quantity(2000)), "2");
    }
}
