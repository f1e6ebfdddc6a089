//! Ratios measured in pairs: the baseline and one operation alternate in short batches, and
//! the ratio of each pair is taken while both ran under the same load.
//!
//! Criterion measures its rows one after another, several seconds each. On a machine shared
//! with other jobs the load changes between rows, and even CPU time drifts with it (cache
//! pressure, frequency, a hypervisor's steal time), so the ratio of two criterion medians can
//! be off by tens of percent there. Pairs a few milliseconds apart see the same conditions;
//! the median of many pair ratios is what the report checks the targets against.

use core::time::Duration;

use crate::cpu_time::thread_cpu_time;

/// Something that can be run `n` times in a row.
pub trait Batch {
    /// Runs the operation `n` times and returns the CPU time they took (excluding any
    /// preparation of their inputs).
    fn run(&mut self, n: u32) -> Duration;
}

impl<F: FnMut()> Batch for F {
    fn run(&mut self, n: u32) -> Duration {
        let start = thread_cpu_time();
        for _ in 0..n {
            self();
        }
        thread_cpu_time().saturating_sub(start)
    }
}

/// How many runs make a batch of about `batch` CPU time.
fn calibrate(op: &mut dyn Batch, batch: Duration) -> u32 {
    op.run(1); // warm up
    let one = op.run(3).as_secs_f64() / 3.0;
    let n = (batch.as_secs_f64() / one.max(1e-9)).ceil();
    // Clamped: at least one run, at most a million.
    n.clamp(1.0, 1e6) as u32
}

/// The median over `rounds` of (time per `op`) / (time per `baseline`), each pair measured
/// back to back, in alternating order so that a steady drift cancels out.
pub fn ratio(rounds: usize, baseline: &mut dyn Batch, op: &mut dyn Batch) -> f64 {
    let batch = Duration::from_millis(4);
    let (nb, no) = (calibrate(baseline, batch), calibrate(op, batch));
    let mut ratios: Vec<f64> = (0..rounds)
        .map(|round| {
            let (b, o) = if round % 2 == 0 {
                let b = baseline.run(nb);
                (b, op.run(no))
            } else {
                let o = op.run(no);
                (baseline.run(nb), o)
            };
            (o.as_secs_f64() / f64::from(no)) / (b.as_secs_f64() / f64::from(nb)).max(1e-12)
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios.get(ratios.len() / 2).copied().unwrap_or(f64::NAN)
}
