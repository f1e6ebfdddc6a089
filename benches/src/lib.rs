//! Shared parts of the mlegit benches (issue 5): fixed fixtures, a counting allocator and
//! the ratio report. The benches themselves are in `benches/mlegit.rs`; `README.md` says how
//! to run them and how to read the table.

pub mod alloc_counter;
pub mod cpu_time;
pub mod fixtures;
pub mod paired;
pub mod report;
