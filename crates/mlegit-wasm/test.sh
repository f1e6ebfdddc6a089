#!/usr/bin/env bash
# Builds the WebAssembly verifier, generates its JS glue, checks the shipped size, and runs
# every test vector through it in Node (crates/mlegit-wasm/tests/vectors.mjs), then the
# verifier page in chromium (tests/browser.mjs). Run from the repository root: `bash
# crates/mlegit-wasm/test.sh`. Needs the wasm32-unknown-unknown target, nightly's rust-src,
# wasm-bindgen-cli of the crate's wasm-bindgen version (.ci/run installs them), and Node
# with npm (`npm ci` installs terser, and playwright-core, from the lockfile).
set -euo pipefail
cd "$(dirname "$0")/../.."

target_dir="${CARGO_TARGET_DIR:-target}"
# The compact (rolled-loop) software SHA-256 of the sha2 crate: smaller than its unrolled
# default; hashing is a small part of a verification. Only this build has it: RUSTFLAGS
# set for one --target do not reach host builds. The registry's (and the standard
# library's) source paths are cut from the file names the module could carry, so that no
# path of the build machine is in it.
flags="--cfg sha2_backend_soft=\"compact\""
for dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
    flags="$flags --remap-path-prefix=$dir="
done
# The shipped module is built on nightly, its core and alloc rebuilt with it
# (-Zbuild-std, rust-src) so that panics abort at once, without the formatting and the
# locations of core's panic machinery (-Cpanic=immediate-abort, -Zlocation-detail=none),
# and without Debug's formatting (-Zfmt-debug=none): 13 KB less than stable. Under CI the
# nightly build is the one tested (.ci/run adds rust-src); elsewhere, without rust-src for
# nightly, the module is built on stable and the size check says so.
if rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
    toolchain=nightly
elif [ "${CI:-}" = "true" ]; then
    echo "mlegit-wasm: the nightly toolchain's rust-src is missing (rustup component add rust-src --toolchain nightly)" >&2
    exit 1
else
    toolchain=stable
    echo "mlegit-wasm: no rust-src for nightly: the module is built on stable, larger"
fi
if [ "$toolchain" = nightly ]; then
    flags="$flags --remap-path-prefix=$(rustc +nightly --print sysroot)/lib/rustlib/src/rust/="
    RUSTFLAGS="${RUSTFLAGS:-} $flags -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none" \
        cargo +nightly build --locked --profile wasm --target wasm32-unknown-unknown \
        -p mlegit-wasm -Zbuild-std=core,alloc
else
    RUSTFLAGS="${RUSTFLAGS:-} $flags" \
        cargo build --locked --profile wasm --target wasm32-unknown-unknown -p mlegit-wasm
fi
wasm="$target_dir/wasm32-unknown-unknown/wasm/mlegit_wasm.wasm"
out="$target_dir/mlegit-wasm"
rm -rf "$out"
# binaryen's wasm-opt -Oz --converge (Debian's binaryen): 11 KB less on stable. It runs on
# rustc's output, before wasm-bindgen, with the features rustc enables for wasm32 named (binaryen 108 reads the
# module then; it cannot read wasm-bindgen's output, which uses table.fill). Every test
# below runs on the optimised module. Under CI a missing wasm-opt fails; elsewhere the
# module is shipped as rustc made it, and the size check says so.
if command -v wasm-opt >/dev/null; then
    mkdir -p "$target_dir/mlegit-wasm-opt"
    wasm-opt -Oz --converge --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
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
# The page's glue and js/mlegit.js (the API: WebCrypto's signature checks and AES-GCM
# around the module) minified by terser (from the lockfile): 18 KB to 6.7 KB, and 3.8 KB
# to 1.4 KB. Node's glue is left as wasm-bindgen writes it; the tests below run both.
(cd crates/mlegit-wasm && npm ci --no-audit --no-fund --silent)
terser=crates/mlegit-wasm/node_modules/.bin/terser
"$terser" "$out/web/mlegit_wasm.js" --module --compress --mangle -o "$out/web/mlegit_wasm.min.js"
mv "$out/web/mlegit_wasm.min.js" "$out/web/mlegit_wasm.js"
"$terser" crates/mlegit-wasm/js/mlegit.js --module --compress --mangle -o "$out/web/mlegit.js"
cp crates/mlegit-wasm/js/mlegit.js "$out/node/mlegit.mjs"

# Issue 15's budget: the shipped module with its glue at most 100 KB (102,400 B), counted
# here with js/mlegit.js, which a page loads with them: 99,519 B. The nightly build meets
# it. The builds made outside CI only are held to ceilings of their own, 2 % over what they
# measured on 2026-12-02, so that they cannot grow unseen either: on stable 112,869 B, and
# without wasm-opt 124,098 B (on stable; less on nightly).
module=$(stat -c %s "$out/web/mlegit_wasm_bg.wasm")
glue=$(stat -c %s "$out/web/mlegit_wasm.js")
api=$(stat -c %s "$out/web/mlegit.js")
total=$((module + glue + api))
gzipped=$(cat "$out/web/mlegit_wasm_bg.wasm" "$out/web/mlegit_wasm.js" "$out/web/mlegit.js" | gzip -9 | wc -c)
if [ "$wasm" != "$target_dir/mlegit-wasm-opt/mlegit_wasm.wasm" ]; then
    ceiling=126600
elif [ "$toolchain" = nightly ]; then
    ceiling=102400
else
    ceiling=115100
fi
echo "mlegit-wasm: module $module B + glue $glue B + mlegit.js $api B = $total B (gzip -9: $gzipped B; $toolchain); at most $ceiling B"
if [ "$total" -gt "$ceiling" ]; then
    echo "mlegit-wasm: $total B is over $ceiling B" >&2
    exit 1
fi

# Every vector through Node's glue and mlegit.mjs, then through what a page loads: the
# module, the minified ES module glue and the minified mlegit.js.
# No path of the build machine in the shipped module: not this checkout's, not Cargo's
# home. A stable build keeps the relative source names that panics carry (the registry's
# cut to `crate-version/src/...`); the nightly build, with -Zlocation-detail=none, none.
shipped="$out/web/mlegit_wasm_bg.wasm"
if LC_ALL=C grep -a -q -F -e "$PWD" -e "${CARGO_HOME:-$HOME/.cargo}" "$shipped"; then
    echo "mlegit-wasm: the module names a path of the build machine" >&2
    exit 1
fi
if [ "$toolchain" = nightly ] &&
    [ "$(LC_ALL=C grep -a -o -E '[[:print:]]{6,}' "$shipped" | grep -c -E '\.rs$|/src/')" != 0 ]; then
    echo "mlegit-wasm: the nightly module names a source file" >&2
    exit 1
fi

MLEGIT_WASM_PKG="$(cd "$out/node" && pwd)" node --test crates/mlegit-wasm/tests/vectors.mjs
MLEGIT_WASM_WEB="$(cd "$out/web" && pwd)" node --test crates/mlegit-wasm/tests/vectors.mjs

# The verifier page: its files and the web module in one directory, served by `mlegit
# serve --verifier-page`, opened in Debian's chromium through playwright-core
# (tests/browser.mjs). Under CI a missing chromium fails here; elsewhere it is skipped.
page="$out/page"
mkdir -p "$page"
cp crates/mlegit-wasm/www/index.html crates/mlegit-wasm/www/verifier.js \
    crates/mlegit-wasm/www/verifier.css "$out/web/mlegit_wasm.js" \
    "$out/web/mlegit_wasm_bg.wasm" "$out/web/mlegit.js" "$page/"
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
