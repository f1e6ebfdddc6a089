//! mlegit's verifier on a Cortex-M4F: verifies a valid test-vector presentation and checks
//! its every output, checks that an invalid one fails with its registered error code, and
//! measures what it took (instructions, heap peak, stack high-water mark) against one raw
//! P-256 verify on the same device. Runs under QEMU's `mps2-an386` with `-icount shift=0`
//! (`embedded/run.sh`); output and exit status go over semihosting: one line per figure,
//! exit 0 if every check passed, 1 otherwise.
//!
//! The protocol core is `#![forbid(unsafe_code)]`. This firmware is not the core and needs a
//! little `unsafe` for what only firmware does: giving the allocator its heap, painting and
//! scanning the unused stack, and an assembly loop that calibrates the clock. Each use says
//! why it is sound; nothing else here is unsafe.
#![no_std]
#![no_main]

extern crate alloc;

mod vector;

use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::{SCB, SYST};
use cortex_m_rt::{entry, exception};
use cortex_m_semihosting::{debug, hprintln};
use embedded_alloc::LlffHeap;
use mlegit::crypto::verify_es256;
use mlegit::{
    Algorithm, ClaimValue, Date, PublicKey, TrustList, VerifiedPresentation, Verifier,
    VerifyContext,
};

/// The signature backend this firmware was built with: the portable `p256` crate, or with
/// feature `asm` the assembly of p256-cortex-m4.
#[cfg(not(feature = "asm"))]
type Backend = mlegit::P256Backend;
#[cfg(feature = "asm")]
type Backend = asm::AsmBackend;
#[cfg(not(feature = "asm"))]
const BACKEND_NAME: &str = "p256";
#[cfg(feature = "asm")]
const BACKEND_NAME: &str = "p256-cortex-m4";

/// ES256 through p256-cortex-m4 (its safe API: no `unsafe` here). The core's
/// `verify_es256` has already refused a high-S signature before a backend is asked.
#[cfg(feature = "asm")]
mod asm {
    use mlegit::{PublicKey, SignatureBackend};
    use sha2::{Digest, Sha256};

    #[derive(Clone, Copy, Debug, Default)]
    pub struct AsmBackend;

    impl SignatureBackend for AsmBackend {
        fn verify_es256(&self, key: &PublicKey, message: &[u8], signature: &[u8; 64]) -> bool {
            self.verify_es256_parts(key, &[message], signature)
        }

        fn verify_es256_parts(
            &self,
            key: &PublicKey,
            parts: &[&[u8]],
            signature: &[u8; 64],
        ) -> bool {
            let mut xy = [0u8; 64];
            let (x, y) = xy.split_at_mut(32);
            x.copy_from_slice(key.x());
            y.copy_from_slice(key.y());
            // Both decoders check their input: a point on the curve, r and s in 1..n-1.
            let (Ok(key), Ok(signature)) = (
                p256_cortex_m4::PublicKey::from_untagged_bytes(&xy),
                p256_cortex_m4::Signature::from_untagged_bytes(signature),
            ) else {
                return false;
            };
            let mut hash = Sha256::new();
            for part in parts {
                hash.update(part);
            }
            key.verify_prehashed(&hash.finalize(), &signature)
        }
    }
}

/// The fixed heap: the verifier's peak for the embedded vector is 2,072 bytes in use (printed
/// as `heap: ... peak_used=`; spec v2's longer status list URI took it past 2 KiB); run.sh
/// counts this whole array as RAM.
const HEAP_SIZE: usize = 2 * 1024 + 512;

/// How much of the stack below the entry point is painted before the measurements. A peak
/// that reaches the bottom of it fails the run (the real peak could be higher).
const STACK_PAINTED: usize = 16 * 1024;

/// The paint: a word unlikely to be written by the code measured.
const PAINT: u32 = 0x5AC3_A53C;

/// Iterations of the calibration loop (two instructions each).
const CALIBRATION_LOOPS: u32 = 1_000_000;

// ------------------------------------------------------------------------------------------
// The test vectors (generated: see extract_vector.py).

/// One presentation vector: the verifier's inputs (test-vectors/README.md, "File schema").
pub struct PresentationVector {
    pub name: &'static str,
    pub presentation: &'static [u8],
    pub trust_list: &'static [u8],
    pub now: u64,
    pub clock_skew: u64,
    pub max_age: u64,
    pub max_input_size: usize,
    pub accepted_algs: &'static [i64],
    pub expected_nonce: Option<&'static [u8]>,
    pub expected_audience: Option<&'static str>,
}

/// A claim value as the vectors give it.
pub enum Expected {
    Text(&'static str),
    Date(u16, u8, u8),
    Bytes(&'static [u8]),
    Bool(bool),
}

/// A valid vector and every output field the verifier must return for it.
pub struct Valid {
    pub vector: PresentationVector,
    pub claims: &'static [(&'static str, Expected)],
    pub presented_at: u64,
    pub not_before: u64,
    pub expires: u64,
    pub credential_id: &'static [u8],
    pub status_uri: &'static str,
    pub status_index: u64,
    pub issuer_kid: &'static [u8],
    pub nonce: Option<&'static [u8]>,
    pub audience: Option<&'static str>,
}

/// An invalid vector and its error code (spec §13).
pub struct Invalid {
    pub vector: PresentationVector,
    pub error: &'static str,
}

/// The baseline: one ES256 signature over a fixed message.
pub struct RawVerify {
    pub public_x: &'static [u8],
    pub public_y: &'static [u8],
    pub message: &'static [u8],
    pub signature: &'static [u8],
}

// ------------------------------------------------------------------------------------------
// The heap, with a count of its peak.

/// The allocator, and the most it ever held: bytes asked for, and bytes the linked-list heap
/// had in use (its blocks are rounded up), both at their peak.
struct CountingHeap {
    heap: LlffHeap,
    requested: AtomicUsize,
    requested_peak: AtomicUsize,
    used_peak: AtomicUsize,
}

#[global_allocator]
static HEAP: CountingHeap = CountingHeap {
    heap: LlffHeap::empty(),
    requested: AtomicUsize::new(0),
    requested_peak: AtomicUsize::new(0),
    used_peak: AtomicUsize::new(0),
};

// SAFETY: every call goes to the inner allocator unchanged; the counters are only read.
unsafe impl GlobalAlloc for CountingHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `layout` is passed on as it is.
        let block = unsafe { self.heap.alloc(layout) };
        if !block.is_null() {
            let now = self.requested.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            self.requested_peak.fetch_max(now, Ordering::Relaxed);
            self.used_peak
                .fetch_max(self.heap.used(), Ordering::Relaxed);
        }
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: `block` came from `alloc` above with this `layout` (the caller's contract).
        unsafe { self.heap.dealloc(block, layout) };
        self.requested.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

fn init_heap() {
    static mut MEMORY: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];
    // SAFETY: called once, before the first allocation; MEMORY is used by nothing else.
    unsafe { HEAP.heap.init(&raw mut MEMORY as usize, HEAP_SIZE) }
}

// ------------------------------------------------------------------------------------------
// The stack high-water mark.

unsafe extern "C" {
    /// cortex-m-rt's initial stack pointer: the top of RAM, where the stack grows down from.
    static _stack_start: u32;
    /// cortex-m-rt's end of .bss and .uninit: the stack must not grow below it.
    static __sheap: u32;
}

/// Paints the stack below the current stack pointer, down to [`STACK_PAINTED`] below the top.
/// Returns the bottom of the painted region, or `None` if it would cross `.bss`.
#[inline(never)]
fn paint_stack() -> Option<usize> {
    let top = &raw const _stack_start as usize;
    let bottom = top - STACK_PAINTED;
    if bottom < &raw const __sheap as usize {
        return None;
    }
    // Leave the words just below the stack pointer alone: nothing is there now (no
    // interrupt is enabled yet), and this function's frame is above it.
    let sp = cortex_m::register::msp::read() as usize - 64;
    let mut word = bottom;
    while word < sp {
        // SAFETY: [bottom, sp) is RAM between the end of .bss and the live stack: no Rust
        // object lives there, so nothing observes these writes but the scan below.
        unsafe { core::ptr::write_volatile(word as *mut u32, PAINT) };
        word += 4;
    }
    Some(bottom)
}

/// The most stack used since reset: from the top of RAM down to the deepest word not
/// holding the paint any more.
#[inline(never)]
fn stack_peak(bottom: usize) -> usize {
    let top = &raw const _stack_start as usize;
    let mut word = bottom;
    // SAFETY: [bottom, top) is RAM (checked by paint_stack); reading words of the unused
    // part of the stack reads memory no Rust object owns, and the rest are aligned words.
    while word < top && unsafe { core::ptr::read_volatile(word as *const u32) } == PAINT {
        word += 4;
    }
    top - word
}

// ------------------------------------------------------------------------------------------
// Instructions, counted by SysTick. QEMU with `-icount shift=0` advances its virtual clock by
// one nanosecond per instruction, and SysTick counts at the board's clock on that virtual
// time, so SysTick ticks are instructions times a constant that the calibration measures.

/// SysTick wraps (every 2^24 ticks).
static WRAPS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    WRAPS.fetch_add(1, Ordering::Relaxed);
}

fn start_clock(syst: &mut SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(0x00FF_FFFF);
    syst.clear_current();
    syst.enable_counter();
    // The counter loads the reload value on its first tick: wait for it, so that the first
    // reading is not the 0 written above, then count wraps from here on.
    while SYST::get_current() == 0 {}
    syst.enable_interrupt();
}

/// SysTick ticks since [`start_clock`], wraps included.
fn ticks() -> u64 {
    loop {
        let wraps = WRAPS.load(Ordering::Relaxed);
        let current = SYST::get_current();
        // A wrap between the two reads, or one not yet taken as an interrupt: read again.
        if WRAPS.load(Ordering::Relaxed) == wraps && !SCB::is_pendst_pending() {
            return (u64::from(wraps) << 24) + u64::from(0x00FF_FFFF - current);
        }
    }
}

/// Ticks of `2 * CALIBRATION_LOOPS` instructions (a `subs`/`bne` loop).
#[inline(never)]
fn calibrate() -> u64 {
    let start = ticks();
    // SAFETY: two register-only instructions on a scratch register; no memory, no stack.
    unsafe {
        core::arch::asm!(
            "2:",
            "subs {n}, {n}, #1",
            "bne 2b",
            n = inout(reg) CALIBRATION_LOOPS => _,
            options(nomem, nostack),
        );
    }
    ticks() - start
}

/// Runs `f` and returns its result with the instructions it took.
fn measure<T>(calibration: u64, f: impl FnOnce() -> T) -> (T, u64) {
    let start = ticks();
    let out = f();
    let elapsed = ticks() - start;
    (
        out,
        elapsed * 2 * u64::from(CALIBRATION_LOOPS) / calibration,
    )
}

// ------------------------------------------------------------------------------------------
// The checks.

fn verifier_for(v: &PresentationVector) -> Result<Verifier<Backend>, &'static str> {
    let trust = TrustList::from_slice(v.trust_list).map_err(|e| e.code())?;
    let algorithms: Vec<Algorithm> = v
        .accepted_algs
        .iter()
        .filter_map(|id| Algorithm::from_cose_id(*id))
        .collect();
    Ok(Verifier::with_backend(trust, Backend::default())
        .accepted_algorithms(&algorithms)
        .clock_skew(v.clock_skew)
        .max_presentation_age(v.max_age)
        .max_input_size(v.max_input_size))
}

fn context(v: &PresentationVector) -> VerifyContext<'static> {
    VerifyContext::new(v.now, v.expected_nonce, v.expected_audience)
}

/// The first output field that differs from the vector's, if any.
fn mismatch(want: &Valid, got: &VerifiedPresentation) -> Option<&'static str> {
    let claims = got.claims();
    if claims.len() != want.claims.len() {
        return Some("claims (count)");
    }
    for ((name, value), (want_name, want_value)) in claims.iter().zip(want.claims) {
        let same = name.as_str() == *want_name
            && match (value, want_value) {
                (ClaimValue::Text(t), Expected::Text(w)) => t == w,
                (ClaimValue::Date(d), Expected::Date(y, m, day)) => {
                    Date::new(*y, *m, *day) == Some(*d)
                }
                (ClaimValue::Bytes(b), Expected::Bytes(w)) => b == w,
                (ClaimValue::Bool(b), Expected::Bool(w)) => b == w,
                _ => false,
            };
        if !same {
            return Some(want_name);
        }
    }
    [
        (got.presented_at() == want.presented_at, "presented_at"),
        (got.not_before() == want.not_before, "not_before"),
        (got.expires() == want.expires, "expires"),
        (got.credential_id() == want.credential_id, "credential_id"),
        (got.status().uri == want.status_uri, "status.uri"),
        (got.status().index == want.status_index, "status.index"),
        (got.issuer_kid() == want.issuer_kid, "issuer_kid"),
        (got.nonce() == want.nonce, "nonce"),
        (got.audience() == want.audience, "audience"),
    ]
    .into_iter()
    .find_map(|(same, field)| (!same).then_some(field))
}

/// Prints `a / b` with two decimals, in integers (float formatting would cost flash).
fn ratio(a: u64, b: u64) -> (u64, u64) {
    let hundredths = (a * 100 + b / 2) / b.max(1);
    (hundredths / 100, hundredths % 100)
}

/// Checks the valid vector: accepted, with exactly the vector's outputs. Returns the
/// instructions of the verification (None if a check failed).
#[inline(never)]
fn check_valid(calibration: u64) -> Option<u64> {
    let valid = &vector::VALID;
    let verifier = match verifier_for(&valid.vector) {
        Ok(verifier) => verifier,
        Err(code) => {
            hprintln!(
                "verify: FAIL vector={} trust list refused error={}",
                valid.vector.name,
                code
            );
            return None;
        }
    };
    let ctx = context(&valid.vector);
    let (outcome, instructions) = measure(calibration, || {
        verifier.verify(valid.vector.presentation, &ctx)
    });
    match outcome.as_ref().map(|p| mismatch(valid, p)) {
        Ok(None) => {
            hprintln!(
                "verify: ok vector={} bytes={} claims={} instructions={}",
                valid.vector.name,
                valid.vector.presentation.len(),
                valid.claims.len(),
                instructions
            );
            Some(instructions)
        }
        Ok(Some(field)) => {
            hprintln!(
                "verify: FAIL vector={} field={} differs",
                valid.vector.name,
                field
            );
            None
        }
        Err(e) => {
            hprintln!(
                "verify: FAIL vector={} rejected error={}",
                valid.vector.name,
                e.code()
            );
            None
        }
    }
}

/// Checks the invalid vector: rejected with its registered error code.
#[inline(never)]
fn check_invalid(calibration: u64) -> bool {
    let invalid = &vector::INVALID;
    let verifier = match verifier_for(&invalid.vector) {
        Ok(verifier) => verifier,
        Err(code) => {
            hprintln!(
                "reject: FAIL vector={} trust list refused error={}",
                invalid.vector.name,
                code
            );
            return false;
        }
    };
    let ctx = context(&invalid.vector);
    let (outcome, instructions) = measure(calibration, || {
        verifier
            .verify(invalid.vector.presentation, &ctx)
            .map(|_| ())
    });
    match outcome {
        Err(e) if e.code() == invalid.error => {
            hprintln!(
                "reject: ok vector={} error={} instructions={}",
                invalid.vector.name,
                e.code(),
                instructions
            );
            true
        }
        Err(e) => {
            hprintln!(
                "reject: FAIL vector={} error={} expected={}",
                invalid.vector.name,
                e.code(),
                invalid.error
            );
            false
        }
        Ok(()) => {
            hprintln!(
                "reject: FAIL vector={} accepted expected={}",
                invalid.vector.name,
                invalid.error
            );
            false
        }
    }
}

/// The baseline: one raw ES256 verify, through the check every mlegit signature takes
/// (`mlegit::crypto::verify_es256`, as the benches' `p256_verify[msg=300]`).
#[inline(never)]
fn raw_verify(calibration: u64) -> Option<u64> {
    let raw = &vector::RAW_VERIFY;
    let Some(key) = PublicKey::from_coordinates(raw.public_x, raw.public_y) else {
        hprintln!("raw_verify: FAIL public key refused");
        return None;
    };
    let (outcome, instructions) = measure(calibration, || {
        verify_es256(&Backend::default(), &key, raw.message, raw.signature)
    });
    if outcome.is_ok() {
        hprintln!(
            "raw_verify: ok message_bytes={} instructions={}",
            raw.message.len(),
            instructions
        );
        Some(instructions)
    } else {
        hprintln!("raw_verify: FAIL signature refused");
        None
    }
}

fn run(calibration: u64) -> bool {
    let full = check_valid(calibration);
    let rejected = check_invalid(calibration);
    let raw = raw_verify(calibration);
    if let (Some(full), Some(raw)) = (full, raw) {
        let (units, hundredths) = ratio(full, raw);
        hprintln!("ratio: full_over_raw={}.{:02}", units, hundredths);
    }
    full.is_some() && rejected && raw.is_some()
}

#[entry]
fn main() -> ! {
    let painted = paint_stack();
    init_heap();
    let mut core = cortex_m::Peripherals::take().expect("taken once, at reset");
    start_clock(&mut core.SYST);
    let calibration = calibrate();
    hprintln!("backend: name={}", BACKEND_NAME);
    hprintln!(
        "calibration: instructions={} systick_ticks={}",
        2 * u64::from(CALIBRATION_LOOPS),
        calibration
    );

    let mut ok = calibration > 0 && run(calibration);

    hprintln!(
        "heap: size={} peak_requested={} peak_used={}",
        HEAP_SIZE,
        HEAP.requested_peak.load(Ordering::Relaxed),
        HEAP.used_peak.load(Ordering::Relaxed)
    );
    match painted {
        Some(bottom) => {
            let peak = stack_peak(bottom);
            if peak + 64 >= STACK_PAINTED {
                ok = false;
                hprintln!(
                    "stack: FAIL peak reached the painted limit painted={}",
                    STACK_PAINTED
                );
            } else {
                hprintln!("stack: peak={} painted={}", peak, STACK_PAINTED);
            }
        }
        None => {
            ok = false;
            hprintln!("stack: FAIL no room to paint {} bytes", STACK_PAINTED);
        }
    }
    hprintln!("result: {}", if ok { "ok" } else { "FAIL" });
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    // The location only: formatting the message would keep every panic message's formatting
    // code of the dependencies in flash (several KB).
    match info.location() {
        Some(at) => hprintln!("result: FAIL panic at {}:{}", at.file(), at.line()),
        None => hprintln!("result: FAIL panic"),
    }
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
