//! `halong sim bank`: a stand-in for the banks and notification providers around Halong.
//!
//! It plays the buyer's banking app (decodes a VietQR payload, strictly, and pays the amount it
//! asks, or a given one) and the provider that tells Halong about the transfer: it sends the
//! notification in the provider's real format, correctly signed, and on request duplicates,
//! delays, reorders or drops notifications, as real providers do. It reports which transfers
//! were acknowledged, so that a test can check each was counted exactly once.

use std::time::{Duration, Instant};

use banknotify::{Direction, Provider, SimTransfer};
use serde::Serialize;

use crate::demo::Rng;

#[derive(Clone, Debug)]
pub struct Faults {
    /// Percent of notifications sent twice.
    pub duplicate_pct: u64,
    /// Percent of notifications never sent (the statement still has them).
    pub drop_pct: u64,
    /// Each notification waits up to this long before it is sent (so they also arrive out of
    /// order when several are in flight).
    pub max_delay: Duration,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            duplicate_pct: 0,
            drop_pct: 0,
            max_delay: Duration::ZERO,
        }
    }
}

#[derive(Clone, Debug)]
pub struct BankSim {
    /// Halong's base URL, e.g. `http://127.0.0.1:8080`.
    pub target: String,
    pub provider: Provider,
    pub secret: String,
    pub faults: Faults,
    pub seed: u64,
}

/// One payment the buyer's app makes after scanning a code.
#[derive(Clone, Debug, Serialize)]
pub struct Payment {
    pub provider_tx_id: String,
    pub account: String,
    pub amount: i64,
    pub memo: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub payments: usize,
    /// Notifications Halong answered 2xx, by provider transaction id (each id once).
    pub acknowledged: Vec<String>,
    pub dropped: Vec<String>,
    pub duplicates_sent: usize,
    pub failed: Vec<(String, String)>,
    pub latency_ms_p50: f64,
    pub latency_ms_p99: f64,
    pub elapsed_s: f64,
}

/// The buyer's app: decodes the scanned payload and makes the payment it asks for. A static
/// code has no amount: the buyer types one (`amount`).
pub fn scan_and_pay(payload: &str, amount: Option<i64>, tx_id: &str) -> anyhow::Result<Payment> {
    let qr = vietqr::decode(payload.trim())
        .map_err(|e| anyhow::anyhow!("the bank app refuses the code: {e}"))?
        .into_vietqr()
        .ok_or_else(|| anyhow::anyhow!("not a VietQR code"))?;
    let amount = match (qr.amount, amount) {
        (Some(a), None) => i64::try_from(a)?,
        (_, Some(a)) => a,
        (None, None) => anyhow::bail!("a static code: the buyer must type an amount"),
    };
    anyhow::ensure!(amount > 0, "amount must be positive");
    Ok(Payment {
        provider_tx_id: tx_id.to_string(),
        account: qr.account,
        amount,
        memo: qr.memo.unwrap_or_default(),
    })
}

fn now_s() -> i64 {
    crate::db::now_micros() / 1_000_000
}

impl BankSim {
    fn transfer(&self, p: &Payment) -> SimTransfer {
        SimTransfer {
            provider_tx_id: p.provider_tx_id.clone(),
            account_number: p.account.clone(),
            virtual_account: None,
            bank_name: None,
            amount: p.amount,
            direction: Direction::In,
            description: p.memo.clone(),
            bank_reference: Some(format!("FT{}", p.provider_tx_id)),
            order_id: None,
            occurred_at_unix: now_s(),
            counter_account: None,
            balance_after: None,
        }
    }

    /// Sends one signed notification; Ok(true) when Halong answered 2xx.
    pub async fn notify(&self, client: &reqwest::Client, p: &Payment) -> anyhow::Result<bool> {
        let signed = banknotify::sign(self.provider, &self.transfer(p), &self.secret, now_s())
            .map_err(|e| anyhow::anyhow!("signing: {e}"))?;
        let url = format!(
            "{}/api/v1/notifications/{}",
            self.target.trim_end_matches('/'),
            self.provider
        );
        let mut req = client.post(url);
        for (k, v) in &signed.headers {
            req = req.header(k, v);
        }
        let resp = req.body(signed.body).send().await?;
        Ok(resp.status().is_success())
    }

    /// Pays every payment, `concurrency` at a time, with the configured faults.
    pub async fn run(&self, payments: Vec<Payment>, concurrency: usize) -> Report {
        use futures_util::StreamExt;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTP client");
        let started = Instant::now();
        let mut rng = Rng::new(self.seed);
        // Decide every fault up front, from the seed: a run can be replayed exactly.
        let plan: Vec<(Payment, bool, bool, Duration)> = payments
            .into_iter()
            .map(|p| {
                let drop = rng.chance(self.faults.drop_pct);
                let dup = rng.chance(self.faults.duplicate_pct);
                let max = self.faults.max_delay.as_millis() as u64;
                let delay = Duration::from_millis(if max == 0 { 0 } else { rng.range(0, max) });
                (p, drop, dup, delay)
            })
            .collect();
        let mut report = Report {
            payments: plan.len(),
            ..Report::default()
        };
        let results = futures_util::stream::iter(plan)
            .map(|(p, drop, dup, delay)| {
                let client = client.clone();
                async move {
                    if drop {
                        return (p.provider_tx_id, None, 0usize, Duration::ZERO);
                    }
                    tokio::time::sleep(delay).await;
                    let t = Instant::now();
                    let mut outcome = self.notify(&client, &p).await;
                    let mut sent: usize = 1;
                    if dup {
                        sent += 1;
                        let again = self.notify(&client, &p).await;
                        outcome = match (outcome, again) {
                            (Ok(a), Ok(b)) => Ok(a || b),
                            (Err(e), _) | (_, Err(e)) => Err(e),
                        };
                    }
                    (p.provider_tx_id, Some(outcome), sent, t.elapsed())
                }
            })
            .buffer_unordered(concurrency.max(1))
            .collect::<Vec<_>>()
            .await;
        let mut latencies = Vec::new();
        for (id, outcome, sent, latency) in results {
            report.duplicates_sent += sent.saturating_sub(1);
            match outcome {
                None => report.dropped.push(id),
                Some(Ok(true)) => {
                    latencies.push(latency.as_secs_f64() * 1000.0);
                    report.acknowledged.push(id);
                }
                Some(Ok(false)) => report.failed.push((id, "refused".into())),
                Some(Err(e)) => report.failed.push((id, e.to_string())),
            }
        }
        latencies.sort_by(f64::total_cmp);
        let pct = |q: f64| {
            latencies
                .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or(0.0)
        };
        report.latency_ms_p50 = pct(0.5);
        report.latency_ms_p99 = pct(0.99);
        report.elapsed_s = started.elapsed().as_secs_f64();
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bank_app_pays_what_the_code_asks() {
        let qr = vietqr::VietQr {
            initiation: vietqr::Initiation::Dynamic,
            bin: "970436".into(),
            account: "0011012345678".into(),
            service: Some(vietqr::Service::ToAccount),
            amount: Some(35_000),
            memo: Some("HLABCDEFGH".into()),
            ..Default::default()
        };
        let p = scan_and_pay(&qr.encode().unwrap(), None, "1").unwrap();
        assert_eq!(
            (p.amount, p.memo.as_str(), p.account.as_str()),
            (35_000, "HLABCDEFGH", "0011012345678")
        );
        let static_qr = vietqr::VietQr {
            initiation: vietqr::Initiation::Static,
            amount: None,
            ..qr
        };
        assert!(scan_and_pay(&static_qr.encode().unwrap(), None, "2").is_err());
        assert_eq!(
            scan_and_pay(&static_qr.encode().unwrap(), Some(5_000), "3")
                .unwrap()
                .amount,
            5_000
        );
        assert!(
            scan_and_pay("000201010211", None, "4").is_err(),
            "a broken code is refused"
        );
    }
}
