//! Demo fees (`--demo`): schedules for the first demo markets and their bills for the last
//! three months, in one transaction: some paid by QR (the payment request paid, a matched bank
//! transfer stored), some in cash with a receipt, some half and half, some unpaid (overdue once
//! their due day has passed). Seeded once (a `meta` marker), deterministic but for references.

use super::*;

const MARKER: &str = "demo_fees_seeded_v1";
/// The demo markets that get fees.
const MARKETS: &[&str] = &["DEMO-QN-001", "DEMO-QN-002"];
const SCHEDULES: &[(&str, &str, i64)] = &[
    ("", "rent", 300_000),
    ("", "sanitation", 30_000),
    ("", "security", 20_000),
    ("Thịt lợn", "sanitation", 50_000),
    ("Hải sản", "water", 40_000),
];

/// The 'YYYY-MM' period `back` months before the one of `now`.
fn period_back(now: i64, back: i32) -> (i32, u8) {
    let p = period_of(now);
    let (y, m) = parse_period(&p).unwrap_or((2026, 1));
    let n = y * 12 + i32::from(m) - 1 - back;
    (
        n.div_euclid(12),
        u8::try_from(n.rem_euclid(12) + 1).unwrap_or(1),
    )
}

pub async fn seed(db: &Db) -> anyhow::Result<()> {
    if crate::demo::has_marker(db, MARKER).await? {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let now = now_micros();
    let mut tx = db.begin().await?;
    crate::demo::claim_marker(&mut tx, MARKER, &now.to_string()).await?;
    let mut bills = 0usize;
    for (i, code) in MARKETS.iter().enumerate() {
        let Some(market) = crate::register::store::market_by_code(db, code).await? else {
            continue;
        };
        let (bin, account) = ("970436", format!("0451000{:06}", market.id));
        tx.execute(
            "INSERT INTO market_accounts (market_id, bank_bin, account_number, holder_name, \
             updated_at) VALUES ($1, $2, $3, $4, $5)",
            &[
                Arg::I64(market.id),
                Arg::Text(bin.into()),
                Arg::Text(account.clone()),
                Arg::Text(format!("BAN QUAN LY CHO {}", i + 1)),
                Arg::I64(now),
            ],
        )
        .await?;
        let mut schedule_ids = Vec::new();
        for (category, kind, amount) in SCHEDULES {
            let id = tx
                .fetch_i64(
                    "INSERT INTO fee_schedules (market_id, stall_category, kind, amount, active, \
                     is_demo, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                     RETURNING id",
                    &[
                        Arg::I64(market.id),
                        Arg::Text((*category).into()),
                        Arg::Text((*kind).into()),
                        Arg::I64(*amount),
                        Arg::Bool(true),
                        Arg::Bool(true),
                        Arg::I64(now),
                    ],
                )
                .await?;
            schedule_ids.push(Schedule {
                id,
                market_id: market.id,
                stall_category: (*category).into(),
                kind: (*kind).into(),
                amount: *amount,
                active: true,
                is_demo: true,
                created_at: now,
                updated_at: now,
            });
        }
        let stalls: Vec<(i64, String, String, Option<i64>)> = with_db!(db, p => sqlx::query_as(
            "SELECT id, code, category, merchant_id FROM stalls WHERE market_id = $1 \
             AND status = 'active' AND merchant_id IS NOT NULL ORDER BY id")
            .bind(market.id).fetch_all(p).await)?;
        let mut receipt_seq: std::collections::HashMap<String, i64> = Default::default();
        for back in (0..3).rev() {
            let (y, m) = period_back(now, back);
            let period = format!("{y:04}-{m:02}");
            let due = due_at(y, m, DEFAULT_DUE_DAY).ok_or_else(|| anyhow::anyhow!("due date"))?;
            for (n, (stall, code, category, merchant)) in stalls.iter().enumerate() {
                let Some(merchant) = merchant else { continue };
                for s in applicable(&schedule_ids, category) {
                    // 0–3 QR, 4–5 cash, 6 half and half, 7–9 unpaid; nothing is paid yet in
                    // the current month before its due day for a third of the stalls.
                    let mut way = (n + s.id as usize + back as usize) % 10;
                    if back == 0 && n % 3 == 0 {
                        way = 9;
                    }
                    let (qr, cash) = match way {
                        0..=3 => (s.amount, 0),
                        4 | 5 => (0, s.amount),
                        6 => (s.amount / 2, s.amount - s.amount / 2),
                        _ => (0, 0),
                    };
                    let paid_at = (due - 3 * 86_400 * 1_000_000).min(now);
                    let request = insert_request(
                        &mut tx,
                        (bin, &account),
                        *stall,
                        *merchant,
                        s,
                        &format!("{} {period} quầy {code}", kind_vi(&s.kind)),
                        qr,
                        paid_at,
                        due,
                    )
                    .await?;
                    let status = match qr + cash {
                        0 => "open",
                        t if t >= s.amount => "paid",
                        _ => "partially_paid",
                    };
                    let bill = tx
                        .fetch_i64(
                            "INSERT INTO fee_bills (market_id, stall_id, merchant_id, schedule_id, \
                             period, kind, amount, due_at, payment_request_id, paid_cashless, \
                             paid_cash, status, paid_at, is_demo, created_at, updated_at) VALUES \
                             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) \
                             RETURNING id",
                            &[
                                Arg::I64(market.id),
                                Arg::I64(*stall),
                                Arg::I64(*merchant),
                                Arg::I64(s.id),
                                Arg::Text(period.clone()),
                                Arg::Text(s.kind.clone()),
                                Arg::I64(s.amount),
                                Arg::I64(due),
                                Arg::I64(request),
                                Arg::I64(qr),
                                Arg::I64(cash),
                                Arg::Text(status.into()),
                                Arg::OptI64((status == "paid").then_some(paid_at)),
                                Arg::Bool(true),
                                Arg::I64(due - 20 * 86_400 * 1_000_000),
                            ],
                        )
                        .await?;
                    if cash > 0 {
                        let prefix = super::receipt_prefix(market.id, paid_at);
                        let seq = receipt_seq.entry(prefix.clone()).or_insert(0);
                        *seq += 1;
                        tx.execute(
                            "INSERT INTO fee_cash_payments (bill_id, amount, receipt_no, \
                             idempotency_key, received_at) VALUES ($1, $2, $3, $4, $5)",
                            &[
                                Arg::I64(bill),
                                Arg::I64(cash),
                                Arg::Text(format!("{prefix}{:05}", *seq)),
                                Arg::Text(format!("demo-{bill}")),
                                Arg::I64(paid_at),
                            ],
                        )
                        .await?;
                    }
                    bills += 1;
                }
            }
        }
    }
    tx.commit().await?;
    tracing::info!(
        bills,
        ms = started.elapsed().as_millis() as u64,
        "demo fees seeded"
    );
    Ok(())
}

/// A bill's payment request to the market's account, paid by `paid` đồng through a stored,
/// matched transfer (a bill's transfer belongs to no stall nor merchant: see receipts::notify).
#[allow(clippy::too_many_arguments)]
async fn insert_request(
    tx: &mut Tx,
    (bin, account): (&str, &str),
    stall: i64,
    merchant: i64,
    s: &Schedule,
    description: &str,
    paid: i64,
    paid_at: i64,
    due: i64,
) -> anyhow::Result<i64> {
    let r = BillRequest {
        bank_bin: bin,
        account_number: account,
        stall,
        payer: merchant,
        amount: s.amount,
        description,
        paid,
        created_at: due - 20 * 86_400 * 1_000_000,
        expires_at: due + REQUEST_OPEN_AFTER_DUE_US,
        created_by: None,
    };
    let (id, reference) = insert_bill_request(tx, &r)
        .await
        .map_err(|e| anyhow::anyhow!("demo bill request: {}", e.body.message_en))?;
    if paid > 0 {
        tx.execute(
            "INSERT INTO incoming_transfers (provider, provider_tx_id, account_number, amount, \
             direction, description, reference, occurred_at, received_at, match_kind, \
             payment_request_id, late, raw) VALUES ('demo', $1, $2, $3, 'in', $4, $5, $6, $6, \
             'reference', $7, $8, '{}')",
            &[
                Arg::Text(format!("FEE-{id}")),
                Arg::Text(account.into()),
                Arg::I64(paid),
                Arg::Text(format!("{reference} phi cho")),
                Arg::Text(reference),
                Arg::I64(paid_at),
                Arg::I64(id),
                Arg::Bool(false),
            ],
        )
        .await?;
    }
    Ok(id)
}
