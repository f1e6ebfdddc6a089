//! Helpers shared by the fuzz targets: the allocation bound, the fixed verifier, the
//! differential check of the strict CBOR layer against ciborium, and the structure-aware
//! presentation generator (`structured`). The targets themselves are a few lines each.

pub mod structured;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use mlegit::cbor::{self, Value};
use mlegit::{StatusBits, StatusListContext, TrustList, Verifier, VerifyContext};
use mlegit_vectors::scenario::{AUDIENCE, NOW, Parts, nonce};

/// Counts live heap bytes and their peak, so that a target can check that no input
/// allocates more than a small multiple of its own length (issue 4, spec §14.10).
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only the counters are extra.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Heap bytes an input of `len` bytes may hold at once: a decoded `Value` is 32 bytes
/// (a map entry 64) per input byte at most when every element is one byte, so 64 times
/// the input leaves room for one copy of each layer; the constant covers fixed costs
/// (the verifier's own buffers, p256 tables) that do not grow with the input.
pub fn allocation_limit(len: usize) -> usize {
    64 * len + 256 * 1024
}

/// Runs `f` and asserts that the heap it used at its peak stays under [`allocation_limit`].
pub fn bounded<T>(len: usize, f: impl FnOnce() -> T) -> T {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    let used = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    assert!(
        used <= allocation_limit(len),
        "input of {len} bytes held {used} heap bytes at once (limit {})",
        allocation_limit(len)
    );
    out
}

/// Heap bytes `f` held at its peak (for regression tests and for measuring).
pub fn peak_heap<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

struct Fixed {
    verifier: Verifier,
    list_verifier: Verifier,
    list_uri: String,
    nonce: Vec<u8>,
}

/// The fixed verifier of the arbitrary-bytes targets: issuer A of the test vectors trusted
/// for NOW ± 400 days, default policy, so that the vectors' presentations are seeds that
/// verify.
fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| {
        let base = Parts::base();
        let trust = TrustList::from_slice(&base.trust_list()).expect("vector trust list");
        Fixed {
            list_verifier: Verifier::new(trust.clone()).max_status_list_size(FUZZ_LIST_CAP),
            verifier: Verifier::new(trust),
            list_uri: base.status_uri.clone(),
            nonce: nonce(),
        }
    })
}

/// Full verification of arbitrary bytes against the fixed trust list, once offline and
/// once bound to the vectors' request (nonce and audience), both at the vectors' NOW.
pub fn verify(data: &[u8]) {
    let f = fixed();
    let offline = VerifyContext::offline(NOW);
    let bound = VerifyContext::answering(NOW, &f.nonce, AUDIENCE);
    let (skew, age) = (mlegit::DEFAULT_CLOCK_SKEW, mlegit::DEFAULT_MAX_AGE);
    bounded(data.len(), || {
        let _ = mlegit::fuzzing::verify(&f.verifier, &offline, skew, age, data);
        let _ = mlegit::fuzzing::verify(&f.verifier, &bound, skew, age, data);
    });
}

/// The inflated-size cap of the status list target: the vectors' lists (2^20 one-bit
/// entries, 131,072 bytes), and small enough that the allocation bound holds for any input:
/// while the output doubles, the old and the new buffer live together (at most 1.5 times
/// the cap), beside the decompressor's 10.5 KB of state.
pub const FUZZ_LIST_CAP: usize = 128 * 1024;

/// A status list token: its payload and array decoded and inflated without the signature
/// (the way to the inflater), then verified against the fixed trust list as the list of
/// the vectors' credential; and the bytes inflated as a bare `lst`. Every path inflates
/// within [`FUZZ_LIST_CAP`], whatever the input (a ZLIB bomb included).
pub fn status_list(data: &[u8]) {
    let f = fixed();
    let ctx = StatusListContext::new(NOW, &f.list_uri);
    // One array at a time is held (each up to the cap and its doubling).
    let bare = bounded(data.len(), || {
        let _ = mlegit::fuzzing::status_list(&f.list_verifier, &ctx, FUZZ_LIST_CAP, data);
        let _ = mlegit::fuzzing::status_list_unsigned(data, FUZZ_LIST_CAP);
        StatusBits::decompress(1, data, FUZZ_LIST_CAP).ok()
    });
    // Outside the bound (compressing needs the compressor's own tables): what inflated
    // survives a compress and inflate round trip.
    if let Some(bits) = &bare {
        assert!(bits.as_bytes().len() <= FUZZ_LIST_CAP);
        mlegit::fuzzing::status_array_round_trip(bits);
    }
}

/// A request as the holder checks it, signed or unsigned, against an authority list of
/// the vectors' authority A at the vectors' NOW: once with the default policy and once with
/// the student's override of A12 (claims outside the certificate flagged, not refused).
pub fn signed_request(data: &[u8]) {
    static CHECKERS: OnceLock<(mlegit::RequestChecker, mlegit::RequestChecker)> = OnceLock::new();
    let (strict, lax) = CHECKERS.get_or_init(|| {
        let mut list = TrustList::new();
        let a = mlegit::Authority::new(mlegit::fixtures::authority_a().signer());
        list.add(a.trusted_key(0, u64::MAX)).expect("one key");
        let strict = mlegit::RequestChecker::new(list);
        let lax = strict.clone().allow_claims_outside_certificate(true);
        (strict, lax)
    });
    let skew = mlegit::DEFAULT_CLOCK_SKEW;
    bounded(data.len(), || {
        let refused = mlegit::fuzzing::signed_request(strict, skew, NOW, data).err();
        let flagged = mlegit::fuzzing::signed_request(lax, skew, NOW, data);
        // The override changes A12's verdict only.
        match (refused, &flagged) {
            (Some(mlegit::Error::ClaimNotAllowed), Ok(c)) => {
                assert!(!c.outside_certificate().is_empty());
            }
            (Some(e), Err(f)) => assert_eq!(e, *f),
            (None, Ok(c)) => assert!(c.outside_certificate().is_empty()),
            (a, b) => panic!("the override changed {a:?} into {b:?}"),
        }
    });
}

/// The verifier's side of the online flow (spec §18): any bytes opened as an encrypted
/// response (O1-O3) with the vectors' response key and session, in bounded memory and
/// without a panic, and whatever opens is a plaintext shorter than the input; and any text
/// read as an engagement URI, whose accepted form is the one `to_uri` writes back
/// (one text form per engagement, spec §18.1).
pub fn response(data: &[u8]) {
    static KEY: OnceLock<mlegit::online::ResponseKey> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        mlegit::online::ResponseKey::from_scalar(&mlegit::fixtures::response_key().scalar)
            .expect("the vectors' response key")
    });
    let binding = mlegit::online::SessionBinding {
        relay_origin: "https://relay.mlegit.example",
        session_id: &[0x5e; 16],
        request_digest: &[0; 32],
    };
    bounded(data.len(), || {
        if let Ok(plaintext) = key.open(data, &binding) {
            assert!(plaintext.len() < data.len());
        }
        if let Ok(text) = core::str::from_utf8(data) {
            if let Ok(e) = mlegit::online::Engagement::parse(text) {
                assert_eq!(e.to_uri(), text, "an engagement has one text form");
            }
        }
    });
}

/// The differential target of the strict CBOR layer:
/// - whatever `mlegit::cbor::decode` accepts, ciborium decodes to the same value, using
///   all the bytes, and `mlegit::cbor::encode` gives back the input (checked inside
///   `mlegit::fuzzing::cbor`);
/// - conversely, whatever ciborium decodes to a value of the §2.2 data model whose
///   deterministic encoding is exactly the input (no duplicate keys, depth at most 8),
///   the strict decoder accepts: it is not stricter than the spec.
pub fn cbor_differential(data: &[u8]) {
    let ours = bounded(data.len(), || mlegit::fuzzing::cbor(data));
    let mut reader = data;
    let theirs: Result<ciborium::Value, _> = ciborium::de::from_reader(&mut reader);
    match (ours, theirs) {
        (Some(v), Ok(c)) => {
            assert!(
                reader.is_empty(),
                "ciborium left bytes the strict decoder used"
            );
            assert_eq!(to_ciborium(&v), c, "ciborium decodes another value");
        }
        (Some(v), Err(e)) => panic!("strict decoder accepted {v:?}, ciborium failed: {e:?}"),
        (None, Ok(c)) => {
            if !reader.is_empty() {
                return; // trailing bytes: rightly rejected
            }
            let Some(v) = from_ciborium(&c) else {
                return; // tags, floats, undefined, simple values: outside the data model
            };
            if cbor::encode(&v) == data && mlegit::fuzzing::depth(&v) <= cbor::MAX_DEPTH {
                panic!("strict decoder rejected a deterministic encoding: {v:?}");
            }
        }
        (None, Err(_)) => {}
    }
}

fn to_ciborium(v: &Value<'_>) -> ciborium::Value {
    use ciborium::Value as C;
    match v {
        Value::Unsigned(n) => C::Integer((*n).into()),
        Value::Negative(n) => C::Integer(
            ciborium::value::Integer::try_from(-1 - i128::from(*n)).expect("in CBOR range"),
        ),
        Value::Bytes(b) => C::Bytes(b.to_vec()),
        Value::Text(t) => C::Text((*t).to_owned()),
        Value::Array(items) => C::Array(items.iter().map(to_ciborium).collect()),
        Value::Map(entries) => C::Map(
            entries
                .iter()
                .map(|(k, v)| (to_ciborium(k), to_ciborium(v)))
                .collect(),
        ),
        Value::Bool(b) => C::Bool(*b),
        Value::Null => C::Null,
    }
}

/// The §2.2 value of a ciborium value, `None` outside the data model or for a map with
/// two equal keys (which has no deterministic encoding).
fn from_ciborium(c: &ciborium::Value) -> Option<Value<'_>> {
    use ciborium::Value as C;
    Some(match c {
        C::Integer(i) => {
            let i = i128::from(*i);
            if i >= 0 {
                Value::Unsigned(u64::try_from(i).ok()?)
            } else {
                Value::Negative(u64::try_from(-1 - i).ok()?)
            }
        }
        C::Bytes(b) => Value::Bytes(b),
        C::Text(t) => Value::Text(t),
        C::Array(items) => Value::Array(items.iter().map(from_ciborium).collect::<Option<_>>()?),
        C::Map(entries) => {
            let entries: Vec<_> = entries
                .iter()
                .map(|(k, v)| Some((from_ciborium(k)?, from_ciborium(v)?)))
                .collect::<Option<_>>()?;
            let mut keys: Vec<Vec<u8>> = entries.iter().map(|(k, _)| cbor::encode(k)).collect();
            keys.sort();
            if keys.windows(2).any(|w| w[0] == w[1]) {
                return None;
            }
            Value::Map(entries)
        }
        C::Bool(b) => Value::Bool(*b),
        C::Null => Value::Null,
        _ => return None,
    })
}
