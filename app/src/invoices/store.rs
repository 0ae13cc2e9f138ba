//! Reads and writes of registers, products, taxpayers, sales and invoices (both engines).

use super::{InvoiceRow, Product, Register, Sale, Taxpayer};
use crate::db::{Db, now_micros};
use crate::with_db;

const TAXPAYER_COLS: &str = "merchant_id, form, symbol_suffix, mtt_code, status, message_id, \
    reasons, created_at, updated_at";
const PRODUCT_COLS: &str =
    "id, merchant_id, name, unit, unit_price, vat_rate, is_fuel, active, created_at";
const REGISTER_COLS: &str =
    "id, merchant_id, stall_id, kind, label, fuel_product_id, status, created_at";
const SALE_COLS: &str = "id, register_id, merchant_id, client_key, cart, total, method, buyer, \
    payment_request_id, replaces_invoice_id, replace_reason, status, created_at";
pub const INVOICE_COLS: &str = "id, merchant_id, register_id, sale_id, form, symbol, number, \
    year, code, seller_tax_code, issued_at, total, vat_total, payment_method, has_buyer, \
    replaces_id, status, tax_status, tax_reasons";

pub async fn taxpayer(db: &Db, merchant_id: i64) -> sqlx::Result<Option<Taxpayer>> {
    let sql = format!("SELECT {TAXPAYER_COLS} FROM invoice_taxpayers WHERE merchant_id = $1");
    with_db!(db, p => sqlx::query_as::<_, Taxpayer>(sqlx::AssertSqlSafe(sql)).bind(merchant_id).fetch_optional(p).await)
}

/// Records a registration as sent (or re-sent): status pending with the message id.
pub async fn taxpayer_pending(
    db: &Db,
    merchant_id: i64,
    form: i16,
    symbol_suffix: &str,
    message_id: &str,
    is_demo: bool,
) -> sqlx::Result<()> {
    let now = now_micros();
    with_db!(db, p => sqlx::query(
        "INSERT INTO invoice_taxpayers (merchant_id, form, symbol_suffix, status, message_id, \
         is_demo, created_at, updated_at) VALUES ($1, $2, $3, 'pending', $4, $5, $6, $6) \
         ON CONFLICT (merchant_id) DO UPDATE SET form = excluded.form, \
         symbol_suffix = excluded.symbol_suffix, message_id = excluded.message_id, \
         status = CASE WHEN invoice_taxpayers.mtt_code IS NULL THEN 'pending' \
         ELSE invoice_taxpayers.status END, updated_at = excluded.updated_at")
        .bind(merchant_id).bind(form).bind(symbol_suffix).bind(message_id).bind(is_demo).bind(now)
        .execute(p).await.map(|_| ()))
}

/// The tax authority's answer (103): the 5-character code, or the reasons of a refusal.
pub async fn taxpayer_answered(
    db: &Db,
    merchant_id: i64,
    mtt_code: Option<&str>,
    reasons: &str,
) -> sqlx::Result<()> {
    let status = if mtt_code.is_some() {
        "registered"
    } else {
        "refused"
    };
    with_db!(db, p => sqlx::query(
        "UPDATE invoice_taxpayers SET mtt_code = COALESCE($2, mtt_code), status = $3, \
         reasons = $4, updated_at = $5 WHERE merchant_id = $1")
        .bind(merchant_id).bind(mtt_code).bind(status).bind(reasons).bind(now_micros())
        .execute(p).await.map(|_| ()))
}

pub struct NewProduct<'a> {
    pub merchant_id: i64,
    pub name: &'a str,
    pub unit: &'a str,
    pub unit_price: i64,
    pub vat_rate: &'a str,
    pub is_fuel: bool,
    pub is_demo: bool,
}

pub async fn create_product(db: &Db, n: &NewProduct<'_>) -> sqlx::Result<Product> {
    let now = now_micros();
    let sql = format!(
        "INSERT INTO products (merchant_id, name, unit, unit_price, vat_rate, is_fuel, \
         search_text, is_demo, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING {PRODUCT_COLS}"
    );
    let search = crate::text::search_key(&[n.name]);
    with_db!(db, p => sqlx::query_as::<_, Product>(sqlx::AssertSqlSafe(sql))
        .bind(n.merchant_id).bind(n.name).bind(n.unit).bind(n.unit_price).bind(n.vat_rate)
        .bind(n.is_fuel).bind(&search).bind(n.is_demo).bind(now).fetch_one(p).await)
}

pub async fn products(db: &Db, merchant_id: i64) -> sqlx::Result<Vec<Product>> {
    let sql = format!(
        "SELECT {PRODUCT_COLS} FROM products WHERE merchant_id = $1 AND active ORDER BY name"
    );
    with_db!(db, p => sqlx::query_as::<_, Product>(sqlx::AssertSqlSafe(sql)).bind(merchant_id).fetch_all(p).await)
}

pub async fn product(db: &Db, id: i64) -> sqlx::Result<Option<Product>> {
    let sql = format!("SELECT {PRODUCT_COLS} FROM products WHERE id = $1");
    with_db!(db, p => sqlx::query_as::<_, Product>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)
}

pub struct NewRegister<'a> {
    pub merchant_id: i64,
    pub stall_id: Option<i64>,
    pub kind: &'a str,
    pub label: &'a str,
    pub fuel_product_id: Option<i64>,
    pub is_demo: bool,
}

pub async fn create_register(db: &Db, n: &NewRegister<'_>) -> sqlx::Result<Register> {
    let sql = format!(
        "INSERT INTO registers (merchant_id, stall_id, kind, label, fuel_product_id, status, \
         is_demo, created_at) VALUES ($1, $2, $3, $4, $5, 'active', $6, $7) \
         RETURNING {REGISTER_COLS}"
    );
    with_db!(db, p => sqlx::query_as::<_, Register>(sqlx::AssertSqlSafe(sql))
        .bind(n.merchant_id).bind(n.stall_id).bind(n.kind).bind(n.label).bind(n.fuel_product_id)
        .bind(n.is_demo).bind(now_micros()).fetch_one(p).await)
}

pub async fn register(db: &Db, id: i64) -> sqlx::Result<Option<Register>> {
    let sql = format!("SELECT {REGISTER_COLS} FROM registers WHERE id = $1");
    with_db!(db, p => sqlx::query_as::<_, Register>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)
}

pub async fn registers(db: &Db, merchant_id: i64) -> sqlx::Result<Vec<Register>> {
    let sql = format!(
        "SELECT {REGISTER_COLS} FROM registers WHERE merchant_id = $1 ORDER BY kind, label"
    );
    with_db!(db, p => sqlx::query_as::<_, Register>(sqlx::AssertSqlSafe(sql)).bind(merchant_id).fetch_all(p).await)
}

/// Registers the person may sell at (the first 200 for viewers that see everything).
pub async fn registers_for(db: &Db, merchants: &[i64], all: bool) -> sqlx::Result<Vec<Register>> {
    // Ids come from the caller's own grants: integers, safe to inline. Only the view of
    // everything is capped; a person's own registers are all listed.
    let (filter, limit) = match (all, merchants.is_empty()) {
        (true, _) => (String::new(), "LIMIT 200"),
        (false, true) => return Ok(Vec::new()),
        (false, false) => (
            format!("WHERE merchant_id IN ({})", crate::db::id_list(merchants)),
            "",
        ),
    };
    let sql = format!(
        "SELECT {REGISTER_COLS} FROM registers {filter} ORDER BY merchant_id, kind, label {limit}"
    );
    with_db!(db, p => sqlx::query_as::<_, Register>(sqlx::AssertSqlSafe(sql)).fetch_all(p).await)
}

pub struct NewSale<'a> {
    pub register_id: i64,
    pub merchant_id: i64,
    pub client_key: &'a str,
    pub cart: &'a str,
    pub total: i64,
    pub method: &'a str,
    pub buyer: Option<&'a str>,
    pub payment_request_id: Option<i64>,
    pub replaces: Option<(i64, &'a str)>,
    pub status: &'a str,
    pub created_by: Option<i64>,
}

/// Inserts the sale, or returns the one the register already sent with this key (a retry).
pub async fn insert_sale(db: &Db, n: &NewSale<'_>) -> sqlx::Result<(Sale, bool)> {
    let mut tx = db.begin().await?;
    match insert_sale_in(&mut tx, n).await {
        Ok(s) => {
            tx.commit().await?;
            Ok((s, true))
        }
        Err(e) if crate::db::is_unique_violation(&e) => {
            drop(tx);
            let s = sale_by_key(db, n.register_id, n.client_key).await?;
            Ok((s.ok_or(e)?, false))
        }
        Err(e) => Err(e),
    }
}

/// Inserts a sale inside a transaction (a repeated key is a unique violation).
pub async fn insert_sale_in(tx: &mut crate::db::Tx, n: &NewSale<'_>) -> sqlx::Result<Sale> {
    use crate::db::Arg;
    let sql = format!(
        "INSERT INTO sales (register_id, merchant_id, client_key, cart, total, method, buyer, \
         payment_request_id, status, created_by, created_at, replaces_invoice_id, replace_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING {SALE_COLS}"
    );
    tx.fetch_row(
        &sql,
        &[
            Arg::I64(n.register_id),
            Arg::I64(n.merchant_id),
            Arg::Text(n.client_key.to_string()),
            Arg::Text(n.cart.to_string()),
            Arg::I64(n.total),
            Arg::Text(n.method.to_string()),
            Arg::OptText(n.buyer.map(str::to_string)),
            Arg::OptI64(n.payment_request_id),
            Arg::Text(n.status.to_string()),
            Arg::OptI64(n.created_by),
            Arg::I64(now_micros()),
            Arg::OptI64(n.replaces.map(|r| r.0)),
            Arg::OptText(n.replaces.map(|r| r.1.to_string())),
        ],
    )
    .await
}

pub async fn sale_by_key(db: &Db, register_id: i64, key: &str) -> sqlx::Result<Option<Sale>> {
    let sql = format!("SELECT {SALE_COLS} FROM sales WHERE register_id = $1 AND client_key = $2");
    with_db!(db, p => sqlx::query_as::<_, Sale>(sqlx::AssertSqlSafe(sql))
        .bind(register_id).bind(key).fetch_optional(p).await)
}

pub async fn sale(db: &Db, id: i64) -> sqlx::Result<Option<Sale>> {
    let sql = format!("SELECT {SALE_COLS} FROM sales WHERE id = $1");
    with_db!(db, p => sqlx::query_as::<_, Sale>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)
}

pub async fn invoice(db: &Db, id: i64) -> sqlx::Result<Option<InvoiceRow>> {
    let sql = format!("SELECT {INVOICE_COLS} FROM invoices WHERE id = $1");
    with_db!(db, p => sqlx::query_as::<_, InvoiceRow>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)
}

pub async fn invoice_of_sale(db: &Db, sale_id: i64) -> sqlx::Result<Option<InvoiceRow>> {
    let sql = format!("SELECT {INVOICE_COLS} FROM invoices WHERE sale_id = $1");
    with_db!(db, p => sqlx::query_as::<_, InvoiceRow>(sqlx::AssertSqlSafe(sql)).bind(sale_id).fetch_optional(p).await)
}

/// The buyer look-up: the seller's tax code and the invoice's code.
pub async fn invoice_by_code(
    db: &Db,
    seller_tax_code: &str,
    code: &str,
) -> sqlx::Result<Option<InvoiceRow>> {
    let sql =
        format!("SELECT {INVOICE_COLS} FROM invoices WHERE seller_tax_code = $1 AND code = $2");
    with_db!(db, p => sqlx::query_as::<_, InvoiceRow>(sqlx::AssertSqlSafe(sql))
        .bind(seller_tax_code).bind(code).fetch_optional(p).await)
}

/// The signed XML of an invoice (None until it is signed, a moment after it is stored).
pub async fn signed_xml(db: &Db, id: i64) -> sqlx::Result<Option<String>> {
    let x = with_db!(db, p => sqlx::query_scalar::<_, String>("SELECT signed_xml FROM invoices WHERE id = $1")
        .bind(id).fetch_optional(p).await)?;
    Ok(x.filter(|x| !x.is_empty()))
}

/// The invoice as sent to the tax authority (no seller signature).
pub async fn unsigned_xml(db: &Db, id: i64) -> sqlx::Result<Option<String>> {
    with_db!(db, p => sqlx::query_scalar::<_, String>("SELECT xml FROM invoices WHERE id = $1")
        .bind(id).fetch_optional(p).await)
}

/// Filters of the invoice list.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceQuery {
    pub merchant_id: Option<i64>,
    pub register_id: Option<i64>,
    /// pending, sent, accepted or refused.
    pub tax_status: Option<String>,
    /// 1-based page.
    pub page: Option<u32>,
    /// Items per page (1–200, default 50).
    pub per_page: Option<u32>,
}

impl InvoiceQuery {
    pub fn limit(&self) -> i64 {
        i64::from(self.per_page.unwrap_or(50).clamp(1, 200))
    }
    pub fn offset(&self) -> i64 {
        i64::from(self.page.unwrap_or(1).max(1) - 1) * self.limit()
    }
}

/// Invoices, newest first; `merchants` limits them to those merchants unless `None` (viewers
/// that see everything).
pub async fn list_invoices(
    db: &Db,
    q: &InvoiceQuery,
    merchants: Option<&[i64]>,
) -> sqlx::Result<(Vec<InvoiceRow>, i64)> {
    let mut wh = vec!["1 = 1".to_string()];
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if q.merchant_id.is_some() {
        wh.push(format!("merchant_id = {}", next()));
    }
    if q.register_id.is_some() {
        wh.push(format!("register_id = {}", next()));
    }
    if q.tax_status.is_some() {
        wh.push(format!("tax_status = {}", next()));
    }
    if let Some(ms) = merchants {
        // Ids are integers from the caller's own grants: safe to inline.
        let list = if ms.is_empty() {
            "NULL".to_string()
        } else {
            ms.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        };
        wh.push(format!("merchant_id IN ({list})"));
    }
    let wh = wh.join(" AND ");
    let lim = next();
    let off = next();
    let sql = format!(
        "SELECT {INVOICE_COLS} FROM invoices WHERE {wh} ORDER BY issued_at DESC, id DESC \
         LIMIT {lim} OFFSET {off}"
    );
    let count = format!("SELECT COUNT(*) FROM invoices WHERE {wh}");
    let items = with_db!(db, p => {
        let mut s = sqlx::query_as::<_, InvoiceRow>(sqlx::AssertSqlSafe(sql));
        if let Some(v) = q.merchant_id { s = s.bind(v); }
        if let Some(v) = q.register_id { s = s.bind(v); }
        if let Some(v) = &q.tax_status { s = s.bind(v.clone()); }
        s.bind(q.limit()).bind(q.offset()).fetch_all(p).await
    })?;
    let total = with_db!(db, p => {
        let mut s = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count));
        if let Some(v) = q.merchant_id { s = s.bind(v); }
        if let Some(v) = q.register_id { s = s.bind(v); }
        if let Some(v) = &q.tax_status { s = s.bind(v.clone()); }
        s.fetch_one(p).await
    })?;
    Ok((items, total))
}
