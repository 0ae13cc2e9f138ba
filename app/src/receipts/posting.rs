//! Posting receipts to the double-entry ledger. Every receipt of a known merchant becomes one
//! ledger transfer: debit the clearing account of the source it came through (payOS, Casso, …,
//! or a bank statement), credit the merchant's receipts account. The transfer id is derived from
//! the receipt id, so posting again is a no-op (`Exists`): a sweeper posts whatever is not yet
//! marked posted, on every server, and crashes between the two steps lose nothing.

use ledger::{Account, CreateAccountResult, CreateTransferResult, Transfer};

use crate::db::Db;
use crate::payments::ledger_store::LedgerStore;
use crate::with_db;

/// The đồng ledger (ISO 4217 numeric code of VND).
pub const LEDGER_VND: u32 = 704;
/// Chart of accounts.
pub const CODE_CLEARING: u16 = 1100;
pub const CODE_MERCHANT_RECEIPTS: u16 = 2100;
/// Transfer reasons: a receipt at a stall, a refund, and the two halves of a correction.
pub const CODE_RECEIPT: u16 = 1;
pub const CODE_REFUND: u16 = 2;
pub const CODE_CORRECTION_REVERSAL: u16 = 3;
pub const CODE_CORRECTION: u16 = 4;
const BATCH: i64 = 2000;

/// The clearing account a receipt came through: its provider (or `statement`) for bank
/// transfers, its method (`card`, `ewallet`, `cash`) for direct receipts.
const CLEARING_SOURCE: &str = "CASE WHEN t.method = 'transfer' THEN t.provider ELSE t.method END";

// Id spaces, high bits: 1 = clearing accounts, 2 = merchant accounts, 3 = receipt transfers,
// 4 = refunds, 5 = correction reversals, 6 = corrections' new transfers (low bits: the row id).
pub fn clearing_account_id(source: &str) -> u128 {
    let n = source
        .bytes()
        .fold(0u128, |acc, b| acc << 8 | u128::from(b))
        & ((1 << 96) - 1);
    1 << 120 | n
}

pub fn merchant_account_id(merchant_id: i64) -> u128 {
    2 << 120 | u128::from(merchant_id.unsigned_abs())
}

pub fn receipt_transfer_id(receipt_id: i64) -> u128 {
    3 << 120 | u128::from(receipt_id.unsigned_abs())
}

pub fn refund_transfer_id(adjustment_id: i64) -> u128 {
    4 << 120 | u128::from(adjustment_id.unsigned_abs())
}

pub fn reversal_transfer_id(adjustment_id: i64) -> u128 {
    5 << 120 | u128::from(adjustment_id.unsigned_abs())
}

pub fn correction_transfer_id(adjustment_id: i64) -> u128 {
    6 << 120 | u128::from(adjustment_id.unsigned_abs())
}

fn merchant_account(merchant: i64) -> Account {
    account(
        merchant_account_id(merchant),
        CODE_MERCHANT_RECEIPTS,
        merchant.unsigned_abs(),
    )
}

fn account(id: u128, code: u16, user: u64) -> Account {
    Account {
        id,
        ledger: LEDGER_VND,
        code,
        user_data_64: user,
        ..Account::default()
    }
}

/// The receipts still to post: exactly the predicate of the partial index
/// `incoming_transfers_to_post`, written as literals so that both engines' planners use that
/// index whatever their statistics say (a bound parameter hides the match; stale statistics
/// after a bulk load made PostgreSQL walk the primary key through millions of posted rows).
const TO_POST: &str =
    "t.ledger_posted = FALSE AND t.direction = 'in' AND t.merchant_id IS NOT NULL";

/// Posts up to one batch of unposted receipts; returns how many were posted.
pub async fn post_pending(db: &Db, store: &LedgerStore) -> anyhow::Result<usize> {
    let sql = format!(
        "SELECT t.id, {CLEARING_SOURCE}, t.merchant_id, t.amount FROM incoming_transfers t \
         WHERE {TO_POST} ORDER BY t.id LIMIT $1"
    );
    let rows: Vec<(i64, String, i64, i64)> = with_db!(db, p => sqlx::query_as(
        sqlx::AssertSqlSafe(sql)).bind(BATCH).fetch_all(p).await)?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut accounts: Vec<Account> = Vec::new();
    for (_, source, merchant, _) in &rows {
        let c = account(clearing_account_id(source), CODE_CLEARING, 0);
        let m = merchant_account(*merchant);
        for a in [c, m] {
            if !accounts.iter().any(|x| x.id == a.id) {
                accounts.push(a);
            }
        }
    }
    let failed = store.submit_accounts(accounts).await?;
    if let Some((_, r)) = failed
        .iter()
        .find(|(_, r)| *r != CreateAccountResult::Exists)
    {
        anyhow::bail!("ledger refused an account: {r:?}");
    }
    let transfers: Vec<Transfer> = rows
        .iter()
        .map(|(id, source, merchant, amount)| Transfer {
            id: receipt_transfer_id(*id),
            debit_account_id: clearing_account_id(source),
            credit_account_id: merchant_account_id(*merchant),
            amount: amount.unsigned_abs(),
            user_data_64: id.unsigned_abs(),
            ledger: LEDGER_VND,
            code: CODE_RECEIPT,
            ..Transfer::default()
        })
        .collect();
    let failed = store.submit_transfers(transfers).await?;
    // `Exists` is success: an earlier run (or another server) posted it already.
    let refused: Vec<usize> = failed
        .iter()
        .filter(|(_, r)| *r != CreateTransferResult::Exists)
        .map(|(i, r)| {
            tracing::error!(receipt = rows[*i].0, result = ?r, "ledger refused a receipt");
            *i
        })
        .collect();
    let posted = unrefused(rows.iter().map(|r| r.0), &refused);
    let mut tx = db.begin().await?;
    // Only the run that flips the mark counts a receipt in the indicators' aggregates (another
    // server may have posted it meanwhile).
    let flipped = mark_posted(&mut tx, "incoming_transfers", &posted).await?;
    crate::indicators::aggregates::record_receipts(&mut tx, &flipped).await?;
    tx.commit().await?;
    // A correction has two transfers, so `refused` may name a row twice: count what was kept.
    Ok(posted.len())
}

/// Posts up to one batch of refunds and corrections whose receipt is already posted; returns
/// how many were posted. Refund: debit the merchant, credit the clearing account. Correction:
/// reversal (debit the old merchant, credit clearing) and new transfer (debit clearing, credit
/// the new merchant), in one request, so one batch transaction commits both.
pub async fn post_adjustments(db: &Db, store: &LedgerStore) -> anyhow::Result<usize> {
    type Row = (
        i64,
        i64,
        String,
        i64,
        Option<i64>,
        i64,
        Option<i64>,
        Option<i64>,
        String,
    );
    let sql = format!(
        "SELECT a.id, a.receipt_id, a.kind, a.from_merchant_id, a.from_stall_id, a.amount, \
         a.to_merchant_id, a.to_stall_id, {CLEARING_SOURCE} FROM receipt_adjustments a \
         JOIN incoming_transfers t ON t.id = a.receipt_id \
         WHERE a.ledger_posted = $1 AND t.ledger_posted = $2 ORDER BY a.id LIMIT $3"
    );
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(false).bind(true).bind(BATCH).fetch_all(p).await)?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut accounts: Vec<Account> = Vec::new();
    let mut transfers: Vec<Transfer> = Vec::new();
    // Which row each transfer belongs to.
    let mut owner: Vec<usize> = Vec::new();
    for (i, (id, receipt, kind, from, from_stall, amount, to, to_stall, source)) in
        rows.iter().enumerate()
    {
        let clearing = clearing_account_id(source);
        let mut wanted = vec![account(clearing, CODE_CLEARING, 0), merchant_account(*from)];
        let transfer =
            |id: u128, debit: u128, credit: u128, code: u16, stall: Option<i64>| Transfer {
                id,
                debit_account_id: debit,
                credit_account_id: credit,
                amount: amount.unsigned_abs(),
                user_data_64: receipt.unsigned_abs(),
                user_data_32: stall.map_or(0, |s| u32::try_from(s).unwrap_or(0)),
                ledger: LEDGER_VND,
                code,
                ..Transfer::default()
            };
        match (kind.as_str(), to) {
            ("refund", _) => {
                transfers.push(transfer(
                    refund_transfer_id(*id),
                    merchant_account_id(*from),
                    clearing,
                    CODE_REFUND,
                    *from_stall,
                ));
                owner.push(i);
            }
            ("correction", Some(to)) => {
                wanted.push(merchant_account(*to));
                transfers.push(transfer(
                    reversal_transfer_id(*id),
                    merchant_account_id(*from),
                    clearing,
                    CODE_CORRECTION_REVERSAL,
                    *from_stall,
                ));
                transfers.push(transfer(
                    correction_transfer_id(*id),
                    clearing,
                    merchant_account_id(*to),
                    CODE_CORRECTION,
                    *to_stall,
                ));
                owner.extend([i, i]);
            }
            _ => anyhow::bail!("adjustment {id}: unknown kind {kind}"),
        }
        for a in wanted {
            if !accounts.iter().any(|x| x.id == a.id) {
                accounts.push(a);
            }
        }
    }
    let failed = store.submit_accounts(accounts).await?;
    if let Some((_, r)) = failed
        .iter()
        .find(|(_, r)| *r != CreateAccountResult::Exists)
    {
        anyhow::bail!("ledger refused an account: {r:?}");
    }
    let failed = store.submit_transfers(transfers).await?;
    let mut refused: Vec<usize> = Vec::new();
    for (i, r) in &failed {
        if *r != CreateTransferResult::Exists {
            tracing::error!(adjustment = rows[owner[*i]].0, result = ?r, "ledger refused an adjustment");
            refused.push(owner[*i]);
        }
    }
    let posted = unrefused(rows.iter().map(|r| r.0), &refused);
    let mut tx = db.begin().await?;
    let flipped = mark_posted(&mut tx, "receipt_adjustments", &posted).await?;
    crate::indicators::aggregates::record_adjustments(&mut tx, &flipped).await?;
    tx.commit().await?;
    // A correction has two transfers, so `refused` may name a row twice: count what was kept.
    Ok(posted.len())
}

/// The ids of a batch but those at the `refused` positions.
fn unrefused(ids: impl Iterator<Item = i64>, refused: &[usize]) -> Vec<i64> {
    ids.enumerate()
        .filter(|(i, _)| !refused.contains(i))
        .map(|(_, id)| id)
        .collect()
}

/// Marks rows of `table` posted; returns the ids this call flipped (not those another server
/// marked meanwhile).
async fn mark_posted(tx: &mut crate::db::Tx, table: &str, ids: &[i64]) -> sqlx::Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "UPDATE {table} SET ledger_posted = TRUE WHERE ledger_posted = FALSE AND id IN ({}) \
         RETURNING id",
        crate::db::id_list(ids)
    );
    tx.fetch_ids(&sql, &[]).await
}

/// Posts in the background: shortly after each receipt, and every second anyway.
pub fn spawn_sweeper(
    db: Db,
    store: LedgerStore,
    mut wake: tokio::sync::mpsc::Receiver<()>,
    mut down: tokio::sync::watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        loop {
            loop {
                match post_pending(&db, &store).await {
                    Ok(n) if n as i64 == BATCH => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "posting receipts to the ledger failed; will retry");
                        break;
                    }
                }
            }
            // Adjustments after their receipts: a refund never reaches the ledger before the
            // receipt it refunds.
            loop {
                match post_adjustments(&db, &store).await {
                    Ok(n) if n as i64 == BATCH => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "posting refunds to the ledger failed; will retry");
                        break;
                    }
                }
            }
            tokio::select! {
                _ = wake.recv() => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                _ = down.changed() => break,
            }
        }
        store.close().await;
    });
}
