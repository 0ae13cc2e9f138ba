//! Market fees (issue #7): fee schedules per market and stall category, one bill per active
//! stall, period and kind of fee — each payable by its own dynamic VietQR into the market
//! board's account — cash payments recorded by the board with a numbered receipt, and SMS
//! reminders for overdue bills. See docs/fees.md.
//!
//! A bill follows its payment request: `paid_cashless` is the request's `paid_amount`, copied
//! in the same transaction that records a bank notification ([`sync_request_in`], called from
//! `receipts::notify`, the one path every transfer takes, statements included), so reads need
//! no catching up; reminders re-check a market first ([`sync_market`]) before texting anyone.
//! Overdue is derived (unpaid after `due_at`), not stored.

pub mod api;
pub mod demo;
pub mod pages;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::{Arg, Db, Tx, now_micros};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::receipts::requests::amount_error;
use crate::with_db;

/// Kinds of fee with their Vietnamese names.
pub const KINDS: &[(&str, &str)] = &[
    ("rent", "Tiền thuê quầy"),
    ("sanitation", "Phí vệ sinh"),
    ("security", "Phí an ninh, trật tự"),
    ("electricity", "Tiền điện"),
    ("water", "Tiền nước"),
    ("other", "Khoản thu khác"),
];

pub fn kind_vi(kind: &str) -> &str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(kind, |(_, v)| v)
}

/// Default day of the month (local) by the end of which a bill is due.
pub const DEFAULT_DUE_DAY: u8 = 10;
/// A merchant is reminded of an overdue bill at most once in this many days.
pub const REMIND_EVERY_DAYS: i64 = 3;
/// A bill's payment request stays open this long after the bill is due (a later payment by its
/// reference is still counted: it is matched and flagged late).
const REQUEST_OPEN_AFTER_DUE_US: i64 = 90 * 86_400 * 1_000_000;

// ---------------------------------------------------------------- schedules

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Schedule {
    pub id: i64,
    pub market_id: i64,
    /// '' = every stall; otherwise only stalls of this category (overrides '' for its kind).
    pub stall_category: String,
    /// rent, sanitation, security, electricity, water, other.
    pub kind: String,
    /// Integer đồng per stall and month.
    pub amount: i64,
    pub active: bool,
    pub is_demo: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const SCHEDULE_COLS: &str =
    "id, market_id, stall_category, kind, amount, active, is_demo, created_at, updated_at";

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct ScheduleInput {
    #[serde(default)]
    pub stall_category: String,
    pub kind: String,
    /// Integer đồng per stall and month, 1 to 9,999,999,999,999.
    pub amount: i64,
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct ScheduleUpdate {
    pub amount: i64,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

pub fn check_schedule(s: &ScheduleInput) -> ApiResult<ScheduleInput> {
    let mut errors = Vec::new();
    if !KINDS.iter().any(|(k, _)| *k == s.kind) {
        errors.push(FieldError::new(
            "kind",
            "not_allowed",
            "Loại phí là rent, sanitation, security, electricity, water hoặc other",
            "Kind is rent, sanitation, security, electricity, water or other",
        ));
    }
    errors.extend(amount_error(s.amount));
    let category = crate::text::clean(&s.stall_category);
    if category.chars().count() > 100 {
        errors.push(FieldError::new(
            "stall_category",
            "too_long",
            "Tối đa 100 ký tự",
            "At most 100 characters",
        ));
    }
    if errors.is_empty() {
        Ok(ScheduleInput {
            stall_category: category,
            ..s.clone()
        })
    } else {
        Err(ApiError::validation(errors))
    }
}

pub async fn list_schedules(db: &Db, market_id: i64) -> sqlx::Result<Vec<Schedule>> {
    let sql = format!(
        "SELECT {SCHEDULE_COLS} FROM fee_schedules WHERE market_id = $1 \
         ORDER BY stall_category, kind"
    );
    with_db!(db, p => sqlx::query_as::<_, Schedule>(sqlx::AssertSqlSafe(sql)).bind(market_id).fetch_all(p).await)
}

pub async fn get_schedule(db: &Db, id: i64) -> sqlx::Result<Option<Schedule>> {
    let sql = format!("SELECT {SCHEDULE_COLS} FROM fee_schedules WHERE id = $1");
    with_db!(db, p => sqlx::query_as::<_, Schedule>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)
}

/// Creates the schedule of (market, category, kind), or sets its amount and state if it exists
/// (so a retried create changes nothing more). Returns it and whether it was new.
pub async fn upsert_schedule(
    db: &Db,
    market_id: i64,
    s: &ScheduleInput,
    is_demo: bool,
) -> sqlx::Result<(Schedule, bool)> {
    let now = now_micros();
    let sql = format!(
        "INSERT INTO fee_schedules (market_id, stall_category, kind, amount, active, is_demo, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (market_id, stall_category, kind) DO UPDATE SET amount = excluded.amount, \
         active = excluded.active, updated_at = excluded.updated_at RETURNING {SCHEDULE_COLS}"
    );
    let row = with_db!(db, p => sqlx::query_as::<_, Schedule>(sqlx::AssertSqlSafe(sql))
        .bind(market_id).bind(&s.stall_category).bind(&s.kind).bind(s.amount).bind(s.active)
        .bind(is_demo).bind(now).fetch_one(p).await)?;
    let new = row.created_at == now;
    Ok((row, new))
}

pub async fn update_schedule(
    db: &Db,
    id: i64,
    u: &ScheduleUpdate,
) -> sqlx::Result<Option<Schedule>> {
    let sql = format!(
        "UPDATE fee_schedules SET amount = $2, active = $3, updated_at = $4 WHERE id = $1 \
         RETURNING {SCHEDULE_COLS}"
    );
    with_db!(db, p => sqlx::query_as::<_, Schedule>(sqlx::AssertSqlSafe(sql))
        .bind(id).bind(u.amount).bind(u.active).bind(now_micros()).fetch_optional(p).await)
}

// ---------------------------------------------------------------- the market board's account

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct MarketAccount {
    pub market_id: i64,
    /// NAPAS BIN of the bank (see `/api/v1/banks`).
    pub bank_bin: String,
    pub account_number: String,
    pub holder_name: String,
    pub updated_at: i64,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct MarketAccountInput {
    pub bank_bin: String,
    pub account_number: String,
    pub holder_name: String,
}

/// The same rules as a merchant's payout account (bank in the directory, account number shape,
/// holder name).
pub fn check_account(a: &MarketAccountInput) -> ApiResult<MarketAccountInput> {
    let input = crate::register::BankAccountInput {
        bank_bin: a.bank_bin.clone(),
        account_number: a.account_number.clone(),
        holder_name: a.holder_name.clone(),
        is_default: true,
    };
    let ok = crate::register::validate::bank_account(&input).map_err(ApiError::validation)?;
    Ok(MarketAccountInput {
        bank_bin: ok.bank_bin,
        account_number: ok.account_number,
        holder_name: ok.holder_name,
    })
}

pub async fn market_account(db: &Db, market_id: i64) -> sqlx::Result<Option<MarketAccount>> {
    with_db!(db, p => sqlx::query_as::<_, MarketAccount>(
        "SELECT market_id, bank_bin, account_number, holder_name, updated_at FROM market_accounts \
         WHERE market_id = $1").bind(market_id).fetch_optional(p).await)
}

pub async fn set_market_account(
    db: &Db,
    market_id: i64,
    a: &MarketAccountInput,
    by: Option<i64>,
) -> sqlx::Result<MarketAccount> {
    with_db!(db, p => sqlx::query_as::<_, MarketAccount>(
        "INSERT INTO market_accounts (market_id, bank_bin, account_number, holder_name, \
         updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (market_id) DO UPDATE \
         SET bank_bin = excluded.bank_bin, account_number = excluded.account_number, \
         holder_name = excluded.holder_name, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at \
         RETURNING market_id, bank_bin, account_number, holder_name, updated_at")
        .bind(market_id).bind(&a.bank_bin).bind(&a.account_number).bind(&a.holder_name)
        .bind(by).bind(now_micros()).fetch_one(p).await)
}

// ---------------------------------------------------------------- bills

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Bill {
    pub id: i64,
    pub market_id: i64,
    pub stall_id: i64,
    pub stall_code: String,
    pub merchant_id: Option<i64>,
    pub merchant_name: Option<String>,
    /// 'YYYY-MM' (Asia/Ho_Chi_Minh).
    pub period: String,
    pub kind: String,
    /// Integer đồng.
    pub amount: i64,
    /// Unix microseconds (UTC); unpaid after this, the bill is overdue.
    pub due_at: i64,
    /// The bill's dynamic VietQR (`/api/v1/payment-requests/{id}/qr.svg`).
    pub payment_request_id: Option<i64>,
    /// The transfer memo that pays this bill.
    pub reference: Option<String>,
    pub paid_cashless: i64,
    pub paid_cash: i64,
    /// open, partially_paid, paid, cancelled.
    pub status: String,
    pub paid_at: Option<i64>,
    pub last_reminded_at: Option<i64>,
    pub is_demo: bool,
    /// Unpaid (open or partially paid) after `due_at` — derived when read.
    #[sqlx(skip)]
    #[serde(default)]
    pub overdue: bool,
}

impl Bill {
    pub fn remaining(&self) -> i64 {
        (self.amount - self.paid_cash - self.paid_cashless).max(0)
    }

    fn derive(mut self, now: i64) -> Bill {
        self.overdue = is_overdue(&self.status, self.due_at, now);
        self
    }
}

pub fn is_overdue(status: &str, due_at: i64, now: i64) -> bool {
    matches!(status, "open" | "partially_paid") && due_at < now
}

const BILL_SELECT: &str = "SELECT b.id, b.market_id, b.stall_id, s.code AS stall_code, \
    b.merchant_id, m.name AS merchant_name, b.period, b.kind, b.amount, b.due_at, \
    b.payment_request_id, r.reference, b.paid_cashless, b.paid_cash, b.status, b.paid_at, \
    b.last_reminded_at, b.is_demo FROM fee_bills b JOIN stalls s ON s.id = b.stall_id \
    LEFT JOIN merchants m ON m.id = b.merchant_id \
    LEFT JOIN payment_requests r ON r.id = b.payment_request_id";

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct BillQuery {
    /// 'YYYY-MM'; all periods when absent.
    pub period: Option<String>,
}

/// Cash receipts are numbered per market and month: `PT-<market>-<YYYYMM>-<sequence>`.
pub(crate) fn receipt_prefix(market_id: i64, at: i64) -> String {
    format!("PT-{market_id}-{}-", period_of(at).replace('-', ""))
}

pub async fn list_bills(db: &Db, market_id: i64, period: Option<&str>) -> sqlx::Result<Vec<Bill>> {
    let sql = format!(
        "{BILL_SELECT} WHERE b.market_id = $1 AND ($2 IS NULL OR b.period = $2) \
         ORDER BY b.period DESC, s.code, b.kind"
    );
    let now = now_micros();
    let rows = with_db!(db, p => sqlx::query_as::<_, Bill>(sqlx::AssertSqlSafe(sql))
        .bind(market_id).bind(period).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|b| b.derive(now)).collect())
}

/// A merchant's bills in every market, newest period first.
pub async fn merchant_bills(db: &Db, merchant_id: i64) -> sqlx::Result<Vec<Bill>> {
    let sql =
        format!("{BILL_SELECT} WHERE b.merchant_id = $1 ORDER BY b.period DESC, s.code, b.kind");
    let now = now_micros();
    let rows = with_db!(db, p => sqlx::query_as::<_, Bill>(sqlx::AssertSqlSafe(sql))
        .bind(merchant_id).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|b| b.derive(now)).collect())
}

pub async fn get_bill(db: &Db, id: i64) -> sqlx::Result<Option<Bill>> {
    let sql = format!("{BILL_SELECT} WHERE b.id = $1");
    let row = with_db!(db, p => sqlx::query_as::<_, Bill>(sqlx::AssertSqlSafe(sql))
        .bind(id).fetch_optional(p).await)?;
    Ok(row.map(|b| b.derive(now_micros())))
}

// ---------------------------------------------------------------- following the payments

/// What the bill's request has received (the subquery every sync statement uses).
const PAID_BY_REQUEST: &str = "(SELECT r.paid_amount FROM payment_requests r \
    WHERE r.id = fee_bills.payment_request_id)";

fn sync_sql(filter: &str) -> String {
    let q = PAID_BY_REQUEST;
    format!(
        "UPDATE fee_bills SET paid_cashless = {q}, \
         status = CASE WHEN status = 'cancelled' THEN status \
           WHEN paid_cash + {q} >= amount THEN 'paid' \
           WHEN paid_cash + {q} > 0 THEN 'partially_paid' ELSE 'open' END, \
         paid_at = CASE WHEN paid_cash + {q} >= amount THEN COALESCE(paid_at, $2) ELSE NULL END, \
         updated_at = $2 \
         WHERE {filter} AND payment_request_id IS NOT NULL AND paid_cashless <> {q}"
    )
}

/// Brings the bill of one payment request up to date, inside the transaction that has just
/// added a payment to the request (the notification group commit). A no-op for other requests.
pub async fn sync_request_in(tx: &mut Tx, request_id: i64) -> sqlx::Result<()> {
    tx.execute(
        &sync_sql("payment_request_id = $1"),
        &[Arg::I64(request_id), Arg::I64(now_micros())],
    )
    .await
    .map(|_| ())
}

/// Brings every bill of a market up to date with its payment request (idempotent: only bills
/// whose request received something new are written).
pub async fn sync_market(db: &Db, market_id: i64) -> sqlx::Result<u64> {
    let sql = sync_sql("market_id = $1");
    with_db!(db, p => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(market_id).bind(now_micros())
        .execute(p).await.map(|r| r.rows_affected()))
}

// ---------------------------------------------------------------- generating a period

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct GenerateInput {
    /// Calendar month 'YYYY-MM' (Asia/Ho_Chi_Minh).
    pub period: String,
    /// Day of the month (1–28, local time) by the end of which the bill is due; default 10.
    #[serde(default)]
    pub due_day: Option<u8>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct GenerateReport {
    pub period: String,
    pub due_at: i64,
    /// Bills made by this run.
    pub created: i64,
    /// Bills of this period that already existed (a second run creates nothing).
    pub existing: i64,
    /// Active stalls without a merchant (no one to bill).
    pub stalls_without_merchant: i64,
}

/// `(year, month)` of a 'YYYY-MM' period.
pub fn period_error() -> FieldError {
    FieldError::new(
        "period",
        "invalid",
        "Kỳ thu theo dạng YYYY-MM, ví dụ 2026-11",
        "Period as YYYY-MM, e.g. 2026-11",
    )
}

pub fn parse_period(period: &str) -> Option<(i32, u8)> {
    let (y, m) = period.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let y: i32 = y.parse().ok()?;
    let m: u8 = m.parse().ok()?;
    ((2000..=2100).contains(&y) && (1..=12).contains(&m)).then_some((y, m))
}

const VN: time::UtcOffset = time::macros::offset!(+7);

/// The end of `day` of the period, local time, in unix microseconds.
pub fn due_at(year: i32, month: u8, day: u8) -> Option<i64> {
    let month = time::Month::try_from(month).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let end = date.next_day()?.midnight().assume_offset(VN);
    Some(end.unix_timestamp() * 1_000_000)
}

/// 'YYYY-MM' of a moment, local time.
pub fn period_of(micros: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(micros.div_euclid(1_000_000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(VN);
    format!("{:04}-{:02}", t.year(), u8::from(t.month()))
}

pub fn check_generate(g: &GenerateInput) -> ApiResult<(String, i64)> {
    let mut errors = Vec::new();
    let period = parse_period(g.period.trim());
    if period.is_none() {
        errors.push(period_error());
    }
    let day = g.due_day.unwrap_or(DEFAULT_DUE_DAY);
    if !(1..=28).contains(&day) {
        errors.push(FieldError::new(
            "due_day",
            "out_of_range",
            "Hạn nộp là ngày 1 đến 28 của tháng",
            "Due day from 1 to 28",
        ));
    }
    match period {
        Some((y, m)) if errors.is_empty() => {
            let due = due_at(y, m, day).ok_or_else(ApiError::internal)?;
            Ok((format!("{y:04}-{m:02}"), due))
        }
        _ => Err(ApiError::validation(errors)),
    }
}

pub fn no_account_error() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "no_market_account",
        "Chợ chưa có tài khoản nhận tiền của ban quản lý",
        "The market board has no payout account",
    )
}

/// For each active stall with a merchant, the schedule that applies per kind: the one of the
/// stall's category, else the market-wide one (category '').
pub fn applicable<'a>(schedules: &'a [Schedule], category: &str) -> Vec<&'a Schedule> {
    let mut out: Vec<&Schedule> = Vec::new();
    for (kind, _) in KINDS {
        let of_kind = schedules.iter().filter(|s| s.active && s.kind == *kind);
        let specific = of_kind
            .clone()
            .find(|s| !category.is_empty() && s.stall_category == category);
        if let Some(s) = specific.or_else(|| of_kind.clone().find(|s| s.stall_category.is_empty()))
        {
            out.push(s);
        }
    }
    out
}

/// Makes the bills of a period: one per active stall (with a merchant) × applicable schedule,
/// each with its own payment request to the market board's account. Running it again creates
/// nothing new (UNIQUE(stall, period, kind)); bills left without a request by an interrupted
/// run get one.
pub async fn generate(
    db: &Db,
    market_id: i64,
    g: &GenerateInput,
    by: Option<i64>,
    is_demo: bool,
) -> ApiResult<GenerateReport> {
    let (period, due) = check_generate(g)?;
    let account = market_account(db, market_id)
        .await?
        .ok_or_else(no_account_error)?;
    let schedules = list_schedules(db, market_id).await?;
    let stalls: Vec<(i64, String, String, Option<i64>)> = with_db!(db, p => sqlx::query_as(
        "SELECT id, code, category, merchant_id FROM stalls WHERE market_id = $1 \
         AND status = 'active' ORDER BY id").bind(market_id).fetch_all(p).await)?;
    let now = now_micros();
    let mut report = GenerateReport {
        period: period.clone(),
        due_at: due,
        created: 0,
        existing: 0,
        stalls_without_merchant: 0,
    };
    // One transaction for the bills, a few for their requests: a market of 500 stalls is
    // thousands of rows, which autocommitted one by one would each wait for the disk.
    let mut tx = db.begin().await?;
    for (stall_id, _, category, merchant) in &stalls {
        let Some(merchant) = merchant else {
            report.stalls_without_merchant += 1;
            continue;
        };
        for s in applicable(&schedules, category) {
            let new = tx
                .fetch_keys(
                    "INSERT INTO fee_bills (market_id, stall_id, merchant_id, schedule_id, period, \
                     kind, amount, due_at, status, is_demo, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, $10) \
                     ON CONFLICT (stall_id, period, kind) DO NOTHING RETURNING id, kind",
                    &[
                        Arg::I64(market_id),
                        Arg::I64(*stall_id),
                        Arg::I64(*merchant),
                        Arg::I64(s.id),
                        Arg::Text(period.clone()),
                        Arg::Text(s.kind.clone()),
                        Arg::I64(s.amount),
                        Arg::I64(due),
                        Arg::Bool(is_demo),
                        Arg::I64(now),
                    ],
                )
                .await?;
            if new.is_empty() {
                report.existing += 1;
            } else {
                report.created += 1;
            }
        }
    }
    tx.commit().await?;
    attach_requests(db, market_id, &period, &account, by, now).await?;
    Ok(report)
}

/// Bills given their requests per transaction.
const REQUEST_CHUNK: usize = 250;

/// Gives every bill of the period without a payment request its own (to the market board's
/// account). A bill already given one by a concurrent run keeps the first (ours is removed).
async fn attach_requests(
    db: &Db,
    market_id: i64,
    period: &str,
    account: &MarketAccount,
    by: Option<i64>,
    now: i64,
) -> ApiResult<()> {
    let missing: Vec<(i64, i64, i64, String, i64, i64, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT b.id, b.stall_id, b.merchant_id, b.kind, b.amount, b.due_at, s.code \
         FROM fee_bills b JOIN stalls s ON s.id = b.stall_id WHERE b.market_id = $1 \
         AND b.period = $2 AND b.payment_request_id IS NULL AND b.merchant_id IS NOT NULL \
         AND b.status <> 'cancelled' ORDER BY b.id")
        .bind(market_id).bind(period).fetch_all(p).await)?;
    for chunk in missing.chunks(REQUEST_CHUNK) {
        let mut tx = db.begin().await?;
        for (bill, stall, merchant, kind, amount, due, code) in chunk {
            let r = BillRequest {
                bank_bin: &account.bank_bin,
                account_number: &account.account_number,
                stall: *stall,
                payer: *merchant,
                amount: *amount,
                description: &format!("{} {period} quầy {code}", kind_vi(kind)),
                paid: 0,
                created_at: now,
                expires_at: (due + REQUEST_OPEN_AFTER_DUE_US).max(now + 60_000_000),
                created_by: by,
            };
            let request = insert_bill_request(&mut tx, &r).await?;
            let attached = tx
                .execute(
                    "UPDATE fee_bills SET payment_request_id = $2, updated_at = $3 \
                     WHERE id = $1 AND payment_request_id IS NULL",
                    &[Arg::I64(*bill), Arg::I64(request.0), Arg::I64(now)],
                )
                .await?;
            if attached == 0 {
                tx.execute(
                    "DELETE FROM payment_requests WHERE id = $1",
                    &[Arg::I64(request.0)],
                )
                .await?;
            }
        }
        tx.commit().await?;
    }
    Ok(())
}

/// A bill's payment request: a dynamic VietQR for the amount with a fresh reference as memo, to
/// the market board's account; `payer` (the stall's merchant) fills `merchant_id`.
pub(crate) struct BillRequest<'a> {
    pub bank_bin: &'a str,
    pub account_number: &'a str,
    pub stall: i64,
    pub payer: i64,
    pub amount: i64,
    pub description: &'a str,
    /// Already received (the demo's paid bills); 0 otherwise.
    pub paid: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub created_by: Option<i64>,
}

/// Stores a [`BillRequest`] in the transaction; returns its id and reference. The reference is
/// checked free first (random 35 bits: a clash would otherwise abort the whole transaction).
pub(crate) async fn insert_bill_request(
    tx: &mut Tx,
    r: &BillRequest<'_>,
) -> ApiResult<(i64, String)> {
    for _ in 0..5 {
        let reference =
            banknotify::generate_reference(banknotify::DEFAULT_PREFIX, rand::random::<u64>());
        let taken = tx
            .fetch_i64(
                "SELECT COUNT(*) FROM payment_requests WHERE reference = $1",
                &[Arg::Text(reference.clone())],
            )
            .await?;
        if taken > 0 {
            continue;
        }
        let payload = vietqr::VietQr {
            initiation: vietqr::Initiation::Dynamic,
            bin: r.bank_bin.into(),
            account: r.account_number.into(),
            service: Some(vietqr::Service::ToAccount),
            amount: Some(r.amount.unsigned_abs()),
            memo: Some(reference.clone()),
            ..vietqr::VietQr::default()
        }
        .encode()
        .map_err(|e| crate::qr::qr_error(&e))?;
        let status = match r.paid {
            0 => "created",
            p if p >= r.amount => "paid",
            _ => "partially_paid",
        };
        let id = tx
            .fetch_i64(
                "INSERT INTO payment_requests (reference, kind, stall_id, merchant_id, bank_bin, \
                 account_number, amount, paid_amount, status, description, payload, created_by, \
                 created_at, expires_at) VALUES ($1, 'bill', $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                 $11, $12, $13) RETURNING id",
                &[
                    Arg::Text(reference.clone()),
                    Arg::I64(r.stall),
                    Arg::I64(r.payer),
                    Arg::Text(r.bank_bin.into()),
                    Arg::Text(r.account_number.into()),
                    Arg::I64(r.amount),
                    Arg::I64(r.paid),
                    Arg::Text(status.into()),
                    Arg::Text(crate::text::clean(r.description)),
                    Arg::Text(payload),
                    Arg::OptI64(r.created_by),
                    Arg::I64(r.created_at),
                    Arg::I64(r.expires_at),
                ],
            )
            .await?;
        return Ok((id, reference));
    }
    Err(ApiError::internal())
}

// ---------------------------------------------------------------- cash

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct CashInput {
    /// Integer đồng; at most what remains to pay.
    pub amount: i64,
    /// The caller's key: a retry with the same key answers the first payment.
    pub idempotency_key: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct CashPayment {
    pub id: i64,
    pub bill_id: i64,
    pub amount: i64,
    /// `PT-{market}-{yyyymm}-{seq}`, printed on the paper receipt (Phiếu thu).
    pub receipt_no: String,
    pub idempotency_key: String,
    pub received_by: Option<i64>,
    pub received_at: i64,
}

const CASH_COLS: &str =
    "id, bill_id, amount, receipt_no, idempotency_key, received_by, received_at";

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CashResult {
    pub payment: CashPayment,
    pub bill: Bill,
    /// True when this answers a retry of an earlier call with the same key.
    pub replayed: bool,
}

pub fn check_cash(c: &CashInput) -> ApiResult<()> {
    let mut errors = Vec::new();
    errors.extend(amount_error(c.amount));
    let key = c.idempotency_key.trim();
    if key.is_empty() || key.chars().count() > 100 {
        errors.push(FieldError::new(
            "idempotency_key",
            "invalid",
            "Cần khóa chống trùng (1–100 ký tự)",
            "An idempotency key of 1 to 100 characters is required",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

pub async fn cash_payment(db: &Db, id: i64) -> sqlx::Result<Option<CashPayment>> {
    let sql = format!("SELECT {CASH_COLS} FROM fee_cash_payments WHERE id = $1");
    with_db!(db, p => sqlx::query_as::<_, CashPayment>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)
}

pub async fn bill_cash_payments(db: &Db, bill_id: i64) -> sqlx::Result<Vec<CashPayment>> {
    let sql = format!("SELECT {CASH_COLS} FROM fee_cash_payments WHERE bill_id = $1 ORDER BY id");
    with_db!(db, p => sqlx::query_as::<_, CashPayment>(sqlx::AssertSqlSafe(sql)).bind(bill_id).fetch_all(p).await)
}

async fn cash_by_key(db: &Db, bill_id: i64, key: &str) -> sqlx::Result<Option<CashPayment>> {
    let sql = format!(
        "SELECT {CASH_COLS} FROM fee_cash_payments WHERE bill_id = $1 AND idempotency_key = $2"
    );
    with_db!(db, p => sqlx::query_as::<_, CashPayment>(sqlx::AssertSqlSafe(sql)).bind(bill_id).bind(key).fetch_optional(p).await)
}

fn replay(first: CashPayment, c: &CashInput) -> ApiResult<CashPayment> {
    if first.amount == c.amount {
        Ok(first)
    } else {
        Err(ApiError::conflict(
            "idempotency_key_reused",
            "Khóa chống trùng đã dùng cho một khoản thu khác",
            "The idempotency key was used for a different payment",
        ))
    }
}

/// Records cash received by the market board for a bill: never more than what remains (checked
/// and written in one statement); a retry with the same key answers the first payment.
pub async fn record_cash(
    db: &Db,
    bill_id: i64,
    c: &CashInput,
    by: Option<i64>,
) -> ApiResult<CashResult> {
    check_cash(c)?;
    let key = c.idempotency_key.trim();
    let bill = get_bill(db, bill_id)
        .await?
        .ok_or_else(|| ApiError::not_found("fee_bill"))?;
    if let Some(first) = cash_by_key(db, bill_id, key).await? {
        let payment = replay(first, c)?;
        return Ok(CashResult {
            payment,
            bill,
            replayed: true,
        });
    }
    for _ in 0..5 {
        let now = now_micros();
        let mut tx = db.begin().await?;
        let updated = tx
            .execute(
                "UPDATE fee_bills SET paid_cash = paid_cash + $2, \
                 status = CASE WHEN paid_cash + paid_cashless + $2 >= amount THEN 'paid' \
                   ELSE 'partially_paid' END, \
                 paid_at = CASE WHEN paid_cash + paid_cashless + $2 >= amount THEN $3 \
                   ELSE paid_at END, updated_at = $3 \
                 WHERE id = $1 AND status <> 'cancelled' AND paid_cash + paid_cashless + $2 <= amount",
                &[Arg::I64(bill_id), Arg::I64(c.amount), Arg::I64(now)],
            )
            .await?;
        if updated == 0 {
            drop(tx);
            let remaining = bill.remaining();
            return Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "exceeds_remaining",
                &format!(
                    "Số tiền vượt quá số còn phải nộp ({} đ)",
                    crate::receipts::dong(remaining)
                ),
                &format!("The amount exceeds what remains to pay ({remaining} đồng)"),
            )
            .with_details(serde_json::json!({ "remaining": remaining })));
        }
        let prefix = receipt_prefix(bill.market_id, now);
        let seq = tx
            .fetch_i64(
                "SELECT COUNT(*) FROM fee_cash_payments WHERE receipt_no LIKE $1",
                &[Arg::Text(format!("{prefix}%"))],
            )
            .await?
            + 1;
        let sql = format!(
            "INSERT INTO fee_cash_payments (bill_id, amount, receipt_no, idempotency_key, \
             received_by, received_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {CASH_COLS}"
        );
        let inserted = tx
            .fetch_row::<CashPayment>(
                &sql,
                &[
                    Arg::I64(bill_id),
                    Arg::I64(c.amount),
                    Arg::Text(format!("{prefix}{seq:05}")),
                    Arg::Text(key.to_string()),
                    Arg::OptI64(by),
                    Arg::I64(now),
                ],
            )
            .await;
        match inserted {
            Ok(payment) => {
                tx.commit().await?;
                let bill = get_bill(db, bill_id)
                    .await?
                    .ok_or_else(ApiError::internal)?;
                return Ok(CashResult {
                    payment,
                    bill,
                    replayed: false,
                });
            }
            Err(e) if crate::db::is_unique_violation(&e) => {
                drop(tx);
                // The same key stored meanwhile: answer it. Else a receipt number taken by a
                // concurrent payment: try the next.
                if let Some(first) = cash_by_key(db, bill_id, key).await? {
                    let payment = replay(first, c)?;
                    let bill = get_bill(db, bill_id)
                        .await?
                        .ok_or_else(ApiError::internal)?;
                    return Ok(CashResult {
                        payment,
                        bill,
                        replayed: true,
                    });
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::internal())
}

// ---------------------------------------------------------------- reminders

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct RemindReport {
    /// SMS sent (one per merchant phone, covering its overdue bills).
    pub messages_sent: i64,
    /// Overdue bills covered by those messages.
    pub bills_reminded: i64,
    /// Overdue bills reminded less than `REMIND_EVERY_DAYS` ago (not sent again).
    pub recently_reminded: i64,
    /// Overdue bills whose merchant has no phone.
    pub no_phone: i64,
    /// Bills whose SMS could not be sent (they may be reminded again at once).
    pub failed: i64,
}

/// An overdue bill: id, owed, period, merchant phone, last reminded.
type OverdueRow = (i64, i64, String, Option<String>, Option<i64>);
/// A bill claimed for a reminder: id, previous claim, owed, period.
type Claimed = (i64, Option<i64>, i64, String);

/// The SMS text (without diacritics, so it fits one unaccented message).
pub fn reminder_text(market: &str, bills: usize, owed: i64, oldest_period: &str) -> String {
    let market = crate::text::fold(market).to_uppercase();
    format!(
        "{market}: quay cua ban con {bills} khoan phi cho qua han (tu ky {oldest_period}), \
         tong {} d. Vui long nop bang ma QR tren hoa don hoac tai ban quan ly cho. Halong",
        crate::receipts::dong(owed)
    )
}

/// Reminds the merchants of a market's overdue bills by SMS: each bill at most once per
/// [`REMIND_EVERY_DAYS`] (claimed in the database before sending, so concurrent runs and
/// several servers cannot both send); one message per phone.
pub async fn remind(
    db: &Db,
    sms: &dyn crate::sms::SmsSender,
    market_id: i64,
    by: Option<i64>,
) -> ApiResult<RemindReport> {
    sync_market(db, market_id).await?;
    let market = crate::register::store::get_market(db, market_id)
        .await?
        .ok_or_else(|| ApiError::not_found("market"))?;
    let now = now_micros();
    let rows: Vec<OverdueRow> = with_db!(db, p => sqlx::query_as(
        "SELECT b.id, b.amount - b.paid_cash - b.paid_cashless, b.period, m.phone, \
         b.last_reminded_at FROM fee_bills b LEFT JOIN merchants m ON m.id = b.merchant_id \
         WHERE b.market_id = $1 AND b.status IN ('open', 'partially_paid') AND b.due_at < $2 \
         ORDER BY m.phone, b.period, b.id")
        .bind(market_id).bind(now).fetch_all(p).await)?;
    let window = REMIND_EVERY_DAYS * 86_400 * 1_000_000;
    let mut report = RemindReport::default();
    // phone → claimed (bill, previous claim, owed, period)
    let mut claimed: std::collections::BTreeMap<String, Vec<Claimed>> = Default::default();
    for (bill, owed, period, phone, last) in rows {
        let Some(phone) = phone.filter(|p| !p.trim().is_empty()) else {
            report.no_phone += 1;
            continue;
        };
        let got = with_db!(db, p => sqlx::query(
            "UPDATE fee_bills SET last_reminded_at = $2 WHERE id = $1 \
             AND (last_reminded_at IS NULL OR last_reminded_at <= $3)")
            .bind(bill).bind(now).bind(now - window).execute(p).await
            .map(|r| r.rows_affected()))?;
        if got == 0 {
            report.recently_reminded += 1;
        } else {
            claimed
                .entry(phone)
                .or_default()
                .push((bill, last, owed, period));
        }
    }
    for (phone, bills) in claimed {
        let owed: i64 = bills.iter().map(|b| b.2).sum();
        let oldest = bills.iter().map(|b| b.3.as_str()).min().unwrap_or_default();
        let text = reminder_text(&market.name, bills.len(), owed, oldest);
        let sent = sms.send(&phone, &text).await;
        let outcome = if sent.is_ok() { "sent" } else { "failed" };
        if let Err(e) = &sent {
            tracing::warn!(phone = %identity::phone::mask(&phone), error = %e, "fee reminder not sent");
        }
        for (bill, previous, _, _) in &bills {
            if sent.is_err() {
                // Release the claim so the bill can be reminded again.
                with_db!(db, p => sqlx::query(
                    "UPDATE fee_bills SET last_reminded_at = $2 WHERE id = $1 AND last_reminded_at = $3")
                    .bind(bill).bind(previous).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
            }
            with_db!(db, p => sqlx::query(
                "INSERT INTO fee_reminders (bill_id, phone_masked, outcome, sent_by, sent_at) \
                 VALUES ($1, $2, $3, $4, $5)")
                .bind(bill).bind(identity::phone::mask(&phone)).bind(outcome).bind(by).bind(now)
                .execute(p).await.map(|r| r.rows_affected()))?;
        }
        if sent.is_ok() {
            report.messages_sent += 1;
            report.bills_reminded += bills.len() as i64;
        } else {
            report.failed += bills.len() as i64;
        }
    }
    Ok(report)
}

// ---------------------------------------------------------------- totals

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Totals {
    pub bills: i64,
    pub billed: i64,
    pub paid_cashless: i64,
    pub paid_cash: i64,
    pub outstanding: i64,
    pub overdue_bills: i64,
    pub overdue_amount: i64,
}

pub fn totals(bills: &[Bill]) -> Totals {
    let mut t = Totals::default();
    for b in bills.iter().filter(|b| b.status != "cancelled") {
        t.bills += 1;
        t.billed += b.amount;
        t.paid_cashless += b.paid_cashless;
        t.paid_cash += b.paid_cash;
        t.outstanding += b.remaining();
        if b.overdue {
            t.overdue_bills += 1;
            t.overdue_amount += b.remaining();
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sched(id: i64, category: &str, kind: &str) -> Schedule {
        Schedule {
            id,
            market_id: 1,
            stall_category: category.into(),
            kind: kind.into(),
            amount: 1000,
            active: true,
            is_demo: false,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn periods_and_due_dates() {
        assert_eq!(parse_period("2026-11"), Some((2026, 11)));
        for bad in ["2026-13", "2026-1", "26-11", "2026/11", "", "2026-00"] {
            assert_eq!(parse_period(bad), None, "{bad}");
        }
        // End of 10 Nov 2026 in Hà Nội = 2026-11-10T17:00:00Z.
        assert_eq!(due_at(2026, 11, 10), Some(1_794_330_000 * 1_000_000));
        assert_eq!(period_of(1_794_330_000 * 1_000_000), "2026-11");
        // 30 Nov 17:30 UTC is already December in Vietnam.
        assert_eq!(period_of(1_796_059_800 * 1_000_000), "2026-12");
    }

    #[test]
    fn a_category_schedule_overrides_the_market_wide_one() {
        let s = [
            sched(1, "", "rent"),
            sched(2, "", "sanitation"),
            sched(3, "Thịt", "sanitation"),
        ];
        let ids = |c| applicable(&s, c).iter().map(|s| s.id).collect::<Vec<_>>();
        assert_eq!(ids("Rau"), [1, 2]);
        assert_eq!(ids("Thịt"), [1, 3]);
        assert_eq!(ids(""), [1, 2]);
    }

    #[test]
    fn overdue_is_unpaid_after_due() {
        assert!(is_overdue("open", 10, 11));
        assert!(is_overdue("partially_paid", 10, 11));
        assert!(!is_overdue("paid", 10, 11));
        assert!(!is_overdue("open", 10, 10));
    }
}
