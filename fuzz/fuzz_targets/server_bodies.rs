#![no_main]
use mlegit_server::fuzzing::{body, carries_photo};
libfuzzer_sys::fuzz_target!(|data: &[u8]| match data.split_first() {
    Some((&r, b)) if carries_photo(r) => body(r, b),
    Some((&r, b)) => mlegit_fuzz::bounded(data.len(), || body(r, b)),
    None => {}
});
