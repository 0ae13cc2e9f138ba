//! Group commit for bank notifications. Handlers verify a notification (signature, format) and
//! hand it to this one writer task per process, which gathers what arrives within a couple of
//! milliseconds, matches the whole group with three batched reads (`notify::match_batch`: requests
//! by reference, open requests of the receiving accounts, the accounts' stalls) and stores it in
//! one transaction — one durable commit (one fsync on SQLite) for many notifications. Each handler
//! answers its provider only after that commit, so a 2xx still means "stored". Deduplication stays
//! in the database (the unique provider transaction id), so several servers may write at once.

use std::time::Duration;

use banknotify::Notification;
use tokio::sync::{mpsc, oneshot};

use super::notify::{Matched, match_batch, store_batch};
use crate::db::Db;

/// How long the writer waits for more notifications after the first of a group.
const WINDOW: Duration = Duration::from_millis(2);
/// Most notifications in one transaction.
const GROUP_MAX: usize = 1000;
/// Notifications waiting; handlers wait (back-pressure) when it is full.
const QUEUE_MAX: usize = 4096;

struct Job {
    n: Notification,
    reply: oneshot::Sender<Result<bool, String>>,
}

#[derive(Clone)]
pub struct ReceiptWriter {
    sender: mpsc::Sender<Job>,
}

impl ReceiptWriter {
    pub fn start(db: Db) -> ReceiptWriter {
        let (sender, rx) = mpsc::channel(QUEUE_MAX);
        tokio::spawn(run(db, rx));
        ReceiptWriter { sender }
    }

    /// Matches and stores one notification; Ok(true) when it was new, Ok(false) when the
    /// provider's transaction was already stored. Returns after the commit.
    pub async fn store(&self, n: Notification) -> anyhow::Result<bool> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Job { n, reply })
            .await
            .map_err(|_| anyhow::anyhow!("receipt writer stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("receipt writer stopped"))?
            .map_err(|e| anyhow::anyhow!(e))
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        let deadline = tokio::time::Instant::now() + WINDOW;
        while jobs.len() < GROUP_MAX {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(j)) => jobs.push(j),
                _ => break,
            }
        }
        // Nothing is answered before the commit; a failed group answers every member with the
        // error and the providers retry (deduplication makes the retry safe).
        let outcome = store_group(&db, &jobs).await.map_err(|e| e.to_string());
        for (i, job) in jobs.into_iter().enumerate() {
            let answer = match &outcome {
                Ok(inserted) => Ok(inserted[i]),
                Err(e) => Err(e.clone()),
            };
            let _ = job.reply.send(answer);
        }
    }
}

/// Matches the whole group with a few batched reads, then stores it in one transaction.
async fn store_group(db: &Db, jobs: &[Job]) -> sqlx::Result<Vec<bool>> {
    let ns: Vec<&Notification> = jobs.iter().map(|j| &j.n).collect();
    let matched: Vec<Matched> = match_batch(db, &ns).await?;
    let items: Vec<(&Notification, &Matched)> = ns.into_iter().zip(matched.iter()).collect();
    store_batch(db, &items).await
}
