//! Instructions per operation of the bench rows, counted by valgrind's callgrind, as ratios
//! to one raw P-256 verify (issue 11).
//!
//! Criterion's time ratios move by several percent between runs on a shared machine; an
//! instruction count is the same on every run, so CI can hold the targets to it. Run as
//! `bash benches/instructions.sh`, which builds this binary in release and calls it:
//!
//! - `instructions [--runs N] [--out FILE]`: counts every row (the rows of `src/rows.rs`
//!   but the AWS-LC ones), each in a process of its own under callgrind; prints the table,
//!   writes it to FILE too, and exits with 1 if a row misses its target.
//! - `instructions --list`: the row ids.
//! - `instructions --measure ID N`: what runs under callgrind. It builds the fixtures, warms
//!   the row up with one pass over its [`VARIANTS`] objects (p256's lazily built tables,
//!   the first allocations, and the cached row's cache, which criterion's warm-up fills the
//!   same way), then runs it N times inside [`measured`] or [`measured_issue`], the only
//!   functions callgrind counts in (`--toggle-collect`). Their total divided by N is the
//!   row's count: setup, warm-up and process start are never counted. N defaults to
//!   [`VARIANTS`], so that every object a row cycles through runs once, as often as the
//!   others (as in the criterion bench).

use core::hint::black_box;
use std::path::Path;
use std::process::{Command, ExitCode};

use mlegit::StudentClaims;
use mlegit_benches::fixtures::{Fixtures, VARIANTS};
use mlegit_benches::report;
use mlegit_benches::rows::{BASELINE, Bench, Op, benches};

/// The functions callgrind counts in (`--toggle-collect`, matched on demangled names).
const COLLECT: &str = "instructions::measured*";

/// The default number of counted runs per row: each of the [`VARIANTS`] objects once.
const RUNS: usize = VARIANTS;

/// Runs `op` `runs` times: the instructions of this call are a row's count.
#[inline(never)]
fn measured(op: &mut dyn FnMut(), runs: usize) {
    for _ in 0..runs {
        op();
    }
}

/// Issues one credential per input: the inputs are cloned before, outside the count, as
/// criterion's `iter_batched` does for the `issue` row.
#[inline(never)]
fn measured_issue(f: &Fixtures, inputs: &mut Vec<StudentClaims>) {
    while let Some(student) = inputs.pop() {
        black_box(f.issue(student).expect("valid claims"));
    }
}

/// The rows counted: AWS-LC's are left out (its assembly does more per instruction than
/// Rust's field arithmetic, so their counts would not compare with their time targets).
fn counted(f: &Fixtures) -> Vec<Bench<'_>> {
    let mut rows = benches(f);
    rows.retain(|b| !b.id.contains("aws"));
    rows
}

/// The child under callgrind: one row, warmed up, then `runs` counted runs.
fn measure(id: &str, runs: usize) -> ExitCode {
    let f = Fixtures::new();
    let mut rows = counted(&f);
    let Some(bench) = rows.iter_mut().find(|b| b.id == id) else {
        eprintln!("no row {id:?} (see --list)");
        return ExitCode::from(2);
    };
    match &mut bench.op {
        Op::Plain(op) => {
            (0..VARIANTS).for_each(|_| op());
            measured(&mut **op, runs);
        }
        Op::Issue(f) => {
            for _ in 0..VARIANTS {
                black_box(f.issue(f.student.clone()).expect("valid claims"));
            }
            let mut inputs = vec![f.student.clone(); runs];
            measured_issue(f, &mut inputs);
        }
    }
    ExitCode::SUCCESS
}

/// A row's instructions per run: in all, and in SHA-256 (the `sha2` crate's functions).
struct PerRun {
    all: f64,
    sha256: f64,
}

/// Runs one row under callgrind and returns its instructions per run.
fn count(exe: &Path, dir: &Path, index: usize, id: &str, runs: usize) -> Result<PerRun, String> {
    let out = dir.join(format!("callgrind.{index}.out"));
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg("--collect-atstart=no")
        .arg(format!("--toggle-collect={COLLECT}"))
        // Names and positions written out in full, for [`self_cost`].
        .args(["--compress-strings=no", "--compress-pos=no"])
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(exe)
        .args(["--measure", id, &runs.to_string()])
        .output()
        .map_err(|e| format!("cannot run valgrind: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "valgrind on {id} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let text = std::fs::read_to_string(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    // The file ends with `summary: <Ir>` (older valgrinds write `totals:` too, the same).
    let total: u64 = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("{}: no summary line", out.display()))?;
    if total == 0 {
        return Err(format!(
            "{id}: nothing counted (is {COLLECT} inlined away?)"
        ));
    }
    let runs = runs as f64;
    Ok(PerRun {
        all: total as f64 / runs,
        sha256: self_cost(&text, "sha2::") as f64 / runs,
    })
}

/// The instructions spent in the functions whose names start with `prefix`, callees outside
/// it excluded, from an uncompressed callgrind file: under each `fn=` line, the cost lines
/// are its own, except the one after each `calls=` line (what that call cost in all).
fn self_cost(callgrind: &str, prefix: &str) -> u64 {
    let (mut inside, mut after_call, mut sum) = (false, false, 0);
    for line in callgrind.lines() {
        if let Some(name) = line.strip_prefix("fn=") {
            (inside, after_call) = (name.starts_with(prefix), false);
        } else if line.starts_with("calls=") {
            after_call = true;
        } else if line.starts_with(|c: char| c.is_ascii_digit()) {
            if inside && !after_call {
                sum += line
                    .rsplit(' ')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
            }
            after_call = false;
        }
    }
    sum
}

/// The ceilings CI holds the instruction-count ratios to: the counts measured when this
/// harness landed (2026-12-01, valgrind 3.19, Rust 1.95, `--profile bench --features
/// aws-lc` as CI builds it) plus 3 %, room for another CPU's glibc and feature-detection
/// paths under valgrind. They are not the
/// issue's time targets (2.05, 1.05, 0.02): under valgrind SHA-256 runs in software
/// (valgrind does not pass SHA-NI through), which adds 0.06 of a verify to a full
/// verification; the table's SHA-256 column shows it, and the time targets stay with
/// criterion. A change that makes a row 3 % more expensive fails CI.
const CEILINGS: &[(&str, f64)] = &[
    ("verify[claims=4]", 2.136),
    ("verify[claims=4,cached]", 1.115),
    ("decode_and_check[claims=4]", 0.0236),
    ("issue[claims=15]", 0.559),
    // Batches (spec §19): 32 issues (17.3955; issue 17's target: well under 40), the
    // issuer's check of 32 proofs (32.1031) and the phone's 32 proofs (12.0191).
    ("issue_batch[n=32]", 17.92),
    ("activation_verify[n=32]", 33.07),
    ("activation_sign[n=32]", 12.38),
    ("present[claims=4]", 0.421),
    ("verify_status_list[entries=2^20,revoked=0.1%]", 1.493),
    // 120 instructions: issue 12's target is "far below 0.001" of a verify.
    ("status_lookup", 0.000_051),
    ("sign_request[claims=3]", 0.393),
    ("check_request[claims=3]", 2.094),
    // HPKE (spec §18.3): seal is a key generation and a DH, open a DH; 1.5985 and 1.2946.
    ("seal[presentation=2KiB]", 1.646),
    ("open[presentation=2KiB]", 1.333),
];

/// One line of the table.
struct Counted {
    id: &'static str,
    per_op: PerRun,
    target: Option<f64>,
}

/// The table as Markdown, and whether every target is met.
fn table(rows: &[Counted], runs: usize) -> (String, bool) {
    let base = rows
        .iter()
        .find(|r| r.id == BASELINE)
        .map_or(f64::NAN, |r| r.per_op.all);
    let mut met = true;
    let mut out = format!(
        "Machine: {}\nInstructions per operation (callgrind, {runs} counted runs a row); \
         ratios to `{BASELINE}`.\n\n\
         | benchmark | instructions/op | ratio | of which SHA-256 | ratio without SHA-256 | time target | ceiling (CI) |\n\
         | --- | ---: | ---: | ---: | ---: | --- | --- |\n",
        report::machine()
    );
    let base_sha = rows
        .iter()
        .find(|r| r.id == BASELINE)
        .map_or(f64::NAN, |r| r.per_op.sha256);
    for row in rows {
        let ratio = row.per_op.all / base;
        let without_sha = (row.per_op.all - row.per_op.sha256) / (base - base_sha);
        // The time target is shown for comparison (criterion checks time); CI holds the
        // counts to their ceilings.
        let target = match row.target {
            Some(t) if ratio <= t => format!("≤ {t}: met"),
            Some(t) => format!("≤ {t}: not met by count"),
            None => String::new(),
        };
        let ceiling = match CEILINGS.iter().find(|(id, _)| *id == row.id) {
            Some((_, c)) if ratio <= *c => format!("≤ {c}: met"),
            Some((_, c)) => {
                met = false;
                format!("≤ {c}: EXCEEDED")
            }
            None => String::new(),
        };
        out.push_str(&format!(
            "| `{}` | {} | {ratio:.4} | {} | {without_sha:.4} | {target} | {ceiling} |\n",
            row.id,
            thousands(row.per_op.all.round() as u64),
            thousands(row.per_op.sha256.round() as u64),
        ));
    }
    (out, met)
}

/// 1234567 as `1 234 567` (narrow no-break spaces, which Markdown tables keep together).
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
    };
    if let Some(i) = args.iter().position(|a| a == "--measure") {
        let (Some(id), Some(Ok(runs))) = (args.get(i + 1), args.get(i + 2).map(|n| n.parse()))
        else {
            eprintln!("usage: instructions --measure ID N");
            return ExitCode::from(2);
        };
        return measure(id, runs);
    }
    let f = Fixtures::new();
    let rows = counted(&f);
    if args.iter().any(|a| a == "--list") {
        for row in &rows {
            println!("{}", row.id);
        }
        return ExitCode::SUCCESS;
    }
    let runs = match value("--runs").map(|n| n.parse::<usize>()) {
        None => RUNS,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("--runs takes a positive number");
            return ExitCode::from(2);
        }
    };
    let exe = std::env::current_exe().expect("the running binary has a path");
    let dir = std::env::temp_dir().join(format!("mlegit-instructions.{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a writable temporary directory");
    let mut counts = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        match count(&exe, &dir, index, row.id, runs) {
            Ok(per_op) => {
                eprintln!("{:>14.0}  {}", per_op.all, row.id);
                counts.push(Counted {
                    id: row.id,
                    per_op,
                    target: row.target,
                });
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let (text, met) = table(&counts, runs);
    println!("\n{text}");
    if let Some(path) = value("--out")
        && let Err(e) = std::fs::write(path, &text)
    {
        eprintln!("{path}: {e}");
        return ExitCode::from(2);
    }
    if met {
        ExitCode::SUCCESS
    } else {
        eprintln!("a row exceeds its ceiling (instructions per operation, ratio to {BASELINE})");
        ExitCode::FAILURE
    }
}
