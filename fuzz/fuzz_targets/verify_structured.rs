#![no_main]
// Well-formed, correctly signed presentations with one mutation each: see mlegit_fuzz::structured.
libfuzzer_sys::fuzz_target!(
    |s: mlegit_fuzz::structured::Scenario| mlegit_fuzz::structured::run(&s)
);
