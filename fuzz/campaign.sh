#!/usr/bin/env bash
# A longer fuzzing campaign: every target for N seconds (default 600), two at a time
# (one libFuzzer process each, FUZZ_PARALLEL=2), growing fuzz/corpus-full/<target> (seeded from fuzz/corpus/<target>).
#     bash fuzz/campaign.sh 600 [target ...]
# Afterwards, per target, the final libFuzzer stats line (execs, cov, ft, corpus) is
# printed; crashes are in fuzz/artifacts/<target>/. To refresh the committed corpus:
#     cargo +nightly fuzz cmin <target> corpus-full/<target>  (then copy to corpus/<target>)
set -uo pipefail
# No sanitizer: mlegit forbids unsafe code, and ASan would slow the P-256 arithmetic the
# verify targets spend their time in by 2-3x. Override with FUZZ_FLAGS="-s address".
FUZZ_FLAGS="${FUZZ_FLAGS:--s none}"
cd "$(dirname "$0")"
SECS="${1:-600}"
shift || true
PARALLEL="${FUZZ_PARALLEL:-2}"
cargo +nightly fuzz build $FUZZ_FLAGS || exit 1
targets=("$@")
[ "${#targets[@]}" -eq 0 ] && mapfile -t targets < <(cargo +nightly fuzz list)
mkdir -p logs artifacts

run_one() {
    local t="$1"
    mkdir -p "corpus-full/$t" "artifacts/$t"
    cp -n "corpus/$t"/* "corpus-full/$t/" 2>/dev/null || true
    # No -jobs: libFuzzer's job mode writes every job's output to ./fuzz-0.log, which two
    # targets running side by side would share; one plain process is one job.
    cargo +nightly fuzz run $FUZZ_FLAGS "$t" "corpus-full/$t" -- \
        -max_total_time="$SECS" -rss_limit_mb=512 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"logs/campaign-$t.log" 2>&1
    echo "$t exit=$?"
}

running=0
for t in "${targets[@]}"; do
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$PARALLEL" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

status=0
for t in "${targets[@]}"; do
    log="logs/campaign-$t.log"
    last="$(grep -E '^#[0-9]+' "$log" | tail -1)"
    execs="$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')"
    crashes="$(ls "artifacts/$t" 2>/dev/null | wc -l)"
    echo "$t: execs=${execs:-?} crashes=$crashes last: $last"
    grep -q -E 'ERROR: libFuzzer|panicked' "$log" && status=1
done
exit "$status"
