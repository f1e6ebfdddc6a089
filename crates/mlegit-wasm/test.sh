#!/usr/bin/env bash
# Builds the WebAssembly verifier, generates its JS glue, checks the shipped size, and runs
# every test vector through it in Node (crates/mlegit-wasm/tests/vectors.mjs). Run from
# the repository root: `bash crates/mlegit-wasm/test.sh`. Needs the wasm32-unknown-unknown
# target and wasm-bindgen-cli of the crate's wasm-bindgen version (.ci/run installs both).
set -euo pipefail
cd "$(dirname "$0")/../.."

target_dir="${CARGO_TARGET_DIR:-target}"
cargo build --locked --profile wasm --target wasm32-unknown-unknown -p mlegit-wasm
wasm="$target_dir/wasm32-unknown-unknown/wasm/mlegit_wasm.wasm"
out="$target_dir/mlegit-wasm"
rm -rf "$out"
# The module a page loads (ES module glue) and the one Node's tests load (CommonJS glue).
strip=(--remove-name-section --remove-producers-section)
wasm-bindgen --target web "${strip[@]}" --out-dir "$out/web" "$wasm"
wasm-bindgen --target nodejs "${strip[@]}" --out-dir "$out/node" "$wasm"

# Issue 15 asks for the shipped module with its glue at most 100 KB (102,400 B); this build
# is over it (crates/mlegit-wasm/README.md says by how much and where the bytes go). Until
# it meets it, the size is held to a ceiling a little above what it is, so that it can only
# shrink: 4 % over the 211,983 B measured with the WebCrypto open (issue 15, step 1).
module=$(stat -c %s "$out/web/mlegit_wasm_bg.wasm")
glue=$(stat -c %s "$out/web/mlegit_wasm.js")
total=$((module + glue))
gzipped=$(cat "$out/web/mlegit_wasm_bg.wasm" "$out/web/mlegit_wasm.js" | gzip -9 | wc -c)
ceiling=220500
echo "mlegit-wasm: module $module B + glue $glue B = $total B (gzip -9: $gzipped B); issue 15's budget 102400 B: not met; ceiling $ceiling B"
if [ "$total" -gt "$ceiling" ]; then
    echo "mlegit-wasm: $total B is over the ceiling of $ceiling B" >&2
    exit 1
fi

MLEGIT_WASM_PKG="$(cd "$out/node" && pwd)" node --test crates/mlegit-wasm/tests/vectors.mjs
