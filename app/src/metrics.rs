//! Prometheus metrics in text format: request counts and latency histograms per route, and
//! database pool use. Kept per app instance (not a global recorder) so that tests can run
//! several apps in one process.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::server::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
struct Series {
    count: u64,
    sum_seconds: f64,
    buckets: [u64; BUCKETS.len()],
}

#[derive(Default)]
pub struct Metrics {
    /// `(method, route template, status)` → series. Route templates, not raw paths, keep the
    /// label set bounded.
    requests: Mutex<BTreeMap<(String, String, u16), Series>>,
    /// E-invoices past their deadline without the tax authority's acceptance (the alarm).
    einvoice_overdue: std::sync::atomic::AtomicI64,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut map = self.requests.lock().expect("metrics lock");
        let s = map
            .entry((method.to_string(), route.to_string(), status))
            .or_default();
        s.count += 1;
        s.sum_seconds += seconds;
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                s.buckets[i] += 1;
            }
        }
    }

    pub fn set_einvoice_overdue(&self, n: i64) {
        self.einvoice_overdue
            .store(n, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn render(&self, pool_size: u32, pool_idle: usize) -> String {
        let mut out = String::new();
        out.push_str("# HELP halong_http_requests_total HTTP requests served.\n");
        out.push_str("# TYPE halong_http_requests_total counter\n");
        let map = self.requests.lock().expect("metrics lock");
        for ((m, r, st), s) in map.iter() {
            let _ = writeln!(
                out,
                "halong_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{st}\"}} {}",
                s.count
            );
        }
        out.push_str("# HELP halong_http_request_duration_seconds Request latency.\n");
        out.push_str("# TYPE halong_http_request_duration_seconds histogram\n");
        for ((m, r, st), s) in map.iter() {
            let labels = format!("method=\"{m}\",route=\"{r}\",status=\"{st}\"");
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "halong_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "halong_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "halong_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum_seconds
            );
            let _ = writeln!(
                out,
                "halong_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        out.push_str("# HELP halong_db_pool_connections Open database connections.\n");
        out.push_str("# TYPE halong_db_pool_connections gauge\n");
        let _ = writeln!(out, "halong_db_pool_connections {pool_size}");
        out.push_str("# HELP halong_db_pool_idle Idle database connections.\n");
        out.push_str("# TYPE halong_db_pool_idle gauge\n");
        let _ = writeln!(out, "halong_db_pool_idle {pool_idle}");
        out.push_str(
            "# HELP halong_einvoice_overdue Invoices not accepted by the tax authority in time.\n",
        );
        out.push_str("# TYPE halong_einvoice_overdue gauge\n");
        let _ = writeln!(
            out,
            "halong_einvoice_overdue {}",
            self.einvoice_overdue
                .load(std::sync::atomic::Ordering::Relaxed)
        );
        out
    }
}

/// Middleware recording every request.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let resp = next.run(req).await;
    state.metrics.observe(
        &method,
        &route,
        resp.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_buckets() {
        let m = Metrics::default();
        m.observe("GET", "/api/v1/markets", 200, 0.003);
        m.observe("GET", "/api/v1/markets", 200, 0.2);
        let text = m.render(3, 1);
        assert!(text.contains(
            "halong_http_requests_total{method=\"GET\",route=\"/api/v1/markets\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"0.25\"} 2"));
        assert!(text.contains("halong_db_pool_connections 3"));
    }
}
