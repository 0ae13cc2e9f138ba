//! Halong's side of the peer comparison: decode and encode the payloads in
//! `benches/payloads.txt` N times each on one thread and print ops/s in the
//! same format as `peer/bench.js`.
//!
//! `taskset -c 0 cargo run --release -p vietqr --example throughput -- 200000`

use std::hint::black_box;
use std::time::Instant;
use vietqr::{Decoded, Initiation, Payload, VietQr, decode};

const PAYLOADS: &str = include_str!("../benches/payloads.txt");

/// Nanoseconds this thread has run on a CPU (Linux `schedstat`), so that
/// a machine shared with other work still gives a fair per-core figure.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Run `f` once after a warm-up; return (ops per wall second, ops per CPU second).
fn rate(ops: usize, mut f: impl FnMut()) -> (f64, f64) {
    // Warm-up so caches, branch predictors and the CPU clock settle.
    let start = Instant::now();
    while start.elapsed().as_millis() < 300 {
        f();
    }
    let (t, c) = (Instant::now(), cpu_ns());
    f();
    let wall = ops as f64 / t.elapsed().as_secs_f64();
    let cpu = match (c, cpu_ns()) {
        (Some(a), Some(b)) if b > a => ops as f64 / ((b - a) as f64 / 1e9),
        _ => wall,
    };
    (wall, cpu)
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let ps: Vec<&str> = PAYLOADS.lines().filter(|l| !l.is_empty()).collect();
    let qs: Vec<VietQr> = ps
        .iter()
        .map(|p| {
            let mut q = decode(p)
                .ok()
                .and_then(Decoded::into_vietqr)
                .expect("vector decodes");
            if q.amount.is_some() {
                q.initiation = Initiation::Dynamic; // Q8: static with amount
            }
            q
        })
        .collect();
    let only = std::env::args().nth(2).unwrap_or_default();
    let ops = rounds * ps.len();
    if only == "crc" {
        // For `perf stat`: the CRC share of a decode.
        for _ in 0..rounds {
            for p in &ps {
                black_box(vietqr::crc16(black_box(p).as_bytes()));
            }
        }
        return;
    }
    if only == "decode_view" {
        // For `perf stat`: nothing but the zero-copy decode loop.
        for _ in 0..rounds {
            for p in &ps {
                black_box(Payload::parse(black_box(p)).is_ok());
            }
        }
        return;
    }
    let view = rate(ops, || {
        for _ in 0..rounds {
            for p in &ps {
                black_box(Payload::parse(black_box(p)).is_ok());
            }
        }
    });
    let owned = rate(ops, || {
        for _ in 0..rounds {
            for p in &ps {
                black_box(decode(black_box(p)).is_ok());
            }
        }
    });
    let enc = rate(ops, || {
        for _ in 0..rounds {
            for q in &qs {
                black_box(black_box(q).encode().is_ok());
            }
        }
    });
    // name, ops/s by wall clock, ops per CPU-second
    println!("decode_view {:.0} {:.0}", view.0, view.1);
    println!("decode {:.0} {:.0}", owned.0, owned.1);
    println!("encode {:.0} {:.0}", enc.0, enc.1);
}
