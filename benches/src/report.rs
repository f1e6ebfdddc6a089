//! The table printed after a bench run: each median as a ratio to the baseline measured in
//! the same run, the allocations per operation, and the targets of issue 5.

use core::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// One row of the table.
#[derive(Debug)]
pub struct Row {
    /// The benchmark id inside the group (`verify[claims=4]`).
    pub id: String,
    /// Heap allocations per operation.
    pub allocations: f64,
    /// The largest ratio to the baseline that issue 5 allows, if it sets one.
    pub target: Option<f64>,
    /// The paired ratio to the baseline ([`crate::paired::ratio`]); `None` for the baseline.
    pub paired: Option<f64>,
}

/// Where criterion writes its results: `$CRITERION_HOME`, else `<target dir>/criterion`.
/// The bench sets criterion's output directory to this, so that the report finds it.
pub fn criterion_dir(target_tmpdir: &str) -> PathBuf {
    match std::env::var_os("CRITERION_HOME") {
        Some(home) => PathBuf::from(home),
        None => Path::new(target_tmpdir)
            .parent()
            .unwrap_or_else(|| Path::new("target"))
            .join("criterion"),
    }
}

/// The median of one benchmark in nanoseconds, if it ran after `since`.
fn median_ns(dir: &Path, group: &str, id: &str, since: SystemTime) -> Option<f64> {
    let path = dir.join(group).join(id).join("new").join("estimates.json");
    let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
    if modified < since {
        return None; // left over from an earlier run (filtered out of this one)
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).ok()?).ok()?;
    json.get("median")?.get("point_estimate")?.as_f64()
}

/// The CPU, from `/proc/cpuinfo` where there is one.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!(
        "{cpu}, {cores} cores, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// The table as Markdown: one line per row, the baseline first. `ratio` divides criterion's
/// medians; `paired` is the median ratio of back-to-back pairs, which the targets are
/// checked against (see [`crate::paired`]).
pub fn table(dir: &Path, group: &str, baseline: &str, rows: &[Row], since: SystemTime) -> String {
    let base = median_ns(dir, group, baseline, since);
    let mut out = String::new();
    let _ = writeln!(out, "Machine: {}", machine());
    let _ = writeln!(
        out,
        "Thread CPU time; ratios to `{baseline}` in the same run (group `{group}`).\n"
    );
    let _ = writeln!(
        out,
        "| benchmark | median | ratio of medians | paired ratio | allocations/op | target |"
    );
    let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: | --- |");
    for row in rows {
        let median = median_ns(dir, group, &row.id, since);
        let ratio = median.zip(base).map(|(m, b)| m / b);
        let paired = row.paired.unwrap_or(1.0);
        let median = median.map_or("not run".into(), |m| format!("{:.1} µs", m / 1000.0));
        let ratio = ratio.map_or("-".into(), |r| format!("{r:.3}"));
        let target = match row.target {
            Some(t) if paired <= t => format!("≤ {t}: met"),
            Some(t) => format!("≤ {t}: MISSED"),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "| `{}` | {median} | {ratio} | {paired:.3} | {} | {target} |",
            row.id,
            format_allocations(row.allocations)
        );
    }
    out
}

fn format_allocations(n: f64) -> String {
    if (n - n.round()).abs() < 0.01 {
        format!("{}", n.round())
    } else {
        format!("{n:.2}")
    }
}
