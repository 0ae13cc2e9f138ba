//! The province's indicators of cashless payment (docs/INDICATORS.md): markets and stalls
//! accepting cashless payment, market fees paid cashless, cashless receipts at stalls, cash-register
//! e-invoice adoption and eKYC levels, for any period and by market, class, locality and province.
//! Receipts are read from the daily aggregates (`aggregates`), the register from its own tables.

pub mod aggregates;
pub mod demo;
pub mod pages;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Caller, Principal};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::places::{PROVINCE_CODE, Places};
use crate::server::AppState;
use crate::with_db;

use aggregates::{DAY_MICROS, LOCAL_OFFSET_MICROS, local_day};

/// A stall counts as accepting when it had a cashless receipt in this many days up to the end.
pub const RECENT_DAYS: i64 = 30;
/// Households with this much received (all methods, net) in the 12 whole months before the month
/// of the period end must issue cash-register e-invoices (Decree 70/2025: revenue of 1 billion
/// đồng a year).
pub const EINVOICE_THRESHOLD: i64 = 1_000_000_000;
/// The longest period a report may cover.
pub const MAX_DAYS: i64 = 3_660;
const JULIAN_EPOCH: i32 = 2_440_588;

#[derive(Clone, Debug, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// First local day (YYYY-MM-DD, Asia/Ho_Chi_Minh), inclusive.
    pub from: Option<String>,
    /// Last local day, inclusive. Default: today.
    pub to: Option<String>,
    /// When `from` is absent: `month` (default), `quarter` or `year` to date, ending at `to`.
    pub preset: Option<String>,
    #[serde(default, deserialize_with = "empty_none")]
    pub market_id: Option<i64>,
    /// Market class 1, 2 or 3.
    #[serde(default, deserialize_with = "empty_none")]
    pub class: Option<i16>,
    /// Commune code, or a former district code (every commune under it), or the province.
    pub place: Option<String>,
}

/// Query numbers where an empty value (a form's "all" choice) means absent.
fn empty_none<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
{
    let s: Option<String> = Option::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("not a number: {v}"))),
    }
}

/// A local date as a day number (days since 1970-01-01).
pub fn day_of(date: time::Date) -> i64 {
    i64::from(date.to_julian_day() - JULIAN_EPOCH)
}

pub fn date_of(day: i64) -> time::Date {
    let jd = i32::try_from(day).unwrap_or(0) + JULIAN_EPOCH;
    time::Date::from_julian_day(jd).unwrap_or(time::Date::MIN)
}

pub fn iso(day: i64) -> String {
    let d = date_of(day);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u8 = it.next()?.parse().ok()?;
    let d: u8 = it.next()?.parse().ok()?;
    let month = time::Month::try_from(m).ok()?;
    time::Date::from_calendar_date(y, month, d).ok().map(day_of)
}

fn bad_period(vi: &str, en: &str) -> ApiError {
    ApiError::bad_request("invalid_period", vi, en)
}

/// Resolves the query's period into inclusive local day numbers, given today's local day.
pub fn period(q: &IndicatorQuery, today: i64) -> ApiResult<(i64, i64)> {
    let to = match q.to.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => parse_date(s)
            .ok_or_else(|| bad_period("Ngày kết thúc không hợp lệ", "Invalid end date"))?,
        None => today,
    };
    let from = match q.from.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => parse_date(s)
            .ok_or_else(|| bad_period("Ngày bắt đầu không hợp lệ", "Invalid start date"))?,
        None => {
            let end = date_of(to);
            let (month, day) = match q.preset.as_deref().unwrap_or("month") {
                "month" => (u8::from(end.month()), 1),
                "quarter" => ((u8::from(end.month()) - 1) / 3 * 3 + 1, 1),
                "year" => (1, 1),
                _ => {
                    return Err(bad_period(
                        "Kỳ phải là month, quarter hoặc year",
                        "Preset must be month, quarter or year",
                    ));
                }
            };
            let m = time::Month::try_from(month).unwrap_or(time::Month::January);
            day_of(time::Date::from_calendar_date(end.year(), m, day).unwrap_or(end))
        }
    };
    if from > to {
        return Err(bad_period(
            "Ngày bắt đầu sau ngày kết thúc",
            "The start date is after the end date",
        ));
    }
    if to - from + 1 > MAX_DAYS {
        return Err(bad_period(
            "Kỳ dài quá 10 năm",
            "The period exceeds 10 years",
        ));
    }
    Ok((from, to))
}

fn pct(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| (n as f64 * 1000.0 / d as f64).round() / 10.0)
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Period {
    pub from: String,
    pub to: String,
    pub days: i64,
    /// Start of the 30-day window that decides whether a stall accepts cashless payment.
    pub recent_from: String,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Share {
    pub accepting: i64,
    pub total: i64,
    /// accepting / total × 100, one decimal; null when total is 0.
    pub percent: Option<f64>,
}

impl Share {
    fn new(accepting: i64, total: i64) -> Share {
        Share {
            accepting,
            total,
            percent: pct(accepting, total),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ClassShare {
    pub class: i16,
    #[serde(flatten)]
    pub share: Share,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Fees {
    /// Bills of the period's months, not cancelled.
    pub bills: i64,
    /// Fully paid bills.
    pub paid_bills: i64,
    /// Fully paid bills with nothing paid in cash.
    pub paid_cashless_bills: i64,
    /// paid_cashless_bills / paid_bills.
    pub percent_by_count: Option<f64>,
    pub amount_billed: i64,
    pub paid_cashless: i64,
    pub paid_cash: i64,
    /// paid_cashless / (paid_cashless + paid_cash).
    pub percent_by_amount: Option<f64>,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct MethodTotal {
    pub method: String,
    pub count: i64,
    /// Net: received − refunded − corrected out + corrected in (đồng).
    pub amount: i64,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct DayTotal {
    pub date: String,
    pub count: i64,
    pub amount: i64,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Receipts {
    /// Cashless receipts (transfer, card, e-wallet) at stalls in the period.
    pub count: i64,
    pub received: i64,
    pub refunded: i64,
    /// Corrections in minus corrections out.
    pub corrected: i64,
    /// received − refunded + corrected (đồng).
    pub amount: i64,
    /// amount / (stalls × days), floored (đồng); stalls = occupied active stalls.
    pub amount_per_stall_day: i64,
    pub count_per_stall_day: f64,
    /// Cash receipts recorded at stalls, for comparison.
    pub cash_count: i64,
    pub cash_amount: i64,
    pub by_method: Vec<MethodTotal>,
    /// Cashless receipts per local day of the period (every day, zeros included).
    pub daily: Vec<DayTotal>,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Einvoice {
    /// Active merchants required to issue cash-register e-invoices: enterprises, and households
    /// with received ≥ threshold in the 12 whole months before the month of the period end.
    pub required: i64,
    /// Of those, the ones with ≥1 invoice issued in the period and not refused.
    pub required_issuing: i64,
    pub percent: Option<f64>,
    /// All merchants issuing in the period (required or not).
    pub issuing: i64,
    /// Merchants registered with the tax authority (notice 103).
    pub registered: i64,
    pub threshold: i64,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Ekyc {
    /// People by level 0, 1, 2 (registered up to the period end; province-wide).
    pub people: [i64; 3],
    /// Merchants by the highest level of their owners' accounts: level 0, 1, 2.
    pub merchants: [i64; 3],
    /// Merchants with no owner account.
    pub merchants_without_account: i64,
}

/// One row of a breakdown: a class, a locality or a market.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Group {
    /// Class number, place code or market id.
    pub key: String,
    pub name: String,
    pub markets: i64,
    pub markets_accepting: i64,
    pub stalls: i64,
    pub stalls_accepting: i64,
    pub stalls_percent: Option<f64>,
    pub receipts_count: i64,
    pub receipts_amount: i64,
    pub fees_paid_cashless: i64,
    pub fees_paid_cash: i64,
}

impl Group {
    fn add(&mut self, o: &Group) {
        self.markets += o.markets;
        self.markets_accepting += o.markets_accepting;
        self.stalls += o.stalls;
        self.stalls_accepting += o.stalls_accepting;
        self.receipts_count += o.receipts_count;
        self.receipts_amount += o.receipts_amount;
        self.fees_paid_cashless += o.fees_paid_cashless;
        self.fees_paid_cash += o.fees_paid_cash;
        self.stalls_percent = pct(self.stalls_accepting, self.stalls);
    }
}

/// Staff only: one stall of the chosen market.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct StallRow {
    pub stall_id: i64,
    pub code: String,
    pub merchant_id: Option<i64>,
    pub merchant_name: String,
    pub has_account: bool,
    pub recent_cashless: bool,
    pub accepting: bool,
    pub count: i64,
    pub amount: i64,
}

/// Staff work lists: what keeps the indicators from their targets, limited to what the caller
/// may see (administrators and tax officers all; a market manager their markets; a merchant's
/// owner or cashier their own).
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct FollowUp {
    pub period: Period,
    /// Occupied stalls whose merchant has no payout account (cannot be paid by QR at all).
    pub stalls_without_account: Vec<FollowStall>,
    /// Occupied stalls with a payout account but no cashless receipt in the 30-day window.
    pub stalls_without_recent: Vec<FollowStall>,
    /// Merchants required to issue cash-register e-invoices that issued none in the period.
    pub einvoice_missing: Vec<FollowMerchant>,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct FollowStall {
    pub stall_id: i64,
    pub code: String,
    pub market_id: i64,
    pub market: String,
    pub merchant_id: i64,
    pub merchant_name: String,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct FollowMerchant {
    pub merchant_id: i64,
    pub name: String,
    pub tax_code: String,
    /// `enterprise`, or `household` (then required by its revenue).
    pub kind: String,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Target {
    pub key: String,
    pub label_vi: String,
    pub percent: i32,
    pub year: i32,
    /// Where the indicator stands now (percent), if computable.
    pub actual: Option<f64>,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Report {
    pub period: Period,
    pub market_id: Option<i64>,
    pub class: Option<i16>,
    pub place: Option<String>,
    /// Open markets with ≥1 accepting stall.
    pub markets: Share,
    pub markets_by_class: Vec<ClassShare>,
    /// Occupied active stalls with a payout account and a cashless receipt in the last 30 days.
    pub stalls: Share,
    /// Occupied active stalls whose merchant has a payout account.
    pub stalls_with_account: i64,
    pub fees: Fees,
    pub receipts: Receipts,
    pub einvoice: Einvoice,
    pub ekyc: Ekyc,
    pub by_class: Vec<Group>,
    /// By former district (the reporting grouping kept after the 2025 reform).
    pub by_district: Vec<Group>,
    pub by_commune: Vec<Group>,
    pub by_market: Vec<Group>,
    /// Staff only, with `market_id`: the market's stalls the caller may see.
    pub stalls_detail: Option<Vec<StallRow>>,
    pub targets: Vec<Target>,
}

struct Market {
    id: i64,
    code: String,
    name: String,
    class: i16,
    place: String,
    district: String,
}

/// Whether a market's place matches the `place` filter.
fn place_matches(places: &Places, filter: &str, place: &str, district: &str) -> bool {
    filter == PROVINCE_CODE
        || filter == place
        || filter == district
        || places
            .get(place)
            .and_then(|p| p.parent_code.as_deref())
            .is_some_and(|p| p == filter)
}

fn in_list(ids: impl Iterator<Item = i64>) -> String {
    let v: Vec<String> = ids.map(|i| i.to_string()).collect();
    if v.is_empty() {
        "NULL".into()
    } else {
        v.join(",")
    }
}

fn place_name(places: &Places, code: &str) -> String {
    places
        .get(code)
        .map_or_else(|| code.to_string(), |p| p.full_name())
}

/// Computes every indicator for the query, as `viewer` may see it (None: the public view).
pub async fn compute(
    db: &Db,
    places: &Places,
    q: &IndicatorQuery,
    viewer: Option<&Principal>,
    today: i64,
) -> ApiResult<Report> {
    Ok(compute_all(db, places, q, viewer, today, false).await?.0)
}

/// Whether `p` may see the records of a stall of `market` held by `merchant`.
fn may_see(p: &Principal, market: i64, merchant: Option<i64>) -> bool {
    p.sees_all()
        || p.manages_market(market)
        || merchant
            .is_some_and(|m| p.owns_merchant(m) || p.scopes("merchant_cashier").any(|c| c == m))
}

/// The indicators and, with `follow_up` and a staff viewer, the staff work lists.
pub async fn compute_all(
    db: &Db,
    places: &Places,
    q: &IndicatorQuery,
    viewer: Option<&Principal>,
    today: i64,
    follow_up: bool,
) -> ApiResult<(Report, Option<FollowUp>)> {
    let staff = viewer.filter(|p| p.is_staff());
    let mut follow = FollowUp::default();
    if let Some(c) = q.class
        && !(1..=3).contains(&c)
    {
        return Err(ApiError::bad_request(
            "invalid_class",
            "Hạng chợ phải là 1, 2 hoặc 3",
            "Market class must be 1, 2 or 3",
        ));
    }
    let place = q.place.as_deref().filter(|s| !s.is_empty());
    if let Some(p) = place
        && places.get(p).is_none()
    {
        return Err(ApiError::bad_request(
            "invalid_place",
            "Không có địa bàn này",
            "Unknown place",
        ));
    }
    let (from, to) = period(q, today)?;
    let end_micros = (to + 1) * DAY_MICROS - LOCAL_OFFSET_MICROS - 1;
    let start_micros = from * DAY_MICROS - LOCAL_OFFSET_MICROS;
    let recent_from = to - RECENT_DAYS + 1;
    let days = to - from + 1;

    // Markets open by the period end, filtered.
    type MarketRow = (i64, String, String, i16, String, String, String, i64);
    let rows: Vec<MarketRow> = with_db!(db, p => sqlx::query_as(
        "SELECT m.id, m.code, m.name, m.market_class, m.place_code, \
         COALESCE(pl.legacy_district_code, ''), m.status, m.created_at FROM markets m \
         LEFT JOIN places pl ON pl.code = m.place_code ORDER BY m.code")
        .fetch_all(p).await)?;
    let markets: Vec<Market> = rows
        .into_iter()
        .filter(|r| r.6 != "closed" && r.7 <= end_micros)
        .filter(|r| q.market_id.is_none_or(|id| id == r.0))
        .filter(|r| q.class.is_none_or(|c| c == r.3))
        .filter(|r| place.is_none_or(|f| place_matches(places, f, &r.4, &r.5)))
        .map(|r| Market {
            id: r.0,
            code: r.1,
            name: r.2,
            class: r.3,
            place: r.4,
            district: r.5,
        })
        .collect();
    let market_ids = in_list(markets.iter().map(|m| m.id));

    // Stalls of those markets (occupied and active ones are the denominator).
    type StallDb = (i64, i64, String, Option<i64>, String, String, bool);
    let sql = format!(
        "SELECT s.id, s.market_id, s.code, s.merchant_id, s.status, COALESCE(mc.name, ''), \
         EXISTS (SELECT 1 FROM bank_accounts b WHERE b.merchant_id = s.merchant_id) \
         FROM stalls s LEFT JOIN merchants mc ON mc.id = s.merchant_id \
         WHERE s.market_id IN ({market_ids}) AND s.created_at <= $1 ORDER BY s.market_id, s.code"
    );
    let stalls: Vec<StallDb> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(end_micros).fetch_all(p).await)?;
    let occupied = |s: &StallDb| s.4 == "active" && s.3.is_some();

    // Receipts of the period per market and method, and per day, from the market roll-up.
    type Agg = (i64, String, i64, i64, i64, i64, i64);
    let sql = format!(
        "SELECT market_id, method, CAST(SUM(count) AS BIGINT), CAST(SUM(amount) AS BIGINT), \
         CAST(SUM(refunded) AS BIGINT), CAST(SUM(corrected_out) AS BIGINT), \
         CAST(SUM(corrected_in) AS BIGINT) FROM receipt_market_daily \
         WHERE market_id IN ({market_ids}) AND day >= $1 AND day <= $2 GROUP BY market_id, method"
    );
    let aggs: Vec<Agg> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(from).bind(to).fetch_all(p).await)?;
    let sql = format!(
        "SELECT day, CAST(SUM(count) AS BIGINT), \
         CAST(SUM(amount - refunded - corrected_out + corrected_in) AS BIGINT) \
         FROM receipt_market_daily WHERE market_id IN ({market_ids}) AND day >= $1 \
         AND day <= $2 AND method <> 'cash' GROUP BY day"
    );
    let daily_rows: Vec<(i64, i64, i64)> = with_db!(db, p => sqlx::query_as(
        sqlx::AssertSqlSafe(sql)).bind(from).bind(to).fetch_all(p).await)?;
    // Stalls with cashless receipts in the 30-day window (all stalls; filtered below).
    let recent: HashSet<i64> = with_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT stall_id FROM stall_cashless_daily WHERE day >= $1 AND day <= $2 \
         GROUP BY stall_id HAVING SUM(count) > 0")
        .bind(recent_from).bind(to).fetch_all(p).await)?
    .into_iter()
    .collect();
    // Per-stall sums only for the stall detail (staff, one market).
    let detail_wanted = q.market_id.is_some() && staff.is_some();
    let mut stall_totals: HashMap<i64, (i64, i64)> = HashMap::new();
    if detail_wanted {
        let inner = aggregates::range_sql(
            "r.stall_id AS stall_id, r.count AS c, \
             r.amount - r.refunded - r.corrected_out + r.corrected_in AS net",
            &format!(
                "AND r.method <> 'cash' AND r.stall_id IN \
                 (SELECT s.id FROM stalls s WHERE s.market_id IN ({market_ids}))"
            ),
            from,
            to,
        );
        let sql = format!(
            "SELECT stall_id, CAST(SUM(c) AS BIGINT), CAST(SUM(net) AS BIGINT) FROM ({inner}) x \
             GROUP BY stall_id"
        );
        let rows: Vec<(i64, i64, i64)> = with_db!(db, p => sqlx::query_as(
            sqlx::AssertSqlSafe(sql)).fetch_all(p).await)?;
        stall_totals = rows.into_iter().map(|(s, c, a)| (s, (c, a))).collect();
    }

    // Sums of the period, by method, and per market.
    let mut receipts = Receipts::default();
    let mut by_method: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut market_totals: HashMap<i64, (i64, i64)> = HashMap::new();
    for (market, method, count, amount, refunded, out, inn) in &aggs {
        let net = amount - refunded - out + inn;
        if method == "cash" {
            receipts.cash_count += count;
            receipts.cash_amount += net;
            continue;
        }
        receipts.count += count;
        receipts.received += amount;
        receipts.refunded += refunded;
        receipts.corrected += inn - out;
        receipts.amount += net;
        let e = by_method.entry(method.clone()).or_default();
        e.0 += count;
        e.1 += net;
        let t = market_totals.entry(*market).or_default();
        t.0 += count;
        t.1 += net;
    }
    receipts.by_method = by_method
        .into_iter()
        .map(|(method, (count, amount))| MethodTotal {
            method,
            count,
            amount,
        })
        .collect();
    let daily: HashMap<i64, (i64, i64)> = daily_rows
        .into_iter()
        .map(|(d, c, a)| (d, (c, a)))
        .collect();
    receipts.daily = (from..=to)
        .map(|d| {
            let (count, amount) = daily.get(&d).copied().unwrap_or_default();
            DayTotal {
                date: iso(d),
                count,
                amount,
            }
        })
        .collect();

    let mut per_market: BTreeMap<i64, Group> = markets
        .iter()
        .map(|m| {
            (
                m.id,
                Group {
                    key: m.id.to_string(),
                    name: format!("{} ({})", m.name, m.code),
                    markets: 1,
                    ..Group::default()
                },
            )
        })
        .collect();
    for (market, (count, amount)) in &market_totals {
        if let Some(g) = per_market.get_mut(market) {
            g.receipts_count += count;
            g.receipts_amount += amount;
        }
    }
    let mut detail = Vec::new();
    for s in &stalls {
        let Some(g) = per_market.get_mut(&s.1) else {
            continue;
        };
        let accepting = occupied(s) && s.6 && recent.contains(&s.0);
        if occupied(s) {
            g.stalls += 1;
            g.stalls_accepting += i64::from(accepting);
            if follow_up
                && !accepting
                && let (Some(p), Some(merchant)) = (staff, s.3)
                && may_see(p, s.1, s.3)
            {
                let row = FollowStall {
                    stall_id: s.0,
                    code: s.2.clone(),
                    market_id: s.1,
                    market: g.name.clone(),
                    merchant_id: merchant,
                    merchant_name: s.5.clone(),
                };
                if s.6 {
                    follow.stalls_without_recent.push(row);
                } else {
                    follow.stalls_without_account.push(row);
                }
            }
        }
        if detail_wanted {
            let (count, amount) = stall_totals.get(&s.0).copied().unwrap_or_default();
            detail.push(StallRow {
                stall_id: s.0,
                code: s.2.clone(),
                merchant_id: s.3,
                merchant_name: s.5.clone(),
                has_account: s.6,
                recent_cashless: recent.contains(&s.0),
                accepting,
                count,
                amount,
            });
        }
    }
    let stalls_total: i64 = per_market.values().map(|g| g.stalls).sum();
    let stalls_accepting: i64 = per_market.values().map(|g| g.stalls_accepting).sum();
    let stalls_with_account = stalls.iter().filter(|s| occupied(s) && s.6).count() as i64;
    receipts.amount_per_stall_day = if stalls_total > 0 {
        receipts.amount.div_euclid(stalls_total * days)
    } else {
        0
    };
    receipts.count_per_stall_day = if stalls_total > 0 {
        (receipts.count as f64 * 100.0 / (stalls_total * days) as f64).round() / 100.0
    } else {
        0.0
    };

    // Market fees of the period's months.
    let (from_month, to_month) = (iso(from)[..7].to_string(), iso(to)[..7].to_string());
    type FeeRow = (i64, i64, i64, i64, i64, i64, i64);
    let sql = format!(
        "SELECT market_id, COUNT(*), \
         CAST(SUM(CASE WHEN status = 'paid' THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN status = 'paid' AND paid_cash = 0 THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(amount) AS BIGINT), CAST(SUM(paid_cashless) AS BIGINT), \
         CAST(SUM(paid_cash) AS BIGINT) FROM fee_bills \
         WHERE status <> 'cancelled' AND period >= $1 AND period <= $2 \
         AND market_id IN ({market_ids}) GROUP BY market_id"
    );
    let fee_rows: Vec<FeeRow> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&from_month).bind(&to_month).fetch_all(p).await)?;
    let mut fees = Fees::default();
    for (market, bills, paid, paid_cashless_bills, billed, cashless, cash) in &fee_rows {
        fees.bills += bills;
        fees.paid_bills += paid;
        fees.paid_cashless_bills += paid_cashless_bills;
        fees.amount_billed += billed;
        fees.paid_cashless += cashless;
        fees.paid_cash += cash;
        if let Some(g) = per_market.get_mut(market) {
            g.fees_paid_cashless += cashless;
            g.fees_paid_cash += cash;
        }
    }
    fees.percent_by_count = pct(fees.paid_cashless_bills, fees.paid_bills);
    fees.percent_by_amount = pct(fees.paid_cashless, fees.paid_cashless + fees.paid_cash);

    // Markets accepting, and the breakdowns.
    for g in per_market.values_mut() {
        g.markets_accepting = i64::from(g.stalls_accepting > 0);
        g.stalls_percent = pct(g.stalls_accepting, g.stalls);
    }
    let mut by_class: BTreeMap<i16, Group> = BTreeMap::new();
    let mut by_district: BTreeMap<String, Group> = BTreeMap::new();
    let mut by_commune: BTreeMap<String, Group> = BTreeMap::new();
    for m in &markets {
        let g = &per_market[&m.id];
        let c = by_class.entry(m.class).or_insert_with(|| Group {
            key: m.class.to_string(),
            name: format!("Chợ hạng {}", roman(m.class)),
            ..Group::default()
        });
        c.add(g);
        let d = by_district
            .entry(m.district.clone())
            .or_insert_with(|| Group {
                key: m.district.clone(),
                name: place_name(places, &m.district),
                ..Group::default()
            });
        d.add(g);
        let c = by_commune.entry(m.place.clone()).or_insert_with(|| Group {
            key: m.place.clone(),
            name: place_name(places, &m.place),
            ..Group::default()
        });
        c.add(g);
    }
    let markets_by_class: Vec<ClassShare> = (1..=3)
        .map(|c| {
            let g = by_class.get(&c).cloned().unwrap_or_default();
            ClassShare {
                class: c,
                share: Share::new(g.markets_accepting, g.markets),
            }
        })
        .collect();
    let markets_share = Share::new(
        per_market.values().map(|g| g.markets_accepting).sum(),
        per_market.len() as i64,
    );

    // Merchants in scope: all of them at province level, else those with a stall in the markets.
    let filtered = q.market_id.is_some() || q.class.is_some() || place.is_some();
    let in_scope: Option<BTreeSet<i64>> =
        filtered.then(|| stalls.iter().filter_map(|s| s.3).collect());
    type MerchantRow = (i64, String, String, i64, i16, bool, String, String, String);
    let merchants: Vec<MerchantRow> = with_db!(db, p => sqlx::query_as(
        "SELECT m.id, m.kind, m.status, m.created_at, \
         CAST(COALESCE((SELECT MAX(pe.ekyc_level) FROM role_grants g JOIN people pe \
            ON pe.id = g.person_id WHERE g.role = 'merchant_owner' AND g.scope_id = m.id), -1) \
            AS SMALLINT), \
         EXISTS (SELECT 1 FROM invoices i WHERE i.merchant_id = m.id AND i.issued_at >= $1 \
            AND i.issued_at <= $2 AND i.tax_status <> 'refused'), \
         COALESCE(tp.status, ''), m.name, m.tax_code FROM merchants m \
         LEFT JOIN invoice_taxpayers tp ON tp.merchant_id = m.id ORDER BY m.name, m.id")
        .bind(start_micros).bind(end_micros).fetch_all(p).await)?;
    // Households over the threshold in the 12 whole months before the month of the period end.
    let end_month = aggregates::month_of_day(to);
    let over: HashSet<i64> = with_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT merchant_id FROM receipt_merchant_monthly WHERE month >= $1 AND month <= $2 \
         GROUP BY merchant_id HAVING SUM(net) >= $3")
        .bind(end_month - 12).bind(end_month - 1).bind(EINVOICE_THRESHOLD).fetch_all(p).await)?
    .into_iter()
    .collect();
    let mut einvoice = Einvoice {
        threshold: EINVOICE_THRESHOLD,
        ..Einvoice::default()
    };
    let mut ekyc = Ekyc::default();
    // Merchant → markets of its stalls, for who may see a merchant in the work lists.
    let mut merchant_markets: HashMap<i64, Vec<i64>> = HashMap::new();
    for st in &stalls {
        if let Some(m) = st.3 {
            merchant_markets.entry(m).or_default().push(st.1);
        }
    }
    for (id, kind, status, created, level, issuing, tp, name, tax_code) in &merchants {
        if *created > end_micros || in_scope.as_ref().is_some_and(|s| !s.contains(id)) {
            continue;
        }
        match usize::try_from(*level) {
            Ok(l) if l < 3 => ekyc.merchants[l] += 1,
            _ => ekyc.merchants_without_account += 1,
        }
        einvoice.issuing += i64::from(*issuing);
        einvoice.registered += i64::from(tp == "registered");
        let required = status == "active" && (kind == "enterprise" || over.contains(id));
        if required {
            einvoice.required += 1;
            einvoice.required_issuing += i64::from(*issuing);
        }
        if follow_up
            && required
            && !issuing
            && let Some(p) = staff
            && (p.sees_all()
                || merchant_markets
                    .get(id)
                    .into_iter()
                    .flatten()
                    .any(|market| may_see(p, *market, Some(*id))))
        {
            follow.einvoice_missing.push(FollowMerchant {
                merchant_id: *id,
                name: name.clone(),
                tax_code: tax_code.clone(),
                kind: kind.clone(),
            });
        }
    }
    einvoice.percent = pct(einvoice.required_issuing, einvoice.required);
    let people: Vec<(i16, i64)> = with_db!(db, p => sqlx::query_as(
        "SELECT ekyc_level, COUNT(*) FROM people WHERE created_at <= $1 GROUP BY ekyc_level")
        .bind(end_micros).fetch_all(p).await)?;
    for (level, n) in people {
        if let Ok(l) = usize::try_from(level)
            && l < 3
        {
            ekyc.people[l] += n;
        }
    }

    // Targets and where the province stands.
    let targets: Vec<(String, String, i32, i32)> = with_db!(db, p => sqlx::query_as(
        "SELECT key, label_vi, percent, year FROM indicator_targets ORDER BY key")
        .fetch_all(p).await)?;
    let stalls_share = Share::new(stalls_accepting, stalls_total);
    let targets = targets
        .into_iter()
        .map(|(key, label_vi, percent, year)| {
            let actual = match key.as_str() {
                "markets" => markets_share.percent,
                "stalls" => stalls_share.percent,
                "fees" => fees.percent_by_amount,
                "einvoice" => einvoice.percent,
                _ => None,
            };
            Target {
                key,
                label_vi,
                percent,
                year,
                actual,
            }
        })
        .collect();

    // Per-stall detail: staff, one market, and only the stalls the caller may see.
    let stalls_detail = match (staff, q.market_id) {
        (Some(p), Some(market)) => Some(
            detail
                .into_iter()
                .filter(|s| may_see(p, market, s.merchant_id))
                .collect(),
        ),
        _ => None,
    };
    let period = Period {
        from: iso(from),
        to: iso(to),
        days,
        recent_from: iso(recent_from),
    };
    let follow = (follow_up && staff.is_some()).then(|| FollowUp {
        period: period.clone(),
        ..follow
    });

    let report = Report {
        period,
        market_id: q.market_id,
        class: q.class,
        place: place.map(str::to_string),
        markets: markets_share,
        markets_by_class,
        stalls: stalls_share,
        stalls_with_account,
        fees,
        receipts,
        einvoice,
        ekyc,
        by_class: by_class.into_values().collect(),
        by_district: by_district.into_values().collect(),
        by_commune: by_commune.into_values().collect(),
        by_market: per_market.into_values().collect(),
        stalls_detail,
        targets,
    };
    Ok((report, follow))
}

pub fn roman(class: i16) -> &'static str {
    match class {
        1 => "I",
        2 => "II",
        3 => "III",
        _ => "?",
    }
}

/// Today's local day number.
pub fn today() -> i64 {
    local_day(crate::db::now_micros())
}

/// Every indicator for a period, by class, locality and market. Public at province level;
/// per-stall detail (`stalls_detail`, with `market_id`) only for staff who may see the stalls.
#[utoipa::path(get, path = "/api/v1/indicators", tag = "indicators", params(IndicatorQuery),
    responses((status = 200, body = Report), (status = 400, body = crate::error::ErrorBody)))]
pub async fn indicators_api(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<IndicatorQuery>,
) -> ApiResult<Json<Report>> {
    Ok(Json(
        compute(&st.db, &st.places, &q, caller.principal.as_ref(), today()).await?,
    ))
}

/// Staff work lists for the period and filters: occupied stalls without a payout account, stalls
/// with one but no cashless receipt in the 30-day window, and merchants required to issue
/// cash-register e-invoices that issued none — only what the caller may see.
#[utoipa::path(get, path = "/api/v1/indicators/follow-up", tag = "indicators",
    params(IndicatorQuery),
    responses((status = 200, body = FollowUp), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn follow_up_api(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<IndicatorQuery>,
) -> ApiResult<Json<FollowUp>> {
    Ok(Json(follow_up(&st, &caller, &q).await?.1))
}

/// The indicators and the work lists of a staff caller, as of today (the routes that call this
/// are staff-only, so the lists are always computed).
pub async fn follow_up(
    st: &AppState,
    caller: &Caller,
    q: &IndicatorQuery,
) -> ApiResult<(Report, FollowUp)> {
    let (r, follow) = compute_all(
        &st.db,
        &st.places,
        q,
        caller.principal.as_ref(),
        today(),
        true,
    )
    .await?;
    Ok((r, follow.unwrap_or_default()))
}
