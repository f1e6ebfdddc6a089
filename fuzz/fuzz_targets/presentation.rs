#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = mlegit_fuzz::bounded(data.len(), || mlegit::fuzzing::presentation(data));
});
