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
/// Transfer reason: a receipt at a stall.
pub const CODE_RECEIPT: u16 = 1;
const BATCH: i64 = 2000;

// Id spaces, high bits: 1 = clearing accounts, 2 = merchant accounts, 3 = receipt transfers.
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

fn account(id: u128, code: u16, user: u64) -> Account {
    Account {
        id,
        ledger: LEDGER_VND,
        code,
        user_data_64: user,
        ..Account::default()
    }
}

/// Posts up to one batch of unposted receipts; returns how many were posted.
pub async fn post_pending(db: &Db, store: &LedgerStore) -> anyhow::Result<usize> {
    let rows: Vec<(i64, String, i64, i64)> = with_db!(db, p => sqlx::query_as(
        "SELECT id, provider, merchant_id, amount FROM incoming_transfers WHERE ledger_posted = $1 \
         AND direction = 'in' AND merchant_id IS NOT NULL ORDER BY id LIMIT $2")
        .bind(false).bind(BATCH).fetch_all(p).await)?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut accounts: Vec<Account> = Vec::new();
    for (_, source, merchant, _) in &rows {
        let c = account(clearing_account_id(source), CODE_CLEARING, 0);
        let m = account(
            merchant_account_id(*merchant),
            CODE_MERCHANT_RECEIPTS,
            merchant.unsigned_abs(),
        );
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
    let mut tx = db.begin().await?;
    for (i, (id, ..)) in rows.iter().enumerate() {
        if !refused.contains(&i) {
            tx.execute(
                "UPDATE incoming_transfers SET ledger_posted = $2 WHERE id = $1",
                &[crate::db::Arg::I64(*id), crate::db::Arg::Bool(true)],
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(rows.len() - refused.len())
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
            tokio::select! {
                _ = wake.recv() => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                _ = down.changed() => break,
            }
        }
        store.close().await;
    });
}
