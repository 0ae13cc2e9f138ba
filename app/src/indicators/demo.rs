//! Demo receipts for the dashboard: a few thousand payments at demo stalls over the last 60
//! days, written as ordinary unposted receipts, so the ledger sweeper posts them and fills the
//! daily aggregates the way real payments do. Seeded once (a `meta` marker).

use crate::db::{Arg, Db, now_micros};
use crate::demo::Rng;
use crate::with_db;

const MARKER: &str = "demo_receipts_v1";
pub const DEMO_RECEIPTS: usize = 4_000;

pub async fn seed_receipts(db: &Db) -> anyhow::Result<()> {
    if crate::demo::has_marker(db, MARKER).await? {
        return Ok(());
    }
    // Occupied demo stalls whose merchant has a payout account.
    let stalls: Vec<(i64, i64, i64)> = with_db!(db, p => sqlx::query_as(
        "SELECT s.id, s.merchant_id, s.market_id FROM stalls s WHERE s.is_demo = $1 AND s.status = 'active' \
         AND s.merchant_id IS NOT NULL AND EXISTS (SELECT 1 FROM bank_accounts b \
         WHERE b.merchant_id = s.merchant_id) ORDER BY s.id")
        .bind(true).fetch_all(p).await)?;
    if stalls.is_empty() {
        return Ok(());
    }
    let mut rng = Rng::new(0x5245_4345_4950_5453); // "RECEIPTS"
    // Three markets in four have started; in those, a stall in four takes cashless payments
    // (the rest, and the other markets, take cash only).
    let cashless: Vec<(i64, i64, i64)> = stalls
        .iter()
        .copied()
        .filter(|s| s.2 % 4 != 0 && rng.chance(25))
        .collect();
    let now = now_micros();
    let mut tx = db.begin().await?;
    crate::demo::claim_marker(&mut tx, MARKER, &now.to_string()).await?;
    for i in 0..DEMO_RECEIPTS {
        let cash = rng.chance(30) || cashless.is_empty();
        let (stall, merchant, _) = if cash {
            *rng.pick(&stalls)
        } else {
            *rng.pick(&cashless)
        };
        let method = if cash {
            "cash"
        } else {
            *rng.pick(&["transfer", "transfer", "transfer", "ewallet", "card"])
        };
        // Recent days a little busier than older ones.
        let age_days = rng.range(0, 59).min(rng.range(0, 59));
        let at = now - (age_days * 86_400 + rng.range(0, 86_399)) as i64 * 1_000_000;
        if at > now {
            continue;
        }
        let amount = rng.range(2, 60) as i64 * 5_000;
        tx.execute(
            "INSERT INTO incoming_transfers (provider, provider_tx_id, account_number, amount, \
             direction, description, occurred_at, received_at, match_kind, stall_id, merchant_id, \
             late, raw, method, ledger_posted) VALUES ('demo', $1, '', $2, 'in', $3, $4, $4, \
             'direct', $5, $6, $7, '{}', $8, $7)",
            &[
                Arg::Text(format!("DEMO-R-{i:05}")),
                Arg::I64(amount),
                Arg::Text("Thanh toán mẫu".into()),
                Arg::I64(at),
                Arg::I64(stall),
                Arg::I64(merchant),
                Arg::Bool(false),
                Arg::Text(method.into()),
            ],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
