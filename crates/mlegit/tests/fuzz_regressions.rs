//! Inputs found by the fuzz targets in `fuzz/` (issue 4), kept as regression tests: each
//! runs the input through the same entry point of `mlegit::fuzzing` as the target that
//! found it, and checks the outcome the spec requires.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use mlegit::Error;
use mlegit::fuzzing;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    hex::decode(s).unwrap()
}

/// Eight nested arrays, each claiming `n` elements, then `n` zero bytes: every count passes
/// D13 (it is at most the bytes remaining), so each level reserves room for `n` values
/// before the innermost is read. Found by `cbor` (allocation bound, `mlegit_fuzz::bounded`):
/// 4,024 bytes held 1,024,000 heap bytes at once, 254 times the input (limit 64x + 256 KiB);
/// at the 64 KiB input cap of the verifier that is 16 MiB per presentation.
fn nested_reservations(n: u16) -> Vec<u8> {
    let mut data = Vec::new();
    for _ in 0..8 {
        data.push(0x99);
        data.extend_from_slice(&n.to_be_bytes());
    }
    data.resize(data.len() + usize::from(n), 0);
    data
}

#[test]
fn nested_reservations_are_rejected() {
    // The innermost array is complete; the one around it has 1 of its n elements.
    let data = nested_reservations(4000);
    assert_eq!(mlegit::cbor::decode(&data), Err(Error::CborMalformed));
    assert!(fuzzing::cbor(&data).is_none());
    // The same as a presentation, a credential and a trust list.
    assert_eq!(fuzzing::presentation(&data), Err(Error::CborMalformed));
    assert_eq!(fuzzing::credential(&data).err(), Some(Error::CborMalformed));
    assert_eq!(fuzzing::trust_list(&data).err(), Some(Error::CborMalformed));
    // The heap bound itself is checked by the fuzz targets (a counting global allocator
    // needs `unsafe`, which this workspace forbids): run
    //     cd fuzz && cargo +nightly fuzz run -s none cbor <file with these bytes>
}

#[test]
fn deepest_nesting_and_one_more() {
    assert!(fuzzing::cbor(&hex("818181818181818100")).is_some());
    assert_eq!(
        mlegit::cbor::decode(&hex("81818181818181818100")),
        Err(Error::CborDepthExceeded)
    );
}
