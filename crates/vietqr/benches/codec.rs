//! Criterion benchmarks for decoding and encoding (single thread).
//!
//! Run: `taskset -c 0 cargo bench -p vietqr --bench codec`. The payloads are
//! the reference vectors Q1–Q8, shared with the peer comparison in `peer/`.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use vietqr::{Decoded, Payload, VietQr, decode};

const PAYLOADS: &str = include_str!("payloads.txt");

fn payloads() -> Vec<&'static str> {
    PAYLOADS.lines().filter(|l| !l.is_empty()).collect()
}

/// Encodable inputs built from the same payloads (Q8, static with an amount,
/// becomes dynamic so that the encoder accepts it).
fn inputs() -> Vec<VietQr> {
    payloads()
        .into_iter()
        .map(|p| {
            let mut q = decode(p)
                .ok()
                .and_then(Decoded::into_vietqr)
                .expect("vector decodes");
            if q.amount.is_some() {
                q.initiation = vietqr::Initiation::Dynamic;
            }
            q
        })
        .collect()
}

fn bench_decode(c: &mut Criterion) {
    let ps = payloads();
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(ps.len() as u64));
    g.bench_function("view (zero-copy Payload::parse)", |b| {
        b.iter(|| {
            for p in &ps {
                black_box(Payload::parse(black_box(p)).is_ok());
            }
        })
    });
    g.bench_function("owned (vietqr::decode)", |b| {
        b.iter(|| {
            for p in &ps {
                black_box(decode(black_box(p)).is_ok());
            }
        })
    });
    g.finish();
}

fn bench_encode(c: &mut Criterion) {
    let qs = inputs();
    let mut g = c.benchmark_group("encode");
    g.throughput(Throughput::Elements(qs.len() as u64));
    g.bench_function("VietQr::encode", |b| {
        b.iter(|| {
            for q in &qs {
                black_box(black_box(q).encode().is_ok());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench_decode, bench_encode);
criterion_main!(benches);
