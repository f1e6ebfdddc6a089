#![no_main]
// Differential: strict decoder vs ciborium, and re-encoding (see mlegit_fuzz::cbor_differential).
libfuzzer_sys::fuzz_target!(|data: &[u8]| mlegit_fuzz::cbor_differential(data));
