//! Criterion: verify + normalise one realistic notification per provider (single thread), and
//! reference extraction from a mangled memo.
//!
//! Run: `taskset -c 0 cargo bench -p banknotify --bench verify`.

use banknotify::{
    CounterAccount, Direction, Options, Provider, SimTransfer, extract_reference,
    generate_reference, sign_with, verify_with,
};
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};

const NOW: i64 = 1_800_000_000;
const SECRET: &str = "a-32-byte-checksum-key-for-bench";

fn transfer() -> SimTransfer {
    let r = generate_reference("HL", 0x1_2345_6789);
    SimTransfer {
        provider_tx_id: "4711081512".into(),
        account_number: "0123456789".into(),
        virtual_account: Some("VQRQA1B2C3".into()),
        bank_name: Some("Vietcombank".into()),
        amount: 35_000,
        direction: Direction::In,
        description: format!("MBVCB.3278907687.{r}.CT tu 0987654321 NGUYEN VAN A toi 0123456789"),
        bank_reference: Some("FT25043123456789".into()),
        order_id: Some("123456".into()),
        occurred_at_unix: NOW - 5,
        counter_account: Some(CounterAccount {
            bank_id: Some("970436".into()),
            bank_name: Some("Vietcombank".into()),
            name: Some("NGUYEN VAN A".into()),
            number: Some("0987654321".into()),
        }),
        balance_after: Some(12_345_000),
    }
}

fn bench_verify(c: &mut Criterion) {
    let tx = transfer();
    let mut g = c.benchmark_group("verify+normalise");
    g.throughput(Throughput::Elements(1));
    let signed_vietqr = Options {
        vietqr_sign_secret: Some("vqr-sign".into()),
        ..Options::default()
    };
    for (name, p, o) in [
        ("payos", Provider::Payos, Options::default()),
        ("casso", Provider::Casso, Options::default()),
        ("sepay-hmac", Provider::Sepay, Options::default()),
        ("vietqr-bearer+signature", Provider::Vietqr, signed_vietqr),
    ] {
        let req = sign_with(p, &tx, SECRET, NOW, &o).expect("signs");
        assert!(verify_with(p, &req.headers, &req.body, SECRET, NOW, &o).is_ok());
        g.bench_function(name, |b| {
            b.iter(|| {
                verify_with(
                    p,
                    black_box(&req.headers),
                    black_box(&req.body),
                    SECRET,
                    NOW,
                    &o,
                )
                .is_ok()
            })
        });
    }
    g.finish();
}

fn bench_reference(c: &mut Criterion) {
    let memo = transfer().description;
    let mut g = c.benchmark_group("reference");
    g.throughput(Throughput::Elements(1));
    g.bench_function("extract (bank memo)", |b| {
        b.iter(|| extract_reference(black_box(&memo), "HL"))
    });
    g.finish();
}

criterion_group!(benches, bench_verify, bench_reference);
criterion_main!(benches);
