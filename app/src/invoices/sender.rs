//! Sending to the tax authority: registrations (100) and invoices, batched into signed 206
//! messages, kept in `tax_messages` with their state, sent with retries and back-off, and
//! followed until the authority's verdict (103/204/301). Every step is a conditional UPDATE
//! on the database, so several app servers may run the sender side by side and a crash
//! between steps only repeats a step (the authority deduplicates by message id).

use std::time::Duration;

use einvoice::envelope::{self, Header};

use super::issue::local_datetime;
use crate::db::{Arg, Db, now_micros};
use crate::server::AppState;
use crate::tax::{TaxError, TaxReply, Verdict, verdict};
use crate::with_db;

/// Invoices per 206 message.
pub const BATCH: i64 = 1000;
/// Longest wait between two attempts.
const MAX_BACKOFF_S: i64 = 600;
/// An invoice of local day D not accepted by this many hours after the end of D raises the
/// alarm (the rule is "same day", in some cases the next working day).
pub const DEADLINE_HOURS_AFTER_DAY: i64 = 0;

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SendReport {
    pub batched_messages: usize,
    pub batched_invoices: usize,
    pub sent: usize,
    pub retried: usize,
    pub accepted: usize,
    pub refused: usize,
}

#[derive(sqlx::FromRow)]
struct Message {
    id: i64,
    merchant_id: i64,
    kind: String,
    message_id: String,
    xml: String,
    status: String,
    attempts: i32,
    next_attempt_at: i64,
}

fn backoff_micros(attempts: i32) -> i64 {
    let s = 1i64 << attempts.clamp(0, 10);
    s.min(MAX_BACKOFF_S) * 1_000_000
}

/// A new message id from the sender code and random bytes.
pub fn new_message_id(sender: &str) -> String {
    envelope::message_id(sender, rand::random())
}

pub fn header(tax_code: &str, kind: u16) -> Header {
    Header {
        version: "2.0.1".into(),
        sender: tax_code.into(),
        receiver: "TCT".into(),
        kind,
        id: new_message_id(tax_code),
        reference_id: None,
        tax_code: tax_code.into(),
        count: 0,
    }
}

/// Queues a message to send (the sender picks it up on its next round).
pub async fn queue(
    db: &Db,
    merchant_id: i64,
    kind: &str,
    message_id: &str,
    xml: &str,
    invoice_count: i64,
) -> sqlx::Result<i64> {
    let now = now_micros();
    with_db!(db, p => sqlx::query_scalar::<_, i64>(
        "INSERT INTO tax_messages (merchant_id, kind, message_id, xml, invoice_count, status, \
         next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6, $6) \
         RETURNING id")
        .bind(merchant_id).bind(kind).bind(message_id).bind(xml).bind(invoice_count as i32)
        .bind(now).fetch_one(p).await)
}

/// One round: batch pending invoices, send due messages, collect due verdicts.
pub async fn run_once(st: &AppState) -> anyhow::Result<SendReport> {
    let mut report = SendReport::default();
    if let Some(signer) = st.invoice_signer.as_deref() {
        super::issue::sign_unsigned(&st.db, signer).await?;
        batch_pending(&st.db, signer, &mut report).await?;
    }
    let now = now_micros();
    let due = with_db!(&st.db, p => sqlx::query_as::<_, Message>(
        "SELECT id, merchant_id, kind, message_id, xml, status, attempts, next_attempt_at \
         FROM tax_messages WHERE status IN ('pending', 'acknowledged') AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at LIMIT 100")
        .bind(now).fetch_all(p).await)?;
    for m in due {
        // Claim the message for a while, so another server does not work on it at once.
        let lease = now + 60_000_000;
        let claimed = with_db!(&st.db, p => sqlx::query(
            "UPDATE tax_messages SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3 \
             AND status = $4")
            .bind(lease).bind(m.id).bind(m.next_attempt_at).bind(&m.status).execute(p).await
            .map(|r| r.rows_affected()))?;
        if claimed != 1 {
            continue;
        }
        // One message's trouble must not stop the others.
        let done = if m.status == "pending" {
            send(st, &m, &mut report).await
        } else {
            follow(st, &m, &mut report).await
        };
        if let Err(e) = done {
            tracing::error!(message = %m.message_id, error = %e, "tax message round failed");
        }
    }
    Ok(report)
}

/// Puts each seller's pending invoices (oldest numbers first) into signed 206 messages.
async fn batch_pending(
    db: &Db,
    signer: &einvoice::SigningKey,
    report: &mut SendReport,
) -> anyhow::Result<()> {
    let sellers: Vec<(i64, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT DISTINCT merchant_id, seller_tax_code FROM invoices WHERE tax_status = 'pending'")
        .fetch_all(p).await)?;
    for (merchant, mst) in sellers {
        let rows: Vec<(i64, String)> = with_db!(db, p => sqlx::query_as(
            "SELECT id, xml FROM invoices WHERE merchant_id = $1 AND tax_status = 'pending' \
             ORDER BY year, number LIMIT $2")
            .bind(merchant).bind(BATCH).fetch_all(p).await)?;
        if rows.is_empty() {
            continue;
        }
        let mut invoices = Vec::with_capacity(rows.len());
        for (_, xml) in &rows {
            invoices.push(einvoice::read_invoice(xml)?);
        }
        let h = header(&mst, envelope::code::MTT_INVOICES);
        let data_id = format!("DLieu-{}", &h.id[h.id.len() - 12..]);
        let xml = envelope::build_signed_206(
            &h,
            &data_id,
            &invoices,
            signer,
            local_datetime(now_micros()),
        )?;
        let ids = rows
            .iter()
            .map(|(id, _)| id.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let now = now_micros();
        let mut tx = db.begin().await?;
        let msg = tx
            .fetch_i64(
                "INSERT INTO tax_messages (merchant_id, kind, message_id, xml, invoice_count, \
                 status, next_attempt_at, created_at, updated_at) \
                 VALUES ($1, '206', $2, $3, $4, 'pending', $5, $5, $5) RETURNING id",
                &[
                    Arg::I64(merchant),
                    Arg::Text(h.id.clone()),
                    Arg::Text(xml),
                    Arg::I32(rows.len() as i32),
                    Arg::I64(now),
                ],
            )
            .await?;
        // Ids come from the rows just read: integers, safe to inline.
        let taken = tx
            .execute(
                &format!(
                    "UPDATE invoices SET tax_status = 'sent', tax_message_id = $1 \
                     WHERE tax_status = 'pending' AND id IN ({ids})"
                ),
                &[Arg::I64(msg)],
            )
            .await?;
        if taken as usize != rows.len() {
            // Another server batched some of them first: leave it to that one.
            continue;
        }
        tx.commit().await?;
        report.batched_messages += 1;
        report.batched_invoices += rows.len();
    }
    Ok(())
}

async fn set_message(
    db: &Db,
    id: i64,
    status: &str,
    attempts: i32,
    next: i64,
    error: &str,
    reasons: &str,
) -> sqlx::Result<()> {
    with_db!(db, p => sqlx::query(
        "UPDATE tax_messages SET status = $2, attempts = $3, next_attempt_at = $4, \
         last_error = $5, reasons = $6, updated_at = $7 WHERE id = $1")
        .bind(id).bind(status).bind(attempts).bind(next).bind(error).bind(reasons)
        .bind(now_micros()).execute(p).await.map(|_| ()))
}

async fn send(st: &AppState, m: &Message, report: &mut SendReport) -> anyhow::Result<()> {
    let now = now_micros();
    let attempts = m.attempts + 1;
    match st.tax.submit(&m.xml).await {
        Ok(ack) if ack.is_ok() => {
            set_message(&st.db, m.id, "acknowledged", 0, now + 500_000, "", "").await?;
            report.sent += 1;
        }
        Ok(ack) => {
            let reasons = reasons_text(&ack.reasons);
            set_message(&st.db, m.id, "failed", attempts, now, "999", &reasons).await?;
            conclude(&st.db, m, false, &reasons, &[]).await?;
            tracing::error!(message = %m.message_id, %reasons, "tax authority could not read the message");
            report.refused += 1;
        }
        Err(e) if e.is_retryable() => {
            let next = now + backoff_micros(attempts);
            set_message(&st.db, m.id, "pending", attempts, next, &e.to_string(), "").await?;
            tracing::warn!(message = %m.message_id, attempts, error = %e, "tax authority unavailable, will retry");
            report.retried += 1;
        }
        Err(e) => {
            set_message(&st.db, m.id, "failed", attempts, now, &e.to_string(), "").await?;
            conclude(&st.db, m, false, &e.to_string(), &[]).await?;
            tracing::error!(message = %m.message_id, error = %e, "tax authority refused the request");
            report.refused += 1;
        }
    }
    Ok(())
}

async fn follow(st: &AppState, m: &Message, report: &mut SendReport) -> anyhow::Result<()> {
    let now = now_micros();
    let attempts = m.attempts + 1;
    let replies = match st.tax.replies(&m.message_id).await {
        Ok(r) => r,
        Err(TaxError::Unavailable(e)) => {
            set_message(
                &st.db,
                m.id,
                "acknowledged",
                attempts,
                now + backoff_micros(attempts),
                &e,
                "",
            )
            .await?;
            report.retried += 1;
            return Ok(());
        }
        // The authority does not know the message (it lost it): send it again, same id.
        Err(e) => {
            set_message(
                &st.db,
                m.id,
                "pending",
                attempts,
                now + backoff_micros(attempts),
                &e.to_string(),
                "",
            )
            .await?;
            report.retried += 1;
            return Ok(());
        }
    };
    match verdict(&replies) {
        Verdict::Pending => {
            set_message(
                &st.db,
                m.id,
                "acknowledged",
                attempts,
                now + backoff_micros(attempts),
                "",
                "",
            )
            .await?;
        }
        Verdict::Accepted => {
            set_message(&st.db, m.id, "accepted", attempts, now, "", "").await?;
            conclude(&st.db, m, true, "", &replies).await?;
            report.accepted += 1;
        }
        Verdict::Refused => {
            let reasons = replies
                .iter()
                .map(|r| match r {
                    TaxReply::Registration(r) => reasons_text(&r.reasons),
                    TaxReply::Check(c) | TaxReply::NoticeResult(c) => {
                        let mut all = c.reasons.clone();
                        all.extend(c.invoices.iter().flat_map(|i| i.reasons.clone()));
                        reasons_text(&all)
                    }
                    TaxReply::Other { .. } => String::new(),
                })
                .collect::<Vec<_>>()
                .join("; ");
            set_message(&st.db, m.id, "refused", attempts, now, "", &reasons).await?;
            conclude(&st.db, m, false, &reasons, &replies).await?;
            tracing::error!(message = %m.message_id, %reasons, "tax authority refused");
            report.refused += 1;
        }
    }
    Ok(())
}

fn reasons_text(r: &[envelope::Reason]) -> String {
    r.iter()
        .map(|x| format!("{} {}", x.code, x.description).trim().to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Applies a final verdict to what the message carried.
async fn conclude(
    db: &Db,
    m: &Message,
    accepted: bool,
    reasons: &str,
    replies: &[TaxReply],
) -> anyhow::Result<()> {
    match m.kind.as_str() {
        "100" => {
            let code = replies.iter().find_map(|r| match r {
                TaxReply::Registration(r) => r.accepted_code().map(str::to_string),
                _ => None,
            });
            let code = if accepted { code } else { None };
            super::store::taxpayer_answered(db, m.merchant_id, code.as_deref(), reasons).await?;
        }
        "206" if accepted => {
            with_db!(db, p => sqlx::query(
                "UPDATE invoices SET tax_status = 'accepted', tax_reasons = '' \
                 WHERE tax_message_id = $1")
                .bind(m.id).execute(p).await.map(|_| ()))?;
        }
        "206" => {
            // Invoices named with reasons are refused (to be corrected by replacement);
            // the others of the package go back to be sent again.
            let named: Vec<(String, String)> = replies
                .iter()
                .flat_map(|r| match r {
                    TaxReply::Check(c) => c
                        .invoices
                        .iter()
                        .filter(|i| !i.reasons.is_empty())
                        .map(|i| {
                            (
                                i.number.clone().unwrap_or_default(),
                                reasons_text(&i.reasons),
                            )
                        })
                        .collect::<Vec<_>>(),
                    _ => Vec::new(),
                })
                .collect();
            let mut tx = db.begin().await?;
            if named.is_empty() {
                tx.execute(
                    "UPDATE invoices SET tax_status = 'refused', tax_reasons = $2 \
                     WHERE tax_message_id = $1",
                    &[Arg::I64(m.id), Arg::Text(reasons.to_string())],
                )
                .await?;
            } else {
                for (number, why) in &named {
                    let Ok(n) = number.trim().parse::<i64>() else {
                        tracing::error!(message = %m.message_id, %number, "204 names an unreadable invoice number");
                        continue;
                    };
                    tx.execute(
                        "UPDATE invoices SET tax_status = 'refused', tax_reasons = $3 \
                         WHERE tax_message_id = $1 AND number = $2",
                        &[Arg::I64(m.id), Arg::I64(n), Arg::Text(why.clone())],
                    )
                    .await?;
                }
                tx.execute(
                    "UPDATE invoices SET tax_status = 'pending', tax_message_id = NULL \
                     WHERE tax_message_id = $1 AND tax_status = 'sent'",
                    &[Arg::I64(m.id)],
                )
                .await?;
            }
            tx.commit().await?;
        }
        _ => {}
    }
    Ok(())
}

/// Invoices past their deadline without the authority's acceptance, per seller and local day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Overdue {
    pub merchant_id: i64,
    /// Local day (YYYY-MM-DD) the invoices were issued.
    pub day: String,
    pub count: i64,
}

/// The alarm: invoices issued before the start of the current local day (the deadline is the
/// end of their own day) that the tax authority has not accepted. Runs every round, so it is one
/// grouped statement on the `tax_status` index.
pub async fn overdue(db: &Db, now: i64) -> sqlx::Result<Vec<Overdue>> {
    use crate::indicators::aggregates::{
        DAY_MICROS as DAY, LOCAL_OFFSET_MICROS as OFFSET, local_day,
    };
    let today_start = local_day(now) * DAY - OFFSET;
    let cutoff = today_start - DEADLINE_HOURS_AFTER_DAY * 3_600_000_000;
    // Local day number: issued_at is never before 1970, so integer division is the floor.
    let rows: Vec<(i64, i64, i64)> = with_db!(db, p => sqlx::query_as(
        "SELECT merchant_id, (issued_at + $2) / $3 AS day, COUNT(*) FROM invoices \
         WHERE tax_status IN ('pending', 'sent', 'refused') AND status = 'issued' \
         AND issued_at < $1 GROUP BY merchant_id, day ORDER BY merchant_id, day")
        .bind(cutoff).bind(OFFSET).bind(DAY).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(merchant_id, day, count)| Overdue {
            merchant_id,
            day: crate::indicators::iso(day),
            count,
        })
        .collect())
}

/// What the embedded demo simulator must remember after a restart: registered taxpayers (bound
/// to the platform's certificate) and the numbers already accepted per series.
pub async fn restore_sim(
    db: &Db,
    sim: &crate::tax::sim::SimState,
    signer: Option<&einvoice::SigningKey>,
) -> sqlx::Result<()> {
    let serial = signer.map(|s| s.certificate().serial_hex.clone());
    let taxpayers: Vec<(i64, String, String, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT t.merchant_id, m.tax_code, m.name, t.mtt_code FROM invoice_taxpayers t \
         JOIN merchants m ON m.id = t.merchant_id WHERE t.mtt_code IS NOT NULL")
        .fetch_all(p).await)?;
    for (merchant, mst, name, code) in taxpayers {
        let series: Vec<(i16, String, i64)> = with_db!(db, p => sqlx::query_as(
            "SELECT form, symbol, MAX(number) FROM invoices WHERE merchant_id = $1 \
             AND tax_status = 'accepted' GROUP BY form, symbol")
            .bind(merchant).fetch_all(p).await)?;
        let series: Vec<(u8, String, u32)> = series
            .into_iter()
            .map(|(f, s, n)| (f as u8, s, u32::try_from(n).unwrap_or(0)))
            .collect();
        sim.remember(&mst, &name, &code, serial.clone(), &series);
    }
    Ok(())
}

/// The background sender: a round every `every`, and an alarm in the log (and `/metrics`)
/// while invoices are overdue.
pub fn spawn(st: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut shutdown = st.shutting_down.clone();
        loop {
            match run_once(&st).await {
                Ok(r) if r != SendReport::default() => tracing::info!(?r, "tax sender round"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "tax sender round failed"),
            }
            if let Ok(o) = overdue(&st.db, now_micros()).await {
                let n: i64 = o.iter().map(|x| x.count).sum();
                st.metrics.set_einvoice_overdue(n);
                if n > 0 {
                    tracing::error!(
                        invoices = n,
                        sellers = o.len(),
                        "ALARM: e-invoices not accepted by the tax authority in time"
                    );
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => break,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        assert_eq!(backoff_micros(1), 2_000_000);
        assert_eq!(backoff_micros(3), 8_000_000);
        assert_eq!(backoff_micros(30), MAX_BACKOFF_S * 1_000_000);
    }
}
