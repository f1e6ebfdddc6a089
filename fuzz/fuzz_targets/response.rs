#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mlegit_fuzz::response(data));
