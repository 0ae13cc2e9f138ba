//! In-memory `create_transfers` throughput, batches of 8,000 (no storage).
//!
//! `cargo bench -p ledger --bench transfers`

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ledger::{Account, AccountFlags, Ledger, Transfer, TransferFlags};

const BATCH: usize = 8_000;
const ACCOUNTS: u128 = 10_000;

fn ledger_with_accounts() -> Ledger {
    let mut ledger = Ledger::new();
    let accounts: Vec<Account> = (1..=ACCOUNTS)
        .map(|id| Account {
            id,
            ledger: 704,
            code: 1,
            ..Account::default()
        })
        .collect();
    assert!(ledger.create_accounts(&accounts, 1).is_empty());
    // One funded account with a limit, used by the "limit" bench.
    let limited = Account {
        id: ACCOUNTS + 1,
        ledger: 704,
        code: 2,
        flags: AccountFlags {
            debits_must_not_exceed_credits: true,
            ..AccountFlags::default()
        },
        ..Account::default()
    };
    assert!(ledger.create_accounts(&[limited], 2).is_empty());
    let fund = Transfer {
        id: u128::MAX - 1,
        debit_account_id: 1,
        credit_account_id: ACCOUNTS + 1,
        amount: 1 << 40,
        ledger: 704,
        code: 1,
        ..Transfer::default()
    };
    assert!(ledger.create_transfers(&[fund], 3).is_empty());
    ledger.take_effect();
    ledger
}

/// Pseudo-random account pairs (xorshift), ids 1..=ACCOUNTS.
fn batch(first_id: u128, pending: bool, debit_override: Option<u128>) -> Vec<Transfer> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ first_id as u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        u128::from(state) % ACCOUNTS + 1
    };
    (0..BATCH as u128)
        .map(|i| {
            let debit = debit_override.unwrap_or_else(&mut next);
            let mut credit = next();
            if credit == debit {
                credit = credit % ACCOUNTS + 1;
            }
            Transfer {
                id: first_id + i,
                debit_account_id: debit,
                credit_account_id: credit,
                amount: 35_000,
                ledger: 704,
                code: 1,
                timeout: if pending { 60 } else { 0 },
                flags: TransferFlags {
                    pending,
                    ..TransferFlags::default()
                },
                ..Transfer::default()
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("create_transfers");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(20);
    let mut run = |name: &str, pending: bool, debit: Option<u128>, retry: bool| {
        let events = batch(1_000_000, pending, debit);
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let mut ledger = ledger_with_accounts();
                    if retry {
                        assert!(ledger.create_transfers(&events, 10).is_empty());
                        ledger.take_effect();
                    }
                    ledger
                },
                |mut ledger| {
                    let results = ledger.create_transfers(&events, 1_000_000_000);
                    let effect = ledger.take_effect();
                    // Returned, so that dropping the ledger is not timed.
                    (ledger, results, effect)
                },
                BatchSize::LargeInput,
            )
        });
    };
    run("posted_8000", false, None, false);
    run("pending_timeout_8000", true, None, false);
    run("hot_limited_debit_8000", false, Some(ACCOUNTS + 1), false);
    run("retry_all_exist_8000", false, None, true);
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
