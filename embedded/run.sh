#!/usr/bin/env bash
# Builds the embedded validator, checks its flash and RAM against the budget of issue 11, runs
# it under QEMU (mps2-an386, Cortex-M4F) and prints its figures. Exit 0 only if it built, every
# check on the device passed (semihosting exit 0) and both budgets hold.
#
#   bash embedded/run.sh            # from the repository root
#
# Needs: rustup's thumbv7em-none-eabihf target (added here if missing), python3, and
# qemu-system-arm (Debian package qemu-system-arm; this script installs nothing else).
set -euo pipefail

FLASH_BUDGET=$((56 * 1024)) # text + rodata + data, bytes
RAM_BUDGET=$((12 * 1024))   # data + bss (with the heap array) + stack high-water mark, bytes
CLOCK_HZ=168000000          # the figure issue 11 asks for: a Cortex-M4F at 168 MHz
QEMU_TIMEOUT=120            # seconds; a run takes well under one

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
target_dir=${CARGO_TARGET_DIR:-$here/target}
elf=$target_dir/thumbv7em-none-eabihf/release/mlegit-embedded-validator

fail() {
    echo "embedded: FAIL: $*" >&2
    exit 1
}

command -v qemu-system-arm >/dev/null ||
    fail "qemu-system-arm not found: install it (Debian: apt-get install -y qemu-system-arm)"
command -v python3 >/dev/null || fail "python3 not found"
if ! rustup target list --installed | grep -qx thumbv7em-none-eabihf; then
    rustup target add thumbv7em-none-eabihf
fi

# The committed vector file must be what the script makes from the JSON now (needs only the
# JSON unless it is stale; regenerating it needs the `cryptography` package).
if python3 -c 'import cryptography' 2>/dev/null; then
    python3 extract_vector.py --check || fail "src/vector.rs is stale"
fi

measure() { # measure [CARGO FLAGS...]: build, check the budgets, run under QEMU, print figures
    local started
    started=$(date +%s)
    # RUSTFLAGS (CI sets -Dwarnings) would replace the target's rustflags of
    # .cargo/config.toml, the linker script among them: cleared for this build.
    env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS CARGO_TARGET_DIR="$target_dir" \
        cargo build --release --locked "$@"
    echo "embedded: built $elf in $(($(date +%s) - started)) s"

    sizes=$(python3 elf_size.py "$elf")
    echo "$sizes" | sed 's/^/embedded: /'
    flash=$(echo "$sizes" | sed -n 's/^flash=\([0-9]*\) .*/\1/p')
    ram_static=$(echo "$sizes" | sed -n 's/.* ram_static=\([0-9]*\)$/\1/p')

    set +e
    output=$(timeout "$QEMU_TIMEOUT" qemu-system-arm -M mps2-an386 -cpu cortex-m4 -nographic \
        -monitor none -serial none \
        -semihosting-config enable=on,target=native -icount shift=0 -kernel "$elf")
    status=$?
    set -e
    echo "$output" | sed 's/^/device: /'
    [ "$status" -eq 124 ] && fail "QEMU did not exit within $QEMU_TIMEOUT s"
    [ "$status" -eq 0 ] || fail "the firmware reported a failed check (exit status $status)"

    field() { # field LINE-PREFIX KEY: the value of KEY= on the device's line starting with PREFIX
        echo "$output" | sed -n "s/^$1: .*\b$2=\([0-9.]*\).*/\1/p" | head -n 1
    }
    full=$(field verify instructions)
    raw=$(field raw_verify instructions)
    stack=$(field stack peak)
    heap_size=$(field heap size)
    heap_peak=$(field heap peak_used)
    ratio=$(field ratio full_over_raw)
    [ -n "$full" ] && [ -n "$raw" ] && [ -n "$stack" ] || fail "figures missing from the device's output"
    ram=$((ram_static + stack))

    ms() { awk -v n="$1" -v hz="$CLOCK_HZ" 'BEGIN { printf "%.1f", n / hz * 1000 }'; }
    echo "embedded: flash $flash bytes (budget $FLASH_BUDGET)"
    echo "embedded: ram $ram bytes = static $ram_static (heap array $heap_size, peak used $heap_peak) + stack peak $stack (budget $RAM_BUDGET)"
    echo "embedded: full verification $full instructions, raw P-256 verify $raw, ratio $ratio"
    echo "embedded: at 168 MHz (one instruction a cycle): full $(ms "$full") ms, raw $(ms "$raw") ms"

    ok=1
    [ "$flash" -le "$FLASH_BUDGET" ] || { echo "embedded: FAIL: flash $flash > $FLASH_BUDGET" >&2; ok=0; }
    [ "$ram" -le "$RAM_BUDGET" ] || { echo "embedded: FAIL: ram $ram > $RAM_BUDGET" >&2; ok=0; }
    if [ "$*" = "--features asm" ] && [ "$full" -gt $((CLOCK_HZ / 10)) ]; then
        echo "embedded: FAIL: the assembly backend takes $full instructions, over 100 ms at 168 MHz" >&2
        ok=0
    fi
    [ "$ok" -eq 1 ] || exit 1
    echo "embedded: ok in $(($(date +%s) - started)) s"
}

echo "embedded: == backend p256 (portable Rust) =="
measure
# The assembly backend (issue 11, "go past it"): p256-cortex-m4 compiles C and assembly
# with arm-none-eabi-gcc. In CI it must be there (.ci/run installs it); elsewhere the
# portable figures above stand alone when it is not.
if command -v arm-none-eabi-gcc >/dev/null; then
    echo "embedded: == backend p256-cortex-m4 (assembly) =="
    measure --features asm
elif [ "${CI:-}" = true ]; then
    fail "arm-none-eabi-gcc not found (Debian: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)"
else
    echo "embedded: arm-none-eabi-gcc not found: the p256-cortex-m4 backend is not measured"
fi
