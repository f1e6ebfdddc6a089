//! The status list figures of issue 12, measured in one run: token sizes for 1,000,000 and
//! 5,000,000 one-bit entries at 0.1 % and 1 % invalid; the time to verify and inflate each
//! token and to look one entry up, as ratios to one raw P-256 verify measured in the same
//! run (thread CPU time, medians); and the heap held at the peak of a verification.
//!
//! `cargo run --release -p mlegit-benches --bin status_lists`
//!
//! The invalid entries sit at pseudo-random places (a fixed sequence), which is how the
//! reference server draws indices and the worst case for compression: clustered
//! revocations compress better.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

use core::hint::black_box;
use std::time::Duration;

use mlegit::{Issuer, StatusListContext, StatusListToken, StatusReference, TrustList, Verifier};
use mlegit_benches::alloc_counter::{self, CountingAllocator};
use mlegit_benches::cpu_time::thread_cpu_time;
use mlegit_benches::fixtures::{Fixtures, scattered};
use mlegit_vectors::scenario::{self, DAY, NOW};
use p256::ecdsa::signature::Verifier as _;

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

/// The median CPU time of `runs` calls of `f`, each timed alone.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = thread_cpu_time();
            f();
            thread_cpu_time() - start
        })
        .collect();
    times.sort_unstable();
    times[runs / 2]
}

fn main() {
    let fixtures = Fixtures::new();
    let raw = &fixtures.raw_issuer;
    let mut k = 0;
    let raw_verify = median(301, || {
        let (message, signature) = &raw.signed[k % raw.signed.len()];
        k += 1;
        raw.key.verify(black_box(message), signature).unwrap();
    });
    let issuer = Issuer::new(scenario::issuer_a().signer());
    let mut trust = TrustList::new();
    trust.add(issuer.trusted_key(0, u64::MAX)).unwrap();
    let uri = "https://issuer.mlegit.example/v1/status-lists/1";
    let verifier = Verifier::new(trust);
    println!(
        "one raw P-256 verify (300-byte message): {:.1} µs (median of 301)\n",
        raw_verify.as_secs_f64() * 1e6
    );
    println!(
        "| entries | invalid | token | lst | inflated | verify + inflate | ratio | heap peak | lookup | ratio |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for entries in [1_000_000usize, 5_000_000] {
        for per_mille in [1usize, 10] {
            let invalid = entries * per_mille / 1000;
            let bits = scattered(entries, invalid);
            let lst = bits.compress().len();
            let token = issuer
                .status_list_token(&StatusListToken {
                    uri,
                    bits: &bits,
                    issued_at: NOW,
                    expires: NOW + DAY,
                    ttl: 43_200,
                })
                .unwrap();
            let ctx = StatusListContext::new(NOW, uri);
            let verify = median(21, || {
                black_box(
                    verifier
                        .verify_status_list(black_box(&token), &ctx)
                        .unwrap(),
                );
            });
            let (list, heap) =
                alloc_counter::peak_bytes(|| verifier.verify_status_list(&token, &ctx).unwrap());
            // A million lookups at entries spread over the list, timed together.
            let reference = |i: u64| StatusReference {
                uri: uri.into(),
                index: i.wrapping_mul(2_654_435_761) % entries as u64,
            };
            let references: Vec<StatusReference> = (0..1024).map(reference).collect();
            let lookups = 1_000_000;
            let lookup = median(7, || {
                for i in 0..lookups {
                    let r = &references[i % references.len()];
                    black_box(verifier.check_status(black_box(&list), r, NOW).unwrap());
                }
            }) / u32::try_from(lookups).unwrap();
            println!(
                "| {entries} | {} % ({invalid}) | {} B | {lst} B | {} B | {:.2} ms | {:.2} | {:.0} KiB | {:.1} ns | {:.7} |",
                per_mille as f64 / 10.0,
                token.len(),
                list.entries().as_bytes().len(),
                verify.as_secs_f64() * 1e3,
                verify.as_secs_f64() / raw_verify.as_secs_f64(),
                heap as f64 / 1024.0,
                lookup.as_secs_f64() * 1e9,
                lookup.as_secs_f64() / raw_verify.as_secs_f64(),
            );
        }
    }
}
