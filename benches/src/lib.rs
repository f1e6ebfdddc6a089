//! Shared parts of the mlegit benches (issues 5 and 11): fixed fixtures, the rows, a counting
//! allocator and the ratio report. The criterion bench that times the rows is
//! `benches/mlegit.rs`, the callgrind run that counts their instructions is
//! `src/bin/instructions.rs`; `README.md` says how to run both and how to read the tables.

pub mod alloc_counter;
pub mod cpu_time;
pub mod fixtures;
pub mod paired;
pub mod report;
pub mod rows;
