#!/usr/bin/env bash
# CI smoke run of every fuzz target (called from the repository root by .ci/run):
# build all targets once on nightly, run each for FUZZ_SECONDS (default 20) from its
# committed corpus (new inputs go to a scratch directory, the corpus is not modified),
# print one summary line per target, and exit non-zero if any target crashed, leaked,
# ran out of memory (-rss_limit_mb=512) or hung on one input (-timeout=10).
set -uo pipefail
# No sanitizer: mlegit forbids unsafe code, and ASan would slow the P-256 arithmetic the
# verify targets spend their time in by 2-3x. Override with FUZZ_FLAGS="-s address".
FUZZ_FLAGS="${FUZZ_FLAGS:--s none}"
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-20}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
cargo +nightly fuzz build $FUZZ_FLAGS || exit 1

mkdir -p logs artifacts
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
status=0
for t in $(cargo +nightly fuzz list); do
    mkdir -p "$scratch/$t" "artifacts/$t"
    log="logs/smoke-$t.log"
    # One plain libFuzzer process (no -jobs, whose job mode hides the exit status and logs
    # to ./fuzz-0.log). The scratch directory comes first: libFuzzer writes new inputs to the first one.
    cargo +nightly fuzz run $FUZZ_FLAGS "$t" "$scratch/$t" "corpus/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=512 -timeout=10 \
        -artifact_prefix="artifacts/$t/" >"$log" 2>&1
    rc=$?
    # The last status line: "#<execs> <event> cov: C ft: F corp: N/SIZE ... exec/s: E ...".
    stats="$(grep -E '^#[0-9]+' "$log" | tail -n 1 |
        sed -E 's/^#([0-9]+).*cov: ([0-9]+) ft: ([0-9]+) corp: ([^ ]+).*exec\/s: ([0-9]+).*/execs=\1 cov=\2 ft=\3 corpus=\4 exec\/s=\5/')"
    if [ "$rc" -eq 0 ]; then
        echo "fuzz smoke: $t ok ($stats)"
    else
        echo "fuzz smoke: $t FAILED rc=$rc ($stats); see fuzz/$log and fuzz/artifacts/$t/"
        grep -E 'panicked|ERROR: libFuzzer|SUMMARY' "$log" | head -5 | sed 's/^/    /'
        status=1
    fi
done
exit "$status"
