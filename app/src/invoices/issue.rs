//! Issuing an invoice for a sale: the next number of the seller's year, the invoice built and
//! signed by the `einvoice` crate, stored in the same transaction that took the number.

use einvoice::{
    Buyer, Date, FormatVersion, Invoice, Line, LocalDateTime, MttCode, Quantity, Seller, VatRate,
};

use super::store::{self, INVOICE_COLS};
use super::{BuyerInput, CartLine, InvoiceRow, Sale, Taxpayer};
use crate::db::{Arg, Db, now_micros};
use crate::register::Merchant;

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("the seller is not registered for cash-register invoices")]
    NotRegistered,
    #[error("no e-invoice signing key is configured")]
    NoSigner,
    #[error("invalid invoice: {0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<IssueError> for crate::error::ApiError {
    fn from(e: IssueError) -> Self {
        use crate::error::ApiError;
        use axum::http::StatusCode;
        match e {
            IssueError::NotRegistered => ApiError::new(
                StatusCode::CONFLICT,
                "einvoice_not_registered",
                "Người bán chưa được cơ quan thuế chấp nhận dùng hóa đơn từ máy tính tiền",
                "The seller is not registered for cash-register invoices",
            ),
            IssueError::NoSigner => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "einvoice_no_signing_key",
                "Chưa cấu hình chữ ký số cho hóa đơn",
                "No e-invoice signing key is configured",
            ),
            IssueError::Invalid(m) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "einvoice_invalid",
                &format!("Hóa đơn không hợp lệ: {m}"),
                &format!("Invalid invoice: {m}"),
            ),
            IssueError::Db(e) => e.into(),
        }
    }
}

/// Local (Asia/Ho_Chi_Minh) date and time of a UTC instant in microseconds.
pub fn local_datetime(micros: i64) -> LocalDateTime {
    let t = time::OffsetDateTime::from_unix_timestamp(micros.div_euclid(1_000_000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+7));
    let date = Date::new(t.year() as u16, u8::from(t.month()), t.day()).unwrap_or_default();
    LocalDateTime::new(date, t.hour(), t.minute(), t.second()).unwrap_or_default()
}

/// The symbol of a cash-register invoice: `C` (coded), the year, `M`, the seller's two letters.
pub fn symbol(year: u16, suffix: &str) -> String {
    format!("C{:02}M{suffix}", year % 100)
}

pub fn title(form: i16) -> &'static str {
    if form == 1 {
        "Hóa đơn giá trị gia tăng khởi tạo từ máy tính tiền"
    } else {
        "Hóa đơn bán hàng khởi tạo từ máy tính tiền"
    }
}

/// Builds the invoice of a sale. On sales invoices (form 2) lines carry no VAT rate and the
/// total is the sum of the lines.
pub fn build(
    merchant: &Merchant,
    taxpayer: &Taxpayer,
    cart: &[CartLine],
    buyer: Option<&BuyerInput>,
    number: u32,
    at: LocalDateTime,
) -> Result<Invoice, IssueError> {
    let code5 = taxpayer
        .mtt_code
        .as_deref()
        .ok_or(IssueError::NotRegistered)?;
    let year = at.date.year();
    let form = u8::try_from(taxpayer.form).unwrap_or(0);
    let code = MttCode::new(form, (year % 100) as u8, code5, u64::from(number))
        .map_err(|e| IssueError::Invalid(e.to_string()))?;
    let mut lines = Vec::with_capacity(cart.len());
    for (i, c) in cart.iter().enumerate() {
        let rate = (form == 1).then(|| VatRate::parse(&c.vat_rate));
        let mut line = Line::goods(
            &c.name,
            &c.unit,
            Quantity(c.quantity_milli),
            c.unit_price,
            rate.clone().unwrap_or(VatRate::Kct),
        );
        line.vat_rate = rate;
        line.number = Some(u32::try_from(i + 1).unwrap_or(u32::MAX));
        if line.amount.is_none() {
            return Err(IssueError::Invalid(format!(
                "line {} amount overflows",
                i + 1
            )));
        }
        lines.push(line);
    }
    let mut inv = Invoice {
        version: FormatVersion::V2_0_1,
        data_id: format!("DLHDon-{number}"),
        title: title(taxpayer.form).into(),
        form,
        symbol: symbol(year, &taxpayer.symbol_suffix),
        number,
        issue_date: at.date,
        seller: Seller {
            name: merchant.name.clone(),
            tax_code: merchant.tax_code.clone(),
            address: merchant.address.clone(),
            phone: merchant.phone.clone(),
            ..Seller::default()
        },
        buyer: buyer.map(|b| Buyer {
            name: b.name.clone(),
            tax_code: b.tax_code.clone(),
            address: b.address.clone(),
            phone: b.phone.clone(),
            citizen_id: b.citizen_id.clone(),
            ..Buyer::default()
        }),
        lines,
        authority_code: Some(code.to_string()),
        ..Invoice::default()
    };
    inv.recompute_totals()
        .map_err(|e| IssueError::Invalid(e.to_string()))?;
    Ok(inv)
}

/// Builds the invoice a sale would give (with a placeholder number) and checks it with every
/// rule of the `einvoice` crate, so that a sale that cannot be invoiced is refused before it is
/// recorded. Returns the total the invoice will state (VAT included on VAT invoices).
pub fn check(
    merchant: &Merchant,
    taxpayer: &Taxpayer,
    cart: &[CartLine],
    buyer: Option<&BuyerInput>,
) -> Result<i64, IssueError> {
    let inv = build(
        merchant,
        taxpayer,
        cart,
        buyer,
        1,
        local_datetime(now_micros()),
    )?;
    validated(&inv)?;
    Ok(inv.totals.total)
}

fn validated(inv: &Invoice) -> Result<(), IssueError> {
    let errors: Vec<String> = einvoice::validate(inv, &einvoice::Context::default())
        .into_iter()
        .filter(|v| v.severity == einvoice::Severity::Error)
        .map(|v| format!("{} {}", v.path, v.message_vi))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(IssueError::Invalid(errors.join("; ")))
    }
}

/// Everything an invoice needs besides its number, read before the transaction opens so the
/// seller's number row stays locked for as short as possible.
struct Prepared {
    merchant: Merchant,
    taxpayer: Taxpayer,
    cart: Vec<CartLine>,
    buyer: Option<BuyerInput>,
    /// The invoice a correction replaces.
    replaced: Option<(i64, Invoice)>,
}

async fn prepare(
    db: &Db,
    merchant_id: i64,
    cart: &str,
    buyer: Option<&str>,
    replaces: Option<i64>,
) -> Result<Prepared, IssueError> {
    let merchant = crate::register::store::get_merchant(db, merchant_id)
        .await?
        .ok_or_else(|| IssueError::Invalid("unknown merchant".into()))?;
    let taxpayer = store::taxpayer(db, merchant_id)
        .await?
        .filter(|t| t.mtt_code.is_some())
        .ok_or(IssueError::NotRegistered)?;
    let cart: Vec<CartLine> =
        serde_json::from_str(cart).map_err(|e| IssueError::Invalid(e.to_string()))?;
    let buyer: Option<BuyerInput> = match buyer {
        Some(b) => Some(serde_json::from_str(b).map_err(|e| IssueError::Invalid(e.to_string()))?),
        None => None,
    };
    let replaced = match replaces {
        Some(old) => {
            let xml = store::unsigned_xml(db, old)
                .await?
                .ok_or_else(|| IssueError::Invalid("unknown invoice to replace".into()))?;
            Some((
                old,
                einvoice::read_invoice(&xml).map_err(|e| IssueError::Invalid(e.to_string()))?,
            ))
        }
        None => None,
    };
    Ok(Prepared {
        merchant,
        taxpayer,
        cart,
        buyer,
        replaced,
    })
}

/// An invoice stored but not yet signed: signing (about a millisecond of RSA) happens after
/// the commit, outside the seller's number lock.
pub struct Unsigned {
    pub row: InvoiceRow,
    xml: String,
    at: LocalDateTime,
}

/// Takes the seller's next number, builds, checks and stores the invoice of `sale` (status
/// `invoiced`), and for a correction marks the old invoice replaced and queues the 303 — all
/// in the caller's transaction, so a failure anywhere rolls the number back.
async fn number_and_store(
    tx: &mut crate::db::Tx,
    sale: &Sale,
    p: &Prepared,
    is_demo: bool,
) -> Result<Unsigned, IssueError> {
    let now = now_micros();
    let at = local_datetime(now);
    let number = tx
        .fetch_i64(
            "INSERT INTO invoice_counters (merchant_id, year, last_number) VALUES ($1, $2, 1) \
             ON CONFLICT (merchant_id, year) DO UPDATE \
             SET last_number = invoice_counters.last_number + 1 RETURNING last_number",
            &[
                Arg::I64(sale.merchant_id),
                Arg::I64(i64::from(at.date.year())),
            ],
        )
        .await?;
    let number = u32::try_from(number)
        .ok()
        .filter(|n| *n <= 99_999_999)
        .ok_or_else(|| IssueError::Invalid("yearly numbers exhausted".into()))?;
    let mut inv = build(
        &p.merchant,
        &p.taxpayer,
        &p.cart,
        p.buyer.as_ref(),
        number,
        at,
    )?;
    if let Some((_, old)) = &p.replaced {
        inv.related = Some(einvoice::RelatedInvoice {
            relation: 1,
            source_kind: 1,
            form: old.form.to_string(),
            symbol: old.symbol.clone(),
            number: old.number.to_string(),
            date: old.issue_date,
            note: sale.replace_reason.clone(),
        });
    }
    validated(&inv)?;
    let xml = einvoice::write_invoice(&inv);
    let sql = format!(
        "INSERT INTO invoices (merchant_id, register_id, sale_id, form, symbol, number, year, \
         code, seller_tax_code, issued_at, total, vat_total, payment_method, has_buyer, \
         status, tax_status, xml, signed_xml, is_demo, replaces_id) VALUES ($1, $2, $3, $4, \
         $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'issued', 'pending', $15, '', $16, $17) \
         RETURNING {INVOICE_COLS}"
    );
    let args = [
        Arg::I64(sale.merchant_id),
        Arg::I64(sale.register_id),
        Arg::I64(sale.id),
        Arg::I16(p.taxpayer.form),
        Arg::Text(inv.symbol.clone()),
        Arg::I64(i64::from(number)),
        Arg::I32(i32::from(at.date.year())),
        Arg::Text(inv.authority_code.clone().unwrap_or_default()),
        Arg::Text(p.merchant.tax_code.clone()),
        Arg::I64(now),
        Arg::I64(inv.totals.total),
        Arg::I64(inv.totals.tax),
        Arg::Text(sale.method.clone()),
        Arg::Bool(p.buyer.is_some()),
        Arg::Text(xml.clone()),
        Arg::Bool(is_demo),
        Arg::OptI64(p.replaced.as_ref().map(|r| r.0)),
    ];
    let row = tx.fetch_row::<InvoiceRow>(&sql, &args).await?;
    tx.execute(
        "UPDATE sales SET status = 'invoiced' WHERE id = $1",
        &[Arg::I64(sale.id)],
    )
    .await?;
    if let Some((old_id, old)) = &p.replaced {
        let n = tx
            .execute(
                "UPDATE invoices SET status = 'replaced' WHERE id = $1 AND status = 'issued'",
                &[Arg::I64(*old_id)],
            )
            .await?;
        if n != 1 {
            return Err(IssueError::Invalid(
                "the invoice was already replaced".into(),
            ));
        }
        let m = &p.merchant;
        let h = super::sender::header(&m.tax_code, einvoice::envelope::code::MTT_ERROR_NOTICE);
        let notice = einvoice::envelope::ErrorNotice {
            header: h.clone(),
            data_id: "DLTBao".into(),
            notice_kind: 1,
            tax_office: ("22700".into(), "Thuế tỉnh Quảng Ninh".into()),
            taxpayer_name: m.name.clone(),
            tax_code: m.tax_code.clone(),
            place: "Quảng Ninh".into(),
            date: at.date,
            invoices: vec![einvoice::envelope::ErrorNoticeInvoice::of(
                old,
                einvoice::envelope::NoticeAction::Replace,
                sale.replace_reason.as_deref().unwrap_or("Thay thế"),
            )],
        };
        let notice = einvoice::envelope::write_303(&h, &notice);
        tx.execute(
            "INSERT INTO tax_messages (merchant_id, kind, message_id, xml, invoice_count, status, \
             next_attempt_at, created_at, updated_at) VALUES ($1, '303', $2, $3, 1, 'pending', $4, $4, $4)",
            &[Arg::I64(sale.merchant_id), Arg::Text(h.id.clone()), Arg::Text(notice), Arg::I64(now)],
        )
        .await?;
    }
    Ok(Unsigned { row, xml, at })
}

/// Signs a stored invoice (seller signature over DLHDon and the signing time) and keeps the
/// signed XML for buyers.
async fn sign_and_keep(
    db: &Db,
    signer: &einvoice::SigningKey,
    u: Unsigned,
) -> Result<InvoiceRow, IssueError> {
    let signed = einvoice::sign_invoice(&u.xml, signer, u.at)
        .map_err(|e| IssueError::Invalid(e.to_string()))?;
    crate::with_db!(db, p => sqlx::query(
        "UPDATE invoices SET signed_xml = $1 WHERE id = $2 AND signed_xml = ''")
        .bind(&signed).bind(u.row.id).execute(p).await.map(|_| ()))?;
    Ok(u.row)
}

/// Signs invoices a crash left unsigned between their commit and their signature.
pub async fn sign_unsigned(db: &Db, signer: &einvoice::SigningKey) -> Result<usize, IssueError> {
    let rows: Vec<(i64, String, i64)> = crate::with_db!(db, p => sqlx::query_as(
        "SELECT id, xml, issued_at FROM invoices WHERE signed_xml = '' ORDER BY id LIMIT 500")
        .fetch_all(p).await)?;
    let n = rows.len();
    for (id, xml, issued_at) in rows {
        let Some(row) = store::invoice(db, id).await? else {
            continue;
        };
        let u = Unsigned {
            row,
            xml,
            at: local_datetime(issued_at),
        };
        sign_and_keep(db, signer, u).await?;
    }
    Ok(n)
}

/// Issues the invoice of a recorded sale (a QR sale once paid), once: a second call returns
/// the first invoice.
pub async fn issue_sale(
    db: &Db,
    signer: Option<&einvoice::SigningKey>,
    sale: &Sale,
    is_demo: bool,
) -> Result<InvoiceRow, IssueError> {
    if let Some(inv) = store::invoice_of_sale(db, sale.id).await? {
        return Ok(inv);
    }
    let signer = signer.ok_or(IssueError::NoSigner)?;
    let p = prepare(
        db,
        sale.merchant_id,
        &sale.cart,
        sale.buyer.as_deref(),
        sale.replaces_invoice_id,
    )
    .await?;
    let mut tx = db.begin().await?;
    let u = match number_and_store(&mut tx, sale, &p, is_demo).await {
        Ok(u) => u,
        // Another request issued this sale's invoice first: ours rolls back with its number.
        Err(IssueError::Db(e)) if crate::db::is_unique_violation(&e) => {
            drop(tx);
            return store::invoice_of_sale(db, sale.id)
                .await?
                .ok_or(IssueError::Db(e));
        }
        Err(e) => return Err(e),
    };
    tx.commit().await?;
    sign_and_keep(db, signer, u).await
}

/// Records a register sale paid at the register and issues its invoice in the same
/// transaction (one durable commit per sale). A sale the register sends again (same key)
/// returns the first one: `(sale, invoice, fresh)`.
pub async fn sell(
    db: &Db,
    signer: Option<&einvoice::SigningKey>,
    n: &store::NewSale<'_>,
    is_demo: bool,
) -> Result<(Sale, InvoiceRow, bool), IssueError> {
    let signer = signer.ok_or(IssueError::NoSigner)?;
    let p = prepare(db, n.merchant_id, n.cart, n.buyer, n.replaces.map(|r| r.0)).await?;
    let mut tx = db.begin().await?;
    let sale = match store::insert_sale_in(&mut tx, n).await {
        Ok(s) => s,
        Err(e) if crate::db::is_unique_violation(&e) => {
            drop(tx);
            let sale = store::sale_by_key(db, n.register_id, n.client_key)
                .await?
                .ok_or(IssueError::Db(e))?;
            let inv = issue_sale(db, Some(signer), &sale, is_demo).await?;
            return Ok((sale, inv, false));
        }
        Err(e) => return Err(e.into()),
    };
    let u = number_and_store(&mut tx, &sale, &p, is_demo).await?;
    tx.commit().await?;
    let row = sign_and_keep(db, signer, u).await?;
    let sale = store::sale(db, sale.id).await?.unwrap_or(sale);
    Ok((sale, row, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merchant() -> Merchant {
        Merchant {
            id: 1,
            tax_code: "0106324653".into(),
            name: "Hộ kinh doanh Bà Lan".into(),
            kind: "household".into(),
            owner_name: "Nguyễn Thị Lan".into(),
            phone: None,
            address: "Chợ Hạ Long I, Quảng Ninh".into(),
            place_code: "06682".into(),
            payment_methods: "cash".into(),
            status: "active".into(),
            is_demo: false,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn taxpayer(form: i16) -> Taxpayer {
        Taxpayer {
            merchant_id: 1,
            form,
            symbol_suffix: "HL".into(),
            mtt_code: Some("AB12C".into()),
            status: "registered".into(),
            message_id: None,
            reasons: String::new(),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn cart() -> Vec<CartLine> {
        vec![
            CartLine {
                product_id: 1,
                name: "Chả mực Hạ Long".into(),
                unit: "kg".into(),
                quantity_milli: 1500,
                unit_price: 380_000,
                vat_rate: "8%".into(),
            },
            CartLine {
                product_id: 2,
                name: "Nước mắm".into(),
                unit: "chai".into(),
                quantity_milli: 2000,
                unit_price: 45_000,
                vat_rate: "10%".into(),
            },
        ]
    }

    fn at() -> LocalDateTime {
        LocalDateTime::new(Date::new(2026, 11, 27).unwrap(), 9, 15, 0).unwrap()
    }

    #[test]
    fn vat_invoice_is_valid_and_coded() {
        let inv = build(&merchant(), &taxpayer(1), &cart(), None, 42, at()).unwrap();
        assert_eq!(inv.symbol, "C26MHL");
        assert_eq!(
            inv.authority_code.as_deref(),
            Some("M1-26-AB12C-00000000042")
        );
        // 570,000 at 8% + 90,000 at 10%.
        assert_eq!(inv.totals.before_tax, 660_000);
        assert_eq!(inv.totals.tax, 45_600 + 9_000);
        assert_eq!(inv.totals.total, 714_600);
        let errors: Vec<_> = einvoice::validate(&inv, &einvoice::Context::default())
            .into_iter()
            .filter(|v| v.severity == einvoice::Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            check(&merchant(), &taxpayer(1), &cart(), None).unwrap(),
            714_600
        );
        let mut no_address = merchant();
        no_address.address.clear();
        assert!(matches!(
            check(&no_address, &taxpayer(1), &cart(), None),
            Err(IssueError::Invalid(m)) if m.contains("DChi")
        ));
    }

    #[test]
    fn sales_invoice_totals_without_vat() {
        let inv = build(&merchant(), &taxpayer(2), &cart(), None, 1, at()).unwrap();
        assert_eq!(inv.totals.total, 660_000);
        assert_eq!(inv.totals.tax, 0);
        assert!(
            inv.totals
                .total_in_words
                .starts_with("Sáu trăm sáu mươi nghìn")
        );
        assert!(inv.lines.iter().all(|l| l.vat_rate.is_none()));
        let errors: Vec<_> = einvoice::validate(&inv, &einvoice::Context::default())
            .into_iter()
            .filter(|v| v.severity == einvoice::Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn unregistered_seller_cannot_issue() {
        let mut t = taxpayer(1);
        t.mtt_code = None;
        assert!(matches!(
            build(&merchant(), &t, &cart(), None, 1, at()),
            Err(IssueError::NotRegistered)
        ));
    }

    #[test]
    fn local_time_is_vietnam() {
        // 2026-11-26 17:30 UTC is 27/11 00:30 in Hạ Long.
        let t = local_datetime(1_795_714_200 * 1_000_000);
        assert_eq!((t.date.day(), t.hour, t.minute), (27, 0, 30));
    }
}
