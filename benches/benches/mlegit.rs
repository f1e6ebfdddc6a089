//! mlegit's costs as ratios to one raw P-256 verify, measured in the same criterion group.
//!
//! `cargo bench -p mlegit-benches --features aws-lc` runs every row and prints the table of
//! README.md: each median divided by the baseline's, and heap allocations per operation.

use core::hint::black_box;
use core::time::Duration;
use std::time::SystemTime;

use criterion::{BatchSize, Criterion};
use mlegit_benches::alloc_counter::{self, CountingAllocator};
use mlegit_benches::cpu_time::{ThreadCpuTime, thread_cpu_time};
use mlegit_benches::fixtures::Fixtures;
use mlegit_benches::paired::{self, Batch};
use mlegit_benches::report::{self, Row};
use mlegit_benches::rows::{BASELINE, Bench, Op, benches};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const GROUP: &str = "mlegit";

fn main() {
    let started = SystemTime::now();
    let fixtures = Fixtures::new();
    let mut benches = benches(&fixtures);
    let dir = report::criterion_dir(env!("CARGO_TARGET_TMPDIR"));
    let mut criterion = Criterion::default()
        .with_measurement(ThreadCpuTime)
        .output_directory(&dir)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    {
        let mut group = criterion.benchmark_group(GROUP);
        for bench in &mut benches {
            match &mut bench.op {
                Op::Plain(op) => group.bench_function(bench.id, |b| b.iter(&mut *op)),
                Op::Issue(f) => group.bench_function(bench.id, |b| {
                    b.iter_batched(
                        || f.student.clone(),
                        |student| f.issue(student).expect("valid"),
                        BatchSize::SmallInput,
                    )
                }),
            };
        }
        group.finish();
    }
    criterion.final_summary();

    // `cargo bench` passes --bench; `cargo test --benches` runs each row once and stops here.
    let args: Vec<String> = std::env::args().collect();
    let listing = ["--list", "--test", "--profile-time"];
    if !args.iter().any(|a| a == "--bench") || args.iter().any(|a| listing.contains(&a.as_str())) {
        return;
    }
    println!("Pairing each row with the baseline and counting allocations...");
    let Some((baseline, others)) = benches.split_first_mut() else {
        return;
    };
    let mut rows = vec![row(baseline, None)];
    for bench in others {
        let paired = match (&mut baseline.op, &mut bench.op) {
            (Op::Plain(base), Op::Plain(op)) => {
                paired::ratio(PAIRS, &mut &mut **base, &mut &mut **op)
            }
            (Op::Plain(base), Op::Issue(f)) => {
                paired::ratio(PAIRS, &mut &mut **base, &mut IssueBatch(f))
            }
            (Op::Issue(_), _) => f64::NAN,
        };
        rows.push(row(bench, Some(paired)));
    }
    println!("\n{}", report::table(&dir, GROUP, BASELINE, &rows, started));
    println!(
        "Objects: presentation {} bytes (credential {} bytes, 32 digests), with the portrait \
         {} bytes; status list token of 2^20 entries, 0.1 % invalid, {} bytes.",
        fixtures.presentations[0].len(),
        fixtures.wallet.credential().len(),
        fixtures.presentations_portrait[0].len(),
        fixtures.status_lists[0].len()
    );
}

/// Pairs per row for the paired ratios (each pair takes about 8 ms of CPU time).
const PAIRS: usize = 101;

/// The report row of a bench: its allocations per operation are counted here.
fn row(bench: &mut Bench<'_>, paired: Option<f64>) -> Row {
    let allocations = match &mut bench.op {
        Op::Plain(op) => alloc_counter::count(100, &mut **op),
        Op::Issue(f) => alloc_counter::count_batched(
            100,
            || f.student.clone(),
            |student| {
                black_box(f.issue(student).expect("valid"));
            },
        ),
    };
    Row {
        id: bench.id.to_string(),
        target: bench.target,
        allocations,
        paired,
    }
}

/// Issuing as a batch for the paired ratios: the claims are cloned before the clock starts.
struct IssueBatch<'f>(&'f Fixtures);

impl Batch for IssueBatch<'_> {
    fn run(&mut self, n: u32) -> Duration {
        let inputs: Vec<_> = (0..n).map(|_| self.0.student.clone()).collect();
        let start = thread_cpu_time();
        for student in inputs {
            black_box(self.0.issue(student).expect("valid"));
        }
        thread_cpu_time().saturating_sub(start)
    }
}
