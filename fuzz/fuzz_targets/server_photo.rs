#![no_main]
// Photo decoding has its own limits (dimensions, max_alloc), not the 64x heap bound.
libfuzzer_sys::fuzz_target!(|data: &[u8]| mlegit_server::fuzzing::photo(data));
