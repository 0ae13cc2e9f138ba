//! Abuse limits kept in the database (so that they hold across app servers): fixed-window
//! counters, and lock-outs with exponential back-off after repeated failures.

use crate::db::Db;
use crate::with_db;

const MICROS: i64 = 1_000_000;
/// Consecutive failures that trigger a lock-out.
pub const FAILURES_BEFORE_LOCK: i32 = 5;
/// First lock-out; each further one doubles, up to [`MAX_LOCK_SECONDS`].
pub const FIRST_LOCK_SECONDS: i64 = 60;
pub const MAX_LOCK_SECONDS: i64 = 3600;

/// Counts one event under `key` in a window of `window_secs`; returns the count in the current
/// window including this one. One upsert statement, so concurrent hits never lose a count.
pub async fn hit(db: &Db, key: &str, window_secs: i64, now: i64) -> sqlx::Result<i32> {
    let sql = "INSERT INTO throttles (key, window_start, count) VALUES ($1, $2, 1) \
        ON CONFLICT (key) DO UPDATE SET \
        count = CASE WHEN throttles.window_start <= $3 THEN 1 ELSE throttles.count + 1 END, \
        window_start = CASE WHEN throttles.window_start <= $3 THEN $2 \
            ELSE throttles.window_start END \
        RETURNING count";
    with_db!(db, p => sqlx::query_scalar(sql).bind(key).bind(now)
        .bind(now - window_secs * MICROS).fetch_one(p).await)
}

/// When the key is locked, the unix-µs time the lock ends.
pub async fn locked_until(db: &Db, key: &str, now: i64) -> sqlx::Result<Option<i64>> {
    let until: Option<i64> = with_db!(db, p => sqlx::query_scalar(
        "SELECT locked_until FROM throttles WHERE key = $1").bind(key).fetch_optional(p).await)?;
    Ok(until.filter(|u| *u > now))
}

/// Records a failure; every [`FAILURES_BEFORE_LOCK`] consecutive failures lock the key, for
/// 1 min, then 2, 4, … up to an hour. Returns the lock end when this failure locked it.
pub async fn fail(db: &Db, key: &str, now: i64) -> sqlx::Result<Option<i64>> {
    let sql = "INSERT INTO throttles (key, window_start, count, failures) VALUES ($1, $2, 0, 1) \
        ON CONFLICT (key) DO UPDATE SET failures = throttles.failures + 1 RETURNING failures";
    let failures: i32 =
        with_db!(db, p => sqlx::query_scalar(sql).bind(key).bind(now).fetch_one(p).await)?;
    if failures % FAILURES_BEFORE_LOCK != 0 {
        return Ok(None);
    }
    let until = now + lock_seconds(failures) * MICROS;
    with_db!(db, p => sqlx::query("UPDATE throttles SET locked_until = $2 WHERE key = $1")
        .bind(key).bind(until).execute(p).await.map(|_| ()))?;
    Ok(Some(until))
}

pub fn lock_seconds(failures: i32) -> i64 {
    let round = (failures / FAILURES_BEFORE_LOCK).clamp(1, 20) as u32;
    (FIRST_LOCK_SECONDS << (round - 1)).min(MAX_LOCK_SECONDS)
}

/// A success clears the failure count (not an active lock).
pub async fn succeed(db: &Db, key: &str) -> sqlx::Result<()> {
    with_db!(db, p => sqlx::query("UPDATE throttles SET failures = 0 WHERE key = $1")
        .bind(key).execute(p).await.map(|_| ()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_and_caps() {
        assert_eq!(lock_seconds(5), 60);
        assert_eq!(lock_seconds(10), 120);
        assert_eq!(lock_seconds(15), 240);
        assert_eq!(lock_seconds(500), 3600);
    }
}
