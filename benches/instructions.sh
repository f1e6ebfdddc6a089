#!/usr/bin/env bash
# Instructions per operation of every bench row under valgrind's callgrind, as ratios to one
# raw P-256 verify; fails if a row exceeds its ceiling (issue 11). Run from the repository
# root: `bash benches/instructions.sh`. The table is printed and written to
# <target dir>/instructions.md. How the counts are taken: benches/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
    echo "benches/instructions.sh needs valgrind (callgrind): apt-get install valgrind" >&2
    exit 2
fi

# The bench profile with the aws-lc feature: the same build as `cargo bench --features
# aws-lc --no-run` in .ci/run, so CI compiles nothing twice (it lands in target/release).
cargo build --profile bench --features aws-lc --locked -p mlegit-benches --bin instructions
target_dir="${CARGO_TARGET_DIR:-target}"
"$target_dir/release/instructions" --out "$target_dir/instructions.md" "$@"
