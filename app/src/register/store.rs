//! Storage of the register. Every query is written once, with `$N` placeholders, and runs on
//! both engines through [`with_db!`].

use super::validate::{MarketRow, MerchantRow, StallRow};
use super::*;
use crate::db::BeginWrite;
use crate::db::{Arg, Db, now_micros};
use crate::with_db;
// Dynamic SQL here is only ever assembled from the constants above, never from input.
use sqlx::AssertSqlSafe;

const MARKET_COLS: &str = "m.id, m.code, m.name, m.address, m.place_code, m.business_points, \
    m.market_class, m.class_override, m.class_override_reason, m.board_contact, m.status, \
    m.is_demo, m.created_at, m.updated_at";

const STALL_COLS: &str = "s.id, s.market_id, s.code, s.zone, s.category, s.status, \
    s.merchant_id, s.is_demo, s.created_at, s.updated_at";

const MERCHANT_COLS: &str = "r.id, r.tax_code, r.name, r.kind, r.owner_name, r.phone, \
    r.address, r.place_code, r.payment_methods, r.status, r.is_demo, r.created_at, r.updated_at";

const ACCOUNT_COLS: &str =
    "id, merchant_id, bank_bin, account_number, holder_name, is_default, created_at";

// Filters are `($n IS NULL OR …)` so that one statement serves every combination; the
// planners of both engines fold the constant branches.
const MARKET_FILTER: &str = "FROM markets m JOIN places p ON p.code = m.place_code \
    WHERE ($1 IS NULL OR m.place_code = $1 OR p.legacy_district_code = $1) \
    AND ($2 IS NULL OR m.market_class = $2) AND ($3 IS NULL OR m.status = $3) \
    AND ($4 IS NULL OR m.search_text LIKE $4) AND ($5 IS NULL OR m.is_demo = $5) \
    AND ($6 IS NULL OR m.id = $6) \
    AND ($7 IS NULL OR EXISTS (SELECT 1 FROM stalls s WHERE s.market_id = m.id \
        AND s.merchant_id = $7)) \
    AND ($8 IS NULL OR EXISTS (SELECT 1 FROM role_grants g WHERE g.person_id = $8 AND \
        ((g.role = 'market_manager' AND g.scope_id = m.id) OR \
         (g.role IN ('merchant_owner', 'merchant_cashier') AND EXISTS (SELECT 1 FROM stalls sv \
            WHERE sv.market_id = m.id AND sv.merchant_id = g.scope_id)))))";

const STALL_FILTER: &str = "FROM stalls s JOIN markets m ON m.id = s.market_id \
    JOIN places p ON p.code = m.place_code \
    WHERE ($1 IS NULL OR m.place_code = $1 OR p.legacy_district_code = $1) \
    AND ($2 IS NULL OR m.market_class = $2) AND ($3 IS NULL OR s.status = $3) \
    AND ($4 IS NULL OR s.search_text LIKE $4) AND ($5 IS NULL OR s.is_demo = $5) \
    AND ($6 IS NULL OR s.market_id = $6) AND ($7 IS NULL OR s.merchant_id = $7) \
    AND ($8 IS NULL OR EXISTS (SELECT 1 FROM role_grants g WHERE g.person_id = $8 AND \
        ((g.role = 'market_manager' AND g.scope_id = s.market_id) OR \
         (g.role IN ('merchant_owner', 'merchant_cashier') AND g.scope_id = s.merchant_id))))";

const MERCHANT_FILTER: &str = "FROM merchants r JOIN places p ON p.code = r.place_code \
    WHERE ($1 IS NULL OR r.place_code = $1 OR p.legacy_district_code = $1) \
    AND ($3 IS NULL OR r.status = $3) \
    AND ($4 IS NULL OR r.search_text LIKE $4) AND ($5 IS NULL OR r.is_demo = $5) \
    AND ($6 IS NULL OR EXISTS (SELECT 1 FROM stalls s WHERE s.merchant_id = r.id \
        AND s.market_id = $6)) \
    AND ($2 IS NULL OR EXISTS (SELECT 1 FROM stalls s JOIN markets m ON m.id = s.market_id \
        WHERE s.merchant_id = r.id AND m.market_class = $2)) \
    AND ($7 IS NULL OR r.id = $7) \
    AND ($8 IS NULL OR EXISTS (SELECT 1 FROM role_grants g WHERE g.person_id = $8 AND \
        ((g.role IN ('merchant_owner', 'merchant_cashier') AND g.scope_id = r.id) OR \
         (g.role = 'market_manager' AND EXISTS (SELECT 1 FROM stalls sv \
            WHERE sv.merchant_id = r.id AND sv.market_id = g.scope_id)))))";

/// Binds the eight list filters in the order the `*_FILTER` texts number them.
macro_rules! bind_filters {
    ($q:expr, $f:expr) => {
        $q.bind($f.place())
            .bind($f.class)
            .bind($f.status())
            .bind($f.like())
            .bind($f.demo)
            .bind($f.market_id)
            .bind($f.merchant_id)
            .bind($f.viewer)
    };
}

/// One page of `$ty` and the total count, for a filter text numbered like the `*_FILTER`s.
macro_rules! list_page {
    ($db:expr, $ty:ty, $cols:expr, $filter:expr, $order:expr, $f:expr) => {{
        let sql = format!("SELECT {} {} ORDER BY {} LIMIT $9 OFFSET $10", $cols, $filter, $order);
        let count = format!("SELECT COUNT(*) {}", $filter);
        with_db!($db, pool => {
            let items = bind_filters!(sqlx::query_as::<_, $ty>(AssertSqlSafe(sql.as_str())), $f)
                .bind($f.limit())
                .bind($f.offset())
                .fetch_all(pool)
                .await?;
            let total: i64 = bind_filters!(sqlx::query_scalar(AssertSqlSafe(count.as_str())), $f)
                .fetch_one(pool)
                .await?;
            Ok(Page { items, total })
        })
    }};
}

pub async fn list_markets(db: &Db, f: &ListQuery) -> sqlx::Result<Page<Market>> {
    list_page!(db, Market, MARKET_COLS, MARKET_FILTER, "m.name, m.id", f)
}

pub async fn get_market(db: &Db, id: i64) -> sqlx::Result<Option<Market>> {
    let sql = format!("SELECT {MARKET_COLS} FROM markets m WHERE m.id = $1");
    with_db!(db, pool => sqlx::query_as::<_, Market>(AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(pool).await)
}

pub async fn market_by_code(db: &Db, code: &str) -> sqlx::Result<Option<Market>> {
    let sql = format!("SELECT {MARKET_COLS} FROM markets m WHERE m.code = $1");
    with_db!(db, pool => sqlx::query_as::<_, Market>(AssertSqlSafe(sql.as_str())).bind(code).fetch_optional(pool).await)
}

pub async fn create_market(db: &Db, row: &MarketRow, is_demo: bool) -> sqlx::Result<Market> {
    let m = &row.input;
    let now = now_micros();
    let sql = "INSERT INTO markets (code, name, address, place_code, business_points, \
        class_override, class_override_reason, market_class, board_contact, status, is_demo, \
        search_text, created_at, updated_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id";
    let id: i64 = with_db!(db, pool => sqlx::query_scalar(sql)
        .bind(&m.code).bind(&m.name).bind(&m.address).bind(&m.place_code)
        .bind(m.business_points).bind(m.class_override).bind(&m.class_override_reason)
        .bind(row.market_class).bind(&m.board_contact).bind(&m.status).bind(is_demo)
        .bind(&row.search_text).bind(now)
        .fetch_one(pool).await)?;
    Ok(get_market(db, id).await?.expect("row just inserted"))
}

pub async fn update_market(db: &Db, id: i64, row: &MarketRow) -> sqlx::Result<Option<Market>> {
    let m = &row.input;
    let sql = "UPDATE markets SET code = $2, name = $3, address = $4, place_code = $5, \
        business_points = $6, class_override = $7, class_override_reason = $8, \
        market_class = $9, board_contact = $10, status = $11, search_text = $12, \
        updated_at = $13 WHERE id = $1";
    let n = with_db!(db, pool => sqlx::query(sql)
        .bind(id).bind(&m.code).bind(&m.name).bind(&m.address).bind(&m.place_code)
        .bind(m.business_points).bind(m.class_override).bind(&m.class_override_reason)
        .bind(row.market_class).bind(&m.board_contact).bind(&m.status)
        .bind(&row.search_text).bind(now_micros())
        .execute(pool).await?.rows_affected());
    if n == 0 {
        Ok(None)
    } else {
        get_market(db, id).await
    }
}

pub async fn list_stalls(db: &Db, f: &ListQuery) -> sqlx::Result<Page<Stall>> {
    list_page!(
        db,
        Stall,
        STALL_COLS,
        STALL_FILTER,
        "s.market_id, s.code",
        f
    )
}

pub async fn get_stall(db: &Db, id: i64) -> sqlx::Result<Option<Stall>> {
    let sql = format!("SELECT {STALL_COLS} FROM stalls s WHERE s.id = $1");
    with_db!(db, pool => sqlx::query_as::<_, Stall>(AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(pool).await)
}

pub async fn create_stall(db: &Db, row: &StallRow, is_demo: bool) -> sqlx::Result<Stall> {
    let s = &row.input;
    let sql = "INSERT INTO stalls (market_id, code, zone, category, status, merchant_id, \
        is_demo, search_text, created_at, updated_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id";
    let id: i64 = with_db!(db, pool => sqlx::query_scalar(sql)
        .bind(s.market_id).bind(&s.code).bind(&s.zone).bind(&s.category).bind(&s.status)
        .bind(s.merchant_id).bind(is_demo).bind(&row.search_text).bind(now_micros())
        .fetch_one(pool).await)?;
    Ok(get_stall(db, id).await?.expect("row just inserted"))
}

/// Updates a stall. Moving it to another market moves its receipts in the indicators' market
/// aggregates in the same transaction.
pub async fn update_stall(db: &Db, id: i64, row: &StallRow) -> sqlx::Result<Option<Stall>> {
    let s = &row.input;
    let mut tx = db.begin().await?;
    // Locked first, so that a posting run counting this stall's receipts finishes before the
    // move reads them, or starts after it (aggregates::record).
    let lock = match tx.engine() {
        crate::db::Engine::Postgres => " FOR UPDATE",
        crate::db::Engine::Sqlite => "",
    };
    let sql = format!("SELECT market_id FROM stalls WHERE id = $1{lock}");
    let old = tx.fetch_ids(&sql, &[Arg::I64(id)]).await?;
    let Some(&old) = old.first() else {
        return Ok(None);
    };
    let moved = old != s.market_id;
    if moved {
        crate::indicators::aggregates::move_stall(&mut tx, id, -1).await?;
    }
    let sql = "UPDATE stalls SET market_id = $2, code = $3, zone = $4, category = $5, \
        status = $6, merchant_id = $7, search_text = $8, updated_at = $9 WHERE id = $1";
    tx.execute(
        sql,
        &[
            Arg::I64(id),
            Arg::I64(s.market_id),
            Arg::Text(s.code.clone()),
            Arg::Text(s.zone.clone()),
            Arg::Text(s.category.clone()),
            Arg::Text(s.status.clone()),
            Arg::OptI64(s.merchant_id),
            Arg::Text(row.search_text.clone()),
            Arg::I64(now_micros()),
        ],
    )
    .await?;
    if moved {
        crate::indicators::aggregates::move_stall(&mut tx, id, 1).await?;
    }
    tx.commit().await?;
    get_stall(db, id).await
}

pub async fn list_merchants(db: &Db, f: &ListQuery) -> sqlx::Result<Page<Merchant>> {
    list_page!(
        db,
        Merchant,
        MERCHANT_COLS,
        MERCHANT_FILTER,
        "r.name, r.id",
        f
    )
}

pub async fn get_merchant(db: &Db, id: i64) -> sqlx::Result<Option<Merchant>> {
    let sql = format!("SELECT {MERCHANT_COLS} FROM merchants r WHERE r.id = $1");
    with_db!(db, pool => sqlx::query_as::<_, Merchant>(AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(pool).await)
}

pub async fn create_merchant(db: &Db, row: &MerchantRow, is_demo: bool) -> sqlx::Result<Merchant> {
    let m = &row.input;
    let sql = "INSERT INTO merchants (tax_code, name, kind, owner_name, phone, address, \
        place_code, payment_methods, status, is_demo, search_text, created_at, updated_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id";
    let id: i64 = with_db!(db, pool => sqlx::query_scalar(sql)
        .bind(&m.tax_code).bind(&m.name).bind(&m.kind).bind(&m.owner_name).bind(&m.phone)
        .bind(&m.address).bind(&m.place_code).bind(&row.payment_methods).bind(&m.status)
        .bind(is_demo).bind(&row.search_text).bind(now_micros())
        .fetch_one(pool).await)?;
    Ok(get_merchant(db, id).await?.expect("row just inserted"))
}

pub async fn update_merchant(
    db: &Db,
    id: i64,
    row: &MerchantRow,
) -> sqlx::Result<Option<Merchant>> {
    let m = &row.input;
    let sql = "UPDATE merchants SET tax_code = $2, name = $3, kind = $4, owner_name = $5, \
        phone = $6, address = $7, place_code = $8, payment_methods = $9, status = $10, \
        search_text = $11, updated_at = $12 WHERE id = $1";
    let n = with_db!(db, pool => sqlx::query(sql)
        .bind(id).bind(&m.tax_code).bind(&m.name).bind(&m.kind).bind(&m.owner_name)
        .bind(&m.phone).bind(&m.address).bind(&m.place_code).bind(&row.payment_methods)
        .bind(&m.status).bind(&row.search_text).bind(now_micros())
        .execute(pool).await?.rows_affected());
    if n == 0 {
        Ok(None)
    } else {
        get_merchant(db, id).await
    }
}

pub async fn list_accounts(db: &Db, merchant_id: i64) -> sqlx::Result<Vec<BankAccount>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLS} FROM bank_accounts WHERE merchant_id = $1 \
         ORDER BY is_default DESC, id"
    );
    with_db!(db, pool => sqlx::query_as::<_, BankAccount>(AssertSqlSafe(sql.as_str())).bind(merchant_id).fetch_all(pool).await)
}

/// Adds a payout account; the first account, or one marked default, becomes the default and
/// the others lose the mark, in one transaction.
pub async fn add_account(
    db: &Db,
    merchant_id: i64,
    a: &BankAccountInput,
) -> sqlx::Result<BankAccount> {
    let sql = format!(
        "INSERT INTO bank_accounts (merchant_id, bank_bin, account_number, holder_name, \
         is_default, created_at) VALUES ($1, $2, $3, $4, \
         $5 OR NOT EXISTS (SELECT 1 FROM bank_accounts WHERE merchant_id = $1), $6) \
         RETURNING {ACCOUNT_COLS}"
    );
    with_db!(db, pool => {
        let mut tx = pool.begin_write().await?;
        if a.is_default {
            sqlx::query("UPDATE bank_accounts SET is_default = FALSE WHERE merchant_id = $1")
                .bind(merchant_id)
                .execute(&mut *tx)
                .await?;
        }
        let acc = sqlx::query_as::<_, BankAccount>(AssertSqlSafe(sql.as_str()))
            .bind(merchant_id).bind(&a.bank_bin).bind(&a.account_number)
            .bind(&a.holder_name).bind(a.is_default).bind(now_micros())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(acc)
    })
}

pub async fn delete_account(db: &Db, merchant_id: i64, id: i64) -> sqlx::Result<bool> {
    let sql = "DELETE FROM bank_accounts WHERE id = $1 AND merchant_id = $2";
    let n = with_db!(db, pool => sqlx::query(sql).bind(id).bind(merchant_id)
        .execute(pool).await?.rows_affected());
    Ok(n > 0)
}

/// The default payout account of the merchant running a stall, if any.
pub async fn stall_payout_account(db: &Db, stall_id: i64) -> sqlx::Result<Option<BankAccount>> {
    let sql = "SELECT a.id, a.merchant_id, a.bank_bin, a.account_number, a.holder_name, \
         a.is_default, a.created_at FROM stalls s \
         JOIN bank_accounts a ON a.merchant_id = s.merchant_id \
         WHERE s.id = $1 ORDER BY a.is_default DESC, a.id LIMIT 1";
    with_db!(db, pool => sqlx::query_as::<_, BankAccount>(sql).bind(stall_id).fetch_optional(pool).await)
}
