//! `cargo bench -p receiptpdf`: time to render a 10-line receipt (layout,
//! font subsetting of both faces, deflate, PDF serialisation).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "../tests/common/mod.rs"]
mod common;

fn bench(c: &mut Criterion) {
    let receipt = common::sample(10);
    let size = receiptpdf::render(&receipt).map(|p| p.len()).unwrap_or(0);
    eprintln!("10-line receipt: {size} bytes");
    c.bench_function("render_10_lines", |b| {
        b.iter(|| receiptpdf::render(black_box(&receipt)))
    });
    let mut no_qr = receipt.clone();
    no_qr.qr_payload = None;
    c.bench_function("render_10_lines_no_qr", |b| {
        b.iter(|| receiptpdf::render(black_box(&no_qr)))
    });
    let receipt = common::sample(100);
    c.bench_function("render_100_lines", |b| {
        b.iter(|| receiptpdf::render(black_box(&receipt)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
