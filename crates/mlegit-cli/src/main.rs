//! The `mlegit` command (issue 7): work in progress.

fn main() {}
