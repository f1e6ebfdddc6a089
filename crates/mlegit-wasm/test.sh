#!/usr/bin/env bash
# Builds the WebAssembly verifier, generates its JS glue, checks the shipped size, and runs
# every test vector through it in Node (crates/mlegit-wasm/tests/vectors.mjs). Run from
# the repository root: `bash crates/mlegit-wasm/test.sh`. Needs the wasm32-unknown-unknown
# target and wasm-bindgen-cli of the crate's wasm-bindgen version (.ci/run installs both),
# and Node with npm (`npm ci` installs terser, and playwright-core, from the lockfile).
set -euo pipefail
cd "$(dirname "$0")/../.."

target_dir="${CARGO_TARGET_DIR:-target}"
# The compact (rolled-loop) software SHA-256 and AES of the sha2 and aes crates: 9 KB less
# than their unrolled defaults; hashing is a small part of a verification (P-256 is most).
# Only this build has them: RUSTFLAGS set for one --target do not reach host builds.
# The registry's source paths are cut from the file names panics carry (2.4 KB, and no
# path of the build machine in the shipped module).
remap=()
for dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
    remap+=("--remap-path-prefix=$dir=")
done
RUSTFLAGS="${RUSTFLAGS:-} --cfg sha2_backend_soft=\"compact\" --cfg aes_backend_soft=\"compact\" ${remap[*]}" \
    cargo build --locked --profile wasm --target wasm32-unknown-unknown -p mlegit-wasm
wasm="$target_dir/wasm32-unknown-unknown/wasm/mlegit_wasm.wasm"
out="$target_dir/mlegit-wasm"
rm -rf "$out"
# binaryen's wasm-opt -Oz (Debian's binaryen): 19 KB less. It runs on rustc's output, before
# wasm-bindgen, with the features Rust 1.95 enables for wasm32 named (binaryen 108 reads the
# module then; it cannot read wasm-bindgen's output, which uses table.fill). Every test
# below runs on the optimised module. Under CI a missing wasm-opt fails; elsewhere the
# module is shipped as rustc made it, and the size check says so.
if command -v wasm-opt >/dev/null; then
    mkdir -p "$target_dir/mlegit-wasm-opt"
    wasm-opt -Oz --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
        --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types \
        "$wasm" -o "$target_dir/mlegit-wasm-opt/mlegit_wasm.wasm"
    wasm="$target_dir/mlegit-wasm-opt/mlegit_wasm.wasm"
elif [ "${CI:-}" = "true" ]; then
    echo "mlegit-wasm: wasm-opt (Debian's binaryen) is missing" >&2
    exit 1
else
    echo "mlegit-wasm: wasm-opt not found; the module is not optimised (apt-get install binaryen)"
fi
# The module a page loads (ES module glue) and the one Node's tests load (CommonJS glue).
strip=(--remove-name-section --remove-producers-section)
wasm-bindgen --target web "${strip[@]}" --out-dir "$out/web" "$wasm"
wasm-bindgen --target nodejs "${strip[@]}" --out-dir "$out/node" "$wasm"
# The page's glue minified by terser (from the lockfile): 18 KB to 6.5 KB. Node's glue is
# left as wasm-bindgen writes it; the tests below run both.
(cd crates/mlegit-wasm && npm ci --no-audit --no-fund --silent)
crates/mlegit-wasm/node_modules/.bin/terser "$out/web/mlegit_wasm.js" --module --compress \
    --mangle -o "$out/web/mlegit_wasm.min.js"
mv "$out/web/mlegit_wasm.min.js" "$out/web/mlegit_wasm.js"

# Issue 15 asks for the shipped module with its glue at most 100 KB (102,400 B); this build
# is over it (crates/mlegit-wasm/README.md says by how much and where the bytes go). Until
# it meets it, the size is held to a ceiling a little above what it is, so that it can only
# shrink: 2 % over the 163,673 B measured after wasm-opt (181,464 B without it).
module=$(stat -c %s "$out/web/mlegit_wasm_bg.wasm")
glue=$(stat -c %s "$out/web/mlegit_wasm.js")
total=$((module + glue))
gzipped=$(cat "$out/web/mlegit_wasm_bg.wasm" "$out/web/mlegit_wasm.js" | gzip -9 | wc -c)
if [ -d "$target_dir/mlegit-wasm-opt" ] && [ "$wasm" = "$target_dir/mlegit-wasm-opt/mlegit_wasm.wasm" ]; then
    ceiling=167000
else
    ceiling=185100
fi
echo "mlegit-wasm: module $module B + glue $glue B = $total B (gzip -9: $gzipped B); issue 15's budget 102400 B: not met; ceiling $ceiling B"
if [ "$total" -gt "$ceiling" ]; then
    echo "mlegit-wasm: $total B is over the ceiling of $ceiling B" >&2
    exit 1
fi

MLEGIT_WASM_PKG="$(cd "$out/node" && pwd)" node --test crates/mlegit-wasm/tests/vectors.mjs
# The same vectors through the shipped pair: the page's minified ES module glue.
MLEGIT_WASM_WEB="$(cd "$out/web" && pwd)" node --test crates/mlegit-wasm/tests/vectors.mjs

# The verifier page: its files and the web module in one directory, served by `mlegit
# serve --verifier-page`, opened in Debian's chromium through playwright-core
# (tests/browser.mjs). Under CI a missing chromium fails here; elsewhere it is skipped.
page="$out/page"
mkdir -p "$page"
cp crates/mlegit-wasm/www/index.html crates/mlegit-wasm/www/verifier.js \
    crates/mlegit-wasm/www/verifier.css "$out/web/mlegit_wasm.js" \
    "$out/web/mlegit_wasm_bg.wasm" "$page/"
chromium_bin="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium_bin" ] && [ "${CI:-}" != "true" ]; then
    echo "mlegit-wasm: no chromium at $chromium_bin: the browser test is skipped (CI installs it)"
    exit 0
fi
cargo build --locked -p mlegit-cli
MLEGIT="$target_dir/debug/mlegit" MLEGIT_PAGE="$(cd "$page" && pwd)" CHROMIUM="$chromium_bin" \
    MLEGIT_SCREENSHOTS="$target_dir/mlegit-wasm/screenshots" \
    node --test crates/mlegit-wasm/tests/browser.mjs
echo "mlegit-wasm: screenshots in $target_dir/mlegit-wasm/screenshots"
