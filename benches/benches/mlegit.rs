//! mlegit's costs as ratios to one raw P-256 verify, measured in the same criterion group.
//!
//! `cargo bench -p mlegit-benches --features aws-lc` runs every row and prints the table of
//! README.md: each median divided by the baseline's, and heap allocations per operation.

use core::hint::black_box;
use core::time::Duration;
use std::time::SystemTime;

use criterion::{BatchSize, Criterion};
use mlegit::{IssuerSignatureCache, PublicKey, SignatureBackend, Verifier};
use mlegit_benches::alloc_counter::{self, CountingAllocator};
use mlegit_benches::cpu_time::{ThreadCpuTime, thread_cpu_time};
use mlegit_benches::fixtures::{self, Cycle, Fixtures};
use mlegit_benches::paired::{self, Batch};
use mlegit_benches::report::{self, Row};
use p256::ecdsa::signature::Verifier as _;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const GROUP: &str = "mlegit";
const BASELINE: &str = "p256_verify[msg=300]";

/// A backend that accepts every signature without looking at it. Verifying with it measures
/// what a verification costs besides its two signature checks: decoding, the disclosure
/// digests and every other check. (SHA-256 of each `Sig_structure` is part of its signature
/// check, as in the baseline, and is left out with it.)
struct NoSignatures;

impl SignatureBackend for NoSignatures {
    fn verify_es256(&self, _: &PublicKey, _: &[u8], _: &[u8; 64]) -> bool {
        true
    }

    fn verify_es256_parts(&self, _: &PublicKey, _: &[&[u8]], _: &[u8; 64]) -> bool {
        true
    }
}

/// One benchmark: its id, the operation, and the target ratio issue 5 sets for it.
struct Bench<'f> {
    id: &'static str,
    target: Option<f64>,
    op: Op<'f>,
}

enum Op<'f> {
    /// Runs on shared fixtures.
    Plain(Box<dyn FnMut() + 'f>),
    /// Consumes a fresh input each time (made outside the measurement).
    Issue(&'f Fixtures),
}

fn benches(f: &Fixtures) -> Vec<Bench<'_>> {
    // The baseline: one raw p256 verify of a 300-byte message, the key and the signature
    // already parsed (what a verification of an mlegit object cannot go below, twice). The
    // floor of a full verification measured the same way: two raw verifies, of two keys and
    // two messages, one after the other (as the issuer and the device signature are).
    let (issuer, device) = (&f.raw_issuer, &f.raw_device);
    let ctx = f.context();
    let mut rows = vec![
        Bench {
            id: BASELINE,
            target: None,
            op: Op::Plain(Box::new({
                let mut signed = Cycle::new(&issuer.signed);
                move || {
                    let (message, signature) = signed.next();
                    issuer
                        .key
                        .verify(black_box(message), black_box(signature))
                        .expect("valid");
                }
            })),
        },
        Bench {
            id: "p256_verify_x2[msg=300]",
            target: None,
            op: Op::Plain(Box::new({
                let mut issuer_signed = Cycle::new(&issuer.signed);
                let mut device_signed = Cycle::new(&device.signed);
                move || {
                    let (message, signature) = issuer_signed.next();
                    issuer
                        .key
                        .verify(black_box(message), black_box(signature))
                        .expect("valid");
                    let (message, signature) = device_signed.next();
                    device
                        .key
                        .verify(black_box(message), black_box(signature))
                        .expect("valid");
                }
            })),
        },
        Bench {
            id: "verify[claims=4]",
            target: Some(2.05),
            op: Op::Plain(Box::new({
                let verifier = Verifier::new(f.trust.clone());
                let mut presentations = Cycle::new(&f.presentations);
                move || {
                    verifier
                        .verify(black_box(presentations.next()), &ctx)
                        .expect("valid");
                }
            })),
        },
        Bench {
            id: "verify[claims=4,portrait=2KiB]",
            target: None,
            op: Op::Plain(Box::new({
                let verifier = Verifier::new(f.trust.clone());
                let mut presentations = Cycle::new(&f.presentations_portrait);
                move || {
                    verifier
                        .verify(black_box(presentations.next()), &ctx)
                        .expect("valid");
                }
            })),
        },
        Bench {
            id: "verify[claims=4,cached]",
            target: Some(1.05),
            op: Op::Plain(Box::new({
                let verifier = Verifier::new(f.trust.clone());
                let mut presentations = Cycle::new(&f.presentations);
                let mut cache: IssuerSignatureCache<64> = IssuerSignatureCache::new();
                move || {
                    verifier
                        .verify_cached(black_box(presentations.next()), &ctx, &mut cache)
                        .expect("valid");
                }
            })),
        },
        Bench {
            id: "decode_and_check[claims=4]",
            target: Some(0.02),
            op: Op::Plain(Box::new({
                let verifier = Verifier::with_backend(f.trust.clone(), NoSignatures);
                let mut presentations = Cycle::new(&f.presentations);
                move || {
                    verifier
                        .verify(black_box(presentations.next()), &ctx)
                        .expect("valid");
                }
            })),
        },
        Bench {
            id: "decode[credential]",
            target: None,
            op: Op::Plain(Box::new(move || {
                mlegit::CredentialInfo::decode_unverified(black_box(f.wallet.credential()))
                    .expect("valid");
            })),
        },
        Bench {
            id: "issue[claims=15]",
            target: None,
            op: Op::Issue(f),
        },
        Bench {
            id: "present[claims=4]",
            target: None,
            op: Op::Plain(Box::new(move || {
                f.wallet
                    .present(black_box(&fixtures::TEXT_CLAIMS), Some(&f.request), ctx.now)
                    .expect("held claims");
            })),
        },
        Bench {
            id: "verify_status",
            target: None,
            op: Op::Plain(Box::new({
                let verifier = Verifier::new(f.trust.clone());
                let status_ctx = f.status_context();
                let mut responses = Cycle::new(&f.status_responses);
                move || {
                    verifier
                        .verify_status(black_box(responses.next()), &status_ctx)
                        .expect("valid");
                }
            })),
        },
    ];
    rows.extend(aws_lc_benches(f));
    rows
}

#[cfg(feature = "aws-lc")]
fn aws_lc_benches(f: &Fixtures) -> Vec<Bench<'_>> {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
    use mlegit::{AwsLcBackend, Signer as _};

    let ctx = f.context();
    let public = mlegit_vectors::scenario::issuer_a().signer().public_key();
    let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public.to_sec1_uncompressed())
        .expect("a valid point");
    let signed: Vec<([u8; 300], [u8; 64])> = f
        .raw_issuer
        .signed
        .iter()
        .map(|(message, signature)| (*message, signature.to_bytes().into()))
        .collect();
    vec![
        Bench {
            id: "aws_lc_verify[msg=300]",
            target: None,
            op: Op::Plain(Box::new({
                let mut index = 0;
                move || {
                    let (message, signature) = &signed[index % signed.len()];
                    index += 1;
                    parsed
                        .verify_sig(black_box(message), black_box(signature))
                        .expect("valid");
                }
            })),
        },
        Bench {
            id: "verify[claims=4,aws-lc]",
            target: Some(0.55),
            op: Op::Plain(Box::new({
                let verifier = Verifier::with_backend(f.trust.clone(), AwsLcBackend);
                let mut presentations = Cycle::new(&f.presentations);
                move || {
                    verifier
                        .verify(black_box(presentations.next()), &ctx)
                        .expect("valid");
                }
            })),
        },
        Bench {
            id: "verify[claims=4,cached,aws-lc]",
            target: Some(0.28),
            op: Op::Plain(Box::new({
                let verifier = Verifier::with_backend(f.trust.clone(), AwsLcBackend);
                let mut presentations = Cycle::new(&f.presentations);
                let mut cache: IssuerSignatureCache<64> = IssuerSignatureCache::new();
                move || {
                    verifier
                        .verify_cached(black_box(presentations.next()), &ctx, &mut cache)
                        .expect("valid");
                }
            })),
        },
    ]
}

#[cfg(not(feature = "aws-lc"))]
fn aws_lc_benches(_: &Fixtures) -> Vec<Bench<'_>> {
    Vec::new()
}

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
         {} bytes; status response {} bytes.",
        fixtures.presentations[0].len(),
        fixtures.wallet.credential().len(),
        fixtures.presentations_portrait[0].len(),
        fixtures.status_responses[0].len()
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
